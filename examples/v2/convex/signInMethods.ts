/**
 * The app's sign-in methods on Convex Auth v2 (email + password, GitHub),
 * each given `callbacks`: convex/auth.ts gives them the sync's; a test-only
 * copy (v2Alone.helpers.ts) gives plain ones, to measure v2 alone.
 */
import { setupEmailPassword } from "@convex-dev/auth/methods/email-password/server";
import { setupGithub } from "@convex-dev/auth/methods/github/server";
import { setupConvexAuth } from "@convex-dev/auth/server";
import type { FunctionReference } from "convex/server";
import type { GenericId } from "convex/values";
import { env } from "./_generated/server";
import { components } from "./components";

// The frontend the emailed links and GitHub's redirect lead back to.
const SITE_URL = env.SITE_URL ?? "http://localhost:5173";

type Method = { name: string; profile: unknown };

/** createUser and onSignIn, as every method's attachUserCallbacks takes them. */
export type Callbacks = {
  createUser: FunctionReference<
    "mutation",
    "internal",
    { method: Method },
    GenericId<"users">
  >;
  onSignIn: FunctionReference<
    "mutation",
    "internal",
    { method: Method; userId: GenericId<"users"> },
    null
  >;
};

/** Every function the core and both methods export. */
export function signInMethods(callbacks: Callbacks) {
  const auth = setupConvexAuth({ component: components.auth });
  const { signOut, refreshSession, isAuthenticated } = auth;
  const emailPassword = setupEmailPassword(auth, {
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
  const github = setupGithub(auth, {
    component: components.authGithub,
    allowedRedirectOrigins: [new URL(SITE_URL).origin],
  }).attachUserCallbacks(callbacks);
  return {
    signOut,
    refreshSession,
    isAuthenticated,
    ...emailPassword,
    ...github,
  };
}
