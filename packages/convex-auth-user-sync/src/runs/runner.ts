/**
 * Everything a bulk run does whatever it reads: starting it, its workers'
 * chains of pages, the budget of each page, retries and blame when a page
 * fails, the supervisor, resuming, and the run record that sums it all. A
 * run follows a plan, an ordered list of phase names; what each phase
 * reads and does is its own module (see phase.ts), so the runner never
 * looks inside a page.
 *
 * Each phase is split into workers over disjoint key ranges, each a chain
 * of pages: one page per transaction, the next scheduled with
 * `runAfter(0)`, its place kept in the worker's cursor. The last worker of
 * a phase to stop starts the next phase of the plan that has something to
 * read, or completes the run. Workers touch only their own record per page,
 * so they never conflict over bookkeeping.
 */
import {
  type GenericDataModel,
  type GenericQueryCtx,
  makeFunctionReference,
  type MutationBuilder,
  type QueryBuilder,
} from "convex/server";
import { type GenericId, v } from "convex/values";
import { type Actor, CLI_ACTOR, recordAudit } from "../audit.js";
import type { Shape } from "../declaration.js";
import { appError } from "../errors.js";
import { defaultWorkers } from "../merge.js";
import { boundedPage } from "../pages.js";
import { recordReview } from "../steps.js";
import {
  type SyncRun,
  type SyncRunWorker,
  syncRunValidator,
} from "../validators.js";
import {
  addCounts,
  combine,
  costlier,
  NO_COUNTS,
  PageWork,
  ZERO,
} from "./budget.js";
import {
  formatCursor,
  type MutationCtx,
  type RunPhase,
  stepOptions,
} from "./phase.js";

type QueryCtx = GenericQueryCtx<GenericDataModel>;
type RunId = GenericId<"sync_runs">;
type WorkerId = GenericId<"sync_run_workers">;

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
/** The most workers a run may have, and the most it gets by default. */
export const MAX_WORKERS = 64;
export const DEFAULT_MAX_WORKERS = 16;

/** How often a running run's supervisor looks for a dead page job. */
export const SUPERVISE_EVERY_MS = 60_000;

/** The plan of a run that names none (every run made before plans). */
export const DEFAULT_PLAN: readonly string[] = ["unlinked", "pairs"];

/** How a bulk run is started. */
export type StartRunOptions = {
  pageSize?: number;
  dryRun?: boolean;
  /** Parallel workers (default: sized from the last run). */
  workers?: number;
  /** Rows the run is expected to check; default: the last run's count. */
  estimate?: number;
  /** Who starts it, for the audit log (default: the CLI). */
  actor?: Actor;
};

/** Arguments of the entry points that start a run. */
export const startRunArgs = {
  pageSize: v.optional(v.number()),
  dryRun: v.optional(v.boolean()),
  workers: v.optional(v.number()),
};

function validPageSize(pageSize: number | undefined): number {
  const size = pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw appError(
      "INVALID_ARGUMENT",
      `pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}`,
    );
  }
  return size;
}

function validWorkers(workers: number | undefined): number | undefined {
  if (
    workers !== undefined &&
    (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS)
  ) {
    throw appError(
      "INVALID_ARGUMENT",
      `workers must be an integer from 1 to ${MAX_WORKERS}`,
    );
  }
  return workers;
}

/** The phases a run goes through, in order. */
function planOf(run: SyncRun): readonly string[] {
  return run.plan ?? DEFAULT_PLAN;
}

/**
 * Builds the runner for one shape: its functions (the app exports them from
 * `shape.modules.engine`) and what starts a run. `phaseNamed` gives the
 * phase of each name a plan may hold, and throws for any other.
 */
export function makeRunner(
  shape: Shape,
  phaseNamed: (name: string) => RunPhase,
  /**
   * Checked before a run of this plan starts or resumes; throws to refuse
   * it (see engine.ts: the sync's own run, once the app table is no
   * longer written).
   */
  mayRun?: (ctx: MutationCtx, plan: readonly string[]) => Promise<void>,
) {
  const ref = (name: string) =>
    makeFunctionReference<"mutation">(`${shape.modules.engine}:${name}`);

  async function getRunDoc(
    ctx: QueryCtx,
    runId: RunId,
  ): Promise<SyncRun | null> {
    return (await ctx.db.get("sync_runs", runId)) as SyncRun | null;
  }

  async function getWorker(
    ctx: QueryCtx,
    workerId: WorkerId,
  ): Promise<SyncRunWorker | null> {
    return (await ctx.db.get(
      "sync_run_workers",
      workerId,
    )) as SyncRunWorker | null;
  }

  /** The workers of a run's phase (a few dozen at most). */
  async function workersOf(
    ctx: QueryCtx,
    runId: RunId,
    phase: string,
  ): Promise<SyncRunWorker[]> {
    return (await ctx.db
      .query("sync_run_workers")
      .withIndex(
        "by_run_id_and_phase_and_worker",
        (q) =>
          (
            q.eq("run_id", runId) as unknown as {
              eq: (field: string, value: unknown) => unknown;
            }
          ).eq("phase", phase) as never,
      )
      .take(MAX_WORKERS)) as SyncRunWorker[];
  }

  async function scheduleNextPage(
    ctx: MutationCtx,
    workerId: WorkerId,
  ): Promise<GenericId<"_scheduled_functions">> {
    return await ctx.scheduler.runAfter(0, ref("runPage"), { workerId });
  }

  async function scheduleSupervisor(ctx: MutationCtx, runId: RunId) {
    const jobId = await ctx.scheduler.runAfter(
      SUPERVISE_EVERY_MS,
      ref("supervise"),
      { runId },
    );
    await ctx.db.patch("sync_runs", runId, { supervisor_job_id: jobId });
  }

  /**
   * Splits a phase into ranges and starts a worker on each. Returns false
   * when the phase has nothing to read.
   */
  async function startPhase(
    ctx: MutationCtx,
    run: SyncRun,
    phase: string,
    workers: number,
  ): Promise<boolean> {
    const ranges = await phaseNamed(phase).split(ctx, workers);
    if (ranges === null) return false;
    for (const [index, [lower, upper]] of ranges.entries()) {
      const workerId = (await ctx.db.insert("sync_run_workers", {
        run_id: run._id,
        phase,
        worker: index,
        lower,
        upper,
        status: "running",
        dry_run: run.dry_run,
        page_size: run.page_size,
        current_page_size: run.page_size,
        cursor: null,
        counts: NO_COUNTS,
        pages: 0,
        early_stops: 0,
        skipped: 0,
        totals: ZERO,
      })) as WorkerId;
      const jobId = await scheduleNextPage(ctx, workerId);
      await ctx.db.patch("sync_run_workers", workerId, { next_job_id: jobId });
    }
    await ctx.db.patch("sync_runs", run._id, { phase });
    return true;
  }

  /**
   * Starts the first of `phases` that has something to read; false when
   * none has.
   */
  async function startNextPhase(
    ctx: MutationCtx,
    run: SyncRun,
    phases: readonly string[],
    workers: number,
  ): Promise<boolean> {
    for (const phase of phases) {
      if (await startPhase(ctx, run, phase, workers)) return true;
    }
    return false;
  }

  /** A phase's workers summed, as the run record holds them. */
  function sumPhase(run: SyncRun, workers: readonly SyncRunWorker[]) {
    let maxPages = 0;
    const summed = {
      counts: run.counts,
      pages: run.pages,
      early_stops: run.early_stops,
      skipped: run.skipped ?? 0,
      totals: run.totals,
      max_page: run.max_page,
      costliest_page: run.costliest_page,
      last_page: run.last_page,
      critical_path: run.critical_path ?? 1,
      last_error: run.last_error,
    };
    for (const worker of workers) {
      summed.counts = addCounts(summed.counts, worker.counts);
      summed.pages += worker.pages;
      summed.early_stops += worker.early_stops;
      summed.skipped += worker.skipped;
      summed.totals = combine(summed.totals, worker.totals, (x, y) => x + y);
      if (worker.max_page !== undefined) {
        summed.max_page = combine(
          summed.max_page ?? ZERO,
          worker.max_page,
          Math.max,
        );
      }
      summed.costliest_page = costlier(
        summed.costliest_page,
        worker.costliest_page,
      );
      summed.last_page = worker.last_page ?? summed.last_page;
      summed.last_error = worker.last_error ?? summed.last_error;
      maxPages = Math.max(maxPages, worker.pages);
    }
    summed.critical_path += maxPages;
    return summed;
  }

  /**
   * A worker stopped (its range done, or failed). The last of its phase to
   * stop starts the next phase of the plan that has something to read,
   * completes the run, or, if any failed, fails it. Workers stopping at
   * once conflict here (each reads the others' records); Convex retries
   * one, which then sees the other stopped.
   */
  async function stopWorker(
    ctx: MutationCtx,
    worker: SyncRunWorker,
    patch: Partial<SyncRunWorker>,
  ): Promise<void> {
    // 1. The worker's own record; the others of its phase decide the rest.
    await ctx.db.patch("sync_run_workers", worker._id, patch);
    const siblings = await workersOf(ctx, worker.run_id, worker.phase);
    if (siblings.some((other) => other.status === "running")) return;
    const run = await getRunDoc(ctx, worker.run_id);
    if (run === null || run.status !== "running") return;

    // 2. A failed worker fails the run once its phase has stopped.
    const now = Date.now();
    if (siblings.some((other) => other.status === "failed")) {
      await ctx.db.patch("sync_runs", run._id, {
        status: "failed",
        last_error: siblings.find((other) => other.status === "failed")
          ?.last_error,
        finished_at: now,
      });
      return;
    }

    // 3. The phase is done: summed into the run, then the next phase.
    const summed = sumPhase(run, siblings);
    await ctx.db.patch("sync_runs", run._id, summed);
    const plan = planOf(run);
    const at = plan.indexOf(worker.phase);
    const rest = at === -1 ? [] : plan.slice(at + 1);
    if (
      await startNextPhase(ctx, { ...run, ...summed }, rest, run.workers ?? 1)
    ) {
      return;
    }

    // 4. Nothing left to read: the run is complete. Its supervisor is left
    // to its next look, which finds the run ended and is its last: it is
    // never canceled, since it may be running now (a job canceled while it
    // runs is an error on convex-test, whose fake timers fire it beside the
    // last page).
    await ctx.db.patch("sync_runs", run._id, {
      status: "completed",
      finished_at: now,
    });
  }

  /**
   * A page failed with `message`. A page of several documents is retried
   * one at a time; a single document that fails is the culprit: it is
   * recorded for review (`row_sync_failed`, or the dry run's change log) and
   * passed over, and the worker goes on. With nothing left to blame, the
   * failure is the worker's own: it fails, and the run with it once the
   * others stop (resumeRun takes it on from where it stood).
   */
  async function handlePageFailure(
    ctx: MutationCtx,
    worker: SyncRunWorker,
    message: string,
  ): Promise<void> {
    // 1. A page of several documents: retried one document at a time.
    const lastError = message.slice(0, 2000);
    if (worker.current_page_size > 1) {
      const jobId = await scheduleNextPage(ctx, worker._id);
      await ctx.db.patch("sync_run_workers", worker._id, {
        current_page_size: 1,
        last_error: lastError,
        next_job_id: jobId,
      });
      return;
    }

    // 2. The document to blame; with none, the worker fails.
    let next: Awaited<ReturnType<RunPhase["nextDocument"]>>;
    try {
      next = await phaseNamed(worker.phase).nextDocument(ctx, worker);
    } catch (error) {
      next = null;
      console.error(
        `Sync worker ${worker._id}: no document to blame: ${String(error)}`,
      );
    }
    if (next === null) {
      await stopWorker(ctx, worker, {
        status: "failed",
        last_error: lastError,
      });
      return;
    }

    // 3. It is recorded for review and passed over.
    const { blame } = next;
    const changes = await recordReview(
      ctx,
      {
        kind: "row_sync_failed",
        userId: blame.userId,
        rowIds: blame.rowIds,
        detail: `A bulk run failed on this ${blame.what} every time and passed over it: ${lastError}`,
      },
      stepOptions(worker),
    );
    if (worker.dry_run) {
      await ctx.db.insert("sync_run_changes", {
        run_id: worker.run_id,
        page: worker.pages,
        changes,
      });
    }
    const jobId = await scheduleNextPage(ctx, worker._id);
    await ctx.db.patch("sync_run_workers", worker._id, {
      cursor: formatCursor(next.cursor),
      counts: {
        ...worker.counts,
        checked: worker.counts.checked + 1,
        needingReview: worker.counts.needingReview + 1,
      },
      skipped: worker.skipped + 1,
      last_error: lastError,
      next_job_id: jobId,
    });
  }

  /**
   * If a worker's page job failed or was canceled without recording it,
   * treat it as a failed page. Returns whether it found a dead job.
   */
  async function recoverDeadPage(
    ctx: MutationCtx,
    worker: SyncRunWorker,
  ): Promise<boolean> {
    if (worker.status !== "running" || worker.next_job_id === undefined) {
      return false;
    }
    const job = await ctx.db.system.get(
      "_scheduled_functions",
      worker.next_job_id,
    );
    if (job?.state.kind !== "failed" && job?.state.kind !== "canceled") {
      return false;
    }
    await handlePageFailure(
      ctx,
      worker,
      `The page job ${job.state.kind === "failed" ? "failed" : "was canceled"}; see the deployment logs`,
    );
    return true;
  }

  /** Recovers every dead page job of a running run's current phase. */
  async function recoverRun(ctx: MutationCtx, run: SyncRun): Promise<void> {
    if (run.status !== "running") return;
    if (run.workers === undefined) {
      // Started by a version before workers: its page jobs name no worker
      // and cannot run now. It fails, so it blocks nothing, and resumeRun
      // starts it over.
      await ctx.db.patch("sync_runs", run._id, {
        status: "failed",
        last_error:
          "Started by an earlier version of the engine; resume it with resumeRun",
        finished_at: Date.now(),
      });
      return;
    }
    for (const worker of await workersOf(ctx, run._id, run.phase)) {
      await recoverDeadPage(ctx, worker);
    }
  }

  /**
   * The running run, if any, whatever its plan. A run whose page job died
   * outright is recovered first, so a dead job never blocks anything.
   */
  async function activeRun(ctx: MutationCtx): Promise<SyncRun | null> {
    const run = (await ctx.db
      .query("sync_runs")
      .withIndex("by_status", (q) => q.eq("status", "running"))
      .first()) as SyncRun | null;
    if (run === null) return null;
    await recoverRun(ctx, run);
    const recovered = await getRunDoc(ctx, run._id);
    return recovered?.status === "running" ? recovered : null;
  }

  /**
   * Starts a run, or returns the active one: there is never more than one
   * (concurrent starts conflict and Convex retries one, which then sees the
   * other's run). `workers` splits each phase into that many chains of
   * pages; by default, enough for about 25 pages each over what the last
   * run checked, at most DEFAULT_MAX_WORKERS. `plan` names the phases it
   * goes through, in order; a phase with nothing to read is passed over.
   *
   * @example return await startRun(ctx, "syncAllUsers", { pageSize: 200, workers: 8 });
   */
  async function startRun(
    ctx: MutationCtx,
    name: string,
    options: StartRunOptions,
    plan: readonly string[] = DEFAULT_PLAN,
  ): Promise<SyncRun> {
    // 1. The arguments, and a plan of known phases, each once.
    const pageSize = validPageSize(options.pageSize);
    const asked = validWorkers(options.workers);
    if (
      options.estimate !== undefined &&
      !(Number.isFinite(options.estimate) && options.estimate >= 0)
    ) {
      throw appError("INVALID_ARGUMENT", "estimate must be a count");
    }
    if (plan.length === 0 || new Set(plan).size !== plan.length) {
      throw new Error(
        `A run's plan names each phase once: ${JSON.stringify(plan)}`,
      );
    }
    for (const phase of plan) phaseNamed(phase);
    await mayRun?.(ctx, plan);

    // 2. One run at a time.
    const active = await activeRun(ctx);
    if (active !== null) return active;

    // 3. Its workers (from the last run's size) and its estimate (the
    // progress bar's denominator: what the last completed run checked).
    const last = (await ctx.db
      .query("sync_runs")
      .order("desc")
      .first()) as SyncRun | null;
    const workers =
      asked ??
      defaultWorkers(last?.counts.checked, pageSize, DEFAULT_MAX_WORKERS);
    const previous = (await ctx.db
      .query("sync_runs")
      .withIndex("by_status", (q) => q.eq("status", "completed"))
      .order("desc")
      .first()) as SyncRun | null;
    const estimate =
      options.estimate !== undefined
        ? Math.round(options.estimate)
        : previous?.counts.checked;

    // 4. The record, then the first phase with something to read.
    const runId = (await ctx.db.insert("sync_runs", {
      name,
      status: "running",
      dry_run: options.dryRun ?? false,
      page_size: pageSize,
      current_page_size: pageSize,
      phase: plan[0]!,
      plan: [...plan],
      cursor: null,
      workers,
      counts: NO_COUNTS,
      pages: 0,
      early_stops: 0,
      skipped: 0,
      totals: ZERO,
      critical_path: 1,
      started_at: Date.now(),
      ...(estimate === undefined ? {} : { estimate }),
    })) as RunId;
    const run = (await getRunDoc(ctx, runId))!;
    if (await startNextPhase(ctx, run, plan, workers)) {
      await scheduleSupervisor(ctx, runId);
    } else {
      await ctx.db.patch("sync_runs", runId, {
        status: "completed",
        finished_at: Date.now(),
      });
    }

    // 5. The audit log.
    await recordAudit(ctx, {
      action: options.dryRun === true ? "run:dry-run" : "run:start",
      actor: options.actor ?? CLI_ACTOR,
      ids: [runId],
      summary: `Started ${options.dryRun === true ? "a dry run" : "a run"} "${name}", pages of ${pageSize}`,
    });
    return (await getRunDoc(ctx, runId))!;
  }

  /**
   * Resumes a failed run from its position, optionally with another page
   * size; returns the active run instead if there is one.
   */
  async function resumeRun(
    ctx: MutationCtx,
    rawRunId: string,
    options: { pageSize?: number; actor?: Actor },
  ): Promise<SyncRun> {
    // 1. A failed run, and no other running.
    const runId = ctx.db.normalizeId("sync_runs", rawRunId);
    if (runId === null) {
      throw appError("INVALID_ARGUMENT", "not an id of table sync_runs");
    }
    const active = await activeRun(ctx);
    if (active !== null) return active;
    const run = await getRunDoc(ctx, runId);
    if (run === null) throw appError("NOT_FOUND", "No such run");
    if (run.status !== "failed") {
      throw appError(
        "INVALID_ARGUMENT",
        `The run is ${run.status}, not failed`,
      );
    }
    await mayRun?.(ctx, planOf(run));
    const pageSize =
      options.pageSize === undefined
        ? undefined
        : validPageSize(options.pageSize);

    // 2. Running again; its failed workers go on from where they stood.
    await ctx.db.patch("sync_runs", runId, {
      status: "running",
      finished_at: undefined,
      resumed_at: Date.now(),
      ...(pageSize === undefined
        ? {}
        : { page_size: pageSize, current_page_size: pageSize }),
    });
    const resumed = (await getRunDoc(ctx, runId))!;
    if (resumed.workers === undefined) {
      // A run from before workers: it starts over (runs are idempotent),
      // its old place having no meaning now.
      await ctx.db.patch("sync_runs", runId, { workers: 1 });
      await startNextPhase(ctx, resumed, planOf(resumed), 1);
    } else {
      for (const worker of await workersOf(ctx, runId, run.phase)) {
        if (worker.status !== "failed") continue;
        const jobId = await scheduleNextPage(ctx, worker._id);
        await ctx.db.patch("sync_run_workers", worker._id, {
          status: "running",
          next_job_id: jobId,
          ...(pageSize === undefined
            ? {}
            : { page_size: pageSize, current_page_size: pageSize }),
        });
      }
    }

    // 3. A supervisor, unless the watchdog of its earlier life is still due
    // to look; then the audit log.
    const watchdog =
      run.supervisor_job_id === undefined
        ? null
        : await ctx.db.system.get(
            "_scheduled_functions",
            run.supervisor_job_id,
          );
    if (watchdog?.state.kind !== "pending") {
      await scheduleSupervisor(ctx, runId);
    }
    await recordAudit(ctx, {
      action: "run:resume",
      actor: options.actor ?? CLI_ACTOR,
      ids: [runId],
      summary: `Resumed run "${run.name}" after: ${run.last_error ?? "a failure"}`,
    });
    return (await getRunDoc(ctx, runId))!;
  }

  /** One page of a worker. */
  async function processPage(ctx: MutationCtx, workerId: WorkerId) {
    // 1. The worker, if it is still running.
    const worker = await getWorker(ctx, workerId);
    if (worker === null || worker.status !== "running") return;

    // 2. Its phase's steps, while the budget lasts.
    const work = await PageWork.start(ctx);
    const { cursor, isDone } = await phaseNamed(worker.phase).page(
      ctx,
      worker,
      work,
    );

    // 3. Where the next page starts, and how big it is.
    const patch: Partial<SyncRunWorker> = {
      counts: addCounts(worker.counts, work.counts),
      pages: worker.pages + 1,
      cursor: formatCursor(cursor),
    };
    if (work.stoppedEarly) {
      patch.early_stops = worker.early_stops + 1;
      patch.current_page_size = Math.max(1, work.steps);
    } else {
      patch.current_page_size = Math.min(
        worker.page_size,
        worker.current_page_size * 2,
      );
    }

    // 4. What this page cost, recorded in the worker.
    const used = work.used;
    patch.last_page = {
      ...used,
      rows: work.steps,
      stoppedEarly: work.stoppedEarly,
    };
    patch.max_page = combine(worker.max_page ?? ZERO, used, Math.max);
    patch.costliest_page = costlier(worker.costliest_page, {
      ...patch.last_page,
      share: work.share,
      phase: worker.phase,
    });
    patch.totals = combine(worker.totals, used, (x, y) => x + y);
    if (worker.dry_run && work.changes.length > 0) {
      await ctx.db.insert("sync_run_changes", {
        run_id: worker.run_id,
        page: worker.pages,
        changes: work.changes,
      });
    }

    // 5. The next page, or the worker stops.
    if (isDone) {
      await stopWorker(ctx, worker, { ...patch, status: "completed" });
    } else {
      patch.next_job_id = await scheduleNextPage(ctx, workerId);
      await ctx.db.patch("sync_run_workers", workerId, patch);
    }
  }

  /**
   * A run as getRun shows it: while it runs (or after it failed), its
   * current phase's workers are added to what its finished phases did.
   */
  async function withProgress(ctx: QueryCtx, run: SyncRun): Promise<SyncRun> {
    if (run.status === "completed" || run.workers === undefined) return run;
    const workers = await workersOf(ctx, run._id, run.phase);
    const summed = sumPhase(run, workers);
    const running = workers.filter((worker) => worker.status === "running");
    return {
      ...run,
      ...summed,
      current_page_size: Math.min(
        run.page_size,
        ...running.map((worker) => worker.current_page_size),
      ),
    };
  }

  /**
   * The runner's functions, built with the app's own builders (raw ones:
   * the sync's writes are planned by the field map and must not run the
   * app's triggers). Export them from `shape.modules.engine`.
   *
   * @example export const { runPage, processPage, supervise, resumeRun, getRun, plannedChanges } = userSync.engineFunctions({ internalMutation, internalQuery });
   */
  function functions(builders: {
    internalMutation: MutationBuilder<GenericDataModel, "internal">;
    internalQuery: QueryBuilder<GenericDataModel, "internal">;
  }) {
    const { internalMutation, internalQuery } = builders;
    return {
      /**
       * Runs one page of a worker as a sub-transaction: if it throws, its
       * writes roll back and the failure is handled (retry document by
       * document, or pass over the failing one).
       */
      runPage: internalMutation({
        args: { workerId: v.id("sync_run_workers") },
        returns: v.null(),
        handler: async (ctx, { workerId }) => {
          try {
            await ctx.runMutation(ref("processPage"), { workerId });
          } catch (error) {
            const message =
              error instanceof Error ? error.message : String(error);
            console.error(`Sync worker ${workerId}: a page failed: ${message}`);
            const worker = await getWorker(ctx, workerId);
            if (worker?.status === "running") {
              await handlePageFailure(ctx, worker, message);
            }
          }
          return null;
        },
      }),

      /** One page of a worker. Internal: only runPage calls it. */
      processPage: internalMutation({
        args: { workerId: v.id("sync_run_workers") },
        returns: v.null(),
        handler: async (ctx, { workerId }) => {
          await processPage(ctx, workerId);
          return null;
        },
      }),

      /**
       * A running run's watchdog: recovers page jobs that died without a
       * trace, then looks again later. Its next look after the run ends is
       * its last.
       */
      supervise: internalMutation({
        args: { runId: v.id("sync_runs") },
        returns: v.null(),
        handler: async (ctx, { runId }) => {
          const run = await getRunDoc(ctx, runId);
          if (run === null || run.status !== "running") return null;
          await recoverRun(ctx, run);
          await scheduleSupervisor(ctx, runId);
          return null;
        },
      }),

      /**
       * Resumes a failed run: its failed workers go on from where each
       * stood, optionally with another page size.
       *
       * @example npx convex run userSync:resumeRun '{"runId":"...","pageSize":20}'
       */
      resumeRun: internalMutation({
        args: { runId: v.string(), pageSize: v.optional(v.number()) },
        returns: syncRunValidator,
        handler: async (ctx, args) =>
          await withProgress(
            ctx,
            await resumeRun(ctx, args.runId, { pageSize: args.pageSize }),
          ),
      }),

      /**
       * A run by id, or the latest run, with its progress so far.
       *
       * @example npx convex run userSync:getRun
       */
      getRun: internalQuery({
        args: { runId: v.optional(v.string()) },
        returns: v.union(v.null(), syncRunValidator),
        handler: async (ctx, { runId }) => {
          let run: SyncRun | null;
          if (runId === undefined) {
            run = (await ctx.db
              .query("sync_runs")
              .order("desc")
              .first()) as SyncRun | null;
          } else {
            const id = ctx.db.normalizeId("sync_runs", runId);
            if (id === null) {
              throw appError(
                "INVALID_ARGUMENT",
                "not an id of table sync_runs",
              );
            }
            run = await getRunDoc(ctx, id);
          }
          return run === null ? null : await withProgress(ctx, run);
        },
      }),

      /**
       * What a dry run would change, a page of the log at a time.
       *
       * @example npx convex run userSync:plannedChanges '{"runId":"...","paginationOpts":{"numItems":10,"cursor":null}}'
       */
      plannedChanges: internalQuery({
        args: {
          runId: v.string(),
          paginationOpts: v.object({
            numItems: v.number(),
            cursor: v.union(v.string(), v.null()),
          }),
        },
        returns: v.object({
          page: v.array(v.string()),
          continueCursor: v.string(),
          isDone: v.boolean(),
        }),
        handler: async (ctx, { runId, paginationOpts }) => {
          const id = ctx.db.normalizeId("sync_runs", runId);
          if (id === null) {
            throw appError("INVALID_ARGUMENT", "not an id of table sync_runs");
          }
          const result = await boundedPage(
            ctx.db
              .query("sync_run_changes")
              .withIndex("by_run_id_and_page", (q) => q.eq("run_id", id)),
            paginationOpts,
            100,
            "not a cursor of this run's planned changes",
          );
          return {
            page: result.page.flatMap((row) => row.changes as string[]),
            continueCursor: result.continueCursor,
            isDone: result.isDone,
          };
        },
      }),
    };
  }

  return { startRun, resumeRun, functions, withProgress, activeRun };
}
