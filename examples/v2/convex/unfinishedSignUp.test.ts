/**
 * Unfinished sign-ups (docs/convex-auth-v2.md, "Suspension and deletion"):
 * an email + password sign-up whose code is never entered leaves a pending
 * user, a password hash and a challenge holding the address, tied to
 * nobody an erasure can find. Two hours on, the sync erases what is still
 * pending, and leaves a sign-up that finished.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api } from "./_generated/api";
import { PASSWORD, users } from "./app.helpers";
import {
  fromBrowser,
  inComponent,
  newTest,
  signInWithPassword,
  signUpWithPassword,
  type TestConvex,
} from "./signIn.helpers";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Two hours and a minute: past the sync's look at a pending sign-up. */
const PAST_THE_DEADLINE = (2 * 60 + 1) * 60 * 1000;

/** What the password and email components keep, as JSON to search. */
const components = async (t: TestConvex) =>
  JSON.stringify({
    passwords: await inComponent(t, "authPassword", (ctx) =>
      ctx.db.query("passwords").collect(),
    ),
    emails: await inComponent(t, "authEmail", async (ctx) => ({
      challenges: await ctx.db.query("challenges").collect(),
      verified: await ctx.db.query("verifiedEmails").collect(),
    })),
  });

/** The due scheduled functions, timers moved on by `ms` first. */
async function after(t: TestConvex, ms: number): Promise<void> {
  vi.advanceTimersByTime(ms);
  await t.finishAllScheduledFunctions(() => vi.advanceTimersByTime(1), 100);
}

describe("an unfinished sign-up leaves nothing of the person behind", () => {
  test("a sign-up whose code is never entered is erased two hours on: no user, no challenge with the address, no hash of the password", async () => {
    const t = newTest();
    const started = await fromBrowser(t).mutation(
      api.auth.signUpWithEmailPassword,
      { email: "eve@example.com", password: PASSWORD },
    );
    expect(started.success).toBe(true);
    const [pending] = await users(t);
    expect(pending?.pendingFirstSignIn).toBe(true);
    const before = await components(t);
    expect(before).toContain("eve@example.com");
    const hashBefore = await inComponent(t, "authPassword", (ctx) =>
      ctx.db.query("passwords").first(),
    );

    await after(t, PAST_THE_DEADLINE);

    expect(await users(t)).toEqual([]);
    const left = await components(t);
    expect(left).not.toContain("eve@example.com");
    expect(left).not.toContain(hashBefore!.passwordHashPHC);
  });

  test("a sign-up that finished is left alone, and signs in after the deadline", async () => {
    const t = newTest();
    const { userId } = await signUpWithPassword(t, "ada@example.com", PASSWORD);

    await after(t, PAST_THE_DEADLINE);

    expect((await users(t)).map((user) => user._id)).toEqual([userId]);
    const again = await signInWithPassword(t, "ada@example.com", PASSWORD);
    expect(again.userId).toBe(userId);
  });
});
