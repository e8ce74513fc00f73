/**
 * The fold's phases share one shape: visit each document of a table (or of
 * an index prefix) in creation-time order, one step per document, in
 * worker ranges of creation time. This builds a runner phase (see
 * runs/phase.ts) from the stream and the step; each phase module says only
 * what its step does.
 */
import type { GenericDataModel, GenericMutationCtx } from "convex/server";
import type { AnyDoc } from "../declaration.js";
import { advance, type Position, rangesOf, splitTimes } from "../merge.js";
import { type PageWork, recordingWrites, type Write } from "../runs/budget.js";
import {
  type Blame,
  parseCursor,
  type RunPhase,
  stepOptions,
  workerRange,
} from "../runs/phase.js";
import type { SyncOptions, SyncResult } from "../steps.js";
import type { Range } from "../streams.js";

type MutationCtx = GenericMutationCtx<GenericDataModel>;

type Bounds = {
  gt: (field: string, value: unknown) => Bounds;
  gte: (field: string, value: unknown) => Bounds;
  lte: (field: string, value: unknown) => Bounds;
  eq: (field: string, value: unknown) => Bounds;
};

/** Which documents a phase visits: an index and the values of its prefix. */
export type DocumentStream = {
  table: string;
  /** "by_creation_time" for every document of the table. */
  index: string;
  prefix: Record<string, unknown>;
};

function query(
  ctx: MutationCtx,
  stream: DocumentStream,
  bound: (bounds: Bounds) => Bounds = (bounds) => bounds,
) {
  return ctx.db.query(stream.table).withIndex(stream.index, (q) => {
    let bounds = q as unknown as Bounds;
    for (const [field, value] of Object.entries(stream.prefix)) {
      bounds = bounds.eq(field, value);
    }
    return bound(bounds) as never;
  });
}

/** Up to `count` documents after `position`, within a range of times. */
export async function documentsAfter(
  ctx: MutationCtx,
  stream: DocumentStream,
  position: Position | null,
  range: Range<number>,
  count: number,
): Promise<{ docs: AnyDoc[]; isDone: boolean }> {
  const seen = new Set(position?.ids ?? []);
  const wanted = count + seen.size;
  const fetched = (await query(ctx, stream, (bounds) => {
    let next = bounds;
    if (position !== null) next = next.gte("_creationTime", position.time);
    else if (range.lower !== null) next = next.gt("_creationTime", range.lower);
    if (range.upper !== null) next = next.lte("_creationTime", range.upper);
    return next;
  }).take(wanted)) as AnyDoc[];
  const fresh = fetched.filter(
    (doc) => !(doc._creationTime === position?.time && seen.has(doc._id)),
  );
  return {
    docs: fresh.slice(0, count),
    isDone: fetched.length < wanted && fresh.length <= count,
  };
}

/**
 * A phase over `stream`: `step` is what one document gets (it writes
 * through the context it is given, or, in a dry run, describes its writes).
 * A page ends early when a step writes a document the page still holds, so
 * every step acts on what the database holds.
 */
export function documentPhase(spec: {
  stream: DocumentStream;
  /** What the document got; null for one the run does not count. */
  step: (
    ctx: MutationCtx,
    doc: AnyDoc,
    options: SyncOptions,
  ) => Promise<SyncResult | null>;
  blame: (doc: AnyDoc) => Blame;
}): RunPhase {
  const { stream } = spec;
  return {
    async split(ctx, workers) {
      const first = (await query(ctx, stream).first()) as AnyDoc | null;
      const last = (await query(ctx, stream)
        .order("desc")
        .first()) as AnyDoc | null;
      if (first === null || last === null) return null;
      return rangesOf(
        splitTimes(first._creationTime, last._creationTime, workers),
      );
    },

    async page(ctx, worker, work: PageWork) {
      const position = parseCursor<Position>(worker.cursor);
      const { docs, isDone } = await documentsAfter(
        ctx,
        stream,
        position,
        workerRange<number>(worker),
        worker.current_page_size,
      );
      const options = stepOptions(worker);
      const log: Write[] = [];
      const writer = recordingWrites(ctx, log);
      const held = new Set<string>(docs.map((doc) => doc._id));
      const done: AnyDoc[] = [];
      for (const doc of docs) {
        if (!work.canStep()) break;
        const from = log.length;
        const result = await spec.step(writer, doc, options);
        await work.record(...(result === null ? [] : [result]));
        done.push(doc);
        held.delete(doc._id);
        if (log.slice(from).some((write) => held.has(write.id))) break;
      }
      return {
        cursor: advance(position, done),
        isDone: isDone && done.length === docs.length,
      };
    },

    async nextDocument(ctx, worker) {
      const position = parseCursor<Position>(worker.cursor);
      const { docs } = await documentsAfter(
        ctx,
        stream,
        position,
        workerRange<number>(worker),
        1,
      );
      const [doc] = docs;
      return doc === undefined
        ? null
        : { cursor: advance(position, [doc]), blame: spec.blame(doc) };
    },
  };
}
