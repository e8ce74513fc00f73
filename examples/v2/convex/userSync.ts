/**
 * The sync's functions for this app (convex-auth-user-sync builds them from
 * the declaration in convex/sync.ts with this app's raw builders): Convex
 * Auth v2's user callbacks, which convex/auth.ts gives every sign-in
 * method, and the operator's entry points.
 *
 * @example npx convex run userSync:syncAllUsers
 * @example npx convex run userSync:findUser '{"email":"ada@example.com"}'
 */
import { internalAction, internalQuery } from "./_generated/server";
import { internalSyncMutation } from "./functions";
import { userSync } from "./sync";

/** Convex Auth v2's callbacks: every method's `attachUserCallbacks`. */
export const { createUser, onSignIn } = userSync.convexAuthV2Callbacks({
  internalMutation: internalSyncMutation,
});

export const {
  completeSignIn,
  endSessions,
  expireSignUp,
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
  foldStatus,
  startFoldPhase,
  rollbackFoldPhase,
  startV2Move,
  v2MoveStatus,
  rollbackV2Move,
} = userSync.functions({
  internalMutation: internalSyncMutation,
  internalQuery,
  internalAction,
});
