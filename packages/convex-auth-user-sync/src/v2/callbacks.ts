/**
 * The Convex Auth v2 adapter: how a v2 sign-in reaches the sync. v2 lets
 * the app own its users table and calls two of the app's internal
 * mutations per sign-in method, inside the sign-in's transaction:
 * - `createUser`, once per new identity: returns the user it belongs to.
 *   A method that proved an address (a verified OAuth address) joins the
 *   one user that already holds it verified, exactly as v1's default
 *   linked accounts; anything else gets a user of its own, pending until
 *   its first completed sign-in (an email + password sign-up creates its
 *   user before the address is proven).
 * - `onSignIn`, on every sign-in, the first included: what the method
 *   proved is written to `users` (v2 stores no profile: v1 wrote these
 *   fields itself), then the same sync as v1's `beforeSessionCreation`
 *   (signInSync.ts: pair, claim a legacy row only on a proven address,
 *   field map, login stamp, hook). A suspended person is refused with a
 *   ConvexError, which v2 turns into a refused sign-in (and, on a first
 *   sign-in, rolls back the user createUser made).
 */
import {
  type GenericDataModel,
  type GenericMutationCtx,
  type MutationBuilder,
} from "convex/server";
import { type GenericId, v, type Value } from "convex/values";
import type { AnyDoc, Shape } from "../declaration.js";
import { appError } from "../errors.js";
import { makeSignInSync } from "../signInSync.js";
import { getDoc, verifiedUsersWithEmail } from "../steps.js";
import { scheduleSignUpExpiry } from "../unfinishedSignUps.js";
import { componentAddress, stillProves } from "../v2Identities.js";
import {
  type MethodProof,
  methodProof,
  proofFields,
  withMethod,
} from "./proof.js";

type MutationCtx = GenericMutationCtx<GenericDataModel>;

/** What v2 passes both callbacks: the method's name and its profile. */
const methodValidator = v.object({ name: v.string(), profile: v.any() });

/** Builds the v2 adapter for one shape. */
export function makeConvexAuthV2Adapter(shape: Shape) {
  const { recordFailure, signInCompletes } = makeSignInSync(shape);

  /** createUser: see the module's comment. */
  async function createUser(
    ctx: MutationCtx,
    method: { name: string; profile: unknown },
  ): Promise<GenericId<"users">> {
    const proof = methodProof(method.name, method.profile);
    // 1. A proven address held verified by exactly one user: the same
    //    person's new sign-in method (v1's default, matched exactly: another
    //    spelling is another user, and the sync records the pair of them).
    if (proof.verified && proof.email !== undefined) {
      const holders = await verifiedUsersWithEmail(ctx, shape, proof.email, 2);
      // It must still prove it: a password account may have changed its
      //    address away (v2 tells the app nothing), and the address's next
      //    owner is someone else.
      const [holder] = holders;
      if (
        holders.length === 1 &&
        (await stillProves(ctx, shape, holder!, proof.email))
      ) {
        return holder!._id as GenericId<"users">;
      }
    }
    // 2. A user of its own, pending until its first completed sign-in.
    const now = Date.now();
    const userId: GenericId<"users"> = await ctx.db.insert("users", {
      ...proofFields(proof, null, now),
      authMethods: withMethod(undefined, proof),
      pendingFirstSignIn: true,
    });
    // 3. A sign-up finished later, by an emailed code: erased if it never
    //    is (unfinishedSignUps.ts). A failure to schedule is recorded,
    //    never the reason a sign-up fails.
    if (proof.emailFromComponent) {
      try {
        await scheduleSignUpExpiry(ctx, shape, userId);
      } catch (error) {
        await recordFailure(ctx, userId, error);
      }
    }
    return userId;
  }

  /** onSignIn: see the module's comment. */
  async function onSignIn(
    ctx: MutationCtx,
    args: { method: { name: string; profile: unknown }; userId: string },
  ): Promise<null> {
    const userId = args.userId as GenericId<"users">;
    // 1. An identity whose user was deleted (2.0.0 has no way to delete an
    //    OAuth account from its component): refused, never handed a user.
    const user = await getDoc(ctx, "users", userId);
    if (user === null) {
      throw appError(
        "FORBIDDEN",
        "This account was deleted; sign up again with another method",
      );
    }
    // 2. What the method proved, on users. A failure is recorded, never
    //    the reason a sign-in fails.
    try {
      await writeProof(
        ctx,
        user,
        methodProof(args.method.name, args.method.profile),
      );
    } catch (error) {
      await recordFailure(ctx, userId, error);
    }
    // 3. The sync; a suspended account is refused here.
    await signInCompletes(ctx as never, { userId });
    return null;
  }

  /**
   * The proof of this sign-in, written where v1 kept it: the address and
   * its verification time, name and picture, and the method among the
   * user's sign-in methods. The password method's address is read from the
   * email component (its profile is empty). A verified address is never
   * replaced by an unverified one.
   */
  async function writeProof(
    ctx: MutationCtx,
    user: AnyDoc,
    proof: MethodProof,
  ): Promise<void> {
    const methods = withMethod(user.authMethods, proof);
    // A password account's address is the email component's, whichever
    // method signs in: another method's address never moves it out of
    // the sync's sight (a suspension holds by it).
    const primary = await componentAddress(ctx, shape, {
      ...user,
      authMethods: methods,
    });
    const proven =
      typeof primary === "string"
        ? { ...proof, email: primary, verified: true }
        : proof;
    const fields = proofFields(proven, user, Date.now());
    const patch: Record<string, Value | undefined> = {};
    for (const [field, value] of Object.entries(fields)) {
      if (user[field] !== value) patch[field] = value as Value;
    }
    if (methods !== user.authMethods) patch.authMethods = methods;
    if (Object.keys(patch).length > 0) {
      await ctx.db.patch("users", user._id as GenericId<"users">, patch);
    }
  }

  /**
   * The two callbacks, built with the app's raw internal mutation builder.
   * Export them and give them to every method's `attachUserCallbacks`.
   *
   * @example
   * export const { createUser, onSignIn } = userSync.convexAuthV2Callbacks({ internalMutation });
   * // convex/auth.ts
   * setupGithub(auth, { component: components.authGithub, ... }).attachUserCallbacks({
   *   createUser: internal.userSync.createUser,
   *   onSignIn: internal.userSync.onSignIn,
   * });
   */
  function callbacks(builders: {
    internalMutation: MutationBuilder<GenericDataModel, "internal">;
  }) {
    return {
      createUser: builders.internalMutation({
        args: { method: methodValidator },
        returns: v.id("users"),
        handler: async (ctx, { method }) => await createUser(ctx, method),
      }),
      onSignIn: builders.internalMutation({
        args: { method: methodValidator, userId: v.id("users") },
        returns: v.null(),
        handler: async (ctx, args) =>
          await onSignIn(
            ctx,
            args as {
              method: { name: string; profile: unknown };
              userId: string;
            },
          ),
      }),
    };
  }

  return { callbacks };
}
