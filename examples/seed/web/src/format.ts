/**
 * Small formatting helpers shared by the console's pages. (Errors are
 * worded by problems.ts and shown by Notice.tsx's ProblemNote.)
 */

/** A timestamp in the reader's locale, or a dash. */
export function time(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? "—" : new Date(ms).toLocaleString();
}

/** Any field value, briefly. */
export function show(value: unknown): string {
  if (value === undefined || value === null) return "—";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** A field's value as a person reads it: times as times. */
export function showField(field: string, value: unknown): string {
  return typeof value === "number" && /(_at|Time|At)$/.test(field)
    ? time(value)
    : show(value);
}

/** A field's value in words: yes or no, times as times. */
export function valueText(field: string, value: unknown): string {
  return typeof value === "boolean"
    ? value
      ? "Yes"
      : "No"
    : showField(field, value);
}

/** Kept for the directory's search index only (name and email show already). */
const HIDDEN_FIELDS = new Set(["search_text"]);

/**
 * The fields of a document worth showing (system fields are in its title;
 * the search index's text repeats the others).
 */
export function fieldsOf(doc: Record<string, unknown>): [string, unknown][] {
  return Object.entries(doc)
    .filter(([field]) => !field.startsWith("_") && !HIDDEN_FIELDS.has(field))
    .sort(([a], [b]) => a.localeCompare(b));
}
