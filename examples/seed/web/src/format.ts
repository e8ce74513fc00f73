/** Small formatting helpers shared by the console's pages. */
import { ConvexError } from "convex/values";

/** An error as a person should read it: the server's code and message. */
export function errorText(error: unknown): string {
  if (error instanceof ConvexError) {
    const data = error.data as { code?: string; message?: string };
    if (typeof data?.message === "string") {
      return `${data.code ?? "ERROR"}: ${data.message}`;
    }
  }
  return error instanceof Error ? error.message : String(error);
}

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

/** The fields of a document worth showing (system fields are in its title). */
export function fieldsOf(doc: Record<string, unknown>): [string, unknown][] {
  return Object.entries(doc)
    .filter(([field]) => !field.startsWith("_"))
    .sort(([a], [b]) => a.localeCompare(b));
}
