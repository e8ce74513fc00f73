/**
 * What every Convex Auth adapter (v1: convexAuth.ts, v2: v2/callbacks.ts)
 * does when a sign-in completes: the sync runs as a sub-transaction of the
 * sign-in, and anything it did not mean to do is recorded for a person
 * rather than failing the sign-in.
 */
import {
  type AnyDataModel,
  type GenericDataModel,
  type GenericMutationCtx,
  makeFunctionReference,
} from "convex/server";
import type { GenericId } from "convex/values";
import type { Shape } from "./declaration.js";
import { isAppError } from "./errors.js";
import { misconfiguration } from "./misconfiguration.js";
import { getDoc, recordReview } from "./steps.js";

type MutationCtx = GenericMutationCtx<GenericDataModel>;

/** The sign-in's sync for one shape. */
export function makeSignInSync(shape: Shape) {
  const completeSignInRef = makeFunctionReference<"mutation">(
    `${shape.modules.signIn}:completeSignIn`,
  );

  /**
   * Logs and records a failure for a person to look at; a misconfiguration
   * is named with its fix, in the log and the case. Recording it never
   * fails the sign-in either (a schema without the sync's tables).
   */
  async function recordFailure(
    ctx: MutationCtx,
    userId: GenericId<"users">,
    error: unknown,
  ): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const fix = misconfiguration(shape, message);
    console.error(
      `Sign-in sync failed for user ${userId}: ${fix === undefined ? message : `${fix} (${message})`}`,
    );
    try {
      await recordReview(
        ctx,
        {
          kind: "sign_in_sync_failed",
          userId,
          rowIds: [],
          // The fix first: the detail is cut at 1000 characters.
          detail: (fix === undefined ? message : `${fix} (${message})`).slice(
            0,
            1000,
          ),
        },
        { now: Date.now() },
      );
    } catch (recording) {
      console.error(
        `The failure could not be recorded in sync_reviews: ${recording instanceof Error ? recording.message : String(recording)}`,
      );
    }
  }

  /**
   * "A sign-in completes": the sync runs as a sub-transaction, so that,
   * should it fail unexpectedly, its writes roll back, the failure is
   * recorded, and the session is still created. The deliberate refusals, a
   * suspended account and the onSignIn hook's FORBIDDEN, are rethrown: no
   * session is created. Its work still counts against the sign-in
   * transaction's limits, which no rollback gives back.
   */
  async function signInCompletes(
    genericCtx: GenericMutationCtx<AnyDataModel>,
    args: { userId: GenericId<"users"> },
  ): Promise<void> {
    const ctx = genericCtx as unknown as MutationCtx;
    try {
      await ctx.runMutation(completeSignInRef, { userId: args.userId });
    } catch (error) {
      if (isAppError(error) && error.data.code === "FORBIDDEN") throw error;
      await recordFailure(ctx, args.userId, error);
      // The session is created all the same: the user has signed in, so it
      // is no longer pending, and every other path (a run, a manual sync,
      // the drift report) now sees a user without a pair, to heal.
      const user = await getDoc(ctx, "users", args.userId);
      if (user?.pendingFirstSignIn !== undefined) {
        await ctx.db.patch("users", args.userId, {
          pendingFirstSignIn: undefined,
        });
      }
    }
  }

  return { recordFailure, signInCompletes };
}
