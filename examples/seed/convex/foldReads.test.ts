/**
 * The fold's switch of reads (docs/fold.md, "4a. Switch reads"): from
 * `reads_switched` on, the app's API reads a person from `users` alone,
 * so a row damaged past the triggers shows nowhere; before the switch, and
 * once it is rolled back, the same damage shows.
 */
import { describe, expect, test } from "vitest";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { folded, forward, openCaseOf, stage } from "./fold.helpers";
import {
  type Backend,
  newBackend,
  signInWithOAuth,
  useFakeClock,
} from "./test.helpers";

useFakeClock(Date.UTC(2026, 11, 1, 9, 0, 0));

/** Reads switched, once the run proves every row's values are on users. */
async function switchReads(t: Backend) {
  expect((await forward(t, "switch_reads"))?.plan).toEqual(["verify"]);
  expect(await stage(t)).toBe("reads_switched");
}

/**
 * Ada (an administrator, signed in) and Grace (a placeholder), the fold at
 * `repointed`.
 */
async function adaAndGrace(t: Backend) {
  const people = await folded(t);
  await t.mutation(internal.admin.setAdmin, {
    id: people.ada,
    isAdmin: true,
  });
  const ada = await signInWithOAuth(t, {
    providerAccountId: "gh-ada",
    profile: { name: "Ada", email: "ada@example.com" },
  });
  return { ...people, asAda: ada.asUser };
}

/** Ada's row given someone else's values, past the triggers. */
async function damageRow(t: Backend, rowId: Id<"auth_users">) {
  await t.run(async (ctx) => {
    await ctx.db.patch("auth_users", rowId, {
      full_name: "Mallory",
      company: "Evil Corp",
      is_admin: false,
      role: undefined,
    });
  });
}

describe("fold: reads switched", () => {
  test("the API answers from users: a row damaged past the triggers shows nowhere", async () => {
    const t = newBackend();
    const { adaRow, asAda } = await adaAndGrace(t);
    const clean = await asAda.query(api.users.getCurrentUser, {});
    expect(clean).toMatchObject({ name: "Ada", isAdmin: true });
    const byRow = await asAda.query(api.users.getUserById, { id: adaRow });
    expect(byRow).toEqual(clean);

    // Before the switch the damage is what the API says, and it holds the
    // switch back: the row's values are not on users.
    const stored = await t.run(async (ctx) => ctx.db.get("auth_users", adaRow));
    await damageRow(t, adaRow);
    expect(await asAda.query(api.users.getCurrentUser, {})).toMatchObject({
      name: "Mallory",
      company: "Evil Corp",
      isAdmin: false,
    });
    await forward(t, "switch_reads");
    expect(await stage(t)).toBe("repointed");
    expect((await openCaseOf(t, "reference_conflict")).review.row_ids).toEqual([
      adaRow,
    ]);

    // Mended, the switch goes through; damaged again, nothing shows it.
    await t.run(async (ctx) => ctx.db.replace("auth_users", adaRow, stored!));
    await switchReads(t);
    await damageRow(t, adaRow);
    expect(await asAda.query(api.users.getCurrentUser, {})).toEqual(clean);
    expect(await asAda.query(api.users.getUserById, { id: adaRow })).toEqual(
      clean,
    );
    expect(
      await asAda.query(api.users.getUserByEmail, { email: "ada@example.com" }),
    ).toEqual(clean);
  });

  test("an app-row id names its user when the row names it back, with the values of users", async () => {
    const t = newBackend();
    const { grace, placeholder, asAda } = await adaAndGrace(t);
    const view = await asAda.query(api.users.getUserById, { id: grace });
    expect(view).toMatchObject({ name: "Grace Hopper", company: "Navy" });
    await switchReads(t);
    expect(await asAda.query(api.users.getUserById, { id: grace })).toEqual(
      view,
    );
    // The row is read for its reference only: a value changed on it past
    // the triggers is not what the lookup answers.
    await t.run(async (ctx) => {
      await ctx.db.patch("auth_users", grace, { company: "Only on the row" });
    });
    expect(await asAda.query(api.users.getUserById, { id: grace })).toEqual(
      view,
    );
    // Grace's row goes, past the triggers: her placeholder names a row that
    // no longer names it back, a one-sided reference, as in two tables.
    await t.run(async (ctx) => {
      await ctx.db.delete("auth_users", grace);
    });
    expect(await asAda.query(api.users.getUserById, { id: grace })).toBeNull();
    expect(
      await asAda.query(api.users.getUserById, { id: placeholder._id }),
    ).toMatchObject({ name: "Grace Hopper" });
  });

  test("a person who never signed in is found by address as before the switch", async () => {
    const t = newBackend();
    const { asAda } = await adaAndGrace(t);
    const email = "grace@example.com";
    const before = await asAda.query(api.users.getUserByEmail, { email });
    expect(before).toMatchObject({ name: "Grace Hopper" });
    await switchReads(t);
    expect(await asAda.query(api.users.getUserByEmail, { email })).toEqual(
      before,
    );
  });

  test("the console searches people by the address their user holds", async () => {
    const t = newBackend();
    const { grace, placeholder, asAda } = await adaAndGrace(t);
    const search = async () =>
      (await asAda.query(api.console.searchUsers, { query: "grace" })).map(
        (match) => [match.user?._id, match.authUser?._id, match.paired],
      );
    expect(await search()).toEqual([[placeholder._id, grace, true]]);
    // Grace's row loses her address past the triggers: a search of the app
    // table no longer finds her (her placeholder holds no `email`).
    const loseAddress = () =>
      t.run(async (ctx) => {
        await ctx.db.patch("auth_users", grace, { email: "x@example.com" });
      });
    await loseAddress();
    expect(await search()).toEqual([]);
    await t.run(async (ctx) => {
      await ctx.db.patch("auth_users", grace, { email: "grace@example.com" });
    });

    // Once reads are switched, the search reads her user's address key.
    await switchReads(t);
    await loseAddress();
    expect(await search()).toEqual([[placeholder._id, grace, true]]);
  });

  test("rolled back, the reads are the app table's again", async () => {
    const t = newBackend();
    const { adaRow, asAda } = await adaAndGrace(t);
    const clean = await asAda.query(api.users.getCurrentUser, {});
    await switchReads(t);
    await damageRow(t, adaRow);
    expect(await asAda.query(api.users.getCurrentUser, {})).toEqual(clean);

    expect(
      await t.mutation(internal.fold.rollbackFoldPhase, {
        phase: "switch_reads",
        confirm: true,
      }),
    ).toBeNull();
    expect(await stage(t)).toBe("repointed");
    expect(await asAda.query(api.users.getCurrentUser, {})).toMatchObject({
      name: "Mallory",
      company: "Evil Corp",
    });
  });
});
