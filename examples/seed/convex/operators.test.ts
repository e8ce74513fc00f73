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
    // Now the address is Ada's alone.
    await t.mutation(internal.operators.deleteAccount, {
      email: "ada@example.com",
    });
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
