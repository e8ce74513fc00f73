/**
 * The operator commands in the fold's single-table mode with the reference
 * on the app's side only (docs/fold.md): a person's frozen profile is found
 * by the profile naming the user, never written by a suspension, and
 * erased with the account.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { runDueFunctions } from "../../../conformance/runs";
import { internal } from "./_generated/api";
import { newBackend, profilesApp } from "./conformance.helpers";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2026, 11, 1, 9, 0, 0));
});
afterEach(() => {
  vi.useRealTimers();
});

type Backend = ReturnType<typeof newBackend>;

async function readTables(t: Backend) {
  return await t.run(async (ctx) => ({
    users: await ctx.db.query("users").collect(),
    profiles: await ctx.db.query("profiles").collect(),
  }));
}

/** Ada signed up, Grace never signed in; folded to `writes_stopped`. */
async function singleTableMode(t: Backend) {
  await profilesApp.passwordSignIn(t, {
    email: "ada@example.com",
    password: "correct horse",
    flow: "signUp",
  });
  const grace = await t.run(async (ctx) =>
    ctx.db.insert("profiles", {
      email: "grace@example.com",
      displayName: "Grace Hopper",
      createdAt: Date.now(),
    }),
  );
  for (const phase of [
    "expand",
    "placeholders",
    "repoint",
    "switch_reads",
    "stop_writes",
  ] as const) {
    await t.mutation(internal.userSync.startFoldPhase, { phase });
    await runDueFunctions(t);
  }
  expect((await t.query(internal.userSync.foldStatus, {})).stage).toBe(
    "writes_stopped",
  );
  const { users, profiles } = await readTables(t);
  const placeholder = users.find((u) => u.unclaimed === "grace@example.com")!;
  const ada = users.find((u) => u.email === "ada@example.com")!;
  const adaProfile = profiles.find((p) => p.userId === ada._id)!;
  return { ada: ada._id, adaProfile: adaProfile._id, grace, placeholder };
}

describe("operators in single-table mode, the reference on the app's side only", () => {
  test("a suspension writes users alone; deleting the account erases its frozen profile", async () => {
    const t = newBackend();
    const { ada, adaProfile, grace, placeholder } = await singleTableMode(t);
    const before = await readTables(t);

    await t.mutation(internal.userSync.suspend, { id: ada });
    let tables = await readTables(t);
    expect(tables.profiles).toEqual(before.profiles);
    expect(tables.users.find((u) => u._id === ada)?.status).toBe("suspended");

    await t.mutation(internal.userSync.deleteAccount, { id: ada });
    await t.mutation(internal.userSync.deleteAccount, {
      id: placeholder._id,
    });
    tables = await readTables(t);
    expect(tables.users).toEqual([]);
    // Each frozen profile, found by the profile naming its user, is gone.
    expect(tables.profiles.map((p) => p._id)).not.toContain(adaProfile);
    expect(tables.profiles.map((p) => p._id)).not.toContain(grace);
  });
});
