import { describe, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api";
import { signInOrThrow } from "./signIn.helpers";
import {
  checkConsistency,
  expectAppError,
  expectRejectedWithoutWrites,
  insertLegacyRow,
  makeAdmin,
  newBackend,
  newBackendWithFastPasswords,
  readTables,
  signInWithOAuth,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 3, 1, 8, 0, 0);

useFakeClock(T0);

/** Ada (a user), Root (an administrator), and Ada's drifted pair. */
async function setup() {
  const t = newBackend();
  const ada = await signInWithOAuth(t, {
    providerAccountId: "gh-ada",
    profile: { name: "ada-gh", email: "ada@example.com" },
  });
  await ada.asUser.mutation(api.users.updateUserProfile, { name: "Ada" });
  const root = await signInWithOAuth(t, {
    providerAccountId: "gh-root",
    profile: { name: "Root", email: "root@example.com" },
  });
  await makeAdmin(t, "root@example.com");
  const authUserId = (await readTables(t)).authUsers.find(
    (row) => row.convex_user_id === ada.userId,
  )!._id;
  // Drift, as a dashboard edit would leave it: users.name no longer the
  // chosen name, auth_users.email no longer the provider's.
  vi.setSystemTime(T0 + 1_000);
  await t.run(async (ctx) => {
    await ctx.db.patch("users", ada.userId, { name: "edited in dashboard" });
    await ctx.db.patch("auth_users", authUserId, { email: "typo@example.com" });
  });
  return { t, ada, root, authUserId };
}

describe("syncAuthUserToConvexUser / syncConvexUserToAuthUser", () => {
  test("an administrator repairs a drifted pair under the field map", async () => {
    const { t, ada, root, authUserId } = await setup();
    const result = await root.asUser.mutation(
      api.userSync.syncAuthUserToConvexUser,
      { authUserId },
    );
    expect(result).toMatchObject({
      outcome: "repaired",
      userId: ada.userId,
      rowId: authUserId,
    });
    expect(result.changes.join("\n")).toContain("email");
    const { users, authUsers } = await readTables(t);
    const user = users.find((u) => u._id === ada.userId)!;
    const row = authUsers.find((a) => a._id === authUserId)!;
    // auth_users owns the chosen name; users owns the email.
    expect(user.name).toBe("Ada");
    expect(row.email).toBe("ada@example.com");
    expect(user.updatedAt).toBe(row.updated_at);
    expect((await checkConsistency(t)).problems).toEqual([]);

    // A second sync from the other side finds nothing to do.
    const before = await readTables(t);
    const again = await root.asUser.mutation(
      api.userSync.syncConvexUserToAuthUser,
      { userId: ada.userId },
    );
    expect(again).toMatchObject({ outcome: "unchanged", changes: [] });
    expect(await readTables(t)).toEqual(before);
  });

  test("syncConvexUserToAuthUser creates a missing counterpart", async () => {
    const { t, root } = await setup();
    const orphanId = await t.run(async (ctx) =>
      ctx.db.insert("users", { name: "Orphan", email: "orphan@example.com" }),
    );
    const result = await root.asUser.mutation(
      api.userSync.syncConvexUserToAuthUser,
      { userId: orphanId },
    );
    expect(result.outcome).toBe("created");
    const { authUsers } = await readTables(t);
    expect(authUsers.find((a) => a._id === result.rowId)).toMatchObject({
      convex_user_id: orphanId,
      full_name: "Orphan",
      email: "orphan@example.com",
      email_verified: false,
    });
  });

  test("syncAuthUserToConvexUser links a legacy row to its verified user, or leaves it pending", async () => {
    const { t, root } = await setup();
    const pendingId = await insertLegacyRow(t, { email: "later@example.com" });
    expect(
      await root.asUser.mutation(api.userSync.syncAuthUserToConvexUser, {
        authUserId: pendingId,
      }),
    ).toMatchObject({ outcome: "pending", userId: null });

    const legacyId = await insertLegacyRow(t, {
      email: "cy@example.com",
      full_name: "Cy",
      company: "Legacy Co",
    });
    const cyId = await t.run(async (ctx) =>
      ctx.db.insert("users", {
        name: "cy-gh",
        email: "cy@example.com",
        emailVerificationTime: T0,
      }),
    );
    const result = await root.asUser.mutation(
      api.userSync.syncAuthUserToConvexUser,
      { authUserId: legacyId },
    );
    expect(result).toMatchObject({ outcome: "linked", userId: cyId });
    const { users } = await readTables(t);
    expect(users.find((u) => u._id === cyId)).toMatchObject({
      auth_user_id: legacyId,
      name: "Cy",
    });
  });

  test("signed out: UNAUTHENTICATED; a non-administrator: FORBIDDEN; nothing written", async () => {
    const { t, ada, authUserId } = await setup();
    await expectRejectedWithoutWrites(
      t,
      () => t.mutation(api.userSync.syncAuthUserToConvexUser, { authUserId }),
      "UNAUTHENTICATED",
    );
    await expectRejectedWithoutWrites(
      t,
      () =>
        ada.asUser.mutation(api.userSync.syncAuthUserToConvexUser, {
          authUserId,
        }),
      "FORBIDDEN",
    );
    await expectRejectedWithoutWrites(
      t,
      () =>
        ada.asUser.mutation(api.userSync.syncConvexUserToAuthUser, {
          userId: ada.userId,
        }),
      "FORBIDDEN",
    );
  });

  test("bad ids are INVALID_ARGUMENT, missing rows NOT_FOUND", async () => {
    const { t, root, ada, authUserId } = await setup();
    for (const authUserId of ["", "nope", ada.userId]) {
      await expectRejectedWithoutWrites(
        t,
        () =>
          root.asUser.mutation(api.userSync.syncAuthUserToConvexUser, {
            authUserId,
          }),
        "INVALID_ARGUMENT",
      );
    }
    await t.run(async (ctx) => ctx.db.delete("auth_users", authUserId));
    await expectRejectedWithoutWrites(
      t,
      () =>
        root.asUser.mutation(api.userSync.syncAuthUserToConvexUser, {
          authUserId,
        }),
      "NOT_FOUND",
    );
  });
});

describe("operator commands (internal)", () => {
  test("syncUser takes exactly one id", async () => {
    const { t, ada, authUserId } = await setup();
    await expectAppError(
      t.mutation(internal.userSync.syncUser, {}),
      "INVALID_ARGUMENT",
    );
    await expectAppError(
      t.mutation(internal.userSync.syncUser, {
        userId: ada.userId,
        authUserId,
      }),
      "INVALID_ARGUMENT",
    );
    const result = await t.mutation(internal.userSync.syncUser, {
      userId: ada.userId,
    });
    expect(result.outcome).toBe("repaired");
    expect((await checkConsistency(t)).problems).toEqual([]);
  });

  test("getUserByEmail finds a user through either table, in full", async () => {
    const { t, ada } = await setup();
    const found = await t.query(internal.userSync.getUserByEmail, {
      email: " ADA@example.com",
    });
    expect(found).toMatchObject({
      visibility: "full",
      userId: ada.userId,
      name: "Ada",
    });
    await expectAppError(
      t.query(internal.userSync.getUserByEmail, { email: "nope" }),
      "INVALID_ARGUMENT",
    );
  });

  test("administrator rights come from admin:setAdmin only", async () => {
    const { t, ada } = await setup();
    // No public function takes the flag.
    await expect(
      ada.asUser.mutation(api.users.updateUserProfile, {
        isAdmin: true,
      } as never),
    ).rejects.toThrow();
    expect(
      (await ada.asUser.query(api.users.getCurrentUser, {}))?.isAdmin,
    ).toBe(false);
    await expectAppError(
      t.mutation(internal.admin.setAdmin, {
        email: "nobody@example.com",
        isAdmin: true,
      }),
      "NOT_FOUND",
    );
    await makeAdmin(t, "ada@example.com");
    expect(
      (await ada.asUser.query(api.users.getCurrentUser, {}))?.isAdmin,
    ).toBe(true);
  });

  test("a password-only operator names the first administrator by id, found with operators:findUser", async () => {
    const t = newBackendWithFastPasswords();
    const eve = await signInOrThrow(t, "password", {
      email: "eve@example.com",
      password: "correct horse battery",
      flow: "signUp",
    });
    // A password sign-up's address is unverified: it names nobody.
    await expectRejectedWithoutWrites(
      t,
      () =>
        t.mutation(internal.admin.setAdmin, {
          email: "eve@example.com",
          isAdmin: true,
        }),
      "NOT_FOUND",
    );
    const { candidates } = await t.query(internal.operators.findUser, {
      email: "eve@example.com",
    });
    expect(candidates).toMatchObject([
      { userId: eve.userId, emailVerified: false, signInMethods: ["password"] },
    ]);
    await t.mutation(internal.admin.setAdmin, {
      id: candidates[0]!.userId!,
      isAdmin: true,
    });
    expect(
      (await eve.asUser.query(api.users.getCurrentUser, {}))?.isAdmin,
    ).toBe(true);
    await expectAppError(
      t.mutation(internal.admin.setAdmin, {
        id: eve.userId,
        email: "eve@example.com",
        isAdmin: false,
      }),
      "INVALID_ARGUMENT",
    );
  });
});
