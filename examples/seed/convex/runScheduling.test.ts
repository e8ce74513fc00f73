/**
 * A bulk run driven the way convex-test documents running scheduled work,
 * as an adopter's own tests drive it: every timer fired at once
 * (`finishAllScheduledFunctions(vi.runAllTimers)`), or the jobs in flight
 * finished in a loop (`finishInProgressScheduledFunctions`). The run's
 * supervisor, due a minute later, is fired beside its pages.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "./_generated/api";
import { signInOrThrow } from "./signIn.helpers";
import {
  type Backend,
  checkConsistency,
  insertLegacyRow,
  newBackendWithFastPasswords,
  readTables,
} from "./test.helpers";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2026, 5, 1));
});
afterEach(() => {
  vi.useRealTimers();
});

/**
 * Two people signed up with a password, their rows then damaged outside
 * the sync (a dashboard edit), and a legacy row waiting for its owner: a
 * run has work on several pages.
 */
async function worldWithDrift(t: Backend) {
  const ada = await signInOrThrow(t, "password", {
    email: "ada@example.com",
    password: "correct horse",
    flow: "signUp",
  });
  const grace = await signInOrThrow(t, "password", {
    email: "grace@example.com",
    password: "correct horse",
    flow: "signUp",
  });
  await t.run(async (ctx) => {
    const user = await ctx.db.get("users", ada.userId);
    await ctx.db.patch("auth_users", user!.auth_user_id!, {
      full_name: "dashboard edit",
    });
    const other = await ctx.db.get("users", grace.userId);
    await ctx.db.patch("auth_users", other!.auth_user_id!, {
      email: "GRACE@Example.com",
    });
  });
  await insertLegacyRow(t, { email: "LIN@example.com", full_name: "Lin" });
  expect((await checkConsistency(t)).consistent).toBe(false);
  return { ada, grace };
}

async function latestRun(t: Backend) {
  return await t.run(
    async (ctx) => await ctx.db.query("sync_runs").order("desc").first(),
  );
}

/** The run completed and left both tables in step, each person one pair. */
async function expectSynced(t: Backend) {
  expect(await latestRun(t)).toMatchObject({
    status: "completed",
    phase: "pairs",
  });
  expect(await checkConsistency(t)).toMatchObject({
    consistent: true,
    problems: [],
  });
  const { users, authUsers } = await readTables(t);
  expect(users).toHaveLength(2);
  // Two pairs and the legacy row, its email now a key, waiting for Lin.
  expect(authUsers.map((row) => row.email).sort()).toEqual([
    "ada@example.com",
    "grace@example.com",
    "lin@example.com",
  ]);
}

describe("a bulk run under convex-test's documented patterns", () => {
  test("finishAllScheduledFunctions(vi.runAllTimers) drives it to the end", async () => {
    const t = newBackendWithFastPasswords();
    await worldWithDrift(t);
    await t.mutation(internal.userSync.syncAllUsers, { pageSize: 1 });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    await expectSynced(t);
  });

  test("finishInProgressScheduledFunctions in a loop drives it to the end", async () => {
    const t = newBackendWithFastPasswords();
    await worldWithDrift(t);
    await t.mutation(internal.userSync.syncAllUsers, { pageSize: 1 });
    for (let i = 0; i < 50; i++) {
      vi.runAllTimers();
      await t.finishInProgressScheduledFunctions();
      if ((await latestRun(t))?.status !== "running") break;
    }
    await expectSynced(t);
  });

  test("with several workers, every timer at once", async () => {
    const t = newBackendWithFastPasswords();
    await worldWithDrift(t);
    await t.mutation(internal.userSync.syncAllUsers, {
      pageSize: 1,
      workers: 3,
    });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    await expectSynced(t);
  });
});
