/**
 * The sync on Convex Auth v2, through v2's real flows: the adapter's
 * createUser and onSignIn (packages/convex-auth-user-sync/src/v2/), a legacy
 * member claimed only on a proven address, the field map, the login stamp,
 * suspension refused at sign-in with sessions revoked, and an account's
 * deletion reaching v2's components.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api";
import {
  asUser,
  inComponent,
  newTest,
  signInWithGithub,
  signInWithPassword,
  signUpWithPassword,
  type TestConvex,
  trySignInWithPassword,
} from "./signIn.helpers";
import {
  legacyMember,
  members,
  PASSWORD,
  refusal,
  reviews,
  users,
} from "./app.helpers";

/** Ada's GitHub account, whose address GitHub verified. */
const ADA_ON_GITHUB = {
  id: 42,
  login: "ada",
  email: "ada@example.com",
  emailVerified: true,
};

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const sessionsOf = (t: TestConvex, userId: string) =>
  inComponent(t, "auth", async (ctx) =>
    (await ctx.db.query("sessions").collect()).filter(
      (session) => session.userId === userId,
    ),
  );

describe("a legacy member is claimed only on a proven address", () => {
  test("a password sign-up proves its address with the emailed code, and claims the member", async () => {
    const t = newTest();
    const memberId = await legacyMember(t, {
      email: "ada@example.com",
      fullName: "Ada Lovelace",
    });
    const { userId } = await signUpWithPassword(t, "ada@example.com", PASSWORD);
    const [member] = await members(t);
    expect(member).toMatchObject({
      _id: memberId,
      userId,
      emailVerified: true,
      company: "Analytical Engines",
    });
    const [user] = await users(t);
    expect(user).toMatchObject({
      _id: userId,
      email: "ada@example.com",
      // The member's name is the app's (owner "app"): users mirrors it.
      name: "Ada Lovelace",
    });
    expect(user?.emailVerificationTime).toBeTypeOf("number");
    expect(user?.pendingFirstSignIn).toBeUndefined();
    expect(user?.authMethods).toEqual([{ method: "emailPassword" }]);
    expect(await reviews(t)).toEqual([]);
  });

  test("a sign-up that never enters its code claims nothing and stays pending", async () => {
    const t = newTest();
    await legacyMember(t, { email: "ada@example.com" });
    const started = await t
      .withRequestMetadata({ ip: "203.0.113.7" })
      .mutation(api.auth.signUpWithEmailPassword, {
        email: "ada@example.com",
        password: PASSWORD,
      });
    expect(started.success).toBe(true);
    const [member] = await members(t);
    expect(member?.userId).toBeUndefined();
    const [user] = await users(t);
    expect(user?.pendingFirstSignIn).toBe(true);
    expect(user?.email).toBeUndefined();
  });

  test("GitHub's verified address claims the member; the picture flows to it (owner provider)", async () => {
    const t = newTest();
    const memberId = await legacyMember(t, { email: "ada@example.com" });
    const { userId } = await signInWithGithub(t, {
      id: 42,
      login: "ada",
      email: "ada@example.com",
      emailVerified: true,
      name: "Ada",
      avatarUrl: "https://avatars.example.com/ada.png",
    });
    const [member] = await members(t);
    expect(member).toMatchObject({
      _id: memberId,
      userId,
      emailVerified: true,
      avatarUrl: "https://avatars.example.com/ada.png",
    });
    expect(typeof member?.lastLoginAt).toBe("number");
    const [user] = await users(t);
    expect(user?.lastLoginAt).toBe(member?.lastLoginAt);
    expect(user?.authMethods).toEqual([{ method: "github", account: "42" }]);
  });

  test("an unverified GitHub address never claims the member: a member of its own, and a review", async () => {
    const t = newTest();
    const legacyId = await legacyMember(t, { email: "ada@example.com" });
    const { userId } = await signInWithGithub(t, {
      id: 666,
      login: "mallory",
      email: "ada@example.com",
      emailVerified: false,
    });
    const all = await members(t);
    expect(all.find((member) => member._id === legacyId)?.userId).toBe(
      undefined,
    );
    const own = all.find((member) => member.userId === userId);
    expect(own).toBeDefined();
    expect(own?.emailVerified).not.toBe(true);
    expect((await reviews(t)).map((review) => review.kind)).toEqual([
      "unverified_email_match",
    ]);
  });

  test("a second method proving the same address joins the same person (v1's linking, exact)", async () => {
    const t = newTest();
    await legacyMember(t, { email: "ada@example.com" });
    const byPassword = await signUpWithPassword(t, "ada@example.com", PASSWORD);
    const byGithub = await signInWithGithub(t, ADA_ON_GITHUB);
    expect(byGithub.userId).toBe(byPassword.userId);
    expect(await users(t)).toHaveLength(1);
    expect(await members(t)).toHaveLength(1);
    const [user] = await users(t);
    expect(user?.authMethods).toEqual([
      { method: "emailPassword" },
      { method: "github", account: "42" },
    ]);
  });

  test("another spelling of the address is another user, kept apart for a person to decide", async () => {
    const t = newTest();
    const legacyId = await legacyMember(t, { email: "ada@example.com" });
    const byGithub = await signInWithGithub(t, ADA_ON_GITHUB);
    const byPassword = await signUpWithPassword(t, "Ada@Example.com", PASSWORD);
    expect(byPassword.userId).not.toBe(byGithub.userId);
    const legacy = (await members(t)).find((member) => member._id === legacyId);
    // The member stays with the first proven owner of the address.
    expect(legacy?.userId).toBe(byGithub.userId);
    expect((await reviews(t)).length).toBeGreaterThan(0);
  });
});

describe("a suspended person is refused at sign-in, their sessions revoked", () => {
  test("suspension revokes every session at once, and both methods are refused", async () => {
    const t = newTest();
    await legacyMember(t, { email: "ada@example.com" });
    const signedUp = await signUpWithPassword(t, "ada@example.com", PASSWORD);
    await signInWithGithub(t, ADA_ON_GITHUB);
    expect(await sessionsOf(t, signedUp.userId)).toHaveLength(2);

    await t.mutation(internal.userSync.suspend, { id: signedUp.userId });
    expect(await sessionsOf(t, signedUp.userId)).toEqual([]);
    // Signed out at once: v2 finds the caller through the session.
    expect(
      await asUser(t, signedUp.tokens).query(api.users.viewer, {}),
    ).toBeNull();

    vi.advanceTimersByTime(61_000);
    expect(
      await refusal(signInWithPassword(t, "ada@example.com", PASSWORD)),
    ).toBe("FORBIDDEN");
    expect(await refusal(signInWithGithub(t, ADA_ON_GITHUB))).toBe("FORBIDDEN");
    expect(await sessionsOf(t, signedUp.userId)).toEqual([]);

    await t.mutation(internal.userSync.reactivate, { id: signedUp.userId });
    vi.advanceTimersByTime(61_000);
    const back = await signInWithPassword(t, "ada@example.com", PASSWORD);
    expect(back.userId).toBe(signedUp.userId);
  });

  test("a new GitHub identity proving a suspended person's address is refused, and makes no user", async () => {
    const t = newTest();
    await legacyMember(t, { email: "ada@example.com" });
    const { userId } = await signUpWithPassword(t, "ada@example.com", PASSWORD);
    await t.mutation(internal.userSync.suspend, { id: userId });
    expect(
      await refusal(
        signInWithGithub(t, {
          id: 77,
          login: "ada2",
          email: "ada@example.com",
          emailVerified: true,
        }),
      ),
    ).toBe("FORBIDDEN");
    expect((await users(t)).map((user) => user._id)).toEqual([userId]);
  });
});

describe("deleting an account reaches Convex Auth v2's components", () => {
  test("the user, its member, sessions, verified address and password go; GitHub's account cannot, and is refused", async () => {
    const t = newTest();
    await legacyMember(t, { email: "ada@example.com" });
    const signedUp = await signUpWithPassword(t, "ada@example.com", PASSWORD);
    await signInWithGithub(t, ADA_ON_GITHUB);
    const hashBefore = await inComponent(t, "authPassword", async (ctx) =>
      (await ctx.db.query("passwords").collect()).map(
        (row) => row.passwordHashPHC,
      ),
    );
    expect(hashBefore).toHaveLength(1);

    await asUser(t, signedUp.tokens).mutation(api.members.deleteMyAccount, {});

    expect(await users(t)).toEqual([]);
    expect(await members(t)).toEqual([]);
    expect(await sessionsOf(t, signedUp.userId)).toEqual([]);
    // The email component holds nothing of the person.
    expect(
      await inComponent(t, "authEmail", async (ctx) => [
        ...(await ctx.db.query("verifiedEmails").collect()),
      ]),
    ).toEqual([]);
    // 2.0.0 cannot delete a password: its hash is replaced by one of a
    // random secret, so no hash of the person's password is left.
    const hashAfter = await inComponent(t, "authPassword", async (ctx) =>
      (await ctx.db.query("passwords").collect()).map(
        (row) => row.passwordHashPHC,
      ),
    );
    expect(hashAfter).toHaveLength(1);
    expect(hashAfter[0]).not.toBe(hashBefore[0]);
    vi.advanceTimersByTime(61_000);
    const again = await trySignInWithPassword(t, "ada@example.com", PASSWORD);
    expect(again.status).toBe("error");

    // GitHub's account stays in its component (2.0.0 has no deletion), naming
    // a user that no longer exists: a sign-in with it is refused, never
    // handed a user.
    expect(await refusal(signInWithGithub(t, ADA_ON_GITHUB))).toBe("FORBIDDEN");
    expect(await users(t)).toEqual([]);
  });
});

describe("deleting through app code reaches the components too", () => {
  test("app code deleting the user (through the triggers) replaces the password hash and erases the address", async () => {
    const t = newTest();
    await legacyMember(t, { email: "ada@example.com" });
    const { userId } = await signUpWithPassword(t, "ada@example.com", PASSWORD);
    const hashes = () =>
      inComponent(t, "authPassword", async (ctx) =>
        (await ctx.db.query("passwords").collect()).map(
          (row) => row.passwordHashPHC as string,
        ),
      );
    const before = await hashes();
    await t.mutation(internal.admin.deleteUserRecord, { userId });
    expect(await users(t)).toEqual([]);
    expect(await members(t)).toEqual([]);
    const after = await hashes();
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before[0]);
    expect(
      await inComponent(
        t,
        "authEmail",
        async (ctx) => await ctx.db.query("verifiedEmails").collect(),
      ),
    ).toEqual([]);
  });
});

describe("the operator's view", () => {
  test("a case from an unproven address is resolved by a person, and the audit log says who did what", async () => {
    const t = newTest();
    const legacyId = await legacyMember(t, { email: "ada@example.com" });
    const { userId } = await signInWithGithub(t, {
      id: 666,
      login: "mallory",
      email: "ada@example.com",
      emailVerified: false,
    });
    const { page } = await t.query(internal.userSync.openCases, {
      paginationOpts: { numItems: 10, cursor: null },
    });
    expect(page.map((open) => open.review.kind)).toEqual([
      "unverified_email_match",
    ]);
    await t.mutation(internal.userSync.resolveCase, {
      reviewId: page[0].review._id,
      version: page[0].version,
      action: "keep_separate",
      userId,
      rowId: legacyId,
      note: "not the same person",
    });
    const after = await t.query(internal.userSync.openCases, {
      paginationOpts: { numItems: 10, cursor: null },
    });
    expect(after.page).toEqual([]);
    const log = await t.query(internal.userSync.auditLog, {
      paginationOpts: { numItems: 10, cursor: null },
    });
    expect(log.page[0]).toMatchObject({ action: "resolve:keep_separate" });
    expect(log.page[0]?.summary).toContain("not the same person");
    // The member stays unclaimed.
    const legacy = (await members(t)).find((member) => member._id === legacyId);
    expect(legacy?.userId).toBeUndefined();
  });

  test("findUser lists the person's sign-in methods from v2's components", async () => {
    const t = newTest();
    await legacyMember(t, { email: "ada@example.com" });
    await signUpWithPassword(t, "ada@example.com", PASSWORD);
    await signInWithGithub(t, ADA_ON_GITHUB);
    const { candidates } = await t.query(internal.userSync.findUser, {
      email: "ada@example.com",
    });
    expect(candidates.map((candidate) => candidate.signInMethods)).toEqual([
      ["github", "emailPassword"],
    ]);
  });
});
