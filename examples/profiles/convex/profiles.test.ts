/**
 * This app's own behaviour, beyond the conformance suite: its profile API,
 * and what a reference on the app's side alone means.
 */
import { isAppError } from "convex-auth-user-sync";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api";
import { newBackend, profilesApp } from "./conformance.helpers";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2026, 7, 1));
});
afterEach(() => {
  vi.useRealTimers();
});

const signUp = (t: ReturnType<typeof newBackend>, email: string) =>
  profilesApp.passwordSignIn(t, {
    email,
    password: "correct horse",
    flow: "signUp",
  });

async function rejection(promise: Promise<unknown>) {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  return isAppError(error) ? error.data.code : error;
}

describe("profile API", () => {
  test("me is null signed out; the caller's own profile signed in", async () => {
    const t = newBackend();
    expect(await t.query(api.profiles.me, {})).toBeNull();
    const ada = await signUp(t, "ada@example.com");
    await ada.asUser.mutation(api.profiles.setDisplayName, {
      displayName: "  Ada  ",
    });
    expect(await ada.asUser.query(api.profiles.me, {})).toMatchObject({
      userId: ada.userId,
      displayName: "Ada",
      email: "ada@example.com",
      emailVerified: false,
    });
  });

  test("a display name out of bounds is INVALID_ARGUMENT and writes nothing", async () => {
    const t = newBackend();
    const ada = await signUp(t, "ada@example.com");
    const before = await t.run(async (ctx) => ({
      users: await ctx.db.query("users").collect(),
      profiles: await ctx.db.query("profiles").collect(),
    }));
    for (const displayName of ["   ", "x".repeat(61)]) {
      expect(
        await rejection(
          ada.asUser.mutation(api.profiles.setDisplayName, { displayName }),
        ),
      ).toBe("INVALID_ARGUMENT");
    }
    expect(
      await t.run(async (ctx) => ({
        users: await ctx.db.query("users").collect(),
        profiles: await ctx.db.query("profiles").collect(),
      })),
    ).toEqual(before);
  });

  test("signed out, a mutation is UNAUTHENTICATED", async () => {
    const t = newBackend();
    expect(
      await rejection(
        t.mutation(api.profiles.setDisplayName, { displayName: "Eve" }),
      ),
    ).toBe("UNAUTHENTICATED");
  });

  test("users.name follows the profile: the app owns the display name", async () => {
    const t = newBackend();
    const ada = await signUp(t, "ada@example.com");
    await ada.asUser.mutation(api.profiles.setDisplayName, {
      displayName: "Ada",
    });
    // A write to users.name by app code is carried back from the profile.
    await t.run(async (ctx) => {
      await ctx.db.patch("users", ada.userId, {
        name: "dashboard edit",
      });
    });
    await t.mutation(internal.userSync.syncAllUsers, {});
    await t.finishAllScheduledFunctions(() => vi.advanceTimersByTime(0));
    const user = await t.run(async (ctx) => ctx.db.get("users", ada.userId));
    expect(user?.name).toBe("Ada");
  });
});

describe("a reference on the app's side only", () => {
  test("two profiles naming one user: neither is theirs until a person decides; edits are refused", async () => {
    const t = newBackend();
    const ada = await signUp(t, "ada@example.com");
    await t.run(async (ctx) =>
      ctx.db.insert("profiles", {
        userId: ada.userId,
        email: "eve@example.com",
        displayName: "Eve",
        createdAt: 1,
      }),
    );
    await t.mutation(internal.userSync.syncAllUsers, {});
    await t.finishAllScheduledFunctions(() => vi.advanceTimersByTime(0));
    expect(await ada.asUser.query(api.profiles.me, {})).toMatchObject({
      profileId: null,
    });
    expect(
      await rejection(
        ada.asUser.mutation(api.profiles.setDisplayName, {
          displayName: "Ada",
        }),
      ),
    ).toBe("CONFLICT");
    const reviews = await t.run(async (ctx) =>
      ctx.db.query("sync_reviews").collect(),
    );
    expect(reviews.map((r) => r.kind)).toContain("duplicate_counterpart");
  });

  test("deleting one of two profiles naming a user brings the other into step at once", async () => {
    const t = newBackend();
    const ada = await signUp(t, "ada@example.com");
    const own = await t.run(async (ctx) =>
      ctx.db
        .query("profiles")
        .withIndex("by_userId", (q) => q.eq("userId", ada.userId))
        .unique(),
    );
    const other = await t.run(async (ctx) =>
      ctx.db.insert("profiles", {
        userId: ada.userId,
        email: "ADA@example.com ",
        displayName: "Ada (imported)",
        createdAt: 1,
      }),
    );
    await t.mutation(internal.admin.deleteProfile, { profileId: own!._id });
    const after = await t.run(async (ctx) => ({
      user: await ctx.db.get("users", ada.userId),
      profile: await ctx.db.get("profiles", other),
    }));
    expect(after.profile).toMatchObject({
      email: "ada@example.com",
      displayName: "Ada (imported)",
    });
    expect(after.user?.name).toBe("Ada (imported)");
    const check = await t.run(async (ctx) =>
      profilesApp.userSync.checkTables(
        (await ctx.db.query("users").collect()) as never,
        await ctx.db.query("profiles").collect(),
      ),
    );
    expect(check.problems).toEqual([]);
  });
});

describe("bulk runs with the reference on the app side only", () => {
  test("a health run reads each document once: under 2.2 reads and 0.2 index ranges per user, for K = 1 and 4", async () => {
    const n = 300;
    const t = newBackend();
    await t.run(async (ctx) => {
      for (let i = 0; i < n; i++) {
        const email = `pair${i}@example.com`;
        const userId = await ctx.db.insert("users", {
          email,
          name: `Pair ${i}`,
          emailVerificationTime: 1,
          // The fold's copies of the profile's fields (convex/sync.ts).
          createdAt: 1,
          emailKey: email,
          emailVerified: true,
          displayName: `Pair ${i}`,
        });
        await ctx.db.insert("profiles", {
          userId,
          email,
          emailVerified: true,
          displayName: `Pair ${i}`,
          createdAt: 1,
        });
      }
    });
    for (const workers of [1, 4]) {
      const started = await t.mutation(internal.userSync.syncAllUsers, {
        workers,
      });
      await t.finishAllScheduledFunctions(() => vi.advanceTimersByTime(0));
      const run = await t.query(internal.userSync.getRun, {
        runId: started._id,
      });
      expect(run).toMatchObject({
        status: "completed",
        counts: { unchanged: 2 * n, repaired: 0, linked: 0, created: 0 },
      });
      expect(run!.totals.documentsRead / n).toBeLessThan(2.2);
      expect(run!.totals.databaseQueries / n).toBeLessThan(0.2);
    }
  });

  test("two profiles naming one user are seen in one key group: neither is taken, a person decides", async () => {
    const t = newBackend();
    const [userId, first, second] = await t.run(async (ctx) => {
      const userId = await ctx.db.insert("users", {
        email: "twin@example.com",
        name: "Twin",
        emailVerificationTime: 1,
      });
      const profile = {
        userId,
        email: "twin@example.com",
        emailVerified: true,
        displayName: "Twin",
        createdAt: 1,
      };
      return [
        userId,
        await ctx.db.insert("profiles", profile),
        await ctx.db.insert("profiles", { ...profile, displayName: "Other" }),
      ];
    });
    const before = await t.run(async (ctx) =>
      ctx.db.query("profiles").collect(),
    );
    await t.mutation(internal.userSync.syncAllUsers, { workers: 2 });
    await t.finishAllScheduledFunctions(() => vi.advanceTimersByTime(0));
    const { profiles, reviews } = await t.run(async (ctx) => ({
      profiles: await ctx.db.query("profiles").collect(),
      reviews: await ctx.db.query("sync_reviews").collect(),
    }));
    expect(profiles).toEqual(before);
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({
      kind: "duplicate_counterpart",
      user_id: userId,
    });
    expect([...reviews[0]!.row_ids].sort()).toEqual([first, second].sort());
  });
});

describe("resolutions with the app's reference only", () => {
  /** Ada's profile, and Eve's imported profile naming Ada: one case. */
  async function duplicate() {
    const t = newBackend();
    const ada = await signUp(t, "ada@example.com");
    const eve = await t.run(async (ctx) =>
      ctx.db.insert("profiles", {
        userId: ada.userId,
        email: "eve@example.com",
        displayName: "Eve",
        createdAt: 1,
      }),
    );
    await t.mutation(internal.userSync.syncAllUsers, {});
    await t.finishAllScheduledFunctions(() => vi.advanceTimersByTime(0));
    const { userSync } = profilesApp;
    const [view] = (
      await t.run(async (ctx) =>
        userSync.openCases(ctx, { numItems: 10, cursor: null }),
      )
    ).page;
    expect(view!.review.kind).toBe("duplicate_counterpart");
    // Neither profile is Ada's counterpart while both name her.
    expect(view!.counterpart).toBeNull();
    const own = view!.rows.find((row) => row.id !== eve)!.id;
    const resolve = (request: Record<string, unknown>) =>
      t.run(async (ctx) =>
        userSync.resolveCase(ctx, {
          reviewId: view!.review._id,
          version: view!.version,
          actor: { label: "test" },
          ...request,
        } as never),
      );
    return { t, ada, eve, own, resolve };
  }

  test("link is refused while another profile names the user", async () => {
    const { ada, own, resolve } = await duplicate();
    expect(
      await rejection(
        resolve({ action: "link", userId: ada.userId, rowId: own }),
      ),
    ).toBe("CONFLICT");
  });

  test("keeping Eve's profile apart clears its claim, and Ada's own is hers again", async () => {
    const { t, ada, eve, resolve } = await duplicate();
    await resolve({ action: "keep_separate", userId: ada.userId, rowId: eve });
    const profile = await t.run(async (ctx) => ctx.db.get("profiles", eve));
    expect(profile?.userId).toBeUndefined();
    await ada.asUser.mutation(api.profiles.setDisplayName, {
      displayName: "Ada",
    });
    expect(await ada.asUser.query(api.profiles.me, {})).toMatchObject({
      displayName: "Ada",
      email: "ada@example.com",
    });
    // A run leaves them apart and records nothing new.
    await t.mutation(internal.userSync.syncAllUsers, {});
    await t.finishAllScheduledFunctions(() => vi.advanceTimersByTime(0));
    const open = await t.run(async (ctx) =>
      profilesApp.userSync.openCases(ctx, { numItems: 10, cursor: null }),
    );
    expect(open.page).toEqual([]);
  });

  test("retiring Eve's profile deletes it alone; its field names are in the audit log", async () => {
    const { t, ada, eve, own, resolve } = await duplicate();
    await resolve({ action: "retire", rowId: eve });
    const after = await t.run(async (ctx) => ({
      eve: await ctx.db.get("profiles", eve),
      own: await ctx.db.get("profiles", own as never),
      audit: await profilesApp.userSync.auditPage(ctx, {
        numItems: 1,
        cursor: null,
      }),
    }));
    expect(after.eve).toBeNull();
    expect(after.own).toMatchObject({ userId: ada.userId });
    // Names, never values: the profile was a person's (erasure).
    expect(after.audit.page[0]!.changes).toContainEqual({
      table: "profiles",
      id: eve,
      field: "displayName",
    });
    expect(await ada.asUser.query(api.profiles.me, {})).toMatchObject({
      profileId: own,
    });
  });
});
