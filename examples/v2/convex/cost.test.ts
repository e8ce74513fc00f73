import { writeFileSync } from "node:fs";
import { afterAll, afterEach, beforeEach, expect, test, vi } from "vitest";
import {
  COST_MODULES,
  type Measured,
  measuredGithubSignIn,
  measuredPasswordSignIn,
  measuredPasswordSignUp,
} from "./cost.helpers";
import { newTest, type SignedIn, type TestConvex } from "./signIn.helpers";
import { V2_ALONE_MODULES } from "./v2Alone.helpers";

/**
 * What each Convex Auth v2 sign-in costs, in database operations
 * (documents read, index ranges, documents written), component calls
 * included: with plain callbacks (v2 alone, v2Alone.helpers.ts) and with
 * the sync's, a legacy member waiting to be claimed by the first sign-in.
 * `npm run bench -w example-v2` prints them side by side (scripts/cost.ts).
 */
const measured: Record<string, Record<string, Measured<SignedIn>>> = {
  alone: {},
  sync: {},
};

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

/** The app on v2 alone, or with the sync and a member from before. */
async function backend(setup: "alone" | "sync"): Promise<TestConvex> {
  if (setup === "alone") {
    return newTest({ ...COST_MODULES, ...V2_ALONE_MODULES });
  }
  const t = newTest(COST_MODULES);
  await t.run(async (ctx) => {
    for (const email of ["ada@example.com", "octo@example.com"]) {
      await ctx.db.insert("members", { email, joinedAt: 1 });
    }
  });
  return t;
}

/** The operation counts of a measured sign-in, step by step. */
function operations({ steps }: Measured<SignedIn>) {
  return steps.map(({ name, metrics }) => ({
    name,
    read: metrics.documentsRead,
    ranges: metrics.databaseQueries,
    written: metrics.documentsWritten,
  }));
}

const PASSWORD_COSTS = {
  alone: {
    signUp: [
      { name: "signUpWithEmailPassword", read: 5, ranges: 18, written: 12 },
      {
        name: "completeSignUpWithEmailPassword",
        read: 4,
        ranges: 6,
        written: 4,
      },
    ],
    signIn: [
      { name: "signInWithEmailPassword", read: 7, ranges: 7, written: 4 },
    ],
  },
  // The completion claims the member (the address proven by the code);
  // a returning sign-in reads the address from the email component and
  // stamps the login on both tables.
  sync: {
    signUp: [
      { name: "signUpWithEmailPassword", read: 5, ranges: 18, written: 12 },
      {
        name: "completeSignUpWithEmailPassword",
        read: 12,
        ranges: 17,
        written: 7,
      },
    ],
    signIn: [
      { name: "signInWithEmailPassword", read: 13, ranges: 13, written: 6 },
    ],
  },
};

const GITHUB_COSTS = {
  alone: {
    first: [
      { name: "startSignInWithGithub", read: 0, ranges: 0, written: 1 },
      { name: "completeSignInWithGithub", read: 3, ranges: 6, written: 6 },
    ],
    again: [
      { name: "startSignInWithGithub", read: 0, ranges: 0, written: 1 },
      { name: "completeSignInWithGithub", read: 6, ranges: 5, written: 3 },
    ],
  },
  // The first claims the member (GitHub verified the address); a
  // returning one stamps the login on both tables.
  sync: {
    first: [
      { name: "startSignInWithGithub", read: 0, ranges: 0, written: 1 },
      { name: "completeSignInWithGithub", read: 9, ranges: 17, written: 8 },
    ],
    again: [
      { name: "startSignInWithGithub", read: 0, ranges: 0, written: 1 },
      { name: "completeSignInWithGithub", read: 11, ranges: 10, written: 5 },
    ],
  },
};

for (const setup of ["alone", "sync"] as const) {
  test(`a password sign-up and a returning password sign-in cost (${setup === "alone" ? "v2 alone" : "with the sync"})`, async () => {
    const t = await backend(setup);
    const signUp = await measuredPasswordSignUp(t, "ada@example.com", PASSWORD);
    vi.advanceTimersByTime(61_000);
    const signIn = await measuredPasswordSignIn(t, "ada@example.com", PASSWORD);
    expect(signIn.result.userId).toBe(signUp.result.userId);
    measured[setup]["password sign-up"] = signUp;
    measured[setup]["password sign-in"] = signIn;
    expect(operations(signUp)).toEqual(PASSWORD_COSTS[setup].signUp);
    expect(operations(signIn)).toEqual(PASSWORD_COSTS[setup].signIn);
  });

  test(`a first and a returning GitHub sign-in cost (${setup === "alone" ? "v2 alone" : "with the sync"})`, async () => {
    const t = await backend(setup);
    const first = await measuredGithubSignIn(t, OCTO);
    vi.advanceTimersByTime(61_000);
    const again = await measuredGithubSignIn(t, OCTO);
    expect(again.result.userId).toBe(first.result.userId);
    measured[setup]["GitHub first sign-in"] = first;
    measured[setup]["GitHub returning sign-in"] = again;
    expect(operations(first)).toEqual(GITHUB_COSTS[setup].first);
    expect(operations(again)).toEqual(GITHUB_COSTS[setup].again);
  });
}
