/**
 * This app tested as an adopter tests theirs, with the helpers of
 * `convex-auth-user-sync/testing`: Convex Auth's environment made offline
 * by `offlineAuthEnv`, real Password sign-ups, and a bulk run driven the
 * way convex-test documents running scheduled work (every timer fired at
 * once, or the jobs in flight finished in a loop). The run's supervisor,
 * due a minute later, is fired beside its pages.
 */
import {
  checkAllPairs,
  checkPair,
  offlineAuthEnv,
  readPair,
  runToCompletion,
  signInWithPassword,
} from "convex-auth-user-sync/testing";
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  test,
  vi,
} from "vitest";
import { api, internal } from "./_generated/api";
import { newBackend } from "./conformance.helpers";
import { userSync } from "./sync";

type Backend = ReturnType<typeof newBackend>;

// The JWT keys and URLs of this file's sign-ins are offlineAuthEnv's, not
// the workspace's (vitest.config.ts): the helper's keys must sign.
const workspaceEnv = { ...process.env };
beforeAll(async () => {
  Object.assign(process.env, await offlineAuthEnv());
});
afterAll(() => {
  Object.assign(process.env, workspaceEnv);
});
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2026, 7, 1));
});
afterEach(() => {
  vi.useRealTimers();
});

const signUp = (t: Backend, email: string) =>
  signInWithPassword(t, api.auth.signIn, {
    email,
    password: "correct horse",
    flow: "signUp",
  });

/**
 * Two people signed up, then damaged outside the sync (a dashboard edit of
 * a name, a shouted email), and a legacy profile waiting for its owner.
 */
async function worldWithDrift(t: Backend) {
  const ada = await signUp(t, "ada@example.com");
  const grace = await signUp(t, "grace@example.com");
  await t.run(async (ctx) => {
    await ctx.db.patch("users", ada.userId, { name: "dashboard edit" });
    const row = await userSync.findCounterpart(
      ctx,
      (await ctx.db.get("users", grace.userId))!,
    );
    await ctx.db.patch("profiles", row!._id, { email: "GRACE@Example.com" });
    await ctx.db.insert("profiles", {
      email: "lin@example.com",
      displayName: "Lin",
      createdAt: 1,
    });
  });
  await expect(checkAllPairs(t, userSync)).rejects.toThrow(/field_mismatch/);
  return { ada, grace };
}

async function latestRun(t: Backend) {
  return await t.run(
    async (ctx) => await ctx.db.query("sync_runs").order("desc").first(),
  );
}

/** Both people one pair each, in step; the legacy profile still waiting. */
async function expectSynced(
  t: Backend,
  people: Awaited<ReturnType<typeof worldWithDrift>>,
) {
  expect(await latestRun(t)).toMatchObject({ status: "completed" });
  expect(await checkAllPairs(t, userSync)).toMatchObject({ unlinkedRows: 1 });
  const ada = await checkPair(t, userSync, people.ada.userId);
  expect(ada.user.name).toBe(ada.row.displayName);
  const grace = await checkPair(t, userSync, people.grace.userId);
  expect(grace.row.email).toBe("grace@example.com");
  // The app reads the person's own profile, as before the damage.
  expect(await people.ada.asUser.query(api.profiles.me, {})).toMatchObject({
    userId: people.ada.userId,
    profileId: ada.row._id,
  });
}

describe("a bulk run under convex-test's documented patterns", () => {
  test("finishAllScheduledFunctions(vi.runAllTimers) drives it to the end", async () => {
    const t = newBackend();
    const people = await worldWithDrift(t);
    await t.mutation(internal.userSync.syncAllUsers, { pageSize: 1 });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    await expectSynced(t, people);
  });

  test("finishInProgressScheduledFunctions in a loop drives it to the end", async () => {
    const t = newBackend();
    const people = await worldWithDrift(t);
    await t.mutation(internal.userSync.syncAllUsers, {
      pageSize: 1,
      workers: 2,
    });
    for (let i = 0; i < 50; i++) {
      vi.runAllTimers();
      await t.finishInProgressScheduledFunctions();
      if ((await latestRun(t))?.status !== "running") break;
    }
    await expectSynced(t, people);
  });

  test("runToCompletion starts it and drives it to the end", async () => {
    const t = newBackend();
    const people = await worldWithDrift(t);
    const run = await runToCompletion(t, internal.userSync.syncAllUsers, {
      args: { pageSize: 2 },
      advanceTimers: vi.runAllTimers,
    });
    expect(run.counts).toMatchObject({ checked: 5, repaired: 2 });
    await expectSynced(t, people);
  });
});

describe("the testing helpers' own assertions", () => {
  test("checkPair names what is wrong with a pair; readPair shows it", async () => {
    const t = newBackend();
    const ada = await signUp(t, "ada@example.com");
    const { row } = await readPair(t, userSync, ada.userId);
    await t.run(async (ctx) => {
      await ctx.db.insert("profiles", {
        userId: ada.userId,
        email: "eve@example.com",
        createdAt: 1,
      });
    });
    await expect(checkPair(t, userSync, ada.userId)).rejects.toThrow(
      /duplicate_counterpart/,
    );
    // Two profiles naming Ada: neither is her counterpart.
    expect(await readPair(t, userSync, ada.userId)).toMatchObject({
      user: { _id: ada.userId },
      row: null,
    });
    await t.run(async (ctx) => {
      await ctx.db.delete("profiles", row!._id);
    });
    await expect(checkPair(t, userSync, ada.userId)).rejects.toThrow(
      /field_mismatch/,
    );
  });

  test("runToCompletion says why a run did not complete", async () => {
    const t = newBackend();
    await signUp(t, "ada@example.com");
    // Real timers expected, fake ones running: the pages never fire.
    await expect(
      runToCompletion(t, internal.userSync.syncAllUsers, {
        advanceTimers: () => {},
      }),
    ).rejects.toThrow(/ended running.*vi\.runAllTimers/);
  });
});
