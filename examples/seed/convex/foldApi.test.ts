/**
 * The seed's own API once auth_users is no longer written (single-table
 * mode, the fold's stage `writes_stopped` on, docs/fold.md): the views,
 * the administrator right and the nightly health run work on users alone,
 * and keep working once the table is retired.
 */
import { makeFunctionReference } from "convex/server";
import { describe, expect, test } from "vitest";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { backendAtStage, seedApp } from "./conformance.helpers";
import {
  type Backend,
  expectAppError,
  runDueFunctions,
  useFakeClock,
} from "./test.helpers";

useFakeClock(Date.UTC(2026, 11, 1, 9, 0, 0));

const signUp = (t: Backend, email: string) =>
  seedApp.passwordSignIn(t, {
    email,
    password: "correct horse",
    flow: "signUp",
  });

async function appTable(t: Backend) {
  return await t.run(async (ctx) => ctx.db.query("auth_users").collect());
}

async function moveOn(t: Backend, phase: "verify" | "retire") {
  await t.mutation(internal.fold.startFoldPhase, {
    phase,
    ...(phase === "retire" ? { confirm: true } : {}),
  });
  await runDueFunctions(t);
}

describe("the seed's API in single-table mode", () => {
  test("a person who signed up after writes stopped edits their profile: their view names no auth_users row", async () => {
    const t = await backendAtStage("writes_stopped");
    const kim = await signUp(t, "kim@example.com");
    const edited = await kim.asUser.mutation(api.users.updateUserProfile, {
      name: "Kim Park",
    });
    expect(edited).toMatchObject({
      userId: kim.userId,
      authUserId: null,
      name: "Kim Park",
    });
    const me = await kim.asUser.query(api.users.getCurrentUser, {});
    expect(me).toMatchObject({ userId: kim.userId, authUserId: null });
    expect(await appTable(t)).toEqual([]);
  });

  test("a person paired before the stop keeps their row's id in their view until it is retired", async () => {
    let adaRow: Id<"auth_users"> | null = null;
    const t = await backendAtStage("writes_stopped", async (t) => {
      const ada = await signUp(t, "ada@example.com");
      adaRow = (await ada.asUser.query(api.users.getCurrentUser, {}))!
        .authUserId;
    });
    const ada = await seedApp.passwordSignIn(t, {
      email: "ada@example.com",
      password: "correct horse",
      flow: "signIn",
    });
    expect(adaRow).not.toBeNull();
    const me = async () => await ada.asUser.query(api.users.getCurrentUser, {});
    expect((await me())?.authUserId).toBe(adaRow);
    await moveOn(t, "verify");
    await moveOn(t, "retire");
    expect(await appTable(t)).toEqual([]);
    expect(await me()).toMatchObject({
      userId: ada.userId,
      authUserId: null,
      email: "ada@example.com",
    });
  });

  test("setAdmin grants and revokes the right on users alone, and the right holds once the table is retired", async () => {
    const t = await backendAtStage("writes_stopped");
    const kim = await signUp(t, "kim@example.com");
    const rows = await appTable(t);
    const search = () =>
      kim.asUser.query(api.console.searchUsers, { query: "kim" });
    await expectAppError(search(), "FORBIDDEN");

    expect(
      await t.mutation(internal.admin.setAdmin, {
        id: kim.userId,
        isAdmin: true,
      }),
    ).toBe(kim.userId);
    const user = await t.run(async (ctx) => ctx.db.get("users", kim.userId));
    expect(user?.isAdmin).toBe(true);
    expect(await appTable(t)).toEqual(rows);
    expect(
      (await kim.asUser.query(api.users.getCurrentUser, {}))?.isAdmin,
    ).toBe(true);
    expect(await search()).toHaveLength(1);

    await moveOn(t, "verify");
    await moveOn(t, "retire");
    expect(await search()).toHaveLength(1);
    await t.mutation(internal.admin.setAdmin, {
      id: kim.userId,
      isAdmin: false,
    });
    await expectAppError(search(), "FORBIDDEN");
  });
});

describe("the nightly health run", () => {
  /** The job crons.ts schedules as "health run", run as the scheduler would. */
  async function runHealthJob(t: Backend) {
    const crons = (await import("./crons")).default as unknown as {
      crons: Record<string, { name: string; args: unknown[] }>;
    };
    const job = crons.crons["health run"]!;
    const run: unknown = await t.mutation(
      makeFunctionReference<"mutation", Record<string, never>>(job.name),
      job.args[0] as Record<string, never>,
    );
    return run;
  }

  test("starts a run over every pair while both tables are written", async () => {
    const t = await backendAtStage("reads_switched");
    await signUp(t, "kim@example.com");
    const run = (await runHealthJob(t)) as { kind?: string } | null;
    expect(run).not.toBeNull();
    await runDueFunctions(t);
  });

  test("starts nothing and fails nothing once auth_users is no longer written", async () => {
    const t = await backendAtStage("writes_stopped");
    await signUp(t, "kim@example.com");
    const runs = async () =>
      await t.run(async (ctx) => ctx.db.query("sync_runs").collect());
    const before = await runs();
    expect(await runHealthJob(t)).toBeNull();
    expect(await runs()).toEqual(before);
  });
});
