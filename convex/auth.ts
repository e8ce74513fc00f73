import { convexAuth } from "@convex-dev/auth/server";
import { afterUserCreatedOrUpdated } from "./authSync";
import { githubProvider, googleProvider } from "./oauthProviders";

/**
 * Convex Auth with GitHub and Google OAuth. Credentials come from the
 * AUTH_GITHUB_ID / AUTH_GITHUB_SECRET and AUTH_GOOGLE_ID / AUTH_GOOGLE_SECRET
 * environment variables, which @auth/core reads by provider id. Both report
 * whether they vouch for the email they send (convex/oauthProviders.ts).
 *
 * The callback keeps `auth_users` in step with `users` inside Convex Auth's
 * own sign-in transaction (see convex/authSync.ts).
 */
export const { auth, signIn, signOut, store, isAuthenticated } = convexAuth({
  providers: [githubProvider, googleProvider],
  callbacks: { afterUserCreatedOrUpdated },
});
