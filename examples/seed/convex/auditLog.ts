/**
 * The audit log's jobs, built by convex-auth-user-sync (see crons.ts):
 * its retention and the history's (resolved cases, finished runs), the
 * continuation of an erasure whose person has more
 * entries than one transaction scrubs, and the one-time index of entries
 * written before erasures could find them.
 *
 * @example npx convex run auditLog:purgeAuditLog '{"days":365}'
 */
import { internalSyncMutation } from "./functions";
import { userSync } from "./sync";

export const {
  purgeAuditLog,
  purgeHistory,
  eraseAuditTraces,
  indexAuditSubjects,
} = userSync.auditFunctions({
  internalMutation: internalSyncMutation,
});
