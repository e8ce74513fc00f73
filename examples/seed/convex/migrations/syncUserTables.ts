/**
 * The migration that brings an existing deployment to a consistent state:
 * cross-references for users and auth_users rows that predate the sync,
 * repairs of dangling and one-sided references and drifted fields. Safe to
 * run again at any time; a run over consistent tables writes nothing to them.
 *
 * @example npx convex run migrations/syncUserTables:syncUserTables
 * @example npx convex run migrations/syncUserTables:syncUserTables '{"dryRun":true}'
 */
import { internalSyncMutation } from "../functions";
import { startRunArgs, syncRunValidator } from "convex-auth-user-sync";
import { userSync } from "../sync";

export const syncUserTables = internalSyncMutation({
  args: startRunArgs,
  returns: syncRunValidator,
  handler: async (ctx, args) =>
    await userSync.startRun(ctx, "syncUserTables", args),
});
