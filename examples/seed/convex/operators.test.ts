/**
 * The library's operator commands as the seed exports them (operators.ts):
 * an address one account verified and another only typed names nobody, so
 * no command by email can reach the wrong one of them.
 */
import { describe, expect, test } from "vitest";
import { internal } from "./_generated/api";
import { signInOrThrow } from "./signIn.helpers";
import {
  expectRejectedWithoutWrites,
  newBackend,
  newBackendWithFastPasswords,
  readTables,
  signInWithOAuth,
  useFakeClock,
} from "./test.helpers";

useFakeClock(Date.UTC(2026, 3, 1, 8, 0, 0));

describe("operator commands by email", () => {
  test("an address verified by one account and typed by another names nobody; ids reach exactly the one named", async () => {
    const t = newBackendWithFastPasswords();
    const ada = await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "Ada", email: "ada@example.com" },
    });
    // Eve types Ada's address at a password sign-up: another account.
    const eve = await signInOrThrow(t, "password", {
      email: "ada@example.com",
      password: "correct horse battery",
      flow: "signUp",
    });
    const bob = await signInWithOAuth(t, {
      providerAccountId: "gh-bob",
      profile: { name: "Bob", email: "bob@example.com" },
    });

    const { candidates } = await t.query(internal.operators.findUser, {
      email: "ada@example.com",
    });
    expect(
      candidates.map((c) => [c.userId, c.emailVerified, c.signInMethods]),
    ).toEqual([
      [ada.userId, true, ["github"]],
      [eve.userId, false, ["password"]],
    ]);
    for (const command of [
      internal.operators.deleteAccount,
      internal.operators.suspend,
      internal.operators.syncUser,
    ]) {
      await expectRejectedWithoutWrites(
        t,
        () => t.mutation(command, { email: "ada@example.com" }),
        "INVALID_ARGUMENT",
      );
    }

    // Bob's address is his alone, and verified: it names him.
    await t.mutation(internal.operators.suspend, { email: "bob@example.com" });
    let tables = await readTables(t);
    expect(
      tables.authUsers.find((row) => row.convex_user_id === bob.userId),
    ).toMatchObject({ status: "suspended" });

    // Eve's account by its id: Ada's stays whole.
    await t.mutation(internal.operators.deleteAccount, { id: eve.userId });
    tables = await readTables(t);
    expect(tables.users.map((user) => user._id).sort()).toEqual(
      [ada.userId, bob.userId].sort(),
    );
    expect(
      tables.authUsers.find((row) => row.convex_user_id === ada.userId),
    ).toMatchObject({ email: "ada@example.com", email_verified: true });
    // Now the address is Ada's alone: deleteAccount still takes her id.
    await t.mutation(internal.operators.deleteAccount, { id: ada.userId });
    tables = await readTables(t);
    expect(tables.users.map((user) => user._id)).toEqual([bob.userId]);

    const { page } = await t.query(internal.operators.auditLog, {
      paginationOpts: { numItems: 10, cursor: null },
    });
    expect(page.map((entry) => [entry.action, entry.actor])).toEqual([
      ["operator:deleteAccount", "operator (CLI)"],
      ["operator:deleteAccount", "operator (CLI)"],
      ["operator:suspend", "operator (CLI)"],
    ]);
  });
});

describe("an address names its account only when that account verified it", () => {
  test("an address on a row edited by hand names nobody: the row's account verified another", async () => {
    const t = newBackend();
    const bob = await signInWithOAuth(t, {
      providerAccountId: "gh-bob",
      profile: { name: "Bob", email: "bob@example.com" },
    });
    // A dashboard edit (no triggers) puts Ada's address on Bob's row.
    await t.run(async (ctx) => {
      const user = (await ctx.db.get("users", bob.userId))!;
      await ctx.db.patch("auth_users", user.auth_user_id!, {
        email: "ada@example.com",
      });
    });
    const email = "ada@example.com";
    for (const command of [
      internal.operators.suspend,
      internal.operators.syncUser,
    ]) {
      await expectRejectedWithoutWrites(
        t,
        () => t.mutation(command, { email }),
        "INVALID_ARGUMENT",
      );
    }
    // The seed's own lookups by email find nobody either.
    await expectRejectedWithoutWrites(
      t,
      () =>
        t.mutation(internal.admin.setStatus, { email, status: "suspended" }),
      "NOT_FOUND",
    );
    expect(await t.query(internal.userSync.getUserByEmail, { email })).toBe(
      null,
    );
    // findUser shows the row that holds it, and whose account that is.
    const { candidates } = await t.query(internal.operators.findUser, {
      email,
    });
    expect(candidates.map((c) => [c.userId, c.email])).toEqual([
      [bob.userId, "bob@example.com"],
    ]);

    // Ada verifies it: the lookups find her, never Bob.
    const ada = await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "Ada", email },
    });
    expect(
      (await t.query(internal.userSync.getUserByEmail, { email }))?.userId,
    ).toBe(ada.userId);
    await t.mutation(internal.admin.setStatus, { email, status: "suspended" });
    const tables = await readTables(t);
    expect(
      tables.authUsers
        .filter((row) => row.status === "suspended")
        .map((row) => row.convex_user_id),
    ).toEqual([ada.userId]);
  });
});

describe("deleteAccount", () => {
  test("takes an id only: an address could name another account in other capitals", async () => {
    const t = newBackend();
    const ada = await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "Ada", email: "ada@example.com" },
    });
    // The app made an account holding the address in capitals, with no
    // row yet: Convex Auth's index on users.email matches exact spellings.
    const other = await t.run(async (ctx) =>
      ctx.db.insert("users", { email: "Ada@Example.com" }),
    );
    for (const command of [
      internal.operators.deleteAccount,
      internal.admin.deleteAccount,
    ]) {
      await expectRejectedWithoutWrites(
        t,
        () => t.mutation(command, { email: "ada@example.com" }),
        "INVALID_ARGUMENT",
      );
    }
    await t.mutation(internal.operators.deleteAccount, { id: ada.userId });
    const tables = await readTables(t);
    expect(tables.users.map((user) => user._id)).toEqual([other]);
  });
});
