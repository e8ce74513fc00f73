/**
 * Ending sign-ins: sessions with their refresh tokens, and verification
 * codes already issued, a bounded page per transaction. Suspension, a link
 * that pairs a user with a suspended row, and deletion all end them.
 */
import {
  type GenericDataModel,
  type GenericMutationCtx,
  makeFunctionReference,
} from "convex/server";
import type { GenericId } from "convex/values";
import { byIndex, deleteDocs, getDoc } from "./db.js";
import type { AnyDoc, Shape } from "./declaration.js";
import { endSessionsV2, eraseIdentities } from "./v2Identities.js";

/** A mutation's context, whatever the app's data model. */
export type MutationCtx = GenericMutationCtx<GenericDataModel>;

/** Upper bound on the auth accounts and codes of one user read at once. */
export const PER_ACCOUNT_LIMIT = 100;

/**
 * Ends everything of a suspended user that is or could become a session:
 * sessions with their refresh tokens, and verification codes already issued
 * (a sign-in under way when the account was suspended).
 */
export async function endSignIns(
  ctx: MutationCtx,
  shape: Shape,
  userId: GenericId<"users">,
): Promise<void> {
  await endSessions(ctx, shape, userId);
  await revokePendingSignIns(ctx, shape, userId, { deleteAccounts: false });
}

/** Sessions ended per transaction; the rest go on in a scheduled job. */
const SESSION_PAGE = 100;
/** Refresh tokens deleted per session per transaction. */
const TOKEN_PAGE = 100;

/**
 * Ends a user's sessions and their refresh tokens, a bounded page per
 * transaction (Convex Auth's own invalidateSessions reads them all at once,
 * which a user with thousands of sessions would push past a limit, and with
 * it the suspension or deletion that asked). What does not fit is ended by
 * the continuation job the app exports as `endSessions` from
 * `modules.signIn`. Until then a suspended user's remaining sessions read
 * nothing and change nothing (the app's builders refuse them). Returns how
 * many documents this transaction deleted (sessions and refresh tokens).
 */
export async function endSessions(
  ctx: MutationCtx,
  shape: Shape,
  userId: GenericId<"users">,
): Promise<number> {
  // Convex Auth v2 keeps sessions in its core component; v1's, where the
  // app keeps v1's tables for the move, end too (found by review).
  if (shape.convexAuth !== undefined) {
    const deleted = await endSessionsV2(ctx, shape, userId);
    if (!shape.v1Tables.has("authSessions")) return deleted;
    return deleted + (await endSessionsV1(ctx, shape, userId));
  }
  return await endSessionsV1(ctx, shape, userId);
}

/** Convex Auth v1's sessions of a user and their refresh tokens. */
async function endSessionsV1(
  ctx: MutationCtx,
  shape: Shape,
  userId: GenericId<"users">,
): Promise<number> {
  const tokensKept = shape.v1Tables.has("authRefreshTokens");
  let deleted = 0;
  const sessions = await byIndex(
    ctx,
    "authSessions",
    "userId",
    { userId },
    SESSION_PAGE,
  );
  let more = sessions.length === SESSION_PAGE;
  for (const session of sessions) {
    const tokens = !tokensKept
      ? []
      : await byIndex(
          ctx,
          "authRefreshTokens",
          "sessionId",
          { sessionId: session._id },
          TOKEN_PAGE,
        );
    deleted += await deleteDocs(ctx, "authRefreshTokens", tokens);
    if (tokens.length === TOKEN_PAGE) {
      more = true;
      continue;
    }
    await ctx.db.delete(
      "authSessions",
      session._id as GenericId<"authSessions">,
    );
    deleted++;
  }
  if (more) {
    await ctx.scheduler.runAfter(
      0,
      makeFunctionReference<"mutation">(`${shape.modules.signIn}:endSessions`),
      { userId },
    );
  }
  return deleted;
}

/**
 * Deletes the verification codes of every auth account of a user: codes
 * already issued (an OAuth callback's, an emailed one) would otherwise still
 * become a session. With `deleteAccounts`, the accounts go too. Returns how
 * many documents it deleted. On Convex Auth v2 a code under way completes
 * through onSignIn, which refuses a suspended user, and the identities of
 * a deleted one leave its components (v2/identities.ts).
 */
export async function revokePendingSignIns(
  ctx: MutationCtx,
  shape: Shape,
  userId: GenericId<"users">,
  options: { deleteAccounts: boolean; user?: AnyDoc | null },
): Promise<number> {
  if (shape.convexAuth !== undefined) {
    if (options.deleteAccounts) {
      // App code may have deleted the user already (the triggers): its
      // last version says which identities it had.
      const user = (await getDoc(ctx, "users", userId)) ?? options.user ?? null;
      await eraseIdentities(ctx, shape, user, userId);
    }
    // v1's accounts kept for the move (a waiting password hash, an
    // address) go with the person too (found by review); v1 serves no
    // sign-in any more, so a suspension leaves them.
    if (!(options.deleteAccounts && shape.v1Tables.has("authAccounts"))) {
      return 0;
    }
  }
  let deleted = 0;
  const accounts = await byIndex(
    ctx,
    "authAccounts",
    "userIdAndProvider",
    { userId },
    PER_ACCOUNT_LIMIT,
  );
  for (const account of accounts) {
    if (shape.v1Tables.has("authVerificationCodes")) {
      const codes = await byIndex(
        ctx,
        "authVerificationCodes",
        "accountId",
        { accountId: account._id },
        PER_ACCOUNT_LIMIT,
      );
      deleted += await deleteDocs(ctx, "authVerificationCodes", codes);
    }
    if (options.deleteAccounts) {
      await ctx.db.delete(
        "authAccounts",
        account._id as GenericId<"authAccounts">,
      );
      deleted++;
    }
  }
  return deleted;
}
