/**
 * Scheduled jobs. The audit log keeps entries for AUDIT_RETENTION_DAYS, the
 * sync's history (resolved cases, finished runs) for HISTORY_RETENTION_DAYS:
 * every night the retention jobs delete older ones (a page per
 * transaction, scheduling themselves for the rest). Every night a health
 * run checks and heals both tables; an operator's monitor reads its outcome
 * with `syncEngine:health` (see docs/deploy.md).
 */
import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

/** How long the audit log keeps an entry. */
export const AUDIT_RETENTION_DAYS = 365;

/** How long resolved cases and finished runs are kept. */
export const HISTORY_RETENTION_DAYS = 90;

const crons = cronJobs();

crons.daily(
  "purge the audit log",
  { hourUTC: 3, minuteUTC: 17 },
  internal.auditLog.purgeAuditLog,
  { days: AUDIT_RETENTION_DAYS },
);

crons.daily(
  "purge resolved cases and finished runs",
  { hourUTC: 3, minuteUTC: 37 },
  internal.auditLog.purgeHistory,
  { days: HISTORY_RETENTION_DAYS },
);

// The health run: finds and heals drift (dashboard edits, imports, a sign-in
// whose sync failed), and records for review what it cannot decide. The
// default page size (100) and workers (following the last run's size) fit
// any deployment; a monitor alerts on `syncEngine:health`. Once the fold
// stops writing auth_users, it starts nothing (userSync:nightlyHealthRun).
crons.daily(
  "health run",
  { hourUTC: 4, minuteUTC: 7 },
  internal.userSync.nightlyHealthRun,
  {},
);

export default crons;
