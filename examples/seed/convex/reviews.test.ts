import type { FunctionArgs } from "convex/server";
import { describe, expect, test } from "vitest";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import {
  type Backend,
  checkConsistency,
  expectAppError,
  expectRejectedWithoutWrites,
  insertLegacyRow,
  makeAdmin,
  newBackend,
  readTables,
  runDueFunctions,
  signInWithOAuth,
  useFakeClock,
  openCases,
} from "./test.helpers";

const T0 = Date.UTC(2026, 4, 1, 9, 0, 0);

useFakeClock(T0);

const page = { numItems: 10, cursor: null };

/** The one open case of this kind. */
async function openCase(t: Backend, kind: string) {
  const cases = (await openCases(t)).filter((c) => c.review.kind === kind);
  expect(cases).toHaveLength(1);
  return cases[0]!;
}

async function auditEntries(t: Backend) {
  return (await t.query(internal.reviews.auditLog, { paginationOpts: page }))
    .page;
}

/** A user as Convex Auth stores it, inserted raw (no sync ran for it). */
async function insertUser(
  t: Backend,
  fields: { email: string; verified: boolean; pointsAt?: Id<"auth_users"> },
): Promise<Id<"users">> {
  return await t.run(
    async (ctx) =>
      await ctx.db.insert("users", {
        email: fields.email,
        emailVerificationTime: fields.verified ? T0 : undefined,
        auth_user_id: fields.pointsAt,
      }),
  );
}

/**
 * An unverified user (a password sign-up, say) whose address a legacy row
 * holds: the sync gave the user a row of its own and recorded the case.
 */
async function unverifiedMatch() {
  const t = newBackend();
  const legacyId = await insertLegacyRow(t, {
    email: "grace@example.com",
    full_name: "Grace Hopper",
    company: "US Navy",
  });
  const grace = await signInWithOAuth(t, {
    providerAccountId: "gh-grace",
    profile: {
      name: "grace-gh",
      email: "grace@example.com",
      emailVerified: false,
    },
  });
  const own = (await readTables(t)).authUsers.find(
    (row) => row.convex_user_id === grace.userId,
  )!;
  return { t, grace, legacyId, ownId: own._id };
}

describe("the review queue", () => {
  test("lists open cases with the user, its current row and the case's rows", async () => {
    const { t, grace, legacyId, ownId } = await unverifiedMatch();
    const view = await openCase(t, "unverified_email_match");
    expect(view.user?._id).toBe(grace.userId);
    expect(view.counterpart?._id).toBe(ownId);
    expect(view.rows).toEqual([
      expect.objectContaining({ id: legacyId, pairedUserId: null }),
    ]);
    expect(view.rows[0]!.doc).toMatchObject({ company: "US Navy" });
    expect(view.version).toMatch(/^[0-9a-f]{16}$/);
    // One case per page item, a bounded page.
    const first = await t.query(internal.reviews.openCases, {
      paginationOpts: { numItems: 1000, cursor: null },
    });
    expect(first.page.length).toBeLessThanOrEqual(20);
  });
});

describe("link", () => {
  test("refused while the user has a row of its own, unless it is retired with it", async () => {
    const { t, grace, legacyId, ownId } = await unverifiedMatch();
    const view = await openCase(t, "unverified_email_match");
    const args = {
      reviewId: view.review._id,
      version: view.version,
      userId: grace.userId,
      rowId: legacyId,
    };
    await expectRejectedWithoutWrites(
      t,
      () => t.mutation(internal.reviews.link, args),
      "CONFLICT",
    );
    const result = await t.mutation(internal.reviews.link, {
      ...args,
      retireCurrent: ownId,
      note: "Grace confirmed by phone",
    });
    expect(result.resolution).toBe("link");
    const { users, authUsers, reviews } = await readTables(t);
    const user = users.find((u) => u._id === grace.userId)!;
    const legacy = authUsers.find((row) => row._id === legacyId)!;
    expect(user.auth_user_id).toBe(legacyId);
    expect(legacy).toMatchObject({
      convex_user_id: grace.userId,
      company: "US Navy",
      // The legacy name is kept as chosen.
      full_name: "Grace Hopper",
      name_source: "user",
    });
    expect(authUsers.some((row) => row._id === ownId)).toBe(false);
    // A resolution that deletes a row keeps no free text (erasure).
    const resolved = reviews.find((r) => r._id === view.review._id);
    expect(resolved).toMatchObject({
      resolution: "link",
      resolved_by: "operator (CLI)",
    });
    expect(resolved).not.toHaveProperty("note");
    expect((await checkConsistency(t)).consistent).toBe(true);
    // The retired row's field names are in the audit entry, not its values;
    // the user who stays keeps its values.
    const [entry] = await auditEntries(t);
    expect(entry).toMatchObject({
      action: "resolve:link",
      actor: "operator (CLI)",
      review_id: view.review._id,
      summary: `Linked users ${grace.userId} and auth_users ${legacyId}, retiring auth_users ${ownId}`,
    });
    expect(entry!.ids).toEqual(
      expect.arrayContaining([grace.userId, legacyId, ownId]),
    );
    expect(entry!.changes).toContainEqual({
      table: "auth_users",
      id: ownId,
      field: "convex_user_id",
    });
    expect(entry!.changes).toContainEqual({
      table: "users",
      id: grace.userId,
      field: "auth_user_id",
      before: ownId,
      after: legacyId,
    });
  });

  test("refused while the row is another user's pair", async () => {
    const { t, grace, ownId } = await unverifiedMatch();
    const ada = await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "Ada", email: "ada@example.com" },
    });
    const adaRow = (await readTables(t)).authUsers.find(
      (row) => row.convex_user_id === ada.userId,
    )!._id;
    // Damage claims Ada's row for Grace, and a run records it.
    await t.run(async (ctx) => {
      await ctx.db.patch("users", grace.userId, { auth_user_id: adaRow });
      await ctx.db.delete("auth_users", ownId);
    });
    await t.mutation(internal.userSync.syncUser, { userId: grace.userId });
    const view = (await openCases(t)).find(
      (c) =>
        c.review.kind === "reference_conflict" &&
        c.rows.some((row) => row.id === adaRow),
    )!;
    expect(view.rows[0]!.pairedUserId).toBe(ada.userId);
    await expectRejectedWithoutWrites(
      t,
      () =>
        t.mutation(internal.reviews.link, {
          reviewId: view.review._id,
          version: view.version,
          userId: grace.userId,
          rowId: adaRow,
          retireCurrent: view.counterpart?._id,
        }),
      "CONFLICT",
    );
  });

  test("refused as STALE when the case changed since it was shown", async () => {
    const { t, grace, legacyId, ownId } = await unverifiedMatch();
    const view = await openCase(t, "unverified_email_match");
    // Someone edits the legacy row meanwhile.
    await t.run(async (ctx) => {
      await ctx.db.patch("auth_users", legacyId, { role: "Commodore" });
    });
    await expectRejectedWithoutWrites(
      t,
      () =>
        t.mutation(internal.reviews.link, {
          reviewId: view.review._id,
          version: view.version,
          userId: grace.userId,
          rowId: legacyId,
          retireCurrent: ownId,
        }),
      "STALE",
    );
    // Shown again, it goes through.
    const fresh = await openCase(t, "unverified_email_match");
    await t.mutation(internal.reviews.link, {
      reviewId: fresh.review._id,
      version: fresh.version,
      userId: grace.userId,
      rowId: legacyId,
      retireCurrent: ownId,
    });
    expect((await readTables(t)).users[0]!.auth_user_id).toBe(legacyId);
  });

  test("ids that are not the case's are INVALID_ARGUMENT, unknown cases NOT_FOUND", async () => {
    const { t, grace, ownId } = await unverifiedMatch();
    const view = await openCase(t, "unverified_email_match");
    const base = { reviewId: view.review._id, version: view.version };
    await expectRejectedWithoutWrites(
      t,
      () =>
        t.mutation(internal.reviews.link, {
          ...base,
          userId: grace.userId,
          rowId: ownId,
        }),
      "INVALID_ARGUMENT",
    );
    await expectRejectedWithoutWrites(
      t,
      () => t.mutation(internal.reviews.dismiss, { ...base, reviewId: "nope" }),
      "INVALID_ARGUMENT",
    );
    const reviewId = view.review._id;
    await t.run(async (ctx) => await ctx.db.delete("sync_reviews", reviewId));
    await expectAppError(
      t.mutation(internal.reviews.dismiss, base),
      "NOT_FOUND",
    );
  });
});

describe("keepSeparate", () => {
  test("the two never link again; the user gets the one row left that its email proves", async () => {
    const t = newBackend();
    const a = await insertLegacyRow(t, {
      email: "ken@example.com",
      company: "Bell Labs",
    });
    const b = await insertLegacyRow(t, {
      email: "ken@example.com",
      company: "Imported twice",
    });
    const ken = await insertUser(t, {
      email: "ken@example.com",
      verified: true,
    });
    // From the row's side, the one verified owner weighs both rows:
    // ambiguous, nothing linked, nothing created.
    await t.mutation(internal.userSync.syncUser, { authUserId: a });
    const view = await openCase(t, "ambiguous_email");
    expect(view.user?._id).toBe(ken);
    expect(view.counterpart).toBeNull();
    expect(view.rows.map((row) => row.id).sort()).toEqual([a, b].sort());

    await t.mutation(internal.reviews.keepSeparate, {
      reviewId: view.review._id,
      version: view.version,
      userId: ken,
      rowId: b,
    });
    const { users, authUsers } = await readTables(t);
    expect(users[0]!.auth_user_id).toBe(a);
    expect(authUsers.find((row) => row._id === b)!.convex_user_id).toBe(
      undefined,
    );
    // Runs leave them apart and record no new case about them.
    await t.mutation(internal.userSync.syncAllUsers, {});
    await runDueFunctions(t);
    expect(await openCases(t)).toEqual([]);
    expect(
      (await readTables(t)).authUsers.find((row) => row._id === b)!
        .convex_user_id,
    ).toBe(undefined);
    const separations = await t.run(
      async (ctx) => await ctx.db.query("sync_separations").collect(),
    );
    expect(separations).toMatchObject([{ user_id: ken, row_id: b }]);
  });

  test("its marker goes with either of the two, when deleted", async () => {
    const t = newBackend();
    const a = await insertLegacyRow(t, {
      email: "ken@example.com",
      company: "Bell Labs",
    });
    const b = await insertLegacyRow(t, {
      email: "ken@example.com",
      company: "Imported twice",
    });
    const ken = await signInWithOAuth(t, {
      providerAccountId: "gh-ken",
      profile: { name: "Ken", email: "ken@example.com" },
    });
    const separations = async () =>
      await t.run(
        async (ctx) => await ctx.db.query("sync_separations").collect(),
      );
    const view = await openCase(t, "ambiguous_email");
    await t.mutation(internal.reviews.keepSeparate, {
      reviewId: view.review._id,
      version: view.version,
      userId: ken.userId,
      rowId: b,
    });
    expect(await separations()).toHaveLength(1);

    // The row deleted: its marker names nothing any more.
    await t.mutation(internal.admin.deleteRecord, { id: b });
    expect(await separations()).toEqual([]);

    // The account deleted: the same. The row left in question, kept apart
    // too.
    const left = await openCase(t, "ambiguous_email");
    await t.mutation(internal.reviews.keepSeparate, {
      reviewId: left.review._id,
      version: left.version,
      userId: ken.userId,
      rowId: a,
    });
    expect(await separations()).toHaveLength(1);
    await t.mutation(internal.admin.deleteAccount, { id: ken.userId });
    expect(await separations()).toEqual([]);
  });

  test("a pointer a person denied is cleared, and damage repeating it is ignored", async () => {
    const t = newBackend();
    const stray = await insertLegacyRow(t, {
      email: "cfo@corp.com",
      company: "Corp",
    });
    const ken = await insertUser(t, {
      email: "ken@example.com",
      verified: true,
      pointsAt: stray,
    });
    await t.mutation(internal.userSync.syncUser, { userId: ken });
    const view = await openCase(t, "reference_conflict");
    // The user got a row of its own; its pointer went to that row.
    const own = view.counterpart!._id;
    await t.mutation(internal.reviews.keepSeparate, {
      reviewId: view.review._id,
      version: view.version,
      userId: ken,
      rowId: stray,
    });
    // The same damage again: the kept-apart row is no candidate and no case.
    await t.run(async (ctx) => {
      await ctx.db.patch("users", ken, { auth_user_id: stray });
    });
    await t.mutation(internal.userSync.syncUser, { userId: ken });
    expect(await openCases(t)).toEqual([]);
    const { users } = await readTables(t);
    expect(users[0]!.auth_user_id).toBe(own);
  });

  test("a kept-apart legacy row is no new case when the user verifies its address", async () => {
    const { t, grace, legacyId } = await unverifiedMatch();
    const view = await openCase(t, "unverified_email_match");
    await t.mutation(internal.reviews.keepSeparate, {
      reviewId: view.review._id,
      version: view.version,
      userId: grace.userId,
      rowId: legacyId,
    });
    // Grace's provider now vouches for the address.
    await signInWithOAuth(t, {
      providerAccountId: "gh-grace",
      profile: { name: "grace-gh", email: "grace@example.com" },
    });
    const { users } = await readTables(t);
    expect(users[0]!.emailVerificationTime).toBeDefined();
    expect(await openCases(t)).toEqual([]);
  });

  test("refused for a user and row that are a pair", async () => {
    const { t, grace, ownId } = await unverifiedMatch();
    // A case naming Grace and her own row.
    const reviewId = await t.run(
      async (ctx) =>
        await ctx.db.insert("sync_reviews", {
          kind: "verified_legacy_match",
          key: "test",
          user_id: grace.userId,
          row_ids: [ownId],
          detail: "test",
          first_seen_at: T0,
        }),
    );
    const view = (await openCases(t)).find((c) => c.review._id === reviewId)!;
    await expectRejectedWithoutWrites(
      t,
      () =>
        t.mutation(internal.reviews.keepSeparate, {
          reviewId,
          version: view.version,
          userId: grace.userId,
          rowId: ownId,
        }),
      "CONFLICT",
    );
  });
});

describe("retire", () => {
  const duplicate = duplicateCounterpart;

  test("deletes a duplicate in no pair and keeps its field names in the audit log", async () => {
    const { t, ada, own, copy, view } = await duplicate();
    await t.mutation(internal.reviews.retire, {
      reviewId: view.review._id,
      version: view.version,
      rowId: copy,
    });
    const { users, authUsers } = await readTables(t);
    expect(authUsers.map((row) => row._id)).toEqual([own]);
    expect(users[0]!._id).toBe(ada.userId);
    const [entry] = await auditEntries(t);
    expect(entry!.action).toBe("resolve:retire");
    // Names, never values: the row was a person's (erasure).
    expect(entry!.changes).toContainEqual({
      table: "auth_users",
      id: copy,
      field: "company",
    });
    expect((await checkConsistency(t)).consistent).toBe(true);
  });

  test("refused for a row in a pair: that is an account, not a duplicate", async () => {
    const { t, own, view } = await duplicate();
    await expectRejectedWithoutWrites(
      t,
      () =>
        t.mutation(internal.reviews.retire, {
          reviewId: view.review._id,
          version: view.version,
          rowId: own,
        }),
      "CONFLICT",
    );
  });
});

describe("dismiss", () => {
  test("closes the case; a second resolution of it is STALE", async () => {
    const { t } = await unverifiedMatch();
    const view = await openCase(t, "unverified_email_match");
    const args = { reviewId: view.review._id, version: view.version };
    const before = await readTables(t);
    await t.mutation(internal.reviews.dismiss, { ...args, note: "not hers" });
    const after = await readTables(t);
    expect(after.users).toEqual(before.users);
    expect(after.authUsers).toEqual(before.authUsers);
    expect(await openCases(t)).toEqual([]);
    await expectAppError(t.mutation(internal.reviews.dismiss, args), "STALE");
  });
});

describe("the audit log", () => {
  test("records operator commands and runs with the fields before and after, newest first", async () => {
    const t = newBackend();
    await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "Ada", email: "ada@example.com" },
    });
    const { users, authUsers } = await readTables(t);
    const sessions = await t.run(async (ctx) =>
      ctx.db.query("authSessions").collect(),
    );
    await t.mutation(internal.admin.setStatus, {
      email: "ada@example.com",
      status: "suspended",
    });
    await t.mutation(internal.userSync.syncAllUsers, { dryRun: true });
    const entries = await auditEntries(t);
    expect(entries.map((entry) => entry.action)).toEqual([
      "run:dry-run",
      "admin:setStatus",
    ]);
    const suspension = entries[1]!;
    expect(suspension.actor).toBe("operator (CLI)");
    // Every document it wrote: the pair, and the session it ended.
    expect(suspension.ids).toEqual([
      users[0]!._id,
      authUsers[0]!._id,
      sessions[0]!._id,
    ]);
    expect(suspension.changes).toContainEqual({
      table: "authSessions",
      id: sessions[0]!._id,
      field: "userId",
      before: users[0]!._id,
    });
    expect(suspension.changes).toContainEqual({
      table: "auth_users",
      id: authUsers[0]!._id,
      field: "status",
      after: "suspended",
    });
    expect(suspension.changes).toContainEqual({
      table: "users",
      id: users[0]!._id,
      field: "status",
      after: "suspended",
    });
  });

  test("is read a bounded page at a time", async () => {
    const t = newBackend();
    for (let i = 0; i < 3; i++) {
      await t.mutation(internal.userSync.syncAllUsers, {});
      await runDueFunctions(t);
    }
    const first = await t.query(internal.reviews.auditLog, {
      paginationOpts: { numItems: 2, cursor: null },
    });
    expect(first.page).toHaveLength(2);
    expect(first.isDone).toBe(false);
    const rest = await t.query(internal.reviews.auditLog, {
      paginationOpts: { numItems: 2, cursor: first.continueCursor },
    });
    expect(rest.page).toHaveLength(1);
    expect(rest.page[0]!.at).toBeLessThanOrEqual(first.page[1]!.at);
  });
});

describe("the console's functions", () => {
  async function people() {
    const { t, grace, legacyId, ownId } = await unverifiedMatch();
    const root = await signInWithOAuth(t, {
      providerAccountId: "gh-root",
      profile: { name: "Root", email: "root@example.com" },
    });
    await makeAdmin(t, "root@example.com");
    return { t, grace, root, legacyId, ownId };
  }

  test("refuse signed-out callers and users who are not administrators", async () => {
    const { t, grace } = await people();
    const view = await openCase(t, "unverified_email_match");
    const resolution = {
      reviewId: view.review._id,
      version: view.version,
    };
    const refuses = async (
      caller: Pick<Backend, "query" | "mutation" | "action">,
      code: "UNAUTHENTICATED" | "FORBIDDEN",
    ) => {
      await expectAppError(
        caller.query(api.console.openCases, { paginationOpts: page }),
        code,
      );
      await expectAppError(
        caller.query(api.console.auditLog, { paginationOpts: page }),
        code,
      );
      await expectAppError(
        caller.query(api.console.runs, { paginationOpts: page }),
        code,
      );
      await expectAppError(
        caller.query(api.console.searchUsers, { query: "grace" }),
        code,
      );
      await expectAppError(caller.action(api.console.driftSummary, {}), code);
      await expectRejectedWithoutWrites(
        t,
        () => caller.mutation(api.console.dismiss, resolution),
        code,
      );
      await expectRejectedWithoutWrites(
        t,
        () => caller.mutation(api.console.startRun, {}),
        code,
      );
    };
    await refuses(t, "UNAUTHENTICATED");
    await refuses(grace.asUser, "FORBIDDEN");
  });

  test("open cases of one kind: the queue a drift kind's link opens", async () => {
    const { t, root, grace } = await people();
    // A second kind in the queue: a duplicate row claiming Grace.
    await t
      .run(async (ctx) => {
        const copy = await ctx.db.insert("auth_users", {
          convex_user_id: grace.userId,
          email: "grace@example.com",
          created_at: T0,
          updated_at: T0,
        });
        return copy;
      })
      .then((copy) =>
        t.mutation(internal.userSync.syncUser, { authUserId: copy }),
      );
    const all = await root.asUser.query(api.console.openCases, {
      paginationOpts: page,
    });
    const kinds = new Set(all.page.map((view) => view.review.kind));
    expect(kinds.size).toBeGreaterThan(1);
    for (const kind of kinds) {
      const only = await root.asUser.query(api.console.openCases, {
        paginationOpts: page,
        kind,
      });
      expect(only.page.map((view) => view.review._id)).toEqual(
        all.page
          .filter((view) => view.review.kind === kind)
          .map((view) => view.review._id),
      );
    }
  });

  test("an administrator sees both rows, resolves, and is the audit entry's actor", async () => {
    const { root, grace, legacyId, ownId } = await people();
    const { page: cases } = await root.asUser.query(api.console.openCases, {
      paginationOpts: page,
    });
    const view = cases.find((c) => c.review.kind === "unverified_email_match")!;
    await root.asUser.mutation(api.console.keepSeparate, {
      reviewId: view.review._id,
      version: view.version,
      userId: grace.userId,
      rowId: legacyId,
    });
    const [entry] = (
      await root.asUser.query(api.console.auditLog, { paginationOpts: page })
    ).page;
    expect(entry).toMatchObject({
      action: "resolve:keep_separate",
      actor: `users:${root.userId} root@example.com`,
      actor_user_id: root.userId,
    });
    // Search shows both rows and where each mirrored value comes from.
    const matches = await root.asUser.query(api.console.searchUsers, {
      query: "GRACE@",
    });
    // The legacy row alone, and Grace's pair.
    expect(matches).toHaveLength(2);
    expect(matches[0]).toMatchObject({ user: null, paired: false });
    expect(matches[0]!.authUser?._id).toBe(legacyId);
    const match = matches[1];
    expect(match!.user?._id).toBe(grace.userId);
    expect(match!.authUser?._id).toBe(ownId);
    expect(match!.paired).toBe(true);
    expect(
      match!.fields.find((field) => field.appField === "full_name"),
    ).toMatchObject({ owner: "provider", source: "provider", agrees: true });
    const report = await root.asUser.action(api.console.driftSummary, {});
    expect(report.users.checked).toBe(2);
  });

  test("a run started from the console carries an estimate and its progress", async () => {
    const { t, root } = await people();
    const run = await root.asUser.mutation(api.console.startRun, {
      pageSize: 1,
      estimate: 5,
    });
    expect(run).toMatchObject({
      name: "sync all (console, by root@example.com)",
      estimate: 5,
      status: "running",
    });
    await runDueFunctions(t);
    const [done] = (
      await root.asUser.query(api.console.runs, { paginationOpts: page })
    ).page;
    expect(done).toMatchObject({ _id: run._id, status: "completed" });
    expect(done!.counts.checked).toBe(5);
    expect(done!.pages).toBeGreaterThanOrEqual(5);
    // The next run's estimate is what this one checked.
    const next = await root.asUser.mutation(api.console.startRun, {});
    expect(next.estimate).toBe(5);
    const [entry] = (
      await root.asUser.query(api.console.auditLog, { paginationOpts: page })
    ).page;
    expect(entry).toMatchObject({
      action: "run:start",
      actor_user_id: root.userId,
    });
  });
});

describe("previewResolution", () => {
  /** Every document of the tables a resolution may write, by table and id. */
  async function snapshot(t: Backend) {
    const docs = await t.run(async (ctx) => {
      const all: Record<string, unknown>[] = [];
      for (const table of [
        "users",
        "auth_users",
        "starter_templates",
        "sync_separations",
        "authSessions",
      ] as const) {
        for (const doc of await ctx.db.query(table).collect()) {
          all.push({ ...doc, table });
        }
      }
      return all;
    });
    return new Map(
      docs.map((doc) => [`${String(doc.table)}:${String(doc._id)}`, doc]),
    );
  }

  const previewOf = (
    t: Backend,
    args: FunctionArgs<typeof internal.reviews.previewResolution>,
  ) => t.query(internal.reviews.previewResolution, args);
  type Preview = Awaited<ReturnType<typeof previewOf>>;

  /**
   * Runs the resolution and checks its writes against the preview: the
   * documents it deleted are exactly the preview's (the app's templates by
   * the keys exportRow lists), and each changed field holds the preview's value.
   */
  async function expectWritesAsPreviewed(
    t: Backend,
    preview: Preview,
    resolve: () => Promise<unknown>,
  ) {
    const before = await snapshot(t);
    await resolve();
    const after = await snapshot(t);
    const deleted = [...before.keys()].filter((key) => !after.has(key));
    const previewed = preview.effects.filter(
      (effect) => effect.kind === "delete" && effect.id !== undefined,
    );
    expect(
      deleted.filter((key) => !key.startsWith("starter_templates:")).sort(),
    ).toEqual(previewed.map((effect) => `${effect.table}:${effect.id}`).sort());
    const templates = deleted
      .filter((key) => key.startsWith("starter_templates:"))
      .map((key) => before.get(key)!.key as string);
    const listed = previewed.flatMap(
      (effect) =>
        (effect.appData as { templates: { key: string }[] } | undefined)
          ?.templates ?? [],
    );
    expect(templates.sort()).toEqual(listed.map((doc) => doc.key).sort());
    for (const effect of preview.effects) {
      if (effect.kind !== "change" || effect.fields === undefined) continue;
      const doc = after.get(`${effect.table}:${effect.id}`)!;
      for (const { field, after: value } of effect.fields) {
        expect(doc[field], `${effect.table}.${field}`).toEqual(value);
      }
    }
    return { deleted, templates };
  }

  test("a link retiring the user's row lists exactly what it then deletes and changes", async () => {
    const { t, grace, legacyId, ownId } = await unverifiedMatch();
    const view = await openCase(t, "unverified_email_match");
    const args = {
      reviewId: view.review._id,
      version: view.version,
      userId: grace.userId,
      rowId: legacyId,
      retireCurrent: ownId,
    };
    const preview = await previewOf(t, { ...args, action: "link" });
    expect(preview.resolution).toBe("link");
    const retired = preview.effects.find((effect) => effect.id === ownId)!;
    expect(retired).toMatchObject({ kind: "delete", table: "auth_users" });
    expect(retired.doc).toMatchObject({ email: "grace@example.com" });
    const { deleted, templates } = await expectWritesAsPreviewed(
      t,
      preview,
      () => t.mutation(internal.reviews.link, args),
    );
    // The row went with its starter templates, and the preview said so.
    expect(deleted).toContain(`auth_users:${ownId}`);
    expect(templates.length).toBeGreaterThan(0);
  });

  test("keeping apart lists the marker it creates and the references it clears", async () => {
    const { t, grace, legacyId } = await unverifiedMatch();
    const view = await openCase(t, "unverified_email_match");
    const args = {
      reviewId: view.review._id,
      version: view.version,
      userId: grace.userId,
      rowId: legacyId,
    };
    const preview = await previewOf(t, { ...args, action: "keep_separate" });
    expect(preview.keepsNote).toBe(true);
    const before = await snapshot(t);
    const { deleted } = await expectWritesAsPreviewed(t, preview, () =>
      t.mutation(internal.reviews.keepSeparate, args),
    );
    expect(deleted).toEqual([]);
    // What it created is what the preview said it would.
    const created = [...(await snapshot(t)).keys()]
      .filter((key) => !before.has(key))
      .map((key) => key.split(":")[0]);
    expect(created).toEqual(
      preview.effects
        .filter((effect) => effect.kind === "create")
        .map((effect) => effect.table),
    );
  });

  test("a retirement lists the row and the references it clears", async () => {
    const { t, ada, own, copy, view } = await duplicateCounterpart();
    const args = {
      reviewId: view.review._id,
      version: view.version,
      rowId: copy,
    };
    const preview = await previewOf(t, { ...args, action: "retire" });
    expect(preview.effects.map((effect) => effect.kind)).toContain("delete");
    await expectWritesAsPreviewed(t, preview, () =>
      t.mutation(internal.reviews.retire, args),
    );
    const { authUsers } = await readTables(t);
    expect(authUsers.map((row) => row._id)).toEqual([own]);
    expect((await readTables(t)).users[0]!._id).toBe(ada.userId);
  });

  test("writes nothing, and refuses a stale version as the resolution does", async () => {
    const { t, grace, legacyId, ownId } = await unverifiedMatch();
    const view = await openCase(t, "unverified_email_match");
    const args = {
      reviewId: view.review._id,
      version: view.version,
      userId: grace.userId,
      rowId: legacyId,
      retireCurrent: ownId,
    };
    const before = await snapshot(t);
    await previewOf(t, { ...args, action: "link" });
    expect(await snapshot(t)).toEqual(before);
    // The legacy row changes after the case was shown.
    await t.run(async (ctx) => {
      await ctx.db.patch("auth_users", legacyId, { company: "Navy" });
    });
    await expectAppError(previewOf(t, { ...args, action: "link" }), "STALE");
    await expectRejectedWithoutWrites(
      t,
      () => t.mutation(internal.reviews.link, args),
      "STALE",
    );
    // As refused as the resolution: the user's own row not named.
    const fresh = await openCase(t, "unverified_email_match");
    await expectAppError(
      previewOf(t, {
        ...args,
        version: fresh.version,
        retireCurrent: undefined,
        action: "link",
      }),
      "CONFLICT",
    );
  });
});

/** Ada's pair, and a duplicate row claiming her, recorded by a sync. */
async function duplicateCounterpart() {
  const t = newBackend();
  const ada = await signInWithOAuth(t, {
    providerAccountId: "gh-ada",
    profile: { name: "Ada", email: "ada@example.com" },
  });
  const own = (await readTables(t)).authUsers[0]!._id;
  const copy = await t.run(
    async (ctx) =>
      await ctx.db.insert("auth_users", {
        convex_user_id: ada.userId,
        email: "ada@example.com",
        company: "Imported copy",
        created_at: T0,
        updated_at: T0,
      }),
  );
  await t.mutation(internal.userSync.syncUser, { authUserId: copy });
  return {
    t,
    ada,
    own,
    copy,
    view: await openCase(t, "duplicate_counterpart"),
  };
}
