/**
 * Read-only lookups of a user pair by id or by email, with the fallbacks the
 * unified API promises. Indexed reads only, each bounded.
 */
import type { Doc } from "./_generated/dataModel";
import type { QueryCtx } from "./_generated/server";
import { appError } from "./errors";
import { cleanId } from "./inputs";
import {
  findCounterpart,
  linkableUsersWithEmail,
  unlinkedRowsWithEmail,
} from "./syncCore";
import { decideLink, normalizeEmail } from "./syncPolicy";

export type UserPair = {
  user: Doc<"users"> | null;
  authUser: Doc<"auth_users"> | null;
};

/**
 * The pair for a `users` id or an `auth_users` id. Follows the
 * cross-reference and falls back to the email index when a reference is
 * missing (only where linking by email would be allowed: a verified email and
 * a single candidate). A string that is no id of either table gives null.
 *
 * @example const pair = await loadPairById(ctx, args.id);
 */
export async function loadPairById(
  ctx: QueryCtx,
  id: string,
): Promise<UserPair | null> {
  const userId = ctx.db.normalizeId("users", id);
  if (userId !== null) {
    const user = await ctx.db.get("users", userId);
    if (user === null) return null;
    return { user, authUser: await counterpartOrEmailMatch(ctx, user) };
  }
  const authUserId = ctx.db.normalizeId("auth_users", id);
  if (authUserId !== null) {
    const authUser = await ctx.db.get("auth_users", authUserId);
    if (authUser === null) return null;
    return { user: await userOrEmailMatch(ctx, authUser), authUser };
  }
  return null;
}

async function counterpartOrEmailMatch(
  ctx: QueryCtx,
  user: Doc<"users">,
): Promise<Doc<"auth_users"> | null> {
  const counterpart = await findCounterpart(ctx, user);
  if (counterpart !== null) return counterpart;
  const email = normalizeEmail(user.email);
  if (email === undefined) return null;
  const candidates = await unlinkedRowsWithEmail(ctx, email);
  const decision = decideLink(user, candidates);
  return decision.action === "link"
    ? (candidates.find((row) => row._id === decision.authUserId) ?? null)
    : null;
}

async function userOrEmailMatch(
  ctx: QueryCtx,
  authUser: Doc<"auth_users">,
): Promise<Doc<"users"> | null> {
  if (authUser.convex_user_id !== undefined) {
    const user = await ctx.db.get("users", authUser.convex_user_id);
    if (user !== null) return user;
  }
  if (authUser.email === undefined) return null;
  const candidates = await linkableUsersWithEmail(ctx, authUser.email);
  return candidates.length === 1 ? candidates[0]! : null;
}

/**
 * The pair whose verified email this is (normalize first). Trusts, in order:
 * an auth_users row with this email verified; a single unlinked legacy row
 * with it; a users row with it verified. An unverified claim to an address is
 * never what a lookup by that address finds.
 *
 * @example const pair = await findPairByEmail(ctx, cleanEmail(args.email));
 */
export async function findPairByEmail(
  ctx: QueryCtx,
  email: string,
): Promise<UserPair | null> {
  // 1. A linked row whose owner verified this email.
  const verified = await ctx.db
    .query("auth_users")
    .withIndex("by_email_and_email_verified", (q) =>
      q.eq("email", email).eq("email_verified", true),
    )
    .first();
  if (verified !== null) {
    return { user: await userOrEmailMatch(ctx, verified), authUser: verified };
  }
  // 2. A legacy row nobody has claimed yet, if it is the only one.
  const unlinked = await unlinkedRowsWithEmail(ctx, email);
  if (unlinked.length === 1) {
    return { user: null, authUser: unlinked[0]! };
  }
  // 3. A users row without a synced counterpart yet.
  const users = await ctx.db
    .query("users")
    .withIndex("email", (q) => q.eq("email", email))
    .take(5);
  const user = users.find((u) => u.emailVerificationTime !== undefined);
  if (user === undefined) return null;
  return { user, authUser: await findCounterpart(ctx, user) };
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
