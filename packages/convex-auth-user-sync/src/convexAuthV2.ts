/**
 * The Convex Auth v2 components the sync calls, typed by what it calls:
 * an app passes its own `components.auth`, `components.authEmail`, … (each
 * package's `ComponentApi` fits these shapes). The library imports nothing
 * of `@convex-dev/auth` 2.x: one library serves v1 and v2 apps.
 */
import type { FunctionReference } from "convex/server";

/** The core component (`components.auth`): sessions. */
export type CoreComponent = {
  public: {
    listSessions: FunctionReference<
      "query",
      "internal",
      { userId: string },
      { sessionId: string; creationTime: number; lastRefreshedAt: number }[]
    >;
    revokeSessions: FunctionReference<
      "mutation",
      "internal",
      { sessionIds: string[] },
      string[]
    >;
  };
};

/** The email component (`components.authEmail`): verified addresses. */
export type EmailComponent = {
  verifiedEmails: {
    getEmails: FunctionReference<
      "query",
      "internal",
      { userId: string },
      { email: string; isPrimary: boolean }[]
    >;
    getPrimaryEmail: FunctionReference<
      "query",
      "internal",
      { userId: string },
      string | null
    >;
    deleteUser: FunctionReference<
      "mutation",
      "internal",
      { userId: string },
      null
    >;
  };
};

/**
 * The password component (`components.authPassword`). 2.0.0 has no
 * function that deletes a user's password: erasure replaces its hash with
 * the hash of a random secret nobody holds (docs/convex-auth-v2.md).
 */
export type PasswordComponent = {
  public: {
    _internal_dangerous_setPassword: FunctionReference<
      "mutation",
      "internal",
      { userId: string; password: string; minimumLength: number },
      unknown
    >;
  };
};

/**
 * An OAuth method's component (`components.authGithub`,
 * `components.authGoogle`): the two functions the v1 -> v2 move calls
 * (docs/v2-move.md). 2.0.0 has no function that deletes or re-points an
 * account.
 */
export type OAuthComponent = {
  provider: {
    getUserIdByAccount: FunctionReference<
      "query",
      "internal",
      { providerAccountId: string },
      string | null
    >;
    _internal_dangerous_createAccount: FunctionReference<
      "mutation",
      "internal",
      { providerAccountId: string; userId: string },
      null
    >;
  };
};

/**
 * What a v2 app declares (`convexAuth` in the declaration): its mounted
 * components, for what the sync does beyond a sign-in (ending sessions,
 * an erased person's identities, a password account's verified address).
 */
export type ConvexAuthV2 = {
  version: 2;
  /** `components.auth`. */
  core: CoreComponent;
  /** `components.authEmail`, when the app signs in with email + password. */
  email?: EmailComponent;
  /** `components.authPassword`, when the app signs in with a password. */
  password?: PasswordComponent;
  /**
   * The OAuth components v1's GitHub and Google accounts move into (the
   * v1 -> v2 move, docs/v2-move.md): `{ github: components.authGithub }`.
   * An account of a method not named here is not moved: a case.
   */
  oauth?: { github?: OAuthComponent; google?: OAuthComponent };
  /**
   * v1 provider id -> v2 method, for the move (default: v1's built-in ids,
   * `DEFAULT_V2_METHODS`); name v1's `Email` provider's id `email_code`.
   */
  v1Methods?: Readonly<
    Record<string, "github" | "google" | "password" | "email_code" | "skip">
  >;
};

/**
 * The v1 -> v2 move's own settings (`moveToV2` in the declaration), for an
 * app still on Convex Auth v1 with v2's components mounted beside it (the
 * guide's step 2): unlike `convexAuth`, it does not switch the sync to v2's
 * adapter, so v1 keeps serving sign-ins while the move runs.
 */
export type MoveToV2 = Pick<ConvexAuthV2, "oauth" | "v1Methods">;

/** One sign-in method of a user, as `users.authMethods` lists it. */
export type AuthMethod = { method: string; account?: string };
