/**
 * The contract between the runner and a phase. The runner owns everything
 * a run shares whatever it reads (workers, cursors kept as JSON, budget,
 * retries, blame, progress); a phase owns only its order: how to split it
 * among workers, one page of it, and the next document of it to blame.
 * A new kind of run is then a new phase file, not a change to the runner.
 */
import type { GenericDataModel, GenericMutationCtx } from "convex/server";
import type { GenericId } from "convex/values";
import type { SyncOptions } from "../steps.js";
import type { Range } from "../streams.js";
import type { SyncRunWorker } from "../validators.js";
import type { PageWork } from "./budget.js";

export type MutationCtx = GenericMutationCtx<GenericDataModel>;

/** A bound of a worker's range: after `lower`, up to and including `upper`; null is open. */
export type Bound = number | string | null;

export type PageResult = { cursor: unknown; isDone: boolean };

/** Who a document that fails every time is recorded against (a row_sync_failed review). */
export type Blame = {
  userId?: GenericId<"users">;
  rowIds: GenericId<string>[];
  /** What failed, in the review's detail: "auth_users row", "users row", … */
  what: string;
};

export type RunPhase = {
  /** Worker ranges over the phase's order (at most `workers`); null when the phase has nothing to read. */
  split(
    ctx: MutationCtx,
    workers: number,
  ): Promise<Array<[Bound, Bound]> | null>;
  /** One page of a worker: steps while work.canStep(); the worker's new cursor and whether its range is done. */
  page(
    ctx: MutationCtx,
    worker: SyncRunWorker,
    work: PageWork,
  ): Promise<PageResult>;
  /** The first document the worker has yet to do (blamed when a one-document page fails), and the cursor after it; null when the range is done. */
  nextDocument(
    ctx: MutationCtx,
    worker: SyncRunWorker,
  ): Promise<{ cursor: unknown; blame: Blame } | null>;
};

/** What a worker's steps run with: a dry run plans, under its own id. */
export function stepOptions(worker: SyncRunWorker): SyncOptions {
  return {
    now: Date.now(),
    dryRun: worker.dry_run,
    dryRunId: worker.dry_run ? worker.run_id : undefined,
  };
}

/** A worker's cursor as its phase wrote it (the record keeps it as JSON). */
export function parseCursor<T>(cursor: string | null): T | null {
  return cursor === null ? null : (JSON.parse(cursor) as T);
}

export function formatCursor(value: unknown): string | null {
  return value === null ? null : JSON.stringify(value);
}

/** A worker's key range, in the order of its phase. */
export function workerRange<K>(worker: SyncRunWorker): Range<K> {
  return { lower: worker.lower as K | null, upper: worker.upper as K | null };
}
