/**
 * The function builders every app module uses. The caller is resolved once,
 * here, from Convex Auth's session: no function takes a user id for "me".
 */
import { getAuthUserId } from "@convex-dev/auth/server";
import {
  customMutation,
  customQuery,
} from "convex-helpers/server/customFunctions";
import type { Doc } from "./_generated/dataModel";
import {
  internalAction as rawInternalAction,
  internalMutation as rawInternalMutation,
  internalQuery as rawInternalQuery,
  mutation as rawMutation,
  query as rawQuery,
  type QueryCtx,
} from "./_generated/server";
import { appError } from "./errors";
import { findCounterpart } from "./syncCore";

export const query = rawQuery;
export const internalQuery = rawInternalQuery;
export const mutation = rawMutation;
export const internalMutation = rawInternalMutation;
export const internalAction = rawInternalAction;

/** The signed-in user, in both tables. */
export type Caller = {
  user: Doc<"users">;
  authUser: Doc<"auth_users"> | null;
  isAdmin: boolean;
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
  const authUser = await findCounterpart(ctx, user);
  return { user, authUser, isAdmin: authUser?.is_admin === true };
}

async function requireCaller(ctx: QueryCtx): Promise<Caller> {
  const caller = await resolveCaller(ctx);
  if (caller === null) throw appError("UNAUTHENTICATED", "Sign in first");
  return caller;
}

async function requireAdmin(ctx: QueryCtx): Promise<Caller> {
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
  input: async (ctx) => ({
    ctx: { caller: await resolveCaller(ctx) },
    args: {},
  }),
});

/** A public mutation for signed-in users only (UNAUTHENTICATED otherwise). */
export const userMutation = customMutation(mutation, {
  args: {},
  input: async (ctx) => ({
    ctx: { caller: await requireCaller(ctx) },
    args: {},
  }),
});

/** A public mutation for administrators only (FORBIDDEN for other users). */
export const adminMutation = customMutation(mutation, {
  args: {},
  input: async (ctx) => ({
    ctx: { caller: await requireAdmin(ctx) },
    args: {},
  }),
});
