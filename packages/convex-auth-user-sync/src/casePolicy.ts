/**
 * Pure logic behind the review queue and the audit log: a case's version (so
 * a resolution made on what a person was shown is refused once the case has
 * changed), the checks each resolution makes, the fields an audited command
 * changed, and how each mirrored field of a pair is owned. No Convex calls.
 */
import type { AnyDoc, Shape } from "./declaration.js";
import { fieldMap, resolvePair } from "./policy.js";
import type { AuditChange } from "./validators.js";

/** Deterministic JSON: object keys sorted, `undefined` fields left out. */
function canonical(value: unknown): string {
  // Bytes are objects too: told apart first (found by review), by tag, so a
  // buffer from another realm counts.
  if (isBytes(value)) return `bytes:${value.byteLength}`;
  if (typeof value === "bigint") return `${value}n`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries
      .map(([key, field]) => `${JSON.stringify(key)}:${canonical(field)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function isBytes(value: unknown): value is ArrayBuffer {
  return Object.prototype.toString.call(value) === "[object ArrayBuffer]";
}

/** 32-bit FNV-1a of a string, from a seed. */
function fnv1a(text: string, seed: number): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * A short version string of documents as they are: any change to any field
 * of any of them (or one missing: `null`) gives another. Two independent
 * 32-bit hashes, so an accidental match is out of reach for a review queue.
 *
 * @example caseVersion([review, user, ...rows]) // "3f2a9c01b7d4e6aa"
 */
export function caseVersion(docs: readonly (AnyDoc | null)[]): string {
  const text = canonical(docs);
  const hex = (n: number) => n.toString(16).padStart(8, "0");
  return hex(fnv1a(text, 0x811c9dc5)) + hex(fnv1a(text, 0x01000193));
}

/** The most field changes one audit entry keeps. */
export const MAX_AUDIT_CHANGES = 200;

/**
 * The fields that differ between two states of one document (`null`: it did
 * not exist), one change per field, system fields aside. A document created
 * or deleted lists every field on the side where it exists.
 *
 * @example diffDoc("users", id, before, after) // [{ table, id, field: "name", before: "Ada", after: "Ada L." }]
 */
export function diffDoc(
  table: string,
  id: string,
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
): AuditChange[] {
  const fields = new Set([
    ...Object.keys(before ?? {}),
    ...Object.keys(after ?? {}),
  ]);
  const changes: AuditChange[] = [];
  for (const field of [...fields].sort()) {
    if (field.startsWith("_") || !auditsField(table, field)) continue;
    const was = before?.[field];
    const now = after?.[field];
    if (canonical(was) === canonical(now)) continue;
    const change: AuditChange = { table, id, field };
    if (was !== undefined) change.before = was;
    if (now !== undefined) change.after = now;
    changes.push(change);
  }
  return changes;
}

/**
 * What the audit log keeps of Convex Auth's own tables: the fields that say
 * whose and what a document was, never a secret (found by review: deleting
 * an account copied the password hash into the log the console shows). A
 * field not listed, or one a later Convex Auth adds, is left out.
 * Refresh tokens are left out whole: a token is its id and its session's.
 */
export const AUDITED_AUTH_FIELDS: Readonly<
  Record<string, readonly string[] | "none">
> = {
  authAccounts: [
    "userId",
    "provider",
    "providerAccountId",
    "emailVerified",
    "phoneVerified",
  ],
  authSessions: ["userId", "expirationTime"],
  authRefreshTokens: "none",
  authVerificationCodes: [
    "accountId",
    "provider",
    "expirationTime",
    "emailVerified",
    "phoneVerified",
  ],
  authVerifiers: ["sessionId"],
  authRateLimits: ["identifier", "lastAttemptTime", "attemptsLeft"],
};

/**
 * The table recorded for a write that named none (the old `(id, value)`
 * forms) in a table the sync does not know: its id is kept, its fields are
 * not, since nothing says they are not secrets.
 */
export const UNNAMED_TABLE = "(table not named)";

/**
 * The log's own tables, never recorded: an erasure's scrub of earlier
 * entries would otherwise copy into the new entry what it removes.
 */
const UNAUDITED_TABLES: ReadonlySet<string> = new Set([
  "sync_audit",
  "sync_audit_subjects",
]);

/** Whether the audit log records this document at all. */
export function auditsDocument(table: string): boolean {
  return AUDITED_AUTH_FIELDS[table] !== "none" && !UNAUDITED_TABLES.has(table);
}

/** Whether the audit log records this field's values. */
export function auditsField(table: string, field: string): boolean {
  if (table === UNNAMED_TABLE || UNAUDITED_TABLES.has(table)) return false;
  const kept = AUDITED_AUTH_FIELDS[table];
  return kept === undefined || (kept !== "none" && kept.includes(field));
}

/** The longest value an entry keeps whole (its canonical JSON, in characters). */
export const MAX_AUDIT_VALUE = 2_000;

/**
 * A value as the audit log keeps it: bytes as their length, anything whose
 * canonical JSON is longer than MAX_AUDIT_VALUE as the start of it, marked
 * (found by review: a bigint made JSON.stringify throw, and bytes measured
 * as "{}" were kept whole).
 *
 * @example boundAuditValue("x".repeat(5000)) // '"xxx…… (5002 characters, truncated)'
 */
export function boundAuditValue(value: unknown): unknown {
  if (isBytes(value)) return `bytes:${value.byteLength}`;
  const text = canonical(value);
  if (text.length <= MAX_AUDIT_VALUE && !containsBytes(value)) return value;
  return `${text.slice(0, MAX_AUDIT_VALUE)}… (${text.length} characters, truncated)`;
}

function containsBytes(value: unknown): boolean {
  if (isBytes(value)) return true;
  if (Array.isArray(value)) return value.some(containsBytes);
  if (value !== null && typeof value === "object") {
    return Object.values(value).some(containsBytes);
  }
  return false;
}

/** Where a mirrored field's value comes from, as the console shows it. */
export type FieldSourceKind =
  /** The provider's, copied at every sign-in. */
  | "provider"
  /** The user chose it in the app; provider values no longer replace it. */
  | "user's choice"
  /** The app table owns it; `users` mirrors it. */
  | "app"
  /** A timestamp: the later of the two. */
  | "later of the two";

/** One mirrored field of a pair, both sides and who decides it. */
export type FieldReport = {
  usersField: string;
  appField: string;
  owner: "provider" | "app" | "latest";
  source: FieldSourceKind;
  usersValue: unknown;
  appValue: unknown;
  /** The value both sides should hold under the field map. */
  expected: unknown;
  /** Both sides hold what the field map says (or one side is missing). */
  agrees: boolean;
};

/**
 * Every mirrored field of a user and its row (either may be missing): both
 * values, the owner, and where the value comes from. Identity fields (email,
 * verification) are never written back to `users`, so only the app side is
 * held to the expected value for them.
 *
 * @example describeFields(shape, user, row).filter((field) => !field.agrees)
 */
export function describeFields(
  shape: Shape,
  user: AnyDoc | null,
  row: AnyDoc | null,
): FieldReport[] {
  return fieldMap(shape).map((pair) => {
    const usersValue = user?.[pair.users];
    const appValue = row?.[pair.app];
    const source: FieldSourceKind =
      pair.owner === "latest"
        ? "later of the two"
        : pair.owner === "app"
          ? "app"
          : pair.chosenBy !== undefined && row?.[pair.chosenBy] === "user"
            ? "user's choice"
            : "provider";
    const expected =
      user !== null && row !== null
        ? resolvePair(pair, user as never, row)
        : (appValue ?? usersValue);
    const agrees =
      user === null ||
      row === null ||
      (canonical(appValue) === canonical(expected) &&
        (!pair.usersWritable || canonical(usersValue) === canonical(expected)));
    return {
      usersField: pair.users,
      appField: pair.app,
      owner: pair.owner,
      source,
      usersValue,
      appValue,
      expected,
      agrees,
    };
  });
}
