import { describe, expect, test, vi } from "vitest";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { SUPERVISE_EVERY_MS } from "convex-auth-user-sync/internals";
import {
  type Backend,
  canonicalState,
  checkConsistency,
  expectAppError,
  insertLegacyRow,
  newBackend,
  CONVEX_LIMITS,
  QUARTER_LIMITS,
  readTables,
  seedMix,
  runDueFunctions,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 4, 1, 0, 0, 0);

useFakeClock(T0);

/** Starts a migration run and drives its scheduled pages to the end. */
async function migrate(
  t: Backend,
  args: { pageSize?: number; dryRun?: boolean } = {},
) {
  const started = await t.mutation(
    internal.migrations.syncUserTables.syncUserTables,
    args,
  );
  await runDueFunctions(t);
  const run = await t.query(internal.syncEngine.getRun, {
    runId: started._id,
  });
  return run!;
}

/** A run's workers, as the engine records them. */
async function workersOf(t: Backend, runId: Id<"sync_runs">) {
  return await t.run(async (ctx) =>
    ctx.db
      .query("sync_run_workers")
      .withIndex("by_run_id_and_phase_and_worker", (q) => q.eq("run_id", runId))
      .collect(),
  );
}

/** Every document of the two user tables and the templates, as stored. */
async function snapshot(t: Backend) {
  const { users, authUsers, templates } = await readTables(t);
  return { users, authUsers, templates };
}

describe("what a run does, case by case", () => {
  test("users without a counterpart: link by verified email, else create", async () => {
    const t = newBackend();
    const legacyId = await insertLegacyRow(t, {
      email: "grace@example.com",
      full_name: "Grace Hopper",
      company: "US Navy",
    });
    const [graceId, loneId] = await t.run(async (ctx) => [
      await ctx.db.insert("users", {
        name: "ghopper",
        email: "Grace@Example.com",
        emailVerificationTime: T0,
      }),
      await ctx.db.insert("users", { name: "Lone", email: "lone@example.com" }),
    ]);

    const run = await migrate(t);
    expect(run.status).toBe("completed");
    expect(run.counts).toMatchObject({ linked: 1, created: 1 });

    const { users, authUsers } = await readTables(t);
    const grace = users.find((u) => u._id === graceId)!;
    expect(grace).toMatchObject({
      auth_user_id: legacyId,
      name: "Grace Hopper",
    });
    expect(authUsers.find((a) => a._id === legacyId)).toMatchObject({
      convex_user_id: graceId,
      company: "US Navy",
      name_source: "user",
    });
    const lone = users.find((u) => u._id === loneId)!;
    expect(authUsers.find((a) => a._id === lone.auth_user_id)).toMatchObject({
      convex_user_id: loneId,
      full_name: "Lone",
      email: "lone@example.com",
      email_verified: false,
    });
    expect((await checkConsistency(t)).problems).toEqual([]);
  });

  test("auth_users without a counterpart: link to the verified user, else pending; emails normalized", async () => {
    const t = newBackend();
    // The row's email was imported unnormalized; the user has none of its own
    // counterpart yet.
    const rowId = await insertLegacyRow(t, {
      email: " Cy@Example.COM",
      company: "Cy Co",
    });
    const waitingId = await insertLegacyRow(t, { email: "later@example.com" });
    const cyId = await t.run(async (ctx) =>
      ctx.db.insert("users", {
        name: "cy",
        email: "cy@example.com",
        emailVerificationTime: T0,
      }),
    );

    const run = await migrate(t);
    expect(run.counts).toMatchObject({ linked: 1, pending: 1, created: 0 });
    const { users, authUsers } = await readTables(t);
    expect(users).toHaveLength(1);
    expect(users[0]!.auth_user_id).toBe(rowId);
    expect(authUsers.find((a) => a._id === rowId)).toMatchObject({
      convex_user_id: cyId,
      email: "cy@example.com",
      company: "Cy Co",
    });
    expect(
      authUsers.find((a) => a._id === waitingId)!.convex_user_id,
    ).toBeUndefined();
  });

  test("ambiguous cases are recorded for review with their ids, never resolved", async () => {
    const t = newBackend();
    const a = await insertLegacyRow(t, {
      email: "dup@example.com",
      company: "A",
    });
    const b = await insertLegacyRow(t, {
      email: "dup@example.com",
      company: "B",
    });
    const legacyId = await insertLegacyRow(t, { email: "claimed@example.com" });
    const [dupId, claimId] = await t.run(async (ctx) => [
      await ctx.db.insert("users", {
        name: "Dup",
        email: "dup@example.com",
        emailVerificationTime: T0,
      }),
      await ctx.db.insert("users", {
        name: "Claim",
        email: "claimed@example.com",
      }),
    ]);

    const run = await migrate(t);
    expect(run.counts.needingReview).toBeGreaterThanOrEqual(2);
    const { authUsers, reviews } = await readTables(t);
    for (const id of [a, b, legacyId]) {
      expect(
        authUsers.find((row) => row._id === id)!.convex_user_id,
      ).toBeUndefined();
    }
    expect(reviews.map((r) => r.kind).sort()).toEqual([
      "ambiguous_email",
      "unverified_email_match",
    ]);
    const ambiguous = reviews.find((r) => r.kind === "ambiguous_email")!;
    expect(ambiguous.user_id).toBe(dupId);
    expect([...ambiguous.row_ids].sort()).toEqual([a, b].sort());
    const unverified = reviews.find(
      (r) => r.kind === "unverified_email_match",
    )!;
    expect(unverified).toMatchObject({
      user_id: claimId,
      row_ids: [legacyId],
    });
    // Both users still got a row of their own.
    expect((await checkConsistency(t)).problems).toEqual([]);
  });

  test("dangling, one-sided and duplicate references; drifted fields", async () => {
    const t = newBackend();
    const ids = await t.run(async (ctx) => {
      // Dangling from users.
      const goneRow = await ctx.db.insert("auth_users", {
        created_at: 1,
        updated_at: 1,
      });
      await ctx.db.delete("auth_users", goneRow);
      const dangling = await ctx.db.insert("users", {
        name: "D",
        auth_user_id: goneRow,
      });
      // Dangling from auth_users.
      const goneUser = await ctx.db.insert("users", { name: "gone" });
      await ctx.db.delete("users", goneUser);
      const orphan = await ctx.db.insert("auth_users", {
        convex_user_id: goneUser,
        created_at: 1,
        updated_at: 1,
      });
      // One-sided, with proof: the row holds the user's verified email.
      const oneSidedUser = await ctx.db.insert("users", {
        name: "One",
        email: "One@Example.com",
        emailVerificationTime: 1,
      });
      const oneSidedRow = await ctx.db.insert("auth_users", {
        convex_user_id: oneSidedUser,
        email: "one@example.com",
        full_name: "One",
        created_at: 1,
        updated_at: 1,
      });
      // One-sided, without proof: nothing but the pointer says it is theirs.
      const claimedUser = await ctx.db.insert("users", { name: "Claimed" });
      const claimingRow = await ctx.db.insert("auth_users", {
        convex_user_id: claimedUser,
        full_name: "Someone",
        company: "Someone's company",
        created_at: 1,
        updated_at: 1,
      });
      // Two rows point at one user.
      const dupUser = await ctx.db.insert("users", { name: "Two" });
      const kept = await ctx.db.insert("auth_users", {
        convex_user_id: dupUser,
        full_name: "Two",
        created_at: 1,
        updated_at: 1,
      });
      const extra = await ctx.db.insert("auth_users", {
        convex_user_id: dupUser,
        full_name: "Two again",
        created_at: 1,
        updated_at: 1,
      });
      await ctx.db.patch("users", dupUser, {
        auth_user_id: kept,
        updatedAt: 1,
      });
      // Drifted fields.
      const drifted = await ctx.db.insert("users", {
        name: "dashboard edit",
        email: "drift@example.com",
        emailVerificationTime: 1,
      });
      const driftedRow = await ctx.db.insert("auth_users", {
        convex_user_id: drifted,
        email: "wrong@example.com",
        full_name: "Chosen",
        name_source: "user",
        created_at: 1,
        updated_at: 1,
      });
      await ctx.db.patch("users", drifted, { auth_user_id: driftedRow });
      return {
        dangling,
        orphan,
        oneSidedUser,
        oneSidedRow,
        claimedUser,
        claimingRow,
        dupUser,
        kept,
        extra,
        drifted,
        driftedRow,
      };
    });

    const run = await migrate(t);
    expect(run.status).toBe("completed");
    const { users, authUsers, reviews } = await readTables(t);
    const user = (id: Id<"users">) => users.find((u) => u._id === id)!;
    const row = (id: Id<"auth_users">) => authUsers.find((a) => a._id === id)!;

    expect(row(user(ids.dangling).auth_user_id!).convex_user_id).toBe(
      ids.dangling,
    );
    expect(row(ids.orphan).convex_user_id).toBeUndefined();
    expect(user(ids.oneSidedUser).auth_user_id).toBe(ids.oneSidedRow);
    // The unproven claim is not followed: the user gets a row of its own,
    // the claiming row keeps its data, and a person is asked.
    const own = row(user(ids.claimedUser).auth_user_id!);
    expect(own._id).not.toBe(ids.claimingRow);
    expect(own.company).toBeUndefined();
    expect(row(ids.claimingRow)).toMatchObject({
      convex_user_id: ids.claimedUser,
      company: "Someone's company",
    });
    expect(reviews.find((r) => r.kind === "reference_conflict")).toMatchObject({
      user_id: ids.claimedUser,
      row_ids: [ids.claimingRow],
    });
    expect(user(ids.dupUser).auth_user_id).toBe(ids.kept);
    expect(
      reviews.find((r) => r.kind === "duplicate_counterpart"),
    ).toMatchObject({
      user_id: ids.dupUser,
    });
    expect(user(ids.drifted)).toMatchObject({ name: "Chosen", updatedAt: T0 });
    expect(row(ids.driftedRow)).toMatchObject({
      email: "drift@example.com",
      email_verified: true,
      updated_at: T0,
    });
    // Only the duplicate and the unproven claim remain, each recorded for a
    // person to resolve.
    const remaining = (await checkConsistency(t)).problems.map((p) => [
      p.kind,
      p.userId ?? p.rowId,
    ]);
    expect(remaining.sort()).toEqual(
      [
        ["duplicate_counterpart", ids.claimedUser],
        ["duplicate_counterpart", ids.dupUser],
        ["one_sided_reference", ids.claimedUser],
        ["one_sided_reference", ids.dupUser],
      ].sort(),
    );
  });
});

describe("run mechanics", () => {
  test("a second run over consistent tables writes nothing at all", async () => {
    const t = newBackend();
    await seedMix(t, 200);
    const first = await migrate(t, { pageSize: 25 });
    expect(first.status).toBe("completed");
    const before = await snapshot(t);

    vi.setSystemTime(T0 + 86_400_000);
    const second = await migrate(t, { pageSize: 25 });
    expect(second.status).toBe("completed");
    expect(await snapshot(t)).toEqual(before);
    expect(second.counts).toMatchObject({
      repaired: 0,
      linked: 0,
      created: 0,
    });
    expect(second.counts.checked).toBe(
      before.users.length + before.authUsers.length,
    );
  });

  test("page size 1 and a page larger than the table reach the same state", async () => {
    const small = newBackend();
    const large = newBackend();
    await seedMix(small, 60);
    await seedMix(large, 60);
    const a = await migrate(small, { pageSize: 1 });
    const b = await migrate(large, { pageSize: 1000 });
    expect(a.status).toBe("completed");
    expect(b.status).toBe("completed");
    expect(a.pages).toBeGreaterThan(b.pages);
    expect(b.pages).toBe(2);
    expect(a.counts).toEqual(b.counts);
    expect(await canonicalState(small)).toEqual(await canonicalState(large));
    expect((await checkConsistency(small)).problems).toEqual([]);
  });

  test("a dry run records every planned change and writes nothing else", async () => {
    const t = newBackend();
    await seedMix(t, 40);
    const before = await readTables(t);
    const run = await migrate(t, { dryRun: true, pageSize: 7 });
    expect(run.status).toBe("completed");
    expect(await readTables(t)).toEqual(before);

    const planned = await t.query(internal.syncEngine.plannedChanges, {
      runId: run._id,
      paginationOpts: { numItems: 100, cursor: null },
    });
    expect(planned.isDone).toBe(true);
    expect(planned.page.some((c) => c.startsWith("auth_users: insert"))).toBe(
      true,
    );
    expect(planned.page.some((c) => c.startsWith("review "))).toBe(true);
    // The real run creates what the dry run said it would. A link is planned
    // by both phases in a dry run (the second cannot see the first's
    // unwritten link), so the dry count is an upper bound.
    const real = await migrate(t, { pageSize: 7 });
    expect(real.counts.created).toBe(run.counts.created);
    expect(real.counts.linked).toBeGreaterThan(0);
    expect(run.counts.linked).toBeGreaterThanOrEqual(real.counts.linked);
  });

  test("starting while a run is active returns the active run", async () => {
    const t = newBackend();
    await seedMix(t, 20);
    const first = await t.mutation(
      internal.migrations.syncUserTables.syncUserTables,
      {},
    );
    const second = await t.mutation(internal.userSync.syncAllUsers, {
      pageSize: 5,
    });
    expect(second._id).toBe(first._id);
    await runDueFunctions(t);
    const done = await t.query(internal.syncEngine.getRun, {});
    expect(done).toMatchObject({ _id: first._id, status: "completed" });
    const runs = await t.run(async (ctx) =>
      ctx.db.query("sync_runs").collect(),
    );
    expect(runs).toHaveLength(1);
  });

  test("bad arguments are INVALID_ARGUMENT and start nothing", async () => {
    const t = newBackend();
    for (const pageSize of [0, -1, 1.5, 100_000]) {
      await expectAppError(
        t.mutation(internal.userSync.syncAllUsers, { pageSize }),
        "INVALID_ARGUMENT",
      );
    }
    expect(await t.query(internal.syncEngine.getRun, {})).toBeNull();
    await expectAppError(
      t.query(internal.syncEngine.getRun, { runId: "nope" }),
      "INVALID_ARGUMENT",
    );
    await expectAppError(
      t.mutation(internal.syncEngine.resumeRun, { runId: "nope" }),
      "INVALID_ARGUMENT",
    );
    // Only a failed run resumes.
    const done = await migrate(t);
    await expectAppError(
      t.mutation(internal.syncEngine.resumeRun, { runId: done._id }),
      "INVALID_ARGUMENT",
    );
  });

  test("a row that fails every time is recorded for review and passed over; the run completes", async () => {
    // Writes of at most 100 KiB per transaction: the 70 KiB name is written
    // twice (users, auth_users), so that row fails on every attempt.
    const t = newBackend({ bytesWritten: 100 * 1024 });
    const ids = await t.run(async (ctx) => {
      const inserted = [];
      for (let i = 0; i < 6; i++) {
        inserted.push(
          await ctx.db.insert("users", {
            name: i === 4 ? "x".repeat(70 * 1024) : `user${i}`,
            email: `u${i}@example.com`,
          }),
        );
      }
      return inserted;
    });
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const run = await migrate(t, { pageSize: 2 });
    errors.mockRestore();
    expect(run.status).toBe("completed");
    expect(run.skipped).toBe(1);
    expect(run.last_error).toMatch(/bytes/i);
    expect(run.counts).toMatchObject({
      checked: 6,
      created: 5,
      needingReview: 1,
    });
    const { users, reviews } = await readTables(t);
    expect(users.filter((u) => u.auth_user_id !== undefined)).toHaveLength(5);
    expect(reviews).toEqual([
      expect.objectContaining({ kind: "row_sync_failed", user_id: ids[4] }),
    ]);

    // An operator trims the oversized name; the next run pairs the row.
    await t.run(async (ctx) =>
      ctx.db.patch("users", ids[4]!, { name: "trimmed" }),
    );
    const again = await migrate(t, { pageSize: 2 });
    expect(again.counts.created).toBe(1);
    expect((await checkConsistency(t)).problems).toEqual([]);
  });

  test("a page job that dies outright is noticed by the run's supervisor", async () => {
    // Reads of at most 100 KiB: the page holding a 70 KiB user reads it twice
    // (page, patch). Reads of a failed sub-transaction still count, so even
    // the failure record is refused and the page job itself fails.
    const t = newBackend({ bytesRead: 100 * 1024 });
    const bigId = await t.run(async (ctx) => {
      await ctx.db.insert("users", { name: "small", email: "s@example.com" });
      return await ctx.db.insert("users", {
        name: "x".repeat(70 * 1024),
        email: "big@example.com",
      });
    });
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const stuck = await migrate(t, { pageSize: 1 });
    expect(stuck.status).toBe("running");
    // A minute later the supervisor finds the dead job and passes over the
    // row, and the run completes on its own.
    vi.advanceTimersByTime(SUPERVISE_EVERY_MS);
    await runDueFunctions(t);
    errors.mockRestore();
    const done = await t.query(internal.syncEngine.getRun, {
      runId: stuck._id,
    });
    expect(done).toMatchObject({ status: "completed", skipped: 1 });
    expect(done!.counts.created).toBe(1);
    const { reviews } = await readTables(t);
    expect(reviews).toEqual([
      expect.objectContaining({ kind: "row_sync_failed", user_id: bigId }),
    ]);
  });

  test("a failed run resumes after the last document it did, never before", async () => {
    const t = newBackend();
    await t.run(async (ctx) => {
      for (let i = 0; i < 6; i++) {
        await ctx.db.insert("users", { name: `u${i}`, email: `u${i}@x.com` });
      }
    });
    // 1. One page of two users, then the worker fails on its own
    //    bookkeeping (its cursor damaged), with nothing to blame.
    const started = await t.mutation(
      internal.migrations.syncUserTables.syncUserTables,
      { pageSize: 2 },
    );
    vi.advanceTimersByTime(0);
    await t.finishInProgressScheduledFunctions();
    const [worker] = await workersOf(t, started._id);
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    await t.run(async (ctx) =>
      ctx.db.patch("sync_run_workers", worker!._id, { cursor: "{damaged" }),
    );
    await runDueFunctions(t);
    errors.mockRestore();
    let run = await t.query(internal.syncEngine.getRun, { runId: started._id });
    expect(run).toMatchObject({ status: "failed" });
    expect(run!.last_error).toMatch(/JSON/);
    expect(run!.counts.checked).toBe(2);
    // 2. The cause is mended, and the last user it did is deleted meanwhile;
    //    resuming neither re-does the first page nor skips anything.
    await t.run(async (ctx) =>
      ctx.db.patch("sync_run_workers", worker!._id, { cursor: worker!.cursor }),
    );
    const { users } = await readTables(t);
    const done = users.filter((u) => u.auth_user_id !== undefined);
    expect(done).toHaveLength(2);
    await t.run(async (ctx) => ctx.db.delete("users", done[1]!._id));
    await t.mutation(internal.syncEngine.resumeRun, { runId: started._id });
    await runDueFunctions(t);
    run = await t.query(internal.syncEngine.getRun, { runId: started._id });
    expect(run).toMatchObject({ status: "completed" });
    expect(run!.counts).toMatchObject({ checked: 6, created: 6 });
  });

  test("an early-stopped page continues after its last row even if that row is deleted", async () => {
    // A dry run under a tight index-range budget stops pages early.
    const t = newBackend({ databaseQueries: 24 });
    await t.run(async (ctx) => {
      for (let i = 0; i < 12; i++) {
        await ctx.db.insert("users", { name: `u${i}`, email: `u${i}@x.com` });
      }
    });
    const started = await t.mutation(
      internal.migrations.syncUserTables.syncUserTables,
      { pageSize: 12, dryRun: true },
    );
    // auth_users phase (empty), then the first users page.
    for (let page = 0; page < 2; page++) {
      vi.advanceTimersByTime(0);
      await t.finishInProgressScheduledFunctions();
    }
    let run = await t.query(internal.syncEngine.getRun, { runId: started._id });
    expect(run!.early_stops).toBe(1);
    const firstPage = run!.counts.checked;
    expect(firstPage).toBeGreaterThan(0);
    expect(firstPage).toBeLessThan(12);
    // The last user of the stopped page is deleted before the next page.
    const { users } = await readTables(t);
    await t.run(async (ctx) =>
      ctx.db.delete("users", users[firstPage - 1]!._id),
    );
    await runDueFunctions(t);
    run = await t.query(internal.syncEngine.getRun, { runId: started._id });
    expect(run).toMatchObject({ status: "completed" });
    // Every user counted once: the deleted one before its deletion, each
    // other once; the dry-run log plans one insert per user.
    expect(run!.counts.checked).toBe(12);
    const planned = await t.query(internal.syncEngine.plannedChanges, {
      runId: started._id,
      paginationOpts: { numItems: 100, cursor: null },
    });
    const inserts = planned.page.filter((c) =>
      c.startsWith("auth_users: insert"),
    );
    expect(inserts).toHaveLength(12);
    expect(new Set(inserts).size).toBe(12);
  });

  test("pages stop early before a transaction limit and the run still completes", async () => {
    // Tight write budget: a page of 50 creations would need ~100 writes.
    const t = newBackend({ documentsWritten: 40 });
    for (let batch = 0; batch < 2; batch++) {
      await t.run(async (ctx) => {
        for (let i = batch * 30; i < batch * 30 + 30; i++) {
          await ctx.db.insert("users", {
            name: `u${i}`,
            email: `u${i}@example.com`,
          });
        }
      });
    }
    const run = await migrate(t, { pageSize: 50 });
    expect(run.status).toBe("completed");
    expect(run.counts.created).toBe(60);
    expect(run.max_page!.documentsWritten).toBeLessThanOrEqual(40);
    expect(run.early_stops).toBeGreaterThan(0);
    expect((await checkConsistency(t)).problems).toEqual([]);
  });
});

describe("the costliest page", () => {
  test("is one page of the run: the largest share of a transaction's limits, with its phase", async () => {
    // A tight write limit makes writes the measure that counts.
    const limits = { ...CONVEX_LIMITS, documentsWritten: 40 };
    const t = newBackend({ documentsWritten: 40 });
    await t.run(async (ctx) => {
      for (let i = 0; i < 23; i++) {
        await ctx.db.insert("users", {
          name: `u${i}`,
          email: `u${i}@example.com`,
        });
      }
    });
    const run = await migrate(t, { pageSize: 5 });
    expect(run.status).toBe("completed");
    expect(run.pages).toBeGreaterThan(3);
    const costliest = run.costliest_page!;
    expect(run.plan ?? ["unlinked", "pairs"]).toContain(costliest.phase);
    // Its share is its own highest measure's share of the limits...
    const keys = [
      "documentsRead",
      "databaseQueries",
      "documentsWritten",
      "bytesRead",
      "bytesWritten",
    ] as const;
    expect(costliest.share).toBeCloseTo(
      Math.max(...keys.map((key) => costliest[key] / limits[key])),
      9,
    );
    // ...one page's: within each measure's maximum over the pages...
    for (const key of keys) {
      expect(costliest[key]).toBeLessThanOrEqual(run.max_page![key]);
    }
    // ...and no page used more: the page that wrote most has no larger share.
    expect(costliest.share).toBeGreaterThanOrEqual(
      run.max_page!.documentsWritten / limits.documentsWritten,
    );
    expect(costliest.rows).toBeGreaterThan(0);
  });
});

describe("scale, under a quarter of Convex's limits", () => {
  test("per-user cost is flat in N and the largest page is set by the page size", async () => {
    const costs = [];
    for (const n of [200, 800]) {
      const t = newBackend(QUARTER_LIMITS);
      await seedMix(t, n);
      const run = await migrate(t, { pageSize: 50 });
      expect(run.status).toBe("completed");
      expect(run.early_stops).toBe(0);
      costs.push({ n, run });
    }
    const [small, large] = costs as [(typeof costs)[0], (typeof costs)[0]];
    for (const key of [
      "documentsRead",
      "databaseQueries",
      "documentsWritten",
    ] as const) {
      const perUser = (c: typeof small) => c.run.totals[key] / c.n;
      expect(Math.abs(perUser(large) - perUser(small))).toBeLessThan(
        0.05 * perUser(small),
      );
      // The largest page costs about the same at four times the size (a
      // small table's pages may miss the mix's costliest stretch by a few
      // documents; the bench shows it flat from 500 to 5,000).
      expect(large.run.max_page![key]).toBeLessThanOrEqual(
        small.run.max_page![key] * 1.1,
      );
      // Well inside Convex's limits: a page of 50 users and 50 rows (the
      // merged engine reads both) stays under a tenth of each.
      expect(large.run.max_page![key]).toBeLessThan(CONVEX_LIMITS[key] / 10);
    }
  });
});

describe("drift report", () => {
  test("reports each kind of inconsistency, then only what waits for people", async () => {
    const t = newBackend();
    await seedMix(t, 40);
    const report = await t.action(internal.driftReport.summary, {
      pageSize: 7,
    });
    expect(report.consistent).toBe(false);
    const kinds = (r: typeof report) =>
      [...r.users.findings, ...r.rows.findings].map((f) => f.kind).sort();
    expect(kinds(report)).toEqual(
      [
        "ambiguous_email",
        "dangling_reference",
        "dangling_reference",
        "field_mismatch",
        "missing_counterpart",
        "one_sided_reference",
        "pending_link",
        "unnormalized_email",
        "unverified_email_match",
      ].sort(),
    );
    for (const finding of [...report.users.findings, ...report.rows.findings]) {
      expect(finding.sampleIds.length).toBeGreaterThan(0);
      expect(finding.count).toBeGreaterThanOrEqual(finding.sampleIds.length);
    }
    const before = await readTables(t);
    expect(await readTables(t)).toEqual(before);

    await migrate(t);
    const after = await t.action(internal.driftReport.summary, {});
    expect(
      kinds(after).filter(
        (k) => k !== "ambiguous_email" && k !== "unverified_email_match",
      ),
    ).toEqual(["pending_link"]);
  });
});
