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
  type PairRead,
  readPair,
  unlinkedRowsWithEmail,
  verifiedUsersWithEmail,
  weighUser,
} from "./syncCore";

export type UserPair = {
  user: Doc<"users"> | null;
  authUser: Doc<"auth_users"> | null;
};

/**
 * The pair for a `users` id or an `auth_users` id. Follows the two-way
 * reference only. For a user and a legacy row not linked yet, `join: true`
 * (the default, for views) joins them exactly when a sign-in would link them
 * (the same decision, weighing every pointer and candidate); a one-sided
 * pointer joins nothing. Operator commands pass `join: false`: they act on
 * what is linked. A string that is no id of either table gives null.
 *
 * @example const pair = await loadPairById(ctx, args.id);
 */
export async function loadPairById(
  ctx: QueryCtx,
  id: string,
  options: { join: boolean } = { join: true },
): Promise<UserPair | null> {
  const userId = ctx.db.normalizeId("users", id);
  if (userId !== null) {
    const user = await ctx.db.get("users", userId);
    if (user === null) return null;
    const read = await readPair(ctx, user);
    const authUser =
      read.counterpart ??
      (options.join ? await wouldLink(ctx, user, read) : null);
    return { user, authUser };
  }
  const authUserId = ctx.db.normalizeId("auth_users", id);
  if (authUserId !== null) {
    const authUser = await ctx.db.get("auth_users", authUserId);
    if (authUser === null) return null;
    const user =
      (await findPairedUser(ctx, authUser)) ??
      (options.join ? await ownerWouldLink(ctx, authUser) : null);
    return { user, authUser };
  }
  return null;
}

/** The row a sign-in of this user would link now, if exactly that. */
async function wouldLink(
  ctx: QueryCtx,
  user: Doc<"users">,
  read: PairRead,
): Promise<Doc<"auth_users"> | null> {
  const { decision, rows } = await weighUser(ctx, user, read);
  if (decision.action !== "link" || decision.reviews.length > 0) return null;
  return rows.find((row) => row._id === decision.authUserId) ?? null;
}

/**
 * For a legacy row, the one user without a pair whose provider verified its
 * address, if that user's sign-in would link exactly this row.
 */
async function ownerWouldLink(
  ctx: QueryCtx,
  row: Doc<"auth_users">,
): Promise<Doc<"users"> | null> {
  const legacy =
    row.convex_user_id === undefined && row.email_verified === undefined;
  if (!legacy || row.email === undefined) return null;
  const verified = await verifiedUsersWithEmail(ctx, row.email, 2);
  const [only] = verified;
  if (verified.length !== 1 || only === undefined) return null;
  const read = await readPair(ctx, only);
  if (read.counterpart !== null) return null;
  return (await wouldLink(ctx, only, read))?._id === row._id ? only : null;
}

/**
 * The pair whose verified email this is (pass an email key). Trusts, in
 * order: a row whose owner's provider verified this address (one in a
 * two-way pair first); a single unlinked legacy row with it; a user whose
 * provider verified it (not synced yet, or whose row drifted). An unverified claim to
 * an address is never what a lookup by that address finds, however many
 * there are: both indexes order by verification. With `unique`, an address
 * that several accounts hold is refused (INVALID_ARGUMENT) instead of one of
 * them picked: operator commands act on one account they can name.
 *
 * @example const pair = await findPairByEmail(ctx, cleanEmail(args.email));
 */
export async function findPairByEmail(
  ctx: QueryCtx,
  email: string,
  options: { unique: boolean } = { unique: false },
): Promise<UserPair | null> {
  // 1. Rows whose owner verified this email.
  const verifiedRows = await ctx.db
    .query("auth_users")
    .withIndex("by_email_and_email_verified", (q) =>
      q.eq("email", email).eq("email_verified", true),
    )
    .take(CLAIM_SCAN);
  if (options.unique && verifiedRows.length > 1) throw ambiguous();
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
  if (options.unique && unlinked.length > 1) throw ambiguous();
  // 3. A user whose provider verified it (not synced yet, or drifted).
  const users = await verifiedUsersWithEmail(ctx, email, 2);
  if (options.unique && users.length > 1) throw ambiguous();
  const [user] = users;
  if (user === undefined) return null;
  return { user, authUser: (await readPair(ctx, user)).counterpart };
}

function ambiguous() {
  return appError(
    "INVALID_ARGUMENT",
    "Several accounts hold this address; name the one you mean by id",
  );
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
