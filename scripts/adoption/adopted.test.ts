/**
 * What adopting the sync must give the minimal app (fixtures/minimal-app),
 * checked after scripts/adopt.mjs has followed the adoption guide (docs/adoption.md) on a copy
 * of it, where this file runs as convex/adopted.test.ts. It names the app's
 * functions by the names the guide gives them, so a guide that drifts from
 * the code fails here.
 */
import { convexTest } from "convex-test";
import {
  type GenericDataModel,
  type GenericMutationCtx,
  type GenericSchema,
  makeFunctionReference,
  type SchemaDefinition,
} from "convex/server";
import { runToCompletion } from "convex-auth-user-sync/testing";
import { Triggers } from "convex-helpers/server/triggers";
import type { GenericId } from "convex/values";
import { afterEach, beforeEach, expect, test, vi } from "vitest";

const modules = import.meta.glob("./**/!(*.*.*)*.*s");
const schema = (
  (await modules["./schema.ts"]!()) as {
    default: SchemaDefinition<GenericSchema, true>;
  }
).default;

/**
 * The guide's commands, in order (ADOPTION_RUNS, from the guide): each
 * function and its JSON argument, where "…" stands for a value the command
 * before answered.
 */
const runs = JSON.parse(process.env.ADOPTION_RUNS ?? "[]") as {
  name: string;
  args: Record<string, unknown>;
}[];

const signInAction = makeFunctionReference<"action">("auth:signIn");
const join = makeFunctionReference<"mutation">("members:join");
const setNickname = makeFunctionReference<"mutation">("members:setNickname");
const me = makeFunctionReference<"query">("members:me");

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

async function signUp(
  t: ReturnType<typeof convexTest>,
  email: string,
  flow: "signUp" | "signIn" = "signUp",
) {
  const { tokens } = (await t.action(signInAction, {
    provider: "password",
    params: { email, password: "correct horse", flow },
  })) as { tokens: { token: string } };
  const { sub } = JSON.parse(atob(tokens.token.split(".")[1]!)) as {
    sub: string;
  };
  return {
    userId: sub.split("|")[0]!,
    asUser: t.withIdentity({ subject: sub }),
  };
}

const signIn = (t: ReturnType<typeof convexTest>, email: string) =>
  signUp(t, email, "signIn");

test("a sign-up gets its member row from the sync, and the app's writes reach users", async () => {
  const t = convexTest(schema, modules);
  const ada = await signUp(t, "ada@example.com");
  // The sync made the row at sign-up; the app's own join finds it.
  const members = (await t.run(async (ctx) =>
    ctx.db.query("members").collect(),
  )) as { _id: string; userId?: string }[];
  const member = members.find((m) => m.userId === ada.userId);
  expect(member).toMatchObject({ email: "ada@example.com", plan: "free" });
  expect(await ada.asUser.mutation(join, {})).toBe(member!._id);
  await ada.asUser.mutation(setNickname, { nickname: "Ada" });
  expect(await ada.asUser.query(me, {})).toEqual({
    nickname: "Ada",
    plan: "free",
  });
  const user: unknown = await t.run(
    async (ctx) => (await ctx.db.get(ada.userId as never)) as unknown,
  );
  expect(user).toMatchObject({ name: "Ada" });
});

test("the schema has every field and index the declaration needs", async () => {
  const { userSync } = (await modules["./userSync.ts"]!()) as {
    userSync: { checkSchema: (schema: unknown) => string[] };
  };
  expect(userSync.checkSchema(schema)).toEqual([]);
});

test("an account suspended is refused at sign-in, with no status field declared", async () => {
  const { userSync } = (await modules["./userSync.ts"]!()) as {
    userSync: {
      setStatus: (ctx: never, userId: string, status: string) => Promise<void>;
    };
  };
  const t = convexTest(schema, modules);
  const ada = await signUp(t, "ada@example.com");
  await t.run(async (ctx) => {
    await userSync.setStatus(ctx as never, ada.userId, "suspended");
  });
  await expect(signUp(t, "ada@example.com")).rejects.toThrow(/suspended/);
  await t.run(async (ctx) => {
    await userSync.setStatus(ctx as never, ada.userId, "active");
  });
  expect((await signUp(t, "ada@example.com")).userId).toBe(ada.userId);
});

test("the guide's commands bring existing data in line", async () => {
  expect(runs.length).toBeGreaterThan(0);
  const t = convexTest(schema, modules);
  // What the app held before adopting: users, members naming them, a user
  // who never joined.
  const before = await t.run(async (ctx) => {
    const bob = await ctx.db.insert("users", { email: "bob@example.com" });
    const cy = await ctx.db.insert("users", { email: "cy@example.com" });
    await ctx.db.insert("members", {
      userId: bob,
      nickname: "Bobby",
      plan: "pro",
      createdAt: 1,
    });
    // A member row nobody has claimed yet, with an address: the report
    // looks it up by email (found by review: a guide that left that index
    // out passed).
    const old = await ctx.db.insert("members", {
      email: "old@example.com",
      nickname: "Old Timer",
      plan: "pro",
      createdAt: 1,
    });
    return { bob, cy, old };
  });
  // What the operator commands last showed (a case), for the "…" the guide
  // tells the reader to copy from it.
  let shown: OpenCase | undefined;
  let ann: { userId: string } | undefined;
  for (const { name, args } of runs) {
    const [module, fn] = name.split(":");
    if (fn === "adoptAppReferences") {
      // Every page, the first and those it schedules.
      await t.mutation(makeFunctionReference<"mutation">(name), {});
      await t.finishAllScheduledFunctions(vi.runAllTimers);
    } else if (fn === "syncAllUsers") {
      // As the library's testing guide drives a run (docs/testing.md): every
      // timer at once, the run's supervisor included.
      await runToCompletion(t, makeFunctionReference<"mutation">(name), {
        advanceTimers: vi.runAllTimers,
        args,
      });
      const run: unknown = await t.query(
        makeFunctionReference<"query">(`${module}:getRun`),
        {},
      );
      expect(run).toMatchObject({ status: "completed" });
    } else if (fn === "summary") {
      const summary: unknown = await t.action(
        makeFunctionReference<"action">(name),
        args,
      );
      expect(summary).toMatchObject({ consistent: true });
    } else if (fn === "openCases") {
      // The guide's case: the owner of the unclaimed member row signs up
      // with a password on its address, which nothing verifies.
      ann ??= await signUp(t, "old@example.com");
      const { page } = (await t.query(
        makeFunctionReference<"query">(name),
        args,
      )) as { page: OpenCase[] };
      expect(page).toMatchObject([
        {
          review: { kind: "unverified_email_match", user_id: ann.userId },
          rows: [{ id: before.old }],
        },
      ]);
      shown = page[0];
    } else if (fn === "resolveCase") {
      expect(shown).toBeDefined();
      const result: unknown = await t.mutation(
        makeFunctionReference<"mutation">(name),
        fillIn(args, shown!),
      );
      expect(result).toMatchObject({ resolution: args.action });
    } else {
      throw new Error(`The guide runs ${name}, which this check does not know`);
    }
  }
  type Row = { _id: string; userId?: string };
  const after = await t.run(async (ctx) => ({
    users: (await ctx.db.query("users").collect()) as Row[],
    members: (await ctx.db.query("members").collect()) as Row[],
  }));
  const memberOf = (userId: string) =>
    after.members.filter((m) => m.userId === userId);
  expect(memberOf(before.bob)).toMatchObject([
    { email: "bob@example.com", nickname: "Bobby", plan: "pro" },
  ]);
  expect(memberOf(before.cy)).toMatchObject([
    { email: "cy@example.com", plan: "free" },
  ]);
  expect(after.users.find((u) => u._id === before.bob)).toMatchObject({
    name: "Bobby",
  });
  // The guide's resolution linked the new account to the member row from
  // before (the row its sign-up got retired), recorded as the CLI's.
  expect(ann).toBeDefined();
  expect(memberOf(ann!.userId)).toMatchObject([
    { _id: before.old, nickname: "Old Timer", plan: "pro" },
  ]);
  const audit = (await t.run(async (ctx) =>
    ctx.db.query("sync_audit").collect(),
  )) as { action: string; actor: string }[];
  expect(
    audit.filter((entry) => entry.action.startsWith("resolve:")),
  ).toMatchObject([{ action: "resolve:link", actor: "operator (CLI)" }]);
  const summary: unknown = await t.action(
    makeFunctionReference<"action">("userSync:summary"),
    {},
  );
  expect(summary).toMatchObject({ consistent: true });
});

/** A case as the guide's openCases shows it. */
type OpenCase = {
  review: { _id: string; user_id?: string };
  counterpart: { _id: string } | null;
  rows: { id: string }[];
  version: string;
};

/**
 * The guide's arguments with each "…" filled in from the case shown, as the
 * guide tells the reader: `review._id`, `version`, `review.user_id`, the
 * row's `id` and `counterpart._id`.
 */
function fillIn(args: Record<string, unknown>, shown: OpenCase) {
  const from: Record<string, unknown> = {
    reviewId: shown.review._id,
    version: shown.version,
    userId: shown.review.user_id,
    rowId: shown.rows[0]?.id,
    retireCurrent: shown.counterpart?._id,
  };
  return Object.fromEntries(
    Object.entries(args).map(([key, value]) => {
      if (value !== "…") return [key, value];
      if (from[key] === undefined) {
        throw new Error(`The guide leaves ${key} for the reader to fill in`);
      }
      return [key, from[key]];
    }),
  );
}

test("the guide's choice: deleting a member row keeps the account, which gets a fresh row at its next sign-in", async () => {
  const { userSync } = (await modules["./userSync.ts"]!()) as {
    userSync: {
      shape: { onRowDelete: string };
      registerTriggers: (triggers: unknown) => void;
    };
  };
  expect(userSync.shape.onRowDelete).toBe("keepAccount");
  const t = convexTest(schema, modules);
  const ada = await signUp(t, "ada@example.com");
  // The customised users table's own field is the app's, untouched.
  await t.run(async (ctx) => {
    await ctx.db.patch(ada.userId as never, { favoriteColor: "teal" } as never);
  });
  await ada.asUser.mutation(setNickname, { nickname: "Ada" });
  const read = () =>
    t.run(async (ctx) => ({
      users: (await ctx.db.query("users").collect()) as Record<
        string,
        unknown
      >[],
      members: (await ctx.db.query("members").collect()) as Record<
        string,
        unknown
      >[],
      accounts: await ctx.db.query("authAccounts").collect(),
      sessions: await ctx.db.query("authSessions").collect(),
    }));
  const before = await read();
  expect(before.users[0]).toMatchObject({ name: "Ada", favoriteColor: "teal" });
  // App code deletes the member row, through the app's triggers.
  const triggers = new Triggers<GenericDataModel>();
  userSync.registerTriggers(triggers);
  await t.run(async (ctx) => {
    const { db } = triggers.wrapDB(
      ctx as unknown as GenericMutationCtx<GenericDataModel>,
    );
    await db.delete(before.members[0]!._id as GenericId<"members">);
  });
  const after = await read();
  expect(after.members).toEqual([]);
  expect(after.users.map((u) => u._id)).toEqual([ada.userId]);
  expect(after.users[0]!.memberId).toBeUndefined();
  expect(after.accounts).toEqual(before.accounts);
  expect(after.sessions).toEqual(before.sessions);
  await signIn(t, "ada@example.com");
  const again = await read();
  expect(again.members).toMatchObject([
    { userId: ada.userId, email: "ada@example.com" },
  ]);
  expect(again.users[0]).toMatchObject({
    memberId: again.members[0]!._id,
    favoriteColor: "teal",
  });
});

test("a userId typed by hand hands no member row to that user (references on both sides)", async () => {
  const t = convexTest(schema, modules);
  // A user with no member row yet, and someone else's row, whose userId
  // someone types in by hand (the dashboard, an import): raw writes.
  const { cy, theirs } = await t.run(async (ctx) => {
    const cy = await ctx.db.insert("users", { email: "cy@example.com" });
    const theirs = await ctx.db.insert("members", {
      email: "old@example.com",
      nickname: "Old",
      plan: "pro",
      createdAt: 1,
    });
    await ctx.db.patch(theirs, { userId: cy });
    return { cy, theirs };
  });
  await runToCompletion(
    t,
    makeFunctionReference<"mutation">("userSync:syncAllUsers"),
    {
      advanceTimers: vi.runAllTimers,
    },
  );
  const after = await t.run(async (ctx) => ({
    cy: (await ctx.db.get(cy)) as Record<string, unknown> | null,
    theirs: (await ctx.db.get(theirs)) as Record<string, unknown> | null,
    reviews: (await ctx.db.query("sync_reviews" as never).collect()) as Record<
      string,
      unknown
    >[],
  }));
  // The row keeps its own address and data; cy gets none of it.
  expect(after.theirs).toMatchObject({
    email: "old@example.com",
    nickname: "Old",
  });
  expect(after.cy!.name).toBeUndefined();
  expect(after.cy!.memberId).not.toBe(theirs);
  // A person looks at it.
  expect(after.reviews).toEqual([
    expect.objectContaining({ kind: "reference_conflict", row_ids: [theirs] }),
  ]);
});
