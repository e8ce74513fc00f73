/**
 * A run's "pairs" phase: both tables merged in one shared order, the user
 * id (see merge.ts). A user and a row that name each other are synced from
 * memory, with no lookup; whatever else a key group holds (claims, dangling
 * or one-sided references, users without a row) goes to the per-document
 * steps of steps.ts, which look up what they need.
 */
import type { GenericId } from "convex/values";
import type { AnyDoc, Shape } from "../../declaration.js";
import {
  afterKey,
  afterRow,
  afterUser,
  compareKeys,
  type PairsCursor,
  rangesOf,
  splitKeys,
} from "../../merge.js";
import { ensurePair, type SyncResult, syncFromRow } from "../../steps.js";
import { pairReadOf, readMergedPage, sampleUserIds } from "../../streams.js";
import { recordingWrites, staleAfter, type Write } from "../budget.js";
import {
  parseCursor,
  type RunPhase,
  stepOptions,
  workerRange,
} from "../phase.js";

/** A user's side of a pair synced from its row's: nothing more to do. */
function userOfPair(result: SyncResult): SyncResult {
  return { ...result, outcome: "unchanged", changes: [] };
}

export function pairsPhase(shape: Shape): RunPhase {
  return {
    /**
     * The user ids at the quantiles of a sample. Never null: an empty
     * `users` still gets its one page, which finds the rows naming no user.
     */
    async split(ctx, workers) {
      // A few samples per worker even out the ranges' sizes.
      const sample = workers > 1 ? await sampleUserIds(ctx, 4 * workers) : [];
      return rangesOf(splitKeys(sample, workers));
    },

    /**
     * A page of the merge: key group by key group, a pair synced from
     * memory, everything else through the per-document steps.
     */
    async page(ctx, worker, work) {
      let cursor = parseCursor<PairsCursor>(worker.cursor);
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
      // Documents written by an earlier step: their copies in memory are
      // old, and a step of the same group reads them afresh.
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
          return staleAfter(shape, writes, ahead, movedAhead);
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
    },

    async nextDocument(ctx, worker) {
      const cursor = parseCursor<PairsCursor>(worker.cursor);
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
          cursor: afterRow(cursor, group.key, row),
          blame: {
            rowIds: [row._id],
            what: `${shape.table} row`,
          },
        };
      }
      return group.user === null
        ? null
        : {
            cursor: afterKey(group.key),
            blame: {
              userId: group.user._id as GenericId<"users">,
              rowIds: [],
              what: "users row",
            },
          };
    },
  };
}
