/**
 * The batched, resumable engine behind a migration and a periodic
 * "sync every pair" run.
 *
 * A run pages through the app table, then `users`, over the creation-time
 * index: one page per transaction, the next page scheduled with
 * `runAfter(0)`. A page starts right after the last row done (its creation
 * time and id), so a row deleted meanwhile never sends the run back. Each
 * page watches its own budget through `ctx.meta.getTransactionMetrics()` and
 * stops early, before any limit, when what remains falls under a safety
 * margin (the largest per-row cost seen so far plus a reserve for
 * bookkeeping); later pages then shrink, and grow back once pages finish with
 * room to spare.
 *
 * A page that fails is retried one row at a time; a row that fails on its own
 * is recorded for review (`row_sync_failed`) and passed over, so a run always
 * completes. A page job that dies outright (a limit so far exceeded that it
 * cannot even record its failure) is noticed by the run's supervisor job,
 * which does the same.
 */
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
import type { AnyDoc, Shape } from "./declaration.js";
import { appError } from "./errors.js";
import {
  ensurePair,
  isReviewChange,
  recordReview,
  type SyncResult,
  syncFromRow,
} from "./steps.js";
import {
  type Metrics,
  type SyncRun,
  type SyncRunCounts,
  syncRunValidator,
} from "./validators.js";

type MutationCtx = GenericMutationCtx<GenericDataModel>;
type QueryCtx = GenericQueryCtx<GenericDataModel>;
type RunId = GenericId<"sync_runs">;

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** How often a running run's supervisor looks for a dead page job. */
export const SUPERVISE_EVERY_MS = 60_000;

/** Kept free for the page's own bookkeeping (run record, change log). */
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
  const metrics = await ctx.meta.getTransactionMetrics();
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

/** True while one more row of cost `rowCost` fits with the reserve intact. */
function fits(budget: Budget, rowCost: Metrics): boolean {
  return METRIC_KEYS.every(
    (key) => budget.remaining[key] >= rowCost[key] + RESERVE[key],
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

/** Where a phase stands: the last row done, and any rows done at its time. */
type Position = { time: number; ids: string[] };

function parsePosition(cursor: string | null): Position | null {
  return cursor === null ? null : (JSON.parse(cursor) as Position);
}

function formatPosition(position: Position | null): string | null {
  return position === null ? null : JSON.stringify(position);
}

/** The position after `rows` (in index order), continuing from `from`. */
function advance(
  from: Position | null,
  rows: readonly { _id: string; _creationTime: number }[],
): Position | null {
  const last = rows[rows.length - 1];
  if (last === undefined) return from;
  const atTime = rows
    .filter((row) => row._creationTime === last._creationTime)
    .map((row) => row._id);
  const earlier = from?.time === last._creationTime ? from.ids : [];
  return { time: last._creationTime, ids: [...earlier, ...atTime] };
}

/** The table a phase reads. */
function phaseTable(shape: Shape, run: Pick<SyncRun, "phase">): string {
  return run.phase === "users" ? "users" : shape.table;
}

/**
 * Up to `count` rows of the run's phase after its position, and whether the
 * phase has no rows beyond them.
 */
async function rowsAfter(
  ctx: QueryCtx,
  shape: Shape,
  run: Pick<SyncRun, "phase" | "cursor">,
  count: number,
): Promise<{ rows: AnyDoc[]; isDone: boolean }> {
  const position = parsePosition(run.cursor);
  const seen = new Set(position?.ids ?? []);
  const wanted = count + seen.size;
  const fetched = (await ctx.db
    .query(phaseTable(shape, run))
    .withIndex("by_creation_time", (q) =>
      position === null ? q : q.gte("_creationTime", position.time),
    )
    .take(wanted)) as AnyDoc[];
  const fresh = fetched.filter(
    (row) => !(row._creationTime === position?.time && seen.has(row._id)),
  );
  return {
    rows: fresh.slice(0, count),
    isDone: fetched.length < wanted && fresh.length <= count,
  };
}

/** Runs and their change log, with the library's own tables. */
async function getRunDoc(ctx: QueryCtx, runId: RunId): Promise<SyncRun | null> {
  return (await ctx.db.get("sync_runs", runId)) as SyncRun | null;
}

/**
 * Builds the engine for one shape: its functions (the app exports them from
 * `shape.modules.engine`) and what starts a run.
 */
export function makeEngine(shape: Shape) {
  const ref = (name: string) =>
    makeFunctionReference<"mutation">(`${shape.modules.engine}:${name}`);

  async function scheduleNextPage(ctx: MutationCtx, runId: RunId) {
    const jobId = await ctx.scheduler.runAfter(0, ref("runPage"), { runId });
    await ctx.db.patch("sync_runs", runId, { next_job_id: jobId });
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
   * A page failed with `message`. A page of several rows is retried one row
   * at a time; a single row that fails is the culprit: it is recorded for
   * review (`row_sync_failed`, or the dry run's change log) and passed over,
   * and the run goes on.
   */
  async function handlePageFailure(
    ctx: MutationCtx,
    run: SyncRun,
    message: string,
  ): Promise<void> {
    const lastError = message.slice(0, 2000);
    if (run.current_page_size > 1) {
      await ctx.db.patch("sync_runs", run._id, {
        current_page_size: 1,
        last_error: lastError,
      });
      await scheduleNextPage(ctx, run._id);
      return;
    }
    const { rows } = await rowsAfter(ctx, shape, run, 1);
    const [row] = rows;
    if (row === undefined) {
      // Nothing left to blame: the failure is the run's own.
      await ctx.db.patch("sync_runs", run._id, {
        status: "failed",
        last_error: lastError,
        finished_at: Date.now(),
      });
      return;
    }
    const isUser = run.phase === "users";
    const changes = await recordReview(
      ctx,
      {
        kind: "row_sync_failed",
        userId: isUser ? row._id : undefined,
        rowIds: isUser ? [] : [row._id],
        detail: `A bulk run failed on this ${phaseTable(shape, run)} row every time and passed over it: ${lastError}`,
      },
      { now: Date.now(), dryRun: run.dry_run },
    );
    if (run.dry_run) {
      await ctx.db.insert("sync_run_changes", {
        run_id: run._id,
        page: run.pages,
        changes,
      });
    }
    await ctx.db.patch("sync_runs", run._id, {
      cursor: formatPosition(advance(parsePosition(run.cursor), [row])),
      counts: {
        ...run.counts,
        checked: run.counts.checked + 1,
        needingReview: run.counts.needingReview + 1,
      },
      skipped: (run.skipped ?? 0) + 1,
      last_error: lastError,
    });
    await scheduleNextPage(ctx, run._id);
  }

  /**
   * If the run's page job failed or was canceled without recording it, treat
   * it as a failed page. Returns whether it found a dead job.
   */
  async function recoverDeadPage(
    ctx: MutationCtx,
    run: SyncRun,
  ): Promise<boolean> {
    if (run.status !== "running" || run.next_job_id === undefined) {
      return false;
    }
    const job = await ctx.db.system.get(
      "_scheduled_functions",
      run.next_job_id,
    );
    if (job?.state.kind !== "failed" && job?.state.kind !== "canceled") {
      return false;
    }
    await handlePageFailure(
      ctx,
      run,
      `The page job ${job.state.kind === "failed" ? "failed" : "was canceled"}; see the deployment logs`,
    );
    return true;
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
    if (run !== null) await recoverDeadPage(ctx, run);
    return run === null ? null : await getRunDoc(ctx, run._id);
  }

  /**
   * Starts a run, or returns the active one: there is never more than one
   * (concurrent starts conflict and Convex retries one, which then sees the
   * other's run).
   *
   * @example return await startRun(ctx, "syncAllUsers", { pageSize: 200 });
   */
  async function startRun(
    ctx: MutationCtx,
    name: string,
    options: {
      pageSize?: number;
      dryRun?: boolean;
      /** Rows the run is expected to check; default: the last run's count. */
      estimate?: number;
      /** Who starts it, for the audit log (default: the CLI). */
      actor?: Actor;
    },
  ): Promise<SyncRun> {
    const pageSize = validPageSize(options.pageSize);
    if (
      options.estimate !== undefined &&
      !(Number.isFinite(options.estimate) && options.estimate >= 0)
    ) {
      throw appError("INVALID_ARGUMENT", "estimate must be a count");
    }
    const active = await activeRun(ctx);
    if (active !== null) return active;
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
      // The app table first: it normalizes imported emails and clears
      // dangling references, so the users phase then links by email
      // reliably.
      phase: "rows",
      cursor: null,
      counts: NO_COUNTS,
      pages: 0,
      early_stops: 0,
      totals: ZERO,
      started_at: Date.now(),
      ...(estimate === undefined ? {} : { estimate }),
    })) as RunId;
    await scheduleNextPage(ctx, runId);
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
      ...(pageSize === undefined
        ? {}
        : { page_size: pageSize, current_page_size: pageSize }),
    });
    await scheduleNextPage(ctx, runId);
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

  /** One page of a run. */
  async function processPage(ctx: MutationCtx, runId: RunId): Promise<void> {
    // 1. The run, if it is still running.
    const run = await getRunDoc(ctx, runId);
    if (run === null || run.status !== "running") return;
    const now = Date.now();
    const options = { now, dryRun: run.dry_run };

    // 2. The page: the rows after the last one done.
    const { rows, isDone } = await rowsAfter(
      ctx,
      shape,
      run,
      run.current_page_size,
    );

    // 3. Rows, while the budget lasts.
    let counts = run.counts;
    const changes: string[] = [];
    let rowCost = ZERO;
    let budget = await readBudget(ctx);
    const done: AnyDoc[] = [];
    for (const row of rows) {
      // At least one row per page, so a run always moves forward; after it,
      // the next row must fit as the costliest one so far did.
      if (done.length > 0 && !fits(budget, rowCost)) break;
      const result =
        run.phase === "users"
          ? await ensurePair(ctx, shape, row, {}, options)
          : await syncFromRow(ctx, shape, row, options);
      const after = await readBudget(ctx);
      const cost = combine(after.used, budget.used, (x, y) => x - y);
      // The margin follows the most expensive row seen, so large documents
      // shrink the page on their own.
      rowCost = combine(rowCost, cost, Math.max);
      budget = after;
      counts = tally(counts, result);
      changes.push(...result.changes);
      done.push(row);
    }
    const stoppedEarly = done.length < rows.length;

    // 4. Where the next page starts, and how big it is.
    const patch: Partial<SyncRun> = {
      counts,
      pages: run.pages + 1,
      cursor: formatPosition(advance(parsePosition(run.cursor), done)),
    };
    if (stoppedEarly) {
      patch.early_stops = run.early_stops + 1;
      patch.current_page_size = Math.max(1, done.length);
    } else {
      patch.current_page_size = Math.min(
        run.page_size,
        run.current_page_size * 2,
      );
      if (isDone && run.phase === "rows") {
        patch.phase = "users";
        patch.cursor = null;
      } else if (isDone) {
        patch.status = "completed";
        patch.finished_at = now;
      }
    }

    // 5. What this page cost, recorded in the run.
    const used = budget.used;
    patch.last_page = { ...used, rows: done.length, stoppedEarly };
    patch.max_page = combine(run.max_page ?? ZERO, used, Math.max);
    patch.totals = combine(run.totals, used, (x, y) => x + y);
    if (run.dry_run && changes.length > 0) {
      await ctx.db.insert("sync_run_changes", {
        run_id: runId,
        page: run.pages,
        changes,
      });
    }
    await ctx.db.patch("sync_runs", runId, patch);
    if (patch.status !== "completed") {
      await scheduleNextPage(ctx, runId);
    } else if (run.supervisor_job_id !== undefined) {
      // A finished run needs no watchdog: none is left waiting to wake.
      await ctx.scheduler.cancel(run.supervisor_job_id);
    }
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
       * Runs one page as a sub-transaction: if it throws, its writes roll
       * back and the failure is handled (retry row by row, or pass over the
       * failing row).
       */
      runPage: internalMutation({
        args: { runId: v.id("sync_runs") },
        returns: v.null(),
        handler: async (ctx, { runId }) => {
          try {
            await ctx.runMutation(ref("processPage"), { runId });
          } catch (error) {
            const message =
              error instanceof Error ? error.message : String(error);
            console.error(`Sync run ${runId}: a page failed: ${message}`);
            const run = await getRunDoc(ctx, runId);
            if (run?.status === "running") {
              await handlePageFailure(ctx, run, message);
            }
          }
          return null;
        },
      }),

      /** One page of a run. Internal: only runPage calls it. */
      processPage: internalMutation({
        args: { runId: v.id("sync_runs") },
        returns: v.null(),
        handler: async (ctx, { runId }) => {
          await processPage(ctx, runId);
          return null;
        },
      }),

      /**
       * A running run's watchdog: recovers a page job that died without a
       * trace, then looks again later. Its next look after the run ends is
       * its last.
       */
      supervise: internalMutation({
        args: { runId: v.id("sync_runs") },
        returns: v.null(),
        handler: async (ctx, { runId }) => {
          const run = await getRunDoc(ctx, runId);
          if (run === null || run.status !== "running") return null;
          await recoverDeadPage(ctx, run);
          await scheduleSupervisor(ctx, runId);
          return null;
        },
      }),

      /**
       * Resumes a failed run from its position, optionally with another
       * page size.
       *
       * @example npx convex run userSync:resumeRun '{"runId":"...","pageSize":20}'
       */
      resumeRun: internalMutation({
        args: { runId: v.string(), pageSize: v.optional(v.number()) },
        returns: syncRunValidator,
        handler: async (ctx, args) =>
          await resumeRun(ctx, args.runId, { pageSize: args.pageSize }),
      }),

      /**
       * A run by id, or the latest run.
       *
       * @example npx convex run userSync:getRun
       */
      getRun: internalQuery({
        args: { runId: v.optional(v.string()) },
        returns: v.union(v.null(), syncRunValidator),
        handler: async (ctx, { runId }) => {
          if (runId === undefined) {
            return (await ctx.db
              .query("sync_runs")
              .order("desc")
              .first()) as SyncRun | null;
          }
          const id = ctx.db.normalizeId("sync_runs", runId);
          if (id === null) {
            throw appError("INVALID_ARGUMENT", "not an id of table sync_runs");
          }
          return await getRunDoc(ctx, id);
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
          const numItems = Math.min(Math.max(1, paginationOpts.numItems), 100);
          const result = await ctx.db
            .query("sync_run_changes")
            .withIndex("by_run_id_and_page", (q) => q.eq("run_id", id))
            .paginate({ numItems, cursor: paginationOpts.cursor });
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
};
