/**
 * A run's "unlinked" phase: the app rows that name no user (legacy rows,
 * imports), read from the reference index by creation time, each weighed
 * from its own side. It goes before "pairs" because its emails are
 * normalized here, so the users of "pairs" find these rows by email
 * reliably; it links nothing itself.
 */
import type { AnyDoc, Shape } from "../../declaration.js";
import { advance, type Position, rangesOf, splitTimes } from "../../merge.js";
import { syncFromRow } from "../../steps.js";
import { unlinkedRowsAfter, unlinkedTimeSpan } from "../../streams.js";
import { recordingWrites, staleAfter, type Write } from "../budget.js";
import {
  parseCursor,
  type RunPhase,
  stepOptions,
  workerRange,
} from "../phase.js";

export function unlinkedPhase(shape: Shape): RunPhase {
  return {
    /** The unlinked rows' creation-time span, in equal parts. */
    async split(ctx, workers) {
      const span = await unlinkedTimeSpan(ctx, shape);
      if (span === null) return null;
      return rangesOf(splitTimes(span.first, span.last, workers));
    },

    /** A page of the unlinked rows: each weighed from its own side. */
    async page(ctx, worker, work) {
      const position = parseCursor<Position>(worker.cursor);
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
        if (staleAfter(shape, log.slice(from), held, () => false)) break;
      }
      return {
        cursor: advance(position, done),
        isDone: isDone && done.length === rows.length,
      };
    },

    async nextDocument(ctx, worker) {
      const position = parseCursor<Position>(worker.cursor);
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
        : {
            cursor: advance(position, [row]),
            blame: {
              rowIds: [row._id],
              what: `${shape.table} row`,
            },
          };
    },
  };
}
