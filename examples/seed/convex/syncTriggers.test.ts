import { makeFunctionReference } from "convex/server";
import { describe, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import {
  type Backend,
  checkConsistency,
  insertLegacyRow,
  newBackendWithAppCode,
  readTables,
  signInWithOAuth,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 5, 1, 10, 0, 0);

useFakeClock(T0);

// The test-only app module (convex/appWrites.helpers.ts).
const appWrites = {
  insertUser: makeFunctionReference<"mutation">("appWrites:insertUser"),
  insertAuthUser: makeFunctionReference<"mutation">("appWrites:insertAuthUser"),
  patchUser: makeFunctionReference<"mutation">("appWrites:patchUser"),
  replaceAuthUser: makeFunctionReference<"mutation">(
    "appWrites:replaceAuthUser",
  ),
};

const ada = {
  providerAccountId: "gh-ada",
  profile: { name: "ada-gh", email: "ada@example.com", image: "https://gh/1" },
};

async function pairOf(t: Backend, userId: Id<"users">) {
  const { users, authUsers } = await readTables(t);
  const user = users.find((u) => u._id === userId)!;
  const authUser = authUsers.find((a) => a.convex_user_id === userId)!;
  expect(user.auth_user_id).toBe(authUser._id);
  return { user, authUser };
}

describe("app writes converge in the same transaction", () => {
  test("an app edit of users.name becomes the chosen name on both sides", async () => {
    const t = newBackendWithAppCode();
    const { userId } = await signInWithOAuth(t, ada);
    vi.setSystemTime(T0 + 1_000);
    await t.mutation(internal.admin.editUser, { userId, name: "Ada L." });
    let { user, authUser } = await pairOf(t, userId);
    expect(authUser).toMatchObject({
      full_name: "Ada L.",
      name_source: "user",
      updated_at: T0 + 1_000,
    });
    expect(user.updatedAt).toBe(T0 + 1_000);

    // And it survives the provider's next sign-in.
    await signInWithOAuth(t, {
      ...ada,
      profile: { ...ada.profile, name: "renamed" },
    });
    ({ user, authUser } = await pairOf(t, userId));
    expect(user.name).toBe("Ada L.");
    expect(authUser.full_name).toBe("Ada L.");
    expect((await checkConsistency(t)).problems).toEqual([]);
  });

  test("an app edit of auth_users reaches users; a replace too", async () => {
    const t = newBackendWithAppCode();
    const { userId } = await signInWithOAuth(t, ada);
    const { authUser } = await pairOf(t, userId);
    await t.mutation(internal.admin.editAuthUser, {
      authUserId: authUser._id,
      full_name: "Countess",
      company: "Engines",
    });
    let pair = await pairOf(t, userId);
    expect(pair.user.name).toBe("Countess");
    expect(pair.authUser).toMatchObject({
      company: "Engines",
      name_source: "user",
    });

    await t.mutation(appWrites.replaceAuthUser, {
      id: authUser._id,
      full_name: "Replaced",
    });
    pair = await pairOf(t, userId);
    expect(pair.user.name).toBe("Replaced");
    expect(pair.authUser.company).toBe("Engines");
    expect((await checkConsistency(t)).problems).toEqual([]);
  });

  test("identity fields stay the provider's: an app edit of them on users flows out", async () => {
    const t = newBackendWithAppCode();
    const { userId } = await signInWithOAuth(t, ada);
    await t.mutation(appWrites.patchUser, {
      id: userId,
      fields: { email: "Ada.New@Example.com" },
    });
    const { authUser } = await pairOf(t, userId);
    expect(authUser.email).toBe("ada.new@example.com");
  });

  test("app inserts are paired: a users row gets a counterpart, an auth_users row links", async () => {
    const t = newBackendWithAppCode();
    const userId = (await t.mutation(appWrites.insertUser, {
      name: "Imported",
      email: "imp@example.com",
      emailVerificationTime: T0,
    })) as Id<"users">;
    const { authUser } = await pairOf(t, userId);
    expect(authUser).toMatchObject({
      full_name: "Imported",
      email_verified: true,
    });

    const lone = (await t.mutation(appWrites.insertUser, {
      name: "Lone",
    })) as Id<"users">;
    await t.run(async (ctx) => {
      // Out of band: drop Lone's pair so the next app insert can link to it.
      const row = await ctx.db
        .query("auth_users")
        .withIndex("by_convex_user_id", (q) => q.eq("convex_user_id", lone))
        .unique();
      await ctx.db.delete("auth_users", row!._id);
      await ctx.db.patch("users", lone, {
        auth_user_id: undefined,
        email: "lone@example.com",
        emailVerificationTime: T0,
      });
    });
    const rowId = (await t.mutation(appWrites.insertAuthUser, {
      email: "lone@example.com",
      company: "Lone Co",
    })) as Id<"auth_users">;
    const pair = await pairOf(t, lone);
    expect(pair.authUser._id).toBe(rowId);
    expect((await checkConsistency(t)).problems).toEqual([]);
  });

  test("a write that changes nothing writes nothing", async () => {
    const t = newBackendWithAppCode();
    const { userId } = await signInWithOAuth(t, ada);
    const { authUser } = await pairOf(t, userId);
    await t.mutation(internal.admin.editAuthUser, {
      authUserId: authUser._id,
      company: "Engines",
    });
    const before = await readTables(t);
    vi.setSystemTime(T0 + 60_000);
    await t.mutation(internal.admin.editAuthUser, {
      authUserId: authUser._id,
      company: "Engines",
    });
    expect(await readTables(t)).toEqual(before);
  });
});

describe("the seed's additional sync triggers", () => {
  test("a changed provider avatar propagates; an app-set avatar then wins", async () => {
    const t = newBackendWithAppCode();
    const { userId } = await signInWithOAuth(t, ada);
    await signInWithOAuth(t, {
      ...ada,
      profile: { ...ada.profile, image: "https://gh/2" },
    });
    expect((await pairOf(t, userId)).authUser.avatar_url).toBe("https://gh/2");

    await t.mutation(internal.admin.editUser, {
      userId,
      image: "https://cdn/mine.png",
    });
    await signInWithOAuth(t, {
      ...ada,
      profile: { ...ada.profile, image: "https://gh/3" },
    });
    const { user, authUser } = await pairOf(t, userId);
    expect(authUser).toMatchObject({
      avatar_url: "https://cdn/mine.png",
      avatar_source: "user",
    });
    expect(user.image).toBe("https://cdn/mine.png");
  });

  test("email verification: Convex Auth's write (callback) and an app write (trigger) agree", async () => {
    const unverified = { ...ada.profile, emailVerified: false };
    // 1. Through Convex Auth: sign in unverified, then verified.
    const viaAuth = newBackendWithAppCode();
    const a = await signInWithOAuth(viaAuth, { ...ada, profile: unverified });
    expect((await pairOf(viaAuth, a.userId)).authUser.email_verified).toBe(
      false,
    );
    await signInWithOAuth(viaAuth, ada);
    // 2. Through app code: sign in unverified, then an administrator marks
    //    the email verified.
    const viaApp = newBackendWithAppCode();
    const b = await signInWithOAuth(viaApp, { ...ada, profile: unverified });
    await viaApp.mutation(internal.admin.editUser, {
      userId: b.userId,
      emailVerified: true,
    });
    const project = async (t: Backend, userId: Id<"users">) => {
      const { user, authUser } = await pairOf(t, userId);
      return {
        verified: user.emailVerificationTime !== undefined,
        email_verified: authUser.email_verified,
        email: authUser.email,
        full_name: authUser.full_name,
        name_source: authUser.name_source,
      };
    };
    expect(await project(viaAuth, a.userId)).toEqual(
      await project(viaApp, b.userId),
    );
    expect((await project(viaApp, b.userId)).email_verified).toBe(true);
  });

  test("a status change on either table reaches the other; suspending ends sessions", async () => {
    const t = newBackendWithAppCode();
    const { userId, asUser } = await signInWithOAuth(t, ada);
    const { authUser } = await pairOf(t, userId);
    await t.mutation(internal.admin.editAuthUser, {
      authUserId: authUser._id,
      status: "suspended",
    });
    expect((await pairOf(t, userId)).user.status).toBe("suspended");
    const sessions = await t.run(async (ctx) =>
      ctx.db
        .query("authSessions")
        .withIndex("userId", (q) => q.eq("userId", userId))
        .collect(),
    );
    expect(sessions).toEqual([]);
    expect(await asUser.query(api.users.getCurrentUser, {})).toBeNull();
    await t.mutation(internal.admin.editUser, { userId, status: "active" });
    expect((await pairOf(t, userId)).authUser.status).toBe("active");
  });
});

describe("deleting either row in app code deletes the account", () => {
  test.each(["users", "auth_users"] as const)(
    "deleting the %s row",
    async (table) => {
      const t = newBackendWithAppCode();
      const { userId } = await signInWithOAuth(t, ada);
      const keep = await signInWithOAuth(t, {
        providerAccountId: "gh-bob",
        profile: { name: "Bob", email: "bob@example.com" },
      });
      const { authUser } = await pairOf(t, userId);
      await t.mutation(internal.admin.deleteRecord, {
        id: table === "users" ? userId : authUser._id,
      });
      const left = await t.run(async (ctx) => ({
        users: await ctx.db.query("users").collect(),
        authUsers: await ctx.db.query("auth_users").collect(),
        templates: await ctx.db.query("starter_templates").collect(),
        accounts: await ctx.db.query("authAccounts").collect(),
        sessions: await ctx.db.query("authSessions").collect(),
      }));
      expect(left.users.map((u) => u._id)).toEqual([keep.userId]);
      expect(left.authUsers.map((a) => a.convex_user_id)).toEqual([
        keep.userId,
      ]);
      expect(
        left.templates.every((tpl) => tpl.owner_id === left.authUsers[0]!._id),
      ).toBe(true);
      expect(left.accounts.map((a) => a.userId)).toEqual([keep.userId]);
      expect(left.sessions.map((s) => s.userId)).toEqual([keep.userId]);
      expect(
        await keep.asUser.query(api.users.getCurrentUser, {}),
      ).not.toBeNull();
    },
  );
});

describe("legacy data and app writes", () => {
  test("an app insert of a legacy row is linked at the owner's sign-in", async () => {
    const t = newBackendWithAppCode();
    const rowId = await insertLegacyRow(t, {
      email: "ada@example.com",
      company: "X",
    });
    const { userId } = await signInWithOAuth(t, ada);
    expect((await pairOf(t, userId)).authUser._id).toBe(rowId);
  });
});
