/**
 * Identity never crosses people: one regression test per way it once did.
 * Sign-ins go through Convex Auth's real OAuth routes with GitHub's and
 * Google's HTTP answers stubbed (convex/signIn.helpers.ts), so the configured
 * providers' own profile code decides what is verified.
 */
import { describe, expect, test, vi } from "vitest";
import { makeFunctionReference } from "convex/server";
import { api, internal } from "./_generated/api";
import { cleanImageUrl, LIMITS } from "./inputs";
import {
  type GitHubAccount,
  redeemOAuthCode,
  signInViaOAuth,
  startOAuthSignIn,
} from "./signIn.helpers";
import { verificationClaim } from "convex-auth-user-sync/internals";
import {
  expectAppError,
  expectRejectedWithoutWrites,
  insertLegacyRow,
  makeAdmin,
  newBackend,
  newBackendWithAppCode,
  readTables,
  runDueFunctions,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 10, 1, 9, 0, 0);
const patchUser = makeFunctionReference<"mutation">("appWrites:patchUser");

useFakeClock(T0);

/** A GitHub account whose primary (private) address is `email`. */
function github(id: number, email: string, verified: boolean): GitHubAccount {
  return {
    id,
    login: `user${id}`,
    name: `User ${id}`,
    email: null,
    emails: [{ email, primary: true, verified }],
  };
}

/** The CFO's row from before the sync: an administrator. */
async function insertCfoRow(t: ReturnType<typeof newBackend>) {
  const id = await insertLegacyRow(t, {
    email: "cfo@corp.com",
    full_name: "The CFO",
    company: "Corp",
    role: "CFO",
  });
  await t.run(async (ctx) =>
    ctx.db.patch("auth_users", id, { is_admin: true, phone: "+1 555 0100" }),
  );
  return id;
}

describe("verified means verified, per provider", () => {
  test("a GitHub account with an unverified primary address inherits nothing", async () => {
    const t = newBackend();
    const cfoRow = await insertCfoRow(t);
    const attacker = await signInViaOAuth(
      t,
      "github",
      github(1, "cfo@corp.com", false),
    );

    const { users, authUsers, reviews } = await readTables(t);
    expect(users[0]!.emailVerificationTime).toBeUndefined();
    const own = authUsers.find(
      (row) => row.convex_user_id === attacker.userId,
    )!;
    expect(own._id).not.toBe(cfoRow);
    expect(own).toMatchObject({ email: "cfo@corp.com", email_verified: false });
    expect(own.company).toBeUndefined();
    const untouched = authUsers.find((row) => row._id === cfoRow)!;
    expect(untouched.convex_user_id).toBeUndefined();
    expect(untouched).toMatchObject({ is_admin: true, company: "Corp" });
    const me = await attacker.asUser.query(api.users.getCurrentUser, {});
    expect(me).toMatchObject({ isAdmin: false, company: null, phone: null });
    expect(reviews).toEqual([
      expect.objectContaining({
        kind: "unverified_email_match",
        row_ids: [cfoRow],
      }),
    ]);
  });

  test("GitHub's verified flag for the address it uses decides, and a refused /user/emails vouches for nothing", async () => {
    const t = newBackend();
    await insertCfoRow(t);
    // The public address is verified on GitHub: the legacy row is linked.
    const cfo = await signInViaOAuth(t, "github", {
      ...github(2, "cfo@corp.com", true),
      email: "cfo@corp.com",
    });
    expect(await cfo.asUser.query(api.users.getCurrentUser, {})).toMatchObject({
      isAdmin: true,
      company: "Corp",
      emailVerified: true,
    });
    // Without access to /user/emails, GitHub's word is missing: unverified.
    const other = await signInViaOAuth(t, "github", {
      id: 3,
      login: "public",
      email: "public@example.com",
      emails: null,
    });
    expect(
      await other.asUser.query(api.users.getCurrentUser, {}),
    ).toMatchObject({ email: "public@example.com", emailVerified: false });
  });

  test("Google's email_verified decides", async () => {
    const t = newBackend();
    const cfoRow = await insertCfoRow(t);
    const unverified = await signInViaOAuth(t, "google", {
      sub: "g-attacker",
      email: "cfo@corp.com",
      email_verified: false,
      name: "Not the CFO",
    });
    expect(
      await unverified.asUser.query(api.users.getCurrentUser, {}),
    ).toMatchObject({ isAdmin: false, emailVerified: false });
    expect(
      (await readTables(t)).authUsers.find((row) => row._id === cfoRow)!
        .convex_user_id,
    ).toBeUndefined();
    const verified = await signInViaOAuth(t, "google", {
      sub: "g-cfo",
      email: "cfo@corp.com",
      email_verified: true,
      name: "The CFO",
    });
    expect(
      await verified.asUser.query(api.users.getCurrentUser, {}),
    ).toMatchObject({ authUserId: cfoRow, isAdmin: true });
  });

  test("a changed, unverified email loses the old verification on both tables and for every consumer", async () => {
    const t = newBackend();
    const ada = await signInViaOAuth(
      t,
      "github",
      github(1, "ada@example.com", true),
    );
    const bob = await signInViaOAuth(
      t,
      "github",
      github(2, "bob@example.com", true),
    );
    vi.setSystemTime(T0 + 60_000);
    // Ada's GitHub primary address becomes Bob's second one, unverified.
    await signInViaOAuth(t, "github", github(1, "bob.work@example.com", false));

    const { users, authUsers } = await readTables(t);
    const adaUser = users.find((u) => u._id === ada.userId)!;
    expect(adaUser.email).toBe("bob.work@example.com");
    expect(adaUser.emailVerificationTime).toBeUndefined();
    expect(
      authUsers.find((row) => row.convex_user_id === ada.userId),
    ).toMatchObject({ email: "bob.work@example.com", email_verified: false });
    // Lookups and operator commands by that address find nobody.
    expect(
      await bob.asUser.query(api.users.getUserByEmail, {
        email: "bob.work@example.com",
      }),
    ).toBeNull();
    await expectAppError(
      t.mutation(internal.admin.setAdmin, {
        email: "bob.work@example.com",
        isAdmin: true,
      }),
      "NOT_FOUND",
    );
    // A later sign-in that proves Bob's address to a new account of his is
    // not linked to Ada's user by Convex Auth either.
    const bobWork = await signInViaOAuth(t, "google", {
      sub: "g-bob",
      email: "bob.work@example.com",
      email_verified: true,
    });
    expect(bobWork.userId).not.toBe(ada.userId);
  });

  test("the sign-in kinds: only an explicit claim verifies, a request proves nothing", () => {
    const email = "a@b.c";
    expect(
      verificationClaim("oauth", { email, emailVerified: true }, false),
    ).toBe(true);
    expect(verificationClaim("oauth", { email }, false)).toBe(false);
    expect(verificationClaim("oauth", {}, false)).toBeUndefined();
    expect(verificationClaim("credentials", { email }, true)).toBe(false);
    // Someone's sign-up attached to an existing user by email proves nothing.
    expect(verificationClaim("credentials", { email }, false)).toBeUndefined();
    expect(
      verificationClaim("verification", { email, emailVerified: true }, false),
    ).toBe(true);
    expect(verificationClaim("email", { email }, false)).toBeUndefined();
    expect(verificationClaim("phone", {}, false)).toBeUndefined();
  });
});

describe("a reference counts only when both sides agree", () => {
  test("a wrong auth_users.convex_user_id hands nobody's row to anybody", async () => {
    const t = newBackend();
    // A bad import points the CFO's row at Bob's user before Bob signs in.
    const bobId = await t.run(async (ctx) =>
      ctx.db.insert("users", {
        name: "Bob",
        email: "bob@example.com",
        emailVerificationTime: 1,
      }),
    );
    const cfoRow = await insertCfoRow(t);
    await t.run(async (ctx) =>
      ctx.db.patch("auth_users", cfoRow, { convex_user_id: bobId }),
    );
    await t.run(async (ctx) =>
      ctx.db.insert("authAccounts", {
        userId: bobId,
        provider: "github",
        providerAccountId: "2",
      }),
    );
    const bob = await signInViaOAuth(
      t,
      "github",
      github(2, "bob@example.com", true),
    );
    expect(bob.userId).toBe(bobId);

    // Bob is not an administrator, learns nothing of the CFO's row (nobody
    // signed in to it), and got a row of his own.
    const me = await bob.asUser.query(api.users.getCurrentUser, {});
    expect(me).toMatchObject({ isAdmin: false, company: null });
    expect(me!.authUserId).not.toBe(cfoRow);
    expect(
      await bob.asUser.query(api.users.getUserById, { id: cfoRow }),
    ).toBeNull();
    // The migration does not link it for good either.
    await t.mutation(internal.migrations.syncUserTables.syncUserTables, {});
    await runDueFunctions(t);
    const { authUsers, reviews } = await readTables(t);
    expect(authUsers.find((row) => row._id === cfoRow)).toMatchObject({
      convex_user_id: bobId,
      email: "cfo@corp.com",
      is_admin: true,
    });
    expect(reviews).toContainEqual(
      expect.objectContaining({
        kind: "reference_conflict",
        user_id: bobId,
        row_ids: [cfoRow],
      }),
    );
  });

  test("a stray users.auth_user_id to an unlinked admin row grants nothing and never rewrites it", async () => {
    const t = newBackend();
    const cfoRow = await insertCfoRow(t);
    const ada = await signInViaOAuth(
      t,
      "github",
      github(1, "ada@example.com", true),
    );
    const adaRow = (await readTables(t)).authUsers.find(
      (row) => row.convex_user_id === ada.userId,
    )!;
    await t.run(async (ctx) =>
      ctx.db.patch("users", ada.userId, { auth_user_id: cfoRow }),
    );
    expect(await ada.asUser.query(api.users.getCurrentUser, {})).toMatchObject({
      isAdmin: false,
      authUserId: null,
    });

    // Ada's next sign-in relinks her own row (it names her, with her
    // verified address); the admin row keeps its email for its owner.
    vi.setSystemTime(T0 + 60_000);
    await signInViaOAuth(t, "github", github(1, "ada@example.com", true));
    const { authUsers, reviews } = await readTables(t);
    expect(await ada.asUser.query(api.users.getCurrentUser, {})).toMatchObject({
      isAdmin: false,
      authUserId: adaRow._id,
    });
    const adminRow = authUsers.find((row) => row._id === cfoRow)!;
    expect(adminRow.email).toBe("cfo@corp.com");
    expect(adminRow.convex_user_id).toBeUndefined();
    expect(reviews).toContainEqual(
      expect.objectContaining({
        kind: "reference_conflict",
        row_ids: [cfoRow],
      }),
    );
    // The CFO links it at his first verified sign-in.
    const cfo = await signInViaOAuth(
      t,
      "github",
      github(9, "cfo@corp.com", true),
    );
    expect(await cfo.asUser.query(api.users.getCurrentUser, {})).toMatchObject({
      authUserId: cfoRow,
      isAdmin: true,
    });
  });
});

describe("deletion touches only what is provably the account's", () => {
  test("deleting an account never follows a one-sided pointer to someone else's row", async () => {
    const t = newBackend();
    const ada = await signInViaOAuth(
      t,
      "github",
      github(1, "ada@example.com", true),
    );
    await signInViaOAuth(t, "github", github(2, "bob@example.com", true));
    const before = await readTables(t);
    const bobRow = before.authUsers.find(
      (row) => row.email === "bob@example.com",
    )!;
    await t.run(async (ctx) =>
      ctx.db.patch("users", ada.userId, { auth_user_id: bobRow._id }),
    );

    await ada.asUser.mutation(api.users.deleteAccount, {});
    const after = await readTables(t);
    expect(after.authUsers.find((row) => row._id === bobRow._id)).toBeDefined();
    expect(
      after.templates.filter((tpl) => tpl.owner_id === bobRow._id),
    ).toHaveLength(3);
    // Ada's own row only pointed at her: kept, and recorded for a person.
    const adaRow = before.authUsers.find(
      (row) => row.convex_user_id === ada.userId,
    )!;
    expect(after.authUsers.find((row) => row._id === adaRow._id)).toBeDefined();
    expect(after.reviews).toContainEqual(
      expect.objectContaining({
        kind: "reference_conflict",
        user_id: ada.userId,
        row_ids: [adaRow._id],
      }),
    );
    expect(after.users.map((u) => u._id)).not.toContain(ada.userId);
  });

  test("deleting a duplicate row deletes that row alone", async () => {
    const t = newBackend();
    const ada = await signInViaOAuth(
      t,
      "github",
      github(1, "ada@example.com", true),
    );
    const duplicate = await t.run(async (ctx) =>
      ctx.db.insert("auth_users", {
        convex_user_id: ada.userId,
        email: "ada@example.com",
        company: "Imported twice",
        created_at: 1,
        updated_at: 1,
      }),
    );
    // The drift report's advice for duplicate_counterpart, followed.
    await t.mutation(internal.admin.deleteRecord, { id: duplicate });
    const { users, authUsers } = await readTables(t);
    expect(users.map((u) => u._id)).toEqual([ada.userId]);
    expect(authUsers).toHaveLength(1);
    expect(authUsers[0]!.convex_user_id).toBe(ada.userId);
    expect(await ada.asUser.query(api.users.getCurrentUser, {})).toMatchObject({
      userId: ada.userId,
      authUserId: authUsers[0]!._id,
    });
    // admin:deleteAccount named by such a row, likewise.
    const another = await t.run(async (ctx) =>
      ctx.db.insert("auth_users", {
        convex_user_id: ada.userId,
        created_at: 1,
        updated_at: 1,
      }),
    );
    expect(
      await t.mutation(internal.admin.deleteAccount, { id: another }),
    ).toEqual({ deleted: 1 });
    expect((await readTables(t)).users).toHaveLength(1);
  });
});

describe("suspension stops sign-ins in flight", () => {
  test("an OAuth code issued just before suspension makes no session", async () => {
    const t = newBackend();
    const ada = await signInViaOAuth(
      t,
      "github",
      github(1, "ada@example.com", true),
    );
    // The provider has sent Ada back with a code; the client has not
    // redeemed it yet when an operator suspends her.
    const started = await startOAuthSignIn(
      t,
      "github",
      github(1, "ada@example.com", true),
    );
    expect(started.code).not.toBeNull();
    await t.mutation(internal.admin.setStatus, {
      id: ada.userId,
      status: "suspended",
    });
    expect(await redeemOAuthCode(t, started)).toBeNull();
    const sessions = await t.run(async (ctx) =>
      ctx.db.query("authSessions").collect(),
    );
    expect(sessions).toEqual([]);
  });
});

describe("email keys that cannot collide", () => {
  test("a verified Kelvin-sign address never links the row of its ASCII look-alike", async () => {
    const t = newBackend();
    const ken = await insertLegacyRow(t, {
      email: "ken@example.com",
      company: "Ken's company",
    });
    const lookAlike = await signInViaOAuth(
      t,
      "github",
      github(1, "\u212Aen@example.com", true),
    );
    const { authUsers } = await readTables(t);
    expect(
      authUsers.find((row) => row._id === ken)!.convex_user_id,
    ).toBeUndefined();
    expect(
      await lookAlike.asUser.query(api.users.getCurrentUser, {}),
    ).toMatchObject({ email: "\u212Aen@example.com", company: null });
  });
});

describe("engine and lookups", () => {
  test("the drift report sees an unverified claim whatever case the provider sent", async () => {
    const t = newBackend();
    const legacy = await insertLegacyRow(t, { email: "grace@example.com" });
    await signInViaOAuth(t, "github", github(1, "Grace@Example.com", false));
    const report = await t.action(internal.driftReport.summary, {});
    expect(report.rows.findings).toContainEqual(
      expect.objectContaining({
        kind: "unverified_email_match",
        sampleIds: [legacy],
      }),
    );
  });

  test("lookups find the verified owner however many unverified claims share the address", async () => {
    const t = newBackend();
    // Before the sync: five unverified sign-ups with Grace's address, then
    // Grace herself, and her legacy row.
    const ids = await t.run(async (ctx) => {
      for (let i = 0; i < 5; i++) {
        await ctx.db.insert("users", {
          name: `claim${i}`,
          email: "grace@example.com",
        });
      }
      return await ctx.db.insert("users", {
        name: "Grace",
        email: "grace@example.com",
        emailVerificationTime: 1,
      });
    });
    const legacy = await insertLegacyRow(t, { email: "grace@example.com" });
    expect(
      await t.query(internal.userSync.getUserByEmail, {
        email: "grace@example.com",
      }),
    ).toMatchObject({ authUserId: legacy });
    const result = await t.mutation(internal.userSync.syncUser, {
      authUserId: legacy,
    });
    expect(result).toMatchObject({ outcome: "linked", userId: ids });
  });

  test("an avatar URL is bounded as stored, after percent-encoding", async () => {
    const t = newBackend();
    const ada = await signInViaOAuth(
      t,
      "github",
      github(1, "ada@example.com", true),
    );
    // 2,000 characters typed, 18,000 stored: each euro sign is 9 once encoded.
    const long = `https://img.example/${"\u20AC".repeat(2000)}`;
    expect(long.length).toBeLessThanOrEqual(LIMITS.imageUrl);
    expect(() => cleanImageUrl(long)).toThrow();
    await expectRejectedWithoutWrites(
      t,
      () => ada.asUser.mutation(api.users.updateUserProfile, { image: long }),
      "INVALID_ARGUMENT",
    );
    const fits = `https://img.example/${"\u20AC".repeat(200)}`;
    expect(cleanImageUrl(fits).length).toBeLessThanOrEqual(LIMITS.imageUrl);
  });
});

describe("found by review: nothing unproven is joined, linked or acted on", () => {
  /** A users row from before the sync, with Victor's verified address. */
  async function preSyncVictor(t: ReturnType<typeof newBackend>) {
    return await t.run(async (ctx) =>
      ctx.db.insert("users", {
        name: "Victor",
        email: "victor@example.com",
        emailVerificationTime: 1,
      }),
    );
  }

  /** A row the sync once made for Mallory's unverified claim of it. */
  async function mallorysOrphanRow(t: ReturnType<typeof newBackend>) {
    return await t.run(async (ctx) =>
      ctx.db.insert("auth_users", {
        email: "victor@example.com",
        email_verified: false,
        full_name: "Mallory",
        company: "Mallory Corp",
        phone: "+1 555 0666",
        created_at: 1,
        updated_at: 1,
      }),
    );
  }

  test("a lookup by a row's id joins it to a user only if it is the legacy row a sign-in would link", async () => {
    const t = newBackend();
    const victor = await preSyncVictor(t);
    const legacy = await insertLegacyRow(t, { email: "victor@example.com" });
    const orphan = await mallorysOrphanRow(t);
    const stranger = await signInViaOAuth(
      t,
      "github",
      github(5, "s@example.com", true),
    );
    const asVictor = t.withIdentity({ subject: `${victor}|no-session` });
    // Mallory's row is joined to nobody: Victor learns nothing of it, and
    // an administrator sees it alone.
    expect(
      await asVictor.query(api.users.getUserById, { id: orphan }),
    ).toBeNull();
    await makeAdmin(t, "s@example.com");
    expect(
      await stranger.asUser.query(api.users.getUserById, { id: orphan }),
    ).toMatchObject({ userId: null, company: "Mallory Corp" });
    // The legacy row is what Victor's sign-in would link: joined for views.
    expect(
      await stranger.asUser.query(api.users.getUserById, { id: legacy }),
    ).toMatchObject({ userId: victor });
  });

  test("operator commands named by a row's id act on that row, never on a user joined by email", async () => {
    const t = newBackend();
    const victor = await preSyncVictor(t);
    const legacy = await insertLegacyRow(t, { email: "victor@example.com" });
    const orphan = await mallorysOrphanRow(t);
    await t.mutation(internal.admin.setStatus, {
      id: orphan,
      status: "suspended",
    });
    expect(
      await t.mutation(internal.admin.deleteAccount, { id: legacy }),
    ).toEqual({
      deleted: 1,
    });
    const { users, authUsers } = await readTables(t);
    expect(users.find((u) => u._id === victor)!.status).toBeUndefined();
    expect(authUsers.map((row) => row._id)).toEqual([orphan]);
    expect(authUsers[0]!.status).toBe("suspended");
  });

  test("a row made for an unverified claim never becomes someone else's counterpart through a pointer", async () => {
    const t = newBackend();
    const victorGh = github(1, "victor@example.com", true);
    const victor = await signInViaOAuth(t, "github", victorGh);
    const mallory = await signInViaOAuth(t, "google", {
      sub: "g-mallory",
      email: "victor@example.com",
      email_verified: false,
      name: "Mallory",
    });
    await mallory.asUser.mutation(api.users.updateUserProfile, {
      company: "Mallory Corp",
    });
    const { authUsers } = await readTables(t);
    const victorRow = authUsers.find(
      (r) => r.convex_user_id === victor.userId,
    )!;
    const malloryRow = authUsers.find(
      (r) => r.convex_user_id === mallory.userId,
    )!;
    // Damage: Victor's row deleted raw; Mallory's row now names Victor.
    await t.run(async (ctx) => {
      await ctx.db.delete("auth_users", victorRow._id);
      await ctx.db.patch("auth_users", malloryRow._id, {
        convex_user_id: victor.userId,
      });
    });
    await t.mutation(internal.userSync.syncAllUsers, {});
    await runDueFunctions(t);
    vi.setSystemTime(T0 + 60_000);
    await signInViaOAuth(t, "github", victorGh);
    const me = await victor.asUser.query(api.users.getCurrentUser, {});
    expect(me!.authUserId).not.toBe(malloryRow._id);
    expect(me!.company).toBeNull();
    expect((await readTables(t)).reviews).toContainEqual(
      expect.objectContaining({
        kind: "reference_conflict",
        user_id: victor.userId,
        row_ids: [malloryRow._id],
      }),
    );
  });

  test("the verification is cleared when the provider answers, whether or not the sign-in completes", async () => {
    const t = newBackend();
    const ada = await signInViaOAuth(
      t,
      "github",
      github(1, "ada@example.com", true),
    );
    // The provider answers with a new, unverified address; the client never
    // redeems the code.
    const started = await startOAuthSignIn(
      t,
      "github",
      github(1, "bob@example.com", false),
    );
    expect(started.code).not.toBeNull();
    const { users } = await readTables(t);
    expect(users.find((u) => u._id === ada.userId)).toMatchObject({
      email: "bob@example.com",
    });
    expect(
      users.find((u) => u._id === ada.userId)!.emailVerificationTime,
    ).toBeUndefined();
    // Bob's verified sign-in is not linked into Ada's account.
    const bob = await signInViaOAuth(t, "google", {
      sub: "g-bob",
      email: "bob@example.com",
      email_verified: true,
    });
    expect(bob.userId).not.toBe(ada.userId);
  });

  test("app code that changes users.email leaves it unverified", async () => {
    const t = newBackendWithAppCode();
    const mal = await signInViaOAuth(
      t,
      "github",
      github(1, "mal@example.com", true),
    );
    await t.mutation(patchUser, {
      id: mal.userId,
      fields: { email: "cfo@corp.com" },
    });
    const { users, authUsers } = await readTables(t);
    expect(users[0]!.emailVerificationTime).toBeUndefined();
    expect(authUsers[0]).toMatchObject({
      email: "cfo@corp.com",
      email_verified: false,
    });
    await expectAppError(
      t.mutation(internal.admin.setAdmin, {
        email: "cfo@corp.com",
        isAdmin: true,
      }),
      "NOT_FOUND",
    );
    // The app saying it verified the address (in the same write) keeps it.
    await t.mutation(patchUser, {
      id: mal.userId,
      fields: { email: "mal@example.com", emailVerificationTime: T0 },
    });
    expect((await readTables(t)).authUsers[0]!.email_verified).toBe(true);
  });

  test("a row once paired that lost both references is recorded and reported, never silently dropped", async () => {
    const t = newBackend();
    const ada = await signInViaOAuth(
      t,
      "github",
      github(1, "ada@example.com", true),
    );
    await ada.asUser.mutation(api.users.updateUserProfile, { company: "Acme" });
    const row = (await readTables(t)).authUsers[0]!;
    await t.run(async (ctx) => {
      await ctx.db.patch("users", ada.userId, { auth_user_id: undefined });
      await ctx.db.patch("auth_users", row._id, { convex_user_id: undefined });
    });
    const report = await t.action(internal.driftReport.summary, {});
    expect(report.consistent).toBe(false);
    expect(report.rows.findings).toContainEqual(
      expect.objectContaining({ kind: "orphaned_row", sampleIds: [row._id] }),
    );
    await t.mutation(internal.userSync.syncAllUsers, {});
    await runDueFunctions(t);
    const { reviews, authUsers } = await readTables(t);
    expect(authUsers).toHaveLength(2);
    expect(reviews).toContainEqual(
      expect.objectContaining({
        kind: "reference_conflict",
        user_id: ada.userId,
        row_ids: [row._id],
      }),
    );
  });

  test("suspending a row that merely claims a user signs nobody out", async () => {
    const t = newBackend();
    const ada = await signInViaOAuth(
      t,
      "github",
      github(1, "ada@example.com", true),
    );
    const duplicate = await t.run(async (ctx) =>
      ctx.db.insert("auth_users", {
        convex_user_id: ada.userId,
        email: "someone@else.com",
        created_at: 1,
        updated_at: 1,
      }),
    );
    await t.mutation(internal.admin.editAuthUser, {
      authUserId: duplicate,
      status: "suspended",
    });
    const sessions = await t.run(async (ctx) =>
      ctx.db.query("authSessions").collect(),
    );
    expect(sessions.map((session) => session.userId)).toEqual([ada.userId]);
  });

  test("a legacy row suspended before its owner's first sign-in refuses it, and links nothing", async () => {
    const t = newBackend();
    const legacy = await insertLegacyRow(t, { email: "eve@corp.com" });
    await t.mutation(internal.admin.setStatus, {
      email: "eve@corp.com",
      status: "suspended",
    });
    const started = await startOAuthSignIn(
      t,
      "github",
      github(1, "eve@corp.com", true),
    );
    await expectAppError(redeemOAuthCode(t, started), "FORBIDDEN");
    const { authUsers } = await readTables(t);
    expect(
      authUsers.find((row) => row._id === legacy)!.convex_user_id,
    ).toBeUndefined();
    const sessions = await t.run(async (ctx) =>
      ctx.db.query("authSessions").collect(),
    );
    expect(sessions).toEqual([]);
  });

  test("operator commands by an address several accounts hold are refused, not guessed", async () => {
    const t = newBackend();
    // One person, two providers with different letter case: two accounts.
    await signInViaOAuth(t, "github", github(1, "Ada@Example.com", true));
    await signInViaOAuth(t, "google", {
      sub: "g-ada",
      email: "ada@example.com",
      email_verified: true,
    });
    expect((await readTables(t)).users).toHaveLength(2);
    await expectAppError(
      t.mutation(internal.admin.setAdmin, {
        email: "ada@example.com",
        isAdmin: true,
      }),
      "INVALID_ARGUMENT",
    );
    await expectAppError(
      t.mutation(internal.admin.deleteAccount, { email: "ada@example.com" }),
      "INVALID_ARGUMENT",
    );
    expect((await readTables(t)).users).toHaveLength(2);
  });
});
