/**
 * Single-table mode's writes (docs/fold.md, "4b. Stop writes"): once the
 * fold is at writes_stopped, sign-ins, profile edits and app writes to
 * users write `users` alone; the app table's documents stay byte for byte
 * as they were (but for a claim's one bookkeeping write), a write to it is
 * refused, and so is the sync's own run.
 */
import { describe, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api";
import {
  folded,
  forward,
  GRACE_ON_GITHUB,
  writesStopped,
  templatesOf,
  twoPeople,
} from "./fold.helpers";
import {
  requestCode,
  signInOrThrow,
  signInViaOAuth,
  signUpWithCode,
} from "./signIn.helpers";
import { STARTER_TEMPLATES } from "./starterTemplates";
import {
  type Backend,
  expectAppError,
  expectRejectedWithoutWrites,
  failedRun,
  newBackendWithFastPasswords,
  newMeasuringBackend,
  measuredOAuthSignIn,
  readTables,
  runDueFunctions,
  seedPairs,
  signInWithOAuth,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 11, 6, 9, 0, 0);

useFakeClock(T0);

const PASSWORD = "correct horse battery";

/** The app table's documents, exactly as stored. */
async function appTable(t: Backend): Promise<string> {
  return JSON.stringify((await readTables(t)).authUsers);
}

async function userOf(t: Backend, userId: string) {
  return (await readTables(t)).users.find((user) => user._id === userId)!;
}

/** Each method's sign-in of a new person; `email` is theirs. */
const NEW_PEOPLE: [string, (t: Backend) => Promise<{ userId: string }>][] = [
  [
    "github",
    (t) =>
      signInViaOAuth(t, "github", {
        id: 11,
        login: "kim",
        name: "Kim",
        email: null,
        emails: [{ email: "kim@example.com", primary: true, verified: true }],
      }),
  ],
  [
    "google",
    (t) =>
      signInViaOAuth(t, "google", {
        sub: "g-lin",
        name: "Lin",
        email: "lin@example.com",
        email_verified: true,
      }),
  ],
  ["password-code", (t) => signUpWithCode(t, "max@example.com", PASSWORD)],
  [
    "resend-otp",
    async (t) => {
      const email = "noa@example.com";
      const code = await requestCode(t, "resend-otp", { email });
      return await signInOrThrow(t, "resend-otp", { email, code });
    },
  ],
  [
    "resend",
    async (t) => {
      const code = await requestCode(t, "resend", { email: "oli@example.com" });
      return await signInOrThrow(t, undefined, { code });
    },
  ],
  [
    "password",
    (t) =>
      signInOrThrow(t, "password", {
        email: "pat@example.com",
        password: PASSWORD,
        flow: "signUp",
      }),
  ],
  ["anonymous", (t) => signInOrThrow(t, "anonymous", {})],
];

describe("single-table mode: sign-ins", () => {
  test("every method writes users only: new people get their homes and templates, no row", async () => {
    const t = newBackendWithFastPasswords();
    await writesStopped(t);
    const rows = await appTable(t);

    for (const [method, signIn] of NEW_PEOPLE) {
      vi.advanceTimersByTime(1_000);
      const { userId } = await signIn(t);
      const user = await userOf(t, userId);
      expect(user.pendingFirstSignIn, method).toBeUndefined();
      // The row a sign-in would have made, on the user's homes.
      expect(user.createdAt, method).toBe(Date.now());
      expect(user.lastLoginAt, method).toBe(Date.now());
      expect(typeof user.emailVerified, method).toBe("boolean");
      expect(user.auth_user_id, method).toBeUndefined();
      if (method !== "anonymous") {
        expect(user.emailKey, method).toBe(user.email?.toLowerCase());
        expect(user.starterTemplatesProvisionedAt, method).toBe(Date.now());
        expect(await templatesOf(t, userId), method).toHaveLength(
          STARTER_TEMPLATES.length,
        );
      }
      expect(await appTable(t), method).toBe(rows);
    }
    // Each again: still users only, the login stamped.
    vi.advanceTimersByTime(1_000);
    const again = await signInViaOAuth(t, "github", {
      id: 11,
      login: "kim",
      name: "Kim",
      email: null,
      emails: [{ email: "kim@example.com", primary: true, verified: true }],
    });
    expect((await userOf(t, again.userId)).lastLoginAt).toBe(Date.now());
    expect(await appTable(t)).toBe(rows);
    expect((await readTables(t)).reviews).toEqual([]);
  });

  test("a person paired before the stop signs in on users alone; a chosen name survives a provider rename", async () => {
    const t = newBackendWithFastPasswords();
    const { ada, adaRow } = await writesStopped(t);
    const rows = await appTable(t);

    // 1. A profile edit: the homes, and users.name, not the row.
    const session = await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "Ada", email: "ada@example.com" },
    });
    expect(session.userId).toBe(ada);
    const edited = await session.asUser.mutation(api.users.updateUserProfile, {
      name: "Countess Lovelace",
      company: "Analytical Engines",
    });
    expect(edited).toMatchObject({
      name: "Countess Lovelace",
      company: "Analytical Engines",
    });
    expect(await userOf(t, ada)).toMatchObject({
      name: "Countess Lovelace",
      fullName: "Countess Lovelace",
      nameSource: "user",
      company: "Analytical Engines",
      auth_user_id: adaRow,
    });
    expect(await appTable(t)).toBe(rows);

    // 2. The provider renames her: her chosen name stays.
    vi.advanceTimersByTime(1_000);
    await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "A. King", email: "ada@example.com" },
    });
    expect(await userOf(t, ada)).toMatchObject({
      name: "Countess Lovelace",
      fullName: "Countess Lovelace",
      lastLoginAt: Date.now(),
    });
    expect(await appTable(t)).toBe(rows);
  });

  test("a suspension on users refuses a sign-in proving its address, in another spelling and method", async () => {
    const t = newBackendWithFastPasswords();
    const { ada } = await writesStopped(t);
    // As single-table mode keeps it: on users alone.
    await t.run(async (ctx) => {
      await ctx.db.patch("users", ada, { status: "suspended" });
    });
    const before = await readTables(t);
    await expectAppError(
      signInViaOAuth(t, "google", {
        sub: "g-ada",
        email: "ADA@Example.com",
        email_verified: true,
      }),
      "FORBIDDEN",
    );
    await expectAppError(
      signInWithOAuth(t, {
        providerAccountId: "gh-ada",
        profile: { name: "Ada", email: "ada@example.com" },
      }),
      "FORBIDDEN",
    );
    // An unverified claim to the address proves nothing: not refused.
    const pat = await signInOrThrow(t, "password", {
      email: "ada@example.com",
      password: PASSWORD,
      flow: "signUp",
    });
    expect((await userOf(t, pat.userId)).emailVerified).toBe(false);
    expect(JSON.stringify((await readTables(t)).authUsers)).toBe(
      JSON.stringify(before.authUsers),
    );
  });

  test("a placeholder is claimed by a provider-verified sign-in only", async () => {
    const t = newBackendWithFastPasswords();
    const { grace, placeholder } = await writesStopped(t);
    const rows = (await readTables(t)).authUsers;

    // 1. A password sign-up with her address proves nothing: no claim.
    const impostor = await signInOrThrow(t, "password", {
      email: "grace@example.com",
      password: PASSWORD,
      flow: "signUp",
    });
    let tables = await readTables(t);
    expect(tables.users.find((u) => u._id === placeholder._id)).toBeDefined();
    expect(await userOf(t, impostor.userId)).not.toHaveProperty("company");
    expect(tables.reviews.map((review) => review.kind)).toEqual([
      "unverified_email_match",
    ]);
    expect(await templatesOf(t, placeholder._id)).toHaveLength(
      STARTER_TEMPLATES.length,
    );
    expect(JSON.stringify(tables.authUsers)).toBe(JSON.stringify(rows));

    // 2. GitHub vouches for it: she takes her placeholder over.
    const { userId } = await signInViaOAuth(t, "github", GRACE_ON_GITHUB);
    tables = await readTables(t);
    expect(tables.users.find((u) => u._id === placeholder._id)).toBeUndefined();
    expect(await userOf(t, userId)).toMatchObject({
      company: "Navy",
      role: "admiral",
      emailKey: "grace@example.com",
      emailVerified: true,
      auth_user_id: grace,
    });
    expect(await templatesOf(t, userId)).toHaveLength(STARTER_TEMPLATES.length);
    // The one bookkeeping write: her old row names her now; nothing else
    // of the app table changed.
    expect(tables.authUsers).toEqual(
      rows.map((row) =>
        row._id === grace ? { ...row, convex_user_id: userId } : row,
      ),
    );
  });
});

describe("single-table mode: who claims", () => {
  test("a user who names a row never claims a placeholder, whatever its homes hold", async () => {
    const t = newBackendWithFastPasswords();
    const { ada } = await writesStopped(t);
    // Homes declared after her pair was last synced: no verification home
    // yet; and a placeholder of her address (an import, say).
    const placeholder = await t.run(async (ctx) => {
      await ctx.db.patch("users", ada, { emailVerified: undefined });
      return await ctx.db.insert("users", {
        unclaimed: "ada@example.com",
        emailKey: "ada@example.com",
        company: "Someone else's",
      });
    });
    await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "Ada", email: "ada@example.com" },
    });
    const tables = await readTables(t);
    expect(tables.users.some((u) => u._id === placeholder)).toBe(true);
    expect(await userOf(t, ada)).toMatchObject({ emailVerified: true });
    expect((await userOf(t, ada)).company).toBeUndefined();
  });
});

describe("single-table mode: a claim on a crowded address", () => {
  test("a sign-in does not claim past the holders it reads: more than 12 hold the address, a case instead", async () => {
    const t = newBackendWithFastPasswords();
    const { placeholder } = await writesStopped(t);
    // Unverified claims to Grace's address, free to make: with her
    // placeholder, more holders of the key than a sign-in reads (12).
    for (let i = 0; i < 12; i++) {
      vi.advanceTimersByTime(1_000);
      await signInWithOAuth(t, {
        providerAccountId: `gh-squat-${i}`,
        profile: {
          name: "Squatter",
          email: "grace@example.com",
          emailVerified: false,
        },
      });
    }

    const { userId } = await signInViaOAuth(t, "github", GRACE_ON_GITHUB);

    // One unseen holder might prove the address too: no claim, a case.
    const tables = await readTables(t);
    expect(tables.users.some((u) => u._id === placeholder._id)).toBe(true);
    expect(
      tables.reviews
        .filter((review) => review.user_id === userId)
        .map((review) => review.kind),
    ).toEqual(["ambiguous_email"]);
  });
});

describe("single-table mode: app writes", () => {
  test("an app write to users is an edit of the virtual row: the homes follow", async () => {
    const t = newBackendWithFastPasswords();
    const { ada } = await writesStopped(t);
    const rows = await appTable(t);
    await t.mutation(internal.admin.editUser, {
      userId: ada,
      name: "Ada King",
    });
    expect(await userOf(t, ada)).toMatchObject({
      name: "Ada King",
      fullName: "Ada King",
      nameSource: "user",
      updatedAt: Date.now(),
    });
    expect(await appTable(t)).toBe(rows);

    // A suspension written to users ends her sessions, on users alone.
    await t.mutation(internal.admin.editUser, {
      userId: ada,
      status: "suspended",
    });
    expect((await userOf(t, ada)).status).toBe("suspended");
    const sessions = await t.run(async (ctx) =>
      ctx.db
        .query("authSessions")
        .withIndex("userId", (q) => q.eq("userId", ada))
        .collect(),
    );
    expect(sessions).toEqual([]);
    expect(await appTable(t)).toBe(rows);
  });

  test("a write to the app table is refused and writes nothing", async () => {
    const t = newBackendWithFastPasswords();
    const { adaRow } = await writesStopped(t);
    await expectRejectedWithoutWrites(
      t,
      () =>
        t.mutation(internal.admin.editAuthUser, {
          authUserId: adaRow,
          company: "Elsewhere",
        }),
      "CONFLICT",
    );
  });

  test("the sync's own run refuses", async () => {
    const t = newBackendWithFastPasswords();
    await writesStopped(t);
    await expectRejectedWithoutWrites(
      t,
      () => t.mutation(internal.userSync.syncAllUsers, {}),
      "CONFLICT",
    );
  });

  test("a sync run that failed before the stop cannot be resumed after it", async () => {
    const t = newBackendWithFastPasswords();
    let runId = "";
    await folded(t, async (t) => {
      const people = await twoPeople(t);
      await seedPairs(t, 4);
      runId = await failedRun(t);
      return people;
    });
    await forward(t, "switch_reads");
    await forward(t, "stop_writes");
    await expectRejectedWithoutWrites(
      t,
      () => t.mutation(internal.syncEngine.resumeRun, { runId }),
      "CONFLICT",
    );
  });
});

describe("single-table mode: cost of a sign-in", () => {
  test("a returning OAuth sign-in costs 3 extra index ranges, 3 reads and 1 write (one more of each until the stop is settled)", async () => {
    const t = newMeasuringBackend();
    await writesStopped(t);
    const profile = { name: "Ada", email: "ada@example.com" };
    const extra = async () => {
      vi.advanceTimersByTime(60_000);
      const withSync = await measuredOAuthSignIn(t, {
        providerAccountId: "gh-ada",
        profile,
      });
      vi.advanceTimersByTime(60_000);
      const baseline = await measuredOAuthSignIn(t, {
        providerAccountId: "gh-ada",
        profile,
        store: "costBaseline:store",
      });
      return {
        reads: withSync.metrics.documentsRead - baseline.metrics.documentsRead,
        ranges:
          withSync.metrics.databaseQueries - baseline.metrics.databaseQueries,
        writes:
          withSync.metrics.documentsWritten - baseline.metrics.documentsWritten,
      };
    };
    // The fold record and, until a fold command settles it, the stop's
    // run (which says writes stopped); the suspended holders of the
    // address; the login stamped on users alone.
    expect(await extra()).toEqual({ reads: 4, ranges: 4, writes: 1 });
    // Any fold command settles the record (a dry run of verify here).
    await t.mutation(internal.fold.startFoldPhase, {
      phase: "verify",
      dryRun: true,
    });
    await runDueFunctions(t);
    expect(await extra()).toEqual({ reads: 3, ranges: 3, writes: 1 });
  });
});
