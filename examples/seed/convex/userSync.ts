/**
 * Manual sync utilities. Operators run the internal ones from the CLI, e.g.
 * `npx convex run userSync:syncUser '{"userId":"..."}'`; the public ones are
 * for administrators signed in to the app.
 *
 * Whichever side a sync starts from, the result is the field map's: each
 * field goes the way its owner says (the field map of convex/sync.ts).
 */
import { v } from "convex/values";
import type { MutationCtx } from "./_generated/server";
import { appError } from "./errors";
import {
  adminSyncMutation,
  internalQuery,
  internalSyncMutation,
} from "./functions";
import { cleanEmail } from "./inputs";
import { startRunArgs, type SyncResult } from "convex-auth-user-sync";
import { userSync } from "./sync";
import { findPairByEmail, getRowOrThrow } from "./userLookup";
import { toUnifiedUser } from "./userViews";
import {
  syncResultValidator,
  syncRunValidator,
  unifiedUserValidator,
} from "./validators";

async function syncFromAuthUserId(
  ctx: MutationCtx,
  rawId: string,
): Promise<SyncResult> {
  const authUser = await getRowOrThrow(ctx, "auth_users", rawId);
  return await userSync.syncFromRow(ctx, authUser);
}

async function syncFromUserId(
  ctx: MutationCtx,
  rawId: string,
): Promise<SyncResult> {
  const user = await getRowOrThrow(ctx, "users", rawId);
  const { outcome, changes, rowId } = await userSync.ensurePair(ctx, user, {});
  return { outcome, changes, rowId, userId: user._id };
}

/**
 * Administrators: brings the pair of an auth_users row into agreement,
 * pushing the values auth_users owns (chosen name and avatar, references)
 * to `users`; links an unlinked row to the one user with its verified email.
 *
 * @example await syncAuthUserToConvexUser({ authUserId });
 */
export const syncAuthUserToConvexUser = adminSyncMutation({
  args: { authUserId: v.string() },
  returns: syncResultValidator,
  handler: async (ctx, { authUserId }) =>
    await syncFromAuthUserId(ctx, authUserId),
});

/**
 * Administrators: brings a user's pair into agreement, copying the
 * provider-owned values to auth_users; links or creates the counterpart if
 * missing.
 */
export const syncConvexUserToAuthUser = adminSyncMutation({
  args: { userId: v.string() },
  returns: syncResultValidator,
  handler: async (ctx, { userId }) => await syncFromUserId(ctx, userId),
});

/**
 * Operators: the same as the two functions above, from the CLI. Pass exactly
 * one of `userId` or `authUserId`.
 *
 * @example npx convex run userSync:syncUser '{"authUserId":"..."}'
 */
export const syncUser = internalSyncMutation({
  args: {
    userId: v.optional(v.string()),
    authUserId: v.optional(v.string()),
  },
  returns: syncResultValidator,
  handler: async (ctx, { userId, authUserId }) => {
    if ((userId === undefined) === (authUserId === undefined)) {
      throw appError(
        "INVALID_ARGUMENT",
        "Pass exactly one of userId or authUserId",
      );
    }
    return userId !== undefined
      ? await syncFromUserId(ctx, userId)
      : await syncFromAuthUserId(ctx, authUserId!);
  },
});

/**
 * Operators: a user by email, found through either table, with everything
 * both tables hold.
 *
 * @example npx convex run userSync:getUserByEmail '{"email":"ada@example.com"}'
 */
export const getUserByEmail = internalQuery({
  args: { email: v.string() },
  returns: v.union(v.null(), unifiedUserValidator),
  handler: async (ctx, args) => {
    const pair = await findPairByEmail(ctx, cleanEmail(args.email));
    return pair === null ? null : toUnifiedUser(pair);
  },
});

/**
 * Operators: syncs every pair, in batches (the same engine as the
 * migration). Returns the run; follow it with `syncEngine:getRun`.
 *
 * @example npx convex run userSync:syncAllUsers '{"pageSize":200}'
 */
export const syncAllUsers = internalSyncMutation({
  args: startRunArgs,
  returns: syncRunValidator,
  handler: async (ctx, args) =>
    await userSync.startRun(ctx, "syncAllUsers", args),
});
