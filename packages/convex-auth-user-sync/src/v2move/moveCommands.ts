/**
 * The operator's commands of the v1 -> v2 move (docs/v2-move.md): start it
 * (or a dry run), where it stands, and its rollback, which undoes only the
 * run's own records. Each checks everything before it writes: bad input or
 * another run under way is a coded error and writes nothing.
 */
import type {
  GenericDataModel,
  GenericMutationCtx,
  GenericQueryCtx,
  MutationBuilder,
  QueryBuilder,
} from "convex/server";
import { v } from "convex/values";
import { type Actor, CLI_ACTOR, recordAudit } from "../audit.js";
import type { Shape } from "../declaration.js";
import { byIndex, deleteDocs, rangeQuery } from "../db.js";
import { appError } from "../errors.js";
import type { StartRunOptions } from "../runs/runner.js";
import { syncRunValidator, type SyncRun } from "../validators.js";
import { MAX_MOVE_RUNS } from "../tableNames.js";
import { moveSettings, V2_MOVE_PHASES, V2_MOVE_RUN } from "./move.js";

type MutationCtx = GenericMutationCtx<GenericDataModel>;
type QueryCtx = GenericQueryCtx<GenericDataModel>;

/** What the move asks of the engine (engine.ts). */
type Engine = {
  activeRun(ctx: MutationCtx): Promise<SyncRun | null>;
  startRun(
    ctx: MutationCtx,
    name: string,
    options: StartRunOptions,
    plan?: readonly string[],
  ): Promise<SyncRun>;
  withProgress(ctx: QueryCtx, run: SyncRun): Promise<SyncRun>;
};

/** The most cases one rollback call deletes; call again for the rest. */
export const MAX_ROLLBACK_CASES = 100;

export const v2MoveStatusValidator = v.object({
  /** The latest move run (a dry run included), with its progress. */
  run: v.union(v.null(), syncRunValidator),
  /** People whose GitHub or Google account the real runs moved. */
  peopleMoved: v.number(),
  /** Open `v2_move_identity` cases (up to 100 counted). */
  openCases: v.number(),
});

export const v2MoveRollbackValidator = v.object({
  /** Open `v2_move_identity` cases deleted (the run's own records). */
  casesDeleted: v.number(),
  /** More open cases remain: call again. */
  more: v.boolean(),
  /** People whose moved accounts stay in v2's components. */
  accountsKeptFor: v.number(),
  /** What was undone, and what cannot be. */
  summary: v.string(),
});

/**
 * The move's runs of one kind, newest first, by their own index: runs of
 * other names never crowd them out (found by review).
 */
async function moveRuns(
  ctx: QueryCtx,
  dryRun: boolean,
  limit: number,
): Promise<SyncRun[]> {
  return (await rangeQuery(ctx, "sync_runs", "by_name_and_dry_run", {
    name: V2_MOVE_RUN,
    dry_run: dryRun,
  })
    .order("desc")
    .take(limit)) as unknown as SyncRun[];
}

/** The latest run of the move, a dry run included. */
async function latestMoveRun(ctx: QueryCtx): Promise<SyncRun | undefined> {
  const [real] = await moveRuns(ctx, false, 1);
  const [dry] = await moveRuns(ctx, true, 1);
  if (real === undefined || dry === undefined) return real ?? dry;
  return real._creationTime > dry._creationTime ? real : dry;
}

async function openMoveCases(ctx: QueryCtx, limit: number) {
  return await byIndex(
    ctx,
    "sync_reviews",
    "by_kind_and_resolved_at",
    { kind: "v2_move_identity", resolved_at: undefined },
    limit,
  );
}

export function makeV2Move(shape: Shape, engine: Engine) {
  function checkDeclared(): void {
    if (moveSettings(shape) === undefined) {
      throw appError(
        "INVALID_ARGUMENT",
        "The v2 move needs the components v1's accounts move into: declare moveToV2: { oauth: { github: components.authGithub } } while v1 serves sign-ins, or convexAuth: { version: 2, …, oauth } after the switch (docs/v2-move.md).",
      );
    }
  }

  /**
   * People the real runs moved an account of (counted `created`): a failed
   * or running run's pages count too, from its workers, since what they
   * moved stays moved (found by review). A later run finds an account
   * moved already and does not count it, so a person counts once per run
   * that moved an account of theirs: twice only when their GitHub account
   * moved in one run and their Google account in a later one. The
   * history's retention keeps these runs (retention.ts).
   */
  async function peopleMoved(ctx: QueryCtx): Promise<number> {
    let sum = 0;
    for (const run of await moveRuns(ctx, false, MAX_MOVE_RUNS)) {
      const counted =
        run.status === "completed" ? run : await engine.withProgress(ctx, run);
      sum += counted.counts.created;
    }
    return sum;
  }

  /**
   * On v2, the move reads v1's tables, which the app keeps in its schema
   * meanwhile: the declaration must show them, or an erasure during the
   * move would leave the person's v1 accounts (found by review).
   */
  function checkV1TablesDeclared(): void {
    if (!shape.v1Tables.has("authAccounts")) {
      throw appError(
        "INVALID_ARGUMENT",
        "The v2 move reads Convex Auth v1's tables, which the app keeps in its schema until the move ends: give the declaration that schema (schema: the default export of convex/schema.ts, with v1's authTables), so that an erasure meanwhile deletes the person's v1 accounts too (docs/v2-move.md).",
      );
    }
  }

  async function noActiveRun(ctx: MutationCtx): Promise<void> {
    const active = await engine.activeRun(ctx);
    if (active !== null) {
      throw appError(
        "CONFLICT",
        `A run is active ("${active.name}", ${active._id}): wait for it to end, or resume it if it failed, first.`,
      );
    }
  }

  /** Starts the move's run (or its dry run). */
  async function start(
    ctx: MutationCtx,
    options: { dryRun?: boolean; pageSize?: number; actor?: Actor },
  ): Promise<SyncRun> {
    checkDeclared();
    checkV1TablesDeclared();
    await noActiveRun(ctx);
    // A failed move is resumed, not started over: two runs would each
    // hold half of what the move did (its counts, the people moved).
    const [failed] = await moveRuns(ctx, false, 1);
    if (failed?.status === "failed" && options.dryRun !== true) {
      throw appError(
        "CONFLICT",
        `The v2 move's run ${failed._id} failed: resume it (resumeRun) first.`,
      );
    }
    return await engine.startRun(
      ctx,
      V2_MOVE_RUN,
      {
        dryRun: options.dryRun,
        pageSize: options.pageSize,
        workers: 1,
        actor: options.actor ?? CLI_ACTOR,
      },
      [...V2_MOVE_PHASES],
    );
  }

  async function status(ctx: QueryCtx) {
    checkDeclared();
    const latest = await latestMoveRun(ctx);
    return {
      run: latest === undefined ? null : await engine.withProgress(ctx, latest),
      peopleMoved: await peopleMoved(ctx),
      openCases: (await openMoveCases(ctx, 100)).length,
    };
  }

  /**
   * The rollback: deletes the move's open cases (its own records; a case a
   * person resolved stays, as their decision). Accounts it created stay in
   * v2's components: 2.0.0 has no function that deletes or re-points one,
   * so asking for that is refused.
   */
  async function rollback(
    ctx: MutationCtx,
    args: { confirm?: boolean; removeAccounts?: boolean; actor?: Actor },
  ) {
    // 1. Everything checked before any write.
    checkDeclared();
    if (args.removeAccounts === true) {
      throw appError(
        "INVALID_ARGUMENT",
        "Convex Auth v2 (2.0.0) has no function that deletes or re-points an OAuth account: the accounts the move created stay in authGithub / authGoogle. Roll back without removeAccounts to delete the move's open cases (docs/v2-move.md).",
      );
    }
    if (args.confirm !== true) {
      throw appError(
        "INVALID_ARGUMENT",
        'Rolling back the v2 move needs "confirm": true.',
      );
    }
    await noActiveRun(ctx);

    // 2. The run's own records: its open cases.
    const open = await openMoveCases(ctx, MAX_ROLLBACK_CASES + 1);
    const batch = open.slice(0, MAX_ROLLBACK_CASES);
    await deleteDocs(ctx, "sync_reviews", batch);
    const kept = await peopleMoved(ctx);
    const summary = `Deleted ${batch.length} open v2_move_identity case(s). The GitHub/Google accounts moved for ${kept} person(s) stay in v2's components (2.0.0 cannot delete them); v1's tables were never changed.`;
    await recordAudit(ctx, {
      action: "v2move:rollback",
      actor: args.actor ?? CLI_ACTOR,
      ids: batch.map((doc) => doc._id as string),
      summary,
    });
    return {
      casesDeleted: batch.length,
      more: open.length > MAX_ROLLBACK_CASES,
      accountsKeptFor: kept,
      summary,
    };
  }

  /**
   * The move's commands, built with the app's raw internal builders.
   *
   * @example export const { startV2Move, v2MoveStatus, rollbackV2Move } = userSync.v2MoveFunctions({ internalMutation, internalQuery });
   */
  function functions(builders: {
    internalMutation: MutationBuilder<GenericDataModel, "internal">;
    internalQuery: QueryBuilder<GenericDataModel, "internal">;
  }) {
    return {
      /**
       * Starts the v1 -> v2 move over every user (`dryRun: true` writes
       * nothing and logs what it would do: read it with plannedChanges).
       * Returns its run; follow it with getRun, resume it with resumeRun.
       *
       * @example npx convex run userSync:startV2Move '{"dryRun":true}'
       */
      startV2Move: builders.internalMutation({
        args: {
          dryRun: v.optional(v.boolean()),
          pageSize: v.optional(v.number()),
        },
        returns: syncRunValidator,
        handler: async (ctx, args) => await start(ctx, args),
      }),

      /**
       * The latest move run, the people whose accounts moved, and the open
       * cases of the move.
       *
       * @example npx convex run userSync:v2MoveStatus
       */
      v2MoveStatus: builders.internalQuery({
        args: {},
        returns: v2MoveStatusValidator,
        handler: async (ctx) => await status(ctx),
      }),

      /**
       * Deletes the move's open cases (`confirm: true`); says which
       * accounts stay in v2. `removeAccounts: true` is refused
       * (INVALID_ARGUMENT): v2 has no function for it.
       *
       * @example npx convex run userSync:rollbackV2Move '{"confirm":true}'
       */
      rollbackV2Move: builders.internalMutation({
        args: {
          confirm: v.optional(v.boolean()),
          removeAccounts: v.optional(v.boolean()),
        },
        returns: v2MoveRollbackValidator,
        handler: async (ctx, args) => await rollback(ctx, args),
      }),
    };
  }

  return { start, status, rollback, functions };
}
