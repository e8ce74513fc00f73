/**
 * Read-only lookups of a user pair by id or by email, with the fallbacks the
 * unified API promises. Indexed reads only, each bounded.
 */
import type { Doc } from "./_generated/dataModel";
import type { QueryCtx } from "./_generated/server";
import { appError } from "./errors";
import { cleanId } from "./inputs";
import {
  findPairedUser,
  readPair,
  unlinkedRowsWithEmail,
  verifiedUsersWithEmail,
} from "./syncCore";
import { decidePairing, normalizeEmail } from "./syncPolicy";

export type UserPair = {
  user: Doc<"users"> | null;
  authUser: Doc<"auth_users"> | null;
};

/**
 * The pair for a `users` id or an `auth_users` id. Follows the two-way
 * reference only. Where a user and a row are not linked yet, it joins them
 * only as a sign-in would link them (a verified email, a single candidate, no
 * pointer in the way); a one-sided pointer joins nothing. A string that is no
 * id of either table gives null.
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
    return { user, authUser: await counterpartOrLinkable(ctx, user) };
  }
  const authUserId = ctx.db.normalizeId("auth_users", id);
  if (authUserId !== null) {
    const authUser = await ctx.db.get("auth_users", authUserId);
    if (authUser === null) return null;
    return { user: await pairedOrLinkableUser(ctx, authUser), authUser };
  }
  return null;
}

/** The counterpart, or the one legacy row a sign-in would link. */
async function counterpartOrLinkable(
  ctx: QueryCtx,
  user: Doc<"users">,
): Promise<Doc<"auth_users"> | null> {
  const read = await readPair(ctx, user);
  if (read.counterpart !== null) return read.counterpart;
  if (read.pointed !== null || user.auth_user_id !== undefined) return null;
  const email = normalizeEmail(user.email);
  if (email === undefined) return null;
  const decision = decidePairing({
    userId: user._id,
    emailKey: email,
    verified: user.emailVerificationTime !== undefined,
    pointed: null,
    claimants: [],
    unlinkedWithEmail: await unlinkedRowsWithEmail(ctx, email),
  });
  if (decision.action !== "link" || decision.reviews.length > 0) return null;
  return await ctx.db.get("auth_users", decision.authUserId!);
}

/** The two-way paired user, or the one user a sign-in would link to. */
async function pairedOrLinkableUser(
  ctx: QueryCtx,
  authUser: Doc<"auth_users">,
): Promise<Doc<"users"> | null> {
  if (authUser.convex_user_id !== undefined) {
    return await findPairedUser(ctx, authUser);
  }
  if (authUser.email === undefined) return null;
  if ((await unlinkedRowsWithEmail(ctx, authUser.email)).length !== 1) {
    return null;
  }
  const verified = await verifiedUsersWithEmail(ctx, authUser.email, 2);
  const [only] = verified;
  if (verified.length !== 1 || only === undefined) return null;
  return only.auth_user_id === undefined ? only : null;
}

/**
 * The pair whose verified email this is (pass an email key). Trusts, in
 * order: a row whose owner's provider verified this address (one in a
 * two-way pair first); a single unlinked legacy row with it; a user whose
 * provider verified it (not synced yet, or whose row drifted). An unverified claim to
 * an address is never what a lookup by that address finds, however many
 * there are: both indexes order by verification.
 *
 * @example const pair = await findPairByEmail(ctx, cleanEmail(args.email));
 */
export async function findPairByEmail(
  ctx: QueryCtx,
  email: string,
): Promise<UserPair | null> {
  // 1. Rows whose owner verified this email.
  const verifiedRows = await ctx.db
    .query("auth_users")
    .withIndex("by_email_and_email_verified", (q) =>
      q.eq("email", email).eq("email_verified", true),
    )
    .take(CLAIM_SCAN);
  let fallback: UserPair | null = null;
  for (const row of verifiedRows) {
    const user = await findPairedUser(ctx, row);
    if (user !== null) return { user, authUser: row };
    fallback ??= { user: null, authUser: row };
  }
  if (fallback !== null) return fallback;
  // 2. A legacy row nobody has claimed yet, if it is the only one.
  const unlinked = await unlinkedRowsWithEmail(ctx, email);
  if (unlinked.length === 1) {
    return { user: null, authUser: unlinked[0]! };
  }
  // 3. A user whose provider verified it (not synced yet, or drifted).
  const [user] = await verifiedUsersWithEmail(ctx, email, 1);
  if (user === undefined) return null;
  return { user, authUser: (await readPair(ctx, user)).counterpart };
}

/** Verified claims to one address looked at (one person, a few providers). */
const CLAIM_SCAN = 3;

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
