/**
 * The app on Convex Auth v2 alone, without the sync: plain callbacks, as an
 * app would write them for v2 (a user per new identity; GitHub's address
 * only when GitHub verified it), given to the same sign-in methods. The
 * baseline the sync's sign-in costs are measured against (cost.test.ts).
 * Test-only (a multi-dot file, never deployed): V2_ALONE_MODULES mounts it
 * as `v2Alone` and replaces the app's `auth` module with its methods.
 */
import { makeFunctionReference } from "convex/server";
import { v } from "convex/values";
import type { Id } from "./_generated/dataModel";
// eslint-disable-next-line no-restricted-imports -- v2 alone is the app without the sync: no triggers of its
import { internalMutation } from "./_generated/server";
import { type Callbacks, signInMethods } from "./signInMethods";

const method = v.object({ name: v.string(), profile: v.any() });

/** A user for each new identity. */
export const createUser = internalMutation({
  args: { method },
  returns: v.id("users"),
  handler: async (ctx, args): Promise<Id<"users">> => {
    const profile = args.method.profile as {
      email?: string;
      emailVerified?: boolean;
      name?: string;
      login?: string;
      avatarUrl?: string;
    };
    if (args.method.name !== "github") return await ctx.db.insert("users", {});
    return await ctx.db.insert("users", {
      name: profile.name ?? profile.login,
      image: profile.avatarUrl,
      ...(profile.emailVerified === true && profile.email !== undefined
        ? { email: profile.email, emailVerificationTime: Date.now() }
        : {}),
    });
  },
});

/** Nothing to do at a sign-in. */
export const onSignIn = internalMutation({
  args: { method, userId: v.id("users") },
  returns: v.null(),
  handler: () => Promise.resolve(null),
});

const plain: Callbacks = {
  createUser: makeFunctionReference<"mutation", { method: never }, never>(
    "v2Alone:createUser",
  ) as unknown as Callbacks["createUser"],
  onSignIn: makeFunctionReference<"mutation">(
    "v2Alone:onSignIn",
  ) as unknown as Callbacks["onSignIn"],
};

/** The `auth` module of the app without the sync. */
export const authModule = () => Promise.resolve(signInMethods(plain));

/** Module map entries: these callbacks, and the methods given them. */
export const V2_ALONE_MODULES = {
  "./v2Alone.ts": () => import("./v2Alone.helpers"),
  "./auth.ts": authModule,
};
