/**
 * What one page of a run may spend and what it did. Every phase's page
 * steps through `PageWork`, so the budget rule (stop before any limit,
 * keeping room for the runner's bookkeeping) is the same for all of them,
 * and the runner sizes the next page from what this one managed.
 */
import type { GenericDataModel, GenericMutationCtx } from "convex/server";
import { transactionMetrics } from "../compat.js";
import type { Shape } from "../declaration.js";
import { isReviewChange, type SyncResult } from "../steps.js";
import type { Metrics, SyncRunCounts } from "../validators.js";

type MutationCtx = GenericMutationCtx<GenericDataModel>;

/** Kept free for the page's own bookkeeping (worker record, change log). */
export const RESERVE: Metrics = {
  documentsRead: 8,
  databaseQueries: 8,
  documentsWritten: 4,
  bytesRead: 512 * 1024,
  bytesWritten: 512 * 1024,
};

const METRIC_KEYS = Object.keys(RESERVE) as (keyof Metrics)[];

export const ZERO: Metrics = {
  documentsRead: 0,
  databaseQueries: 0,
  documentsWritten: 0,
  bytesRead: 0,
  bytesWritten: 0,
};

export const NO_COUNTS: SyncRunCounts = {
  checked: 0,
  unchanged: 0,
  repaired: 0,
  linked: 0,
  created: 0,
  pending: 0,
  needingReview: 0,
};

export type Budget = { used: Metrics; remaining: Metrics };

export async function readBudget(ctx: MutationCtx): Promise<Budget> {
  const metrics = await transactionMetrics(ctx);
  const used = { ...ZERO };
  const remaining = { ...ZERO };
  for (const key of METRIC_KEYS) {
    used[key] = metrics[key].used;
    remaining[key] = metrics[key].remaining;
  }
  return { used, remaining };
}

export function combine(
  a: Metrics,
  b: Metrics,
  op: (x: number, y: number) => number,
): Metrics {
  const out = { ...ZERO };
  for (const key of METRIC_KEYS) out[key] = op(a[key], b[key]);
  return out;
}

/**
 * The share of a transaction's limits a budget has used: its highest
 * measure's used / (used + remaining), 0 to 1.
 */
export function shareOfLimits(budget: Budget): number {
  let share = 0;
  for (const key of METRIC_KEYS) {
    const limit = budget.used[key] + budget.remaining[key];
    if (limit > 0) share = Math.max(share, budget.used[key] / limit);
  }
  return share;
}

/** The costlier of two pages by share of the limits (the first on a tie). */
export function costlier<T extends { share: number }>(
  a: T | undefined,
  b: T | undefined,
): T | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b.share > a.share ? b : a;
}

/** True while one more step of cost `stepCost` fits with the reserve intact. */
export function fits(budget: Budget, stepCost: Metrics): boolean {
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

export function addCounts(a: SyncRunCounts, b: SyncRunCounts): SyncRunCounts {
  const out = { ...a };
  for (const key of Object.keys(out) as (keyof SyncRunCounts)[]) {
    out[key] += b[key];
  }
  return out;
}

/** A write a page made, for the staleness check. */
export type Write = {
  table: string;
  id: string;
  value: Record<string, unknown>;
};

/**
 * The page's context, recording every write it makes (the steps write
 * through `ctx.db` only).
 */
export function recordingWrites(ctx: MutationCtx, log: Write[]): MutationCtx {
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
 * Whether a step's writes stale the page: a write to a document the page
 * still holds, or a row moved to a key the page has yet to act on (its
 * group in memory would miss it).
 */
export function staleAfter(
  shape: Shape,
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

/**
 * What one page does and spends: the steps it took, their results, and the
 * budget left. The first step always runs, so a run always moves forward;
 * after it, a step must fit as the costliest one so far did.
 */
export class PageWork {
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

  /** The share of the transaction's limits the page has used so far. */
  get share(): number {
    return shareOfLimits(this.budget);
  }
}
