/**
 * The v1 -> v2 move (docs/v2-move.md) on this app: its people signed in by
 * v1's real flows, the fold walked to `retired` (one table), then v2's
 * GitHub component mounted beside v1's tables (v2Move.helpers.ts) and the
 * move run: the dry run, the run, a second run, the rollback.
 */
import { convexTest } from "convex-test";
import { anyApi, type ApiFromModules } from "convex/server";
import { ConvexError } from "convex/values";
import { describe, expect, test, vi } from "vitest";
import { folded, forward, stage, twoPeople } from "./fold.helpers";
import { signInOrThrow, signInViaOAuth } from "./signIn.helpers";
import {
  type Backend,
  modules,
  readTables,
  runDueFunctions,
  useFakeClock,
} from "./test.helpers";
import schema from "./schema";
import * as v2MoveModule from "./v2Move.helpers";
import {
  githubAccounts,
  mountGithubComponent,
  V2_MOVE_MODULES,
} from "./v2Move.helpers";

/** The test-only module's functions (codegen knows only deployed modules). */
const v2Move = (
  anyApi as unknown as ApiFromModules<{ v2Move: typeof v2MoveModule }>
).v2Move;

useFakeClock(Date.UTC(2026, 11, 1, 9, 0, 0));

/** The ConvexError code a promise was refused with. */
async function refusal(promise: Promise<unknown>): Promise<unknown> {
  const error: unknown = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  return error instanceof ConvexError
    ? (error.data as { code?: unknown }).code
    : error;
}

/** Linus on GitHub, which vouches for his address. */
const LINUS_ON_GITHUB = {
  id: 4242,
  login: "linus",
  email: null,
  emails: [{ email: "linus@example.com", primary: true, verified: true }],
};

/**
 * v1's people, each by v1's real flows: Ada by GitHub through `auth:store`
 * under the seed's test id "gh-ada" (not GitHub's numeric id: a shape v2's
 * GitHub never looks up), Grace never signed in (a placeholder), Linus by
 * GitHub through the real routes, Mary by password.
 */
async function people(t: Backend) {
  const two = await twoPeople(t);
  const linus = await signInViaOAuth(t, "github", LINUS_ON_GITHUB);
  const mary = await signInOrThrow(t, "password", {
    email: "mary@example.com",
    password: "correct horse battery staple",
    flow: "signUp",
  });
  return { ...two, linus: linus.userId, mary: mary.userId };
}

/**
 * The app folded to one table over `people`, then v2's GitHub component
 * mounted beside v1's tables.
 */
async function retiredApp() {
  const t = convexTest({
    schema,
    modules: { ...modules, ...V2_MOVE_MODULES },
  });
  let folks: Awaited<ReturnType<typeof people>> | undefined;
  await folded(t, async (backend) => (folks = await people(backend)));
  await forward(t, "switch_reads");
  vi.advanceTimersByTime(60 * 60 * 1000);
  await forward(t, "stop_writes");
  await forward(t, "verify");
  await forward(t, "retire");
  expect(await stage(t)).toBe("retired");
  mountGithubComponent(t);
  return { t, people: folks! };
}

async function move(t: Backend, args: { dryRun?: boolean } = {}) {
  const run = await t.mutation(v2Move.startV2Move, args);
  await runDueFunctions(t);
  return (await t.query(v2Move.getRun, { runId: run._id }))!;
}

/** The app's own tables (the engine's bookkeeping left out) and GitHub's. */
async function appState(t: Backend) {
  const tables = await t.run(async (ctx) => ({
    users: await ctx.db.query("users").collect(),
    authUsers: await ctx.db.query("auth_users").collect(),
    authAccounts: await ctx.db.query("authAccounts").collect(),
    templates: await ctx.db.query("starter_templates").collect(),
    reviews: await ctx.db.query("sync_reviews").collect(),
  }));
  return { ...tables, github: await githubAccounts(t) };
}

const openMoveCases = async (t: Backend) =>
  (await readTables(t)).reviews.filter(
    (review) =>
      review.kind === "v2_move_identity" && review.resolved_at === undefined,
  );

/** The counts of a run over the four users (Grace's placeholder included). */
const COUNTS = {
  checked: 4,
  // Linus.
  created: 1,
  // Mary: her password waits for her next sign-in.
  pending: 1,
  // Grace's placeholder: no v1 identity.
  unchanged: 1,
  // Ada: "gh-ada" is not an id v2's GitHub looks up.
  needingReview: 1,
  repaired: 0,
  linked: 0,
};

describe("the v1 -> v2 move on the folded seed", () => {
  test("the dry run writes nothing, and reports what the run would do", async () => {
    const { t, people: folks } = await retiredApp();
    const before = await appState(t);

    const run = await move(t, { dryRun: true });

    expect(run.status).toBe("completed");
    expect(run.dry_run).toBe(true);
    expect(run.counts).toEqual(COUNTS);
    expect(await appState(t)).toEqual(before);
    expect(before.github).toEqual({});
    const planned = await t.query(v2Move.plannedChanges, {
      runId: run._id,
      paginationOpts: { numItems: 100, cursor: null },
    });
    const lines = planned.page.join("\n");
    const linusGithub = before.authAccounts.find(
      (account) => account.providerAccountId === "4242",
    )!;
    expect(lines).toContain(
      `authGithub: create the account of authAccounts ${linusGithub._id} for users ${folks.linus}`,
    );
    expect(lines).toContain("password_rehash_pending waits");
    expect(lines).toContain(
      "review v2_move_identity: provider_account_id_unexpected",
    );
  });

  test("the run moves each GitHub account under the same users id; a password waits, v1's rows kept; doubtful data is a case", async () => {
    const { t, people: folks } = await retiredApp();
    const v1Before = (await appState(t)).authAccounts;

    const run = await move(t);

    expect(run.status).toBe("completed");
    expect(run.counts).toEqual(COUNTS);
    expect(await githubAccounts(t)).toEqual({ "4242": folks.linus });
    // v1's identities are all still there: v1 serves sign-ins until the switch.
    expect((await appState(t)).authAccounts).toEqual(v1Before);
    const cases = await openMoveCases(t);
    expect(cases.map((review) => review.user_id)).toEqual([folks.ada]);
    expect(cases[0]?.detail).toContain("provider_account_id_unexpected");
    // v1 still serves sign-ins, into the same users: Mary by her password,
    // Linus by GitHub.
    const mary = await signInOrThrow(t, "password", {
      email: "mary@example.com",
      password: "correct horse battery staple",
      flow: "signIn",
    });
    expect(mary.userId).toBe(folks.mary);
    const linus = await signInViaOAuth(t, "github", LINUS_ON_GITHUB);
    expect(linus.userId).toBe(folks.linus);
  });

  test("a second run changes nothing", async () => {
    const { t } = await retiredApp();
    await move(t);
    const before = await appState(t);

    const again = await move(t);

    expect(await appState(t)).toEqual(before);
    expect(again.counts).toMatchObject({ created: 0, pending: 1 });
  });

  test("the rollback deletes its cases, keeps the moved accounts, and refuses to remove them", async () => {
    const { t } = await retiredApp();
    await move(t);
    const accounts = await githubAccounts(t);

    expect(
      await refusal(
        t.mutation(v2Move.rollbackV2Move, {
          confirm: true,
          removeAccounts: true,
        }),
      ),
    ).toBe("INVALID_ARGUMENT");
    expect(await openMoveCases(t)).toHaveLength(1);

    const result = await t.mutation(v2Move.rollbackV2Move, {
      confirm: true,
    });

    expect(result).toMatchObject({
      casesDeleted: 1,
      more: false,
      accountsKeptFor: 1,
    });
    expect(await openMoveCases(t)).toEqual([]);
    expect(await githubAccounts(t)).toEqual(accounts);
  });
});
