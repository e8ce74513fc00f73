/**
 * `convex-auth-user-sync/internals`: the building blocks behind the public
 * surface, for an app that builds its own console or commands on them, and
 * for the library's own tests and examples: audit recording and snapshots,
 * case versions and field diffs, the limits and page sizes, the sync's
 * table fields and every validator. Not needed to adopt the sync; less
 * stable than the root entry point.
 */
export {
  auditPage,
  changesBetween,
  MAX_AUDIT_PAGE,
  MAX_AUDIT_VALUE,
  recordAudit,
  recordingDb,
  snapshot,
} from "./audit.js";
export {
  ERASE_PAGE,
  ERASED_TEXT,
  PURGE_PAGE,
  type ErasedPeople,
} from "./erasure.js";
export {
  AUDITED_AUTH_FIELDS,
  boundAuditValue,
  caseVersion,
  diffDoc,
  MAX_AUDIT_CHANGES,
} from "./casePolicy.js";
export { MAX_CASE_ROWS, MAX_CASES_PAGE } from "./resolutions.js";
export {
  DEFAULT_MAX_WORKERS,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  MAX_WORKERS,
  SUPERVISE_EVERY_MS,
} from "./engine.js";
export { driftKindValidator } from "./driftReport.js";
export { HEALTH_CASES_CAP, RUN_STALLED_AFTER_MS } from "./health.js";
// The sign-in's check of an address held by a suspended record (single-table
// mode: pass the mode the caller read).
export { CASCADE_SCAN, suspendedHolder } from "./suspension.js";
export { verificationClaim } from "./policy.js";
// The app row a user stands for once the fold switched reads (docs/fold.md):
// for an app's own views and for the conformance suite.
export { virtualRow } from "./fold/virtualRow.js";
export { HISTORY_PURGE_PAGE } from "./retention.js";
export { isReviewChange, reviewKey } from "./steps.js";
export * from "./validators.js";
