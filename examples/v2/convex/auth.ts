/**
 * Convex Auth v2: the core and both sign-in methods, each given the sync's
 * callbacks (convex/userSync.ts).
 */
import { internal } from "./_generated/api";
import { signInMethods } from "./signInMethods";

export const {
  signOut,
  refreshSession,
  isAuthenticated,
  signUpWithEmailPassword,
  completeSignUpWithEmailPassword,
  signInWithEmailPassword,
  changePassword,
  startPasswordRecovery,
  checkPasswordRecovery,
  completePasswordRecovery,
  startChangeEmail,
  completeChangeEmail,
  startSignInWithGithub,
  completeSignInWithGithub,
} = signInMethods({
  createUser: internal.userSync.createUser,
  onSignIn: internal.userSync.onSignIn,
});
