/**
 * The batched, resumable engine behind a migration and a periodic
 * "sync every pair" run.
 *
 * A run reads each document once, in two phases:
 * 1. "unlinked": the app rows that name no user (legacy rows, imports),
 *    by creation time. They go first because their emails are normalized
 *    here, so the users of phase 2 find them by email reliably.
 * 2. "pairs": both tables merged in one shared order, the user id (see
 *    merge.ts). A user and a row that name each other are synced from
 *    memory, with no lookup; whatever else a key group holds (claims,
 *    dangling or one-sided references, users without a row) goes to the
 *    per-document steps of steps.ts, which look up what they need.
 *
 * Each phase is split into workers over disjoint key ranges (`workers`,
 * default sized from the last run), each a chain of pages: one page per
 * transaction, the next scheduled with `runAfter(0)`, its place kept in the
 * worker's cursor. The run record holds the run and what its finished
 * phases did; the last worker of a phase to finish starts the next or
 * completes the run. Workers touch only their own record per page, so they
 * never conflict over bookkeeping. A page that writes a document of another
 * worker's range (linking a row found from either side) is an ordinary
 * Convex transaction: if another page wrote what it read, Convex retries it
 * and it decides afresh, so a row is never linked twice.
 *
 * Each page watches its budget through `ctx.meta.getTransactionMetrics()`
 * and stops early, before any limit, when what remains falls under a safety
 * margin (the largest per-step cost seen so far plus a reserve for
 * bookkeeping); later pages then shrink, and grow back once pages finish
 * with room to spare. A page also ends after a step that wrote a document
 * the page still holds in memory, so every step acts on what the database
 * holds: the result never depends on the page size.
 *
 * A page that fails is retried one step at a time; a document that fails on
 * its own is recorded for review (`row_sync_failed`) and passed over, so a
 * run always completes. A page job that dies outright (a limit so far
 * exceeded that it cannot even record its failure) is noticed by the run's
 * supervisor job, which does the same.
 */
import { boundedPage } from "./pages.js";
import {
  type GenericDataModel,
  type GenericMutationCtx,
  type GenericQueryCtx,
  makeFunctionReference,
  type MutationBuilder,
  type QueryBuilder,
} from "convex/server";
import { type GenericId, v } from "convex/values";
import { type Actor, CLI_ACTOR, recordAudit } from "./audit.js";
import { transactionMetrics } from "./compat.js";
import type { AnyDoc, Shape } from "./declaration.js";
import { appError } from "./errors.js";
import {
  advance,
  afterKey,
  afterRow,
  afterUser,
  compareKeys,
  defaultWorkers,
  type PairsCursor,
  type Position,
  rangesOf,
  splitKeys,
  splitTimes,
} from "./merge.js";
import {
  ensurePair,
  isReviewChange,
  recordReview,
  type SyncOptions,
  type SyncResult,
  syncFromRow,
} from "./steps.js";
import {
  pairReadOf,
  readMergedPage,
  sampleUserIds,
  type Range,
  unlinkedRowsAfter,
  unlinkedTimeSpan,
} from "./streams.js";
import {
  type Metrics,
  type SyncRun,
  type SyncRunCounts,
  type SyncRunWorker,
  syncRunValidator,
} from "./validators.js";

type MutationCtx = GenericMutationCtx<GenericDataModel>;
type QueryCtx = GenericQueryCtx<GenericDataModel>;
type RunId = GenericId<"sync_runs">;
type WorkerId = GenericId<"sync_run_workers">;
type Phase = "unlinked" | "pairs";

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
/** The most workers a run may have, and the most it gets by default. */
export const MAX_WORKERS = 64;
export const DEFAULT_MAX_WORKERS = 16;

/** How often a running run's supervisor looks for a dead page job. */
export const SUPERVISE_EVERY_MS = 60_000;

/** Kept free for the page's own bookkeeping (worker record, change log). */
const RESERVE: Metrics = {
  documentsRead: 8,
  databaseQueries: 8,
  documentsWritten: 4,
  bytesRead: 512 * 1024,
  bytesWritten: 512 * 1024,
};

const METRIC_KEYS = Object.keys(RESERVE) as (keyof Metrics)[];

const ZERO: Metrics = {
  documentsRead: 0,
  databaseQueries: 0,
  documentsWritten: 0,
  bytesRead: 0,
  bytesWritten: 0,
};

const NO_COUNTS: SyncRunCounts = {
  checked: 0,
  unchanged: 0,
  repaired: 0,
  linked: 0,
  created: 0,
  pending: 0,
  needingReview: 0,
};

type Budget = { used: Metrics; remaining: Metrics };

async function readBudget(ctx: MutationCtx): Promise<Budget> {
  const metrics = await transactionMetrics(ctx);
  const used = { ...ZERO };
  const remaining = { ...ZERO };
  for (const key of METRIC_KEYS) {
    used[key] = metrics[key].used;
    remaining[key] = metrics[key].remaining;
  }
  return { used, remaining };
}

function combine(
  a: Metrics,
  b: Metrics,
  op: (x: number, y: number) => number,
): Metrics {
  const out = { ...ZERO };
  for (const key of METRIC_KEYS) out[key] = op(a[key], b[key]);
  return out;
}

/** True while one more step of cost `stepCost` fits with the reserve intact. */
function fits(budget: Budget, stepCost: Metrics): boolean {
  return METRIC_KEYS.every(
    (key) => budget.remaining[key] >= stepCost[key] + RESERVE[key],
  );
}

function tally(counts: SyncRunCounts, result: SyncResult): SyncRunCounts {
  const next = { ...counts, checked: counts.checked + 1 };
  if (result.outcome === "conflict") next.needingReview++;
  else next[result.outcome]++;
  if (result.outcome !== "conflict" && result.changes.some(isReviewChange)) {
    next.needingReview++;
  }
  return next;
}

function addCounts(a: SyncRunCounts, b: SyncRunCounts): SyncRunCounts {
  const out = { ...a };
  for (const key of Object.keys(out) as (keyof SyncRunCounts)[]) {
    out[key] += b[key];
  }
  return out;
}

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

function parse<T>(cursor: string | null): T | null {
  return cursor === null ? null : (JSON.parse(cursor) as T);
}

function format(value: unknown): string | null {
  return value === null ? null : JSON.stringify(value);
}

/** A worker's key range, in the order of its phase. */
function workerRange<K>(worker: SyncRunWorker): Range<K> {
  return { lower: worker.lower as K | null, upper: worker.upper as K | null };
}

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

/** What a worker's steps run with: a dry run plans, under its own id. */
function stepOptions(worker: SyncRunWorker): SyncOptions {
  return {
    now: Date.now(),
    dryRun: worker.dry_run,
    dryRunId: worker.dry_run ? worker.run_id : undefined,
  };
}

/** A write a page made, for the staleness check. */
type Write = { table: string; id: string; value: Record<string, unknown> };

/**
 * The page's context, recording every write it makes (the steps write
 * through `ctx.db` only).
 */
function recordingWrites(ctx: MutationCtx, log: Write[]): MutationCtx {
  const db = ctx.db;
  const writer = {
    get: db.get.bind(db),
    query: db.query.bind(db),
    normalizeId: db.normalizeId.bind(db),
    system: db.system,
    insert: async (table: string, value: Record<string, unknown>) => {
      const id = await db.insert(table, value as never);
      log.push({ table, id, value });
      return id;
    },
    patch: async (
      table: string,
      id: string,
      value: Record<string, unknown>,
    ) => {
      await db.patch(table, id as never, value as never);
      log.push({ table, id, value });
    },
    replace: async (
      table: string,
      id: string,
      value: Record<string, unknown>,
    ) => {
      await db.replace(table, id as never, value as never);
      log.push({ table, id, value });
    },
    delete: async (table: string, id: string) => {
      await db.delete(table, id as never);
      log.push({ table, id, value: {} });
    },
  };
  return { ...ctx, db: writer as unknown as MutationCtx["db"] };
}

/**
 * What one page does and spends: the steps it took, their results, and the
 * budget left. The first step always runs, so a run always moves forward;
 * after it, a step must fit as the costliest one so far did.
 */
class PageWork {
  counts: SyncRunCounts = NO_COUNTS;
  changes: string[] = [];
  steps = 0;
  stoppedEarly = false;
  private stepCost: Metrics = ZERO;
  constructor(
    private ctx: MutationCtx,
    private budget: Budget,
  ) {}

  static async start(ctx: MutationCtx): Promise<PageWork> {
    return new PageWork(ctx, await readBudget(ctx));
  }

  canStep(): boolean {
    if (this.steps > 0 && !fits(this.budget, this.stepCost)) {
      this.stoppedEarly = true;
      return false;
    }
    return true;
  }

  /** Records a step's results (a pair counts for both its documents). */
  async record(...results: SyncResult[]): Promise<void> {
    const after = await readBudget(this.ctx);
    const cost = combine(after.used, this.budget.used, (x, y) => x - y);
    // The margin follows the most expensive step seen, so large documents
    // shrink the page on their own.
    this.stepCost = combine(this.stepCost, cost, Math.max);
    this.budget = after;
    for (const result of results) {
      this.counts = tally(this.counts, result);
      this.changes.push(...result.changes);
    }
    this.steps++;
  }

  get used(): Metrics {
    return this.budget.used;
  }
}

/** A user's side of a pair synced from its row's: nothing more to do. */
function userOfPair(result: SyncResult): SyncResult {
  return { ...result, outcome: "unchanged", changes: [] };
}

/**
 * Builds the engine for one shape: its functions (the app exports them from
 * `shape.modules.engine`) and what starts a run.
 */
export function makeEngine(shape: Shape) {
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
   * when the phase has nothing to read (no unlinked rows).
   */
  async function startPhase(
    ctx: MutationCtx,
    run: SyncRun,
    phase: Phase,
    workers: number,
  ): Promise<boolean> {
    let ranges: [number | string | null, number | string | null][];
    if (phase === "unlinked") {
      const span = await unlinkedTimeSpan(ctx, shape);
      if (span === null) return false;
      ranges = rangesOf(splitTimes(span.first, span.last, workers));
    } else {
      // A few samples per worker even out the ranges' sizes.
      const sample = workers > 1 ? await sampleUserIds(ctx, 4 * workers) : [];
      ranges = rangesOf(splitKeys(sample, workers));
    }
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

  /** A phase's workers summed, as the run record holds them. */
  function fold(run: SyncRun, workers: readonly SyncRunWorker[]) {
    let maxPages = 0;
    const folded = {
      counts: run.counts,
      pages: run.pages,
      early_stops: run.early_stops,
      skipped: run.skipped ?? 0,
      totals: run.totals,
      max_page: run.max_page,
      last_page: run.last_page,
      critical_path: run.critical_path ?? 1,
      last_error: run.last_error,
    };
    for (const worker of workers) {
      folded.counts = addCounts(folded.counts, worker.counts);
      folded.pages += worker.pages;
      folded.early_stops += worker.early_stops;
      folded.skipped += worker.skipped;
      folded.totals = combine(folded.totals, worker.totals, (x, y) => x + y);
      if (worker.max_page !== undefined) {
        folded.max_page = combine(
          folded.max_page ?? ZERO,
          worker.max_page,
          Math.max,
        );
      }
      folded.last_page = worker.last_page ?? folded.last_page;
      folded.last_error = worker.last_error ?? folded.last_error;
      maxPages = Math.max(maxPages, worker.pages);
    }
    folded.critical_path += maxPages;
    return folded;
  }

  /**
   * A worker stopped (its range done, or failed). The last of its phase to
   * stop starts the next phase, completes the run, or, if any failed, fails
   * it. Workers stopping at once conflict here (each reads the others'
   * records); Convex retries one, which then sees the other stopped.
   */
  async function stopWorker(
    ctx: MutationCtx,
    worker: SyncRunWorker,
    patch: Partial<SyncRunWorker>,
  ): Promise<void> {
    await ctx.db.patch("sync_run_workers", worker._id, patch);
    const siblings = await workersOf(ctx, worker.run_id, worker.phase);
    if (siblings.some((other) => other.status === "running")) return;
    const run = await getRunDoc(ctx, worker.run_id);
    if (run === null || run.status !== "running") return;
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
    const folded = fold(run, siblings);
    await ctx.db.patch("sync_runs", run._id, folded);
    const updated = { ...run, ...folded };
    if (
      worker.phase === "unlinked" &&
      (await startPhase(ctx, updated, "pairs", run.workers ?? 1))
    ) {
      return;
    }
    // The run's supervisor is left to its next look, which finds the run
    // ended and is its last: it is never canceled, since it may be running
    // now (a job canceled while it runs is an error on convex-test, whose
    // fake timers fire it beside the last page).
    await ctx.db.patch("sync_runs", run._id, {
      status: "completed",
      finished_at: now,
    });
  }

  /**
   * The first document a worker has yet to do (the one a failing page is
   * blamed on), with its table and where the worker stands after it; null
   * when its range is done.
   */
  async function nextDocument(
    ctx: MutationCtx,
    worker: SyncRunWorker,
  ): Promise<{ doc: AnyDoc; isUser: boolean; cursor: unknown } | null> {
    if (worker.phase === "unlinked") {
      const position = parse<Position>(worker.cursor);
      const { rows } = await unlinkedRowsAfter(
        ctx,
        shape,
        position,
        workerRange<number>(worker),
        1,
      );
      const [row] = rows;
      return row === undefined
        ? null
        : { doc: row, isUser: false, cursor: advance(position, [row]) };
    }
    const cursor = parse<PairsCursor>(worker.cursor);
    const { groups } = await readMergedPage(
      ctx,
      shape,
      cursor,
      workerRange<string>(worker),
      1,
    );
    const [group] = groups;
    if (group === undefined) return null;
    const [row] = group.rows;
    if (row !== undefined) {
      return {
        doc: row,
        isUser: false,
        cursor: afterRow(cursor, group.key, row),
      };
    }
    return group.user === null
      ? null
      : { doc: group.user, isUser: true, cursor: afterKey(group.key) };
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
    let next: Awaited<ReturnType<typeof nextDocument>>;
    try {
      next = await nextDocument(ctx, worker);
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
    const { doc, isUser } = next;
    const changes = await recordReview(
      ctx,
      {
        kind: "row_sync_failed",
        userId: isUser ? doc._id : undefined,
        rowIds: isUser ? [] : [doc._id],
        detail: `A bulk run failed on this ${isUser ? "users" : shape.table} row every time and passed over it: ${lastError}`,
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
      cursor: format(next.cursor),
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
   * The running run, if any. A run whose page job died outright is recovered
   * first, so a dead job never blocks anything.
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
   * run checked, at most DEFAULT_MAX_WORKERS.
   *
   * @example return await startRun(ctx, "syncAllUsers", { pageSize: 200, workers: 8 });
   */
  async function startRun(
    ctx: MutationCtx,
    name: string,
    options: StartRunOptions,
  ): Promise<SyncRun> {
    const pageSize = validPageSize(options.pageSize);
    const asked = validWorkers(options.workers);
    if (
      options.estimate !== undefined &&
      !(Number.isFinite(options.estimate) && options.estimate >= 0)
    ) {
      throw appError("INVALID_ARGUMENT", "estimate must be a count");
    }
    const active = await activeRun(ctx);
    if (active !== null) return active;
    const last = (await ctx.db
      .query("sync_runs")
      .order("desc")
      .first()) as SyncRun | null;
    const workers =
      asked ??
      defaultWorkers(last?.counts.checked, pageSize, DEFAULT_MAX_WORKERS);
    // The progress bar's denominator: what the last completed run checked.
    const previous = (await ctx.db
      .query("sync_runs")
      .withIndex("by_status", (q) => q.eq("status", "completed"))
      .order("desc")
      .first()) as SyncRun | null;
    const estimate =
      options.estimate !== undefined
        ? Math.round(options.estimate)
        : previous?.counts.checked;
    const runId = (await ctx.db.insert("sync_runs", {
      name,
      status: "running",
      dry_run: options.dryRun ?? false,
      page_size: pageSize,
      current_page_size: pageSize,
      phase: "unlinked",
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
    if (!(await startPhase(ctx, run, "unlinked", workers))) {
      await startPhase(ctx, run, "pairs", workers);
    }
    await scheduleSupervisor(ctx, runId);
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
    const pageSize =
      options.pageSize === undefined
        ? undefined
        : validPageSize(options.pageSize);
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
      if (!(await startPhase(ctx, resumed, "unlinked", 1))) {
        await startPhase(ctx, resumed, "pairs", 1);
      }
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
    // The watchdog of the run's earlier life may still be due to look.
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

  /**
   * Whether a step's writes stale the page: a write to a document the page
   * still holds, or a row moved to a key the page has yet to act on (its
   * group in memory would miss it).
   */
  function staleAfter(
    writes: readonly Write[],
    held: ReadonlySet<string>,
    movedInto: (value: Record<string, unknown>) => boolean,
  ): boolean {
    return writes.some(
      (write) =>
        (write.table === "users" || write.table === shape.table) &&
        (held.has(write.id) ||
          (write.table === shape.table && movedInto(write.value))),
    );
  }

  /** A page of the unlinked rows: each weighed from its own side. */
  async function unlinkedPage(
    ctx: MutationCtx,
    worker: SyncRunWorker,
    work: PageWork,
  ): Promise<{ cursor: unknown; isDone: boolean }> {
    const position = parse<Position>(worker.cursor);
    const { rows, isDone } = await unlinkedRowsAfter(
      ctx,
      shape,
      position,
      workerRange<number>(worker),
      worker.current_page_size,
    );
    // Emails are still being normalized in this phase: link nothing yet.
    const options = { ...stepOptions(worker), normalizeOnly: true };
    const log: Write[] = [];
    const writer = recordingWrites(ctx, log);
    const held = new Set<string>(rows.map((row) => row._id));
    const done: AnyDoc[] = [];
    for (const row of rows) {
      if (!work.canStep()) break;
      const from = log.length;
      await work.record(await syncFromRow(writer, shape, row, options));
      done.push(row);
      held.delete(row._id);
      if (staleAfter(log.slice(from), held, () => false)) break;
    }
    return {
      cursor: advance(position, done),
      isDone: isDone && done.length === rows.length,
    };
  }

  /**
   * A page of the merge: key group by key group, a pair synced from memory,
   * everything else through the per-document steps.
   */
  async function pairsPage(
    ctx: MutationCtx,
    worker: SyncRunWorker,
    work: PageWork,
  ): Promise<{ cursor: unknown; isDone: boolean }> {
    let cursor = parse<PairsCursor>(worker.cursor);
    const page = await readMergedPage(
      ctx,
      shape,
      cursor,
      workerRange<string>(worker),
      worker.current_page_size,
    );
    const options = stepOptions(worker);
    const log: Write[] = [];
    const writer = recordingWrites(ctx, log);
    // Documents of the groups still ahead: a write to one stales the page.
    const ahead = new Set<string>();
    for (const group of page.groups) {
      if (group.user !== null) ahead.add(group.user._id);
      for (const row of group.rows) ahead.add(row._id);
    }
    // Documents written by an earlier step: their copies in memory are old,
    // and a step of the same group reads them afresh.
    const written = new Set<string>();
    const fresh = async (table: string, doc: AnyDoc) =>
      written.has(doc._id)
        ? ((await ctx.db.get(table, doc._id)) as AnyDoc | null)
        : doc;
    let finished = true;

    groups: for (const group of page.groups) {
      const { key, user } = group;
      if (user !== null) ahead.delete(user._id);
      for (const row of group.rows) ahead.delete(row._id);
      const movedAhead = (value: Record<string, unknown>) => {
        const to = value[shape.appRef];
        return (
          typeof to === "string" &&
          compareKeys(to, key) > 0 &&
          page.end !== null &&
          compareKeys(to, page.end) <= 0
        );
      };
      /** Runs a step; true when its writes stale the rest of the page. */
      const act = async (step: () => Promise<SyncResult[]>) => {
        const from = log.length;
        await work.record(...(await step()));
        const writes = log.slice(from);
        for (const write of writes) written.add(write.id);
        return staleAfter(writes, ahead, movedAhead);
      };
      const untouched = () =>
        !group.rows.some((row) => written.has(row._id)) &&
        (user === null || !written.has(user._id));

      // What the group shows of the user's pair: its counterpart (two-way
      // references, or the one row of a complete group), or what readPair
      // would find.
      const shown = pairReadOf(shape, group);
      let userDone = false;
      for (const row of group.rows) {
        if (!work.canStep()) {
          finished = false;
          break groups;
        }
        let stale: boolean;
        if (row === shown?.counterpart && user !== null && untouched()) {
          // A pair, from memory: no lookup.
          stale = await act(async () => {
            const result = await syncFromRow(writer, shape, row, options, {
              user,
              counterpart: true,
            });
            return [result, userOfPair(result)];
          });
          cursor = afterUser(afterRow(cursor, key, row), key);
          userDone = true;
        } else {
          // The user this row names, when the page knows it and it is
          // unchanged since read: null when no user has this id.
          const known =
            group.userKnown && (user === null || !written.has(user._id))
              ? { user }
              : undefined;
          stale = await act(async () => {
            const current = await fresh(shape.table, row);
            return current === null
              ? []
              : [await syncFromRow(writer, shape, current, options, known)];
          });
          cursor = afterRow(cursor, key, row);
        }
        if (stale) {
          finished = false;
          break groups;
        }
      }
      // A group longer than the page: its user waits for the next page.
      if (!group.withUser) {
        finished = false;
        break;
      }
      if (user !== null && !userDone) {
        if (!work.canStep()) {
          finished = false;
          break;
        }
        // The group in memory is readPair's answer, unless a step here
        // wrote one of its documents.
        const read = untouched() ? shown : undefined;
        const stale = await act(async () => {
          const current = await fresh("users", user);
          return current === null
            ? []
            : [
                await ensurePair(
                  writer,
                  shape,
                  current,
                  {},
                  { ...options, read },
                ),
              ];
        });
        cursor = afterKey(key);
        if (stale) {
          finished = false;
          break;
        }
      } else {
        cursor = afterKey(key);
      }
    }
    return { cursor, isDone: finished && page.lastPage };
  }

  /** One page of a worker. */
  async function processPage(ctx: MutationCtx, workerId: WorkerId) {
    // 1. The worker, if it is still running.
    const worker = await getWorker(ctx, workerId);
    if (worker === null || worker.status !== "running") return;

    // 2. Its steps, while the budget lasts.
    const work = await PageWork.start(ctx);
    const { cursor, isDone } =
      worker.phase === "unlinked"
        ? await unlinkedPage(ctx, worker, work)
        : await pairsPage(ctx, worker, work);

    // 3. Where the next page starts, and how big it is.
    const patch: Partial<SyncRunWorker> = {
      counts: addCounts(worker.counts, work.counts),
      pages: worker.pages + 1,
      cursor: format(cursor),
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
    patch.totals = combine(worker.totals, used, (x, y) => x + y);
    if (worker.dry_run && work.changes.length > 0) {
      await ctx.db.insert("sync_run_changes", {
        run_id: worker.run_id,
        page: worker.pages,
        changes: work.changes,
      });
    }
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
    const folded = fold(run, workers);
    const running = workers.filter((worker) => worker.status === "running");
    return {
      ...run,
      ...folded,
      current_page_size: Math.min(
        run.page_size,
        ...running.map((worker) => worker.current_page_size),
      ),
    };
  }

  /**
   * The engine's functions, built with the app's own builders (raw ones:
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

  return { startRun, resumeRun, functions };
}

/** Arguments of the entry points that start a run. */
export const startRunArgs = {
  pageSize: v.optional(v.number()),
  dryRun: v.optional(v.boolean()),
  workers: v.optional(v.number()),
};
