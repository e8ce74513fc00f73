import { describe, expect, test, vi } from "vitest";
import { internal } from "./_generated/api";
import type { Doc } from "./_generated/dataModel";
import { userSync } from "./sync";
import { signInOrThrow } from "./signIn.helpers";
import { STARTER_TEMPLATES } from "./starterTemplates";
import {
  checkConsistency,
  insertLegacyRow,
  measuredOAuthSignIn,
  measuredPasswordSignIn,
  newMeasuringBackend,
  newBackend,
  readTables,
  signInWithOAuth,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);

useFakeClock(T0);

/** The one pair in a single-user deployment, with its cross-references checked. */
async function onlyPair(t: ReturnType<typeof newBackend>) {
  const tables = await readTables(t);
  expect(tables.users).toHaveLength(1);
  expect(tables.authUsers).toHaveLength(1);
  const [user] = tables.users as [Doc<"users">];
  const [authUser] = tables.authUsers as [Doc<"auth_users">];
  expect(user.auth_user_id).toBe(authUser._id);
  expect(authUser.convex_user_id).toBe(user._id);
  expect((await checkConsistency(t)).problems).toEqual([]);
  return { user, authUser, ...tables };
}

describe("new user", () => {
  test("gets an auth_users row, both references and the starter templates", async () => {
    const t = newBackend();
    const { userId } = await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: {
        name: "Ada Lovelace",
        email: "ada@example.com",
        image: "https://img.example/ada.png",
      },
    });

    const { user, authUser, templates } = await onlyPair(t);
    expect(user._id).toBe(userId);
    expect(authUser).toMatchObject({
      email: "ada@example.com",
      email_verified: true,
      full_name: "Ada Lovelace",
      avatar_url: "https://img.example/ada.png",
      last_login_at: T0,
      created_at: T0,
      updated_at: T0,
      starter_templates_provisioned_at: T0,
    });
    expect(authUser.name_source).toBeUndefined();
    expect(user).toMatchObject({ lastLoginAt: T0, updatedAt: T0 });
    expect(templates.map((tpl) => tpl.key).sort()).toEqual(
      STARTER_TEMPLATES.map((tpl) => tpl.key).sort(),
    );
    expect(templates.every((tpl) => tpl.owner_id === authUser._id)).toBe(true);
  });

  test("re-sign-ins, retries and re-runs never duplicate rows or templates", async () => {
    const t = newBackend();
    const profile = { name: "Ada", email: "ada@example.com" };
    // 1. Sign in three times.
    const { userId } = await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile,
    });
    for (let i = 0; i < 2; i++) {
      vi.advanceTimersByTime(60_000);
      await signInWithOAuth(t, { providerAccountId: "gh-ada", profile });
    }
    // 2. Re-run the sync directly, twice, once after losing the marker (a
    //    retry after a partial provisioning).
    await t.mutation(internal.authSync.completeSignIn, { userId });
    await t.run(async (ctx) => {
      const row = await ctx.db
        .query("auth_users")
        .withIndex("by_convex_user_id", (q) => q.eq("convex_user_id", userId))
        .unique();
      await ctx.db.patch("auth_users", row!._id, {
        starter_templates_provisioned_at: undefined,
      });
    });
    const rerun = await t.mutation(internal.authSync.completeSignIn, {
      userId,
    });
    // Same clock as the last sign-in: nothing to change but the templates,
    // and the marker's fold copy on users, which the out-of-band edit left
    // behind (convex/sync.ts, fold).
    expect(rerun.outcome).toBe("repaired");

    // 3. Still one pair and one set of templates.
    const { authUser, templates } = await onlyPair(t);
    expect(rerun.rowId).toBe(authUser._id);
    expect(templates).toHaveLength(STARTER_TEMPLATES.length);
    expect(new Set(templates.map((tpl) => tpl.key)).size).toBe(
      STARTER_TEMPLATES.length,
    );
  });
});

describe("returning user", () => {
  test("provider-owned fields and the login time reach auth_users; domain fields stay", async () => {
    const t = newBackend();
    // 1. First sign-in, then the app sets domain fields.
    await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "Ada", email: "ada@example.com", image: "https://a/1" },
    });
    const first = await onlyPair(t);
    await t.run(async (ctx) => {
      await ctx.db.patch("auth_users", first.authUser._id, {
        company: "Analytical Engines",
        role: "Developer",
      });
    });

    // 2. Later sign-in: the provider reports a new name, email and avatar.
    const T1 = T0 + 3_600_000;
    vi.setSystemTime(T1);
    await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: {
        name: "Ada King",
        email: "Ada.King@Example.com",
        image: "https://a/2",
      },
    });

    const { user, authUser } = await onlyPair(t);
    expect(authUser._id).toBe(first.authUser._id);
    expect(user).toMatchObject({
      name: "Ada King",
      email: "Ada.King@Example.com",
      image: "https://a/2",
      lastLoginAt: T1,
      updatedAt: T1,
    });
    expect(authUser).toMatchObject({
      full_name: "Ada King",
      email: "ada.king@example.com",
      email_verified: true,
      avatar_url: "https://a/2",
      company: "Analytical Engines",
      role: "Developer",
      last_login_at: T1,
      updated_at: T1,
      created_at: T0,
    });
  });

  test("an unchanged profile only moves the login time, on both sides alike", async () => {
    const t = newBackend();
    const profile = { name: "Ada", email: "ada@example.com" };
    await signInWithOAuth(t, { providerAccountId: "gh-ada", profile });
    const T1 = T0 + 5_000;
    vi.setSystemTime(T1);
    await signInWithOAuth(t, { providerAccountId: "gh-ada", profile });
    const { user, authUser } = await onlyPair(t);
    expect(user.lastLoginAt).toBe(T1);
    expect(authUser.last_login_at).toBe(T1);
    // No profile change, so no updated_at churn.
    expect(authUser.updated_at).toBe(T0);
    expect(user.updatedAt).toBe(T0);
  });

  test("a name chosen in the app survives the provider's rename", async () => {
    const t = newBackend();
    await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "ada-gh", email: "ada@example.com" },
    });
    const first = await onlyPair(t);
    // Until the profile API exists, set the user-edited state directly.
    await t.run(async (ctx) => {
      await ctx.db.patch("auth_users", first.authUser._id, {
        full_name: "Ada Lovelace",
        name_source: "user",
      });
    });

    vi.setSystemTime(T0 + 1_000);
    await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "ada-renamed-on-github", email: "ada@example.com" },
    });

    const { user, authUser } = await onlyPair(t);
    expect(user.name).toBe("Ada Lovelace");
    expect(authUser.full_name).toBe("Ada Lovelace");
    expect(authUser.name_source).toBe("user");
  });
});

describe("several providers", () => {
  test("a second provider with the same verified email joins the same pair", async () => {
    const t = newBackend();
    const first = await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "ada-gh", email: "ada@example.com" },
    });
    vi.setSystemTime(T0 + 1_000);
    const second = await signInWithOAuth(t, {
      provider: "google",
      providerAccountId: "google-ada",
      profile: { name: "Ada Google", email: "ada@example.com" },
    });
    // Convex Auth links the Google account to the same users row.
    expect(second.userId).toBe(first.userId);
    const { authUser, templates } = await onlyPair(t);
    expect(authUser).toMatchObject({
      full_name: "Ada Google",
      last_login_at: T0 + 1_000,
    });
    expect(templates).toHaveLength(STARTER_TEMPLATES.length);
  });
});

describe("legacy auth_users rows", () => {
  test("a verified email links the legacy row and keeps its domain fields and name", async () => {
    const t = newBackend();
    const legacyId = await insertLegacyRow(
      t,
      {
        email: "grace@example.com",
        full_name: "Grace Hopper",
        company: "US Navy",
        role: "Rear Admiral",
        avatar_url: "https://legacy/grace.png",
      },
      T0 - 86_400_000,
    );

    // 1. First sign-in, with odd case and spaces in the provider's email.
    await signInWithOAuth(t, {
      providerAccountId: "gh-grace",
      profile: {
        name: "ghopper",
        email: "  Grace@Example.COM ",
        image: "https://gh/grace.png",
      },
    });
    let pair = await onlyPair(t);
    expect(pair.authUser._id).toBe(legacyId);
    expect(pair.user.name).toBe("Grace Hopper");
    expect(pair.authUser).toMatchObject({
      full_name: "Grace Hopper",
      name_source: "user",
      company: "US Navy",
      role: "Rear Admiral",
      email: "grace@example.com",
      avatar_url: "https://gh/grace.png",
      created_at: T0 - 86_400_000,
      last_login_at: T0,
      updated_at: T0,
    });
    expect(pair.user.updatedAt).toBe(T0);
    expect(pair.templates).toHaveLength(STARTER_TEMPLATES.length);

    // 2. A later provider rename does not touch the legacy name.
    vi.setSystemTime(T0 + 1_000);
    await signInWithOAuth(t, {
      providerAccountId: "gh-grace",
      profile: { name: "grace-renamed", email: "grace@example.com" },
    });
    pair = await onlyPair(t);
    expect(pair.user.name).toBe("Grace Hopper");
    expect(pair.authUser.full_name).toBe("Grace Hopper");
    expect(pair.templates).toHaveLength(STARTER_TEMPLATES.length);
  });

  test("an unverified email never links: the user gets a row of their own, recorded for review", async () => {
    const t = newBackend();
    const legacyId = await insertLegacyRow(t, {
      email: "grace@example.com",
      full_name: "Grace Hopper",
      company: "US Navy",
    });

    const { userId } = await signInWithOAuth(t, {
      providerAccountId: "gh-impostor",
      profile: {
        name: "Not Grace",
        email: "grace@example.com",
        emailVerified: false,
      },
    });

    const { users, authUsers, reviews } = await readTables(t);
    expect(users).toHaveLength(1);
    expect(users[0]!.emailVerificationTime).toBeUndefined();
    expect(authUsers).toHaveLength(2);
    const legacy = authUsers.find((row) => row._id === legacyId)!;
    const own = authUsers.find((row) => row._id !== legacyId)!;
    // The legacy row is untouched.
    expect(legacy.convex_user_id).toBeUndefined();
    expect(legacy.full_name).toBe("Grace Hopper");
    expect(legacy.company).toBe("US Navy");
    // The user's own row carries both references and the provider's name.
    expect(own.convex_user_id).toBe(userId);
    expect(users[0]!.auth_user_id).toBe(own._id);
    expect(own).toMatchObject({
      full_name: "Not Grace",
      email: "grace@example.com",
    });
    expect(own.company).toBeUndefined();
    expect(own.email_verified).toBe(false);
    const check = await checkConsistency(t);
    expect(check.problems).toEqual([]);
    expect(check.unlinkedRows).toBe(1);
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({
      kind: "unverified_email_match",
      user_id: userId,
      row_ids: [legacyId],
    });
  });

  test("two unlinked rows with one email are never guessed between", async () => {
    const t = newBackend();
    const a = await insertLegacyRow(t, {
      email: "dup@example.com",
      company: "A",
    });
    const b = await insertLegacyRow(t, {
      email: "dup@example.com",
      company: "B",
    });

    const { userId } = await signInWithOAuth(t, {
      providerAccountId: "gh-dup",
      profile: { name: "Dup", email: "dup@example.com" },
    });

    const { authUsers, reviews } = await readTables(t);
    expect(authUsers).toHaveLength(3);
    for (const id of [a, b]) {
      expect(
        authUsers.find((row) => row._id === id)!.convex_user_id,
      ).toBeUndefined();
    }
    const own = authUsers.find((row) => row.convex_user_id === userId)!;
    expect(own.company).toBeUndefined();
    expect(reviews).toHaveLength(1);
    expect(reviews[0]!.kind).toBe("ambiguous_email");
    expect([...reviews[0]!.row_ids].sort()).toEqual([a, b].sort());
  });
});

describe("unusual provider data", () => {
  test("a profile without email signs in and pairs; signing in again adds nothing", async () => {
    const t = newBackend();
    await insertLegacyRow(t, { full_name: "No Email Legacy" });
    for (let i = 0; i < 2; i++) {
      await signInWithOAuth(t, {
        providerAccountId: "gh-noemail",
        profile: { name: "Anon" },
      });
    }
    const { users, authUsers } = await readTables(t);
    expect(users).toHaveLength(1);
    expect(authUsers).toHaveLength(2);
    const own = authUsers.find((row) => row.convex_user_id === users[0]!._id)!;
    expect(own.email).toBeUndefined();
    expect(own.full_name).toBe("Anon");
    expect(users[0]!.auth_user_id).toBe(own._id);
  });

  test("email case and spaces never create a second row for one user", async () => {
    const t = newBackend();
    for (const email of [
      "Mixed@Example.com",
      " mixed@example.COM  ",
      "MIXED@EXAMPLE.COM",
    ]) {
      await signInWithOAuth(t, {
        providerAccountId: "gh-mixed",
        profile: { name: "Mixed", email },
      });
    }
    const { authUser } = await onlyPair(t);
    expect(authUser.email).toBe("mixed@example.com");
  });

  test("a dangling reference is repaired at the next sign-in", async () => {
    const t = newBackend();
    await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "Ada", email: "ada@example.com" },
    });
    const before = await onlyPair(t);
    // Someone deletes the auth_users row by hand (templates go with it).
    await t.run(async (ctx) => {
      await ctx.db.delete("auth_users", before.authUser._id);
    });
    await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "Ada", email: "ada@example.com" },
    });
    const after = await onlyPair(t);
    expect(after.authUser._id).not.toBe(before.authUser._id);
    expect(after.reviews).toHaveLength(0);
  });

  test("a failing sync is recorded for review and does not fail the sign-in", async () => {
    const t = newBackend();
    // A users id that does not exist makes the sub-transaction throw.
    const ghostId = await t.run(async (ctx) => {
      const id = await ctx.db.insert("users", { name: "ghost" });
      await ctx.db.delete("users", id);
      return id;
    });
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    await t.run(async (ctx) => {
      await userSync.callbacks().beforeSessionCreation!(ctx, {
        userId: ghostId,
      });
    });
    expect(errors).toHaveBeenCalledOnce();
    errors.mockRestore();
    const { authUsers, reviews } = await readTables(t);
    expect(authUsers).toHaveLength(0);
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({
      kind: "sign_in_sync_failed",
      user_id: ghostId,
    });
  });
});

describe("cost of the sync in a sign-in", () => {
  const profile = { name: "Ada", email: "ada@example.com" };
  type Metrics = Awaited<ReturnType<typeof measuredOAuthSignIn>>["metrics"];
  const extra = (withSync: Metrics, baseline: Metrics) => ({
    reads: withSync.documentsRead - baseline.documentsRead,
    ranges: withSync.databaseQueries - baseline.databaseQueries,
    writes: withSync.documentsWritten - baseline.documentsWritten,
  });

  /** A returning OAuth sign-in a minute later, with and without the sync. */
  async function measureOAuth(
    t: ReturnType<typeof newMeasuringBackend>,
    next: typeof profile & { emailVerified?: boolean },
  ) {
    vi.advanceTimersByTime(60_000);
    const withSync = await measuredOAuthSignIn(t, {
      providerAccountId: "gh-ada",
      profile: next,
    });
    vi.advanceTimersByTime(60_000);
    const baseline = await measuredOAuthSignIn(t, {
      providerAccountId: "gh-ada",
      profile: next,
      store: "costBaseline:store",
    });
    return extra(withSync.metrics, baseline.metrics);
  }

  test("a returning OAuth sign-in costs 4 extra index ranges and 2 extra writes, all transactions counted", async () => {
    const t = newMeasuringBackend();
    await signInWithOAuth(t, { providerAccountId: "gh-ada", profile });
    // The login is stamped on both tables (the clock moved): two writes,
    // two lookups, and the two documents the patches read. The third range
    // looks for a suspended holder of the verified address and, with none,
    // reads nothing; the fourth reads the fold's record (is the app table
    // still written? docs/fold.md), none before the fold's first move.
    expect(await measureOAuth(t, profile)).toEqual({
      reads: 4,
      ranges: 4,
      writes: 2,
    });
  });

  test("the exceptions: an address the provider does not vouch for costs one write more and no check, a changed one five ranges more", async () => {
    const t = newMeasuringBackend();
    await signInWithOAuth(t, { providerAccountId: "gh-ada", profile });
    // The provider's "not verified" is recorded when it answers, without a
    // read, so on every such sign-in; an unverified address proves nothing,
    // so no suspended holder of it is looked for.
    expect(
      await measureOAuth(t, { ...profile, emailVerified: false }),
    ).toMatchObject({ ranges: 3, writes: 3 });
    // A new verified address looks for a legacy row holding it, (the fold
    // declared) a placeholder of one, and another account's row holding it
    // verified (a second account of one person, for review); the new
    // address is written with the directory's search text on the row and
    // on the user (its emailKey home), which reads each once for its name
    // (searchTextWrites.ts).
    expect(
      await measureOAuth(t, { name: "Ada", email: "ada@new.example" }),
    ).toMatchObject({ ranges: 9, writes: 2 });
  });

  test("a returning password sign-in costs 3 extra index ranges and 2 extra writes", async () => {
    const t = newMeasuringBackend();
    const email = "ada@example.com";
    const password = "correct horse battery";
    await signInOrThrow(t, "password", { email, password, flow: "signUp" });
    vi.advanceTimersByTime(60_000);
    const withSync = await measuredPasswordSignIn(t, {
      email,
      password,
      store: "auth:store",
    });
    vi.advanceTimersByTime(60_000);
    const baseline = await measuredPasswordSignIn(t, {
      email,
      password,
      store: "costBaseline:store",
    });
    expect(extra(withSync.metrics, baseline.metrics)).toMatchObject({
      ranges: 3,
      writes: 2,
    });
  });

  test("a new user's sign-in fits tight limits (fails the day it grows)", async () => {
    // Measured today: the largest transaction of a new user's sign-in (the
    // session's, with the pairing, three templates and both references)
    // needs 14 index ranges and 9 writes. The fold (declared in
    // convex/sync.ts) costs three ranges and a write of these: the fold
    // record read by the sign-in (single-table mode?), the lookup of a
    // placeholder to claim, the fold record the templates' owner id depends
    // on, and the marker's copy on users (11 and 8 without it). One less of
    // either fails the
    // sign-in (convex-test counts a failed sub-transaction's work toward its
    // parent), and a sync that failed otherwise would leave a review and no
    // pair, so both are checked.
    const t = newBackend({ databaseQueries: 14, documentsWritten: 9 });
    await signInWithOAuth(t, { providerAccountId: "gh-ada", profile });
    expect((await checkConsistency(t)).problems).toEqual([]);
    expect((await readTables(t)).reviews).toEqual([]);
  });
});
