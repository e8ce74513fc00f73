/**
 * Unfinished sign-ups on Convex Auth v2. An email + password sign-up calls
 * `createUser` before its address is proven (the emailed code), and v2
 * gives the app no address: the user is pending, with a password hash in
 * the password component and the address in the email component's
 * challenge. A sign-up whose code is never entered would keep them for
 * good, tied to nobody an erasure can find (found by review). So each
 * such user is looked at once its code can no longer be entered, and
 * erased if it is still pending: it never signed in, so it has no session,
 * no row and nothing of anyone else's.
 */
import {
  type GenericDataModel,
  type GenericMutationCtx,
  makeFunctionReference,
} from "convex/server";
import type { GenericId } from "convex/values";
import type { Shape } from "./declaration.js";
import { eraseTraces, peopleOf } from "./erasure.js";
import { getDoc } from "./steps.js";
import { eraseIdentities } from "./v2Identities.js";

type MutationCtx = GenericMutationCtx<GenericDataModel>;

/**
 * How long after `createUser` an unfinished sign-up is erased: twice the
 * email component's one hour during which a sign-up's code can be entered
 * (2.0.0's `ADD_EMAIL_TTL_MS`), so no code still valid is cut short.
 */
export const UNFINISHED_SIGN_UP_MS = 2 * 60 * 60 * 1000;

/**
 * Schedules the look at a new pending user (the app's `expireSignUp`, from
 * `modules.signIn`).
 */
export async function scheduleSignUpExpiry(
  ctx: MutationCtx,
  shape: Shape,
  userId: GenericId<"users">,
): Promise<void> {
  await ctx.scheduler.runAfter(
    UNFINISHED_SIGN_UP_MS,
    makeFunctionReference<"mutation">(`${shape.modules.signIn}:expireSignUp`),
    { userId },
  );
}

/**
 * Erases the user if its sign-up never finished (still pending): its
 * identities in v2's components, as a deletion does, the sync's traces of
 * it, and the user. A user that signed in since is left alone. Returns
 * whether it erased one.
 */
export async function expireSignUp(
  ctx: MutationCtx,
  shape: Shape,
  userId: GenericId<"users">,
): Promise<boolean> {
  const user = await getDoc(ctx, "users", userId);
  if (user === null || user.pendingFirstSignIn !== true) return false;
  await eraseIdentities(ctx, shape, user, userId);
  await ctx.db.delete("users", userId);
  await eraseTraces(ctx, shape, peopleOf(shape, user, null));
  return true;
}
