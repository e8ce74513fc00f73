/**
 * The completed sign-in's sync (Convex Auth's beforeSessionCreation runs it
 * as a sub-transaction; see convex-auth-user-sync's convexAuth adapter), and
 * the job that ends a suspended or deleted user's sessions beyond one page.
 */
import { internalSyncMutation } from "./functions";
import { userSync } from "./sync";

export const { completeSignIn, endSessions } = userSync.signInFunctions({
  internalMutation: internalSyncMutation,
});
