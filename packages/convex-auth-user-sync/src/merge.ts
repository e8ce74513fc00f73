/**
 * Reading both tables in one shared order, and merging them. Pure: no Convex
 * calls (streams.ts reads the pages, the run's phases in runs/phases/ and
 * driftReport.ts act on them).
 *
 * The shared order is the user id. `users` is read by its `by_id` index; the
 * app table by its reference index `by_<appRef>`, which orders rows by the
 * user id they name (then by creation time). Rows naming no one sort first
 * there, as the index orders a missing field before every value: they are
 * read as a segment of their own (the "unlinked" phase) before the merge.
 *
 * Both indexes order ids alike: a Convex id is the order-preserving base32
 * of its table number and internal id, and every id of one table has the
 * same length, so string order is internal-id order in both. Keys are
 * compared as Convex compares values (`compareValues`: strings by UTF-8
 * bytes), and the merge checks the order on every page anyway (`inOrder`):
 * a page out of order is never merged.
 *
 * What a merge step may conclude, and what it must still look up:
 * - all rows naming one user are adjacent in the rows stream, so a *key
 *   group* (the user with that id, if any, and the rows naming it) is
 *   complete once the stream has passed the key;
 * - a user and a row that name each other are a pair (two-way references):
 *   no lookup needed, whatever else the group holds;
 * - with the app side's reference only, the user's one row is its
 *   counterpart only if the group is complete and holds exactly that row;
 * - absence (no user at a key: the rows' reference dangles; no row at a
 *   key) is concluded only where the page read the whole key range;
 * - anything else (one-sided pointers, claims, duplicates, unlinked rows)
 *   goes to the per-document steps, which look up what they need.
 */
import { compareValues } from "convex/values";

/** What a merge needs of a document. */
export type Doc = { _id: string; _creationTime: number };

/**
 * Where a merge stands: every key before `key` is done; at `key`, the rows
 * done so far (all, none, or those up to a creation time and the ids done at
 * it) and whether its user is done. `null`: nothing done yet.
 */
export type PairsCursor = {
  key: string;
  rows: "all" | "none" | { time: number; ids: string[] };
  user: boolean;
} | null;

/** The rows naming one user id, and that user, as one page read them. */
export type KeyGroup<D extends Doc> = {
  key: string;
  /** The user with this id, if read and not done yet. */
  user: D | null;
  /** Its rows not done yet, in index order. */
  rows: D[];
  /** The page holds every row naming this key (none was done before). */
  complete: boolean;
  /** The user's turn is in this page (the rows after it are all read). */
  withUser: boolean;
  /** The page knows the user at this key: `user`, or that none exists. */
  userKnown: boolean;
};

/** Id order, as both indexes order ids (see the module comment). */
export function compareKeys(a: string, b: string): number {
  return compareValues(a, b);
}

/**
 * The key groups a page may act on, in key order, from the users and rows
 * it read after `cursor`:
 * - `usersFull`: the users query hit its limit, so keys after the last user
 *   read are unknown (the rows were read up to that user's id);
 * - `rowsFull`: the rows query hit its limit, so the group of the last row's
 *   key may go on: it is left to the next page, unless it is all the page
 *   has, when its rows read so far are handed out without their user.
 *
 * @example const { groups, inOrder } = groupPage({ users, rows, rowKey, usersFull, rowsFull, cursor });
 */
export function groupPage<D extends Doc>(page: {
  users: readonly D[];
  rows: readonly D[];
  rowKey: (row: D) => string;
  usersFull: boolean;
  rowsFull: boolean;
  cursor: PairsCursor;
}): { groups: KeyGroup<D>[]; inOrder: boolean } {
  const { users, rows, rowKey, cursor } = page;
  const inOrder =
    users.every(
      (user, i) => i === 0 || compareKeys(users[i - 1]!._id, user._id) < 0,
    ) &&
    rows.every(
      (row, i) =>
        i === 0 || compareKeys(rowKey(rows[i - 1]!), rowKey(row)) <= 0,
    );
  if (!inOrder) return { groups: [], inOrder };

  const lastUser = page.usersFull ? users[users.length - 1]?._id : undefined;
  const lastRowKey = page.rowsFull
    ? (() => {
        const last = rows[rows.length - 1];
        return last === undefined ? undefined : rowKey(last);
      })()
    : undefined;
  const usable = (key: string) =>
    (lastUser === undefined || compareKeys(key, lastUser) <= 0) &&
    (lastRowKey === undefined || compareKeys(key, lastRowKey) < 0);

  const byKey = new Map<string, { user: D | null; rows: D[] }>();
  const entry = (key: string) => {
    let found = byKey.get(key);
    if (found === undefined) {
      found = { user: null, rows: [] };
      byKey.set(key, found);
    }
    return found;
  };
  for (const user of users) entry(user._id).user = user;
  for (const row of rows) entry(rowKey(row)).rows.push(row);
  const keys = [...byKey.keys()].sort(compareKeys);

  const partlyDone = (key: string) =>
    cursor !== null && cursor.key === key && typeof cursor.rows === "object";
  const userDone = (key: string) =>
    cursor !== null && cursor.key === key && cursor.user;
  const groups: KeyGroup<D>[] = [];
  for (const key of keys) {
    if (!usable(key)) continue;
    const { user, rows: keyRows } = byKey.get(key)!;
    groups.push({
      key,
      user,
      rows: keyRows,
      complete: !partlyDone(key),
      withUser: true,
      userKnown: !userDone(key),
    });
  }
  // A group longer than the page: its rows now, its user once they are done.
  if (groups.length === 0 && lastRowKey !== undefined) {
    groups.push({
      key: lastRowKey,
      user: null,
      rows: byKey.get(lastRowKey)!.rows,
      complete: false,
      withUser: false,
      userKnown: false,
    });
  }
  return { groups, inOrder };
}

/** The cursor after a row of `key` is done. */
export function afterRow(
  cursor: PairsCursor,
  key: string,
  row: Doc,
): PairsCursor {
  if (cursor !== null && cursor.key === key) {
    const rows = cursor.rows;
    if (typeof rows === "object" && rows.time === row._creationTime) {
      return {
        ...cursor,
        rows: { time: row._creationTime, ids: [...rows.ids, row._id] },
      };
    }
    return { ...cursor, rows: { time: row._creationTime, ids: [row._id] } };
  }
  return {
    key,
    rows: { time: row._creationTime, ids: [row._id] },
    user: false,
  };
}

/** The cursor after the user of `key` is done. */
export function afterUser(cursor: PairsCursor, key: string): PairsCursor {
  return cursor !== null && cursor.key === key
    ? { ...cursor, user: true }
    : { key, rows: "none", user: true };
}

/** The cursor after everything of `key` is done. */
export function afterKey(key: string): PairsCursor {
  return { key, rows: "all", user: true };
}

/**
 * Where a segment ordered by creation time stands (the unlinked rows): the
 * last row done, and the rows done at its creation time.
 */
export type Position = { time: number; ids: string[] };

/** The most ids a position carries: documents done at one creation time. */
export const MAX_POSITION_IDS = 1_000;

/**
 * Whether a value read back from a client is a position this code made
 * (found by review: a crafted one threw a TypeError, or made a page read
 * as many documents as it listed).
 */
export function isPosition(value: unknown): value is Position {
  if (value === null || typeof value !== "object") return false;
  const { time, ids } = value as Record<string, unknown>;
  return (
    typeof time === "number" &&
    Number.isFinite(time) &&
    Array.isArray(ids) &&
    ids.length <= MAX_POSITION_IDS &&
    ids.every((id) => typeof id === "string")
  );
}

/** Whether a value read back from a client is a pairs cursor this code made. */
export function isPairsCursor(value: unknown): value is PairsCursor {
  if (value === null) return true;
  if (typeof value !== "object") return false;
  const { key, rows, user } = value as Record<string, unknown>;
  return (
    typeof key === "string" &&
    typeof user === "boolean" &&
    (rows === "all" || rows === "none" || isPosition(rows))
  );
}

/** The position after `docs` (in index order), continuing from `from`. */
export function advance(
  from: Position | null,
  docs: readonly Doc[],
): Position | null {
  const last = docs[docs.length - 1];
  if (last === undefined) return from;
  const atTime = docs
    .filter((doc) => doc._creationTime === last._creationTime)
    .map((doc) => doc._id);
  const earlier = from?.time === last._creationTime ? from.ids : [];
  return { time: last._creationTime, ids: [...earlier, ...atTime] };
}

/**
 * Split keys for `workers` ranges, from a sample of keys spread over the
 * table: every (sample size / workers)-th of the sorted, distinct sample.
 * Fewer distinct keys than workers give fewer ranges. Worker i covers the
 * keys after split i-1 (the first: from the start) up to split i (the last:
 * to the end).
 *
 * @example splitKeys(["c", "a", "b", "d"], 2) // ["b"]
 */
export function splitKeys(
  sample: readonly string[],
  workers: number,
): string[] {
  const sorted = [...new Set(sample)].sort(compareKeys);
  const splits: string[] = [];
  for (let i = 1; i < workers; i++) {
    const key = sorted[Math.floor((i * sorted.length) / workers) - 1];
    if (key !== undefined && key !== splits[splits.length - 1]) {
      splits.push(key);
    }
  }
  return splits;
}

/**
 * Split times for `workers` ranges of equal length over [first, last], the
 * creation times of a segment's first and last document.
 */
export function splitTimes(
  first: number,
  last: number,
  workers: number,
): number[] {
  const splits: number[] = [];
  for (let i = 1; i < workers; i++) {
    const time = first + ((last - first) * i) / workers;
    if (time >= first && time < last && time !== splits[splits.length - 1]) {
      splits.push(time);
    }
  }
  return splits;
}

/**
 * The ranges the splits make: `[lower, upper]` pairs, lower exclusive, upper
 * inclusive, null for open ends.
 */
export function rangesOf<K>(splits: readonly K[]): [K | null, K | null][] {
  const ranges: [K | null, K | null][] = [];
  let lower: K | null = null;
  for (const split of splits) {
    ranges.push([lower, split]);
    lower = split;
  }
  ranges.push([lower, null]);
  return ranges;
}

/**
 * How many workers a run gets by default: enough for about `pagesEach`
 * pages each over the documents the last run checked, at most `max`; one
 * when no run came before (pass `workers` for a first run over a large
 * deployment).
 */
export function defaultWorkers(
  lastChecked: number | undefined,
  pageSize: number,
  max: number,
  pagesEach = 25,
): number {
  if (lastChecked === undefined) return 1;
  // A page reads up to pageSize users and pageSize rows.
  const pages = lastChecked / (2 * pageSize);
  return Math.max(1, Math.min(max, Math.floor(pages / pagesEach)));
}
