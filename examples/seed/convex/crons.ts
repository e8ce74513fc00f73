/**
 * Scheduled jobs. The audit log keeps entries for AUDIT_RETENTION_DAYS:
 * every night the retention job deletes older ones (a page per
 * transaction, scheduling itself for the rest).
 */
import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

/** How long the audit log keeps an entry. */
export const AUDIT_RETENTION_DAYS = 365;

const crons = cronJobs();

crons.daily(
  "purge the audit log",
  { hourUTC: 3, minuteUTC: 17 },
  internal.auditLog.purgeAuditLog,
  { days: AUDIT_RETENTION_DAYS },
);

export default crons;
