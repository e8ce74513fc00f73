/**
 * The retention of the sync's own history, beside the audit log's
 * (erasure.ts, purgeAuditLog): resolved review cases and finished bulk runs
 * older than a number of days, with every record a run left (its workers, a
 * dry run's planned changes and planned keys). Open cases, running runs,
 * the latest run and the latest completed run are never purged: the queue
 * is what a person still has to decide, and the engine reads the last runs
 * (one run at a time, the next run's estimate and worker count).
 *
 * Kept on purpose: `sync_separations` (a person's decision, bounded by the
 * decisions people make; erased with the person), and the audit log, whose
 * retention is purgeAuditLog's.
 */
import {
  type GenericDataModel,
  type GenericMutationCtx,
  type IndexRange,
  makeFunctionReference,
} from "convex/server";
import type { GenericId } from "convex/values";
import { byIndex, deleteDocs } from "./db.js";
import type { Shape } from "./declaration.js";
import { appError } from "./errors.js";
import { MAX_MOVE_RUNS, V2_MOVE_RUN } from "./tableNames.js";

type MutationCtx = GenericMutationCtx<GenericDataModel>;

/** Documents deleted per transaction by the history's retention job. */
export const HISTORY_PURGE_PAGE = 200;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The time before which a retention job deletes: `days` whole days ago
 * (INVALID_ARGUMENT for anything else, before any write). Shared by the
 * history's retention and the audit log's (erasure.ts).
 */
export function retentionCutoff(days: number): number {
  if (!Number.isInteger(days) || days < 1) {
    throw appError(
      "INVALID_ARGUMENT",
      "days must be a whole number of days, at least 1",
    );
  }
  return Date.now() - days * DAY_MS;
}

/** The tables a run leaves records in, each with its index by run. */
const RUN_RECORDS = [
  ["sync_run_workers", "by_run_id_and_phase_and_worker"],
  ["sync_run_changes", "by_run_id_and_page"],
  ["sync_run_planned_keys", "by_run_id_and_email_and_legacy"],
] as const;

type Doc = { _id: string; _creationTime: number };

type ByCreationTime = {
  lt(field: "_creationTime", value: number): IndexRange;
};

/**
 * Deletes up to HISTORY_PURGE_PAGE documents of the sync's history older
 * than `days` days: resolved cases (by `resolved_at`, oldest first), then
 * finished runs (by start, oldest first) with their records, a run's
 * records before the run itself; the latest run, the latest completed one
 * and the v1 -> v2 move's real runs are kept. Schedules itself (`modules.audit`'s
 * purgeHistory) while there is more.
 *
 * A dismissed case that is purged no longer holds its key, so drift a
 * person dismissed is recorded again if it is still there: after the
 * retention period, someone looks again.
 *
 * @example await purgeHistory(ctx, shape, 90);
 */
export async function purgeHistory(
  ctx: MutationCtx,
  shape: Shape,
  days: number,
): Promise<{ deleted: number; more: boolean }> {
  const cutoff = retentionCutoff(days);
  let budget = HISTORY_PURGE_PAGE;

  // 1. Resolved cases, oldest resolution first (open ones have no
  //    resolved_at and sort before every number).
  const cases = (await ctx.db
    .query("sync_reviews")
    .withIndex("by_resolved_at", (q) =>
      q.gte("resolved_at", 0).lt("resolved_at", cutoff),
    )
    .take(budget)) as Doc[];
  budget -= await deleteDocs(ctx, "sync_reviews", cases);

  // 2. Finished runs, but the latest, the latest completed one and the
  //    move's.
  const keep = new Set<string>();
  const latest = (await ctx.db
    .query("sync_runs")
    .order("desc")
    .first()) as Doc | null;
  if (latest !== null) keep.add(latest._id);
  const lastCompleted = (await ctx.db
    .query("sync_runs")
    .withIndex("by_status", (q) => q.eq("status", "completed"))
    .order("desc")
    .first()) as Doc | null;
  if (lastCompleted !== null) keep.add(lastCompleted._id);
  // The v1 -> v2 move's real runs: what they put in v2's components stays
  // there (v2 cannot delete it), and its status and rollback count it from
  // them (found by review).
  for (const run of await byIndex(
    ctx,
    "sync_runs",
    "by_name_and_dry_run",
    { name: V2_MOVE_RUN, dry_run: false },
    MAX_MOVE_RUNS,
  )) {
    keep.add(run._id);
  }
  for (const status of ["completed", "failed"] as const) {
    if (budget <= 0) break;
    // Bounded: at most two kept runs are read past, plus one run per
    // document of budget.
    const runs = (await ctx.db
      .query("sync_runs")
      .withIndex("by_status", (q) =>
        // Every index ends with _creationTime, which a generic data model's
        // index fields do not name.
        (q.eq("status", status) as unknown as ByCreationTime).lt(
          "_creationTime",
          cutoff,
        ),
      )
      .take(budget + keep.size)) as Doc[];
    for (const run of runs) {
      if (budget <= 0) break;
      if (keep.has(run._id)) continue;
      budget -= await purgeRun(ctx, run._id, budget);
    }
  }

  const deleted = HISTORY_PURGE_PAGE - budget;
  const more = budget <= 0;
  if (more) {
    await ctx.scheduler.runAfter(
      0,
      makeFunctionReference<"mutation">(`${shape.modules.audit}:purgeHistory`),
      { days },
    );
  }
  return { deleted, more };
}

/**
 * Deletes up to `budget` of a run's records, then the run once none is
 * left. Returns how many documents it deleted.
 */
async function purgeRun(
  ctx: MutationCtx,
  runId: string,
  budget: number,
): Promise<number> {
  let deleted = 0;
  for (const [table, index] of RUN_RECORDS) {
    const records = (await ctx.db
      .query(table)
      .withIndex(index, (q) => q.eq("run_id", runId as never))
      .take(budget - deleted)) as Doc[];
    deleted += await deleteDocs(ctx, table, records);
    if (deleted >= budget) return deleted;
  }
  await ctx.db.delete("sync_runs", runId as GenericId<"sync_runs">);
  return deleted + 1;
}
