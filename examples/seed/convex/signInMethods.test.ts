/**
 * Every sign-in method, through Convex Auth's real `auth:signIn` flows with
 * only Resend's API (and the OAuth providers' answers) stubbed: when the pair
 * is made, when the login is stamped, when templates are provisioned, how
 * verification is decided, how suspension is enforced.
 */
import { makeFunctionReference } from "convex/server";
import { describe, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import {
  captureEmails,
  codeIn,
  refresh,
  requestCode,
  signInAction,
  signInOrThrow,
  signInViaOAuth,
  signUpWithCode,
  startOAuthSignIn,
  redeemOAuthCode,
} from "./signIn.helpers";
import { STARTER_TEMPLATES } from "./starterTemplates";
import {
  type Backend,
  checkConsistency,
  expectAppError,
  insertLegacyRow,
  newBackend,
  newBackendWithAppCode,
  QUARTER_LIMITS,
  readTables,
  runDueFunctions,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);

useFakeClock(T0);

const PASSWORD = "correct horse battery";

/** The pair of a user, with the invariant checked on the whole deployment. */
async function pairOf(t: Backend, userId: Id<"users">) {
  const tables = await readTables(t);
  expect((await checkConsistency(t)).problems).toEqual([]);
  const user = tables.users.find((u) => u._id === userId)!;
  const row = tables.authUsers.find((a) => a._id === user.auth_user_id);
  return { user, row, tables };
}

async function sessionsOf(t: Backend, userId: Id<"users">) {
  return await t.run(async (ctx) =>
    ctx.db
      .query("authSessions")
      .withIndex("userId", (q) => q.eq("userId", userId))
      .collect(),
  );
}

describe("password", () => {
  test("sign-up completes a sign-in: pair, login on both tables, templates; the address is unverified", async () => {
    const t = newBackend();
    const legacy = await insertLegacyRow(t, { email: "ada@example.com" });
    const ada = await signInOrThrow(t, "password", {
      email: " Ada@Example.com",
      password: PASSWORD,
      flow: "signUp",
    });
    const { user, row, tables } = await pairOf(t, ada.userId);
    expect(user).toMatchObject({ email: "ada@example.com", lastLoginAt: T0 });
    expect(user.emailVerificationTime).toBeUndefined();
    expect(user.pendingFirstSignIn).toBeUndefined();
    expect(row).toMatchObject({ last_login_at: T0, email_verified: false });
    expect(row!._id).not.toBe(legacy);
    expect(tables.templates).toHaveLength(STARTER_TEMPLATES.length);
    // A password proves nothing about the address: the legacy row waits.
    expect(tables.reviews).toEqual([
      expect.objectContaining({ kind: "unverified_email_match" }),
    ]);
  });

  test("a returning sign-in stamps the login on both tables with one timestamp, nothing else", async () => {
    const t = newBackend();
    const ada = await signInOrThrow(t, "password", {
      email: "ada@example.com",
      password: PASSWORD,
      flow: "signUp",
    });
    vi.setSystemTime(T0 + 60_000);
    const again = await signInOrThrow(t, "password", {
      email: "ADA@example.com",
      password: PASSWORD,
      flow: "signIn",
    });
    expect(again.userId).toBe(ada.userId);
    const { user, row, tables } = await pairOf(t, ada.userId);
    expect(user.lastLoginAt).toBe(T0 + 60_000);
    expect(row!.last_login_at).toBe(T0 + 60_000);
    expect(row!.updated_at).toBe(T0);
    expect(tables.templates).toHaveLength(STARTER_TEMPLATES.length);
    // A wrong password writes nothing of the sync's.
    await expect(
      signInAction(t, "password", {
        email: "ada@example.com",
        password: "wrong password",
        flow: "signIn",
      }),
    ).rejects.toThrow();
    expect((await pairOf(t, ada.userId)).row).toEqual(row);
  });
});

describe("password with a code (password-code)", () => {
  test("sign-up alone links and provisions nothing; the entered code verifies, links the legacy row and signs in", async () => {
    const t = newBackend();
    const legacy = await insertLegacyRow(t, {
      email: "grace@example.com",
      full_name: "Grace Hopper",
      company: "US Navy",
    });
    // 1. Sign-up: a code is sent, no session, no pair.
    const { result, emails } = await captureEmails(() =>
      signInAction(t, "password-code", {
        email: "grace@example.com",
        password: PASSWORD,
        flow: "signUp",
      }),
    );
    expect(result).toBeNull();
    expect(emails).toHaveLength(1);
    let tables = await readTables(t);
    expect(tables.users).toHaveLength(1);
    expect(tables.users[0]).toMatchObject({ pendingFirstSignIn: true });
    expect(tables.authUsers.map((row) => row._id)).toEqual([legacy]);
    expect(tables.templates).toEqual([]);
    expect(tables.reviews).toEqual([]);
    // 2. The code from the email: verified, linked, signed in.
    vi.setSystemTime(T0 + 30_000);
    const grace = await signInOrThrow(t, "password-code", {
      email: "grace@example.com",
      code: codeIn(emails[0]!),
      flow: "email-verification",
    });
    const { user, row } = await pairOf(t, grace.userId);
    expect(row!._id).toBe(legacy);
    expect(user.emailVerificationTime).toBeDefined();
    expect(row).toMatchObject({
      company: "US Navy",
      full_name: "Grace Hopper",
      email_verified: true,
      last_login_at: T0 + 30_000,
    });
    tables = await readTables(t);
    expect(tables.authUsers).toHaveLength(1);
    expect(tables.templates).toHaveLength(STARTER_TEMPLATES.length);
    // 3. Later sign-ins take the password alone.
    vi.setSystemTime(T0 + 60_000);
    const again = await signInOrThrow(t, "password-code", {
      email: "grace@example.com",
      password: PASSWORD,
      flow: "signIn",
    });
    expect((await pairOf(t, again.userId)).row!.last_login_at).toBe(
      T0 + 60_000,
    );
  });

  test("a password reset by code signs in and keeps the pair", async () => {
    const t = newBackend();
    const ada = await signUpWithCode(t, "ada@example.com", PASSWORD);
    const before = await pairOf(t, ada.userId);
    const code = await requestCode(t, "password-code", {
      email: "ada@example.com",
      flow: "reset",
    });
    vi.setSystemTime(T0 + 5_000);
    const reset = await signInOrThrow(t, "password-code", {
      email: "ada@example.com",
      code,
      newPassword: "a brand new secret",
      flow: "reset-verification",
    });
    expect(reset.userId).toBe(ada.userId);
    const after = await pairOf(t, ada.userId);
    expect(after.row!._id).toBe(before.row!._id);
    expect(after.row!.last_login_at).toBe(T0 + 5_000);
  });
});

describe("emailed code (resend-otp) and magic link (resend)", () => {
  test.each([
    ["resend-otp", (code: string) => ({ email: "kim@example.com", code })],
    ["resend", (code: string) => ({ code })],
  ] as const)(
    "%s: requested is not signed in; redeemed is",
    async (provider, redeem) => {
      const t = newBackend();
      const legacy = await insertLegacyRow(t, {
        email: "kim@example.com",
        company: "Kim's",
      });
      // 1. Requested: a user awaiting its first sign-in, nothing else.
      const code = await requestCode(t, provider, { email: "kim@example.com" });
      let tables = await readTables(t);
      expect(tables.users).toEqual([
        expect.objectContaining({ pendingFirstSignIn: true }),
      ]);
      expect(tables.users[0]!.lastLoginAt).toBeUndefined();
      expect(tables.authUsers.map((row) => row._id)).toEqual([legacy]);
      expect(tables.templates).toEqual([]);
      // The drift report does not count it; a migration provisions nothing.
      const report = await t.action(internal.driftReport.summary, {});
      expect(report.consistent).toBe(true);
      expect(report.users.findings).toEqual([
        expect.objectContaining({ kind: "awaiting_sign_in", count: 1 }),
      ]);
      await t.mutation(internal.migrations.syncUserTables.syncUserTables, {});
      await runDueFunctions(t);
      expect(await readTables(t)).toEqual(tables);
      // 2. Redeemed: the address is proven; the legacy row is the user's.
      vi.setSystemTime(T0 + 10_000);
      const kim = await signInOrThrow(
        t,
        provider === "resend-otp" ? provider : undefined,
        redeem(code),
      );
      const { user, row } = await pairOf(t, kim.userId);
      expect(row!._id).toBe(legacy);
      expect(user.pendingFirstSignIn).toBeUndefined();
      expect(row).toMatchObject({
        email_verified: true,
        last_login_at: T0 + 10_000,
        company: "Kim's",
      });
      tables = await readTables(t);
      expect(tables.templates).toHaveLength(STARTER_TEMPLATES.length);
    },
  );

  test("a code requested for someone else's existing account changes nothing of it", async () => {
    const t = newBackend();
    const kim = await signInViaOAuth(t, "github", {
      id: 1,
      login: "kim",
      email: null,
      emails: [{ email: "kim@example.com", primary: true, verified: true }],
    });
    const before = await readTables(t);
    await requestCode(t, "resend-otp", { email: "kim@example.com" });
    const after = await readTables(t);
    expect(after.users).toEqual(before.users);
    expect(after.authUsers).toEqual(before.authUsers);
    expect(await kim.asUser.query(api.users.getCurrentUser, {})).toMatchObject({
      emailVerified: true,
      lastLoginAt: T0,
    });
  });
});

describe("anonymous", () => {
  test("a guest gets a consistent pair without email, no templates, no legacy row", async () => {
    const t = newBackend();
    await insertLegacyRow(t, { company: "No email legacy" });
    const guest = await signInOrThrow(t, "anonymous", {});
    const { user, row, tables } = await pairOf(t, guest.userId);
    expect(user).toMatchObject({ isAnonymous: true, lastLoginAt: T0 });
    expect(row).toMatchObject({ last_login_at: T0 });
    expect(row!.email).toBeUndefined();
    expect(tables.templates).toEqual([]);
    // Each anonymous sign-in is a new guest.
    const other = await signInOrThrow(t, "anonymous", {});
    expect(other.userId).not.toBe(guest.userId);
    expect((await checkConsistency(t)).problems).toEqual([]);
  });
});

describe("suspension, on every method", () => {
  test("password: sign-in, signing up again, and a session before it", async () => {
    const t = newBackend();
    const ada = await signInOrThrow(t, "password", {
      email: "ada@example.com",
      password: PASSWORD,
      flow: "signUp",
    });
    await t.mutation(internal.admin.setStatus, {
      id: ada.userId,
      status: "suspended",
    });
    expect(await sessionsOf(t, ada.userId)).toEqual([]);
    for (const flow of ["signIn", "signUp"]) {
      await expectAppError(
        signInAction(t, "password", {
          email: "ada@example.com",
          password: PASSWORD,
          flow,
        }),
        "FORBIDDEN",
      );
    }
    expect(await sessionsOf(t, ada.userId)).toEqual([]);
    // The refresh token of the ended session renews nothing.
    expect(await refresh(t, ada.refreshToken)).toBeNull();
  });

  test("password-code: a verified sign-in, and a code issued before the suspension", async () => {
    const t = newBackend();
    const ada = await signUpWithCode(t, "ada@example.com", PASSWORD);
    const resetCode = await requestCode(t, "password-code", {
      email: "ada@example.com",
      flow: "reset",
    });
    await t.mutation(internal.admin.setStatus, {
      id: ada.userId,
      status: "suspended",
    });
    await expectAppError(
      signInAction(t, "password-code", {
        email: "ada@example.com",
        password: PASSWORD,
        flow: "signIn",
      }),
      "FORBIDDEN",
    );
    await expect(
      signInAction(t, "password-code", {
        email: "ada@example.com",
        code: resetCode,
        newPassword: "another new secret",
        flow: "reset-verification",
      }),
    ).rejects.toThrow();
    expect(await sessionsOf(t, ada.userId)).toEqual([]);
  });

  test("codes and links: issued before the suspension, or after it", async () => {
    const t = newBackend();
    const kim = await signInOrThrow(t, "resend-otp", {
      email: "kim@example.com",
      code: await requestCode(t, "resend-otp", { email: "kim@example.com" }),
    });
    const early = await requestCode(t, "resend-otp", {
      email: "kim@example.com",
    });
    const earlyLink = await requestCode(t, "resend", {
      email: "kim@example.com",
    });
    await t.mutation(internal.admin.setStatus, {
      id: kim.userId,
      status: "suspended",
    });
    await expect(
      signInAction(t, "resend-otp", { email: "kim@example.com", code: early }),
    ).rejects.toThrow();
    expect(await signInAction(t, undefined, { code: earlyLink })).toBeNull();
    const late = await requestCode(t, "resend-otp", {
      email: "kim@example.com",
    });
    await expectAppError(
      signInAction(t, "resend-otp", { email: "kim@example.com", code: late }),
      "FORBIDDEN",
    );
    expect(await sessionsOf(t, kim.userId)).toEqual([]);
  });

  test("a user suspended before redeeming its first code never gets a session", async () => {
    const t = newBackend();
    const code = await requestCode(t, "resend-otp", {
      email: "new@example.com",
    });
    const [user] = (await readTables(t)).users;
    await t.mutation(internal.admin.setStatus, {
      id: user!._id,
      status: "suspended",
    });
    expect((await readTables(t)).users[0]).toMatchObject({
      status: "suspended",
    });
    const fresh = await requestCode(t, "resend-otp", {
      email: "new@example.com",
    });
    expect(code).not.toBe(fresh);
    await expectAppError(
      signInAction(t, "resend-otp", { email: "new@example.com", code: fresh }),
      "FORBIDDEN",
    );
    expect((await readTables(t)).authUsers).toEqual([]);
  });
});

describe("sessions after sign-in", () => {
  test("refreshing a token and signing out leave the pair as it was", async () => {
    const t = newBackend();
    const ada = await signInOrThrow(t, "password", {
      email: "ada@example.com",
      password: PASSWORD,
      flow: "signUp",
    });
    const before = await pairOf(t, ada.userId);
    vi.setSystemTime(T0 + 60_000);
    const renewed = await refresh(t, ada.refreshToken);
    expect(renewed).not.toBeNull();
    // A refresh is no sign-in: the login time stays.
    expect((await pairOf(t, ada.userId)).row).toEqual(before.row);
    await ada.asUser.action(api.auth.signOut, {});
    expect(await sessionsOf(t, ada.userId)).toEqual([]);
    const after = await pairOf(t, ada.userId);
    expect(after.row).toEqual(before.row);
    expect(after.user.auth_user_id).toBe(before.row!._id);
  });
});

describe("verification that arrives later", () => {
  test("an address verified after the first sign-in, matching a legacy row, is recorded, not merged", async () => {
    const t = newBackend();
    const legacy = await insertLegacyRow(t, {
      email: "ada@example.com",
      company: "Old Co",
    });
    const account = (verified: boolean) => ({
      id: 1,
      login: "ada",
      email: null,
      emails: [{ email: "ada@example.com", primary: true, verified }],
    });
    const ada = await signInViaOAuth(t, "github", account(false));
    const own = (await pairOf(t, ada.userId)).row!;
    expect(own._id).not.toBe(legacy);
    vi.setSystemTime(T0 + 60_000);
    await signInViaOAuth(t, "github", account(true));
    const { row, tables } = await pairOf(t, ada.userId);
    expect(row!._id).toBe(own._id);
    expect(row!.email_verified).toBe(true);
    expect(
      tables.authUsers.find((r) => r._id === legacy)!.convex_user_id,
    ).toBeUndefined();
    expect(tables.reviews).toContainEqual(
      expect.objectContaining({
        kind: "verified_legacy_match",
        user_id: ada.userId,
        row_ids: [own._id, legacy],
      }),
    );
  });

  test("an OAuth answer that is never redeemed makes no pair and provisions nothing", async () => {
    const t = newBackend();
    const started = await startOAuthSignIn(t, "github", {
      id: 1,
      login: "ada",
      email: null,
      emails: [{ email: "ada@example.com", primary: true, verified: true }],
    });
    let tables = await readTables(t);
    expect(tables.users).toEqual([
      expect.objectContaining({ pendingFirstSignIn: true }),
    ]);
    expect(tables.authUsers).toEqual([]);
    const session = await redeemOAuthCode(t, started);
    tables = await readTables(t);
    expect(tables.authUsers).toHaveLength(1);
    expect(tables.users[0]!.auth_user_id).toBe(tables.authUsers[0]!._id);
    expect(session!.userId).toBe(tables.users[0]!._id);
  });
});

describe("found by review: what a request, a spelling or a crowd of sessions cannot do", () => {
  test("a suspended person signing in by code under another spelling of the address is refused", async () => {
    const t = newBackend();
    const kim = await signInOrThrow(t, "resend-otp", {
      email: "kim@example.com",
      code: await requestCode(t, "resend-otp", { email: "kim@example.com" }),
    });
    await t.mutation(internal.admin.setStatus, {
      id: kim.userId,
      status: "suspended",
    });
    const code = await requestCode(t, "resend-otp", {
      email: "Kim@example.com",
    });
    await expectAppError(
      signInAction(t, "resend-otp", { email: "Kim@example.com", code }),
      "FORBIDDEN",
    );
    expect((await readTables(t)).authUsers).toHaveLength(1);
  });

  test("a reset requested with another spelling of someone's address leaves their address as it was", async () => {
    const t = newBackend();
    const ada = await signUpWithCode(t, "ada@example.com", PASSWORD);
    // Someone else asks for a reset, shouting Ada's address.
    await requestCode(t, "password-code", {
      email: "ADA@EXAMPLE.COM",
      flow: "reset",
    });
    const { users } = await readTables(t);
    expect(users.find((u) => u._id === ada.userId)!.email).toBe(
      "ada@example.com",
    );
    // Ada's verified Google sign-in still joins her account.
    const google = await signInViaOAuth(t, "google", {
      sub: "g-ada",
      email: "ada@example.com",
      email_verified: true,
    });
    expect(google.userId).toBe(ada.userId);
  });

  test("a second account proving an address another account holds is recorded for a person", async () => {
    const t = newBackend();
    // Someone requests a code for Kim's address and never enters it.
    await requestCode(t, "resend-otp", { email: "kim@example.com" });
    // Kim signs in with GitHub (a verified address), then by code: Convex
    // Auth bound the code account to the first request's user.
    const github = await signInViaOAuth(t, "github", {
      id: 7,
      login: "kim",
      email: null,
      emails: [{ email: "kim@example.com", primary: true, verified: true }],
    });
    const byCode = await signInOrThrow(t, "resend-otp", {
      email: "kim@example.com",
      code: await requestCode(t, "resend-otp", { email: "kim@example.com" }),
    });
    expect(byCode.userId).not.toBe(github.userId);
    const { reviews, authUsers } = await readTables(t);
    expect(reviews).toContainEqual(
      expect.objectContaining({
        kind: "duplicate_account",
        user_id: byCode.userId,
      }),
    );
    expect(
      reviews.find((r) => r.kind === "duplicate_account")!.row_ids,
    ).toHaveLength(2);
    expect(authUsers).toHaveLength(2);
  });

  test("suspending a user with more sessions than one transaction should end ends them all", async () => {
    const t = newBackend(QUARTER_LIMITS);
    const ada = await signInOrThrow(t, "password", {
      email: "ada@example.com",
      password: PASSWORD,
      flow: "signUp",
    });
    // What 600 sign-ins leave behind: sessions with a refresh token each.
    await t.run(async (ctx) => {
      for (let i = 0; i < 600; i++) {
        const sessionId = await ctx.db.insert("authSessions", {
          userId: ada.userId,
          expirationTime: T0 + 1e9,
        });
        await ctx.db.insert("authRefreshTokens", {
          sessionId,
          expirationTime: T0 + 1e9,
        });
      }
    });
    await t.mutation(internal.admin.setStatus, {
      id: ada.userId,
      status: "suspended",
    });
    expect((await readTables(t)).users[0]!.status).toBe("suspended");
    await runDueFunctions(t);
    expect(await sessionsOf(t, ada.userId)).toEqual([]);
    const tokens = await t.run(async (ctx) =>
      ctx.db.query("authRefreshTokens").collect(),
    );
    expect(tokens).toEqual([]);
  });

  test("app code suspending a user whose sign-in never completed ends its sign-ins", async () => {
    const t = newBackendWithAppCode();
    await requestCode(t, "resend-otp", { email: "new@example.com" });
    const [user] = (await readTables(t)).users;
    await t.run(async (ctx) =>
      ctx.db.insert("authSessions", {
        userId: user!._id,
        expirationTime: T0 + 1e9,
      }),
    );
    await t.mutation(makeFunctionReference<"mutation">("appWrites:patchUser"), {
      id: user!._id,
      fields: { status: "suspended" },
    });
    expect(await sessionsOf(t, user!._id)).toEqual([]);
  });
});
