/**
 * The review queue and its resolutions, for operators at the CLI: every case
 * the sync refused to guess at (`sync_reviews`), with both rows side by side,
 * and the four ways a person resolves one. The console (console.ts) offers
 * the same to administrators signed in to the app; both call the handlers
 * below, over convex-auth-user-sync's resolveCase.
 *
 * Each resolution takes the case's `version` as it was shown (openCases) and
 * is refused with STALE if the case changed since; each is one transaction
 * and one audit entry (auditLog).
 *
 * @example npx convex run reviews:openCases '{"paginationOpts":{"numItems":5,"cursor":null}}'
 * @example npx convex run reviews:link '{"reviewId":"…","version":"…","userId":"…","rowId":"…"}'
 * @example npx convex run reviews:dismiss '{"reviewId":"…","version":"…","note":"test data"}'
 */
import {
  type Actor,
  auditEntryValidator,
  CLI_ACTOR,
  pageSize,
  resolutionPreviewValidator,
  type ReviewKind,
  syncReviewValidator,
} from "convex-auth-user-sync";
import {
  MAX_AUDIT_PAGE,
  MAX_CASES_PAGE,
} from "convex-auth-user-sync/internals";
import {
  type PaginationOptions,
  paginationOptsValidator,
  paginationResultValidator,
} from "convex/server";
import { v } from "convex/values";
import { doc } from "convex-helpers/validators";
import type { MutationCtx, QueryCtx } from "./_generated/server";
import { internalQuery, internalSyncMutation } from "./functions";
import { cleanId } from "./inputs";
import schema from "./schema";
import { userSync } from "./sync";
import { appError } from "./errors";

export const userDocValidator = doc(schema, "users");
export const authUserDocValidator = doc(schema, "auth_users");

/** One case with both sides, as openCases shows it. */
export const caseViewValidator = v.object({
  review: syncReviewValidator,
  user: v.union(v.null(), userDocValidator),
  // The user's current row (its counterpart), when it has one.
  counterpart: v.union(v.null(), authUserDocValidator),
  rows: v.array(
    v.object({
      id: v.string(),
      // null: the row was deleted since the case was recorded.
      doc: v.union(v.null(), authUserDocValidator),
      pairedUserId: v.union(v.null(), v.string()),
    }),
  ),
  // Pass it back with a resolution.
  version: v.string(),
});

export const casePageValidator = paginationResultValidator(caseViewValidator);
export const auditPageValidator =
  paginationResultValidator(auditEntryValidator);

/** What a resolution answers. */
export const resolutionResultValidator = v.object({
  resolution: v.union(
    v.literal("link"),
    v.literal("keep_separate"),
    v.literal("retire"),
    v.literal("dismiss"),
  ),
  summary: v.string(),
});

/** Arguments every resolution takes: the case, as it was shown. */
const caseArgs = {
  reviewId: v.string(),
  version: v.string(),
  note: v.optional(v.string()),
};
export const linkArgs = {
  ...caseArgs,
  userId: v.string(),
  rowId: v.string(),
  // The user's current row, to retire it and make room (as shown).
  retireCurrent: v.optional(v.string()),
};
export const keepSeparateArgs = {
  ...caseArgs,
  userId: v.string(),
  rowId: v.string(),
};
export const retireArgs = { ...caseArgs, rowId: v.string() };
export const dismissArgs = caseArgs;

type CaseArgs = { reviewId: string; version: string; note?: string };
type Choice =
  | { action: "link"; userId: string; rowId: string; retireCurrent?: string }
  | { action: "keep_separate"; userId: string; rowId: string }
  | { action: "retire"; rowId: string }
  | { action: "dismiss" };

/**
 * Checks a resolution's input (before any write) and resolves the case.
 * Ids are checked for their table here; whether they are the case's own is
 * the library's check.
 */
export async function resolve(
  ctx: MutationCtx,
  actor: Actor,
  args: CaseArgs,
  choice: Choice,
) {
  return await userSync.resolveCase(ctx, requestOf(ctx, actor, args, choice));
}

/**
 * What `resolve` would write for the same input, from the same plan (the
 * library's previewResolution), and its refusals: nothing is written.
 */
export async function preview(
  ctx: QueryCtx,
  actor: Actor,
  args: CaseArgs,
  choice: Choice,
) {
  return await userSync.previewResolution(
    ctx,
    requestOf(ctx, actor, args, choice),
  );
}

/** A resolution's input checked for its tables and sizes, as the library takes it. */
function requestOf(
  ctx: Pick<QueryCtx, "db">,
  actor: Actor,
  args: CaseArgs,
  choice: Choice,
) {
  const reviewId = cleanId(ctx, "sync_reviews", args.reviewId);
  if (args.version.length > 64) {
    throw appError("INVALID_ARGUMENT", "not a case version");
  }
  if (args.note !== undefined && args.note.length > 500) {
    throw appError("INVALID_ARGUMENT", "note is longer than 500 characters");
  }
  const ids: Record<string, string> = {};
  if ("userId" in choice) ids.userId = cleanId(ctx, "users", choice.userId);
  if ("rowId" in choice) ids.rowId = cleanId(ctx, "auth_users", choice.rowId);
  if ("retireCurrent" in choice && choice.retireCurrent !== undefined) {
    ids.retireCurrent = cleanId(ctx, "auth_users", choice.retireCurrent);
  }
  return {
    ...choice,
    ...ids,
    reviewId,
    version: args.version,
    note: args.note,
    actor,
  } as Parameters<typeof userSync.resolveCase>[1];
}

/** A resolution as the preview takes it: the action and its arguments. */
export const previewArgs = {
  ...caseArgs,
  action: v.union(
    v.literal("link"),
    v.literal("keep_separate"),
    v.literal("retire"),
    v.literal("dismiss"),
  ),
  userId: v.optional(v.string()),
  rowId: v.optional(v.string()),
  retireCurrent: v.optional(v.string()),
};

/** The preview's arguments as the choice they describe (INVALID_ARGUMENT when one is missing). */
export function choiceOf(args: {
  action: Choice["action"];
  userId?: string;
  rowId?: string;
  retireCurrent?: string;
}): Choice {
  const need = (value: string | undefined, name: string): string => {
    if (value === undefined) {
      throw appError(
        "INVALID_ARGUMENT",
        `${name} is required for ${args.action}`,
      );
    }
    return value;
  };
  switch (args.action) {
    case "link":
      return {
        action: "link",
        userId: need(args.userId, "userId"),
        rowId: need(args.rowId, "rowId"),
        retireCurrent: args.retireCurrent,
      };
    case "keep_separate":
      return {
        action: "keep_separate",
        userId: need(args.userId, "userId"),
        rowId: need(args.rowId, "rowId"),
      };
    case "retire":
      return { action: "retire", rowId: need(args.rowId, "rowId") };
    case "dismiss":
      return { action: "dismiss" };
  }
}

/** The most open cases one page shows (console and CLI). */
export const CASES_PAGE_LIMIT = MAX_CASES_PAGE;
/** The most audit entries one page shows (console and CLI). */
export const AUDIT_PAGE_LIMIT = MAX_AUDIT_PAGE;

/**
 * One page of open cases, both sides each: at most CASES_PAGE_LIMIT
 * whatever `numItems` asks; a page size that is no whole number ≥ 1, an
 * `endCursor` or a cursor the queue never made is INVALID_ARGUMENT.
 */
export async function casePage(
  ctx: QueryCtx,
  paginationOpts: PaginationOptions,
  kind?: ReviewKind,
) {
  return await userSync.openCases(
    ctx,
    {
      ...paginationOpts,
      numItems: pageSize(paginationOpts.numItems, CASES_PAGE_LIMIT),
    },
    kind,
  );
}

/** One page of the audit log, newest first: as casePage, AUDIT_PAGE_LIMIT. */
export async function auditLogPage(
  ctx: QueryCtx,
  paginationOpts: PaginationOptions,
) {
  return await userSync.auditPage(ctx, {
    ...paginationOpts,
    numItems: pageSize(paginationOpts.numItems, AUDIT_PAGE_LIMIT),
  });
}

/** Open cases, a page at a time, oldest first (see casePage). */
export const openCases = internalQuery({
  args: { paginationOpts: paginationOptsValidator },
  returns: casePageValidator,
  handler: async (ctx, { paginationOpts }) =>
    await casePage(ctx, paginationOpts),
});

/**
 * Links a user and a row you confirmed belong together. Refused (CONFLICT)
 * while the row is another user's pair, or the user has a row of its own:
 * pass that row's id as `retireCurrent` to retire it in the same step.
 */
export const link = internalSyncMutation({
  args: linkArgs,
  returns: resolutionResultValidator,
  handler: async (ctx, { userId, rowId, retireCurrent, ...args }) =>
    await resolve(ctx, CLI_ACTOR, args, {
      action: "link",
      userId,
      rowId,
      retireCurrent,
    }),
});

/** The two never link automatically again; the user keeps a row of its own. */
export const keepSeparate = internalSyncMutation({
  args: keepSeparateArgs,
  returns: resolutionResultValidator,
  handler: async (ctx, { userId, rowId, ...args }) =>
    await resolve(ctx, CLI_ACTOR, args, {
      action: "keep_separate",
      userId,
      rowId,
    }),
});

/** Deletes a row in no pair; its fields stay in the audit log. */
export const retire = internalSyncMutation({
  args: retireArgs,
  returns: resolutionResultValidator,
  handler: async (ctx, { rowId, ...args }) =>
    await resolve(ctx, CLI_ACTOR, args, { action: "retire", rowId }),
});

/**
 * What a resolution would write (rows and the app's data it deletes, fields
 * it changes), from the plan the resolution itself runs; refused as the
 * resolution would be. Writes nothing.
 *
 * @example npx convex run reviews:previewResolution '{"reviewId":"…","version":"…","action":"retire","rowId":"…"}'
 */
export const previewResolution = internalQuery({
  args: previewArgs,
  returns: resolutionPreviewValidator,
  handler: async (ctx, { action, userId, rowId, retireCurrent, ...args }) =>
    await preview(
      ctx,
      CLI_ACTOR,
      args,
      choiceOf({ action, userId, rowId, retireCurrent }),
    ),
});

/** Closes the case as it is. */
export const dismiss = internalSyncMutation({
  args: dismissArgs,
  returns: resolutionResultValidator,
  handler: async (ctx, args) =>
    await resolve(ctx, CLI_ACTOR, args, { action: "dismiss" }),
});

/**
 * The audit log, newest first, a page at a time (see auditLogPage).
 *
 * @example npx convex run reviews:auditLog '{"paginationOpts":{"numItems":20,"cursor":null}}'
 */
export const auditLog = internalQuery({
  args: { paginationOpts: paginationOptsValidator },
  returns: auditPageValidator,
  handler: async (ctx, { paginationOpts }) =>
    await auditLogPage(ctx, paginationOpts),
});
