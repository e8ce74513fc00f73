/**
 * What the v2 example's tests share beyond the sign-ins (signIn.helpers.ts):
 * a legacy member, the app's tables as they stand, a refusal's code, a
 * change of address through v2's own flow, and the move's runs.
 */
import { sessionIdentity } from "@convex-dev/auth/test";
import { ConvexError } from "convex/values";
import { vi } from "vitest";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import {
  CLIENT_IP,
  emailedCode,
  type TestConvex,
  type Tokens,
} from "./signIn.helpers";

/** The password the tests sign up with. */
export const PASSWORD = "correct horse battery staple";

/** A member from before the sync: no user, no review. */
export async function legacyMember(
  t: TestConvex,
  fields: { email: string; fullName?: string; emailVerified?: boolean },
): Promise<Id<"members">> {
  return await t.run(
    async (ctx) =>
      await ctx.db.insert("members", {
        ...fields,
        company: "Analytical Engines",
        role: "owner",
        joinedAt: 1,
      }),
  );
}

export const members = (t: TestConvex) =>
  t.run(async (ctx) => await ctx.db.query("members").collect());
export const users = (t: TestConvex) =>
  t.run(async (ctx) => await ctx.db.query("users").collect());
export const reviews = (t: TestConvex) =>
  t.run(async (ctx) => await ctx.db.query("sync_reviews").collect());

/** The ConvexError code a promise was refused with (else the error). */
export async function refusal(promise: Promise<unknown>): Promise<unknown> {
  const error: unknown = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  return error instanceof ConvexError
    ? (error.data as { code?: unknown }).code
    : error;
}

/** Changes a password account's address through v2's own flow. */
export async function changeEmail(
  t: TestConvex,
  tokens: Tokens,
  newEmail: string,
): Promise<void> {
  const browser = t
    .withRequestMetadata({ ip: CLIENT_IP })
    .withIdentity(sessionIdentity(tokens));
  const started = await browser.mutation(api.auth.startChangeEmail, {
    newEmail,
    currentPassword: PASSWORD,
  });
  if (!started.success) throw new Error(JSON.stringify(started));
  const completed = await browser.mutation(api.auth.completeChangeEmail, {
    emailCode: await emailedCode(t, newEmail),
    browserSecret: started.browserSecret,
  });
  if (!completed.success) throw new Error(JSON.stringify(completed));
}

/**
 * Runs the scheduled pages. convex-test 0.0.65 moves a frozen clock a
 * millisecond per commit, so a page scheduled "now" by a page is due a
 * millisecond on (conformance.helpers.ts does the same).
 */
export async function runDue(t: TestConvex): Promise<void> {
  await t.finishAllScheduledFunctions(() => vi.advanceTimersByTime(1), 10_000);
}

/** A v1→v2 move run (a dry run too), to its end. */
export async function move(
  t: TestConvex,
  args: { dryRun?: boolean; pageSize?: number } = {},
) {
  const run = await t.mutation(internal.userSync.startV2Move, args);
  await runDue(t);
  return (await t.query(internal.userSync.getRun, { runId: run._id }))!;
}
