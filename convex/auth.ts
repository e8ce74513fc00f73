import { convexAuth } from "@convex-dev/auth/server";
import { afterUserCreatedOrUpdated, beforeSessionCreation } from "./authSync";
import { providers } from "./providers";

/**
 * Convex Auth with every sign-in method (convex/providers.ts), each
 * reporting what it vouches for. The environment variables each one needs
 * are listed in the README's deploy section.
 *
 * The callbacks keep `auth_users` in step with `users` inside Convex Auth's
 * own transactions (see convex/authSync.ts): a completed sign-in is the
 * moment a session is created, on every method.
 */
export const authConfig = {
  providers,
  callbacks: { afterUserCreatedOrUpdated, beforeSessionCreation },
};

export const { auth, signIn, signOut, store, isAuthenticated } =
  convexAuth(authConfig);
