/**
 * The sign-in sync. Convex Auth calls two callbacks, inside its own
 * transactions:
 * - `afterUserCreatedOrUpdated`, right after it wrote a provider's profile to
 *   `users`: when an OAuth provider answers, when a password account is
 *   created, when a code or link is requested, when one is entered. A
 *   request is not a sign-in, so this records only what nothing else knows:
 *   that a new user has yet to complete a sign-in, and the provider's
 *   verification claim.
 * - `beforeSessionCreation`, the moment a sign-in completes on any method
 *   (OAuth, password, code, link, anonymous): refuses a suspended account,
 *   pairs the user, syncs the profile, stamps the login on both tables and
 *   provisions the starter templates once.
 */
import type { AnyDataModel, GenericMutationCtx } from "convex/server";
import { v } from "convex/values";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import type { MutationCtx } from "./_generated/server";
import { appError, isAppError } from "./errors";
import { internalSyncMutation } from "./functions";
import { provisionStarterTemplates } from "./starterTemplates";
import { ensurePair, readPair, recordReview } from "./syncCore";
import { type SignInKind, verificationClaim } from "./syncPolicy";
import { syncOutcomeValidator } from "./validators";

/**
 * A completed sign-in: pairs the user with their auth_users row (existing,
 * linked legacy row, or new), applies the field map and stamps the login on
 * both sides with one timestamp; provisions the starter templates once per
 * row (not for anonymous users).
 *
 * Runs as a sub-transaction of the session's creation so that, should it
 * fail, its writes roll back and the sign-in still goes ahead (see
 * beforeSessionCreation).
 */
export const completeSignIn = internalSyncMutation({
  args: { userId: v.id("users") },
  returns: v.object({
    authUserId: v.id("auth_users"),
    outcome: syncOutcomeValidator,
  }),
  handler: async (ctx, { userId }) => {
    // 1. The user about to get a session.
    const user = await ctx.db.get("users", userId);
    if (user === null) throw new Error(`users ${userId} not found`);
    const now = Date.now();

    // 2. A suspended account is the one deliberate refusal: checked before
    //    any write, and the error stops the session (see below).
    const read = await readPair(ctx, user);
    if (
      read.counterpart?.status === "suspended" ||
      user.status === "suspended"
    ) {
      throw appError("FORBIDDEN", "This account is suspended");
    }

    // 3. Pair it, sync the profile and stamp the login on both sides. A
    //    legacy row suspended before its owner's first sign-in refuses it
    //    too: the error rolls back the link with everything else.
    const { authUser, outcome } = await ensurePair(
      ctx,
      user,
      { last_login_at: now },
      { now, read, completesSignIn: true },
    );
    if (authUser === null) {
      throw new Error("ensurePair wrote no auth_users row");
    }
    if (authUser.status === "suspended") {
      throw appError("FORBIDDEN", "This account is suspended");
    }

    // 4. Starter templates, once per row: the marker makes re-sign-ins free,
    //    the per-key check makes a retry after a partial run safe. Guests get
    //    none (see the README).
    if (
      authUser.starter_templates_provisioned_at === undefined &&
      user.isAnonymous !== true
    ) {
      await provisionStarterTemplates(ctx, authUser._id, now);
      await ctx.db.patch("auth_users", authUser._id, {
        starter_templates_provisioned_at: now,
      });
    }
    return { authUserId: authUser._id, outcome };
  },
});

/**
 * Convex Auth's `beforeSessionCreation` callback. The sync must never be why
 * a sign-in fails: an unexpected error rolls back the sync's own writes, is
 * recorded in `sync_reviews` and logged, and the session is created (the
 * next sign-in or `userSync:syncAllUsers` heals the pair). The one
 * deliberate refusal, a suspended account, is rethrown: no session is
 * created.
 */
export async function beforeSessionCreation(
  genericCtx: GenericMutationCtx<AnyDataModel>,
  args: { userId: Id<"users"> },
): Promise<void> {
  const ctx = genericCtx as unknown as MutationCtx;
  try {
    await ctx.runMutation(internal.authSync.completeSignIn, {
      userId: args.userId,
    });
  } catch (error) {
    if (isAppError(error) && error.data.code === "FORBIDDEN") throw error;
    await recordSyncFailure(ctx, args.userId, error);
  }
}

/**
 * Convex Auth's `afterUserCreatedOrUpdated` callback: no reads, at most one
 * write, and only when there is something to record.
 * - A new user has yet to complete a sign-in: a code or link may be
 *   requested and never entered. It gets no pair until it does.
 * - A returning user whose provider does not vouch for the address of this
 *   sign-in is unverified, whatever an earlier sign-in proved (Convex Auth
 *   never clears `emailVerificationTime` itself).
 */
export async function afterUserCreatedOrUpdated(
  genericCtx: GenericMutationCtx<AnyDataModel>,
  args: {
    userId: Id<"users">;
    existingUserId: Id<"users"> | null;
    type: SignInKind;
    profile: { email?: unknown; emailVerified?: unknown };
  },
): Promise<void> {
  const ctx = genericCtx as unknown as MutationCtx;
  const isNew = args.existingUserId === null;
  try {
    if (isNew) {
      await ctx.db.patch("users", args.userId, { pendingFirstSignIn: true });
    } else if (verificationClaim(args.type, args.profile, isNew) === false) {
      await ctx.db.patch("users", args.userId, {
        emailVerificationTime: undefined,
      });
    }
  } catch (error) {
    await recordSyncFailure(ctx, args.userId, error);
  }
}

async function recordSyncFailure(
  ctx: MutationCtx,
  userId: Id<"users">,
  error: unknown,
): Promise<void> {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`Sign-in sync failed for user ${userId}: ${message}`);
  await recordReview(
    ctx,
    {
      kind: "sign_in_sync_failed",
      userId,
      authUserIds: [],
      detail: message.slice(0, 1000),
    },
    { now: Date.now() },
  );
}
