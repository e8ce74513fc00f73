/**
 * The app's Convex Auth configuration (convex/auth.ts), callbacks and all,
 * with one difference: password accounts are hashed cheaply. Scrypt takes
 * about 100 ms a hash, and the property test signs up and in with passwords
 * hundreds of times; the sync never sees a hash. Tests mount it in place of
 * `auth` (FAST_PASSWORD_MODULES), so Convex Auth's own internal calls to
 * `auth:store` reach it. A multi-dot file: never deployed.
 */
import { convexAuth } from "@convex-dev/auth/server";
import { withCheapHash } from "../../../conformance/convexAuthV1";
import { passwordCodeProvider, passwordProvider, providers } from "./providers";
import { userSync } from "./sync";

export const { auth, signIn, signOut, store, isAuthenticated } = convexAuth({
  callbacks: userSync.callbacks(),
  providers: providers.map((provider) =>
    provider === passwordProvider || provider === passwordCodeProvider
      ? withCheapHash(provider)
      : provider,
  ),
});

/** Module map entries that mount this file as the app's `auth`. */
export const FAST_PASSWORD_MODULES = {
  "./auth.ts": () => import("./fastPassword.helpers"),
  "./http.ts": () => import("./fastPasswordHttp.helpers"),
};
