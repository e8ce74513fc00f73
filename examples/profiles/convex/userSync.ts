/**
 * The sync's functions for this app (convex-auth-user-sync builds them from
 * the declaration in convex/sync.ts with this app's raw builders), and the
 * operator's entry points.
 *
 * @example npx convex run userSync:syncAllUsers
 * @example npx convex run userSync:summary
 */
import { internalAction, internalQuery } from "./_generated/server";
import { internalSyncMutation } from "./functions";
import { userSync } from "./sync";

export const {
  completeSignIn,
  endSessions,
  runPage,
  processPage,
  supervise,
  resumeRun,
  getRun,
  plannedChanges,
  health,
  syncAllUsers,
  page,
  summary,
  purgeAuditLog,
  purgeHistory,
  eraseAuditTraces,
  indexAuditSubjects,
} = userSync.functions({
  internalMutation: internalSyncMutation,
  internalQuery,
  internalAction,
});
