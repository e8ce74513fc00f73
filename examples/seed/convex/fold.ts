/**
 * The way out of two tables (docs/fold.md): the operator's commands of the
 * fold, phase by phase. Built with the raw builders: the fold's runs write
 * through the field map and must not run the app's triggers.
 *
 * @example npx convex run fold:startFoldPhase '{"phase":"expand"}'
 */
import { internalQuery, internalSyncMutation } from "./functions";
import { userSync } from "./sync";

export const { foldStatus, startFoldPhase, rollbackFoldPhase } =
  userSync.foldFunctions({
    internalMutation: internalSyncMutation,
    internalQuery,
  });
