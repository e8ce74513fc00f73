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
import { ensurePair } from "./syncCore";
import type { AccountStatus } from "./validators";

/** Upper bound on the rows of one kind a single account may hold. */
const PER_ACCOUNT_LIMIT = 100;

/**
 * Deletes an account across both tables and Convex Auth's tables: the
 * `users` row, every `auth_users` row paired with it, their starter
 * templates, and the user's auth accounts, verification codes, sessions and
 * refresh tokens. Either id may be missing or already deleted; deleting
 * twice is harmless. Returns how many documents it deleted.
 *
 * @example await deleteAccountData(ctx, { userId });
 */
export async function deleteAccountData(
  ctx: MutationCtx,
  target: { userId?: Id<"users">; authUserId?: Id<"auth_users"> },
): Promise<number> {
  let deleted = 0;
  const authUserIds = new Set<Id<"auth_users">>();
  let userId = target.userId;

  // 1. Everything that names the account, from either side.
  if (target.authUserId !== undefined) {
    authUserIds.add(target.authUserId);
    const row = await ctx.db.get("auth_users", target.authUserId);
    userId ??= row?.convex_user_id;
  }
  if (userId !== undefined) {
    const user = await ctx.db.get("users", userId);
    if (user?.auth_user_id !== undefined) authUserIds.add(user.auth_user_id);
    const pointing = await ctx.db
      .query("auth_users")
      .withIndex("by_convex_user_id", (q) => q.eq("convex_user_id", userId))
      .take(PER_ACCOUNT_LIMIT);
    for (const row of pointing) authUserIds.add(row._id);
  }

  // 2. App rows: templates, then the auth_users rows.
  for (const authUserId of authUserIds) {
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
  }
  if (userId === undefined) return deleted;

  // 3. Convex Auth's rows: sessions and refresh tokens through its own
  //    implementation, then accounts and their verification codes.
  await endSessions(ctx, userId);
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
    await ctx.db.delete("authAccounts", account._id);
    deleted++;
  }

  // 4. The users row last.
  if ((await ctx.db.get("users", userId)) !== null) {
    await ctx.db.delete("users", userId);
    deleted++;
  }
  return deleted;
}

/**
 * Sets an account's status on both tables. Suspending also ends every
 * session (Convex Auth's own invalidateSessions), and the sign-in callback
 * refuses the account's next sign-in.
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
  await ensurePair(ctx, user, { status }, { now: Date.now() });
  if (status === "suspended") await endSessions(ctx, userId);
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
