/**
 * The app's Convex Auth configuration (convex/auth.ts) with passwords
 * hashed cheaply, for tests. Mounted in place of `auth`, so Convex Auth's own
 * internal calls to `auth:store` reach it. A multi-dot file: never deployed.
 */
import { convexAuth } from "@convex-dev/auth/server";
import { withCheapHash } from "../../../conformance/convexAuthV1";
import { passwordProvider } from "./auth";
import { userSync } from "./sync";

export const { auth, signIn, signOut, store, isAuthenticated } = convexAuth({
  providers: [withCheapHash(passwordProvider)],
  callbacks: userSync.callbacks(),
});

/** Module map entries that mount this file as the app's `auth`. */
export const FAST_PASSWORD_MODULES = {
  "./auth.ts": () => import("./fastPassword.helpers"),
};
