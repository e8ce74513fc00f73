/**
 * convex-auth-user-sync: keeps Convex Auth's `users` table and an app's own
 * user table in step, from one declaration.
 *
 * @example
 * // convex/userSync.ts
 * export const userSync = defineUserSync<DataModel>()({
 *   table: "profiles",
 *   reference: { app: "userId" },
 *   email: { app: "email", verified: "emailVerified" },
 *   mirror: [{ users: "name", app: "displayName", owner: "app" }],
 *   onRowDelete: "deleteAccount",
 *   schema,
 * });
 * export const { completeSignIn } = userSync.signInFunctions({ internalMutation });
 * // convex/auth.ts
 * export const { auth, signIn, signOut, store, isAuthenticated } =
 *   convexAuth({ providers: [Password], callbacks: userSync.callbacks() });
 */
import {
  type ActionBuilder,
  type DocumentByName,
  type FunctionReference,
  type GenericDataModel,
  type GenericMutationCtx,
  type GenericQueryCtx,
  makeFunctionReference,
  type MutationBuilder,
  type PaginationOptions,
  type QueryBuilder,
  type TableNamesInDataModel,
} from "convex/server";
import { type GenericId, v } from "convex/values";
import type { Triggers } from "convex-helpers/server/triggers";
import {
  deleteAccountData,
  deleteAppRow,
  refuseInSingleTable,
  setAccountStatus,
  setRowStatus,
} from "./accounts.js";
import { endSignIns } from "./sessions.js";
import {
  type Actor,
  audited,
  auditPage,
  recordingDb,
  type Target,
} from "./audit.js";
import {
  AUDITED_AUTH_FIELDS,
  describeFields,
  type FieldReport,
} from "./casePolicy.js";
import {
  type ConvexAuthCallbacks,
  makeConvexAuthAdapter,
} from "./convexAuth.js";
import { makeConvexAuthV2Adapter } from "./v2/callbacks.js";
import { v2MovePhaseNamed } from "./v2move/move.js";
import { makeV2Move } from "./v2move/moveCommands.js";
import {
  type AnyDoc,
  resolveShape,
  type Shape,
  type UserSyncDeclaration,
} from "./declaration.js";
import { type DriftSummary, makeDriftReport } from "./driftReport.js";
import {
  exportPerson,
  indexAuditSubjects,
  purgeAuditLog,
  scrubAuditEntries,
} from "./erasure.js";
import { makeEngine, startRunArgs, type StartRunOptions } from "./engine.js";
import { type FoldRunOptions, makeFold } from "./fold/commands.js";
import { ensureOneTable } from "./fold/oneTable.js";
import { foldPhaseNamed } from "./fold/phases.js";
import {
  findPairByEmailFromUsers,
  loadPairFromUsers,
  pairedUserFromUsers,
  readPairFromUsers,
} from "./fold/reads.js";
import {
  foldMode,
  type FoldStatus,
  foldStatus as readFoldStatus,
  readsUsers,
} from "./fold/state.js";
import { virtualRow } from "./fold/virtualRow.js";
import { findPairByEmail, loadPairById } from "./lookups.js";
import { makeOperatorFunctions } from "./operators.js";
import { adoptAppReferences } from "./references.js";
import { purgeHistory } from "./retention.js";
import { syncHealth, syncHealthValidator } from "./health.js";
import { checkTables, type PairProblem } from "./policy.js";
import {
  checkDeclaration,
  checkSchema,
  type SchemaLike,
} from "./schemaCheck.js";
import {
  loadCase,
  openCases,
  previewResolution,
  resolveCase,
  type ResolutionPreview,
  type ResolutionRequest,
  type ResolutionResult,
} from "./resolutions.js";
import {
  ensurePair,
  type EnsureResult,
  findPairedUser,
  getDoc,
  type PairRead,
  readPair,
  type SyncOptions,
  type SyncResult,
  syncFromRow,
} from "./steps.js";
import { onRowChange, onUsersChange, type TableChange } from "./triggers.js";
import {
  type AccountStatus,
  type AuditEntry,
  type PersonData,
  type ReviewKind,
  type SyncReview,
  type SyncRun,
  syncRunValidator,
} from "./validators.js";

// The public surface: what an adopter declares, wires and calls. The
// building blocks behind it (audit recording, case hashing, page and run
// constants, the sync's table fields) are `convex-auth-user-sync/internals`.
export type {
  FieldOf,
  FieldOfType,
  MirrorDeclaration,
  RowDeletion,
  Owner,
  UserSyncDeclaration,
  UserSyncHooks,
} from "./declaration.js";
export { indexNames } from "./declaration.js";
export type { FoldDeclaration, FoldReference } from "./declaration.js";
export { readsUsers, referencesHold, singleTable } from "./fold/state.js";
export { type FoldStatus, foldStatusValidator } from "./fold/state.js";
export {
  FOLD_PHASES,
  FOLD_STAGES,
  type FoldPhase,
  type FoldStage,
} from "./fold/stages.js";
export type { StartRunOptions } from "./engine.js";
export type { SchemaLike } from "./schemaCheck.js";
export { type Actor, CLI_ACTOR, type Target } from "./audit.js";
export type { FieldReport, FieldSourceKind } from "./casePolicy.js";
export { boundedPage, type BoundedPage, pageSize } from "./pages.js";
export type {
  CaseRow,
  CaseView,
  ResolutionEffect,
  ResolutionPreview,
  ResolutionRequest,
  ResolutionResult,
} from "./resolutions.js";
export { startRunArgs } from "./engine.js";
export {
  type DriftSummary,
  driftReportValidator,
  driftSummaryValidator,
} from "./driftReport.js";
export {
  appError,
  type AppErrorData,
  ERROR_CODES,
  type ErrorCode,
  isAppError,
} from "./errors.js";
export { type SyncHealth, syncHealthValidator } from "./health.js";
export { normalizeEmail, type PairProblem, type SignInKind } from "./policy.js";
export { syncTables, syncUserFields, usersTable } from "./schema.js";
export { UNFINISHED_SIGN_UP_MS } from "./unfinishedSignUps.js";
export type { SyncResult } from "./steps.js";
export {
  type AccountStatus,
  accountStatusValidator,
  type AuditChange,
  type AuditEntry,
  auditEntryValidator,
  type FieldSource,
  type Metrics,
  type PageReport,
  type PersonData,
  personDataValidator,
  resolutionPreviewValidator,
  type ReviewKind,
  reviewKindValidator,
  type SyncOutcome,
  syncOutcomeValidator,
  syncResultValidator,
  type SyncReview,
  syncReviewValidator,
  type SyncRun,
  type SyncRunCounts,
  syncRunValidator,
} from "./validators.js";

type Ctx<DataModel extends GenericDataModel> = GenericQueryCtx<DataModel>;
type MCtx<DataModel extends GenericDataModel> = GenericMutationCtx<DataModel>;

/**
 * The sync of one app table with Convex Auth's `users`, derived from its
 * declaration. Made by defineUserSync.
 */
export class UserSync<
  DataModel extends GenericDataModel,
  Table extends TableNamesInDataModel<DataModel>,
> {
  /** The declaration, resolved to the names every step uses. */
  readonly shape: Shape;
  private readonly adapter;
  private readonly adapterV2;
  private readonly engine;
  private readonly fold;
  private readonly v2Move;
  private readonly drift;

  constructor(declaration: UserSyncDeclaration<DataModel, Table>) {
    this.shape = resolveShape(declaration);
    // First the Convex Auth it serves (the adapter refuses v2): on v2 the
    // schema lacks Convex Auth v1's tables, and that list would hide the
    // cause (found by the version matrix).
    this.adapter = makeConvexAuthAdapter(this.shape);
    this.adapterV2 = makeConvexAuthV2Adapter(this.shape);
    // Misconfiguration fails where Convex loads the module (a push, every
    // test), not at each sign-in (see checkDeclaration).
    checkDeclaration(this.shape, declaration.schema);
    this.engine = makeEngine(
      this.shape,
      (name) =>
        foldPhaseNamed(this.shape, name) ?? v2MovePhaseNamed(this.shape, name),
    );
    this.fold = makeFold(this.shape, this.engine);
    this.v2Move = makeV2Move(this.shape, this.engine);
    this.drift = makeDriftReport(this.shape);
  }

  // --- Wiring -------------------------------------------------------------

  /**
   * Convex Auth's callbacks (v1), merged with the app's own. An app that
   * sets `createOrUpdateUser` (Convex Auth then skips
   * `afterUserCreatedOrUpdated`) has it wrapped, so the sync still learns
   * what it must.
   *
   * @example convexAuth({ providers, callbacks: userSync.callbacks() })
   */
  callbacks(own?: ConvexAuthCallbacks): ConvexAuthCallbacks {
    return this.adapter.callbacks(own);
  }

  /**
   * Convex Auth v2's user callbacks (declare `convexAuth: { version: 2,
   * ... }`): `createUser` and `onSignIn`, built with the app's raw internal
   * mutation builder. Export them and give them to every sign-in method's
   * `attachUserCallbacks`; export `signInFunctions` too (docs/convex-auth-v2.md).
   *
   * @example export const { createUser, onSignIn } = userSync.convexAuthV2Callbacks({ internalMutation });
   */
  convexAuthV2Callbacks(builders: {
    internalMutation: MutationBuilder<DataModel, "internal">;
  }) {
    if (this.shape.convexAuth === undefined) {
      throw new Error(
        "convexAuthV2Callbacks serves Convex Auth v2: declare its components (convexAuth: { version: 2, core: components.auth, ... }), or use userSync.callbacks() with Convex Auth v1.",
      );
    }
    return this.adapterV2.callbacks(builders as never);
  }

  /**
   * The completed sign-in's sync (`completeSignIn`) and the continuation
   * that ends a user's sessions beyond one page (`endSessions`), built with
   * the app's raw internal mutation builder (not one wrapped with
   * triggers). Export both from the module the declaration names
   * (`modules.signIn`, default `userSync`).
   */
  signInFunctions(builders: {
    internalMutation: MutationBuilder<DataModel, "internal">;
  }) {
    return this.adapter.functions(builders as never);
  }

  /**
   * The bulk engine's functions (runPage, processPage, supervise,
   * resumeRun, getRun, plannedChanges) and `health` (the latest run's
   * outcome and the open failure cases, for a monitor), built with the
   * app's raw builders.
   * Export them from `modules.engine` (default `userSync`); start runs with
   * startRun.
   */
  engineFunctions(builders: {
    internalMutation: MutationBuilder<DataModel, "internal">;
    internalQuery: QueryBuilder<DataModel, "internal">;
  }) {
    const internalQuery = builders.internalQuery as unknown as QueryBuilder<
      GenericDataModel,
      "internal"
    >;
    return {
      ...this.engine.functions(builders as never),
      /**
       * The latest run's outcome and the open failure cases, for a
       * monitor: alert when `ok` is false (see docs/deploy.md).
       *
       * @example npx convex run userSync:health
       */
      health: internalQuery({
        args: {},
        returns: syncHealthValidator,
        handler: async (ctx) => await syncHealth(ctx),
      }),
    };
  }

  /**
   * The drift report's functions (page, summary). Export them from
   * `modules.driftReport` (default `userSync`).
   */
  driftReportFunctions(builders: {
    internalQuery: QueryBuilder<DataModel, "internal">;
    internalAction: ActionBuilder<DataModel, "internal">;
  }) {
    return this.drift.functions(builders as never);
  }

  /**
   * The audit log's jobs, built with the app's raw internal mutation
   * builder; export them from `modules.audit` (default `userSync`):
   * - `purgeAuditLog { days }`: the retention. Deletes a page of entries
   *   older than `days` days and schedules itself for the rest; run it from
   *   a cron (see docs/console.md).
   * - `purgeHistory { days }`: the same for resolved review cases and
   *   finished runs with their records (see retention.ts); a cron too.
   * - `eraseAuditTraces`: the continuation of an erasure whose person has
   *   more audit entries than one transaction scrubs (see erasure.ts).
   * - `indexAuditSubjects {}`: once, after upgrading from a version without
   *   `sync_audit_subjects`, so that an erasure finds older entries too.
   *
   * @example export const { purgeAuditLog, purgeHistory, eraseAuditTraces, indexAuditSubjects } = userSync.auditFunctions({ internalMutation });
   */
  auditFunctions(builders: {
    internalMutation: MutationBuilder<DataModel, "internal">;
  }) {
    const shape = this.shape;
    const internalMutation =
      builders.internalMutation as unknown as MutationBuilder<
        GenericDataModel,
        "internal"
      >;
    return {
      purgeAuditLog: internalMutation({
        args: { days: v.number() },
        returns: v.object({ deleted: v.number(), more: v.boolean() }),
        handler: async (ctx, { days }) => await purgeAuditLog(ctx, shape, days),
      }),
      purgeHistory: internalMutation({
        args: { days: v.number() },
        returns: v.object({ deleted: v.number(), more: v.boolean() }),
        handler: async (ctx, { days }) => await purgeHistory(ctx, shape, days),
      }),
      indexAuditSubjects: internalMutation({
        args: { cursor: v.optional(v.union(v.string(), v.null())) },
        returns: v.object({ indexed: v.number(), more: v.boolean() }),
        handler: async (ctx, { cursor }) =>
          await indexAuditSubjects(ctx, shape, cursor ?? null),
      }),
      eraseAuditTraces: internalMutation({
        args: { userIds: v.array(v.string()), rowIds: v.array(v.string()) },
        returns: v.null(),
        handler: async (ctx, people) => {
          if (await scrubAuditEntries(ctx, people)) {
            await ctx.scheduler.runAfter(
              0,
              makeFunctionReference<"mutation">(
                `${shape.modules.audit}:eraseAuditTraces`,
              ),
              people,
            );
          }
          return null;
        },
      }),
    };
  }

  /**
   * Ready operator commands, internal functions run with `npx convex run
   * <module>:<name> '{…}'` or from the dashboard (docs/console.md). Built
   * with the app's raw builders, as the sync's own functions: their writes
   * are planned by the field map, and a trigger-wrapped builder would take a
   * provider value they copy for an app edit. Export them from any module
   * (`userSync.functions()` includes them). A person is named by `id` (a
   * `users` id or an app-row id) or by an `email` that one account holds
   * verified (or one legacy row) and nothing else holds, not even
   * unverified; anything else is refused with a code and writes nothing.
   * - `findUser { id? | email? }`: every holder of an address, verified or
   *   not, or the pair an id names, each with its ids (a query);
   * - `suspend`, `reactivate { id? | email?, note? }`: the account on both
   *   tables (a row in no pair: its status);
   * - `deleteAccount { id, note? }`: the account and what is provably its
   *   own (see deleteAccount); by id only, as it cannot be undone;
   * - `deleteRow { id, note? }`: an app row in no pair, as a retirement
   *   takes it (CONFLICT for a row in a pair);
   * - `syncUser { id? | email? }`: brings one pair into agreement;
   * - `openCases { paginationOpts }`: the review queue, both sides and the
   *   version of each case (a query);
   * - `resolveCase { reviewId, version, action, userId?, rowId?,
   *   retireCurrent?, note? }`: `link`, `keep_separate`, `retire` or
   *   `dismiss` (see resolveCase);
   * - `auditLog { paginationOpts }`: the audit log, newest first (a query).
   *
   * Every writing command is audited with the actor CLI_ACTOR. In
   * single-table mode (the fold's stage `writes_stopped` on) they read and
   * write `users` alone; `deleteRow`, `syncUser` and the resolutions
   * `link` and `retire` are refused (CONFLICT): see docs/fold.md.
   *
   * @example export const { findUser, suspend, reactivate, deleteAccount, deleteRow, syncUser, openCases, resolveCase, auditLog } = userSync.operatorFunctions({ internalMutation, internalQuery });
   */
  operatorFunctions(builders: {
    internalMutation: MutationBuilder<DataModel, "internal">;
    internalQuery: QueryBuilder<DataModel, "internal">;
  }) {
    return makeOperatorFunctions(this.shape, builders as never);
  }

  /**
   * `adoptAppReferences {}`: once, when an app whose rows already name
   * their users (an app-side reference only) adopts references on both
   * sides: each user the one row naming it does not name back gets that
   * row as its `users`-side reference, unless another user names the row
   * or its email differs from the user's (recorded for a person), keeping a
   * suspension on either side; a page per transaction, each page that
   * adopts audited, the rest scheduled (see references.ts). Run it after
   * the first deploy, before Convex Auth's callbacks and the triggers are
   * on, and before the first `syncAllUsers`.
   * Export it from `modules.engine` (default `userSync`; `functions()`
   * includes it).
   *
   * @example npx convex run userSync:adoptAppReferences
   */
  referenceFunctions(builders: {
    internalMutation: MutationBuilder<DataModel, "internal">;
  }) {
    const shape = this.shape;
    const internalMutation =
      builders.internalMutation as unknown as MutationBuilder<
        GenericDataModel,
        "internal"
      >;
    return {
      adoptAppReferences: internalMutation({
        args: { cursor: v.optional(v.union(v.string(), v.null())) },
        returns: v.object({ adopted: v.number(), more: v.boolean() }),
        handler: async (ctx, args) => {
          const { adopted, cursor } = await adoptAppReferences(
            ctx,
            shape,
            args.cursor ?? null,
          );
          if (cursor !== null) {
            await ctx.scheduler.runAfter(
              0,
              makeFunctionReference<"mutation">(
                `${shape.modules.engine}:adoptAppReferences`,
              ),
              { cursor },
            );
          }
          return { adopted, more: cursor !== null };
        },
      }),
    };
  }

  /**
   * Where the fold stands (the `foldStatus` command's answer), for an app's
   * own admin query. One or two reads.
   */
  async foldStatus(ctx: GenericQueryCtx<DataModel>): Promise<FoldStatus> {
    return await readFoldStatus(ctx as never);
  }

  /**
   * Starts a fold phase forward, or rolls the latest back, for an app's own
   * admin mutation (the web console's): the same checks as the
   * `startFoldPhase` and `rollbackFoldPhase` commands, recorded in the
   * audit log by `actor`.
   *
   * @example await userSync.moveFold(ctx, "forward", { phase: "expand", actor });
   */
  async moveFold(
    ctx: MCtx<DataModel>,
    direction: "forward" | "back",
    options: FoldRunOptions & { confirm?: boolean },
  ) {
    return direction === "forward"
      ? await this.fold.startPhase(ctx as never, options)
      : await this.fold.rollbackPhase(ctx as never, options);
  }

  /**
   * The fold into one table's commands (docs/fold.md), for an app whose
   * declaration has `fold`:
   * - `foldStatus {}`: the stage, the move under way and its run (a query);
   * - `startFoldPhase { phase, dryRun?, pageSize?, workers? }`: `expand`,
   *   `placeholders` or `repoint`, each a run (follow it with getRun);
   * - `rollbackFoldPhase { phase, confirm, dryRun?, … }`: the latest
   *   phase, back.
   * A phase out of order, a run already active, an unknown phase or a
   * missing confirmation is a coded error that writes nothing. Export them
   * from any module (`functions()` includes them).
   *
   * @example export const { foldStatus, startFoldPhase, rollbackFoldPhase } = userSync.foldFunctions({ internalMutation, internalQuery });
   */
  foldFunctions(builders: {
    internalMutation: MutationBuilder<DataModel, "internal">;
    internalQuery: QueryBuilder<DataModel, "internal">;
  }) {
    return this.fold.functions(builders as never);
  }

  /**
   * The v1 -> v2 move's commands (docs/v2-move.md), for a v2 app
   * (`convexAuth: { version: 2, core, oauth: { github } }`) whose schema
   * still keeps v1's `authAccounts`:
   * - `startV2Move { dryRun?, pageSize? }`: the run over every user
   *   (follow it with getRun, resume it with resumeRun);
   * - `v2MoveStatus {}`: the latest move run, the people moved, the open
   *   cases;
   * - `rollbackV2Move { confirm, removeAccounts? }`: deletes the move's
   *   open cases; accounts moved into v2 stay (`removeAccounts: true` is
   *   refused, INVALID_ARGUMENT: v2 has no function for it).
   * Without `convexAuth`, each is refused (INVALID_ARGUMENT). Export them
   * from any module (`functions()` includes them).
   *
   * @example export const { startV2Move, v2MoveStatus, rollbackV2Move } = userSync.v2MoveFunctions({ internalMutation, internalQuery });
   */
  v2MoveFunctions(builders: {
    internalMutation: MutationBuilder<DataModel, "internal">;
    internalQuery: QueryBuilder<DataModel, "internal">;
  }) {
    return this.v2Move.functions(builders as never);
  }

  /**
   * Every function the sync needs, for an app that exports them all from
   * one module (the default: every `modules` entry `userSync`): the
   * sign-in's, the engine's, the drift report's, the audit log's, the
   * operator commands (see operatorFunctions), `adoptAppReferences` (see
   * referenceFunctions), and `syncAllUsers`, which
   * starts a run over every pair (the migration of existing data too).
   *
   * @example
   * // convex/userSync.ts
   * export const { completeSignIn, endSessions, runPage, processPage, supervise,
   *   resumeRun, getRun, plannedChanges, syncAllUsers, page, summary,
   *   findUser, suspend, reactivate, deleteAccount, deleteRow, syncUser,
   *   openCases, resolveCase, auditLog } =
   *   userSync.functions({ internalMutation, internalQuery, internalAction });
   */
  functions(builders: {
    internalMutation: MutationBuilder<DataModel, "internal">;
    internalQuery: QueryBuilder<DataModel, "internal">;
    internalAction: ActionBuilder<DataModel, "internal">;
  }) {
    const { signIn, engine, driftReport, audit } = this.shape.modules;
    if (signIn !== engine || engine !== driftReport || driftReport !== audit) {
      throw new Error(
        "userSync.functions() builds every function for one module, but the declaration's `modules` name several: export signInFunctions, engineFunctions, driftReportFunctions and auditFunctions from each instead",
      );
    }
    const { internalMutation } = builders;
    return {
      ...this.signInFunctions(builders),
      ...this.engineFunctions(builders),
      ...this.driftReportFunctions(builders),
      ...this.auditFunctions(builders),
      ...this.operatorFunctions(builders),
      ...this.referenceFunctions(builders),
      ...this.foldFunctions(builders),
      ...this.v2MoveFunctions(builders),
      /**
       * Starts a run over every pair, in batches: the migration of
       * existing data too. Returns the run (an active one, if any).
       *
       * @example npx convex run userSync:syncAllUsers '{"dryRun":true}'
       */
      syncAllUsers: internalMutation({
        args: startRunArgs,
        returns: syncRunValidator,
        handler: async (ctx, args) =>
          await this.startRun(ctx, "syncAllUsers", args),
      }),
    };
  }

  /** The tables the sync writes: to name the table of an old-form write. */
  private knownTables(): string[] {
    return ["users", this.shape.table, ...Object.keys(AUDITED_AUTH_FIELDS)];
  }

  /**
   * Registers the sync's triggers on `users` and the app table with the
   * app's convex-helpers Triggers, which the app's own mutation builders
   * wrap (`customMutation(mutation, customCtx(triggers.wrapDB))`). Trigger
   * writes use the raw database, so they never trigger again.
   */
  registerTriggers(triggers: Triggers<DataModel>): void {
    const shape = this.shape;
    // While an operator command runs, what the triggers write is its too:
    // recorded in its audit entry (found by review).
    const tables = this.knownTables();
    triggers.register("users", async (ctx, change) => {
      await onUsersChange(
        { ...ctx, db: recordingDb(ctx.innerDb, tables) } as never,
        shape,
        change as unknown as TableChange,
      );
    });
    triggers.register(shape.table as Table, async (ctx, change) => {
      await onRowChange(
        { ...ctx, db: recordingDb(ctx.innerDb, tables) } as never,
        shape,
        change as unknown as TableChange,
      );
    });
  }

  // --- Runs ---------------------------------------------------------------

  /**
   * Starts a bulk run over both tables (a migration, or a periodic sync of
   * every pair), or returns the active one. `workers` splits it into that
   * many chains of pages run side by side (see engine.ts).
   *
   * @example export const syncAllUsers = internalMutation({ args: startRunArgs, returns: syncRunValidator, handler: (ctx, args) => userSync.startRun(ctx, "syncAllUsers", args) });
   */
  async startRun(ctx: MCtx<DataModel>, name: string, options: StartRunOptions) {
    return await this.engine.startRun(ctx as never, name, options);
  }

  /**
   * Resumes a failed run (a run id as a string; INVALID_ARGUMENT otherwise),
   * or returns the active one. Recorded in the audit log.
   */
  async resumeRun(
    ctx: MCtx<DataModel>,
    runId: string,
    options: { pageSize?: number; actor?: Actor } = {},
  ) {
    return await this.engine.resumeRun(ctx as never, runId, options);
  }

  /**
   * A run as getRun shows it: while it runs (or after it failed), its
   * current phase's workers are added to what its finished phases did, so a
   * progress bar moves page by page. Reads the phase's workers.
   */
  async runProgress(ctx: Ctx<DataModel>, run: SyncRun): Promise<SyncRun> {
    return await this.engine.withProgress(ctx as never, run);
  }

  /**
   * The whole drift report from an action, every page its own query of the
   * exported `page` (see driftReportFunctions).
   *
   * @example const report = await userSync.driftSummary(ctx);
   */
  async driftSummary(
    ctx: {
      runQuery: (
        reference: FunctionReference<"query", "internal">,
        args: Record<string, unknown>,
      ) => Promise<unknown>;
    },
    options: { pageSize?: number } = {},
  ): Promise<DriftSummary> {
    return await this.drift.summarize(
      async (args) =>
        (await ctx.runQuery(
          this.drift.pageRef as unknown as FunctionReference<
            "query",
            "internal"
          >,
          args,
        )) as never,
      options.pageSize,
    );
  }

  // --- Review queue, resolutions, audit -----------------------------------

  /**
   * One page of open cases of `sync_reviews`, oldest first, each with the
   * user, its current row, the case's rows and the case's version.
   */
  async openCases(
    ctx: Ctx<DataModel>,
    paginationOpts: PaginationOptions,
    /** Only cases of this kind. */
    kind?: ReviewKind,
  ): Promise<{
    page: Case<DataModel, Table>[];
    continueCursor: string;
    isDone: boolean;
  }> {
    return (await openCases(
      ctx as never,
      this.shape,
      paginationOpts,
      kind,
    )) as never;
  }

  /** One case with both sides and its version (see openCases). */
  async loadCase(
    ctx: Ctx<DataModel>,
    review: SyncReview,
  ): Promise<Case<DataModel, Table>> {
    return (await loadCase(ctx as never, this.shape, review)) as never;
  }

  /** One page of the audit log, newest first (at most MAX_AUDIT_PAGE). */
  async auditPage(
    ctx: Ctx<DataModel>,
    paginationOpts: PaginationOptions,
  ): Promise<{ page: AuditEntry[]; continueCursor: string; isDone: boolean }> {
    return await auditPage(ctx as never, paginationOpts);
  }

  /**
   * Resolves a case (link, keep_separate, retire, dismiss) in the caller's
   * transaction, with an audit entry; refused with STALE when the case
   * changed since its version was read. Call it from a raw mutation builder
   * (the sync plans its own writes).
   */
  async resolveCase(
    ctx: MCtx<DataModel>,
    request: ResolutionRequest,
  ): Promise<ResolutionResult> {
    return await resolveCase(ctx as never, this.shape, request);
  }

  /**
   * What resolveCase would write for the same request, from the same plan,
   * writing nothing (its refusals too): for a person to see before they
   * confirm. Runs in a query.
   */
  async previewResolution(
    ctx: Ctx<DataModel>,
    request: ResolutionRequest,
  ): Promise<ResolutionPreview> {
    return await previewResolution(ctx as never, this.shape, request);
  }

  /**
   * Runs an operator command and records every field it changed in the
   * watched documents (before and after) in the audit log.
   *
   * @example await userSync.audited(ctx, { action: "admin:setStatus", actor, targets, summary }, () => ...);
   */
  async audited<T>(
    ctx: MCtx<DataModel>,
    entry: {
      action: string;
      actor: Actor;
      targets: readonly Target[];
      /** What was done, in words; or worked out from the result. */
      summary: string | ((result: T) => string);
    },
    command: () => Promise<T>,
    /** Documents the command created, from its result. */
    created?: (result: T) => readonly Target[],
  ): Promise<T> {
    return await audited(
      ctx as never,
      {
        ...entry,
        tables: this.knownTables(),
        people: ["users", this.shape.table],
      },
      command,
      created,
    );
  }

  /**
   * Every mirrored field of a user and its row: both values, the owner, and
   * where the value comes from (provider, the user's choice, the app). Pure.
   */
  describeFields(
    user: Doc<DataModel, "users"> | null,
    row: Doc<DataModel, Table> | null,
  ): FieldReport[] {
    return describeFields(this.shape, user as never, row as never);
  }

  // --- Steps for the app's own functions ----------------------------------

  // From the fold's `reads_switched` stage on, these lookups answer from
  // `users` alone, with virtual rows (fold/reads.ts); the sync's own steps
  // keep reading both tables, which are still both written.

  /**
   * What a user's reference leads to: its counterpart, or a pointer. Once
   * reads are switched, the counterpart is the user's virtual row.
   */
  async readPair(
    ctx: Ctx<DataModel>,
    user: Doc<DataModel, "users">,
  ): Promise<PairRead> {
    if (await this.readsUsers(ctx)) {
      return await readPairFromUsers(ctx as never, this.shape, user as never);
    }
    return await readPair(ctx as never, this.shape, user as never);
  }

  /** Whether the lookups answer from `users` (no read without a fold). */
  private async readsUsers(ctx: Ctx<DataModel>): Promise<boolean> {
    return this.shape.fold !== undefined && (await readsUsers(ctx as never));
  }

  /** The user's counterpart (a reference both sides agree on), or null. */
  async findCounterpart(
    ctx: Ctx<DataModel>,
    user: Doc<DataModel, "users">,
  ): Promise<Doc<DataModel, Table> | null> {
    return (await this.readPair(ctx, user)).counterpart as never;
  }

  /** The user an app row is paired with, or null. */
  async findPairedUser(
    ctx: Ctx<DataModel>,
    row: Doc<DataModel, Table>,
  ): Promise<Doc<DataModel, "users"> | null> {
    if (await this.readsUsers(ctx)) {
      return (await pairedUserFromUsers(
        ctx as never,
        this.shape,
        row._id as string,
      )) as never;
    }
    return (await findPairedUser(
      ctx as never,
      this.shape,
      row as never,
    )) as never;
  }

  /**
   * Gives a user its counterpart and brings the pair into agreement, with
   * `edits` to the app row on the way (a profile update): see steps.ts.
   * Once reads are switched, the row returned is the user's virtual row
   * (both tables are still written). Once the app table is no longer
   * written (single-table mode, see docs/fold.md), the edits go to their
   * homes on `users` alone (fold/oneTable.ts).
   */
  async ensurePair(
    ctx: MCtx<DataModel>,
    user: Doc<DataModel, "users">,
    edits: Partial<Doc<DataModel, Table>>,
    options: SyncOptions & { read?: PairRead } = { now: Date.now() },
  ): Promise<
    Omit<EnsureResult, "user" | "row"> & {
      user: Doc<DataModel, "users">;
      row: Doc<DataModel, Table> | null;
    }
  > {
    const mode =
      this.shape.fold === undefined ? null : await foldMode(ctx as never);
    if (mode?.singleTable === true) {
      return (await ensureOneTable(
        ctx as never,
        this.shape,
        user as never,
        edits,
        { ...options, catchingUp: mode.catchingUp },
      )) as never;
    }
    if (mode?.readsUsers !== true) {
      return (await ensurePair(
        ctx as never,
        this.shape,
        user as never,
        edits,
        options,
      )) as never;
    }
    // A pair read from users alone (readPair) holds a virtual row: the
    // sync reads its own.
    const { read: _read, ...own } = options;
    const result = await ensurePair(
      ctx as never,
      this.shape,
      user as never,
      edits,
      own,
    );
    if (result.row === null) return result as never;
    const written =
      (await getDoc(ctx as never, "users", user._id)) ?? result.user;
    return {
      ...result,
      row: { ...virtualRow(this.shape, written), _id: result.row._id },
    } as never;
  }

  /**
   * Brings an app row into agreement with its user, from the row's side.
   * CONFLICT in single-table mode (the fold's stage `writes_stopped` on):
   * the row is frozen, and a sync from it would copy its stale values over
   * the person's edits on `users` and write the app table.
   */
  async syncFromRow(
    ctx: MCtx<DataModel>,
    row: Doc<DataModel, Table>,
    options: SyncOptions = { now: Date.now() },
  ): Promise<SyncResult> {
    // No fold declared: no fold record to read.
    if (this.shape.fold !== undefined) {
      await refuseInSingleTable(ctx as never, this.shape, "sync from a row");
    }
    return await syncFromRow(ctx as never, this.shape, row as never, options);
  }

  /**
   * The pair for a `users` id or an app-row id (see lookups.ts); `join:
   * false` for operator commands, which act on what is linked.
   */
  async loadPairById(
    ctx: Ctx<DataModel>,
    id: string,
    options?: { join: boolean },
  ): Promise<Pair<DataModel, Table> | null> {
    if (await this.readsUsers(ctx)) {
      return (await loadPairFromUsers(ctx as never, this.shape, id, () =>
        loadPairById(ctx as never, this.shape, id, options),
      )) as never;
    }
    return (await loadPairById(ctx as never, this.shape, id, options)) as never;
  }

  /** The pair whose verified email this is (pass an email key). */
  async findPairByEmail(
    ctx: Ctx<DataModel>,
    email: string,
    options?: { unique: boolean },
  ): Promise<Pair<DataModel, Table> | null> {
    if (await this.readsUsers(ctx)) {
      return (await findPairByEmailFromUsers(
        ctx as never,
        this.shape,
        email,
        options,
      )) as never;
    }
    return (await findPairByEmail(
      ctx as never,
      this.shape,
      email,
      options,
    )) as never;
  }

  /**
   * Deletes an account and what is provably its own: the user, its
   * counterpart (and the app's data of it, through onDeleteRow), Convex
   * Auth's accounts, codes, sessions and refresh tokens.
   */
  async deleteAccount(
    ctx: MCtx<DataModel>,
    userId: GenericId<"users">,
  ): Promise<number> {
    return await deleteAccountData(ctx as never, this.shape, userId);
  }

  /**
   * One person's data: both documents, their sign-in methods (provider and
   * account id, never a secret) and the app's own data of the row (the
   * exportRow hook). Pass the pair as linked (see loadPairById).
   *
   * @example return await userSync.exportPerson(ctx, { user: caller.user, row: caller.authUser });
   */
  async exportPerson(
    ctx: Ctx<DataModel>,
    pair: {
      user: Doc<DataModel, "users"> | null;
      row: Doc<DataModel, Table> | null;
    },
  ): Promise<
    Omit<PersonData, "user" | "row"> & {
      user: Doc<DataModel, "users"> | null;
      row: Doc<DataModel, Table> | null;
    }
  > {
    return await exportPerson(ctx as never, this.shape, pair as never);
  }

  /**
   * Deletes one app row (and the app's data of it), nothing else. CONFLICT
   * in single-table mode (the fold's stage `writes_stopped` on): rows are
   * frozen, and a person's goes with their account (deleteAccount).
   */
  async deleteRow(
    ctx: MCtx<DataModel>,
    rowId: GenericId<Table>,
  ): Promise<number> {
    await refuseInSingleTable(ctx as never, this.shape, "delete a row alone");
    return await deleteAppRow(ctx as never, this.shape, rowId);
  }

  /**
   * Suspends or reactivates an account on both tables; suspending ends its
   * sessions and revokes codes already issued.
   */
  async setStatus(
    ctx: MCtx<DataModel>,
    userId: GenericId<"users">,
    status: AccountStatus,
  ): Promise<void> {
    await setAccountStatus(ctx as never, this.shape, userId, status);
  }

  /**
   * Sets the status of an app row in no pair (a legacy row whose owner
   * never signed in): suspended, it refuses every sign-in that proves its
   * address and signs out the accounts that already do. Throws for a row in
   * a pair (use setStatus) or a table without a status field.
   *
   * @example await userSync.setRowStatus(ctx, rowId, "suspended");
   */
  async setRowStatus(
    ctx: MCtx<DataModel>,
    rowId: GenericId<Table>,
    status: AccountStatus,
  ): Promise<void> {
    await setRowStatus(ctx as never, this.shape, rowId, status);
  }

  /** Ends a user's sessions and revokes its issued codes. */
  async endSignIns(ctx: MCtx<DataModel>, userId: GenericId<"users">) {
    await endSignIns(ctx as never, this.shape, userId);
  }

  /**
   * What the app's schema lacks for this declaration (fields, their
   * optionality, the indexes the sync queries, its own tables), one
   * sentence a problem. Run it in a test: a deployment would only show a
   * missing index at the first sign-in or run that needs it.
   *
   * @example expect(userSync.checkSchema(schema)).toEqual([]);
   */
  checkSchema(schema: SchemaLike): string[] {
    return checkSchema(this.shape, schema);
  }

  /**
   * Checks two whole tables (small ones: tests, demos) against the sync's
   * invariants. Pure.
   */
  checkTables(
    users: readonly Doc<DataModel, "users">[],
    rows: readonly Doc<DataModel, Table>[],
  ): { consistent: boolean; problems: PairProblem[]; unlinkedRows: number } {
    return checkTables(this.shape, users as never, rows as unknown as AnyDoc[]);
  }
}

type Doc<
  DataModel extends GenericDataModel,
  Table extends TableNamesInDataModel<DataModel>,
> = DocumentByName<DataModel, Table>;

/** A case of the review queue, typed for the app (see resolutions.ts). */
export type Case<
  DataModel extends GenericDataModel,
  Table extends TableNamesInDataModel<DataModel>,
> = {
  review: SyncReview;
  user: Doc<DataModel, "users"> | null;
  counterpart: Doc<DataModel, Table> | null;
  rows: {
    id: string;
    doc: Doc<DataModel, Table> | null;
    pairedUserId: string | null;
  }[];
  version: string;
};

/** A user and its app row, either possibly missing. */
export type Pair<
  DataModel extends GenericDataModel,
  Table extends TableNamesInDataModel<DataModel>,
> = {
  user: Doc<DataModel, "users"> | null;
  row: Doc<DataModel, Table> | null;
};

/**
 * Declares the sync for an app, once: its user table, the reference on each
 * side, the field map and what deleting a row does. Typed against the app's
 * data model (pass it as the type argument; the table is inferred). Throws
 * when the declaration's `schema` lacks what the sync needs, naming every
 * problem, or when `onRowDelete` is missing.
 *
 * @example
 * export const userSync = defineUserSync<DataModel>()({
 *   table: "auth_users",
 *   reference: { app: "convex_user_id", users: "auth_user_id" },
 *   email: { app: "email", verified: "email_verified" },
 *   mirror: [
 *     { users: "name", app: "full_name", owner: "provider", chosenBy: "name_source" },
 *     { users: "image", app: "avatar_url", owner: "provider", chosenBy: "avatar_source" },
 *   ],
 *   status: "status",
 *   lastLoginAt: "last_login_at",
 *   updatedAt: "updated_at",
 *   newRow: (now) => ({ created_at: now }),
 *   onRowDelete: "deleteAccount",
 *   schema,
 * });
 */
export function defineUserSync<DataModel extends GenericDataModel>() {
  return <
    const Table extends TableNamesInDataModel<DataModel>,
    const NewRow extends Partial<DocumentByName<DataModel, Table>>,
  >(
    declaration: UserSyncDeclaration<DataModel, Table, NewRow>,
  ) => new UserSync<DataModel, Table>(declaration);
}
