import { setupEmailPassword } from "@convex-dev/auth/methods/email-password/server";
import { setupGithub } from "@convex-dev/auth/methods/github/server";
import { setupConvexAuth } from "@convex-dev/auth/server";
import { internal } from "./_generated/api";
import { env } from "./_generated/server";
import { components } from "./components";

// The frontend the emailed links and GitHub's redirect lead back to.
const SITE_URL = env.SITE_URL ?? "http://localhost:5173";

// The sync's callbacks, one pair for every method (convex/userSync.ts).
const callbacks = {
  createUser: internal.userSync.createUser,
  onSignIn: internal.userSync.onSignIn,
};

const auth = setupConvexAuth({ component: components.auth });
export const { signOut, refreshSession, isAuthenticated } = auth;

export const {
  signUpWithEmailPassword,
  completeSignUpWithEmailPassword,
  signInWithEmailPassword,
  changePassword,
  startPasswordRecovery,
  checkPasswordRecovery,
  completePasswordRecovery,
  startChangeEmail,
  completeChangeEmail,
} = setupEmailPassword(auth, {
  component: components.authEmail,
  passwordComponent: components.authPassword,
  emailSender: {
    kind: "resend",
    sendEmail: components.resend.lib.sendEmail,
    // Offline (tests, bench) Resend is a stub and the key a placeholder.
    apiKey: env.AUTH_RESEND_KEY ?? "",
    from: env.AUTH_EMAIL ?? "Example <sign-in@example.com>",
  },
  urls: {
    signUp: `${SITE_URL}/validate-email`,
    changeEmail: `${SITE_URL}/confirm-email-change`,
    recovery: `${SITE_URL}/reset-password`,
  },
}).attachUserCallbacks(callbacks);

export const { startSignInWithGithub, completeSignInWithGithub } = setupGithub(
  auth,
  {
    component: components.authGithub,
    allowedRedirectOrigins: [new URL(SITE_URL).origin],
  },
).attachUserCallbacks(callbacks);
