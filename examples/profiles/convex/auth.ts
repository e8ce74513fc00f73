import { Password } from "@convex-dev/auth/providers/Password";
import { convexAuth } from "@convex-dev/auth/server";
import type { DataModel } from "./_generated/dataModel";
import { userSync } from "./sync";

/** Password sign-in only; tests swap in a cheap hash (fastPassword.helpers). */
export const passwordProvider = Password<DataModel>();

/** Password sign-in only, with the sync's callbacks. */
export const { auth, signIn, signOut, store, isAuthenticated } = convexAuth({
  providers: [passwordProvider],
  callbacks: userSync.callbacks(),
});
