/**
 * Account deletion and status. Convex Auth has no user-deletion API, and a
 * `users` row deleted while its `authAccounts` row remains makes that
 * person's next sign-in fail; so deletion removes everything of the account
 * in one transaction, and the same OAuth identity can sign up again cleanly.
 */
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import type { MutationCtx } from "./_generated/server";
import { STARTER_TEMPLATES } from "./starterTemplates";
import { ensurePair, findCounterpart, recordReview } from "./syncCore";
import type { AccountStatus } from "./validators";

/** Upper bound on the rows of one kind a single account may hold. */
const PER_ACCOUNT_LIMIT = 100;

/**
 * Deletes an account across both tables and Convex Auth's tables: the
 * `users` row, its two-way counterpart and that row's starter templates, and
 * the user's auth accounts, verification codes, sessions and refresh tokens.
 * Only what is provably the account's goes: a row that merely points at the
 * user, or that the user merely points at, stays (a row still claiming the
 * deleted user is recorded for review). Deleting twice is harmless. Returns
 * how many documents it deleted.
 *
 * @example await deleteAccountData(ctx, userId);
 */
export async function deleteAccountData(
  ctx: MutationCtx,
  userId: Id<"users">,
  /** The counterpart, when the caller already knows it (a trigger). */
  knownCounterpart?: Id<"auth_users">,
): Promise<number> {
  let deleted = 0;

  // 1. The two-way counterpart and its templates.
  const user = await ctx.db.get("users", userId);
  const counterpart =
    knownCounterpart ??
    (user === null ? null : (await findCounterpart(ctx, user))?._id);
  if (counterpart !== undefined && counterpart !== null) {
    deleted += await deleteAppRow(ctx, counterpart);
  }

  // 2. Convex Auth's rows: sessions and refresh tokens through its own
  //    implementation, then accounts and their verification codes.
  await endSessions(ctx, userId);
  deleted += await revokePendingSignIns(ctx, userId, { deleteAccounts: true });

  // 3. The users row last.
  if (user !== null && (await ctx.db.get("users", userId)) !== null) {
    await ctx.db.delete("users", userId);
    deleted++;
  }

  // 4. Rows that still name the user were never provably its own: a person
  //    decides what becomes of them.
  const leftovers = await ctx.db
    .query("auth_users")
    .withIndex("by_convex_user_id", (q) => q.eq("convex_user_id", userId))
    .take(PER_ACCOUNT_LIMIT);
  if (leftovers.length > 0) {
    await recordReview(
      ctx,
      {
        kind: "reference_conflict",
        userId,
        authUserIds: leftovers.map((row) => row._id),
        detail:
          "The account was deleted; these rows pointed at it without being its counterpart and were kept.",
      },
      { now: Date.now() },
    );
  }
  return deleted;
}

/**
 * Deletes one auth_users row and its starter templates, nothing else.
 * Returns how many documents it deleted.
 */
export async function deleteAppRow(
  ctx: MutationCtx,
  authUserId: Id<"auth_users">,
): Promise<number> {
  let deleted = 0;
  for (const template of STARTER_TEMPLATES) {
    const owned = await ctx.db
      .query("starter_templates")
      .withIndex("by_owner_id_and_key", (q) =>
        q.eq("owner_id", authUserId).eq("key", template.key),
      )
      .take(PER_ACCOUNT_LIMIT);
    for (const row of owned) {
      await ctx.db.delete("starter_templates", row._id);
      deleted++;
    }
  }
  if ((await ctx.db.get("auth_users", authUserId)) !== null) {
    await ctx.db.delete("auth_users", authUserId);
    deleted++;
  }
  return deleted;
}

/**
 * Deletes the verification codes of every auth account of a user: codes
 * already issued (an OAuth callback's, an emailed one) would otherwise still
 * become a session. With `deleteAccounts`, the accounts go too. Returns how
 * many documents it deleted.
 */
async function revokePendingSignIns(
  ctx: MutationCtx,
  userId: Id<"users">,
  options: { deleteAccounts: boolean },
): Promise<number> {
  let deleted = 0;
  const accounts = await ctx.db
    .query("authAccounts")
    .withIndex("userIdAndProvider", (q) => q.eq("userId", userId))
    .take(PER_ACCOUNT_LIMIT);
  for (const account of accounts) {
    const codes = await ctx.db
      .query("authVerificationCodes")
      .withIndex("accountId", (q) => q.eq("accountId", account._id))
      .take(PER_ACCOUNT_LIMIT);
    for (const code of codes) {
      await ctx.db.delete("authVerificationCodes", code._id);
      deleted++;
    }
    if (options.deleteAccounts) {
      await ctx.db.delete("authAccounts", account._id);
      deleted++;
    }
  }
  return deleted;
}

/**
 * Sets an account's status on both tables. Suspending also ends every
 * session (Convex Auth's own invalidateSessions) and revokes codes already
 * issued, and the sign-in callback refuses the account's next sign-in.
 *
 * @example await setAccountStatus(ctx, user, "suspended");
 */
export async function setAccountStatus(
  ctx: MutationCtx,
  userId: Id<"users">,
  status: AccountStatus,
): Promise<void> {
  const user = await ctx.db.get("users", userId);
  if (user === null) throw new Error(`users ${userId} not found`);
  const { authUser } = await ensurePair(
    ctx,
    user,
    { status },
    {
      now: Date.now(),
    },
  );
  // A user with no pair yet (a sign-in never completed) keeps it on `users`,
  // which the sign-in checks too.
  if (authUser === null && user.status !== status) {
    await ctx.db.patch("users", userId, { status });
  }
  if (status === "suspended") await endSignIns(ctx, userId);
}

/**
 * Ends everything of a suspended user that is or could become a session:
 * sessions with their refresh tokens, and verification codes already issued
 * (a sign-in under way when the account was suspended).
 */
export async function endSignIns(
  ctx: MutationCtx,
  userId: Id<"users">,
): Promise<void> {
  await endSessions(ctx, userId);
  await revokePendingSignIns(ctx, userId, { deleteAccounts: false });
}

/**
 * Ends every session of a user, with their refresh tokens, through Convex
 * Auth's own invalidateSessions.
 */
export async function endSessions(
  ctx: MutationCtx,
  userId: Id<"users">,
): Promise<void> {
  await ctx.runMutation(internal.auth.store, {
    args: { type: "invalidateSessions", userId },
  });
}
