/**
 * The Convex Auth (v1) adapter: how sign-ins reach the sync. Everything
 * Convex-Auth-specific lives here; the rest of the library knows two events,
 * "a profile was written" and "a sign-in completes". Convex Auth v2 moves
 * auth into components with their own hooks (`attachUserCallbacks`): it
 * would get an adapter like this one.
 *
 * Convex Auth calls its callbacks inside its own transactions:
 * - `afterUserCreatedOrUpdated`, whenever it writes a provider's profile to
 *   `users`: an OAuth answer, a password account created, a code or link
 *   requested, or entered. A request is not a sign-in, so the sync records
 *   only what nothing else knows, with no reads and at most one write: a new
 *   user is marked `pendingFirstSignIn`, and a returning user whose provider
 *   did not vouch for this sign-in's address loses its verification.
 * - `beforeSessionCreation`, the moment a sign-in completes, on every
 *   method: a suspended account, or one whose verified address a suspended
 *   record holds, is refused; the user is paired, its profile
 *   synced, the login stamped on both tables, and the onSignIn hook runs.
 */
import {
  type AnyDataModel,
  type GenericDataModel,
  type GenericMutationCtx,
  type MutationBuilder,
} from "convex/server";
import type { ConvexAuthConfig } from "@convex-dev/auth/server";
import { type GenericId, v } from "convex/values";
import { assertConvexAuthV1, assertConvexAuthV2 } from "./compat.js";
import type { AnyDoc, Shape } from "./declaration.js";
import { endSessions } from "./sessions.js";
import { expireSignUp } from "./unfinishedSignUps.js";
import { appError } from "./errors.js";
import {
  normalizeEmail,
  type SignInKind,
  verificationClaim,
} from "./policy.js";
import {
  byIndex,
  CLAIM_LIMIT,
  ensurePair,
  getDoc,
  readPair,
  recordReview,
} from "./steps.js";
import { suspendedHolder } from "./suspension.js";
import { claimPlaceholder } from "./fold/claim.js";
import { withFoldCopies } from "./fold/copies.js";
import { completeOneTableSignIn } from "./fold/oneTableSignIn.js";
import { singleTable } from "./fold/state.js";
import { syncOutcomeValidator } from "./validators.js";
import { makeSignInSync } from "./signInSync.js";
import { holdsStill } from "./v2Identities.js";

type MutationCtx = GenericMutationCtx<GenericDataModel>;

/** What Convex Auth passes `afterUserCreatedOrUpdated`. */
export type ProfileWritten = {
  userId: GenericId<"users">;
  existingUserId: GenericId<"users"> | null;
  type: SignInKind;
  profile: Record<string, unknown>;
};

type InstalledCallbacks = NonNullable<ConvexAuthConfig["callbacks"]>;

/** What the typecheck says when the installed Convex Auth cannot serve. */
export type ConvexAuthRefusal =
  "convex-auth-user-sync needs @convex-dev/auth >=0.0.91 <0.1.0 (Convex Auth v1 with beforeSessionCreation)";

/**
 * Convex Auth's own callbacks type (v1), so an app's existing callbacks,
 * typed by Convex Auth, pass through as they are. Resolved against the
 * app's installed Convex Auth: with one the sync cannot serve, older than
 * 0.0.91 (no `beforeSessionCreation`) or v2 (no `ConvexAuthConfig`), it is
 * an object whose one key says what is needed, so that
 * `convexAuth({ callbacks: userSync.callbacks() })` fails the typecheck of
 * `npx convex dev` with the range. A mapped type, not a named one: the
 * typecheck prints a named type by its name, this one by its key. Keep the
 * key in step with CONVEX_AUTH_RANGE (compat.test.ts checks it).
 */
export type ConvexAuthCallbacks = 0 extends 1 & ConvexAuthConfig
  ? { [Key in ConvexAuthRefusal]: never }
  : "beforeSessionCreation" extends keyof InstalledCallbacks
    ? InstalledCallbacks
    : { [Key in ConvexAuthRefusal]: never };

/** Builds the adapter for one shape. */
export function makeConvexAuthAdapter(shape: Shape) {
  // A Convex Auth the declaration cannot serve fails here, at module load.
  if (shape.convexAuth === undefined) assertConvexAuthV1();
  else assertConvexAuthV2();

  const { recordFailure, signInCompletes } = makeSignInSync(shape);

  /** "A profile was written": see the module's comment. */
  async function profileWritten(
    genericCtx: GenericMutationCtx<AnyDataModel>,
    args: ProfileWritten,
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
      await recordFailure(ctx, args.userId, error);
    }
  }

  /**
   * Convex Auth's callbacks, merged with the app's own (which run first).
   * An app that sets `createOrUpdateUser` makes Convex Auth skip
   * `afterUserCreatedOrUpdated`: its function is wrapped so the sync still
   * learns what it must.
   *
   * @example export const { auth, signIn, signOut, store, isAuthenticated } = convexAuth({ providers, callbacks: userSync.callbacks() });
   */
  function callbacks(own: ConvexAuthCallbacks = {}): ConvexAuthCallbacks {
    if (shape.convexAuth !== undefined) {
      throw new Error(
        "This sync is declared for Convex Auth v2: give every method's attachUserCallbacks userSync.convexAuthV2Callbacks' createUser and onSignIn instead of userSync.callbacks() (docs/convex-auth-v2.md).",
      );
    }
    const merged: ConvexAuthCallbacks = {
      // The app's other callbacks (redirect, …) pass through untouched.
      ...own,
      async beforeSessionCreation(ctx, args) {
        await own.beforeSessionCreation?.(ctx, args);
        await signInCompletes(ctx, args);
      },
    };
    if (own.createOrUpdateUser !== undefined) {
      const create = own.createOrUpdateUser;
      merged.createOrUpdateUser = async (ctx, args) => {
        const userId = await create(ctx, args);
        await profileWritten(ctx, { ...args, userId });
        return userId;
      };
      if (own.afterUserCreatedOrUpdated !== undefined) {
        // Convex Auth would never call it; say so rather than drop it.
        throw new Error(
          "Convex Auth ignores afterUserCreatedOrUpdated when createOrUpdateUser is set; move its work into createOrUpdateUser.",
        );
      }
    } else {
      merged.afterUserCreatedOrUpdated = async (ctx, args) => {
        await own.afterUserCreatedOrUpdated?.(ctx, args);
        await profileWritten(ctx, args);
      };
    }
    return merged;
  }

  /**
   * The completed sign-in's sync, and the continuation that ends sessions
   * beyond one page, built with the app's raw internal mutation builder.
   * Export them from `shape.modules.signIn` (`expireSignUp` on Convex
   * Auth v2 only).
   *
   * @example export const { completeSignIn, endSessions, expireSignUp } = userSync.signInFunctions({ internalMutation });
   */
  function functions(builders: {
    internalMutation: MutationBuilder<GenericDataModel, "internal">;
  }) {
    return {
      /** Ends a user's remaining sessions, a page at a time. */
      endSessions: builders.internalMutation({
        args: { userId: v.id("users") },
        returns: v.null(),
        handler: async (ctx, { userId }) => {
          await endSessions(ctx, shape, userId);
          return null;
        },
      }),

      /**
       * Convex Auth v2: erases a sign-up whose emailed code was never
       * entered (unfinishedSignUps.ts); scheduled by createUser, never on
       * v1.
       */
      expireSignUp: builders.internalMutation({
        args: { userId: v.id("users") },
        returns: v.null(),
        handler: async (ctx, { userId }) => {
          await expireSignUp(ctx, shape, userId);
          return null;
        },
      }),

      /**
       * A completed sign-in: pairs the user with its row (existing, linked
       * legacy row, or new), applies the field map, stamps the login on
       * both sides with one timestamp, then runs the onSignIn hook.
       */
      completeSignIn: builders.internalMutation({
        args: { userId: v.id("users") },
        returns: v.object({
          rowId: v.union(v.string(), v.null()),
          outcome: syncOutcomeValidator,
        }),
        handler: async (ctx, { userId }) => {
          // 1. The user about to get a session.
          let user = await getDoc(ctx, "users", userId);
          if (user === null) throw new Error(`users ${userId} not found`);
          const now = Date.now();
          // Once the app table is no longer written, the same steps on
          // users alone (docs/fold.md, "4b. Stop writes").
          const mode = shape.fold === undefined ? null : await singleTable(ctx);
          if (mode?.on === true) {
            return await completeOneTableSignIn(ctx, shape, user, now, {
              catchingUp: mode.catchingUp,
            });
          }

          // 2. A suspended account is the one deliberate refusal: checked
          //    before any write, and the error stops the session.
          let read = await readPair(ctx, shape, user);
          const suspended = (row: Record<string, unknown> | null) =>
            shape.status !== undefined && row?.[shape.status] === "suspended";
          if (suspended(read.counterpart) || user.status === "suspended") {
            throw appError("FORBIDDEN", "This account is suspended");
          }
          // A suspended record holding the address this sign-in proves is
          // this person's under another method or spelling (Convex Auth
          // matches addresses exactly, the sync by key): the suspension
          // holds, whatever the link decision would be. One index range.
          if (
            (await suspendedHolder(ctx, shape, user, read.counterpart)) !== null
          ) {
            throw appError("FORBIDDEN", "This account is suspended");
          }
          // The fold: a first sign-in that proves the address of a person
          // who never signed in takes over their placeholder (fold/claim.ts).
          if (
            read.counterpart === null &&
            (await claimPlaceholder(ctx, shape, user, now))
          ) {
            user = (await getDoc(ctx, "users", userId))!;
            read = await readPair(ctx, shape, user);
          }
          // Another live holder of the address is a second account of one
          // person, for a person to look at. One index range, on a first
          // sign-in, or one whose proven address moved (a provider's, or
          // Convex Auth v2's change of address; found by review).
          const key = normalizeEmail(user.email);
          const addressMoved =
            read.counterpart !== null &&
            normalizeEmail(read.counterpart[shape.email]) !== key;
          const holders =
            (read.counterpart === null || addressMoved) &&
            key !== undefined &&
            user.emailVerificationTime !== undefined
              ? await byIndex(
                  ctx,
                  shape.table,
                  shape.indexes.appByEmailVerified,
                  { [shape.email]: key, [shape.emailVerified]: true },
                  CLAIM_LIMIT,
                )
              : [];

          // 3. Pair it, sync the profile and stamp the login on both sides.
          //    A legacy row suspended before its owner's first sign-in
          //    refuses it too: the error rolls back the link with the rest.
          const edits =
            shape.lastLoginAt === undefined ? {} : { [shape.lastLoginAt]: now };
          const result = await ensurePair(ctx, shape, user, edits, {
            now,
            read,
            completesSignIn: true,
          });
          if (suspended(result.row)) {
            throw appError("FORBIDDEN", "This account is suspended");
          }

          // On Convex Auth v2, a row whose account gave the address up (a
          // change of address v2 tells the app nothing of) holds it no
          // more: not a second account of this person (found by review).
          const others: AnyDoc[] = [];
          for (const row of holders) {
            if (row._id === result.rowId) continue;
            if (await holdsStill(ctx, shape, row, key!)) others.push(row);
          }
          if (others.length > 0 && result.rowId !== null) {
            await recordReview(
              ctx,
              {
                kind: "duplicate_account",
                userId,
                rowIds: [result.rowId, ...others.map((row) => row._id)],
                email: key,
                detail:
                  "A second account proved an address another account's row holds verified (Convex Auth keeps them apart: another method or spelling); they were not merged.",
              },
              { now },
            );
          }

          // 4. The app's own work, with the pair as it now is.
          if (result.row !== null && shape.hooks.onSignIn !== undefined) {
            // Its writes to the row pass no trigger: the fold's copies
            // follow them (fold/copies.ts).
            await shape.hooks.onSignIn(
              withFoldCopies(ctx, shape, userId, result.row._id),
              { user: result.user, row: result.row, now },
            );
          }
          return { rowId: result.rowId, outcome: result.outcome };
        },
      }),
    };
  }

  return { callbacks, functions, profileWritten, signInCompletes };
}
