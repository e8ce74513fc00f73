/**
 * What the conformance suite needs to know of an app: its backend, its
 * declaration, and the few of its own functions the suite drives. Each
 * example supplies one (convex/conformance.helpers.ts) and runs the suite
 * with it (convex/conformance.test.ts). Nothing here is Convex Auth v1's:
 * how a person signs in and where sessions live are the app's drivers
 * (`passwordSignIn`, `signInRecords`); v1 apps take theirs from
 * convexAuthV1.ts.
 */
import type { SchemaLike, UserSync } from "convex-auth-user-sync";
import type { AccountStatus } from "convex-auth-user-sync";
import type {
  FunctionReference,
  GenericDataModel,
  TableNamesInDataModel,
} from "convex/server";
import type { GenericId, Value } from "convex/values";
import type { TestConvexForDataModel } from "convex-test";

/** convex-test's backend, for any app's data model. */
export type Backend = TestConvexForDataModel<GenericDataModel>;

/** A client signed in as one session. */
export type Session = ReturnType<Backend["withIdentity"]>;

/** A completed sign-in. */
export type SignedIn = {
  userId: GenericId<"users">;
  /** Its session, as `signInRecords` names it. */
  sessionId: string;
  asUser: Session;
};

/**
 * A way to sign in as a user: in Convex Auth v1 an `authAccounts`
 * document, in v2 an identity in a method's component.
 */
export type SignInAccount = {
  /** The user it signs in as. */
  userId: string;
  /** The address a password account signs in with, as stored; else null. */
  passwordEmail: string | null;
  /** The record as the auth stores it (compared whole: it must not change). */
  stored: unknown;
};

/** A session, live until it is revoked or deleted. */
export type AuthSession = {
  sessionId: string;
  userId: string;
  /** The record as the auth stores it (compared whole: it must not change). */
  stored: unknown;
};

/** Every sign-in account and session of the backend (small: tests only). */
export type SignInRecords = {
  accounts: SignInAccount[];
  sessions: AuthSession[];
};

export type ConformanceApp = {
  /** The app's schema (convex/schema.ts's default export). */
  schema: SchemaLike;
  /** A fresh backend (a new convexTest) with cheap password hashing. */
  newBackend: () => Backend;
  /** The app's declaration. */
  userSync: UserSync<GenericDataModel, TableNamesInDataModel<GenericDataModel>>;
  /** What the app's sign-ins prove, for the tests that depend on it. */
  capabilities: {
    /**
     * A password sign-up proves its address (as Convex Auth v2's
     * email-password method does, with an emailed code). Convex Auth v1's
     * Password provider without `verify` proves none.
     */
    passwordProvesAddress: boolean;
    /**
     * A password sign-up for an address that has an account signs its
     * owner in with the right password (Convex Auth v1's Password); v2's
     * email + password method refuses it (`EMAIL_TAKEN`).
     */
    signUpAgainSignsIn: boolean;
  };
  /**
   * A password sign-up ("signUp") or sign-in ("signIn") through the app's
   * real flow, as a client makes it. Throws when refused, with the
   * refusal's own error (a ConvexError keeps its code: `codeOf`).
   */
  passwordSignIn: (
    t: Backend,
    params: { email: string; password: string; flow: "signUp" | "signIn" },
  ) => Promise<SignedIn>;
  /** Every sign-in account and session, wherever the app's auth keeps them. */
  signInRecords: (t: Backend) => Promise<SignInRecords>;
  /** Starts a run over every pair (the migration too). */
  syncAllUsers: FunctionReference<"mutation", "internal">;
  /** The latest run (the engine's getRun). */
  getRun: FunctionReference<"query", "internal">;
  /** The fold's commands (userSync.foldFunctions): start a phase, status. */
  startFoldPhase: FunctionReference<"mutation", "internal">;
  foldStatus: FunctionReference<"query", "internal">;
  /** The drift report's summary action. */
  driftSummary: FunctionReference<"action", "internal">;
  /** One page of the drift report (`table`: "users", "rows" or "both"). */
  driftPage: FunctionReference<"query", "internal">;
  /** The users field a person's name edit reaches, and its app field. */
  ownName: { users: string; app: string };
  /** The signed-in person sets their own name through the app's API. */
  setOwnName: (session: Session, name: string) => Promise<void>;
  /** Who the app says the caller is: their user, and their row (or null). */
  whoAmI: (
    session: Session,
  ) => Promise<{ userId: string; rowId: string | null } | null>;
  /** The signed-in person deletes their account. */
  deleteOwnAccount: (session: Session) => Promise<void>;
  /** The operator's commands. */
  setStatus: (
    t: Backend,
    userId: GenericId<"users">,
    status: AccountStatus,
  ) => Promise<void>;
  deleteAccount: (t: Backend, userId: GenericId<"users">) => Promise<void>;
  /**
   * App code (through the app's own mutation builders, triggers and all)
   * sets a row's name field, and deletes a row.
   */
  editRowName: (t: Backend, rowId: string, name: string) => Promise<void>;
  deleteRow: (t: Backend, rowId: string) => Promise<void>;
  /** App code deletes a `users` row (through its own builders). */
  deleteUser: (t: Backend, userId: string) => Promise<void>;
  /** A row as the app had it before the sync: no reference, no review. */
  legacyRow: (fields: {
    email: string;
    name: string;
    now: number;
  }) => Record<string, Value>;
};
