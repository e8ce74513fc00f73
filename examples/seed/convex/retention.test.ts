/**
 * The retention of the sync's own tables: the audit log's job is tested in
 * erasure.test.ts; here, resolved cases and finished runs (purgeHistory),
 * and the seed's crons that run both.
 */
import { describe, expect, test, vi } from "vitest";
import { internal } from "./_generated/api";
import {
  type Backend,
  expectAppError,
  failedRun,
  insertLegacyRow,
  newBackend,
  openCases,
  runDueFunctions,
  signInWithOAuth,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);
const DAY = 24 * 60 * 60 * 1000;

useFakeClock(T0);

/** A legacy row and an unverified sign-up on its address: an open case. */
async function unverifiedMatch(t: Backend, name: string) {
  await insertLegacyRow(t, { email: `${name}@example.com`, full_name: name });
  await signInWithOAuth(t, {
    providerAccountId: `gh-${name}`,
    profile: { name, email: `${name}@example.com`, emailVerified: false },
  });
}

/** A run of the syncAllUsers entry point, to its end. */
async function finishedRun(t: Backend, dryRun: boolean) {
  const run = await t.mutation(internal.userSync.syncAllUsers, {
    dryRun,
    pageSize: 2,
  });
  await runDueFunctions(t);
  return run._id;
}

/** How many documents each history table holds. */
async function history(t: Backend) {
  return await t.run(async (ctx) => ({
    reviews: (await ctx.db.query("sync_reviews").collect()).map((r) => ({
      email: r.email,
      resolved: r.resolved_at !== undefined,
    })),
    runs: (await ctx.db.query("sync_runs").collect()).map((r) => r._id),
    workers: (await ctx.db.query("sync_run_workers").collect()).map(
      (w) => w.run_id,
    ),
    changes: (await ctx.db.query("sync_run_changes").collect()).map(
      (c) => c.run_id,
    ),
    keys: (await ctx.db.query("sync_run_planned_keys").collect()).map(
      (k) => k.run_id,
    ),
  }));
}

async function dismissCase(t: Backend, email: string) {
  const view = (await openCases(t)).find((c) => c.review.email === email)!;
  await t.mutation(internal.reviews.dismiss, {
    reviewId: view.review._id,
    version: view.version,
  });
}

describe("purgeHistory", () => {
  test("deletes resolved cases and finished runs older than the retention, with their records; keeps open cases, recent ones and the latest runs", async () => {
    const t = newBackend();
    await unverifiedMatch(t, "grace");
    await unverifiedMatch(t, "linus");
    await dismissCase(t, "linus@example.com");
    // An imported row whose email a dry run plans to normalize (a planned
    // key), then three finished runs; the dry run logs its changes.
    await insertLegacyRow(t, { email: "KEN@Example.com", full_name: "Ken" });
    const dry = await finishedRun(t, true);
    const first = await finishedRun(t, false);
    const before = await history(t);
    expect(before.keys).toContain(dry);
    expect(before.changes).toContain(dry);
    expect(before.workers).toContain(first);

    vi.advanceTimersByTime(91 * DAY);
    const latest = await finishedRun(t, false);
    await unverifiedMatch(t, "ada");
    await dismissCase(t, "ada@example.com");
    vi.advanceTimersByTime(1_000);

    const result = await t.mutation(internal.auditLog.purgeHistory, {
      days: 90,
    });
    await runDueFunctions(t);

    const after = await history(t);
    expect(result.deleted).toBe(
      1 + // Linus's dismissed case
        2 + // the dry run and the first run
        before.workers.length +
        before.changes.length +
        before.keys.length,
    );
    expect(after.reviews).toEqual(
      expect.arrayContaining([
        { email: "grace@example.com", resolved: false },
        { email: "ada@example.com", resolved: true },
      ]),
    );
    expect(after.reviews).toHaveLength(2);
    expect(after.runs).toEqual([latest]);
    for (const records of [after.workers, after.changes, after.keys]) {
      expect(records.every((id) => id === latest)).toBe(true);
    }
  });

  test("a run's records are deleted a page at a time, the run last", async () => {
    const t = newBackend();
    for (let i = 0; i < 30; i++) {
      await insertLegacyRow(t, {
        email: `Person${i}@Example.com`,
        full_name: `Person ${i}`,
      });
    }
    // A dry run over 30 unnormalized rows in pages of 2: hundreds of records
    // (one changes page each, a planned key each, the workers).
    const old = await finishedRun(t, true);
    vi.advanceTimersByTime(31 * DAY);
    const latest = await finishedRun(t, false);
    const records = (await history(t)).keys.length;
    expect(records).toBe(30);

    const first = await t.mutation(internal.auditLog.purgeHistory, {
      days: 30,
    });
    expect(first.more || first.deleted > 30).toBe(true);
    await runDueFunctions(t);
    const after = await history(t);
    expect(after.runs).toEqual([latest]);
    expect(after.keys.filter((id) => id === old)).toEqual([]);
    expect(after.changes.filter((id) => id === old)).toEqual([]);
  });

  test("keeps the latest run and the latest completed run, however old", async () => {
    const t = newBackend();
    await t.run(async (ctx) => {
      for (let i = 0; i < 6; i++) {
        await ctx.db.insert("users", { name: `u${i}`, email: `u${i}@x.com` });
      }
    });
    await finishedRun(t, false);
    const completed = await finishedRun(t, false);
    const failed = await failedRun(t);
    vi.advanceTimersByTime(400 * DAY);
    await t.mutation(internal.auditLog.purgeHistory, { days: 30 });
    await runDueFunctions(t);
    expect((await history(t)).runs.sort()).toEqual([completed, failed].sort());
  });

  test("refuses a retention of less than a day", async () => {
    const t = newBackend();
    await expectAppError(
      t.mutation(internal.auditLog.purgeHistory, { days: 0.5 }),
      "INVALID_ARGUMENT",
    );
  });

  test("the seed's crons run both retention jobs and the health run", async () => {
    const crons = (await import("./crons")).default as unknown as {
      crons: Record<string, { name: string; args: unknown[] }>;
    };
    const names = Object.values(crons.crons).map((job) => job.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "auditLog:purgeAuditLog",
        "auditLog:purgeHistory",
        "userSync:nightlyHealthRun",
      ]),
    );
  });
});
