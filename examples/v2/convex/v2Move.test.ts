/**
 * The v1 -> v2 move's run (docs/v2-move.md), on this v2 app with v1's
 * `authAccounts` kept in its schema (v2Move.helpers.ts): the dry run, the
 * run moving GitHub accounts so that a real GitHub sign-in lands on the
 * same user, cases for damaged or ambiguous identities, a second run that
 * changes nothing, resume after a failed page, and the rollback. The app
 * mounts no Google component: only GitHub accounts move here.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "./_generated/api";
import { defineUserSync, isAppError } from "convex-auth-user-sync";
import type { DataModel, Id } from "./_generated/dataModel";
import { declaration } from "./sync";
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import schema from "./schema";
import { newTest, signInWithGithub, type TestConvex } from "./signIn.helpers";
import { move, refusal, runDue } from "./app.helpers";
import {
  everything,
  githubAccounts,
  V1_SCRYPT_SECRET,
  v1Person,
} from "./v2Move.helpers";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const openCases = (t: TestConvex) =>
  t.run(async (ctx) =>
    (await ctx.db.query("sync_reviews").collect()).filter(
      (review) => review.resolved_at === undefined,
    ),
  );

/** The app's own tables, without the engine's bookkeeping. */
async function appState(t: TestConvex) {
  const { app, github } = (await everything(t)) as {
    app: Record<string, unknown[]>;
    github: unknown;
  };
  for (const table of Object.keys(app)) {
    if (table.startsWith("sync_run") || table.startsWith("sync_audit")) {
      delete app[table];
    }
  }
  return { app, github };
}

type People = Awaited<ReturnType<typeof seedPeople>>;

/**
 * v1's people: GitHub + password (Ada), GitHub only (Grace), an email-code
 * identity (Linus), an account whose address is a look-alike of another
 * person's (Mallory), two users holding one GitHub id (the twins), a
 * GitHub account v2 already gives another user (Hank: its owner signed in
 * to v2 first), and a Password account with no hash (Dora).
 */
async function seedPeople(t: TestConvex) {
  const v2First = await signInWithGithub(t, {
    id: 1003,
    login: "someone",
    emailVerified: false,
  });
  const ada = await v1Person(t, {
    email: "ada@example.com",
    name: "Ada",
    accounts: [
      { provider: "github", providerAccountId: "1001" },
      {
        provider: "password",
        providerAccountId: "ada@example.com",
        secret: V1_SCRYPT_SECRET,
      },
    ],
  });
  const grace = await v1Person(t, {
    email: "grace@example.com",
    accounts: [{ provider: "github", providerAccountId: "1002" }],
  });
  const linus = await v1Person(t, {
    email: "linus@example.com",
    accounts: [
      {
        provider: "resend",
        providerAccountId: "linus@example.com",
        emailVerified: "linus@example.com",
      },
    ],
  });
  // The Cyrillic "а": an address that looks like Ada's.
  const mallory = await v1Person(t, {
    email: "mallory@example.com",
    accounts: [
      {
        provider: "password",
        providerAccountId: "\u0430da@example.com",
        secret: V1_SCRYPT_SECRET,
      },
    ],
  });
  const twin1 = await v1Person(t, {
    email: "twin1@example.com",
    accounts: [{ provider: "github", providerAccountId: "1005" }],
  });
  const twin2 = await v1Person(t, {
    email: "twin2@example.com",
    accounts: [{ provider: "github", providerAccountId: "1005" }],
  });
  const hank = await v1Person(t, {
    email: "hank@example.com",
    accounts: [{ provider: "github", providerAccountId: "1003" }],
  });
  const dora = await v1Person(t, {
    email: "dora@example.com",
    accounts: [{ provider: "password", providerAccountId: "dora@example.com" }],
  });
  return { v2First, ada, grace, linus, mallory, twin1, twin2, hank, dora };
}

/** The counts of a run over seedPeople's nine users. */
const SEEDED_COUNTS = {
  checked: 9,
  // Ada (her password waits too) and Grace.
  created: 2,
  // Linus: his email-code identity waits.
  pending: 1,
  // The user of the v2 sign-in: no v1 identity.
  unchanged: 1,
  // Mallory, the twins, Hank, Dora.
  needingReview: 5,
  repaired: 0,
  linked: 0,
};

describe("the dry run", () => {
  test("writes nothing, and reports what the run would do", async () => {
    const t = newTest();
    const people = await seedPeople(t);
    const before = await appState(t);

    const run = await move(t, { dryRun: true });

    expect(run.status).toBe("completed");
    expect(run.dry_run).toBe(true);
    expect(run.counts).toEqual(SEEDED_COUNTS);
    expect(await appState(t)).toEqual(before);
    const planned = await t.query(internal.userSync.plannedChanges, {
      runId: run._id,
      paginationOpts: { numItems: 100, cursor: null },
    });
    const lines = planned.page.join("\n");
    expect(lines).toContain(
      `authGithub: create the account of authAccounts ${people.ada.accountIds[0]} for users ${people.ada.userId}`,
    );
    expect(lines).toContain(
      `authGithub: create the account of authAccounts ${people.grace.accountIds[0]} for users ${people.grace.userId}`,
    );
    expect(lines).toContain("password_rehash_pending waits");
    expect(lines).toContain("verified_email waits");
    expect(lines).toContain(
      "review v2_move_identity: account_held_twice_in_v1",
    );
    expect(lines).toContain("review v2_move_identity: account_taken_in_v2");
    expect(lines).toContain("password_without_secret");
    for (const person of [people.twin1, people.twin2, people.hank]) {
      expect(lines).not.toContain(
        `create the account of authAccounts ${person.accountIds[0]}`,
      );
    }
  });
});

describe("the run", () => {
  test("moves each GitHub account so that GitHub's sign-in lands on the same user, still paired", async () => {
    const t = newTest();
    const people = await seedPeople(t);

    const run = await move(t);
    expect(run.status).toBe("completed");
    expect(run.counts).toEqual(SEEDED_COUNTS);
    expect(await githubAccounts(t)).toEqual({
      "1001": people.ada.userId,
      "1002": people.grace.userId,
      "1003": people.v2First.userId,
    });

    const signedIn = await signInWithGithub(t, {
      id: 1001,
      login: "ada",
      email: "ada@example.com",
      emailVerified: true,
    });
    expect(signedIn.userId).toBe(people.ada.userId);
    const member = await t.run(
      async (ctx) =>
        await ctx.db
          .query("members")
          .withIndex("by_userId", (q) => q.eq("userId", people.ada.userId))
          .collect(),
    );
    expect(member).toHaveLength(1);
    expect(member[0]?.email).toBe("ada@example.com");
    // v1's rows stay: the password waits for Ada's next sign-in.
    const adaRows = await t.run(async (ctx) =>
      (await ctx.db.query("authAccounts" as never).collect()).filter(
        (row: { userId: Id<"users"> }) => row.userId === people.ada.userId,
      ),
    );
    expect(adaRows).toHaveLength(2);
  });

  test("a damaged or ambiguous identity is a case for its person, never a move", async () => {
    const t = newTest();
    const people = await seedPeople(t);
    await move(t);

    const cases = await openCases(t);
    const byUser = (userId: Id<"users">) =>
      cases
        .filter((review) => review.user_id === userId)
        .map((review) => review.detail.split(":")[0]);
    expect(cases.every((review) => review.kind === "v2_move_identity")).toBe(
      true,
    );
    expect(byUser(people.mallory.userId)).toEqual(["address_refused_by_v2"]);
    expect(byUser(people.twin1.userId)).toEqual(["account_held_twice_in_v1"]);
    expect(byUser(people.twin2.userId)).toEqual(["account_held_twice_in_v1"]);
    expect(byUser(people.hank.userId)).toEqual(["account_taken_in_v2"]);
    expect(byUser(people.dora.userId)).toEqual(["password_without_secret"]);
    expect(cases).toHaveLength(5);
    // Neither twin, nor Hank, got the account.
    const accounts = await githubAccounts(t);
    expect(accounts["1005"]).toBeUndefined();
    expect(accounts["1003"]).toBe(people.v2First.userId);
  });

  test("a second run changes nothing", async () => {
    const t = newTest();
    await seedPeople(t);
    await move(t);
    const before = await appState(t);

    const again = await move(t);

    expect(await appState(t)).toEqual(before);
    expect(again.counts).toMatchObject({ created: 0, pending: 2 });
  });

  test("a run whose page fails resumes where it stood, and ends as a whole run would", async () => {
    const t = newTest();
    const people: People = await seedPeople(t);
    const run = await t.mutation(internal.userSync.startV2Move, {
      pageSize: 1,
    });
    vi.advanceTimersByTime(1);
    await t.finishInProgressScheduledFunctions();
    // The worker's place is damaged: its next page fails, and the run.
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const { id, cursor } = await t.run(async (ctx) => {
      const worker = (await ctx.db
        .query("sync_run_workers")
        .withIndex("by_run_id_and_phase_and_worker", (q) =>
          q.eq("run_id", run._id),
        )
        .first())!;
      await ctx.db.patch("sync_run_workers", worker._id, {
        cursor: "{damaged",
      });
      return { id: worker._id, cursor: worker.cursor };
    });
    await runDue(t);
    errors.mockRestore();
    const failed = await t.query(internal.userSync.getRun, {
      runId: run._id,
    });
    expect(failed?.status).toBe("failed");
    expect(await refusal(t.mutation(internal.userSync.startV2Move, {}))).toBe(
      "CONFLICT",
    );

    await t.run(async (ctx) => {
      await ctx.db.patch("sync_run_workers", id, { cursor });
    });
    await t.mutation(internal.userSync.resumeRun, { runId: run._id });
    await runDue(t);
    const resumed = await t.query(internal.userSync.getRun, {
      runId: run._id,
    });
    expect(resumed?.status).toBe("completed");
    expect(resumed?.counts).toEqual(SEEDED_COUNTS);
    expect(await githubAccounts(t)).toEqual({
      "1001": people.ada.userId,
      "1002": people.grace.userId,
      "1003": people.v2First.userId,
    });
  });
});

describe("erasure", () => {
  test("an erased person's move case keeps no address of theirs", async () => {
    const t = newTest();
    const people = await seedPeople(t);
    await move(t);
    const before = (await openCases(t)).find(
      (review) => review.user_id === people.mallory.userId,
    );
    expect(before?.detail).toContain("da@example.com");

    await t.mutation(internal.userSync.deleteAccount, {
      id: people.mallory.userId,
    });

    const after = await t.run(async (ctx) =>
      (await ctx.db.query("sync_reviews").collect()).filter(
        (review) => review._id === before?._id,
      ),
    );
    for (const review of after) {
      expect(review.detail).not.toContain("example.com");
    }
  });
});

describe("the rollback", () => {
  test("deletes the move's open cases, says the moved accounts stay, and refuses to remove them", async () => {
    const t = newTest();
    await seedPeople(t);
    await move(t);
    const accounts = await githubAccounts(t);

    expect(
      await refusal(t.mutation(internal.userSync.rollbackV2Move, {})),
    ).toBe("INVALID_ARGUMENT");
    expect(
      await refusal(
        t.mutation(internal.userSync.rollbackV2Move, {
          confirm: true,
          removeAccounts: true,
        }),
      ),
    ).toBe("INVALID_ARGUMENT");
    expect(await openCases(t)).toHaveLength(5);

    const result = await t.mutation(internal.userSync.rollbackV2Move, {
      confirm: true,
    });
    expect(result).toMatchObject({
      casesDeleted: 5,
      more: false,
      accountsKeptFor: 2,
    });
    expect(result.summary).toContain("stay in v2's components");
    expect(await openCases(t)).toEqual([]);
    expect(await githubAccounts(t)).toEqual(accounts);
    const status = await t.query(internal.userSync.v2MoveStatus, {});
    expect(status).toMatchObject({ peopleMoved: 2, openCases: 0 });
    expect(status.run?.name).toBe("v2:move");
  });
});

describe("the move knows v1's tables from the declared schema", () => {
  /** This app's declaration, with or without its schema. */
  const declare = (withSchema: boolean) =>
    defineUserSync<DataModel>()({
      ...declaration,
      schema: withSchema ? schema : undefined,
    });

  test("v2 has the v1 tables its schema keeps, and none without a schema", () => {
    expect([...declare(true).shape.v1Tables]).toEqual(["authAccounts"]);
    expect(declare(false).shape.v1Tables.size).toBe(0);
  });

  test("v1's accounts kept without the indexes the move and an erasure read them by are named when the module loads", () => {
    const { authAccounts: _kept, ...tables } = schema.tables;
    const withoutIndexes = defineSchema({
      ...tables,
      authAccounts: defineTable({
        userId: v.id("users"),
        provider: v.string(),
        providerAccountId: v.string(),
      }),
    });
    expect(() =>
      defineUserSync<DataModel>()({ ...declaration, schema: withoutIndexes }),
    ).toThrow(/authAccounts has no index userIdAndProvider/);
  });

  test("without v1's accounts in the declared schema the move does not start: an erasure meanwhile would leave them", async () => {
    // The command as the app exports it, its handler called as Convex would.
    const { startV2Move } = declare(false).v2MoveFunctions({
      internalMutation: ((definition: unknown) => definition) as never,
      internalQuery: ((definition: unknown) => definition) as never,
    }) as unknown as {
      startV2Move: {
        handler: (ctx: unknown, args: object) => Promise<unknown>;
      };
    };
    const t = newTest();
    const error = await t
      .run(async (ctx) => await startV2Move.handler(ctx, {}))
      .catch((caught: unknown) => caught);
    expect(isAppError(error) && error.data.code).toBe("INVALID_ARGUMENT");
    expect(await t.run((ctx) => ctx.db.query("sync_runs").collect())).toEqual(
      [],
    );
  });
});
