/**
 * Argument cleaning shared by every public and internal function: trims,
 * bounds and normalizes, or throws INVALID_ARGUMENT before anything is
 * written. No database calls.
 */
import type { Id, TableNames } from "./_generated/dataModel";
import type { QueryCtx } from "./_generated/server";
import { appError } from "./errors";
import { normalizeEmail } from "convex-auth-user-sync";

export const LIMITS = {
  name: 100,
  company: 100,
  role: 100,
  imageUrl: 2048,
  email: 254,
  id: 64,
} as const;

/**
 * A required display name: trimmed, 1 to LIMITS.name characters.
 *
 * @example cleanName("  Ada ") // "Ada"
 */
export function cleanName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0) throw appError("INVALID_ARGUMENT", "name is empty");
  if (name.length > LIMITS.name) {
    throw appError(
      "INVALID_ARGUMENT",
      `name is longer than ${LIMITS.name} characters`,
    );
  }
  return name;
}

/**
 * An optional domain text field (company, role): trimmed and bounded; an
 * empty string clears the field (returns `undefined`).
 */
export function cleanOptionalText(
  field: "company" | "role",
  raw: string,
): string | undefined {
  const text = raw.trim();
  if (text.length > LIMITS[field]) {
    throw appError(
      "INVALID_ARGUMENT",
      `${field} is longer than ${LIMITS[field]} characters`,
    );
  }
  return text.length === 0 ? undefined : text;
}

/**
 * An avatar URL the user sets: an absolute http(s) URL of at most
 * LIMITS.imageUrl characters as stored, that is after `new URL()` has
 * percent-encoded it (which can make it up to 9 times longer).
 */
export function cleanImageUrl(raw: string): string {
  const tooLong = () =>
    appError(
      "INVALID_ARGUMENT",
      `image must be a URL of 1 to ${LIMITS.imageUrl} characters`,
    );
  const text = raw.trim();
  // Bounds the parser's work before the real check below.
  if (text.length === 0 || text.length > LIMITS.imageUrl) throw tooLong();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw appError("INVALID_ARGUMENT", "image is not a valid URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw appError("INVALID_ARGUMENT", "image must be an http(s) URL");
  }
  const stored = url.toString();
  if (stored.length > LIMITS.imageUrl) throw tooLong();
  return stored;
}

/**
 * An email to look up: normalized (trimmed, lower-cased) and shaped like an
 * address.
 *
 * @example cleanEmail(" Ada@Example.com") // "ada@example.com"
 */
export function cleanEmail(raw: string): string {
  const email = normalizeEmail(raw);
  if (
    email === undefined ||
    email.length > LIMITS.email ||
    !/^[^\s@]+@[^\s@]+$/.test(email)
  ) {
    throw appError("INVALID_ARGUMENT", "email is not a valid address");
  }
  return email;
}

/**
 * A document id of one table, from a client-supplied string.
 *
 * @example const id = cleanId(ctx, "auth_users", args.authUserId);
 */
export function cleanId<T extends TableNames>(
  ctx: Pick<QueryCtx, "db">,
  table: T,
  raw: string,
): Id<T> {
  const id =
    raw.length <= LIMITS.id ? ctx.db.normalizeId(table, raw.trim()) : null;
  if (id === null) {
    throw appError("INVALID_ARGUMENT", `not an id of table ${table}`);
  }
  return id;
}
