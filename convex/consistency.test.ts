/**
 * Property-based consistency: random sequences of everything that writes the
 * user tables, with the invariants checked after every step.
 *
 * Seeded and reproducible; fast-check shrinks a failure to a minimal
 * sequence and prints its seed and path. FC_SEED and FC_RUNS override the
 * defaults: `FC_RUNS=500 npx vitest run convex/consistency.test.ts`.
 */
import fc from "fast-check";
import { expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { isAppError } from "./errors";
import { checkTables, normalizeEmail } from "./syncPolicy";
import {
  type Backend,
  insertLegacyRow,
  newBackend,
  signInWithOAuth,
  useFakeClock,
} from "./test.helpers";

const SEED = Number(process.env.FC_SEED ?? 20261124);
const RUNS = Number(process.env.FC_RUNS ?? 100);
const PEOPLE = 4;

useFakeClock(Date.UTC(2026, 7, 1));

const who = fc.integer({ min: 0, max: PEOPLE - 1 });
const text = fc.constantFrom("Ada", "Bob", "Cy", "Dee", "Renamed");

type Step =
  | {
      kind: "signIn";
      who: number;
      name: string;
      verified: boolean;
      shout: boolean;
      image: number;
    }
  | { kind: "updateProfile"; who: number; name?: string; company?: string }
  | { kind: "adminEditUser"; who: number; name: string }
  | { kind: "adminEditAuthUser"; who: number; company: string }
  | { kind: "deleteAccount"; who: number }
  | { kind: "deleteRecord"; who: number; table: "users" | "auth_users" }
  | { kind: "setStatus"; who: number; status: "active" | "suspended" }
  | {
      kind: "outOfBand";
      who: number;
      edit: "renameUser" | "clearUserRef" | "clearAuthRef" | "shoutEmail";
    };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    // Sign-ins are what every other step needs: make them common.
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("signIn" as const),
      who,
      name: text,
      verified: fc.boolean(),
      shout: fc.boolean(),
      image: fc.integer({ min: 0, max: 2 }),
    }),
  },
  fc.record(
    {
      kind: fc.constant("updateProfile" as const),
      who,
      name: text,
      company: fc.constantFrom("Acme", "Initech", ""),
    },
    { requiredKeys: ["kind", "who"] },
  ),
  fc.record({ kind: fc.constant("adminEditUser" as const), who, name: text }),
  fc.record({
    kind: fc.constant("adminEditAuthUser" as const),
    who,
    company: fc.constantFrom("Acme", "Globex"),
  }),
  fc.record({ kind: fc.constant("deleteAccount" as const), who }),
  fc.record({
    kind: fc.constant("deleteRecord" as const),
    who,
    table: fc.constantFrom("users" as const, "auth_users" as const),
  }),
  fc.record({
    kind: fc.constant("setStatus" as const),
    who,
    status: fc.constantFrom("active" as const, "suspended" as const),
  }),
  fc.record({
    kind: fc.constant("outOfBand" as const),
    who,
    edit: fc.constantFrom(
      "renameUser" as const,
      "clearUserRef" as const,
      "clearAuthRef" as const,
      "shoutEmail" as const,
    ),
  }),
);

const emailOf = (person: number) => `person${person}@example.com`;

/** What the test knows of each person, to check the policy against. */
type Person = {
  userId?: Id<"users">;
  session?: Awaited<ReturnType<typeof signInWithOAuth>>["asUser"];
  chosenName?: string;
  suspended: boolean;
};

async function userIdOf(t: Backend, person: number) {
  return await t.run(async (ctx) => {
    const account = await ctx.db
      .query("authAccounts")
      .withIndex("providerAndAccountId", (q) =>
        q.eq("provider", "github").eq("providerAccountId", `gh-${person}`),
      )
      .unique();
    return account?.userId ?? null;
  });
}

async function apply(t: Backend, people: Person[], s: Step): Promise<void> {
  const person = people[s.who]!;
  const userId = await userIdOf(t, s.who);
  vi.advanceTimersByTime(1_000);
  switch (s.kind) {
    case "signIn": {
      const profile = {
        name: s.name,
        email: s.shout ? ` ${emailOf(s.who).toUpperCase()}` : emailOf(s.who),
        image: `https://img/${s.image}`,
        ...(s.verified ? {} : { emailVerified: false }),
      };
      const attempt = signInWithOAuth(t, {
        providerAccountId: `gh-${s.who}`,
        profile,
      });
      if (person.suspended && userId !== null) {
        const error: unknown = await attempt.then(
          () => null,
          (e: unknown) => e,
        );
        expect(isAppError(error) && error.data.code).toBe("FORBIDDEN");
        return;
      }
      const { userId: signedIn, asUser } = await attempt;
      if (signedIn !== person.userId) {
        // A fresh account (first sign-in, or after a deletion).
        person.chosenName = undefined;
        person.suspended = false;
      }
      person.userId = signedIn;
      person.session = asUser;
      return;
    }
    case "updateProfile": {
      if (userId === null || person.session === undefined || person.suspended) {
        return;
      }
      await person.session.mutation(api.users.updateUserProfile, {
        ...(s.name !== undefined ? { name: s.name } : {}),
        ...(s.company !== undefined ? { company: s.company } : {}),
      });
      if (s.name !== undefined) person.chosenName = s.name;
      return;
    }
    case "adminEditUser": {
      if (userId === null) return;
      const before = await t.run(async (ctx) => ctx.db.get("users", userId));
      await t.mutation(internal.admin.editUser, { userId, name: s.name });
      // A write of the value already there changes nothing, so it makes no
      // choice either (unlike updateUserProfile, which says so explicitly).
      if (before?.name !== s.name) person.chosenName = s.name;
      return;
    }
    case "adminEditAuthUser": {
      if (userId === null) return;
      const user = await t.run(async (ctx) => ctx.db.get("users", userId));
      if (user?.auth_user_id === undefined) return;
      await t.mutation(internal.admin.editAuthUser, {
        authUserId: user.auth_user_id,
        company: s.company,
      });
      return;
    }
    case "deleteAccount":
      if (userId === null) return;
      await t.mutation(internal.admin.deleteAccount, { id: userId });
      people[s.who] = { suspended: false };
      return;
    case "deleteRecord": {
      if (userId === null) return;
      const user = await t.run(async (ctx) => ctx.db.get("users", userId));
      const id = s.table === "users" ? userId : user?.auth_user_id;
      if (id === undefined) return;
      await t.mutation(internal.admin.deleteRecord, { id });
      people[s.who] = { suspended: false };
      return;
    }
    case "setStatus":
      if (userId === null) return;
      await t.mutation(internal.admin.setStatus, {
        id: userId,
        status: s.status,
      });
      person.suspended = s.status === "suspended";
      return;
    case "outOfBand": {
      if (userId === null) return;
      // A dashboard edit (raw ctx.db, no triggers), then the operator's fix.
      await t.run(async (ctx) => {
        const user = await ctx.db.get("users", userId);
        if (user === null) return;
        if (s.edit === "renameUser") {
          await ctx.db.patch("users", userId, { name: "dashboard edit" });
        } else if (s.edit === "clearUserRef") {
          await ctx.db.patch("users", userId, { auth_user_id: undefined });
        } else if (user.auth_user_id !== undefined) {
          const row = await ctx.db.get("auth_users", user.auth_user_id);
          if (row === null) return;
          await ctx.db.patch(
            "auth_users",
            row._id,
            s.edit === "clearAuthRef"
              ? { convex_user_id: undefined }
              : { email: `  ${(row.email ?? "x@y.z").toUpperCase()}` },
          );
        }
      });
      await t.mutation(internal.userSync.syncAllUsers, { pageSize: 3 });
      await t.finishAllScheduledFunctions(vi.runAllTimers, 10_000);
      const run = await t.query(internal.syncEngine.getRun, {});
      expect(run?.status).toBe("completed");
      return;
    }
  }
}

async function checkInvariants(t: Backend, people: Person[]) {
  const state = await t.run(async (ctx) => ({
    users: await ctx.db.query("users").collect(),
    authUsers: await ctx.db.query("auth_users").collect(),
    templates: await ctx.db.query("starter_templates").collect(),
    accounts: await ctx.db.query("authAccounts").collect(),
    sessions: await ctx.db.query("authSessions").collect(),
  }));
  // 1. References form a one-to-one pairing; mirrored fields agree with the
  //    ownership policy; no user has two auth_users rows.
  expect(checkTables(state.users, state.authUsers).problems).toEqual([]);
  const userIds = new Set(state.users.map((u) => u._id as string));
  const authIds = new Set(state.authUsers.map((a) => a._id as string));
  // 2. No duplicate starter templates; none outlives its owner.
  const keys = state.templates.map((tpl) => `${tpl.owner_id}:${tpl.key}`);
  expect(new Set(keys).size).toBe(keys.length);
  for (const tpl of state.templates)
    expect(authIds.has(tpl.owner_id)).toBe(true);
  // 3. Nothing of a deleted account remains in Convex Auth's tables.
  for (const row of [...state.accounts, ...state.sessions]) {
    expect(userIds.has(row.userId)).toBe(true);
  }
  // 4. Every person's account: a chosen name survives provider renames; the
  //    email is the provider's, normalized; status agrees on both sides.
  for (const [index, person] of people.entries()) {
    const userId = await userIdOf(t, index);
    if (userId === null) continue;
    const user = state.users.find((u) => u._id === userId)!;
    const row = state.authUsers.find((a) => a._id === user.auth_user_id)!;
    if (person.chosenName !== undefined) {
      expect(user.name).toBe(person.chosenName);
      expect(row.full_name).toBe(person.chosenName);
    }
    expect(row.email).toBe(normalizeEmail(user.email));
    expect((row.status ?? "active") === "suspended").toBe(person.suspended);
  }
}

test("every write path keeps the tables consistent", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(step, { minLength: 4, maxLength: 30 }),
      async (steps) => {
        const t = newBackend();
        // Legacy rows for two people, to be linked (or not) at sign-in.
        await insertLegacyRow(t, {
          email: emailOf(2),
          full_name: "Legacy Cy",
          company: "Old",
        });
        await insertLegacyRow(t, { email: emailOf(3), company: "Older" });
        const people: Person[] = Array.from({ length: PEOPLE }, () => ({
          suspended: false,
        }));
        for (const s of steps) {
          await apply(t, people, s);
          await checkInvariants(t, people);
        }
      },
    ),
    { seed: SEED, numRuns: RUNS },
  );
});
