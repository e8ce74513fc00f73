/**
 * The app's Convex Auth configuration plus a method that proves the address
 * (a code sent by email), for tests of what only a verified sign-in does: a
 * placeholder's claim. The app itself offers Password alone, which proves no
 * address (see docs/fold.md). Mounted in place of `auth`, as
 * fastPassword.helpers is; the code is fixed and no email goes out. A
 * multi-dot file: never deployed.
 */
import { Email } from "@convex-dev/auth/providers/Email";
import { convexAuth } from "@convex-dev/auth/server";
import { withCheapHash } from "../../../conformance/convexAuthV1";
import { passwordProvider } from "./auth";
import { userSync } from "./sync";

/** The provider id of the emailed code. */
export const EMAIL_CODE_PROVIDER = "email-code";
/** The code every request "sends". */
export const EMAIL_CODE = "27182818";

export const { auth, signIn, signOut, store, isAuthenticated } = convexAuth({
  providers: [
    withCheapHash(passwordProvider),
    Email({
      id: EMAIL_CODE_PROVIDER,
      generateVerificationToken: () => EMAIL_CODE,
      sendVerificationRequest: async () => {},
    }),
  ],
  callbacks: userSync.callbacks(),
});

/** Module map entries that mount this file as the app's `auth`. */
export const EMAIL_CODE_MODULES = {
  "./auth.ts": () => import("./emailCode.helpers"),
};
