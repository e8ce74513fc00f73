/**
 * Bulk runs split among workers: the same result whatever the split and
 * the page size, idempotent, resumable when a worker fails, consistent when
 * sign-ins and edits race the pages, and each document read once.
 */
import { describe, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import {
  type Backend,
  canonicalState,
  checkConsistency,
  newBackend,
  QUARTER_LIMITS,
  readTables,
  runDueFunctions,
  seedMix,
  seedPairs,
  signInWithOAuth,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 5, 1, 0, 0, 0);

useFakeClock(T0);

type RunArgs = { pageSize?: number; dryRun?: boolean; workers?: number };

/** Starts a run and drives its scheduled pages to the end. */
async function syncAll(t: Backend, args: RunArgs = {}) {
  const started = await t.mutation(internal.userSync.syncAllUsers, args);
  await runDueFunctions(t);
  return (await t.query(internal.syncEngine.getRun, { runId: started._id }))!;
}

/** Runs the scheduled functions due now once, as one round of pages. */
async function oneRound(t: Backend) {
  vi.advanceTimersByTime(0);
  await t.finishInProgressScheduledFunctions();
}

async function workersOf(t: Backend, runId: Id<"sync_runs">) {
  return await t.run(async (ctx) =>
    ctx.db
      .query("sync_run_workers")
      .withIndex("by_run_id_and_phase_and_worker", (q) => q.eq("run_id", runId))
      .collect(),
  );
}

/**
 * seedMix, plus damage whose repair crosses keys of the merge: a user
 * pointing at a legacy row of its address (linked from the user's side), a
 * second row claiming a paired user, a user pointing at someone else's
 * paired row, a row naming a user who points elsewhere, imported emails.
 */
async function seedMessy(t: Backend, n: number) {
  await seedMix(t, n);
  await t.run(async (ctx) => {
    const at = 1_700_000_000_000;
    const legacy = await ctx.db.insert("auth_users", {
      email: "pointed@example.com",
      full_name: "Pointed Legacy",
      created_at: at,
      updated_at: at,
    });
    await ctx.db.insert("users", {
      name: "Pointer",
      email: "Pointed@Example.com",
      emailVerificationTime: at,
      auth_user_id: legacy,
    });
    const paired = await ctx.db.insert("users", {
      name: "Paired",
      email: "paired@example.com",
      emailVerificationTime: at,
    });
    const pairedRow = await ctx.db.insert("auth_users", {
      convex_user_id: paired,
      email: "paired@example.com",
      email_verified: true,
      full_name: "Paired",
      created_at: at,
      updated_at: at,
    });
    await ctx.db.patch("users", paired, { auth_user_id: pairedRow });
    await ctx.db.insert("auth_users", {
      convex_user_id: paired,
      email: "  PAIRED@example.com",
      full_name: "Imported twin",
      created_at: at,
      updated_at: at,
    });
    await ctx.db.insert("users", {
      name: "Elsewhere",
      email: "elsewhere@example.com",
      emailVerificationTime: at,
      auth_user_id: pairedRow,
    });
  });
}

/** What a run leaves, independent of ids it created and of timestamps. */
async function outcome(t: Backend) {
  const { reviews } = await readTables(t);
  return {
    tables: await canonicalState(t),
    reviews: reviews
      .map((review) => `${review.kind}:${review.key}`)
      .sort()
      .join("\n"),
    problems: (await checkConsistency(t)).problems.length,
  };
}

describe("workers", () => {
  test("K = 1, 4 and 16 and pages of 1, 7 and 100 reach the same tables on a messy dataset", async () => {
    let reference: Awaited<ReturnType<typeof outcome>> | undefined;
    for (const workers of [1, 4, 16]) {
      for (const pageSize of [1, 7, 100]) {
        const t = newBackend();
        await seedMessy(t, 40);
        const run = await syncAll(t, { workers, pageSize });
        expect(run.status).toBe("completed");
        expect(run.workers).toBe(workers);
        const result = await outcome(t);
        if (reference === undefined) reference = result;
        else
          expect(result, `K=${workers}, pageSize=${pageSize}`).toEqual(
            reference,
          );
      }
    }
    // The run did repair and link, and left only the recorded cases.
    expect(reference!.reviews).toMatch(/duplicate_counterpart/);
    expect(reference!.reviews).toMatch(/ambiguous_email/);
  });

  test("a parallel re-run writes nothing at all", async () => {
    const t = newBackend();
    await seedMessy(t, 100);
    const first = await syncAll(t, { workers: 4, pageSize: 10 });
    expect(first.status).toBe("completed");
    const before = await readTables(t);

    vi.setSystemTime(T0 + 86_400_000);
    const second = await syncAll(t, { workers: 4, pageSize: 10 });
    expect(second.status).toBe("completed");
    expect(await readTables(t)).toEqual(before);
    expect(second.counts).toMatchObject({ repaired: 0, linked: 0, created: 0 });
    expect(second.counts.checked).toBe(
      before.users.length + before.authUsers.length,
    );
  });

  test("a parallel run resumes after one worker fails, and ends as a single worker would", async () => {
    const single = newBackend();
    await seedMessy(single, 80);
    const alone = await syncAll(single, { workers: 1, pageSize: 5 });

    const t = newBackend();
    await seedMessy(t, 80);
    const started = await t.mutation(internal.userSync.syncAllUsers, {
      workers: 4,
      pageSize: 5,
    });
    // Into the merge, one page each.
    let run = started;
    while (run.phase !== "pairs") {
      await oneRound(t);
      run = (await t.query(internal.syncEngine.getRun, {
        runId: started._id,
      }))!;
    }
    await oneRound(t);
    const workers = await workersOf(t, started._id);
    const victim = workers.find(
      (worker) => worker.phase === "pairs" && worker.status === "running",
    )!;
    // Its bookkeeping damaged: the worker fails with nothing to blame; the
    // others finish their ranges.
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    await t.run(async (ctx) =>
      ctx.db.patch("sync_run_workers", victim._id, { cursor: "{damaged" }),
    );
    await runDueFunctions(t);
    errors.mockRestore();
    run = (await t.query(internal.syncEngine.getRun, { runId: started._id }))!;
    expect(run.status).toBe("failed");
    const after = await workersOf(t, started._id);
    expect(
      after
        .filter((w) => w.phase === "pairs")
        .map((w) => w.status)
        .sort(),
    ).toEqual(["completed", "completed", "completed", "failed"]);

    // Mended, it resumes where it stood; the others are not run again.
    await t.run(async (ctx) =>
      ctx.db.patch("sync_run_workers", victim._id, { cursor: victim.cursor }),
    );
    await t.mutation(internal.syncEngine.resumeRun, { runId: started._id });
    await runDueFunctions(t);
    run = (await t.query(internal.syncEngine.getRun, { runId: started._id }))!;
    expect(run.status).toBe("completed");
    expect(run.counts.checked).toBe(alone.counts.checked);
    expect(await outcome(t)).toEqual(await outcome(single));
  });

  test("a run racing sign-ins and profile edits ends consistent", async () => {
    const t = newBackend();
    await seedMix(t, 60);
    // People already signed in, who edit their profiles during the run.
    const people = [];
    for (let i = 0; i < 4; i++) {
      people.push(
        await signInWithOAuth(t, {
          providerAccountId: `gh-racer-${i}`,
          profile: { name: `Racer ${i}`, email: `racer${i}@example.com` },
        }),
      );
    }
    const started = await t.mutation(internal.userSync.syncAllUsers, {
      workers: 4,
      pageSize: 4,
    });
    let round = 0;
    let run = started;
    while (run.status === "running") {
      await oneRound(t);
      // Between pages: a newcomer, the owner of a legacy row, a returning
      // user renamed at the provider, and a profile edit.
      await signInWithOAuth(t, {
        providerAccountId: `gh-new-${round}`,
        profile: { name: `New ${round}`, email: `new${round}@example.com` },
      });
      await signInWithOAuth(t, {
        providerAccountId: `gh-person-${round}`,
        profile: {
          name: `Person ${13 + 20 * round}`,
          email: `person${13 + 20 * round}@example.com`,
        },
      });
      const racer = people[round % people.length]!;
      await signInWithOAuth(t, {
        providerAccountId: `gh-racer-${round % people.length}`,
        profile: {
          name: `Racer renamed ${round}`,
          email: `racer${round % people.length}@example.com`,
        },
      });
      await racer.asUser.mutation(api.users.updateUserProfile, {
        name: `Chosen ${round}`,
      });
      round++;
      run = (await t.query(internal.syncEngine.getRun, {
        runId: started._id,
      }))!;
    }
    expect(run.status).toBe("completed");
    expect(round).toBeGreaterThan(3);
    expect((await checkConsistency(t)).problems).toEqual([]);
    const { authUsers } = await readTables(t);
    // Each person has one row, and a chosen name holds.
    for (let r = 0; r < round; r++) {
      expect(
        authUsers.filter((row) => row.email === `new${r}@example.com`),
      ).toHaveLength(1);
    }
    const chosen = authUsers.filter((row) =>
      /^racer\d@example\.com$/.test(row.email ?? ""),
    );
    expect(chosen).toHaveLength(people.length);
    for (const row of chosen) {
      expect(row.full_name).toMatch(/^Chosen \d+$/);
      expect(row.name_source).toBe("user");
    }
    // A second run finds nothing left to do.
    const again = await syncAll(t, { workers: 4 });
    expect(again.counts).toMatchObject({ repaired: 0, linked: 0, created: 0 });
  });
});

describe("upgrading", () => {
  test("a run left running by the engine before workers blocks nothing, and resumes from the start", async () => {
    const t = newBackend();
    await seedMix(t, 20);
    // As the engine before workers left a run when its page jobs could no
    // longer run: one cursor, in its own phase.
    const oldRunId = await t.run(async (ctx) =>
      ctx.db.insert("sync_runs", {
        name: "syncAllUsers",
        status: "running",
        dry_run: false,
        page_size: 100,
        current_page_size: 100,
        phase: "users",
        cursor: JSON.stringify({ time: 1, ids: [] }),
        counts: {
          checked: 3,
          unchanged: 3,
          repaired: 0,
          linked: 0,
          created: 0,
          pending: 0,
          needingReview: 0,
        },
        pages: 1,
        early_stops: 0,
        totals: {
          documentsRead: 0,
          databaseQueries: 0,
          documentsWritten: 0,
          bytesRead: 0,
          bytesWritten: 0,
        },
        started_at: T0,
      }),
    );
    const fresh = await syncAll(t, { pageSize: 7 });
    expect(fresh._id).not.toBe(oldRunId);
    expect(fresh.status).toBe("completed");
    const old = await t.query(internal.syncEngine.getRun, { runId: oldRunId });
    expect(old!.status).toBe("failed");
    expect(old!.last_error).toMatch(/earlier version/);

    await t.mutation(internal.syncEngine.resumeRun, { runId: oldRunId });
    await runDueFunctions(t);
    const resumed = await t.query(internal.syncEngine.getRun, {
      runId: oldRunId,
    });
    expect(resumed).toMatchObject({ status: "completed", workers: 1 });
    expect((await checkConsistency(t)).problems).toEqual([]);
  });
});

describe("cost, under a quarter of Convex's limits", () => {
  test("a health run reads each document once: under 2.2 reads and 0.2 index ranges per user, for K = 1 and 4", async () => {
    const n = 400;
    const t = newBackend(QUARTER_LIMITS);
    await seedPairs(t, n);
    for (const workers of [1, 4]) {
      const run = await syncAll(t, { workers });
      expect(run.status).toBe("completed");
      expect(run.counts.unchanged).toBe(2 * n);
      expect(run.totals.documentsRead / n).toBeLessThan(2.2);
      expect(run.totals.databaseQueries / n).toBeLessThan(0.2);
      // Writes: the run's own bookkeeping only, a few per page.
      expect(run.totals.documentsWritten).toBeLessThanOrEqual(
        2 * run.pages + 4 * workers,
      );
      expect(run.critical_path).toBeLessThanOrEqual(
        Math.ceil(run.pages / workers) + 3,
      );
    }
  });

  test("the drift report reads each document once too: a few index ranges per page", async () => {
    const n = 300;
    // Pages of 100 users and 100 rows: two index ranges and the documents
    // themselves, and the fold's record (which tables a page compares,
    // docs/fold.md), and nothing else, or the report fails.
    const t = newBackend({ databaseQueries: 3, documentsRead: 2 * 100 + 1 });
    await seedPairs(t, n);
    const report = await t.action(internal.driftReport.summary, {
      pageSize: 100,
    });
    expect(report.consistent).toBe(true);
    expect(report.users).toMatchObject({ checked: n, findings: [] });
    expect(report.rows).toMatchObject({ checked: n, findings: [] });
  });
});
