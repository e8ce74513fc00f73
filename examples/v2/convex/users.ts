import { vGithubProfile } from "@convex-dev/auth/methods/github/server";
import { getAuthUserId } from "@convex-dev/auth/server";
import { v } from "convex/values";
import { query } from "./_generated/server";
import { internalMutation } from "./functions";
import { components } from "./components";

/**
 * What a sign-in method tells the app's callbacks: its name and the profile
 * it learned. One validator for both methods, so one `createUser` and one
 * `onSignIn` serve them all (Convex Auth types each callback per method; a
 * function accepting the union satisfies every method's type). The email +
 * password method's profile is empty: the address lives in the email
 * component (`verifiedEmails`), not in the claims.
 */
const vMethod = v.union(
  v.object({ name: v.literal("emailPassword"), profile: v.object({}) }),
  v.object({ name: v.literal("github"), profile: vGithubProfile }),
);

/**
 * Creates the app's user for a new identity (Convex Auth v2 calls it once per
 * identity, then `onSignIn`). GitHub's address is kept only when GitHub
 * vouches for it (`emailVerified`: a verified `/user/emails` entry), and then
 * with its verification time; an unproven address is never stored.
 */
export const createUser = internalMutation({
  args: { method: vMethod },
  returns: v.id("users"),
  handler: async (ctx, { method }) => {
    if (method.name === "emailPassword") {
      return await ctx.db.insert("users", {});
    }
    const { profile } = method;
    return await ctx.db.insert("users", {
      name: profile.name ?? profile.login,
      image: profile.avatarUrl,
      ...(profile.emailVerified && profile.email !== undefined
        ? { email: profile.email, emailVerificationTime: Date.now() }
        : {}),
    });
  },
});

/** Runs on every sign-in, the first included; nothing to do yet. */
export const onSignIn = internalMutation({
  args: { method: vMethod, userId: v.id("users") },
  returns: v.null(),
  handler: () => Promise.resolve(null),
});

/** The signed-in user's id, from the session the access token names. */
export const viewer = query({
  args: {},
  returns: v.union(v.id("users"), v.null()),
  handler: async (ctx) => await getAuthUserId(ctx, components.auth),
});
