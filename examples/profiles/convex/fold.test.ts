/**
 * The fold into one table with the reference on the app's side only
 * (docs/fold.md): expand, placeholders for people who never signed in, a
 * re-point with nothing to re-point (no table holds a profile's id), each
 * rolled back; a placeholder claimed only by a sign-in that proves its
 * address, which Password never does.
 */
import type { FoldPhase as Phase } from "convex-auth-user-sync";
import { convexTest } from "convex-test";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { sessionOfToken } from "../../../conformance/convexAuthV1";
import { runDueFunctions } from "../../../conformance/runs";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { modules, profilesApp } from "./conformance.helpers";
import {
  EMAIL_CODE,
  EMAIL_CODE_MODULES,
  EMAIL_CODE_PROVIDER,
} from "./emailCode.helpers";
import schema from "./schema";
import { userSync } from "./sync";

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

/** The app, with an emailed code beside its Password (emailCode.helpers). */
function newBackend() {
  return convexTest({ schema, modules: { ...modules, ...EMAIL_CODE_MODULES } });
}
type Backend = ReturnType<typeof newBackend>;

/** Starts a phase and drives its run (if it has one) to the end. */
async function forward(t: Backend, phase: Phase, dryRun?: boolean) {
  const run = await t.mutation(internal.userSync.startFoldPhase, {
    phase,
    dryRun,
    ...(phase === "retire" ? { confirm: true } : {}),
  });
  await runDueFunctions(t);
  return run;
}

async function back(t: Backend, phase: Phase) {
  const run = await t.mutation(internal.userSync.rollbackFoldPhase, {
    phase,
    confirm: true,
  });
  await runDueFunctions(t);
  return run;
}

async function stage(t: Backend) {
  return (await t.query(internal.userSync.foldStatus, {})).stage;
}

async function readTables(t: Backend) {
  return await t.run(async (ctx) => ({
    users: await ctx.db.query("users").collect(),
    profiles: await ctx.db.query("profiles").collect(),
    reviews: await ctx.db.query("sync_reviews").collect(),
    audit: await ctx.db.query("sync_audit").collect(),
  }));
}

async function problems(t: Backend) {
  const { users, profiles } = await readTables(t);
  return userSync.checkTables(users, profiles).problems;
}

const signUp = (t: Backend, email: string) =>
  profilesApp.passwordSignIn(t, {
    email,
    password: "correct horse",
    flow: "signUp",
  });

/** A sign-in by a code sent to the address: it proves the address. */
async function emailCodeSignIn(t: Backend, email: string) {
  await t.action(api.auth.signIn, {
    provider: EMAIL_CODE_PROVIDER,
    params: { email },
  });
  const { tokens } = await t.action(api.auth.signIn, {
    provider: EMAIL_CODE_PROVIDER,
    params: { email, code: EMAIL_CODE },
  });
  if (tokens === undefined || tokens === null) {
    throw new Error("the code made no session");
  }
  const { userId, sessionId } = sessionOfToken(tokens.token);
  return {
    userId,
    asUser: t.withIdentity({ subject: `${userId}|${sessionId}` }),
  };
}

async function insertLegacyProfile(
  t: Backend,
  fields: { email?: string; displayName: string; bio?: string },
): Promise<Id<"profiles">> {
  return await t.run(async (ctx) =>
    ctx.db.insert("profiles", { ...fields, createdAt: T0 }),
  );
}

/** Ada signed up before the fold; Grace never signed in. */
async function twoPeople(t: Backend) {
  const ada = await signUp(t, "ada@example.com");
  const adaProfile = (await readTables(t)).profiles[0]!;
  // Written outside the triggers, as an import would: the expand run
  // brings the copy into step.
  await t.run(async (ctx) => {
    await ctx.db.patch("profiles", adaProfile._id, { bio: "Engines" });
  });
  const grace = await insertLegacyProfile(t, {
    email: "Grace@Example.com",
    displayName: "Grace Hopper",
    bio: "Navy",
  });
  return { ada, adaProfile: adaProfile._id, grace };
}

describe("fold, with the reference on the app's side only", () => {
  test("two tables to one: every value on users, a placeholder for who never signed in, nothing to re-point", async () => {
    const t = newBackend();
    const { ada, adaProfile, grace } = await twoPeople(t);
    expect(await stage(t)).toBe("two_tables");

    // 1. Expand: the profile's own fields get a home on users.
    await forward(t, "expand");
    expect(await stage(t)).toBe("expanded");
    let tables = await readTables(t);
    expect(tables.users.find((u) => u._id === ada.userId)).toMatchObject({
      bio: "Engines",
      createdAt: T0,
    });

    // 2. Placeholders: Grace gets a users row holding no provider's address,
    //    named by her profile alone (the app's reference).
    await forward(t, "placeholders");
    expect(await stage(t)).toBe("placeholders");
    tables = await readTables(t);
    const graceProfile = tables.profiles.find((p) => p._id === grace)!;
    const placeholder = tables.users.find(
      (u) => u._id === graceProfile.userId,
    )!;
    expect(placeholder).toMatchObject({
      unclaimed: "grace@example.com",
      name: "Grace Hopper",
      bio: "Navy",
      createdAt: T0,
    });
    expect(placeholder.email).toBeUndefined();
    expect(graceProfile.email).toBe("grace@example.com");
    expect(graceProfile.emailVerified).toBeUndefined();
    expect(await problems(t)).toEqual([]);

    // 3. Re-point: no table holds a profile's id; the stage moves at once.
    expect(await forward(t, "repoint")).toBeNull();
    expect(await stage(t)).toBe("repointed");

    // 4. Grace signs in with a code to her address: her new user takes over
    //    the placeholder and her profile.
    const signedIn = await emailCodeSignIn(t, "grace@example.com");
    tables = await readTables(t);
    expect(tables.users.some((u) => u._id === placeholder._id)).toBe(false);
    expect(tables.users.find((u) => u._id === signedIn.userId)).toMatchObject({
      email: "grace@example.com",
      name: "Grace Hopper",
      bio: "Navy",
    });
    expect(tables.profiles.find((p) => p._id === grace)!.userId).toBe(
      signedIn.userId,
    );
    expect(await signedIn.asUser.query(api.profiles.me, {})).toMatchObject({
      profileId: grace,
      displayName: "Grace Hopper",
      emailVerified: true,
    });
    expect(tables.profiles).toHaveLength(2);
    expect(tables.audit.map((entry) => entry.action)).toContain("fold:claim");
    expect(await problems(t)).toEqual([]);
    // Ada's pair is as it was.
    expect(tables.profiles.find((p) => p._id === adaProfile)!.userId).toBe(
      ada.userId,
    );
  });

  test("each phase rolls back with nothing lost", async () => {
    const t = newBackend();
    const { ada, adaProfile, grace } = await twoPeople(t);
    const noEmail = await insertLegacyProfile(t, { displayName: "Anonymous" });
    await forward(t, "expand");
    await forward(t, "placeholders");
    await forward(t, "repoint");
    const before = await readTables(t);
    expect(before.users.filter((u) => u.unclaimed !== undefined)).toHaveLength(
      2,
    );

    expect(await back(t, "repoint")).toBeNull();
    expect(await stage(t)).toBe("placeholders");

    await back(t, "placeholders");
    expect(await stage(t)).toBe("expanded");
    const after = await readTables(t);
    // The placeholders went; their profiles are legacy profiles again.
    expect(after.users.filter((u) => u.unclaimed !== undefined)).toEqual([]);
    for (const id of [grace, noEmail]) {
      const profile = after.profiles.find((p) => p._id === id)!;
      expect(profile.userId).toBeUndefined();
      expect(profile.emailVerified).toBeUndefined();
    }
    expect(after.users.find((u) => u._id === ada.userId)).toEqual(
      before.users.find((u) => u._id === ada.userId),
    );
    expect(after.profiles.find((p) => p._id === adaProfile)).toEqual(
      before.profiles.find((p) => p._id === adaProfile),
    );

    await back(t, "expand");
    expect(await stage(t)).toBe("two_tables");
    // The expand fields stay in place.
    expect(
      (await readTables(t)).users.find((u) => u._id === ada.userId)!.bio,
    ).toBe("Engines");
  });
});

test("rolling placeholders back leaves a placeholder two profiles name for a person, and the stage where it was (found by the profiles' fold)", async () => {
  const t = newBackend();
  const { grace } = await twoPeople(t);
  await forward(t, "expand");
  await forward(t, "placeholders");
  const placeholder = (await readTables(t)).users.find(
    (u) => u.unclaimed === "grace@example.com",
  )!;
  // An import names Grace's placeholder too: neither profile is provably
  // its own, so neither can be unlinked from it, nor the placeholder go.
  const imported = await insertLegacyProfile(t, {
    email: "eve@example.com",
    displayName: "Eve",
  });
  await t.run(async (ctx) => {
    await ctx.db.patch("profiles", imported, { userId: placeholder._id });
  });
  const before = await readTables(t);
  await back(t, "placeholders");
  const after = await readTables(t);
  // Still a placeholder, so still the placeholders stage.
  expect(await stage(t)).toBe("placeholders");
  expect(after.users).toEqual(before.users);
  expect(after.profiles).toEqual(before.profiles);
  const review = after.reviews.find(
    (r) => r.kind === "duplicate_counterpart" && r.user_id === placeholder._id,
  );
  expect([...review!.row_ids].sort()).toEqual([grace, imported].sort());
});

describe("claiming a placeholder, with the reference on the app's side only", () => {
  async function folded(t: Backend) {
    const people = await twoPeople(t);
    await forward(t, "expand");
    await forward(t, "placeholders");
    await forward(t, "repoint");
    const { users } = await readTables(t);
    const placeholder = users.find((u) => u.unclaimed === "grace@example.com")!;
    return { ...people, placeholder };
  }

  test("a Password sign-up on the address proves nothing and claims nothing", async () => {
    const t = newBackend();
    const { grace, placeholder } = await folded(t);
    const stranger = await signUp(t, "grace@example.com");
    const tables = await readTables(t);
    expect(tables.users.find((u) => u._id === placeholder._id)).toBeDefined();
    expect(tables.profiles.find((p) => p._id === grace)!.userId).toBe(
      placeholder._id,
    );
    expect(
      tables.users.find((u) => u._id === stranger.userId)!.bio,
    ).toBeUndefined();
    expect(
      (await stranger.asUser.query(api.profiles.me, {}))!.profileId,
    ).not.toBe(grace);
    expect(tables.reviews.map((review) => review.kind)).toContain(
      "unverified_email_match",
    );
  });

  test("a placeholder two profiles name is nobody's to claim: a person decides, nothing moves (found by the profiles' fold)", async () => {
    const t = newBackend();
    const { grace, placeholder } = await folded(t);
    // An import names the placeholder too: which profile is Grace's is no
    // longer proven (the app's reference is the only one).
    const imported = await t.run(async (ctx) =>
      ctx.db.insert("profiles", {
        userId: placeholder._id,
        email: "eve@example.com",
        displayName: "Eve",
        createdAt: T0,
      }),
    );
    const before = await readTables(t);
    const signedIn = await emailCodeSignIn(t, "grace@example.com");
    const after = await readTables(t);
    // The placeholder and both profiles naming it are as they were.
    expect(after.users.find((u) => u._id === placeholder._id)).toEqual(
      before.users.find((u) => u._id === placeholder._id),
    );
    for (const id of [grace, imported]) {
      expect(after.profiles.find((p) => p._id === id)).toEqual(
        before.profiles.find((p) => p._id === id),
      );
    }
    const user = after.users.find((u) => u._id === signedIn.userId)!;
    expect(user.bio).toBeUndefined();
    expect(user.name).not.toBe("Grace Hopper");
    expect(after.audit.map((entry) => entry.action)).not.toContain(
      "fold:claim",
    );
    expect(
      after.reviews.find(
        (review) =>
          review.user_id === signedIn.userId &&
          review.row_ids.includes(grace) &&
          review.row_ids.includes(imported),
      ),
    ).toBeDefined();
  });
});

describe("the fold's last runs, with the reference on the app's side only", () => {
  /** Every phase forward to writes_stopped. */
  async function writesStopped(t: Backend) {
    const people = await twoPeople(t);
    for (const phase of [
      "expand",
      "placeholders",
      "repoint",
      "switch_reads",
      "stop_writes",
    ] as const) {
      await forward(t, phase);
    }
    expect(await stage(t)).toBe("writes_stopped");
    return people;
  }

  test("stop_writes rolled back writes each profile from its user and gives one to who signed up since; verify and retire then leave users alone", async () => {
    const t = newBackend();
    const { ada, adaProfile } = await writesStopped(t);
    // Ada's edit and Linus's sign-up while writes were stopped: users alone.
    vi.advanceTimersByTime(60 * 1000);
    const linus = await t.run(async (ctx) => {
      await ctx.db.patch("users", ada.userId, {
        bio: "Analytical engines",
        updatedAt: Date.now(),
      });
      return await ctx.db.insert("users", {
        email: "linus@example.com",
        emailKey: "linus@example.com",
        emailVerified: false,
        name: "Linus",
        displayName: "Linus",
        createdAt: Date.now(),
        updatedAt: Date.now(),
      });
    });

    const run = await back(t, "stop_writes");

    expect(run?.plan).toEqual(["rows_from_users"]);
    expect(await stage(t)).toBe("reads_switched");
    let tables = await readTables(t);
    expect(tables.profiles.find((p) => p._id === adaProfile)?.bio).toBe(
      "Analytical engines",
    );
    expect(tables.profiles.filter((p) => p.userId === linus)).toEqual([
      expect.objectContaining({
        email: "linus@example.com",
        displayName: "Linus",
      }),
    ]);
    expect(await problems(t)).toEqual([]);

    // Forward to the end: verify (no reference to check), then retire.
    await forward(t, "stop_writes");
    expect((await forward(t, "verify"))?.plan).toEqual(["verify"]);
    expect(await stage(t)).toBe("verified");
    const before = await readTables(t);
    await forward(t, "retire");
    expect(await stage(t)).toBe("retired");
    tables = await readTables(t);
    expect(tables.profiles).toEqual([]);
    expect(tables.users).toEqual(before.users);
  });
});

describe("single-table mode, with the reference on the app's side only", () => {
  test("sign-ins write users alone; a claim re-points the profile's reference and nothing else", async () => {
    const t = newBackend();
    const { ada, grace } = await twoPeople(t);
    await forward(t, "expand");
    await forward(t, "placeholders");
    await forward(t, "repoint");
    for (const phase of ["switch_reads", "stop_writes"]) {
      await t.mutation(internal.userSync.startFoldPhase, { phase });
      await runDueFunctions(t);
    }
    expect(await stage(t)).toBe("writes_stopped");
    const before = (await readTables(t)).profiles;

    // 1. Ada again, and a new person: users alone, no profile for Bo.
    vi.advanceTimersByTime(1_000);
    await profilesApp.passwordSignIn(t, {
      email: "ada@example.com",
      password: "correct horse",
      flow: "signIn",
    });
    const bo = await signUp(t, "bo@example.com");
    let tables = await readTables(t);
    expect(tables.users.find((u) => u._id === ada.userId)).toMatchObject({
      lastLoginAt: Date.now(),
    });
    expect(tables.users.find((u) => u._id === bo.userId)).toMatchObject({
      emailKey: "bo@example.com",
      emailVerified: false,
      createdAt: Date.now(),
    });
    expect(tables.profiles).toEqual(before);

    // 2. Grace proves her address: her placeholder, and the one write to
    //    profiles, her old profile's reference.
    const signedIn = await emailCodeSignIn(t, "grace@example.com");
    tables = await readTables(t);
    expect(tables.users.find((u) => u._id === signedIn.userId)).toMatchObject({
      bio: "Navy",
      emailKey: "grace@example.com",
      emailVerified: true,
    });
    expect(tables.users.some((u) => u.unclaimed !== undefined)).toBe(false);
    expect(tables.profiles).toEqual(
      before.map((profile) =>
        profile._id === grace
          ? { ...profile, userId: signedIn.userId }
          : profile,
      ),
    );
  });
});
