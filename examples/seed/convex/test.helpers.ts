/**
 * Shared test helpers (a multi-dot file, so the Convex CLI never deploys it).
 */
import { convexTest } from "convex-test";
import type { ConvexError } from "convex/values";
import { afterEach, beforeEach, expect, vi } from "vitest";
import { APP_WRITE_MODULES } from "./appWrites.helpers";
import { COST_MODULES } from "./cost.helpers";
import { FAST_PASSWORD_MODULES } from "./fastPassword.helpers";
import { type AppErrorData, type ErrorCode, isAppError } from "./errors";
import schema from "./schema";
import { internal } from "./_generated/api";
import { type Backend, readTables } from "./sync.helpers";

export * from "./sync.helpers";

/** Every Convex module, for convexTest. */
export const modules = import.meta.glob("./**/!(*.*.*)*.*s");

type Limits =
  NonNullable<Parameters<typeof convexTest>[0]> extends infer O
    ? O extends { transactionLimits?: infer L }
      ? L
      : never
    : never;

/** A fresh in-process Convex backend with this app's schema and functions. */
export function newBackend(transactionLimits?: Limits) {
  return convexTest({ schema, modules, transactionLimits });
}

/** The same, plus the cost-measuring module of cost.helpers.ts. */
export function newMeasuringBackend(transactionLimits?: Limits) {
  return convexTest({
    schema,
    modules: { ...modules, ...COST_MODULES },
    transactionLimits,
  });
}

/**
 * The app with its password hash made cheap (fastPassword.helpers.ts), for
 * tests that sign in with passwords by the hundred.
 */
export function newBackendWithFastPasswords() {
  return convexTest({
    schema,
    modules: { ...modules, ...FAST_PASSWORD_MODULES },
  });
}

/** The same, plus "any other app code" (appWrites.helpers.ts). */
export function newBackendWithAppCode() {
  return convexTest({ schema, modules: { ...modules, ...APP_WRITE_MODULES } });
}

/**
 * Asserts that `run` fails with a client-visible ConvexError of this code.
 *
 * @example await expectAppError(asUser.mutation(api.users.updateUserProfile, { name: "" }), "INVALID_ARGUMENT");
 */
export async function expectAppError(
  run: Promise<unknown>,
  code: ErrorCode,
): Promise<void> {
  const error: unknown = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(
    isAppError(error),
    `expected ConvexError ${code}, got ${String(error)}`,
  ).toBe(true);
  expect((error as ConvexError<AppErrorData>).data.code).toBe(code);
}

/** Asserts that `run` fails and leaves every table as it was. */
export async function expectRejectedWithoutWrites(
  t: Backend,
  run: () => Promise<unknown>,
  code: ErrorCode,
): Promise<void> {
  const before = await readTables(t);
  await expectAppError(run(), code);
  expect(await readTables(t)).toEqual(before);
}

/**
 * Runs the scheduled functions due now, and those they schedule for now (a
 * run's chain of pages), without moving the fake clock: later ones (a run's
 * supervisor) stay pending. Use vi.advanceTimersByTime to reach those.
 *
 * @example await runDueFunctions(t);
 */
export async function runDueFunctions(
  t: Backend,
  maxIterations = 100_000,
): Promise<void> {
  await t.finishAllScheduledFunctions(
    () => vi.advanceTimersByTime(0),
    maxIterations,
  );
}

/**
 * Fake timers for every test of the file, starting at `start` (scheduled
 * functions are driven with runDueFunctions).
 *
 * @example useFakeClock(Date.UTC(2026, 0, 1));
 */
export function useFakeClock(start: number): void {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(start);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

/**
 * A run that fails: its worker's own bookkeeping damaged after one page,
 * with no document to blame (as syncEngine.test.ts does).
 */
export async function failedRun(t: Backend) {
  const run = await t.mutation(internal.userSync.syncAllUsers, {
    pageSize: 2,
  });
  vi.advanceTimersByTime(0);
  await t.finishInProgressScheduledFunctions();
  const errors = vi.spyOn(console, "error").mockImplementation(() => {});
  await t.run(async (ctx) => {
    const worker = await ctx.db
      .query("sync_run_workers")
      .withIndex("by_run_id_and_phase_and_worker", (q) =>
        q.eq("run_id", run._id),
      )
      .first();
    await ctx.db.patch("sync_run_workers", worker!._id, {
      cursor: "{damaged",
    });
  });
  await runDueFunctions(t);
  errors.mockRestore();
  const failed = await t.query(internal.syncEngine.getRun, { runId: run._id });
  if (failed?.status !== "failed") throw new Error("the run did not fail");
  return run._id;
}
