/**
 * The console's user directory (examples/seed/web, Users.tsx and
 * UserPage.tsx), for administrators only like the rest of console.ts:
 * every account newest first a page at a time, a search by name or address
 * fragment (the `search_text` search index, see directorySearch.ts), and
 * one person's page: both records, each mirrored field's owner and source,
 * open cases and audit entries.
 *
 * The directory lists `auth_users` rows, the accounts of this app: every
 * completed sign-in has one (a user with none is drift, shown by sync
 * health). Once the fold stops writes to auth_users (docs/fold.md) it no
 * longer lists new people: it is a two-table view.
 *
 * @example npx convex run directory:backfillSearchText '{}'
 */
import {
  auditEntryValidator,
  boundedPage,
  syncReviewValidator,
} from "convex-auth-user-sync";
import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { internal } from "./_generated/api";
import type { Doc } from "./_generated/dataModel";
import type { QueryCtx } from "./_generated/server";
import {
  auditEntriesOf,
  directoryEntry,
  directoryEntryValidator,
  openCasesOf,
  pairHealthValidator,
  pairOfRow,
  type PairHealth,
} from "./directoryEntries";
import { matchesAll, queryWords, searchTextOf } from "./directorySearch";
import { fieldReportValidator } from "./console";
import { adminQuery, internalSyncMutation } from "./functions";
import { authUserDocValidator, userDocValidator } from "./reviews";
import { userSync } from "./sync";
import { loadPairById } from "./userLookup";
import { storedRow } from "./userViews";

/** The most accounts one directory page shows. */
export const DIRECTORY_PAGE_LIMIT = 25;
/** The most matches a search returns. */
export const SEARCH_LIMIT = 20;
/**
 * The most search-index hits a search reads: the index ranks rows matching
 * any word; those matching every word are kept.
 */
export const SEARCH_SCAN = 50;

/** Accounts, newest first (by `created_at`), a page at a time. */
export const page = adminQuery({
  args: { paginationOpts: paginationOptsValidator },
  returns: v.object({
    page: v.array(directoryEntryValidator),
    continueCursor: v.string(),
    isDone: v.boolean(),
  }),
  handler: async (ctx, { paginationOpts }) => {
    const rows = await boundedPage(
      ctx.db.query("auth_users").withIndex("by_created_at").order("desc"),
      paginationOpts,
      DIRECTORY_PAGE_LIMIT,
      "Not a cursor of the user directory",
    );
    const entries = [];
    for (const row of rows.page) entries.push(await directoryEntry(ctx, row));
    return { ...rows, page: entries };
  },
});

/**
 * Accounts whose name or address holds every word of `query` (a word of
 * the name, the address, its local part or domain, or their start): at
 * most SEARCH_LIMIT, in the search index's order of relevance.
 */
export const search = adminQuery({
  args: { query: v.string() },
  returns: v.array(directoryEntryValidator),
  handler: async (ctx, args) => {
    const words = queryWords(args.query.slice(0, 254));
    if (words.length === 0) return [];
    const hits = await ctx.db
      .query("auth_users")
      .withSearchIndex("search_text", (q) =>
        q.search("search_text", words.join(" ")),
      )
      .take(SEARCH_SCAN);
    const entries = [];
    for (const row of hits) {
      if (!matchesAll(row.search_text ?? "", words)) continue;
      entries.push(await directoryEntry(ctx, row));
      if (entries.length === SEARCH_LIMIT) break;
    }
    return entries;
  },
});

/**
 * One person by a `users` or `auth_users` id: both records (a one-sided
 * pointer's other side too), every mirrored field with its owner and
 * source, their open cases and audit entries. Null for an id that names
 * nobody.
 */
export const person = adminQuery({
  args: { id: v.string() },
  returns: v.union(
    v.null(),
    v.object({
      user: v.union(v.null(), userDocValidator),
      authUser: v.union(v.null(), authUserDocValidator),
      pair: pairHealthValidator,
      fields: v.array(fieldReportValidator),
      cases: v.array(syncReviewValidator),
      audit: v.array(auditEntryValidator),
    }),
  ),
  handler: async (ctx, { id }) => {
    const found = await loadPairById(ctx, id.trim(), { join: false });
    if (found === null) return null;
    const { user, authUser, pair } = await bothRecords(ctx, {
      user: found.user,
      authUser: storedRow(found),
    });
    if (user === null && authUser === null) return null;
    const ids = [user?._id, authUser?._id].filter(
      (each): each is NonNullable<typeof each> => each !== undefined,
    );
    return {
      user,
      authUser,
      pair,
      fields: userSync.describeFields(user, authUser),
      cases: await openCasesOf(ctx, { user, authUser }),
      audit: await auditEntriesOf(ctx, ids),
    };
  },
});

/**
 * A pair as loaded (references both sides agree on) completed with a
 * one-sided pointer's other side, and how the two stand.
 */
async function bothRecords(
  ctx: QueryCtx,
  pair: { user: Doc<"users"> | null; authUser: Doc<"auth_users"> | null },
): Promise<{
  user: Doc<"users"> | null;
  authUser: Doc<"auth_users"> | null;
  pair: PairHealth;
}> {
  if (pair.authUser !== null) {
    const { user, pair: health } = await pairOfRow(ctx, pair.authUser);
    return { user: pair.user ?? user, authUser: pair.authUser, pair: health };
  }
  const named = pair.user?.auth_user_id;
  if (named === undefined) return { ...pair, pair: "no_pair" };
  return {
    user: pair.user,
    authUser: await ctx.db.get("auth_users", named),
    pair: "one_sided",
  };
}

/** How many rows one backfill transaction rewrites at most. */
const BACKFILL_PAGE = 100;

/**
 * Writes `search_text` on rows written outside the app's functions (an
 * import, the dashboard, rows from before the directory), a page per
 * transaction, each page scheduling the next. Rows already right are not
 * written. Returns the rows this page changed.
 */
export const backfillSearchText = internalSyncMutation({
  args: { cursor: v.optional(v.union(v.string(), v.null())) },
  returns: v.number(),
  handler: async (ctx, { cursor }) => {
    const result = await ctx.db
      .query("auth_users")
      .paginate({ numItems: BACKFILL_PAGE, cursor: cursor ?? null });
    let changed = 0;
    for (const row of result.page) {
      const text = searchTextOf(row);
      if (row.search_text === text) continue;
      await ctx.db.patch("auth_users", row._id, { search_text: text });
      changed++;
    }
    if (!result.isDone) {
      await ctx.scheduler.runAfter(0, internal.directory.backfillSearchText, {
        cursor: result.continueCursor,
      });
    }
    return changed;
  },
});
