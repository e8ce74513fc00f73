/**
 * Words for what the console shows: field names as labels, a pair's
 * health, a case's kind. The names stay available as secondary text.
 */

/** Words of a field name: its last `_at`/`At` (a time) dropped. */
export function fieldLabel(field: string): string {
  const words = field
    .replace(/_at$|At$/, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[_\s]+/)
    .filter((word) => word !== "")
    .map((word) => word.toLowerCase());
  const text = words.join(" ").replace(/\bid\b/g, "ID");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A pair's health, as an operator reads it. */
export const PAIR_LABELS = {
  paired: "Paired both ways",
  one_sided: "One-sided link",
  no_pair: "No pair",
  one_record: "One record",
} as const;

/** What a pair's health means. */
export const PAIR_HINTS = {
  paired: "The sign-in record and the account name each other.",
  one_sided:
    "One record names the other, which does not name it back: the sync repairs or reviews it.",
  no_pair:
    "An account nobody has signed in to yet (or a sign-in with no account).",
  one_record:
    "The fold into one table keeps this person on the sign-in record alone: there is no app row to pair.",
} as const;

/** A case kind in words ("unverified_email_match" → "Unverified email match"). */
export function kindLabel(kind: string): string {
  return fieldLabel(kind);
}

/** Who owns a mirrored field's value. */
export const OWNER_LABELS = {
  provider: "Sign-in provider",
  app: "This app",
  latest: "Whichever changed last",
} as const;

/** Where a mirrored field's value came from. */
export const SOURCE_LABELS = {
  provider: "The sign-in provider",
  "user's choice": "The user's choice",
  app: "This app",
  "later of the two": "The later of the two",
} as const;
