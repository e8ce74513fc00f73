/**
 * An adversarial review of the Convex Auth v2 adapter: each test states what
 * the product promises and drives v2's real flows (signIn.helpers.ts). A
 * failing test here is a defect found by the review, not yet fixed.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api";
import {
  CLIENT_IP,
  emailedCode,
  inComponent,
  newTest,
  signInWithGithub,
  signInWithPassword,
  signUpWithPassword,
  type TestConvex,
} from "./signIn.helpers";
import {
  changeEmail,
  legacyMember,
  members,
  PASSWORD,
  refusal,
  reviews,
  users,
} from "./app.helpers";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const passwordHashes = (t: TestConvex) =>
  inComponent(t, "authPassword", async (ctx) =>
    (await ctx.db.query("passwords").collect()).map((row) => ({
      userId: row.userId as string,
      hash: row.passwordHashPHC as string,
    })),
  );

const sessionsCount = (t: TestConvex) =>
  inComponent(
    t,
    "auth",
    async (ctx) => (await ctx.db.query("sessions").collect()).length,
  );

describe("an erased person leaves nothing of theirs behind", () => {
  test("deleting the users row as app code does (admin:deleteUserRecord) replaces the password hash", async () => {
    const t = newTest();
    const { userId } = await signUpWithPassword(t, "ada@example.com", PASSWORD);
    const before = await passwordHashes(t);
    expect(before.map((row) => row.userId)).toEqual([userId]);

    await t.mutation(internal.admin.deleteUserRecord, { userId });

    expect(await users(t)).toEqual([]);
    expect(await members(t)).toEqual([]);
    // The person's password hash must not survive the erasure (the same
    // promise userSync.deleteAccount keeps by replacing it).
    const after = await passwordHashes(t);
    expect(after.map((row) => row.hash)).not.toContain(before[0].hash);
  });
});

describe("trust only what is proven", () => {
  test("an address the person changed away from no longer links a new GitHub identity to them", async () => {
    const t = newTest();
    const ada = await signUpWithPassword(t, "ada@old.example", PASSWORD);
    await changeEmail(t, ada.tokens, "ada@new.example");
    // The email component, v2's authority, no longer gives ada the old address.
    const held = await inComponent(t, "authEmail", async (ctx) =>
      (await ctx.db.query("verifiedEmails").collect()).map((row) => row.email),
    );
    expect(held).toEqual(["ada@new.example"]);

    // The old mailbox's next owner signs in with GitHub, which verified it.
    const other = await signInWithGithub(t, {
      id: 99,
      login: "next-owner",
      email: "ada@old.example",
      emailVerified: true,
    });
    expect(other.userId).not.toBe(ada.userId);
  });

  test("an address changed to a legacy member's is recorded for review, never silently doubled", async () => {
    const t = newTest();
    await legacyMember(t, { email: "ada@example.com", fullName: "Ada" });
    const legacyId = await legacyMember(t, {
      email: "grace@example.com",
      fullName: "Grace",
    });
    const ada = await signUpWithPassword(t, "ada@example.com", PASSWORD);
    await changeEmail(t, ada.tokens, "grace@example.com");
    vi.advanceTimersByTime(61_000);
    await t
      .withRequestMetadata({ ip: CLIENT_IP })
      .mutation(api.auth.signInWithEmailPassword, {
        email: "grace@example.com",
        password: PASSWORD,
      });
    // Two members now hold grace@example.com: a case for a person, and the
    // legacy member stays unlinked.
    const legacy = (await members(t)).find((member) => member._id === legacyId);
    expect(legacy?.userId).toBeUndefined();
    expect(
      (await reviews(t)).map((review) => [review.kind, review.row_ids]),
    ).toContainEqual([
      "verified_legacy_match",
      expect.arrayContaining([legacyId]),
    ]);
  });
});

describe("ambiguous data becomes a review", () => {
  test("an address changed to one another signed-in account holds verified is recorded for a person, as on a first sign-in", async () => {
    const t = newTest();
    const grace = await signInWithGithub(t, {
      id: 7,
      login: "grace",
      email: "grace@example.com",
      emailVerified: true,
    });
    const ada = await signUpWithPassword(t, "ada@example.com", PASSWORD);
    await changeEmail(t, ada.tokens, "grace@example.com");
    vi.advanceTimersByTime(61_000);
    const again = await signInWithPassword(t, "grace@example.com", PASSWORD);
    expect(again.userId).toBe(ada.userId);
    expect(again.userId).not.toBe(grace.userId);
    // Two accounts now hold grace@example.com verified: the same case a
    // first sign-in records (duplicate_account).
    const verifiedHolders = (await members(t)).filter(
      (member) =>
        member.email === "grace@example.com" && member.emailVerified === true,
    );
    expect(verifiedHolders).toHaveLength(2);
    expect((await reviews(t)).map((review) => review.kind)).toContain(
      "duplicate_account",
    );
  });
});

describe("one person's rights are never handed to another", () => {
  test("suspending the holder of an unverified GitHub address does not suspend the address's verified owner", async () => {
    const t = newTest();
    const victim = await signUpWithPassword(t, "ada@example.com", PASSWORD);
    const mallory = await signInWithGithub(t, {
      id: 666,
      login: "mallory",
      email: "ada@example.com",
      emailVerified: false,
    });
    expect(mallory.userId).not.toBe(victim.userId);
    await t.mutation(internal.userSync.suspend, { id: mallory.userId });

    const victimUser = (await users(t)).find((u) => u._id === victim.userId);
    expect(victimUser?.status).not.toBe("suspended");
    vi.advanceTimersByTime(61_000);
    const again = await signInWithPassword(t, "ada@example.com", PASSWORD);
    expect(again.userId).toBe(victim.userId);
  });

  test("suspending a person who changed their address away does not suspend the old address's next owner", async () => {
    const t = newTest();
    const ada = await signUpWithPassword(t, "ada@old.example", PASSWORD);
    await changeEmail(t, ada.tokens, "ada@new.example");
    // The old address, freed in v2's email component, is signed up by its
    // next owner, who proves it with the emailed code.
    vi.advanceTimersByTime(61_000);
    const next = await signUpWithPassword(
      t,
      "ada@old.example",
      "another password 123",
    );
    expect(next.userId).not.toBe(ada.userId);

    await t.mutation(internal.userSync.suspend, { id: ada.userId });

    const nextUser = (await users(t)).find((u) => u._id === next.userId);
    expect(nextUser?.status).not.toBe("suspended");
  });

  test("a look-alike of a verified address (Cyrillic a) claims nothing of the holder's", async () => {
    const t = newTest();
    const legacyId = await legacyMember(t, { email: "ada@example.com" });
    const lookAlike = await signInWithGithub(t, {
      id: 7,
      login: "mallory",
      email: "ada@ex\u0430mple.com",
      emailVerified: true,
    });
    const legacy = (await members(t)).find((member) => member._id === legacyId);
    expect(legacy?.userId).toBeUndefined();
    expect(
      (await members(t)).find((member) => member.userId === lookAlike.userId)
        ?._id,
    ).not.toBe(legacyId);
  });
});

describe("a suspension holds for every address the person proved", () => {
  test("a suspended person whose last GitHub sign-in moved users.email is still refused on their password address by a new identity", async () => {
    const t = newTest();
    const ada = await signUpWithPassword(t, "ada@example.com", PASSWORD);
    const github = {
      id: 42,
      login: "ada",
      email: "ada@example.com",
      emailVerified: true,
    };
    expect((await signInWithGithub(t, github)).userId).toBe(ada.userId);
    // GitHub's primary verified address is now another of ada's: the
    // returning sign-in moves users.email (and the member's) to it, while
    // v2's email component still holds ada@example.com as ada's.
    await signInWithGithub(t, { ...github, email: "ada@github.example" });
    await t.mutation(internal.userSync.suspend, { id: ada.userId });

    // A new GitHub identity proving ada@example.com, the suspended person's
    // password address.
    expect(
      await refusal(
        signInWithGithub(t, {
          id: 43,
          login: "ada-again",
          email: "ada@example.com",
          emailVerified: true,
        }),
      ),
    ).toBe("FORBIDDEN");
  });

  test("a suspended person who changed their address is refused when a new identity proves the new address", async () => {
    const t = newTest();
    const ada = await signUpWithPassword(t, "ada@old.example", PASSWORD);
    await changeEmail(t, ada.tokens, "ada@new.example");
    await t.mutation(internal.userSync.suspend, { id: ada.userId });
    expect(
      await refusal(
        signInWithGithub(t, {
          id: 43,
          login: "ada",
          email: "ada@new.example",
          emailVerified: true,
        }),
      ),
    ).toBe("FORBIDDEN");
  });
});

describe("held: spelling, deletion", () => {
  test("a case-variant verified GitHub address of a suspended person is refused", async () => {
    const t = newTest();
    const ada = await signUpWithPassword(t, "ada@example.com", PASSWORD);
    await t.mutation(internal.userSync.suspend, { id: ada.userId });
    expect(
      await refusal(
        signInWithGithub(t, {
          id: 43,
          login: "ada",
          email: "ADA@Example.com",
          emailVerified: true,
        }),
      ),
    ).toBe("FORBIDDEN");
  });

  test("a sign-up completing on a suspended legacy member's address is refused and claims nothing", async () => {
    const t = newTest();
    const legacyId = await legacyMember(t, { email: "ada@example.com" });
    await t.run(async (ctx) => {
      await ctx.db.patch("members", legacyId, { status: "suspended" });
    });
    expect(
      await refusal(signUpWithPassword(t, "ada@example.com", PASSWORD)),
    ).toBe("FORBIDDEN");
    const legacy = (await members(t)).find((member) => member._id === legacyId);
    expect(legacy?.userId).toBeUndefined();
    expect(await sessionsCount(t)).toBe(0);
  });

  test("a GitHub identity whose user app code deleted is refused and makes no user", async () => {
    const t = newTest();
    const github = {
      id: 42,
      login: "ada",
      email: "ada@example.com",
      emailVerified: true,
    };
    const { userId } = await signInWithGithub(t, github);
    await t.mutation(internal.admin.deleteUserRecord, { userId });
    expect(await refusal(signInWithGithub(t, github))).toBe("FORBIDDEN");
    expect(await users(t)).toEqual([]);
  });
});

describe("what a returning sign-in writes", () => {
  test("a returning GitHub profile with a new name leaves the member's chosen name on users (owner app)", async () => {
    const t = newTest();
    await legacyMember(t, {
      email: "ada@example.com",
      fullName: "Ada Lovelace",
    });
    const account = {
      id: 42,
      login: "ada",
      email: "ada@example.com",
      emailVerified: true,
      name: "Ada",
    };
    const { userId } = await signInWithGithub(t, account);
    await signInWithGithub(t, { ...account, name: "Countess of Lovelace" });
    const user = (await users(t)).find((u) => u._id === userId);
    expect(user?.name).toBe("Ada Lovelace");
    const [member] = await members(t);
    expect(member?.fullName).toBe("Ada Lovelace");
  });

  test("a sign-in with a damaged pair (two members naming the user) still succeeds, and is recorded", async () => {
    const t = newTest();
    const account = {
      id: 42,
      login: "ada",
      email: "ada@example.com",
      emailVerified: true,
    };
    const { userId } = await signInWithGithub(t, account);
    await t.run(async (ctx) => {
      await ctx.db.insert("members", {
        userId,
        email: "ada@example.com",
        joinedAt: 2,
      });
    });
    const again = await signInWithGithub(t, account);
    expect(again.userId).toBe(userId);
    expect((await reviews(t)).map((review) => review.kind)).toEqual([
      "duplicate_counterpart",
    ]);
  });
});

describe("more checks", () => {
  test("deleting the member as app code does (admin:deleteMember) replaces the password hash and frees the address", async () => {
    const t = newTest();
    const { userId } = await signUpWithPassword(t, "ada@example.com", PASSWORD);
    const before = await passwordHashes(t);
    const [member] = await members(t);
    await t.mutation(internal.admin.deleteMember, { memberId: member._id });
    expect(await users(t)).toEqual([]);
    const after = await passwordHashes(t);
    expect(after.map((row) => row.userId)).toEqual([userId]);
    expect(after[0].hash).not.toBe(before[0].hash);
    expect(
      await inComponent(
        t,
        "authEmail",
        async (ctx) => (await ctx.db.query("verifiedEmails").collect()).length,
      ),
    ).toBe(0);
  });

  test("a recovery link completed after a suspension signs nobody in and changes no password", async () => {
    const t = newTest();
    const { userId } = await signUpWithPassword(t, "ada@example.com", PASSWORD);
    vi.advanceTimersByTime(61_000);
    const started = await t
      .withRequestMetadata({ ip: CLIENT_IP })
      .mutation(api.auth.startPasswordRecovery, { email: "ada@example.com" });
    if (!started.success) throw new Error(JSON.stringify(started));
    const code = await emailedCode(t, "ada@example.com");
    await t.mutation(internal.userSync.suspend, { id: userId });
    const before = await passwordHashes(t);
    expect(
      await refusal(
        t
          .withRequestMetadata({ ip: CLIENT_IP })
          .mutation(api.auth.completePasswordRecovery, {
            emailCode: code,
            browserSecret: started.browserSecret,
            newPassword: "a brand new password",
          }),
      ),
    ).toBe("FORBIDDEN");
    expect(await passwordHashes(t)).toEqual(before);
  });

  test("the victim still claims their legacy member after an unverified GitHub attempt on the address", async () => {
    const t = newTest();
    const legacyId = await legacyMember(t, { email: "ada@example.com" });
    await signInWithGithub(t, {
      id: 666,
      login: "mallory",
      email: "ada@example.com",
      emailVerified: false,
    });
    const victim = await signUpWithPassword(t, "ada@example.com", PASSWORD);
    const legacy = (await members(t)).find((member) => member._id === legacyId);
    expect(legacy?.userId).toBe(victim.userId);
  });
});
