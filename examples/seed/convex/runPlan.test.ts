/**
 * A run's plan: the phases it goes through, in order. The app's startRun
 * runs the default plan ("unlinked", then "pairs"); the engine behind it
 * takes any plan of phases it knows, which new kinds of run build on.
 */
import { describe, expect, test } from "vitest";
import type { StartRunOptions } from "convex-auth-user-sync";
import type { SyncRun } from "convex-auth-user-sync/internals";
import { internal } from "./_generated/api";
import type { MutationCtx } from "./_generated/server";
import { userSync } from "./sync";
import {
  type Backend,
  insertLegacyRow,
  newBackend,
  readTables,
  runDueFunctions,
  seedPairs,
  useFakeClock,
} from "./test.helpers";

useFakeClock(Date.UTC(2026, 5, 1));

/** The engine behind userSync.startRun, whose startRun takes a plan. */
const engine = (
  userSync as unknown as {
    engine: {
      startRun(
        ctx: MutationCtx,
        name: string,
        options: StartRunOptions,
        plan?: readonly string[],
      ): Promise<SyncRun>;
    };
  }
).engine;

async function startWithPlan(t: Backend, plan: readonly string[]) {
  return await t.run(
    async (ctx) => await engine.startRun(ctx, "planned", {}, plan),
  );
}

async function runRecords(t: Backend) {
  return await t.run(async (ctx) => ({
    runs: await ctx.db.query("sync_runs").collect(),
    workers: await ctx.db.query("sync_run_workers").collect(),
  }));
}

/** Two pairs in step and a legacy row whose email is not yet a key. */
async function pairsAndAnImport(t: Backend) {
  await seedPairs(t, 2);
  await insertLegacyRow(t, { email: "LIN@example.com", full_name: "Lin" });
}

describe("a run's plan", () => {
  test("a run records its plan, by default the unlinked rows then the pairs", async () => {
    const t = newBackend();
    await pairsAndAnImport(t);
    const run = await t.mutation(internal.userSync.syncAllUsers, {});
    expect(run.plan).toEqual(["unlinked", "pairs"]);
    await runDueFunctions(t);
    const { runs, workers } = await runRecords(t);
    expect(runs[0]).toMatchObject({ status: "completed", phase: "pairs" });
    expect(workers.map((worker) => worker.phase)).toEqual([
      "unlinked",
      "pairs",
    ]);
    const { authUsers } = await readTables(t);
    expect(authUsers.map((row) => row.email)).toContain("lin@example.com");
  });

  test("a plan of the pairs alone leaves the unlinked rows unread", async () => {
    const t = newBackend();
    await pairsAndAnImport(t);
    const run = await startWithPlan(t, ["pairs"]);
    expect(run).toMatchObject({ phase: "pairs", plan: ["pairs"] });
    // One run at a time, whatever its plan.
    const again = await t.mutation(internal.userSync.syncAllUsers, {});
    expect(again._id).toBe(run._id);
    await runDueFunctions(t);
    const { runs, workers } = await runRecords(t);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: "completed", phase: "pairs" });
    expect(runs[0]!.counts.checked).toBe(4);
    expect(workers.map((worker) => worker.phase)).toEqual(["pairs"]);
    const { authUsers } = await readTables(t);
    expect(authUsers.map((row) => row.email)).toContain("LIN@example.com");
  });

  test("a plan with nothing to read completes at its start", async () => {
    const t = newBackend();
    await seedPairs(t, 2);
    const run = await startWithPlan(t, ["unlinked"]);
    expect(run).toMatchObject({
      status: "completed",
      plan: ["unlinked"],
      pages: 0,
    });
    expect(run.finished_at).toBeDefined();
    expect((await runRecords(t)).workers).toEqual([]);
    // Nothing is left scheduled: no page, no supervisor.
    await runDueFunctions(t);
    expect((await runRecords(t)).runs).toEqual([run]);
  });

  test("a plan naming an unknown phase, a phase twice, or none is refused and writes nothing", async () => {
    const t = newBackend();
    await seedPairs(t, 1);
    await expect(startWithPlan(t, ["pairs", "fold"])).rejects.toThrow(
      /No run phase "fold"/,
    );
    await expect(startWithPlan(t, ["pairs", "pairs"])).rejects.toThrow(
      /each phase once/,
    );
    await expect(startWithPlan(t, [])).rejects.toThrow(/each phase once/);
    expect(await runRecords(t)).toEqual({ runs: [], workers: [] });
  });
});
