import { describe, expect, test, vi } from "vitest";
import { api } from "./_generated/api";
import { LIMITS } from "./inputs";
import {
  checkConsistency,
  expectAppError,
  expectRejectedWithoutWrites,
  insertLegacyRow,
  makeAdmin,
  newBackend,
  readTables,
  signInWithOAuth,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);

useFakeClock(T0);

const ada = {
  providerAccountId: "gh-ada",
  profile: {
    name: "ada-gh",
    email: "ada@example.com",
    image: "https://gh/ada.png",
  },
};
const bob = {
  providerAccountId: "gh-bob",
  profile: { name: "Bob", email: "bob@example.com" },
};

describe("getCurrentUser", () => {
  test("is null when signed out", async () => {
    const t = newBackend();
    await signInWithOAuth(t, ada);
    expect(await t.query(api.users.getCurrentUser, {})).toBeNull();
  });

  test("unifies both tables for the signed-in user", async () => {
    const t = newBackend();
    const { userId, asUser } = await signInWithOAuth(t, ada);
    const me = await asUser.query(api.users.getCurrentUser, {});
    const { authUsers } = await readTables(t);
    expect(me).toEqual({
      visibility: "full",
      userId,
      authUserId: authUsers[0]!._id,
      name: "ada-gh",
      image: "https://gh/ada.png",
      company: null,
      role: null,
      email: "ada@example.com",
      emailVerified: true,
      phone: null,
      isAdmin: false,
      status: "active",
      lastLoginAt: T0,
      createdAt: T0,
      updatedAt: T0,
    });
  });
});

describe("updateUserProfile", () => {
  test("the seed's example: update, then getCurrentUser returns all three", async () => {
    const t = newBackend();
    const { asUser } = await signInWithOAuth(t, ada);
    vi.setSystemTime(T0 + 1_000);
    const returned = await asUser.mutation(api.users.updateUserProfile, {
      name: "John Doe",
      company: "Acme Corp",
      role: "Developer",
    });
    const me = await asUser.query(api.users.getCurrentUser, {});
    expect(me).toEqual(returned);
    expect(me).toMatchObject({
      name: "John Doe",
      company: "Acme Corp",
      role: "Developer",
      updatedAt: T0 + 1_000,
    });
    // Both tables, one timestamp.
    const { users, authUsers } = await readTables(t);
    expect(users[0]).toMatchObject({ name: "John Doe", updatedAt: T0 + 1_000 });
    expect(authUsers[0]).toMatchObject({
      full_name: "John Doe",
      name_source: "user",
      company: "Acme Corp",
      role: "Developer",
      updated_at: T0 + 1_000,
    });
    expect((await checkConsistency(t)).problems).toEqual([]);
  });

  test("the chosen name survives the next sign-in with a changed provider name", async () => {
    const t = newBackend();
    const { asUser } = await signInWithOAuth(t, ada);
    await asUser.mutation(api.users.updateUserProfile, {
      name: "Ada Lovelace",
    });
    vi.setSystemTime(T0 + 60_000);
    const again = await signInWithOAuth(t, {
      ...ada,
      profile: { ...ada.profile, name: "ada-renamed" },
    });
    const { users, authUsers } = await readTables(t);
    expect(users[0]!.name).toBe("Ada Lovelace");
    expect(authUsers[0]!.full_name).toBe("Ada Lovelace");
    const me = await again.asUser.query(api.users.getCurrentUser, {});
    expect(me?.name).toBe("Ada Lovelace");
    expect(me?.lastLoginAt).toBe(T0 + 60_000);
  });

  test("an avatar the user sets wins over the provider's", async () => {
    const t = newBackend();
    const { asUser } = await signInWithOAuth(t, ada);
    await asUser.mutation(api.users.updateUserProfile, {
      image: "https://cdn.example/me.png",
    });
    await signInWithOAuth(t, {
      ...ada,
      profile: { ...ada.profile, image: "https://gh/new.png" },
    });
    const { users, authUsers } = await readTables(t);
    expect(users[0]!.image).toBe("https://cdn.example/me.png");
    expect(authUsers[0]).toMatchObject({
      avatar_url: "https://cdn.example/me.png",
      avatar_source: "user",
    });
  });

  test("an update that changes nothing writes nothing", async () => {
    const t = newBackend();
    const { asUser } = await signInWithOAuth(t, ada);
    await asUser.mutation(api.users.updateUserProfile, {
      name: "Ada",
      company: "Acme",
    });
    const before = await readTables(t);
    vi.setSystemTime(T0 + 5_000);
    await asUser.mutation(api.users.updateUserProfile, {
      name: " Ada ",
      company: "Acme",
    });
    expect(await readTables(t)).toEqual(before);
  });

  test("a field left out stays as it is on both tables: a second tab's edit of one field keeps the first tab's", async () => {
    const t = newBackend();
    const { asUser } = await signInWithOAuth(t, ada);
    await asUser.mutation(api.users.updateUserProfile, {
      name: "Ada",
      company: "Acme",
      role: "Dev",
    });
    // One tab renames; another, opened before, changes the company alone
    // (the console sends only the fields the person changed).
    await asUser.mutation(api.users.updateUserProfile, { name: "Countess" });
    const me = await asUser.mutation(api.users.updateUserProfile, {
      company: "Analytical Society",
    });
    expect(me).toMatchObject({
      name: "Countess",
      company: "Analytical Society",
      role: "Dev",
    });
    const { users, authUsers } = await readTables(t);
    expect(users[0]).toMatchObject({ name: "Countess" });
    expect(authUsers[0]).toMatchObject({
      full_name: "Countess",
      company: "Analytical Society",
      role: "Dev",
    });
  });

  test("an empty company or role clears it", async () => {
    const t = newBackend();
    const { asUser } = await signInWithOAuth(t, ada);
    await asUser.mutation(api.users.updateUserProfile, {
      company: "Acme",
      role: "Dev",
    });
    const me = await asUser.mutation(api.users.updateUserProfile, {
      company: "  ",
    });
    expect(me).toMatchObject({ company: null, role: "Dev" });
  });

  test("signed out: UNAUTHENTICATED and nothing written", async () => {
    const t = newBackend();
    await signInWithOAuth(t, ada);
    await expectRejectedWithoutWrites(
      t,
      () => t.mutation(api.users.updateUserProfile, { name: "Mallory" }),
      "UNAUTHENTICATED",
    );
  });

  test.each([
    ["an empty name", { name: "   " }],
    ["an over-long name", { name: "x".repeat(LIMITS.name + 1) }],
    ["an over-long company", { company: "c".repeat(LIMITS.company + 1) }],
    ["an over-long role", { role: "r".repeat(LIMITS.role + 1) }],
    ["a non-URL image", { image: "not a url" }],
    ["a javascript: image", { image: "javascript:alert(1)" }],
    [
      "an over-long image URL",
      { image: `https://x/${"a".repeat(LIMITS.imageUrl)}` },
    ],
  ])("%s is INVALID_ARGUMENT and nothing is written", async (_label, args) => {
    const t = newBackend();
    const { asUser } = await signInWithOAuth(t, ada);
    await expectRejectedWithoutWrites(
      t,
      // A valid field beside the bad one must not be written either.
      () =>
        asUser.mutation(api.users.updateUserProfile, { role: "ok", ...args }),
      "INVALID_ARGUMENT",
    );
  });
});

describe("getUserById", () => {
  test("accepts either table's id and follows the reference", async () => {
    const t = newBackend();
    const { userId, asUser } = await signInWithOAuth(t, ada);
    const { authUsers } = await readTables(t);
    const byUserId = await asUser.query(api.users.getUserById, { id: userId });
    const byAuthId = await asUser.query(api.users.getUserById, {
      id: authUsers[0]!._id,
    });
    expect(byUserId).toEqual(byAuthId);
    expect(byUserId).toMatchObject({
      visibility: "full",
      userId,
      email: "ada@example.com",
    });
  });

  test("others get the public profile only; administrators everything", async () => {
    const t = newBackend();
    const a = await signInWithOAuth(t, ada);
    const b = await signInWithOAuth(t, bob);
    await a.asUser.mutation(api.users.updateUserProfile, { company: "Acme" });
    const adaRowId = (await readTables(t)).authUsers.find(
      (row) => row.convex_user_id === a.userId,
    )!._id;

    const seenByBob = await b.asUser.query(api.users.getUserById, {
      id: a.userId,
    });
    expect(seenByBob).toEqual({
      visibility: "public",
      userId: a.userId,
      authUserId: adaRowId,
      name: "ada-gh",
      image: "https://gh/ada.png",
      company: "Acme",
      role: null,
    });
    expect(seenByBob).not.toHaveProperty("email");
    expect(seenByBob).not.toHaveProperty("lastLoginAt");

    await makeAdmin(t, "bob@example.com");
    const seenByAdmin = await b.asUser.query(api.users.getUserById, {
      id: a.userId,
    });
    expect(seenByAdmin).toMatchObject({
      visibility: "full",
      email: "ada@example.com",
    });
  });

  test("signed out, unknown ids and non-ids give null", async () => {
    const t = newBackend();
    const { userId, asUser } = await signInWithOAuth(t, ada);
    expect(await t.query(api.users.getUserById, { id: userId })).toBeNull();
    for (const id of ["", "nope", "x".repeat(10_000), "users|123"]) {
      expect(await asUser.query(api.users.getUserById, { id })).toBeNull();
    }
    const deletedId = await t.run(async (ctx) => {
      const id = await ctx.db.insert("auth_users", {
        created_at: 1,
        updated_at: 1,
      });
      await ctx.db.delete("auth_users", id);
      return id;
    });
    expect(
      await asUser.query(api.users.getUserById, { id: deletedId }),
    ).toBeNull();
  });

  test("joins a user and a legacy row not linked yet only as a sign-in would link them", async () => {
    const t = newBackend();
    const b = await signInWithOAuth(t, bob);
    // Data from before the sync: a legacy row, and Grace's user with the
    // same verified address, not linked yet.
    const legacyId = await insertLegacyRow(t, {
      email: "grace@example.com",
      full_name: "Grace",
    });
    const graceId = await t.run(async (ctx) =>
      ctx.db.insert("users", {
        name: "g",
        email: "grace@example.com",
        emailVerificationTime: 1,
      }),
    );
    const viaUser = await b.asUser.query(api.users.getUserById, {
      id: graceId,
    });
    expect(viaUser).toMatchObject({ authUserId: legacyId, name: "Grace" });
    const viaAuth = await b.asUser.query(api.users.getUserById, {
      id: legacyId,
    });
    expect(viaAuth).toMatchObject({ userId: graceId, authUserId: legacyId });

    // Once paired, a row whose references are lost is joined to nobody.
    const hopper = await signInWithOAuth(t, {
      providerAccountId: "gh-hopper",
      profile: { name: "h", email: "hopper@example.com" },
    });
    const hopperRow = (await readTables(t)).authUsers.find(
      (row) => row.convex_user_id === hopper.userId,
    )!;
    await t.run(async (ctx) => {
      await ctx.db.patch("users", hopper.userId, { auth_user_id: undefined });
      await ctx.db.patch("auth_users", hopperRow._id, {
        convex_user_id: undefined,
      });
    });
    expect(
      await b.asUser.query(api.users.getUserById, { id: hopper.userId }),
    ).toMatchObject({ authUserId: null });
    // The row alone is no one who signed in: others learn nothing of it.
    expect(
      await b.asUser.query(api.users.getUserById, { id: hopperRow._id }),
    ).toBeNull();
  });
});

describe("getUserByEmail", () => {
  test("finds a teammate by email, any case and spacing, as a public profile", async () => {
    const t = newBackend();
    const a = await signInWithOAuth(t, ada);
    const b = await signInWithOAuth(t, bob);
    const found = await b.asUser.query(api.users.getUserByEmail, {
      email: "  ADA@Example.com ",
    });
    expect(found).toMatchObject({
      visibility: "public",
      userId: a.userId,
      name: "ada-gh",
    });
    expect(found).not.toHaveProperty("email");
    const self = await a.asUser.query(api.users.getUserByEmail, {
      email: "Ada@example.com",
    });
    expect(self).toMatchObject({
      visibility: "full",
      email: "ada@example.com",
    });
  });

  test("finds legacy rows through auth_users for administrators only, and users without a counterpart", async () => {
    const t = newBackend();
    const b = await signInWithOAuth(t, bob);
    const root = await signInWithOAuth(t, {
      providerAccountId: "gh-root",
      profile: { name: "Root", email: "root@example.com" },
    });
    await makeAdmin(t, "root@example.com");
    const legacyId = await insertLegacyRow(t, {
      email: "old@example.com",
      full_name: "Old",
    });
    // Nobody signed in as Old: only an administrator learns of the row.
    expect(
      await b.asUser.query(api.users.getUserByEmail, {
        email: "old@example.com",
      }),
    ).toBeNull();
    expect(
      await root.asUser.query(api.users.getUserByEmail, {
        email: "old@example.com",
      }),
    ).toMatchObject({
      visibility: "full",
      authUserId: legacyId,
      userId: null,
      name: "Old",
    });

    const orphanId = await t.run(async (ctx) =>
      ctx.db.insert("users", {
        name: "Orphan",
        email: "orphan@example.com",
        emailVerificationTime: T0,
      }),
    );
    expect(
      await b.asUser.query(api.users.getUserByEmail, {
        email: "orphan@example.com",
      }),
    ).toMatchObject({ userId: orphanId, authUserId: null, name: "Orphan" });
  });

  test("an unverified claim to an address is never what others find", async () => {
    const t = newBackend();
    const a = await signInWithOAuth(t, ada);
    await signInWithOAuth(t, {
      providerAccountId: "gh-impostor",
      profile: {
        name: "Impostor",
        email: "ada@example.com",
        emailVerified: false,
      },
    });
    const b = await signInWithOAuth(t, bob);
    const found = await b.asUser.query(api.users.getUserByEmail, {
      email: "ada@example.com",
    });
    expect(found).toMatchObject({ userId: a.userId, name: "ada-gh" });
    // A claim that nobody verified is not found at all.
    await signInWithOAuth(t, {
      providerAccountId: "gh-nobody",
      profile: {
        name: "Nobody",
        email: "nobody@example.com",
        emailVerified: false,
      },
    });
    expect(
      await b.asUser.query(api.users.getUserByEmail, {
        email: "nobody@example.com",
      }),
    ).toBeNull();
  });

  test("signed out gets null; a malformed email is INVALID_ARGUMENT", async () => {
    const t = newBackend();
    const a = await signInWithOAuth(t, ada);
    expect(
      await t.query(api.users.getUserByEmail, { email: "ada@example.com" }),
    ).toBeNull();
    for (const email of [
      "",
      "no-at-sign",
      "a@b@c",
      `${"x".repeat(LIMITS.email)}@x.com`,
    ]) {
      await expectAppError(
        a.asUser.query(api.users.getUserByEmail, { email }),
        "INVALID_ARGUMENT",
      );
    }
    expect(
      await a.asUser.query(api.users.getUserByEmail, {
        email: "missing@example.com",
      }),
    ).toBeNull();
  });
});
