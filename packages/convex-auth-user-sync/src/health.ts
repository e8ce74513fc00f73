/**
 * The sync's health in one small read, for an operator's monitor to call
 * (after the scheduled health run, say): the latest run that syncs (a dry
 * run started by hand changes nothing, so it neither hides a failed run nor
 * stands for one), whether it failed or has stalled, and the open failure
 * cases, which are what needs a person. The drift report
 * (driftReport.ts) is the full picture; this answers "alert or not".
 */
import type { GenericDataModel, GenericQueryCtx } from "convex/server";
import { type Infer, v } from "convex/values";
import { byIndex } from "./db.js";
import { syncRunStatusValidator } from "./validators.js";

/** Open cases of one kind counted at most; more reads as this number. */
export const HEALTH_CASES_CAP = 100;

/**
 * A run still running this long after it started (or was last resumed)
 * has stalled: a run over a million users takes minutes
 * (docs/engine.md#scale), and the engine's
 * supervisor fails a run whose page job died, so an hour means neither is
 * moving it.
 */
export const RUN_STALLED_AFTER_MS = 60 * 60 * 1000;

export const syncHealthValidator = v.object({
  // False when the latest run that syncs failed or stalled, or a failure
  // case is open.
  ok: v.boolean(),
  lastRun: v.union(
    v.null(),
    v.object({
      runId: v.id("sync_runs"),
      name: v.string(),
      status: syncRunStatusValidator,
      dryRun: v.boolean(),
      startedAt: v.number(),
      finishedAt: v.optional(v.number()),
      lastError: v.optional(v.string()),
      // Still running RUN_STALLED_AFTER_MS after it started or resumed.
      stalled: v.boolean(),
    }),
  ),
  // Open `sign_in_sync_failed` and `row_sync_failed` cases, each counted up
  // to HEALTH_CASES_CAP.
  openSignInFailures: v.number(),
  openRowFailures: v.number(),
});
export type SyncHealth = Infer<typeof syncHealthValidator>;

type Run = {
  _id: string;
  name: string;
  status: "running" | "completed" | "failed";
  dry_run: boolean;
  started_at: number;
  resumed_at?: number;
  finished_at?: number;
  last_error?: string;
};

/**
 * The latest run that syncs and the open failure cases: three index ranges
 * and at most 2 * HEALTH_CASES_CAP + 1 documents.
 *
 * @example const health = await syncHealth(ctx); if (!health.ok) alert(health);
 */
export async function syncHealth(
  ctx: GenericQueryCtx<GenericDataModel>,
): Promise<SyncHealth> {
  const run = (await ctx.db
    .query("sync_runs")
    .withIndex("by_dry_run", (q) => q.eq("dry_run", false))
    .order("desc")
    .first()) as Run | null;
  const stalled =
    run?.status === "running" &&
    Date.now() - (run.resumed_at ?? run.started_at) >= RUN_STALLED_AFTER_MS;
  const open = async (kind: string) =>
    (
      await byIndex(
        ctx,
        "sync_reviews",
        "by_kind_and_resolved_at",
        { kind, resolved_at: undefined },
        HEALTH_CASES_CAP,
      )
    ).length;
  const openSignInFailures = await open("sign_in_sync_failed");
  const openRowFailures = await open("row_sync_failed");
  return {
    ok:
      run?.status !== "failed" &&
      !stalled &&
      openSignInFailures === 0 &&
      openRowFailures === 0,
    lastRun:
      run === null
        ? null
        : {
            runId: run._id as never,
            name: run.name,
            status: run.status,
            dryRun: run.dry_run,
            startedAt: run.started_at,
            finishedAt: run.finished_at,
            lastError: run.last_error,
            stalled,
          },
    openSignInFailures,
    openRowFailures,
  };
}
