/**
 * Pages of a query for pagination options a caller sent: bounded whatever
 * they say, and a cursor the query never made refused with a code. Every
 * paginated read the library offers (the drift report, the review queue, the
 * audit log) goes through here.
 */
import type { PaginationOptions, PaginationResult } from "convex/server";
import { appError } from "./errors.js";

/**
 * The page size to read: `requested` up to `max`. A request that is no
 * whole number of at least one is INVALID_ARGUMENT (NaN would otherwise
 * reach the database unbounded).
 *
 * @example const numItems = pageSize(args.pageSize ?? 200, MAX_PAGE_SIZE, "pageSize");
 */
export function pageSize(
  requested: number,
  max: number,
  name = "numItems",
): number {
  if (!(Number.isInteger(requested) && requested >= 1)) {
    throw appError("INVALID_ARGUMENT", `${name} must be a whole number ≥ 1`);
  }
  return Math.min(requested, max);
}

/** What a bounded page answers (no split hints: see boundedPage). */
export type BoundedPage<T> = {
  page: T[];
  continueCursor: string;
  isDone: boolean;
};

/**
 * One page of `query` from `opts.cursor`: at most `max` items, however many
 * the caller asked for. Only `numItems` and `cursor` are used:
 * `maximumRowsRead` and `maximumBytesRead` could only shorten the page, and
 * an `endCursor` ("everything up to there", which Convex answers regardless
 * of `numItems`) is refused. The page never recommends a split, so Convex's
 * `usePaginatedQuery` never sends one. A cursor Convex refuses is
 * INVALID_ARGUMENT (`refusal` says whose cursors are expected); any failure
 * of a first page (a limit) stays what it is.
 *
 * @example return await boundedPage(ctx.db.query("sync_audit").order("desc"), opts, 100, "Not a cursor of the audit log");
 */
export async function boundedPage<T>(
  query: { paginate(opts: PaginationOptions): Promise<PaginationResult<T>> },
  opts: PaginationOptions,
  max: number,
  refusal: string,
): Promise<BoundedPage<T>> {
  const numItems = pageSize(opts.numItems, max);
  if (opts.endCursor !== undefined && opts.endCursor !== null) {
    throw appError("INVALID_ARGUMENT", "endCursor is not supported here");
  }
  let result: PaginationResult<T>;
  try {
    result = await query.paginate({ numItems, cursor: opts.cursor });
  } catch (error) {
    if (opts.cursor === null) throw error;
    throw appError("INVALID_ARGUMENT", refusal);
  }
  const { page, continueCursor, isDone } = result;
  return { page, continueCursor, isDone };
}
