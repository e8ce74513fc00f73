/**
 * Every paginated read of the review queue and the audit log, the console's
 * (administrators) and the CLI's (operators), answers a bounded page
 * whatever the caller sends, and a cursor it never made is INVALID_ARGUMENT.
 */
import {
  MAX_AUDIT_PAGE,
  MAX_CASES_PAGE,
} from "convex-auth-user-sync/internals";
import { describe, expect, test } from "vitest";
import { api, internal } from "./_generated/api";
import {
  type Backend,
  expectAppError,
  insertLegacyRow,
  makeAdmin,
  runDueFunctions,
  newBackend,
  signInWithOAuth,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 5, 1, 9, 0, 0);

useFakeClock(T0);

type PaginationOpts = {
  numItems: number;
  cursor: string | null;
  endCursor?: string | null;
  maximumRowsRead?: number;
  maximumBytesRead?: number;
};
type Page = { page: unknown[]; continueCursor: string; isDone: boolean };
type Read = (paginationOpts: PaginationOpts) => Promise<Page>;

/** A backend with `cases` open cases, `entries` audit entries, an admin. */
async function world(cases: number, entries: number) {
  const t = newBackend();
  const root = await signInWithOAuth(t, {
    providerAccountId: "gh-root",
    profile: { name: "Root", email: "root@example.com" },
  });
  await makeAdmin(t, "root@example.com");
  await t.run(async (ctx) => {
    for (let i = 0; i < cases; i++) {
      await ctx.db.insert("sync_reviews", {
        kind: "verified_legacy_match",
        key: `case-${i}`,
        row_ids: [],
        detail: "test",
        first_seen_at: T0 + i,
      });
    }
    for (let i = 0; i < entries; i++) {
      await ctx.db.insert("sync_audit", {
        action: "test",
        actor: "operator (CLI)",
        ids: [],
        changes: [],
        summary: `entry ${i}`,
        at: T0 + i,
      });
    }
  });
  return { t, root };
}

/** The four reads, by who calls them. */
function reads(t: Backend, admin: Pick<Backend, "query">) {
  return {
    "console:openCases": (paginationOpts: PaginationOpts) =>
      admin.query(api.console.openCases, { paginationOpts }),
    "reviews:openCases": (paginationOpts: PaginationOpts) =>
      t.query(internal.reviews.openCases, { paginationOpts }),
    "console:auditLog": (paginationOpts: PaginationOpts) =>
      admin.query(api.console.auditLog, { paginationOpts }),
    "reviews:auditLog": (paginationOpts: PaginationOpts) =>
      t.query(internal.reviews.auditLog, { paginationOpts }),
  } satisfies Record<string, Read>;
}

/** The cursor after `count` items, reached a legitimate page at a time. */
async function cursorAfter(read: Read, count: number, step: number) {
  let cursor: string | null = null;
  for (let seen = 0; seen < count;) {
    const result: Page = await read({
      numItems: Math.min(step, count - seen),
      cursor,
    });
    seen += result.page.length;
    cursor = result.continueCursor;
  }
  return cursor;
}

describe("pages are bounded whatever the caller sends", () => {
  const cases = [
    ["console:openCases", MAX_CASES_PAGE, 25],
    ["reviews:openCases", MAX_CASES_PAGE, 25],
    ["console:auditLog", MAX_AUDIT_PAGE, 140],
    ["reviews:auditLog", MAX_AUDIT_PAGE, 140],
  ] as const;

  test.each(cases)(
    "%s answers at most %i items",
    async (name, limit, asked) => {
      const { t, root } = await world(25, 140);
      const read = reads(t, root.asUser)[name];
      // More than the limit, asked for outright.
      expect((await read({ numItems: asked, cursor: null })).page).toHaveLength(
        limit,
      );
      // A page "up to there" (endCursor), which Convex answers whatever
      // numItems says, is refused; so are generous read limits ignored.
      const far = await cursorAfter(read, asked, limit);
      await expectAppError(
        read({ numItems: 1, cursor: null, endCursor: far }),
        "INVALID_ARGUMENT",
      );
      const generous = await read({
        numItems: asked,
        cursor: null,
        maximumRowsRead: 100_000,
        maximumBytesRead: 100_000_000,
      });
      expect(generous.page.length).toBeLessThanOrEqual(limit);
      // A page size that is no whole number of at least one is refused.
      for (const numItems of [Number.NaN, 0, -1, 2.5]) {
        await expectAppError(
          read({ numItems, cursor: null }),
          "INVALID_ARGUMENT",
        );
      }
    },
  );

  test.each(cases)(
    "%s still walks every item exactly once, a page at a time",
    async (name, limit, asked) => {
      const { t, root } = await world(25, 140);
      const read = reads(t, root.asUser)[name];
      const seen: unknown[] = [];
      let cursor: string | null = null;
      for (;;) {
        const result: Page = await read({ numItems: limit + 7, cursor });
        expect(result.page.length).toBeLessThanOrEqual(limit);
        seen.push(...result.page);
        if (result.isDone) break;
        cursor = result.continueCursor;
      }
      const ids = seen.map((item) =>
        name.endsWith("openCases")
          ? (item as { review: { _id: string } }).review._id
          : (item as { _id: string })._id,
      );
      // Every case, or every entry plus the admin grant's own audit entry.
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBeGreaterThanOrEqual(asked);
    },
  );

  test.each(cases)(
    "%s refuses a cursor it never made with INVALID_ARGUMENT",
    async (name) => {
      const { t, root } = await world(3, 3);
      const read = reads(t, root.asUser)[name];
      for (const cursor of ["not a cursor", "[", "{}", "null"]) {
        await expectAppError(read({ numItems: 2, cursor }), "INVALID_ARGUMENT");
      }
      await expectAppError(
        read({ numItems: 2, cursor: null, endCursor: "not a cursor" }),
        "INVALID_ARGUMENT",
      );
    },
  );
});

describe("a dry run's planned changes are paged the same way (found by review)", () => {
  test("a malformed cursor and a page size that is not a number are INVALID_ARGUMENT", async () => {
    const t = newBackend();
    await insertLegacyRow(t, { email: "Lin@Example.com" });
    const run = await t.mutation(internal.userSync.syncAllUsers, {
      dryRun: true,
    });
    await runDueFunctions(t);
    const runId = (run as { _id: string })._id;
    const first = await t.query(internal.syncEngine.plannedChanges, {
      runId,
      paginationOpts: { numItems: 1000, cursor: null },
    });
    expect(first.page.length).toBeGreaterThan(0);
    for (const paginationOpts of [
      { numItems: 10, cursor: "not a cursor" },
      { numItems: Number.NaN, cursor: null },
    ]) {
      await expectAppError(
        t.query(internal.syncEngine.plannedChanges, { runId, paginationOpts }),
        "INVALID_ARGUMENT",
      );
    }
  });
});
