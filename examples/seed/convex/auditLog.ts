/**
 * The audit log's jobs, built by convex-auth-user-sync (see crons.ts):
 * its retention, and the continuation of an erasure whose person has more
 * entries than one transaction scrubs.
 *
 * @example npx convex run auditLog:purgeAuditLog '{"days":365}'
 */
import { internalSyncMutation } from "./functions";
import { userSync } from "./sync";

export const { purgeAuditLog, eraseAuditTraces } = userSync.auditFunctions({
  internalMutation: internalSyncMutation,
});
