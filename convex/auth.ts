import GitHub from "@auth/core/providers/github";
import Google from "@auth/core/providers/google";
import { convexAuth } from "@convex-dev/auth/server";
import { afterUserCreatedOrUpdated } from "./authSync";

/**
 * Convex Auth with GitHub and Google OAuth. Credentials come from the
 * AUTH_GITHUB_ID / AUTH_GITHUB_SECRET and AUTH_GOOGLE_ID / AUTH_GOOGLE_SECRET
 * environment variables, which @auth/core reads by provider id.
 *
 * The callback keeps `auth_users` in step with `users` inside Convex Auth's
 * own sign-in transaction (see convex/authSync.ts).
 */
export const { auth, signIn, signOut, store, isAuthenticated } = convexAuth({
  providers: [GitHub, Google],
  callbacks: { afterUserCreatedOrUpdated },
});
