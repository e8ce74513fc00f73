/**
 * What belongs to Convex Auth and to the sync, by name: the tables, fields
 * and indexes a schema must keep (schemaCheck.ts), and the `users` fields
 * no app field may take (the fold's declaration). Plain data: every module
 * that needs the names reads them here.
 */

/** The fields the sync keeps on `users` (see syncUserFields). */
export const SYNC_USER_FIELDS = [
  "lastLoginAt",
  "updatedAt",
  "status",
  "pendingFirstSignIn",
];

/**
 * Convex Auth's (v1) tables and the indexes it queries, by the names it
 * queries them: `authTables` from `@convex-dev/auth/server`, which the
 * library does not import at run time (schemaCheck.test.ts keeps the two
 * in step). A customised `users` must keep these fields and indexes.
 */
export const CONVEX_AUTH_TABLES: Record<
  string,
  { fields: string[]; indexes: Record<string, string[]> }
> = {
  users: {
    fields: [
      "name",
      "image",
      "email",
      "emailVerificationTime",
      "phone",
      "phoneVerificationTime",
      "isAnonymous",
    ],
    indexes: { email: ["email"], phone: ["phone"] },
  },
  authSessions: { fields: [], indexes: { userId: ["userId"] } },
  authAccounts: {
    fields: [],
    indexes: {
      userIdAndProvider: ["userId", "provider"],
      providerAndAccountId: ["provider", "providerAccountId"],
    },
  },
  authRefreshTokens: {
    fields: [],
    indexes: {
      sessionId: ["sessionId"],
      sessionIdAndParentRefreshTokenId: ["sessionId", "parentRefreshTokenId"],
    },
  },
  authVerificationCodes: {
    fields: [],
    indexes: { accountId: ["accountId"], code: ["code"] },
  },
  authVerifiers: { fields: [], indexes: { signature: ["signature"] } },
  authRateLimits: { fields: [], indexes: { identifier: ["identifier"] } },
};

/**
 * What the sync needs of a Convex Auth v2 app's own `users` table: the
 * fields v1 kept (the v2 adapter writes them from each sign-in's proof)
 * and the methods it records, with the index it links by.
 */
export const CONVEX_AUTH_V2_USERS = {
  fields: ["name", "image", "email", "emailVerificationTime", "authMethods"],
};

/** The `users` field marking the fold's placeholder (see placeholder.ts). */
export const UNCLAIMED = "unclaimed";
/** The sync's `users` fields the fold needs (see syncUserFields). */
export const FOLD_USER_FIELDS = [UNCLAIMED, "foldWrittenAt"];
/** Its index: the claim finds a person's placeholders by address. */
export const UNCLAIMED_INDEX = "by_unclaimed";

/**
 * The name of the v1 -> v2 move's runs (v2move/move.ts). Its real runs are
 * the record of what went into v2's components, which cannot be undone:
 * the history's retention keeps them (retention.ts).
 */
export const V2_MOVE_RUN = "v2:move";
/**
 * The most real runs of the move the status, the rollback and the
 * retention read: each is an operator's start, so more is no move anyone
 * runs.
 */
export const MAX_MOVE_RUNS = 1000;
