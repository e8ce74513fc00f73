/**
 * The console's user directory (examples/seed/web, Users.tsx and
 * UserPage.tsx), for administrators only like the rest of console.ts:
 * every account newest first a page at a time, a search by name or address
 * fragment (the `search_text` search index, see directorySearch.ts), and
 * one person's page: both records, each mirrored field's owner and source,
 * open cases and audit entries.
 *
 * With two tables the directory lists `auth_users` rows, the accounts of
 * this app: every completed sign-in has one (a user with none is drift,
 * shown by sync health). Once the fold switches reads to `users`
 * (`readsUsers`, docs/fold.md) it lists, searches and opens `users` alone,
 * each person's values from their homes (the library's virtual row): so
 * it keeps every person once auth_users is no longer written, and once it
 * is retired.
 *
 * @example npx convex run directory:backfillSearchText '{}'
 */
import {
  auditEntryValidator,
  boundedPage,
  readsUsers,
  singleTable,
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
  directoryEntryOfUser,
  directoryEntryValidator,
  type DirectoryEntry,
  homesOf,
  openCasesOf,
  pairHealthValidator,
  pairOfRow,
  pairOfUser,
  type PairHealth,
} from "./directoryEntries";
import {
  matchesAll,
  queryWords,
  searchTextOf,
  searchTextOfUser,
} from "./directorySearch";
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

/**
 * Accounts, newest first (by `created_at`), a page at a time. Once reads
 * are switched, people by the home of `created_at` on users (`createdAt`):
 * every person the fold keeps has one (a pair's copy, a placeholder's, a
 * newcomer's since writes stopped); a user without it (a first sign-in
 * still pending) is left out, as its row-less self was before.
 */
export const page = adminQuery({
  args: { paginationOpts: paginationOptsValidator },
  returns: v.object({
    page: v.array(directoryEntryValidator),
    continueCursor: v.string(),
    isDone: v.boolean(),
  }),
  handler: async (ctx, { paginationOpts }) => {
    if (await readsUsers(ctx)) {
      const users = await boundedPage(
        ctx.db
          .query("users")
          .withIndex("by_createdAt", (q) =>
            q.gte("createdAt", Number.NEGATIVE_INFINITY),
          )
          .order("desc"),
        paginationOpts,
        DIRECTORY_PAGE_LIMIT,
        "Not a cursor of the user directory",
      );
      const on = await writesStopped(ctx);
      const entries = [];
      for (const user of users.page) {
        entries.push(await directoryEntryOfUser(ctx, user, on));
      }
      return { ...users, page: entries };
    }
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
    if (await readsUsers(ctx)) return await searchUsers(ctx, words);
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
 * Whether auth_users is no longer written (the fold's single-table mode).
 * The library's `singleTable` takes any app's reader, typed as the generic
 * data model's, which a typed reader does not widen to.
 */
async function writesStopped(ctx: QueryCtx): Promise<boolean> {
  return (await singleTable(ctx as never)).on;
}

/** `search` once reads are switched: users' `searchText`, same rules. */
async function searchUsers(
  ctx: QueryCtx,
  words: string[],
): Promise<DirectoryEntry[]> {
  const hits = await ctx.db
    .query("users")
    .withSearchIndex("search_text", (q) =>
      q.search("searchText", words.join(" ")),
    )
    .take(SEARCH_SCAN);
  const on = await writesStopped(ctx);
  const entries = [];
  for (const user of hits) {
    if (!matchesAll(user.searchText ?? "", words)) continue;
    // Only the people the list shows (a `createdAt`): a user whose first
    // sign-in is still pending is someone who asked for a code, nobody yet
    // (found by review).
    if (user.createdAt === undefined) continue;
    entries.push(await directoryEntryOfUser(ctx, user, on));
    if (entries.length === SEARCH_LIMIT) break;
  }
  return entries;
}

const personValidator = v.object({
  user: v.union(v.null(), userDocValidator),
  authUser: v.union(v.null(), authUserDocValidator),
  pair: pairHealthValidator,
  fields: v.array(fieldReportValidator),
  cases: v.array(syncReviewValidator),
  audit: v.array(auditEntryValidator),
});
type Person = typeof personValidator.type;

/**
 * One person by a `users` or `auth_users` id: both records (a one-sided
 * pointer's other side too), every mirrored field with its owner and
 * source, their open cases and audit entries. Null for an id that names
 * nobody.
 */
export const person = adminQuery({
  args: { id: v.string() },
  returns: v.union(v.null(), personValidator),
  handler: async (ctx, { id }) => {
    const found = await loadPairById(ctx, id.trim(), { join: false });
    if (found === null) return null;
    // Once reads are switched, a person is their user: values from its
    // homes. A row no single user stands for is still read as it is.
    if (found.user !== null && (await readsUsers(ctx))) {
      return await personOfUser(ctx, found.user);
    }
    const { user, authUser, pair } = await bothRecords(ctx, {
      user: found.user,
      authUser: storedRow(found),
    });
    if (user === null && authUser === null) return null;
    return await personPage(ctx, { user, authUser, pair, app: authUser });
  },
});

/**
 * A person's page once reads are switched: the user, their row as its
 * homes hold it (the library's virtual row, under the row's id while the
 * user names one; none for a person kept on users alone), or for a
 * one-sided pointer the stored row it names. Fields compare the user with
 * its homes.
 */
async function personOfUser(
  ctx: QueryCtx,
  user: Doc<"users">,
): Promise<Person> {
  const on = await writesStopped(ctx);
  const { row, pair } = await pairOfUser(ctx, user, on);
  const home = homesOf(user);
  const authUser = pair === "paired" ? home : pair === "one_sided" ? row : null;
  return await personPage(ctx, { user, authUser, pair, app: home });
}

/** The page of a person's records: `app` is the row fields compare with. */
async function personPage(
  ctx: QueryCtx,
  {
    user,
    authUser,
    pair,
    app,
  }: {
    user: Doc<"users"> | null;
    authUser: Doc<"auth_users"> | null;
    pair: PairHealth;
    app: Doc<"auth_users"> | null;
  },
): Promise<Person> {
  const ids = [user?._id, authUser?._id].filter(
    (each): each is NonNullable<typeof each> => each !== undefined,
  );
  return {
    user,
    authUser,
    pair,
    fields: userSync.describeFields(user, app),
    cases: await openCasesOf(ctx, { user, authUser: app }),
    audit: await auditEntriesOf(ctx, [...new Set(ids)]),
  };
}

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

/** How many documents one backfill transaction rewrites at most. */
const BACKFILL_PAGE = 100;

/**
 * Writes the directory's search text on documents written outside the
 * app's functions (an import, the dashboard, documents from before the
 * directory): `auth_users.search_text`, then `users.searchText` (which the
 * directory searches once the fold reads users), a page per transaction,
 * each page scheduling the next. Documents already right are not written.
 * Returns the documents this page changed.
 */
export const backfillSearchText = internalSyncMutation({
  args: {
    cursor: v.optional(v.union(v.string(), v.null())),
    table: v.optional(v.union(v.literal("auth_users"), v.literal("users"))),
  },
  returns: v.number(),
  handler: async (ctx, { cursor, table = "auth_users" }) => {
    const page = { numItems: BACKFILL_PAGE, cursor: cursor ?? null };
    let changed = 0;
    let next: { cursor: string | null; table: typeof table } | null;
    if (table === "auth_users") {
      const result = await ctx.db.query("auth_users").paginate(page);
      for (const row of result.page) {
        const text = searchTextOf(row);
        if (row.search_text === text) continue;
        await ctx.db.patch("auth_users", row._id, { search_text: text });
        changed++;
      }
      next = result.isDone
        ? { cursor: null, table: "users" }
        : { cursor: result.continueCursor, table };
    } else {
      const result = await ctx.db.query("users").paginate(page);
      for (const user of result.page) {
        const text = searchTextOfUser(user);
        if (user.searchText === text) continue;
        await ctx.db.patch("users", user._id, { searchText: text });
        changed++;
      }
      next = result.isDone ? null : { cursor: result.continueCursor, table };
    }
    if (next !== null) {
      await ctx.scheduler.runAfter(
        0,
        internal.directory.backfillSearchText,
        next,
      );
    }
    return changed;
  },
});
