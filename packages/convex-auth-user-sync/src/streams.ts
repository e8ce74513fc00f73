/**
 * Reads of both tables in their shared order (see merge.ts), a bounded page
 * at a time, for the engine and the drift report. Each read is one index
 * range (two when a page resumes inside a key group).
 */
import type { AnyDoc, Shape } from "./declaration.js";
import {
  groupPage,
  type KeyGroup,
  type PairsCursor,
  type Position,
} from "./merge.js";
import type { PairRead, ReadCtx } from "./steps.js";

/** Bounds of a range of the order: lower exclusive, upper inclusive. */
export type Range<K> = { lower: K | null; upper: K | null };

type Bounds = {
  gt: (field: string, value: unknown) => Bounds;
  gte: (field: string, value: unknown) => Bounds;
  lte: (field: string, value: unknown) => Bounds;
  eq: (field: string, value: unknown) => Bounds;
};

/**
 * Up to `count` unlinked rows (no reference) after `position`, within
 * `range` of creation times, and whether the range has no more.
 */
export async function unlinkedRowsAfter(
  ctx: ReadCtx,
  shape: Shape,
  position: Position | null,
  range: Range<number>,
  count: number,
): Promise<{ rows: AnyDoc[]; isDone: boolean }> {
  const seen = new Set(position?.ids ?? []);
  const wanted = count + seen.size;
  const fetched = (await ctx.db
    .query(shape.table)
    .withIndex(shape.indexes.appByUser, (q) => {
      let bounds = (q as unknown as Bounds).eq(shape.appRef, undefined);
      if (position !== null) {
        bounds = bounds.gte("_creationTime", position.time);
      } else if (range.lower !== null) {
        bounds = bounds.gt("_creationTime", range.lower);
      }
      if (range.upper !== null)
        bounds = bounds.lte("_creationTime", range.upper);
      return bounds as never;
    })
    .take(wanted)) as AnyDoc[];
  const fresh = fetched.filter(
    (row) => !(row._creationTime === position?.time && seen.has(row._id)),
  );
  return {
    rows: fresh.slice(0, count),
    isDone: fetched.length < wanted && fresh.length <= count,
  };
}

/** The first and last creation times of the unlinked rows, if any. */
export async function unlinkedTimeSpan(
  ctx: ReadCtx,
  shape: Shape,
): Promise<{ first: number; last: number } | null> {
  const query = () =>
    ctx.db
      .query(shape.table)
      .withIndex(
        shape.indexes.appByUser,
        (q) => (q as unknown as Bounds).eq(shape.appRef, undefined) as never,
      );
  const first = (await query().first()) as AnyDoc | null;
  const last = (await query().order("desc").first()) as AnyDoc | null;
  return first === null || last === null
    ? null
    : { first: first._creationTime, last: last._creationTime };
}

/**
 * `count` user ids spread over the users table, for split keys: the users
 * first created at evenly spaced creation times (2 + count index ranges).
 */
export async function sampleUserIds(
  ctx: ReadCtx,
  count: number,
): Promise<string[]> {
  const byTime = () => ctx.db.query("users").withIndex("by_creation_time");
  const first = (await byTime().first()) as AnyDoc | null;
  const last = (await byTime().order("desc").first()) as AnyDoc | null;
  if (first === null || last === null) return [];
  const ids = [first._id as string, last._id as string];
  const span = last._creationTime - first._creationTime;
  for (let i = 1; i < count; i++) {
    const time = first._creationTime + (span * i) / count;
    const user = (await ctx.db
      .query("users")
      .withIndex("by_creation_time", (q) => q.gte("_creationTime", time))
      .first()) as AnyDoc | null;
    if (user !== null) ids.push(user._id);
  }
  return ids;
}

/** One page of the merge: its key groups, and whether the range is done. */
export type MergedPage = {
  groups: KeyGroup<AnyDoc>[];
  /** Both streams ended within the range: these groups are the last. */
  lastPage: boolean;
  /** Every id the page read, for the engine's staleness check. */
  read: AnyDoc[];
  /** The last group's key: later writes up to it would stale the page. */
  end: string | null;
};

/**
 * Reads the next page of the merge after `cursor` within `range`: up to
 * `count` users by id, then up to `count` rows by the user id they name, no
 * further than the last user read.
 */
export async function readMergedPage(
  ctx: ReadCtx,
  shape: Shape,
  cursor: PairsCursor,
  range: Range<string>,
  count: number,
): Promise<MergedPage> {
  const users = (await ctx.db
    .query("users")
    .withIndex("by_id", (q) => {
      let bounds = q as unknown as Bounds;
      if (cursor !== null) {
        bounds = cursor.user
          ? bounds.gt("_id", cursor.key)
          : bounds.gte("_id", cursor.key);
      } else if (range.lower !== null) {
        bounds = bounds.gt("_id", range.lower);
      }
      if (range.upper !== null) bounds = bounds.lte("_id", range.upper);
      return bounds as never;
    })
    .take(count)) as AnyDoc[];
  const usersFull = users.length === count;
  const rowsUpper = usersFull ? (users[count - 1]!._id as string) : range.upper;

  const rows: AnyDoc[] = [];
  const rowQuery = (range: (q: Bounds) => Bounds, limit: number) =>
    ctx.db
      .query(shape.table)
      .withIndex(
        shape.indexes.appByUser,
        (q) => range(q as unknown as Bounds) as never,
      )
      .take(limit) as Promise<AnyDoc[]>;
  const upTo = (bounds: Bounds) =>
    rowsUpper === null ? bounds : bounds.lte(shape.appRef, rowsUpper);
  let after: string | undefined = range.lower ?? undefined;
  let inclusive = false;
  if (cursor !== null) {
    after = cursor.key;
    const done = cursor.rows;
    if (typeof done === "object") {
      // The rest of a key group begun on an earlier page.
      const seen = new Set(done.ids);
      const rest = await rowQuery(
        (q) => q.eq(shape.appRef, cursor.key).gte("_creationTime", done.time),
        count + seen.size,
      );
      rows.push(
        ...rest
          .filter(
            (row) => !(row._creationTime === done.time && seen.has(row._id)),
          )
          .slice(0, count),
      );
    } else if (done === "none") {
      inclusive = true;
    }
  }
  if (rows.length < count) {
    rows.push(
      ...(await rowQuery(
        (q) =>
          upTo(
            inclusive ? q.gte(shape.appRef, after) : q.gt(shape.appRef, after),
          ),
        count - rows.length,
      )),
    );
  }
  const rowsFull = rows.length === count;
  const { groups, inOrder } = groupPage({
    users,
    rows,
    rowKey: (row) => row[shape.appRef] as string,
    usersFull,
    rowsFull,
    cursor,
  });
  if (!inOrder) {
    throw new Error(
      "The users table's by_id order and the app table's reference index disagree on the order of user ids; the merged run cannot proceed",
    );
  }
  const lastGroup = groups[groups.length - 1];
  return {
    groups,
    lastPage:
      !usersFull &&
      !rowsFull &&
      (lastGroup === undefined || lastGroup.withUser),
    read: [...users, ...rows],
    end: lastGroup?.key ?? null,
  };
}

/**
 * What a key group shows of its user's pair, as readPair would find it,
 * when it shows enough: the row the user's reference names, if the group
 * holds it and it names the user back (a pair, whatever else names the
 * user); with the app side's reference only, the rows of a complete group
 * (one: the counterpart; none; several: duplicates). Otherwise undefined:
 * readPair must look.
 */
export function pairReadOf(
  shape: Shape,
  group: KeyGroup<AnyDoc>,
): PairRead | undefined {
  const { user, rows } = group;
  if (user === null || !group.withUser) return undefined;
  const none: PairRead = { counterpart: null, pointed: null, duplicates: [] };
  if (shape.usersRef !== undefined) {
    const pointed = user[shape.usersRef];
    const counterpart = rows.find((row) => row._id === pointed);
    return counterpart === undefined ? undefined : { ...none, counterpart };
  }
  if (!group.complete) return undefined;
  if (rows.length === 1) return { ...none, counterpart: rows[0]! };
  // readPair looks at two rows, and a review names the ones it saw.
  return rows.length === 0 ? none : { ...none, duplicates: rows.slice(0, 2) };
}
