/**
 * Validators and types of the sync's own tables and results, shared by the
 * schema helpers and the functions' `returns`.
 */
import { type Infer, v } from "convex/values";

/**
 * Who set a value the user may choose (a `chosenBy` field): "user" once the
 * user chose it in the app, from then on the app's value wins.
 */
export const fieldSourceValidator = v.union(
  v.literal("provider"),
  v.literal("user"),
);
export type FieldSource = Infer<typeof fieldSourceValidator>;

/** Account status; absent means active. Suspended accounts cannot sign in. */
export const accountStatusValidator = v.union(
  v.literal("active"),
  v.literal("suspended"),
);
export type AccountStatus = Infer<typeof accountStatusValidator>;

/** Cases the sync records for an operator instead of guessing. */
export const reviewKindValidator = v.union(
  // Two or more unlinked app rows share the user's verified email.
  v.literal("ambiguous_email"),
  // An unverified email matches an unlinked app row of someone else.
  v.literal("unverified_email_match"),
  // A one-sided or conflicting pointer: it was neither followed nor repaired.
  v.literal("reference_conflict"),
  // Two app rows point at one user.
  v.literal("duplicate_counterpart"),
  // The sign-in sync threw; the sign-in went ahead without it.
  v.literal("sign_in_sync_failed"),
  // A bulk run failed on this row every time; it was skipped.
  v.literal("row_sync_failed"),
  // A user with a row of their own verified the address of an unlinked
  // legacy row; the two were not merged.
  v.literal("verified_legacy_match"),
  // A second account proved an address another account's row holds
  // verified; Convex Auth keeps them apart.
  v.literal("duplicate_account"),
  // The v1 -> v2 move left one of a user's v1 identities in place (an
  // account naming another user, an address not the user's, an account
  // v2 gives another user, ...): it names no app row, so a person fixes v1
  // and dismisses it; the next run moves what is then sound.
  v.literal("v2_move_identity"),
);
export type ReviewKind = Infer<typeof reviewKindValidator>;

/** How a person resolved a case of `sync_reviews` (see resolutions.ts). */
export const resolutionValidator = v.union(
  // The user and the row were confirmed to belong together and linked.
  v.literal("link"),
  // The two never link automatically again.
  v.literal("keep_separate"),
  // A row in no pair was deleted (its field names, never its values, in
  // the audit log).
  v.literal("retire"),
  // Nothing to do: the case is closed as it is.
  v.literal("dismiss"),
);
export type Resolution = Infer<typeof resolutionValidator>;

/** What a resolution will write, before it does (see previewResolution). */
export const resolutionPreviewValidator = v.object({
  resolution: resolutionValidator,
  summary: v.string(),
  effects: v.array(
    v.object({
      kind: v.union(
        v.literal("delete"),
        v.literal("change"),
        v.literal("create"),
      ),
      table: v.string(),
      id: v.optional(v.string()),
      summary: v.string(),
      fields: v.optional(
        v.array(
          v.object({
            field: v.string(),
            before: v.optional(v.any()),
            after: v.optional(v.any()),
          }),
        ),
      ),
      doc: v.optional(v.any()),
      appData: v.optional(v.any()),
    }),
  ),
  // Whether the audit entry keeps the note (not when a row is deleted).
  keepsNote: v.boolean(),
});

/** A case for review, as stored (see schema.ts). */
export const syncReviewFields = {
  kind: reviewKindValidator,
  // One row per case: a repeated report writes nothing.
  key: v.string(),
  user_id: v.optional(v.id("users")),
  row_ids: v.array(v.string()),
  email: v.optional(v.string()),
  detail: v.string(),
  first_seen_at: v.number(),
  // Set by a resolution (never by the sync itself), with how and by whom.
  resolved_at: v.optional(v.number()),
  resolution: v.optional(resolutionValidator),
  resolved_by: v.optional(v.string()),
  note: v.optional(v.string()),
};
export const syncReviewValidator = v.object({
  _id: v.id("sync_reviews"),
  _creationTime: v.number(),
  ...syncReviewFields,
});
export type SyncReview = Infer<typeof syncReviewValidator>;

/** One field of one document an audited command changed. */
export const auditChangeValidator = v.object({
  table: v.string(),
  id: v.string(),
  field: v.string(),
  // Absent: the field was absent (or the document did not exist) on that side.
  before: v.optional(v.any()),
  after: v.optional(v.any()),
});
export type AuditChange = Infer<typeof auditChangeValidator>;

/** One entry of the audit log (`sync_audit`). */
export const auditEntryFields = {
  // What was done: "resolve:link", "admin:setStatus", "run:start", …
  action: v.string(),
  // Who: "users:<id> <email>" for a signed-in administrator, "operator
  // (CLI)" for an internal function run from the CLI or the dashboard.
  actor: v.string(),
  actor_user_id: v.optional(v.id("users")),
  // The ids it named or touched, and the case it resolved, if any.
  ids: v.array(v.string()),
  review_id: v.optional(v.id("sync_reviews")),
  // The fields before and after, one entry per changed field.
  changes: v.array(auditChangeValidator),
  // More changes than one entry keeps were made; the first ones are kept.
  truncated: v.optional(v.boolean()),
  summary: v.string(),
  // The entry keeps no values: its command erased a person, or a later
  // erasure of a person it named scrubbed it (see erasure.ts).
  erased: v.optional(v.boolean()),
  at: v.number(),
};
export const auditEntryValidator = v.object({
  _id: v.id("sync_audit"),
  _creationTime: v.number(),
  ...auditEntryFields,
});
export type AuditEntry = Infer<typeof auditEntryValidator>;

/** One person's data, as an export returns it (see erasure.ts). */
export const personDataValidator = v.object({
  // The `users` document and the app row, as stored.
  user: v.union(v.null(), v.any()),
  row: v.union(v.null(), v.any()),
  // The sign-in methods: which provider, under which account id (never a
  // secret).
  accounts: v.array(
    v.object({ provider: v.string(), providerAccountId: v.string() }),
  ),
  // The app's own data of the row, from its exportRow hook (null without).
  app: v.any(),
});
export type PersonData = Infer<typeof personDataValidator>;

/** What one sync step did to a pair. */
export const syncOutcomeValidator = v.union(
  // Already consistent: nothing written.
  v.literal("unchanged"),
  // References or mirrored fields fixed.
  v.literal("repaired"),
  // Paired with an existing unlinked row by verified email.
  v.literal("linked"),
  // A new app row was created for a user.
  v.literal("created"),
  // An app row waits for its owner's next sign-in.
  v.literal("pending"),
  // Not resolved automatically: recorded in sync_reviews.
  v.literal("conflict"),
);
export type SyncOutcome = Infer<typeof syncOutcomeValidator>;

/** The result of a manual sync of one pair. */
export const syncResultValidator = v.object({
  outcome: syncOutcomeValidator,
  userId: v.union(v.id("users"), v.null()),
  /** The app row's id. */
  rowId: v.union(v.string(), v.null()),
  changes: v.array(v.string()),
});

/** Database work of one transaction, from ctx.meta.getTransactionMetrics(). */
export const metricsFields = {
  documentsRead: v.number(),
  databaseQueries: v.number(),
  documentsWritten: v.number(),
  bytesRead: v.number(),
  bytesWritten: v.number(),
};
export const metricsValidator = v.object(metricsFields);
export type Metrics = Infer<typeof metricsValidator>;

/** What one page of a sync run did and cost. */
export const pageReportValidator = v.object({
  ...metricsFields,
  rows: v.number(),
  // The page ended before its last row because the budget ran low.
  stoppedEarly: v.boolean(),
});
export type PageReport = Infer<typeof pageReportValidator>;

/**
 * The costliest page of a run (or a worker): the one page that used the
 * largest share of a transaction's limits (`share`, 0 to 1: its highest
 * measure's used / limit), with what it read, queried and wrote, and its
 * phase. One page, where max_page holds each measure's maximum over pages.
 */
export const costliestPageValidator = v.object({
  ...metricsFields,
  rows: v.number(),
  stoppedEarly: v.boolean(),
  share: v.number(),
  phase: v.string(),
});
export type CostliestPage = Infer<typeof costliestPageValidator>;

export const syncRunCountsValidator = v.object({
  checked: v.number(),
  unchanged: v.number(),
  repaired: v.number(),
  linked: v.number(),
  created: v.number(),
  pending: v.number(),
  needingReview: v.number(),
});
export type SyncRunCounts = Infer<typeof syncRunCountsValidator>;

export const syncRunStatusValidator = v.union(
  v.literal("running"),
  v.literal("completed"),
  v.literal("failed"),
);

/**
 * Where a run stands: the name of a phase of its plan (see runs/runner.ts),
 * by default "unlinked" (the unlinked rows) then "pairs" (both tables
 * merged in user-id order, see merge.ts). Any name, so a new phase needs no
 * schema change; "rows" and "users" are the phases of runs made before the
 * merge (each table in turn), still valid.
 */
export const syncRunPhaseValidator = v.string();

/** A bulk sync run (see engine.ts); shared by schema and returns. */
export const syncRunFields = {
  name: v.string(),
  status: syncRunStatusValidator,
  dry_run: v.boolean(),
  // The page size asked for, and the one in use after budget-driven shrinking.
  page_size: v.number(),
  current_page_size: v.number(),
  // Each phase is split among workers (sync_run_workers), each with its
  // own cursor; `cursor` is null on runs made since (it held the one
  // cursor of runs made before).
  phase: syncRunPhaseValidator,
  // The phases the run goes through, in order; absent on runs made before
  // plans, which went through "unlinked" then "pairs".
  plan: v.optional(v.array(v.string())),
  cursor: v.union(v.string(), v.null()),
  // Workers of the current phase (absent on runs made before workers).
  workers: v.optional(v.number()),
  // What the run did, summed over the workers of the phases it finished
  // (getRun adds the current phase's workers while it runs).
  counts: syncRunCountsValidator,
  pages: v.number(),
  // Pages that ended before their last row because the budget ran low.
  early_stops: v.number(),
  // Rows that failed on every attempt: recorded for review and passed over.
  skipped: v.optional(v.number()),
  // The scheduled job of the next page: a run whose job failed outright
  // (so it could not record its own failure) is recognized as such.
  next_job_id: v.optional(v.id("_scheduled_functions")),
  // The job that watches for such failures while the run is running.
  supervisor_job_id: v.optional(v.id("_scheduled_functions")),
  totals: metricsValidator,
  last_page: v.optional(pageReportValidator),
  max_page: v.optional(metricsValidator),
  // The one page that used the largest share of a transaction's limits
  // (absent on runs made before it was recorded).
  costliest_page: v.optional(costliestPageValidator),
  // The longest chain of transactions that ran one after another: the start,
  // then the most pages of any one worker, phase by phase.
  critical_path: v.optional(v.number()),
  started_at: v.number(),
  // When a failed run was last resumed: its life since then is what the
  // health check times (a resumed run is not stalled for its old hours).
  resumed_at: v.optional(v.number()),
  // Rows the run is expected to check (both tables), for a progress bar:
  // the last completed run's count, or what the starter passed. Only an
  // estimate: counting the tables would read them whole.
  estimate: v.optional(v.number()),
  finished_at: v.optional(v.number()),
  last_error: v.optional(v.string()),
};
export const syncRunValidator = v.object({
  _id: v.id("sync_runs"),
  _creationTime: v.number(),
  ...syncRunFields,
});
export type SyncRun = Infer<typeof syncRunValidator>;

/** The phase a worker works in: a name in its run's plan. */
export const workerPhaseValidator = v.string();

/**
 * One worker of a run's phase: a chain of pages over one key range of the
 * order the phase reads in (creation times of unlinked rows; user ids).
 */
export const syncRunWorkerFields = {
  run_id: v.id("sync_runs"),
  phase: workerPhaseValidator,
  worker: v.number(),
  // The range: after `lower`, up to and including `upper`; null is open.
  lower: v.union(v.null(), v.number(), v.string()),
  upper: v.union(v.null(), v.number(), v.string()),
  status: syncRunStatusValidator,
  dry_run: v.boolean(),
  page_size: v.number(),
  current_page_size: v.number(),
  // Where the worker stands in its range (JSON; see merge.ts).
  cursor: v.union(v.string(), v.null()),
  counts: syncRunCountsValidator,
  pages: v.number(),
  early_stops: v.number(),
  skipped: v.number(),
  next_job_id: v.optional(v.id("_scheduled_functions")),
  totals: metricsValidator,
  last_page: v.optional(pageReportValidator),
  max_page: v.optional(metricsValidator),
  costliest_page: v.optional(costliestPageValidator),
  last_error: v.optional(v.string()),
};
export const syncRunWorkerValidator = v.object({
  _id: v.id("sync_run_workers"),
  _creationTime: v.number(),
  ...syncRunWorkerFields,
});
export type SyncRunWorker = Infer<typeof syncRunWorkerValidator>;
