/**
 * The app's function builders: mutations wrapped with the sync's triggers,
 * and the signed-in caller resolved once (through Convex Auth v2's session:
 * a revoked session is signed out at once).
 */
import { getAuthUserId } from "@convex-dev/auth/server";
import { appError } from "convex-auth-user-sync";
import {
  customCtx,
  customMutation,
  customQuery,
} from "convex-helpers/server/customFunctions";
import { Triggers } from "convex-helpers/server/triggers";
import type { DataModel, Doc } from "./_generated/dataModel";
import {
  internalMutation as rawInternalMutation,
  mutation as rawMutation,
  query,
  type QueryCtx,
} from "./_generated/server";
import { components } from "./components";
import { userSync } from "./sync";

const triggers = new Triggers<DataModel>();
userSync.registerTriggers(triggers);

/** App mutations: writes to `users` or `members` keep the pair in step. */
export const mutation = customMutation(rawMutation, customCtx(triggers.wrapDB));
export const internalMutation = customMutation(
  rawInternalMutation,
  customCtx(triggers.wrapDB),
);

/** The sync's own functions: planned by the field map, no triggers. */
export const internalSyncMutation = rawInternalMutation;

export type Caller = { user: Doc<"users">; member: Doc<"members"> | null };

async function resolveCaller(ctx: QueryCtx): Promise<Caller | null> {
  const userId = await getAuthUserId(ctx, components.auth);
  if (userId === null) return null;
  const user = await ctx.db.get("users", userId);
  if (user === null) return null;
  const member = await userSync.findCounterpart(ctx, user);
  const suspended = (member?.status ?? user.status) === "suspended";
  return suspended ? null : { user, member };
}

/** A query that sees `ctx.caller`: null when signed out or suspended. */
export const callerQuery = customQuery(query, {
  args: {},
  input: async (ctx) => ({
    ctx: { caller: await resolveCaller(ctx) },
    args: {},
  }),
});

/** The signed-in, active caller, or UNAUTHENTICATED. */
const signedInCaller = {
  args: {},
  input: async (ctx: QueryCtx) => {
    const caller = await resolveCaller(ctx);
    if (caller === null) throw appError("UNAUTHENTICATED", "Sign in first");
    return { ctx: { caller }, args: {} };
  },
};

/** A mutation for a signed-in, active caller. */
export const callerMutation = customMutation(mutation, signedInCaller);

/** `callerMutation` for the sync's own writes (no triggers). */
export const callerSyncMutation = customMutation(rawMutation, signedInCaller);
