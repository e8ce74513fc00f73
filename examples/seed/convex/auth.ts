import { convexAuth } from "@convex-dev/auth/server";
import { providers } from "./providers";
import { withSearchText } from "./searchTextWrites";
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
  callbacks: withSearchTextCallbacks(userSync.callbacks()),
});

/**
 * The sync's callbacks with a database that keeps the directory's search
 * text (searchTextWrites.ts): they write auth_users inside Convex Auth's
 * own transactions, which no builder of functions.ts wraps.
 */
function withSearchTextCallbacks(
  callbacks: ReturnType<typeof userSync.callbacks>,
): ReturnType<typeof userSync.callbacks> {
  const {
    beforeSessionCreation,
    afterUserCreatedOrUpdated,
    createOrUpdateUser,
  } = callbacks;
  return {
    ...callbacks,
    ...(beforeSessionCreation && {
      beforeSessionCreation: (ctx, args) =>
        beforeSessionCreation(withSearchText(ctx), args),
    }),
    ...(afterUserCreatedOrUpdated && {
      afterUserCreatedOrUpdated: (ctx, args) =>
        afterUserCreatedOrUpdated(withSearchText(ctx), args),
    }),
    ...(createOrUpdateUser && {
      createOrUpdateUser: (ctx, args) =>
        createOrUpdateUser(withSearchText(ctx), args),
    }),
  };
}
