import { afterEach, beforeEach, expect, test, vi } from "vitest";
import authPackage from "@convex-dev/auth/package.json";
// The library's built dist, which resolves @convex-dev/auth from packages/
// (the root's 0.0.95) unless vitest.config.ts's v2 project says otherwise.
import { assertConvexAuthV1 } from "../../../packages/convex-auth-user-sync/dist/compat.js";
import { api } from "./_generated/api";
import {
  asUser,
  newTest,
  signInWithGithub,
  signInWithPassword,
  signUpWithPassword,
  trySignInWithPassword,
} from "./signIn.helpers";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

test("the app and the library's dist run on Convex Auth 2.0.0", () => {
  expect(authPackage.version).toBe("2.0.0");
  // The library's dist gets the same copy: its v1 check sees v2.
  expect(() => assertConvexAuthV1()).toThrow(/this app has Convex Auth v2/);
});

test("a password sign-up with the emailed code creates one user and signs in", async () => {
  const t = newTest();
  const { tokens, userId } = await signUpWithPassword(
    t,
    "ada@example.com",
    "correct horse battery staple",
  );
  const users = await t.run(
    async (ctx) => await ctx.db.query("users").collect(),
  );
  expect(users.map((user) => user._id)).toEqual([userId]);
  expect(await asUser(t, tokens).query(api.users.viewer, {})).toBe(userId);
});

test("signing in again with the password returns the same user", async () => {
  const t = newTest();
  const signedUp = await signUpWithPassword(
    t,
    "ada@example.com",
    "correct horse battery staple",
  );
  const again = await signInWithPassword(
    t,
    "ada@example.com",
    "correct horse battery staple",
  );
  expect(again.userId).toBe(signedUp.userId);
  expect(again.tokens.accessToken).not.toBe(signedUp.tokens.accessToken);
  expect(await asUser(t, again.tokens).query(api.users.viewer, {})).toBe(
    signedUp.userId,
  );
  expect(
    await t.run(async (ctx) => (await ctx.db.query("users").collect()).length),
  ).toBe(1);
});

test("a wrong password is refused", async () => {
  const t = newTest();
  await signUpWithPassword(
    t,
    "ada@example.com",
    "correct horse battery staple",
  );
  const refused = await trySignInWithPassword(
    t,
    "ada@example.com",
    "wrong horse battery staple",
  );
  expect(
    await t.run(async (ctx) => (await ctx.db.query("users").collect()).length),
  ).toBe(1);
  expect(refused).toEqual({
    status: "error",
    userError: { error: "INVALID_CREDENTIALS" },
  });
});

test("a GitHub sign-in creates a user with GitHub's verified address", async () => {
  const t = newTest();
  const before = Date.now();
  const { tokens, userId } = await signInWithGithub(t, {
    id: 4242,
    login: "octo",
    email: "octo@example.com",
    emailVerified: true,
    name: "Octo Cat",
    avatarUrl: "https://avatars.example.com/octo.png",
  });
  const user = await t.run(async (ctx) => await ctx.db.get("users", userId));
  expect(user).toMatchObject({
    email: "octo@example.com",
    name: "Octo Cat",
    image: "https://avatars.example.com/octo.png",
  });
  // Stamped at the sign-in that proved the address.
  expect(user?.emailVerificationTime).toBeGreaterThanOrEqual(before);
  expect(user?.emailVerificationTime).toBeLessThan(before + 60_000);
  expect(await asUser(t, tokens).query(api.users.viewer, {})).toBe(userId);
});

test("an unverified GitHub address is carried as GitHub gave it, never as verified", async () => {
  const t = newTest();
  const { userId } = await signInWithGithub(t, {
    id: 4243,
    login: "mallory",
    email: "ada@example.com",
    emailVerified: false,
  });
  const user = await t.run(async (ctx) => await ctx.db.get("users", userId));
  // As v1 kept it: the address, without a verification time, so nothing
  // is linked or claimed by it (v2Sync.test.ts).
  expect(user?.emailVerificationTime).toBeUndefined();
  expect(user?.email).toBe("ada@example.com");
});

test("signing in with GitHub again returns the same user", async () => {
  const t = newTest();
  const account = {
    id: 4242,
    login: "octo",
    email: "octo@example.com",
    emailVerified: true,
  };
  const first = await signInWithGithub(t, account);
  const again = await signInWithGithub(t, account);
  expect(again.userId).toBe(first.userId);
  expect(
    await t.run(async (ctx) => (await ctx.db.query("users").collect()).length),
  ).toBe(1);
});
