/**
 * The sync's health for an operator's monitor (syncEngine:health): the
 * latest run's outcome and the open failure cases, and the onSignIn hook's
 * one way to refuse a sign-in.
 */
import { describe, expect, test, vi } from "vitest";
import { RUN_STALLED_AFTER_MS } from "convex-auth-user-sync/internals";
import { internal } from "./_generated/api";
import { appError } from "./errors";
import { fault } from "./onSignInFault.helpers";
import { signInAction, signInOrThrow } from "./signIn.helpers";
import {
  expectAppError,
  failedRun,
  newBackend,
  openCases,
  readTables,
  runDueFunctions,
  useFakeClock,
} from "./test.helpers";

// A fault in the app's onSignIn hook makes a sign-in's sync fail.
vi.mock("./starterTemplates", async (importOriginal) =>
  (await import("./onSignInFault.helpers")).withFault(importOriginal),
);

useFakeClock(Date.UTC(2026, 10, 3, 9, 0, 0));

const ada = {
  email: "ada@example.com",
  password: "correct horse battery",
  flow: "signUp",
};

describe("syncEngine:health", () => {
  test("is ok with no run and no failure", async () => {
    const t = newBackend();
    expect(await t.query(internal.syncEngine.health, {})).toEqual({
      ok: true,
      lastRun: null,
      openSignInFailures: 0,
      openRowFailures: 0,
    });
  });

  test("a failed sign-in sync makes it not ok until its case is resolved", async () => {
    const t = newBackend();
    fault.armed = true;
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    await signInOrThrow(t, "password", ada);
    errors.mockRestore();
    expect(await t.query(internal.syncEngine.health, {})).toMatchObject({
      ok: false,
      openSignInFailures: 1,
    });

    const [view] = await openCases(t);
    await t.mutation(internal.reviews.dismiss, {
      reviewId: view!.review._id,
      version: view!.version,
    });
    expect(await t.query(internal.syncEngine.health, {})).toMatchObject({
      ok: true,
      openSignInFailures: 0,
    });
  });

  test("a failed run makes it not ok, with the run's error; a completed one after is ok", async () => {
    const t = newBackend();
    await t.run(async (ctx) => {
      for (let i = 0; i < 6; i++) {
        await ctx.db.insert("users", { name: `u${i}`, email: `u${i}@x.com` });
      }
    });
    const runId = await failedRun(t);
    const health = await t.query(internal.syncEngine.health, {});
    expect(health).toMatchObject({
      ok: false,
      lastRun: { runId, status: "failed", name: "syncAllUsers" },
    });
    expect(health.lastRun!.lastError).toMatch(/JSON/);

    await t.mutation(internal.userSync.syncAllUsers, {});
    await runDueFunctions(t);
    expect(await t.query(internal.syncEngine.health, {})).toMatchObject({
      ok: true,
      lastRun: { status: "completed" },
    });
  });
});

describe("syncEngine:health judges the runs that sync", () => {
  test("a dry run started by hand after a failed run does not hide it", async () => {
    const t = newBackend();
    await t.run(async (ctx) => {
      for (let i = 0; i < 6; i++) {
        await ctx.db.insert("users", { name: `u${i}`, email: `u${i}@x.com` });
      }
    });
    const runId = await failedRun(t);
    await t.mutation(internal.userSync.syncAllUsers, { dryRun: true });
    await runDueFunctions(t);
    expect(await t.query(internal.syncEngine.health, {})).toMatchObject({
      ok: false,
      lastRun: { runId, status: "failed", dryRun: false },
    });
  });

  test("a run still running past the bound is not ok", async () => {
    const t = newBackend();
    const run = await t.mutation(internal.userSync.syncAllUsers, {});
    // Its pages never run: the clock moves, no scheduled job fires.
    vi.setSystemTime(Date.now() + RUN_STALLED_AFTER_MS - 1000);
    expect(await t.query(internal.syncEngine.health, {})).toMatchObject({
      ok: true,
      lastRun: { runId: run._id, status: "running", stalled: false },
    });
    vi.setSystemTime(Date.now() + 2000);
    expect(await t.query(internal.syncEngine.health, {})).toMatchObject({
      ok: false,
      lastRun: { runId: run._id, status: "running", stalled: true },
    });
  });
  test("a failed run resumed long after it started is not stalled the moment it resumes (found by review)", async () => {
    const t = newBackend();
    await t.run(async (ctx) => {
      for (let i = 0; i < 6; i++) {
        await ctx.db.insert("users", { name: `u${i}`, email: `u${i}@x.com` });
      }
    });
    const runId = await failedRun(t);
    // A day later, an operator repairs the damage and resumes the run.
    vi.setSystemTime(Date.now() + 24 * RUN_STALLED_AFTER_MS);
    await t.run(async (ctx) => {
      const worker = await ctx.db
        .query("sync_run_workers")
        .withIndex("by_run_id_and_phase_and_worker", (q) =>
          q.eq("run_id", runId),
        )
        .first();
      await ctx.db.patch("sync_run_workers", worker!._id, { cursor: null });
    });
    await t.mutation(internal.syncEngine.resumeRun, { runId });
    expect(await t.query(internal.syncEngine.health, {})).toMatchObject({
      ok: true,
      lastRun: { runId, status: "running", stalled: false },
    });
    // Its own hour counts from the resumption.
    vi.setSystemTime(Date.now() + RUN_STALLED_AFTER_MS + 1000);
    expect(await t.query(internal.syncEngine.health, {})).toMatchObject({
      ok: false,
      lastRun: { runId, status: "running", stalled: true },
    });
  });
});

describe("the onSignIn hook", () => {
  test("refuses the sign-in by throwing FORBIDDEN: no session, no pair, no case", async () => {
    const t = newBackend();
    fault.armed = true;
    fault.error = appError("FORBIDDEN", "Sign-ups are closed");
    await expectAppError(signInAction(t, "password", ada), "FORBIDDEN");
    const tables = await readTables(t);
    expect(tables.authUsers).toEqual([]);
    expect(tables.reviews).toEqual([]);
    const sessions = await t.run(
      async (ctx) => await ctx.db.query("authSessions").collect(),
    );
    expect(sessions).toEqual([]);
  });
});
