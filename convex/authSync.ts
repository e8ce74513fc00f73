/**
 * The sign-in sync: Convex Auth calls `afterUserCreatedOrUpdated` inside its
 * own sign-in transaction, right after it wrote the provider profile to
 * `users`.
 */
import type { GenericMutationCtx, AnyDataModel } from "convex/server";
import { v } from "convex/values";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import type { MutationCtx } from "./_generated/server";
import { internalSyncMutation } from "./functions";
import { provisionStarterTemplates } from "./starterTemplates";
import { appError, isAppError } from "./errors";
import { ensurePair, readPair, recordReview } from "./syncCore";
import { type SignInKind, verificationClaim } from "./syncPolicy";
import { syncOutcomeValidator } from "./validators";

/**
 * Pairs the signed-in user with their auth_users row (existing, linked legacy
 * row, or new), applies the field map and stamps the login on both sides with
 * one timestamp. Provisions the starter templates once per auth_users row.
 *
 * Runs as a sub-transaction of the sign-in so that, should it fail, its
 * writes roll back and the sign-in still goes ahead (see the callback below).
 */
export const syncOnSignIn = internalSyncMutation({
  args: {
    userId: v.id("users"),
    // The provider's claim for this sign-in (see verificationClaim).
    emailVerified: v.optional(v.boolean()),
  },
  returns: v.object({
    authUserId: v.id("auth_users"),
    outcome: syncOutcomeValidator,
  }),
  handler: async (ctx, { userId, emailVerified }) => {
    // 1. The users row Convex Auth just wrote.
    let user = await ctx.db.get("users", userId);
    if (user === null) throw new Error(`users ${userId} not found`);
    const now = Date.now();

    // 2. A suspended account is the one deliberate refusal: checked before
    //    any write, and the error aborts the whole sign-in (see below).
    const read = await readPair(ctx, user);
    if (
      read.counterpart?.status === "suspended" ||
      user.status === "suspended"
    ) {
      throw appError("FORBIDDEN", "This account is suspended");
    }

    // 3. An address this sign-in's provider did not vouch for is unverified,
    //    whatever an earlier sign-in proved for another address.
    if (emailVerified === false && user.emailVerificationTime !== undefined) {
      await ctx.db.patch("users", userId, { emailVerificationTime: undefined });
      user = { ...user, emailVerificationTime: undefined };
    }

    // 4. Pair it and stamp the login on both sides.
    const { authUser, outcome } = await ensurePair(
      ctx,
      user,
      { last_login_at: now },
      { now, read },
    );
    if (authUser === null)
      throw new Error("ensurePair wrote no auth_users row");

    // 5. Starter templates, once per row: the marker makes re-sign-ins free,
    //    the per-key check makes a retry after a partial run safe.
    if (authUser.starter_templates_provisioned_at === undefined) {
      await provisionStarterTemplates(ctx, authUser._id, now);
      await ctx.db.patch("auth_users", authUser._id, {
        starter_templates_provisioned_at: now,
      });
    }
    return { authUserId: authUser._id, outcome };
  },
});

/**
 * Convex Auth's `afterUserCreatedOrUpdated` callback. The sync must never be
 * why a sign-in fails: an unexpected error rolls back the sync's own writes,
 * is recorded in `sync_reviews` and logged, and the sign-in proceeds (the next
 * sign-in or `userSync:syncAllUsers` heals the pair). The one deliberate
 * refusal, a suspended account, is rethrown: Convex Auth's transaction then
 * rolls back whole, and the sign-in writes nothing.
 */
export async function afterUserCreatedOrUpdated(
  genericCtx: GenericMutationCtx<AnyDataModel>,
  args: {
    userId: Id<"users">;
    type: SignInKind;
    profile: { email?: unknown; emailVerified?: unknown };
  },
): Promise<void> {
  const ctx = genericCtx as unknown as MutationCtx;
  try {
    await ctx.runMutation(internal.authSync.syncOnSignIn, {
      userId: args.userId,
      emailVerified: verificationClaim(args.type, args.profile),
    });
  } catch (error) {
    if (isAppError(error) && error.data.code === "FORBIDDEN") throw error;
    const message = error instanceof Error ? error.message : String(error);
    console.error(`Sign-in sync failed for user ${args.userId}: ${message}`);
    await recordReview(
      ctx,
      {
        kind: "sign_in_sync_failed",
        userId: args.userId,
        authUserIds: [],
        detail: message.slice(0, 1000),
      },
      { now: Date.now() },
    );
  }
}
