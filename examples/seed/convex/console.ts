/**
 * The web console's functions (examples/seed/web), for administrators only
 * (`auth_users.is_admin`, granted by admin:setAdmin): sync health (drift
 * report, runs), the review queue and its resolutions, user search with
 * both rows and every mirrored field, and the audit log. Signed-out callers
 * get UNAUTHENTICATED and other users FORBIDDEN from every one of them.
 *
 * Thin wrappers: the same handlers serve the CLI's reviews:* commands, over
 * convex-auth-user-sync. Every write is recorded in the audit log with the
 * administrator as its actor.
 */
import {
  driftSummaryValidator,
  resolutionPreviewValidator,
  reviewKindValidator,
  startRunArgs,
  syncRunValidator,
} from "convex-auth-user-sync";
import {
  paginationOptsValidator,
  paginationResultValidator,
} from "convex/server";
import { v } from "convex/values";
import { internal } from "./_generated/api";
import type { Doc } from "./_generated/dataModel";
import type { QueryCtx } from "./_generated/server";
import {
  action,
  actorOf,
  adminQuery,
  type Caller,
  adminSyncMutation,
  internalQuery,
  requireAdmin,
} from "./functions";
import {
  auditLogPage,
  auditPageValidator,
  authUserDocValidator,
  casePage,
  casePageValidator,
  caseViewValidator,
  choiceOf,
  dismissArgs,
  keepSeparateArgs,
  linkArgs,
  preview,
  previewArgs,
  resolutionResultValidator,
  resolve,
  retireArgs,
  userDocValidator,
} from "./reviews";
import { cleanId } from "./inputs";
import { userSync } from "./sync";
import { loadPairById, type UserPair } from "./userLookup";
import { storedRow } from "./userViews";
import {
  boundedPage,
  foldStatusValidator,
  normalizeEmail,
  pageSize,
  readsUsers,
} from "convex-auth-user-sync";

// --- Sync health -----------------------------------------------------------

/** The most runs one page of the console's list holds. */
const RUNS_PAGE_LIMIT = 20;

/**
 * Every run, newest first, a page at a time (at most RUNS_PAGE_LIMIT), live:
 * a run under way shows its current phase's pages as they run (runProgress).
 */
export const runs = adminQuery({
  args: { paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(syncRunValidator),
  handler: async (ctx, { paginationOpts }) => {
    const result = await boundedPage(
      ctx.db.query("sync_runs").order("desc"),
      {
        ...paginationOpts,
        numItems: pageSize(paginationOpts.numItems, RUNS_PAGE_LIMIT),
      },
      RUNS_PAGE_LIMIT,
      "Not a cursor of the runs",
    );
    const page = [];
    for (const run of result.page) {
      page.push(await shown(ctx, await userSync.runProgress(ctx, run)));
    }
    return { ...result, page };
  },
});

/** One run, as the runs list shows it (null: no such run). */
export const run = adminQuery({
  args: { runId: v.string() },
  returns: v.union(v.null(), syncRunValidator),
  handler: async (ctx, { runId }) => {
    const run = await ctx.db.get("sync_runs", cleanId(ctx, "sync_runs", runId));
    return run === null
      ? null
      : await shown(ctx, await userSync.runProgress(ctx, run));
  },
});

/**
 * Where the fold into one table stands (docs/fold.md): its stage, the move
 * under way and its run, the last move's outcome. Read-only here: an
 * operator moves the fold from the CLI (convex/fold.ts).
 */
export const foldStatus = adminQuery({
  args: {},
  returns: foldStatusValidator,
  handler: async (ctx) => await userSync.foldStatus(ctx),
});

/**
 * Starts a run over every pair (`dryRun`: plan only), or returns the run
 * already going. `estimate`: the rows it should check, for the progress bar
 * (the console passes the drift report's count; otherwise the last run's).
 */
export const startRun = adminSyncMutation({
  args: { ...startRunArgs, estimate: v.optional(v.number()) },
  returns: syncRunValidator,
  handler: async (ctx, args) =>
    await shown(
      ctx,
      await userSync.startRun(ctx, runName(args.dryRun, ctx.caller), {
        ...args,
        actor: actorOf(ctx.caller),
      }),
    ),
});

/**
 * A run's name as the console stores it: what it does and who started it,
 * by id ("sync all (console, by users <id>)"): a stored name outlives its
 * starter's erasure, which must leave no address of theirs behind (found by
 * review). The lists show the starter's address instead (`shown`).
 */
function runName(dryRun: boolean | undefined, caller: Caller): string {
  return `${dryRun === true ? "dry run of sync all" : "sync all"} (console, ${STARTED_BY}${caller.user._id})`;
}

const STARTED_BY = "by users ";

/**
 * A run as the console shows it: its starter named by their address while
 * they exist ("sync all (console, by admin@example.com)"), else "a deleted
 * administrator".
 */
async function shown<Run extends { name: string }>(
  ctx: QueryCtx,
  run: Run,
): Promise<Run> {
  const at = run.name.lastIndexOf(STARTED_BY);
  if (at < 0 || !run.name.endsWith(")")) return run;
  const id = ctx.db.normalizeId(
    "users",
    run.name.slice(at + STARTED_BY.length, -1),
  );
  const user = id === null ? null : await ctx.db.get("users", id);
  const who = user?.email ?? "a deleted administrator";
  return { ...run, name: `${run.name.slice(0, at)}by ${who})` };
}

/**
 * Moves the fold (docs/fold.md) from the console: a phase forward, or the
 * latest back. The same checks as the CLI's `fold:startFoldPhase` and
 * `fold:rollbackFoldPhase` (a rollback, and retire, need `confirm`),
 * recorded in the audit log by the administrator.
 */
export const moveFold = adminSyncMutation({
  args: {
    phase: v.string(),
    direction: v.union(v.literal("forward"), v.literal("back")),
    confirm: v.optional(v.boolean()),
  },
  returns: v.union(v.null(), syncRunValidator),
  handler: async (ctx, { direction, ...args }) =>
    await userSync.moveFold(ctx, direction, {
      ...args,
      actor: actorOf(ctx.caller),
    }),
});

/** Resumes a failed run where it stopped. */
export const resumeRun = adminSyncMutation({
  args: { runId: v.string() },
  returns: syncRunValidator,
  handler: async (ctx, { runId }) =>
    await shown(
      ctx,
      await userSync.resumeRun(ctx, runId, { actor: actorOf(ctx.caller) }),
    ),
});

/** Lets a public action check its caller (actions have no database). */
export const requireAdminCaller = internalQuery({
  args: {},
  returns: v.null(),
  handler: async (ctx) => {
    await requireAdmin(ctx);
    return null;
  },
});

/**
 * The drift report, every page of both tables (each page its own bounded
 * query): counts by kind for the console's chart.
 */
export const driftSummary = action({
  args: {},
  returns: driftSummaryValidator,
  handler: async (ctx) => {
    await ctx.runQuery(internal.console.requireAdminCaller, {});
    return await userSync.driftSummary(ctx);
  },
});

// --- Review queue ------------------------------------------------------------

/**
 * Open cases (of one kind, if asked), a page at a time, oldest first, with both rows each: at most
 * CASES_PAGE_LIMIT (20) a page (see reviews.ts casePage).
 */
export const openCases = adminQuery({
  args: {
    paginationOpts: paginationOptsValidator,
    // Only cases of this kind (the health page links each drift kind here).
    kind: v.optional(reviewKindValidator),
  },
  returns: casePageValidator,
  handler: async (ctx, { paginationOpts, kind }) =>
    await casePage(ctx, paginationOpts, kind),
});

/** One case with both sides, open or not (null: no such case). */
export const caseById = adminQuery({
  args: { reviewId: v.string() },
  returns: v.union(v.null(), caseViewValidator),
  handler: async (ctx, { reviewId }) => {
    const review = await ctx.db.get(
      "sync_reviews",
      cleanId(ctx, "sync_reviews", reviewId),
    );
    return review === null ? null : await userSync.loadCase(ctx, review);
  },
});

/** See reviews:link. */
export const link = adminSyncMutation({
  args: linkArgs,
  returns: resolutionResultValidator,
  handler: async (ctx, { userId, rowId, retireCurrent, ...args }) =>
    await resolve(ctx, actorOf(ctx.caller), args, {
      action: "link",
      userId,
      rowId,
      retireCurrent,
    }),
});

/** See reviews:keepSeparate. */
export const keepSeparate = adminSyncMutation({
  args: keepSeparateArgs,
  returns: resolutionResultValidator,
  handler: async (ctx, { userId, rowId, ...args }) =>
    await resolve(ctx, actorOf(ctx.caller), args, {
      action: "keep_separate",
      userId,
      rowId,
    }),
});

/** See reviews:retire. */
export const retire = adminSyncMutation({
  args: retireArgs,
  returns: resolutionResultValidator,
  handler: async (ctx, { rowId, ...args }) =>
    await resolve(ctx, actorOf(ctx.caller), args, { action: "retire", rowId }),
});

/** See reviews:previewResolution: what a resolution would write, first. */
export const previewResolution = adminQuery({
  args: previewArgs,
  returns: resolutionPreviewValidator,
  handler: async (ctx, { action, userId, rowId, retireCurrent, ...args }) =>
    await preview(
      ctx,
      actorOf(ctx.caller),
      args,
      choiceOf({ action, userId, rowId, retireCurrent }),
    ),
});

/** See reviews:dismiss. */
export const dismiss = adminSyncMutation({
  args: dismissArgs,
  returns: resolutionResultValidator,
  handler: async (ctx, args) =>
    await resolve(ctx, actorOf(ctx.caller), args, { action: "dismiss" }),
});

// --- Users -------------------------------------------------------------------

/** How many matches a search returns. */
const SEARCH_LIMIT = 10;

export const fieldReportValidator = v.object({
  usersField: v.string(),
  appField: v.string(),
  owner: v.union(v.literal("provider"), v.literal("app"), v.literal("latest")),
  source: v.union(
    v.literal("provider"),
    v.literal("user's choice"),
    v.literal("app"),
    v.literal("later of the two"),
  ),
  usersValue: v.optional(v.any()),
  appValue: v.optional(v.any()),
  expected: v.optional(v.any()),
  agrees: v.boolean(),
});

const userMatchValidator = v.object({
  user: v.union(v.null(), userDocValidator),
  authUser: v.union(v.null(), authUserDocValidator),
  // Both sides agree on the reference (a two-way pair).
  paired: v.boolean(),
  fields: v.array(fieldReportValidator),
});

/**
 * Users by email prefix (either table's address) or by id (either table's):
 * both rows of each, every mirrored field with its owner and where its value
 * came from. At most SEARCH_LIMIT matches; index ranges only.
 */
export const searchUsers = adminQuery({
  args: { query: v.string() },
  returns: v.array(userMatchValidator),
  handler: async (ctx, args) => {
    const text = args.query.trim();
    if (text.length === 0 || text.length > 254) return [];
    const pairs: UserPair[] = [];
    const seen = new Set<string>();
    const add = (pair: UserPair | null) => {
      if (pair === null) return;
      const key = `${pair.user?._id ?? "-"}:${pair.authUser?._id ?? "-"}`;
      if (!seen.has(key) && pairs.length < SEARCH_LIMIT) {
        seen.add(key);
        pairs.push(pair);
      }
    };
    add(await loadPairById(ctx, text, { join: false }));
    const prefix = normalizeEmail(text);
    if (prefix !== undefined) {
      // Once reads are switched, a row's address is read from its user's
      // home (users.emailKey): auth_users is no longer read (docs/fold.md).
      const byRow = (await readsUsers(ctx))
        ? await usersByEmailKeyPrefix(ctx, prefix)
        : await rowsByEmailPrefix(ctx, prefix);
      for (const doc of byRow) {
        add(await loadPairById(ctx, doc._id, { join: false }));
      }
      for (const user of await usersByEmailPrefix(ctx, prefix)) {
        add(await loadPairById(ctx, user._id, { join: false }));
      }
    }
    return pairs.map(({ user, authUser: read }) => {
      // A person whose record is their user alone shows no auth_users row.
      const authUser = storedRow({ user, authUser: read });
      return {
        user,
        authUser,
        paired:
          user !== null &&
          authUser !== null &&
          user.auth_user_id === authUser._id &&
          authUser.convex_user_id === user._id,
        fields: userSync.describeFields(user, authUser),
      };
    });
  },
});

/** The end of an index range of strings starting with `prefix`. */
const prefixEnd = (prefix: string) => `${prefix}\uffff`;

async function rowsByEmailPrefix(
  ctx: QueryCtx,
  prefix: string,
): Promise<Doc<"auth_users">[]> {
  return await ctx.db
    .query("auth_users")
    .withIndex("by_email_and_email_verified", (q) =>
      q.gte("email", prefix).lt("email", prefixEnd(prefix)),
    )
    .take(SEARCH_LIMIT);
}

async function usersByEmailKeyPrefix(
  ctx: QueryCtx,
  prefix: string,
): Promise<Doc<"users">[]> {
  return await ctx.db
    .query("users")
    .withIndex("by_emailKey_and_status", (q) =>
      q.gte("emailKey", prefix).lt("emailKey", prefixEnd(prefix)),
    )
    .take(SEARCH_LIMIT);
}

async function usersByEmailPrefix(
  ctx: QueryCtx,
  prefix: string,
): Promise<Doc<"users">[]> {
  // users.email holds what the provider sent, in its letter case.
  return await ctx.db
    .query("users")
    .withIndex("email", (q) =>
      q.gte("email", prefix).lt("email", prefixEnd(prefix)),
    )
    .take(SEARCH_LIMIT);
}

// --- Audit log ---------------------------------------------------------------

/**
 * The audit log, newest first, a page at a time: at most AUDIT_PAGE_LIMIT
 * (100) a page (see reviews.ts auditLogPage).
 */
export const auditLog = adminQuery({
  args: { paginationOpts: paginationOptsValidator },
  returns: auditPageValidator,
  handler: async (ctx, { paginationOpts }) =>
    await auditLogPage(ctx, paginationOpts),
});
