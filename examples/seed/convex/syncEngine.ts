/**
 * The bulk engine behind `migrations/syncUserTables` and
 * `userSync:syncAllUsers` (convex-auth-user-sync's, built with this app's
 * raw builders: the sync's writes must not run the app's triggers).
 *
 * @example npx convex run syncEngine:getRun
 * @example npx convex run syncEngine:resumeRun '{"runId":"...","pageSize":20}'
 * @example npx convex run syncEngine:adoptAppReferences
 * @example npx convex run syncEngine:health
 */
import { internalQuery, internalSyncMutation } from "./functions";
import { userSync } from "./sync";

export const {
  runPage,
  processPage,
  supervise,
  resumeRun,
  getRun,
  plannedChanges,
  health,
} = userSync.engineFunctions({
  internalMutation: internalSyncMutation,
  internalQuery,
});

// Once, for rows that named their users before the users side did (see
// convex-auth-user-sync's referenceFunctions).
export const { adoptAppReferences } = userSync.referenceFunctions({
  internalMutation: internalSyncMutation,
});
