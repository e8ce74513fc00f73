import { writeFileSync } from "node:fs";
import { afterAll, afterEach, beforeEach, expect, test, vi } from "vitest";
import {
  COST_MODULES,
  type Measured,
  measuredGithubSignIn,
  measuredPasswordSignIn,
  measuredPasswordSignUp,
} from "./cost.helpers";
import { newTest, type SignedIn } from "./signIn.helpers";

/**
 * What Convex Auth v2's sign-ins cost with the app's plain callbacks, in
 * database operations (documents read, index ranges, documents written),
 * component calls included: the baseline the sync's callbacks add to.
 * `npm run bench -w example-v2` prints them (scripts/cost.ts).
 */
const measured: Record<string, Measured<SignedIn>> = {};

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});
afterAll(() => {
  if (process.env.V2_COST_OUT) {
    writeFileSync(process.env.V2_COST_OUT, JSON.stringify(measured, null, 2));
  }
});

const PASSWORD = "correct horse battery staple";
const OCTO = {
  id: 4242,
  login: "octo",
  email: "octo@example.com",
  emailVerified: true,
};

/** The operation counts of a measured sign-in, step by step. */
function operations({ steps }: Measured<SignedIn>) {
  return steps.map(({ name, metrics }) => ({
    name,
    read: metrics.documentsRead,
    ranges: metrics.databaseQueries,
    written: metrics.documentsWritten,
  }));
}

test("a password sign-up and a returning password sign-in cost, v2 alone", async () => {
  const t = newTest(COST_MODULES);
  const signUp = await measuredPasswordSignUp(t, "ada@example.com", PASSWORD);
  const signIn = await measuredPasswordSignIn(t, "ada@example.com", PASSWORD);
  expect(signIn.result.userId).toBe(signUp.result.userId);
  measured["password sign-up"] = signUp;
  measured["password sign-in"] = signIn;
  expect(operations(signUp)).toEqual([
    { name: "signUpWithEmailPassword", read: 5, ranges: 18, written: 12 },
    { name: "completeSignUpWithEmailPassword", read: 4, ranges: 6, written: 4 },
  ]);
  expect(operations(signIn)).toEqual([
    { name: "signInWithEmailPassword", read: 7, ranges: 7, written: 4 },
  ]);
});

test("a first and a returning GitHub sign-in cost, v2 alone", async () => {
  const t = newTest(COST_MODULES);
  const first = await measuredGithubSignIn(t, OCTO);
  const again = await measuredGithubSignIn(t, OCTO);
  expect(again.result.userId).toBe(first.result.userId);
  measured["GitHub first sign-in"] = first;
  measured["GitHub returning sign-in"] = again;
  expect(operations(first)).toEqual([
    { name: "startSignInWithGithub", read: 0, ranges: 0, written: 1 },
    { name: "completeSignInWithGithub", read: 3, ranges: 6, written: 6 },
  ]);
  expect(operations(again)).toEqual([
    { name: "startSignInWithGithub", read: 0, ranges: 0, written: 1 },
    { name: "completeSignInWithGithub", read: 6, ranges: 5, written: 3 },
  ]);
});
