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
  actorOf,
  adminSyncMutation,
  internalQuery,
  internalSyncMutation,
} from "./functions";
import { cleanEmail } from "./inputs";
import {
  type Actor,
  CLI_ACTOR,
  singleTable,
  startRunArgs,
  type SyncResult,
  type Target,
} from "convex-auth-user-sync";
import { userSync } from "./sync";
import {
  findPairByEmail,
  getRowOrThrow,
  loadPairById,
  pairTargets,
} from "./userLookup";
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
 * A manual sync, recorded in the audit log: the pair it starts from (joined
 * as a sync would link it) before and after, and any row it created.
 */
async function auditedSync(
  ctx: MutationCtx,
  actor: Actor,
  action: string,
  id: string,
  sync: () => Promise<SyncResult>,
): Promise<SyncResult> {
  const pair = await loadPairById(ctx, id, { join: true });
  return await userSync.audited(
    ctx,
    {
      action,
      actor,
      targets: pair === null ? [] : pairTargets(pair),
      summary: (result) =>
        `Synced: ${result.outcome}${result.changes.length > 0 ? ` (${result.changes.join("; ")})` : ""}`,
    },
    sync,
    (result) => {
      const made: Target[] = [];
      if (result.userId !== null) {
        made.push({ table: "users", id: result.userId });
      }
      if (result.rowId !== null) {
        made.push({ table: "auth_users", id: result.rowId });
      }
      return made;
    },
  );
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
    await auditedSync(
      ctx,
      actorOf(ctx.caller),
      "userSync:syncAuthUserToConvexUser",
      authUserId,
      () => syncFromAuthUserId(ctx, authUserId),
    ),
});

/**
 * Administrators: brings a user's pair into agreement, copying the
 * provider-owned values to auth_users; links or creates the counterpart if
 * missing.
 */
export const syncConvexUserToAuthUser = adminSyncMutation({
  args: { userId: v.string() },
  returns: syncResultValidator,
  handler: async (ctx, { userId }) =>
    await auditedSync(
      ctx,
      actorOf(ctx.caller),
      "userSync:syncConvexUserToAuthUser",
      userId,
      () => syncFromUserId(ctx, userId),
    ),
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
    const id = (userId ?? authUserId)!;
    return await auditedSync(ctx, CLI_ACTOR, "userSync:syncUser", id, () =>
      userId !== undefined
        ? syncFromUserId(ctx, userId)
        : syncFromAuthUserId(ctx, authUserId!),
    );
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

/**
 * The nightly health run (crons.ts): a run over every pair while both
 * tables are written. Once auth_users is no longer written (single-table
 * mode, the fold's stage writes_stopped on) there is no pair to heal and
 * syncAllUsers refuses: nothing is started and this returns null (the
 * fold's verify run checks the tables instead, docs/fold.md).
 */
export const nightlyHealthRun = internalSyncMutation({
  args: {},
  returns: v.union(v.null(), syncRunValidator),
  handler: async (ctx) => {
    if ((await singleTable(ctx)).on) return null;
    return await userSync.startRun(ctx, "syncAllUsers", {});
  },
});
