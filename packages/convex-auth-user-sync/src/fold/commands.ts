/**
 * The operator's commands of the fold (docs/fold.md): where it stands, a
 * phase started, a phase rolled back. Each checks everything before it
 * writes: bad input, a phase out of order, a run already active, or a
 * move whose run failed (resume it first) is a coded error and writes
 * nothing.
 */
import type {
  GenericDataModel,
  GenericMutationCtx,
  MutationBuilder,
  QueryBuilder,
} from "convex/server";
import { v } from "convex/values";
import { type Actor, CLI_ACTOR, recordAudit } from "../audit.js";
import type { Shape } from "../declaration.js";
import type { StartRunOptions } from "../runs/runner.js";
import { appError } from "../errors.js";
import { syncRunValidator, type SyncRun } from "../validators.js";
import {
  checkMove,
  FOLD_PHASES,
  type FoldMove,
  type FoldPhase,
  planOf,
} from "./stages.js";
import {
  foldStatus,
  foldStatusValidator,
  recordMove,
  settle,
} from "./state.js";

type MutationCtx = GenericMutationCtx<GenericDataModel>;
/** What the fold asks of the engine (engine.ts): its runs, and whether one is active. */
type Engine = {
  activeRun(ctx: MutationCtx): Promise<SyncRun | null>;
  startRun(
    ctx: MutationCtx,
    name: string,
    options: StartRunOptions,
    plan?: readonly string[],
  ): Promise<SyncRun>;
};

/** How a phase run is started (the run's own options). */
export type FoldRunOptions = {
  phase: string;
  dryRun?: boolean;
  pageSize?: number;
  workers?: number;
  actor?: Actor;
};

function phaseOf(shape: Shape, name: string): FoldPhase {
  if (shape.fold === undefined) {
    throw appError(
      "INVALID_ARGUMENT",
      "The declaration has no fold: declare fold.fields (and fold.references) first (docs/fold.md).",
    );
  }
  if (!(FOLD_PHASES as readonly string[]).includes(name)) {
    throw appError(
      "INVALID_ARGUMENT",
      `Unknown fold phase "${name}": one of ${FOLD_PHASES.join(", ")}.`,
    );
  }
  return name as FoldPhase;
}

export function makeFold(shape: Shape, engine: Engine) {
  /** Refuses while any run is active: a fold run must run alone. */
  async function noActiveRun(ctx: MutationCtx): Promise<void> {
    const active = await engine.activeRun(ctx);
    if (active !== null) {
      throw appError(
        "CONFLICT",
        `A run is active ("${active.name}", ${active._id}): wait for it to end, or resume it if it failed, first.`,
      );
    }
  }

  /** Starts the run of a move (or, with no run, makes it at once). */
  async function makeMove(
    ctx: MutationCtx,
    move: FoldMove,
    options: FoldRunOptions,
  ): Promise<SyncRun | null> {
    // 1. Everything checked before any write.
    await noActiveRun(ctx);
    const status = await settle(ctx);
    // A move whose run failed holds the fold until it is resumed: a move
    // started over it would let the failed run, resumed later, rewrite the
    // tables under a stage it no longer stands for (found by review: a
    // rollback of the re-point resumed after a new re-point left references
    // on app ids at `repointed`).
    if (status.move !== null && status.runStatus === "failed") {
      throw appError(
        "CONFLICT",
        `The ${status.move.direction === "back" ? "rollback of " : ""}${status.move.phase} run ${status.runId} failed: resume it (resumeRun) first.`,
      );
    }
    const target = checkMove(status.stage, move);
    const plan = planOf(shape, move);
    const actor = options.actor ?? CLI_ACTOR;
    const name = `fold:${move.direction === "back" ? "rollback:" : ""}${move.phase}`;

    // 2. A dry run plans, under its own record; the fold stays where it is.
    if (options.dryRun === true) {
      if (plan === null || plan.length === 0) return null;
      return await engine.startRun(
        ctx,
        name,
        { ...options, dryRun: true, actor },
        plan,
      );
    }

    // 3. Nothing to run (expand rolled back, no references to re-point):
    //    the stage moves now.
    if (plan === null || plan.length === 0) {
      await recordMove(ctx, {
        stage: target,
        outcome: `${name}: nothing to run.`,
      });
      await recordAudit(ctx, {
        action: name,
        actor,
        ids: [],
        summary: `The fold moved from ${status.stage} to ${target}; nothing to run.`,
      });
      return null;
    }

    // 4. The run; the record learns its outcome when next read.
    const run = await engine.startRun(ctx, name, { ...options, actor }, plan);
    await recordMove(ctx, {
      stage: status.stage,
      move,
      runId: run._id,
      target,
    });
    return run;
  }

  /**
   * Starts a phase forward (the startFoldPhase command, or an app's own
   * admin mutation passing its `actor`). Retire needs `confirm`.
   */
  async function startPhase(
    ctx: MutationCtx,
    { confirm, ...args }: FoldRunOptions & { confirm?: boolean },
  ): Promise<SyncRun | null> {
    const phase = phaseOf(shape, args.phase);
    // Retiring deletes the app table's rows, with no way back.
    if (phase === "retire" && confirm !== true && args.dryRun !== true) {
      throw appError(
        "INVALID_ARGUMENT",
        `Retiring the app table deletes its rows for good: take an export first (npx convex export), then pass "confirm": true (or "dryRun": true to see what it would do).`,
      );
    }
    return await makeMove(ctx, { phase, direction: "forward" }, args);
  }

  /** Rolls the latest phase back (`confirm`, or a dry run). */
  async function rollbackPhase(
    ctx: MutationCtx,
    { confirm, ...args }: FoldRunOptions & { confirm?: boolean },
  ): Promise<SyncRun | null> {
    const phase = phaseOf(shape, args.phase);
    if (confirm !== true && args.dryRun !== true) {
      throw appError(
        "INVALID_ARGUMENT",
        `Rolling back ${phase} needs "confirm": true (or "dryRun": true to see what it would do).`,
      );
    }
    return await makeMove(ctx, { phase, direction: "back" }, args);
  }

  /**
   * The fold's commands, built with the app's raw internal builders.
   *
   * @example export const { foldStatus, startFoldPhase, rollbackFoldPhase } = userSync.foldFunctions({ internalMutation, internalQuery });
   */
  function functions(builders: {
    internalMutation: MutationBuilder<GenericDataModel, "internal">;
    internalQuery: QueryBuilder<GenericDataModel, "internal">;
  }) {
    const runArgs = {
      phase: v.string(),
      dryRun: v.optional(v.boolean()),
      pageSize: v.optional(v.number()),
      workers: v.optional(v.number()),
    };
    return {
      /**
       * Where the fold stands, and the run of the move under way.
       *
       * @example npx convex run userSync:foldStatus
       */
      foldStatus: builders.internalQuery({
        args: {},
        returns: foldStatusValidator,
        handler: async (ctx) => await foldStatus(ctx),
      }),

      /**
       * Starts a phase forward: expand, placeholders, repoint,
       * switch_reads, stop_writes, verify, retire (the last with
       * `confirm: true`). Returns its run (follow it with getRun), or null
       * when there was nothing to run.
       *
       * @example npx convex run userSync:startFoldPhase '{"phase":"expand"}'
       */
      startFoldPhase: builders.internalMutation({
        args: { ...runArgs, confirm: v.optional(v.boolean()) },
        returns: v.union(v.null(), syncRunValidator),
        handler: async (ctx, args) => await startPhase(ctx, args),
      }),

      /**
       * Rolls the latest phase back (`confirm: true`, or a dry run).
       *
       * @example npx convex run userSync:rollbackFoldPhase '{"phase":"repoint","confirm":true}'
       */
      rollbackFoldPhase: builders.internalMutation({
        args: { ...runArgs, confirm: v.optional(v.boolean()) },
        returns: v.union(v.null(), syncRunValidator),
        handler: async (ctx, args) => await rollbackPhase(ctx, args),
      }),
    };
  }

  return { makeMove, startPhase, rollbackPhase, functions };
}
