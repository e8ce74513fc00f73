/**
 * A user's sign-in accounts (provider and account id), wherever its Convex
 * Auth keeps them: v1's `authAccounts` table, v2's components (the
 * methods the sync recorded, v2/identities.ts). For an export and the
 * operator's view.
 */
import type { GenericDataModel, GenericQueryCtx } from "convex/server";
import { byIndex, type ReadCtx } from "./db.js";
import type { AnyDoc, Shape } from "./declaration.js";
import { identitiesOfV2 } from "./v2Identities.js";

/** A sign-in account, as v1's `authAccounts` names it. */
export type SignInAccount = { provider: string; providerAccountId: string };

/**
 * At most `limit` accounts of `user` (one index range on v1).
 *
 * @example const accounts = await signInAccounts(ctx, shape, user, 100);
 */
export async function signInAccounts(
  ctx: ReadCtx,
  shape: Shape,
  user: AnyDoc,
  limit: number,
): Promise<SignInAccount[]> {
  if (shape.convexAuth !== undefined) {
    // Every caller is a Convex query or mutation: its ctx runs component
    // queries too (the read helpers are typed by the reader they use).
    const queryCtx = ctx as GenericQueryCtx<GenericDataModel>;
    return (await identitiesOfV2(queryCtx, shape, user)).slice(0, limit);
  }
  const accounts = await byIndex(
    ctx,
    "authAccounts",
    "userIdAndProvider",
    { userId: user._id },
    limit,
  );
  return accounts.map((account) => ({
    provider: account.provider as string,
    providerAccountId: account.providerAccountId as string,
  }));
}
