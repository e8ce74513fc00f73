/**
 * How a `users` row is marked as the fold's placeholder of a person who
 * never signed in (see fold/placeholders.ts, fold/claim.ts): every module that must
 * tell one apart reads it here.
 */
import type { AnyDoc } from "./declaration.js";
import { UNCLAIMED } from "./tableNames.js";

/** The `users` field marking a placeholder (its address key, or ""), and its index. */
export { UNCLAIMED, UNCLAIMED_INDEX } from "./tableNames.js";

/** Whether a user is a placeholder of the fold. */
export function isPlaceholder(user: AnyDoc | null): boolean {
  return user !== null && typeof user[UNCLAIMED] === "string";
}
