import { describe, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import schema from "./schema";
import { signInOrThrow } from "./signIn.helpers";
import { STARTER_TEMPLATES } from "./starterTemplates";
import {
  type Backend,
  checkConsistency,
  expectAppError,
  newBackend,
  newBackendWithFastPasswords,
  readTables,
  signInWithOAuth,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 6, 1, 9, 0, 0);

useFakeClock(T0);

const ada = {
  providerAccountId: "gh-ada",
  profile: { name: "Ada", email: "ada@example.com" },
};
const bob = {
  providerAccountId: "gh-bob",
  profile: { name: "Bob", email: "bob@example.com" },
};

/** Every row of Convex Auth's and the app's tables that names this user. */
async function traces(t: Backend, userId: Id<"users">) {
  return await t.run(async (ctx) => {
    const accounts = await ctx.db
      .query("authAccounts")
      .withIndex("userIdAndProvider", (q) => q.eq("userId", userId))
      .collect();
    const sessions = await ctx.db
      .query("authSessions")
      .withIndex("userId", (q) => q.eq("userId", userId))
      .collect();
    const codes = [];
    for (const account of accounts) {
      codes.push(
        ...(await ctx.db
          .query("authVerificationCodes")
          .withIndex("accountId", (q) => q.eq("accountId", account._id))
          .collect()),
      );
    }
    const tokens = [];
    for (const session of sessions) {
      tokens.push(
        ...(await ctx.db
          .query("authRefreshTokens")
          .withIndex("sessionId", (q) => q.eq("sessionId", session._id))
          .collect()),
      );
    }
    const authUsers = await ctx.db
      .query("auth_users")
      .withIndex("by_convex_user_id", (q) => q.eq("convex_user_id", userId))
      .collect();
    const templates = [];
    for (const row of authUsers) {
      templates.push(
        ...(await ctx.db
          .query("starter_templates")
          .withIndex("by_owner_id_and_key", (q) => q.eq("owner_id", row._id))
          .collect()),
      );
    }
    return {
      user: await ctx.db.get("users", userId),
      authUsers,
      templates,
      accounts,
      sessions,
      codes,
      tokens,
    };
  });
}

/** Every table a sign-in writes, but the PKCE verifiers of its first step. */
async function signInState(t: Backend) {
  return await t.run(async (ctx) => ({
    users: await ctx.db.query("users").collect(),
    authUsers: await ctx.db.query("auth_users").collect(),
    accounts: await ctx.db.query("authAccounts").collect(),
    sessions: await ctx.db.query("authSessions").collect(),
    codes: await ctx.db.query("authVerificationCodes").collect(),
  }));
}

describe("users:deleteAccount", () => {
  test("removes everything of the account; the same identity then signs up afresh", async () => {
    const t = newBackend();
    const first = await signInWithOAuth(t, ada);
    const other = await signInWithOAuth(t, bob);
    expect((await traces(t, first.userId)).accounts).toHaveLength(1);

    await first.asUser.mutation(api.users.deleteAccount, {});
    expect(await traces(t, first.userId)).toEqual({
      user: null,
      authUsers: [],
      templates: [],
      accounts: [],
      sessions: [],
      codes: [],
      tokens: [],
    });
    // Bob is untouched.
    expect((await traces(t, other.userId)).authUsers).toHaveLength(1);
    expect(await first.asUser.query(api.users.getCurrentUser, {})).toBeNull();

    vi.setSystemTime(T0 + 1_000);
    const again = await signInWithOAuth(t, ada);
    expect(again.userId).not.toBe(first.userId);
    const fresh = await traces(t, again.userId);
    expect(fresh.authUsers).toHaveLength(1);
    expect(fresh.authUsers[0]).toMatchObject({
      created_at: T0 + 1_000,
      full_name: "Ada",
    });
    expect(fresh.templates).toHaveLength(STARTER_TEMPLATES.length);
    expect((await checkConsistency(t)).problems).toEqual([]);
  });

  test("signed out: UNAUTHENTICATED", async () => {
    const t = newBackend();
    await signInWithOAuth(t, ada);
    await expectAppError(
      t.mutation(api.users.deleteAccount, {}),
      "UNAUTHENTICATED",
    );
    expect((await readTables(t)).users).toHaveLength(1);
  });

  test("the operator variant deletes by id", async () => {
    const t = newBackend();
    const a = await signInWithOAuth(t, ada);
    const b = await signInWithOAuth(t, bob);
    const result = await t.mutation(internal.admin.deleteAccount, {
      id: a.userId,
    });
    expect(result.deleted).toBeGreaterThan(5);
    expect((await traces(t, a.userId)).user).toBeNull();
    await t.mutation(internal.admin.deleteAccount, { id: b.userId });
    expect((await traces(t, b.userId)).user).toBeNull();
    await expectAppError(
      t.mutation(internal.admin.deleteAccount, { id: a.userId }),
      "NOT_FOUND",
    );
    await expectAppError(
      t.mutation(internal.admin.deleteAccount, {}),
      "INVALID_ARGUMENT",
    );
  });
});

/** The id of every document of every table of the schema. */
async function everyDocumentId(t: Backend): Promise<string[]> {
  return await t.run(async (ctx) => {
    const ids: string[] = [];
    for (const table of Object.keys(schema.tables)) {
      for (const doc of await ctx.db.query(table as "users").collect()) {
        ids.push(doc._id);
      }
    }
    return ids;
  });
}

describe("the count a deletion reports", () => {
  test("is the number of documents that disappear, sessions and refresh tokens included", async () => {
    const t = newBackendWithFastPasswords();
    const credentials = {
      email: "ada@example.com",
      password: "correct horse battery",
    };
    await signInOrThrow(t, "password", { ...credentials, flow: "signUp" });
    // A second sign-in: a second session, with its own refresh token.
    const ada = await signInOrThrow(t, "password", {
      ...credentials,
      flow: "signIn",
    });
    await signInWithOAuth(t, bob);
    const mine = await traces(t, ada.userId);
    expect(mine.sessions).toHaveLength(2);
    expect(mine.tokens).toHaveLength(2);
    const before = await everyDocumentId(t);

    const result = await t.mutation(internal.admin.deleteAccount, {
      id: ada.userId,
    });

    const after = new Set(await everyDocumentId(t));
    const gone = before.filter((id) => !after.has(id));
    expect(await traces(t, ada.userId)).toMatchObject({
      sessions: [],
      tokens: [],
    });
    expect(result.deleted).toBe(gone.length);
  });
});

describe("account status", () => {
  test("suspending ends sessions, hides the user from their own token, and refuses sign-in without a write", async () => {
    const t = newBackend();
    const { userId, asUser } = await signInWithOAuth(t, ada);
    await t.mutation(internal.admin.setStatus, {
      email: "ada@example.com",
      status: "suspended",
    });

    // 1. Both tables say so; sessions are gone.
    const { users, authUsers } = await readTables(t);
    expect(users[0]!.status).toBe("suspended");
    expect(authUsers[0]!.status).toBe("suspended");
    expect((await traces(t, userId)).sessions).toEqual([]);

    // 2. A token that outlives its session reads nothing, changes nothing.
    expect(await asUser.query(api.users.getCurrentUser, {})).toBeNull();
    await expectAppError(
      asUser.mutation(api.users.updateUserProfile, { name: "X" }),
      "FORBIDDEN",
    );

    // 3. The next sign-in is refused when its session would be created: no
    //    session, and the sync writes nothing (the provider's answer reached
    //    Convex Auth's own users row and code first).
    const before = await signInState(t);
    vi.setSystemTime(T0 + 5_000);
    await expectAppError(
      signInWithOAuth(t, { ...ada, profile: { ...ada.profile, name: "New" } }),
      "FORBIDDEN",
    );
    const after = await signInState(t);
    expect(after.sessions).toEqual([]);
    expect(after.authUsers).toEqual(before.authUsers);
    expect(after.accounts).toEqual(before.accounts);
  });

  test("reactivating lets the user sign in again", async () => {
    const t = newBackend();
    const { userId } = await signInWithOAuth(t, ada);
    await t.mutation(internal.admin.setStatus, {
      id: userId,
      status: "suspended",
    });
    await t.mutation(internal.admin.setStatus, {
      id: userId,
      status: "active",
    });
    const again = await signInWithOAuth(t, ada);
    expect(again.userId).toBe(userId);
    expect(
      await again.asUser.query(api.users.getCurrentUser, {}),
    ).toMatchObject({
      status: "active",
    });
    expect((await checkConsistency(t)).problems).toEqual([]);
  });

  test("status commands check their arguments", async () => {
    const t = newBackend();
    await expectAppError(
      t.mutation(internal.admin.setStatus, { status: "suspended" }),
      "INVALID_ARGUMENT",
    );
    await expectAppError(
      t.mutation(internal.admin.setStatus, {
        email: "nobody@example.com",
        status: "suspended",
      }),
      "NOT_FOUND",
    );
  });
});
