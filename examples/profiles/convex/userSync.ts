/**
 * The sync's functions for this app (convex-auth-user-sync builds them from
 * the declaration in convex/sync.ts with this app's raw builders), and the
 * operator's entry points: the library's operator commands among them.
 *
 * @example npx convex run userSync:syncAllUsers
 * @example npx convex run userSync:summary
 * @example npx convex run userSync:findUser '{"email":"ada@example.com"}'
 * @example npx convex run userSync:openCases '{"paginationOpts":{"numItems":10,"cursor":null}}'
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
  findUser,
  suspend,
  reactivate,
  deleteAccount,
  deleteRow,
  syncUser,
  openCases,
  resolveCase,
  auditLog,
  // The fold into one table (docs/fold.md), phase by phase:
  // npx convex run userSync:startFoldPhase '{"phase":"expand"}'
  foldStatus,
  startFoldPhase,
  rollbackFoldPhase,
} = userSync.functions({
  internalMutation: internalSyncMutation,
  internalQuery,
  internalAction,
});
