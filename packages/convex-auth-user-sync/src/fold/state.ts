/**
 * The fold's record: one document saying where the app stands, and the run
 * of the move under way. A run ends on its own (runs/runner.ts); the record
 * learns of it when next read (`settle`), so a run that ends, fails or is
 * resumed needs no callback into the fold.
 */
import type {
  GenericDataModel,
  GenericMutationCtx,
  GenericQueryCtx,
} from "convex/server";
import { defineTable } from "convex/server";
import { type GenericId, type Infer, v, type Value } from "convex/values";
import {
  type FoldMove,
  type FoldStage,
  FOLD_PHASES,
  FOLD_STAGES,
  runProves,
  SINGLE_TABLE_FROM,
  stageIndex,
} from "./stages.js";
import type { SyncRun } from "../validators.js";

type QueryCtx = GenericQueryCtx<GenericDataModel>;
type MutationCtx = GenericMutationCtx<GenericDataModel>;

export const foldStageValidator = v.union(
  ...FOLD_STAGES.map((stage) => v.literal(stage)),
);
export const foldMoveValidator = v.object({
  phase: v.union(...FOLD_PHASES.map((phase) => v.literal(phase))),
  direction: v.union(v.literal("forward"), v.literal("back")),
});

export const foldRecordFields = {
  stage: foldStageValidator,
  // The move under way: its run, and the stage it reaches once the run
  // proves it (stages.ts, runProves).
  move: v.optional(foldMoveValidator),
  run_id: v.optional(v.id("sync_runs")),
  target: v.optional(foldStageValidator),
  // What the last move's run came to, in words, for the status.
  last_outcome: v.optional(v.string()),
  // When the app table stopped being written (stage writes_stopped
  // reached): a user changed since differs from its row by right (verify).
  writes_stopped_at: v.optional(v.number()),
  updated_at: v.number(),
};

/** The sync's table for the record (spread with syncTables). */
export const foldTables = {
  // One document: where the fold into one table stands (docs/fold.md).
  sync_fold: defineTable(foldRecordFields),
};

export const foldStatusValidator = v.object({
  stage: foldStageValidator,
  move: v.union(v.null(), foldMoveValidator),
  runId: v.union(v.null(), v.id("sync_runs")),
  runStatus: v.union(v.null(), v.string()),
  lastOutcome: v.union(v.null(), v.string()),
});
export type FoldStatus = Infer<typeof foldStatusValidator>;

type FoldRecord = Infer<
  ReturnType<typeof v.object<typeof foldRecordFields>>
> & {
  _id: GenericId<"sync_fold">;
};

/** The record, or null before the first move. */
export async function readRecord(ctx: QueryCtx): Promise<FoldRecord | null> {
  return (await ctx.db.query("sync_fold").first()) as FoldRecord | null;
}

/** What a move's finished run comes to: the stage it reaches, and words. */
export function outcomeOf(
  stage: FoldStage,
  move: FoldMove,
  target: FoldStage,
  run: SyncRun | null,
): { stage: FoldStage; outcome: string } | null {
  if (run === null) {
    return {
      stage,
      outcome: `The ${move.phase} run was deleted; start it again.`,
    };
  }
  if (run.status === "running" || run.status === "failed") return null;
  if (runProves(move, run)) {
    return {
      stage: target,
      outcome: `${move.direction === "back" ? "Rolled back" : "Finished"} ${move.phase}: run ${run._id} checked ${run.counts.checked}.`,
    };
  }
  return {
    stage,
    outcome: `The ${move.phase} run ${run._id} completed but does not prove the stage: ${run.skipped ?? 0} passed over, ${run.counts.needingReview} for review. Resolve the cases (openCases) and start it again.`,
  };
}

/**
 * Where the fold stands, with a finished run's outcome applied (a query
 * sees what `settle` will write).
 */
export async function foldStatus(ctx: QueryCtx): Promise<FoldStatus> {
  return await statusOf(ctx, await readRecord(ctx));
}

/** The status a record stands for, its run's outcome applied. */
async function statusOf(
  ctx: QueryCtx,
  record: FoldRecord | null,
): Promise<FoldStatus> {
  if (record === null) {
    return {
      stage: "two_tables",
      move: null,
      runId: null,
      runStatus: null,
      lastOutcome: null,
    };
  }
  const stage = record.stage;
  const lastOutcome = record.last_outcome ?? null;
  let run: SyncRun | null = null;
  if (record.move !== undefined && record.run_id !== undefined) {
    run = (await ctx.db.get("sync_runs", record.run_id)) as SyncRun | null;
    const settled = outcomeOf(stage, record.move, record.target ?? stage, run);
    if (settled !== null) {
      return {
        stage: settled.stage,
        move: null,
        runId: record.run_id,
        runStatus: run?.status ?? null,
        lastOutcome: settled.outcome,
      };
    }
  }
  return {
    stage,
    move: record.move ?? null,
    runId: record.run_id ?? null,
    runStatus: run?.status ?? null,
    lastOutcome,
  };
}

/** Writes a finished move's outcome to the record; returns the status. */
export async function settle(ctx: MutationCtx): Promise<FoldStatus> {
  const record = await readRecord(ctx);
  const status = await statusOf(ctx, record);
  if (record !== null && record.move !== undefined && status.move === null) {
    await ctx.db.patch("sync_fold", record._id, {
      stage: status.stage,
      // Writes stopped when the stop's run ended; a stop_writes rolled
      // back: the app table is written again.
      writes_stopped_at: stopped(status.stage)
        ? await stoppedTime(ctx, record)
        : undefined,
      move: undefined,
      target: undefined,
      last_outcome: status.lastOutcome ?? undefined,
      updated_at: Date.now(),
    });
  }
  return status;
}

function stopped(stage: FoldStage): boolean {
  return stageIndex(stage) >= stageIndex(SINGLE_TABLE_FROM);
}

/**
 * When the app table stopped being written, or undefined while it is
 * written. A user whose `updatedAt` is later changed since (verify.ts).
 */
export async function writesStoppedAt(
  ctx: QueryCtx,
): Promise<number | undefined> {
  const record = await readRecord(ctx);
  // A rollback of stop_writes that proved its stage is settled only by the
  // next move: the time it left stands for nothing.
  const { stage } = await statusOf(ctx, record);
  return stopped(stage) && record !== null
    ? await stoppedTime(ctx, record)
    : undefined;
}

/**
 * The time writes stopped, for a record at a stopped stage: stamped once
 * settled; until then (the stop's run proved it, no command has settled
 * it yet) the end of that run, from when single-table mode is on.
 */
async function stoppedTime(
  ctx: QueryCtx,
  record: FoldRecord,
): Promise<number | undefined> {
  if (record.writes_stopped_at !== undefined) return record.writes_stopped_at;
  if (record.move?.phase !== "stop_writes" || record.run_id === undefined) {
    return undefined;
  }
  const run = (await ctx.db.get("sync_runs", record.run_id)) as SyncRun | null;
  return run?.finished_at;
}

/**
 * Records a move: its run (if any) and the stage it reaches. The time
 * writes stopped is stamped when the stage first reaches writes_stopped
 * and kept at every later stage.
 */
export async function recordMove(
  ctx: MutationCtx,
  fields: {
    stage: FoldStage;
    move?: FoldMove;
    runId?: GenericId<"sync_runs">;
    target?: FoldStage;
    outcome?: string;
  },
): Promise<void> {
  const record = await readRecord(ctx);
  const value: Record<string, Value> = {
    stage: fields.stage,
    updated_at: Date.now(),
  };
  if (fields.move !== undefined) value.move = fields.move;
  if (fields.runId !== undefined) value.run_id = fields.runId;
  if (fields.target !== undefined) value.target = fields.target;
  if (fields.outcome !== undefined) value.last_outcome = fields.outcome;
  if (stopped(fields.stage)) {
    value.writes_stopped_at = record?.writes_stopped_at ?? Date.now();
  }
  if (record === null) await ctx.db.insert("sync_fold", value);
  else await ctx.db.replace("sync_fold", record._id, value);
}

/**
 * Whether the app reads its users from `users` alone (stage
 * `reads_switched` on): the library's lookups answer with a virtual row
 * (fold/virtualRow.ts), and app code that reads the app table itself
 * branches on this. One or two reads.
 *
 * @example const profile = (await readsUsers(ctx)) ? virtualRowOf(user) : row;
 */
export async function readsUsers<DataModel extends GenericDataModel>(
  // Any app's ctx: app code calls it with its own data model's.
  ctx: GenericQueryCtx<DataModel>,
): Promise<boolean> {
  const status = await foldStatus(ctx as unknown as QueryCtx);
  return stageIndex(status.stage) >= stageIndex("reads_switched");
}

/**
 * Whether the app table is no longer written (stage `writes_stopped` on):
 * single-table mode. Stays true while stop_writes is being rolled back, so
 * that the rollback's run and the writes meanwhile agree (`catchingUp`:
 * every write of a user also rewrites its row, see docs/fold.md).
 */
export async function singleTable(
  ctx: QueryCtx,
): Promise<{ on: boolean; catchingUp: boolean }> {
  const mode = await foldMode(ctx);
  return { on: mode.singleTable, catchingUp: mode.catchingUp };
}

/** Both answers above from one read of the record. */
export async function foldMode(ctx: QueryCtx): Promise<{
  readsUsers: boolean;
  singleTable: boolean;
  catchingUp: boolean;
}> {
  const status = await foldStatus(ctx);
  const on = stageIndex(status.stage) >= stageIndex(SINGLE_TABLE_FROM);
  return {
    readsUsers: stageIndex(status.stage) >= stageIndex("reads_switched"),
    singleTable: on,
    catchingUp:
      on &&
      status.move?.phase === "stop_writes" &&
      status.move.direction === "back",
  };
}

/**
 * Which id a new reference to a person should hold now (a foreign key the
 * fold re-points, see FoldDeclaration.references): "users" while a re-point
 * run is under way and once the fold is at `repointed`, else "app" (a
 * rollback of the re-point under way, or a re-point that ended without
 * proving its stage: its next run moves what was written meanwhile). One
 * or two reads.
 *
 * @example const ownerId = (await referencesHold(ctx)) === "users" ? user._id : row._id;
 */
export async function referencesHold(ctx: QueryCtx): Promise<"app" | "users"> {
  const status = await foldStatus(ctx);
  if (status.move?.phase === "repoint") {
    return status.move.direction === "forward" ? "users" : "app";
  }
  return stageIndex(status.stage) >= stageIndex("repointed") ? "users" : "app";
}
