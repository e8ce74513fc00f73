/**
 * Lookups of a user pair by id or by email, as this app's functions use
 * them: the sync's (convex-auth-user-sync), named after this app's tables.
 * Indexed reads only, each bounded.
 */
import type { Target } from "convex-auth-user-sync";
import type { Doc } from "./_generated/dataModel";
import type { QueryCtx } from "./_generated/server";
import { appError } from "./errors";
import { cleanId } from "./inputs";
import { userSync } from "./sync";
import { storedRow } from "./userViews";

export type UserPair = {
  user: Doc<"users"> | null;
  authUser: Doc<"auth_users"> | null;
};

/**
 * The pair for a `users` id or an `auth_users` id: references both sides
 * agree on only; for views, a user and a legacy row not linked yet are
 * joined exactly when a sign-in would link them (`join: false` for operator
 * commands, which act on what is linked). Null for a string that is no id.
 *
 * @example const pair = await loadPairById(ctx, args.id);
 */
export async function loadPairById(
  ctx: QueryCtx,
  id: string,
  options?: { join: boolean },
): Promise<UserPair | null> {
  const pair = await userSync.loadPairById(ctx, id, options);
  return pair === null ? null : { user: pair.user, authUser: pair.row };
}

/**
 * The pair whose verified email this is (an email key): see
 * convex-auth-user-sync's findPairByEmail. With `unique`, an address several
 * accounts hold is refused (INVALID_ARGUMENT).
 *
 * @example const pair = await findPairByEmail(ctx, cleanEmail(args.email));
 */
export async function findPairByEmail(
  ctx: QueryCtx,
  email: string,
  options?: { unique: boolean },
): Promise<UserPair | null> {
  const pair = await userSync.findPairByEmail(ctx, email, options);
  return pair === null ? null : { user: pair.user, authUser: pair.row };
}

/**
 * A `users` or `auth_users` row named by a client- or operator-supplied id:
 * INVALID_ARGUMENT for a string that is no id of the table, NOT_FOUND for a
 * row that does not exist.
 *
 * @example const user = await getRowOrThrow(ctx, "users", args.userId);
 */
export async function getRowOrThrow<T extends "users" | "auth_users">(
  ctx: QueryCtx,
  table: T,
  rawId: string,
): Promise<Doc<T>> {
  const row = await ctx.db.get(table, cleanId(ctx, table, rawId));
  if (row === null) throw appError("NOT_FOUND", `No such ${table} row`);
  return row;
}

/** The documents of a pair, for the audit log's before and after. */
export function pairTargets(pair: UserPair): Target[] {
  const targets: Target[] = [];
  if (pair.user !== null) targets.push({ table: "users", id: pair.user._id });
  const row = storedRow(pair);
  if (row !== null) targets.push({ table: "auth_users", id: row._id });
  return targets;
}
