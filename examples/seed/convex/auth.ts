import { convexAuth } from "@convex-dev/auth/server";
import { providers } from "./providers";
import { userSync } from "./sync";

/**
 * Convex Auth with every sign-in method (convex/providers.ts), each
 * reporting what it vouches for. The environment variables each one needs
 * are listed in the README's deploy section.
 *
 * The sync's callbacks (convex/sync.ts) keep `auth_users` in step with
 * `users` inside Convex Auth's own transactions: a completed sign-in is the
 * moment a session is created, on every method.
 */
export const { auth, signIn, signOut, store, isAuthenticated } = convexAuth({
  providers: [...providers],
  callbacks: userSync.callbacks(),
});
