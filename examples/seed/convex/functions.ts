/**
 * The function builders every app module uses. The caller is resolved once,
 * here, from Convex Auth's session: no function takes a user id for "me".
 */
import { getAuthUserId } from "@convex-dev/auth/server";
import {
  customCtx,
  customMutation,
  customQuery,
} from "convex-helpers/server/customFunctions";
import { Triggers } from "convex-helpers/server/triggers";
import type { DataModel, Doc } from "./_generated/dataModel";
import {
  action as rawAction,
  internalAction as rawInternalAction,
  internalMutation as rawInternalMutation,
  internalQuery as rawInternalQuery,
  mutation as rawMutation,
  query as rawQuery,
  type QueryCtx,
} from "./_generated/server";
import type { Actor } from "convex-auth-user-sync";
import { appError } from "./errors";
import { withSearchText, wrapMutationBuilder } from "./searchTextWrites";
import { userSync } from "./sync";

// The sync's triggers on `users` and `auth_users` (their writes use the raw
// database, so they never re-trigger).
const triggers = new Triggers<DataModel>();
userSync.registerTriggers(triggers);

export const query = rawQuery;
export const internalQuery = rawInternalQuery;
export const internalAction = rawInternalAction;
/** Public actions check their caller through a query (see console.ts). */
export const action = rawAction;

/**
 * Mutations for app code: every write to `users` or `auth_users` brings the
 * counterpart into line in the same transaction (the sync's triggers).
 * Importing the raw builders from _generated/server elsewhere is an ESLint
 * error.
 *
 * @example export const promote = internalMutation({ args: {...}, returns: v.null(), handler: ... });
 */
export const mutation = customMutation(
  rawMutation,
  customCtx((ctx) => triggers.wrapDB(withSearchText(ctx))),
);
export const internalMutation = customMutation(
  rawInternalMutation,
  customCtx((ctx) => triggers.wrapDB(withSearchText(ctx))),
);

/**
 * Mutations of the sync layer itself (sign-in sync, profile API, manual and
 * bulk sync, account commands). Their writes are already planned by the field
 * map, and a provider value they copy must not be mistaken for an app edit,
 * so they bypass the triggers. App code uses `mutation`/`internalMutation`.
 * All of them keep the directory's search text (searchTextWrites.ts).
 */
export const syncMutation = wrapMutationBuilder(rawMutation, withSearchText);
export const internalSyncMutation = wrapMutationBuilder(
  rawInternalMutation,
  withSearchText,
);

/** The signed-in user, in both tables. */
export type Caller = {
  user: Doc<"users">;
  authUser: Doc<"auth_users"> | null;
  isAdmin: boolean;
  /**
   * Signed in anonymously (Convex Auth's `users.isAnonymous`): anyone can
   * make any number of guests, so a guest learns nothing of anyone else.
   */
  guest: boolean;
  /** A suspended caller reads nothing and may change nothing. */
  suspended: boolean;
};

/**
 * The signed-in caller, or null when signed out or when the session's user
 * no longer exists. Two reads: the users row and its counterpart.
 */
export async function resolveCaller(ctx: QueryCtx): Promise<Caller | null> {
  const userId = await getAuthUserId(ctx);
  if (userId === null) return null;
  const user = await ctx.db.get("users", userId);
  if (user === null) return null;
  const authUser = await userSync.findCounterpart(ctx, user);
  return {
    user,
    authUser,
    isAdmin: authUser?.is_admin === true,
    guest: user.isAnonymous === true,
    suspended: (authUser?.status ?? user.status) === "suspended",
  };
}

async function requireCaller(ctx: QueryCtx): Promise<Caller> {
  const caller = await resolveCaller(ctx);
  if (caller === null) throw appError("UNAUTHENTICATED", "Sign in first");
  if (caller.suspended)
    throw appError("FORBIDDEN", "This account is suspended");
  return caller;
}

/** The caller if an administrator (UNAUTHENTICATED, FORBIDDEN otherwise). */
export async function requireAdmin(ctx: QueryCtx): Promise<Caller> {
  const caller = await requireCaller(ctx);
  if (!caller.isAdmin) {
    throw appError("FORBIDDEN", "Only administrators may do this");
  }
  return caller;
}

/**
 * A public query that sees `ctx.caller` (null when signed out). Queries
 * answer signed-out callers with null rather than an error.
 *
 * @example
 * export const me = callerQuery({ args: {}, returns: v.null(),
 *   handler: async (ctx) => { ctx.caller; return null; } });
 */
export const callerQuery = customQuery(query, {
  args: {},
  input: async (ctx) => {
    // Sessions of a suspended account are ended, but a JWT outlives its
    // session for up to an hour: treat it as signed out.
    const caller = await resolveCaller(ctx);
    return { ctx: { caller: caller?.suspended ? null : caller }, args: {} };
  },
});

/**
 * A public query for administrators only: UNAUTHENTICATED when signed out,
 * FORBIDDEN for anyone else (the console's queries; a paginated query must
 * answer with a page, so these refuse rather than return null).
 */
export const adminQuery = customQuery(query, {
  args: {},
  input: async (ctx) => ({
    ctx: { caller: await requireAdmin(ctx) },
    args: {},
  }),
});

/** Who a signed-in caller is, for the audit log. */
export function actorOf(caller: Caller): Actor {
  const email = caller.authUser?.email ?? caller.user.email;
  return {
    label: `users:${caller.user._id}${email === undefined ? "" : ` ${email}`}`,
    userId: caller.user._id,
  };
}

/** Adds `ctx.caller` to a mutation builder, resolved by `resolve`. */
function withCaller(resolve: (ctx: QueryCtx) => Promise<Caller>) {
  return {
    args: {},
    input: async (ctx: QueryCtx) => ({
      ctx: { caller: await resolve(ctx) },
      args: {},
    }),
  };
}

/** A public mutation for signed-in users only (UNAUTHENTICATED otherwise). */
export const userMutation = customMutation(mutation, withCaller(requireCaller));

/** A public mutation for administrators only (FORBIDDEN for other users). */
export const adminMutation = customMutation(mutation, withCaller(requireAdmin));

/** `userMutation` for the sync layer's own functions (see syncMutation). */
export const userSyncMutation = customMutation(
  syncMutation,
  withCaller(requireCaller),
);

/** `adminMutation` for the sync layer's own functions (see syncMutation). */
export const adminSyncMutation = customMutation(
  syncMutation,
  withCaller(requireAdmin),
);
