/**
 * The field map and merge policy between `users` and `auth_users`.
 *
 * Pure logic, no Convex calls: every sync path (sign-in callback, profile
 * update, manual sync, bulk sync, drift report) plans its writes here, so the
 * tables can only ever converge to one answer.
 */
import type { Doc, Id } from "./_generated/dataModel";
import type { ReviewKind } from "./validators";

/** The part of a `users` row the sync reads and writes. */
export type UserSide = Pick<
  Doc<"users">,
  | "name"
  | "image"
  | "email"
  | "emailVerificationTime"
  | "phone"
  | "auth_user_id"
  | "lastLoginAt"
  | "updatedAt"
  | "status"
  | "pendingFirstSignIn"
> & { _id: Id<"users"> };

/** The part of an `auth_users` row the sync reads and writes. */
export type AuthUserSide = Omit<Doc<"auth_users">, "_id" | "_creationTime"> & {
  _id?: Id<"auth_users">;
};

type UsersField = keyof UserSide & keyof Doc<"users">;
type AuthUsersField = Exclude<keyof Doc<"auth_users">, "_id" | "_creationTime">;

/**
 * One mirrored pair of fields.
 * - `owner: "users"`: the provider owns it (Convex Auth writes it on sign-in);
 *   `overriddenBy` names the auth_users flag that hands ownership to the app
 *   once the user chose their own value.
 * - `owner: "auth_users"`: the app owns it.
 * - `owner: "latest"`: the larger of the two timestamps wins.
 * - `usersWritable: false`: identity fields the sync never writes to `users`
 *   (Convex Auth links accounts by them), it only copies them out.
 */
export type FieldPair = {
  users: UsersField;
  authUsers: AuthUsersField;
  owner: "users" | "auth_users" | "latest";
  overriddenBy?: "name_source" | "avatar_source";
  usersWritable: boolean;
  /** Applied to the users value before it is stored in auth_users. */
  normalize?: (value: unknown) => unknown;
  /** A change here is a profile change that bumps updated_at. */
  bumpsUpdatedAt: boolean;
};

/** ASCII whitespace only: trimming Unicode spaces could turn a look-alike
 * such as "\u00A0ken@example.com" into another person's address. */
const ASCII_EDGE_SPACE = /^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g;

/**
 * The one key every path stores and compares emails by: surrounding ASCII
 * whitespace trimmed, ASCII letters lower-cased, everything else kept
 * verbatim; `undefined` when absent or blank.
 *
 * Two addresses get one key only when they differ in ASCII case alone. No
 * Unicode case folding and no normalization form is applied: both map
 * look-alikes onto ASCII (NFC turns the Kelvin sign U+212A into "K",
 * `toLowerCase` then into "k"), so "\u212Aen@example.com" would take over
 * the row of "ken@example.com". A non-ASCII address therefore never matches
 * an ASCII one, and two non-ASCII spellings match only when identical.
 *
 * @example normalizeEmail("  Ada@Example.COM ") // "ada@example.com"
 * @example normalizeEmail("\u212Aen@example.com") // "\u212Aen@example.com"
 */
export function normalizeEmail(raw: unknown): string | undefined {
  if (typeof raw !== "string") return undefined;
  const email = raw
    .replace(ASCII_EDGE_SPACE, "")
    .replace(/[A-Z]/g, (letter) => letter.toLowerCase());
  return email.length > 0 ? email : undefined;
}

export const FIELD_MAP: readonly FieldPair[] = [
  {
    users: "email",
    authUsers: "email",
    owner: "users",
    usersWritable: false,
    normalize: normalizeEmail,
    bumpsUpdatedAt: true,
  },
  {
    // Convex Auth re-stamps emailVerificationTime on every OAuth sign-in, so
    // the state (verified or not) is mirrored, not the churning timestamp.
    users: "emailVerificationTime",
    authUsers: "email_verified",
    owner: "users",
    usersWritable: false,
    normalize: (time) => typeof time === "number",
    bumpsUpdatedAt: true,
  },
  {
    users: "phone",
    authUsers: "phone",
    owner: "users",
    usersWritable: false,
    bumpsUpdatedAt: true,
  },
  {
    users: "name",
    authUsers: "full_name",
    owner: "users",
    overriddenBy: "name_source",
    usersWritable: true,
    bumpsUpdatedAt: true,
  },
  {
    users: "image",
    authUsers: "avatar_url",
    owner: "users",
    overriddenBy: "avatar_source",
    usersWritable: true,
    bumpsUpdatedAt: true,
  },
  {
    users: "status",
    authUsers: "status",
    owner: "auth_users",
    usersWritable: true,
    bumpsUpdatedAt: true,
  },
  {
    users: "lastLoginAt",
    authUsers: "last_login_at",
    owner: "latest",
    usersWritable: true,
    // A sign-in is not a profile edit.
    bumpsUpdatedAt: false,
  },
];

type Primitive = string | number | boolean | undefined;

/** auth_users fields whose change is not a profile change (no updated_at bump). */
const BOOKKEEPING_FIELDS: ReadonlySet<string> = new Set([
  "convex_user_id",
  "created_at",
  "updated_at",
  "last_login_at",
  "starter_templates_provisioned_at",
]);

/**
 * The value both sides should hold for one pair. The owner's value wins; when
 * the owner has none, the other side's value is kept rather than erased (a
 * provider that stops sending an image does not wipe a stored avatar).
 */
export function resolvePair(
  pair: FieldPair,
  user: UserSide,
  authUser: AuthUserSide,
): Primitive {
  const raw = user[pair.users];
  const fromUsers = (pair.normalize ? pair.normalize(raw) : raw) as Primitive;
  const fromAuthUsers = authUser[pair.authUsers];
  if (pair.owner === "latest") {
    if (typeof fromUsers !== "number") return fromAuthUsers;
    if (typeof fromAuthUsers !== "number") return fromUsers;
    return Math.max(fromUsers, fromAuthUsers);
  }
  const appOwns =
    pair.owner === "auth_users" ||
    (pair.overriddenBy !== undefined && authUser[pair.overriddenBy] === "user");
  return appOwns ? (fromAuthUsers ?? fromUsers) : (fromUsers ?? fromAuthUsers);
}

export type UsersPatch = Partial<
  Pick<
    Doc<"users">,
    | "name"
    | "image"
    | "lastLoginAt"
    | "auth_user_id"
    | "updatedAt"
    | "status"
    | "pendingFirstSignIn"
  >
>;
export type AuthUsersPatch = Partial<
  Omit<Doc<"auth_users">, "_id" | "_creationTime">
>;

export type PairPlan = {
  usersPatch: UsersPatch;
  authUsersPatch: AuthUsersPatch;
  /** Names of mirrored fields whose values differ between the tables. */
  mismatched: string[];
};

/**
 * Plans the writes that bring one pair into agreement under the field map.
 * `authUser` may already carry edits (a profile update) or be a draft without
 * `_id` (a row about to be inserted); the plan is relative to `stored`, the
 * auth_users values currently in the database (`null` for a draft).
 *
 * A pair that already agrees plans no writes at all, so re-running any sync is
 * free of timestamp churn. When profile data changes, `updated_at` and
 * `updatedAt` get the same `now`.
 *
 * @example
 * const plan = planPairSync(user, authUser, authUser, Date.now());
 * if (!isEmptyPlan(plan)) await applyPairPlan(ctx, user._id, authUser._id, plan);
 */
export function planPairSync(
  user: UserSide,
  authUser: AuthUserSide,
  stored: AuthUserSide | null,
  now: number,
): PairPlan {
  const usersPatch: Record<string, Primitive> = {};
  const authUsersPatch: Record<string, unknown> = {};
  const mismatched: string[] = [];
  let profileChanged = false;

  // 1. Edits carried on `authUser` relative to the stored row.
  for (const key of Object.keys(authUser) as (keyof AuthUserSide)[]) {
    if (key === "_id") continue;
    if (stored === null || stored[key] !== authUser[key]) {
      authUsersPatch[key] = authUser[key];
      if (!BOOKKEEPING_FIELDS.has(key)) profileChanged = true;
    }
  }

  // 2. Mirrored fields resolved by ownership.
  for (const pair of FIELD_MAP) {
    const value = resolvePair(pair, user, authUser);
    const authSideChanges = authUser[pair.authUsers] !== value;
    const usersSideChanges = pair.usersWritable && user[pair.users] !== value;
    if (authSideChanges) {
      authUsersPatch[pair.authUsers] = value;
      // auth_users holds the unified value: only a change there is a profile
      // change. Restoring `users` to it (say, after Convex Auth re-applied
      // the provider's name) is not.
      if (pair.bumpsUpdatedAt) profileChanged = true;
    }
    if (usersSideChanges) usersPatch[pair.users] = value;
    if (authSideChanges || usersSideChanges) mismatched.push(pair.authUsers);
  }

  // 3. Cross-references.
  if (authUser._id !== undefined && user.auth_user_id !== authUser._id) {
    usersPatch.auth_user_id = authUser._id;
  }
  if (authUser.convex_user_id !== user._id) {
    authUsersPatch.convex_user_id = user._id;
  }

  // 4. One timestamp for both sides; mirrored without churn otherwise.
  if (profileChanged) {
    authUsersPatch.updated_at = now;
    usersPatch.updatedAt = now;
  } else if (user.updatedAt !== authUser.updated_at) {
    usersPatch.updatedAt = authUser.updated_at;
  }

  return {
    usersPatch: usersPatch,
    authUsersPatch: authUsersPatch,
    mismatched,
  };
}

/** True when a plan writes nothing. */
export function isEmptyPlan(plan: PairPlan): boolean {
  return (
    Object.keys(plan.usersPatch).length === 0 &&
    Object.keys(plan.authUsersPatch).length === 0
  );
}

/** An auth_users row as the pairing decision sees it. */
export type RowRef = {
  _id: Id<"auth_users">;
  email?: string;
  email_verified?: boolean;
  convex_user_id?: Id<"users">;
};

/** A case recorded for a person instead of decided by the sync. */
export type ReviewNote = {
  kind: ReviewKind;
  authUserIds: Id<"auth_users">[];
  detail: string;
};

/**
 * True when the user and the row name each other: the only reference that
 * counts. A pointer from one side alone grants, links and deletes nothing.
 */
export function isTwoWay(
  user: Pick<UserSide, "_id" | "auth_user_id">,
  row: { _id: Id<"auth_users">; convex_user_id?: Id<"users"> } | null,
): boolean {
  return (
    row !== null &&
    user.auth_user_id === row._id &&
    row.convex_user_id === user._id
  );
}

/** Everything known about a user that has no two-way counterpart. */
export type PairingEvidence = {
  userId: Id<"users">;
  /** normalizeEmail(users.email). */
  emailKey: string | undefined;
  /** The provider vouched for this address (users.emailVerificationTime). */
  verified: boolean;
  /** The existing row `users.auth_user_id` names, if any. */
  pointed: RowRef | null;
  /** Rows whose `convex_user_id` names this user (one-sided claims). */
  claimants: readonly RowRef[];
  /** Legacy rows with the user's email key (two show ambiguity). */
  unlinkedWithEmail: readonly RowRef[];
};

export type PairingDecision = {
  action: "link" | "create";
  /** The row to link, for `action: "link"`. */
  authUserId?: Id<"auth_users">;
  /** Whether the linked row was unlinked (a legacy row) before. */
  legacy?: boolean;
  reviews: ReviewNote[];
};

/**
 * How a user without a two-way counterpart gets one. A pointer from either
 * side is only a candidate, held to the rules of any legacy link: the user's
 * email is verified and equals the row's email key, and exactly one row is
 * such a candidate (a row made for an unverified claim never is). Anything else creates a row of the user's own and leaves
 * the rest for a person:
 * - a pointer to a row that belongs to someone else, or whose email differs,
 *   or a claim from a row whose email differs: `reference_conflict`;
 * - candidates but an unverified email: `unverified_email_match`;
 * - several candidates: `ambiguous_email`.
 *
 * @example const decision = decidePairing({ userId, emailKey, verified, pointed, claimants, unlinkedWithEmail });
 */
export function decidePairing(evidence: PairingEvidence): PairingDecision {
  const { userId, emailKey, verified, pointed } = evidence;
  const reviews: ReviewNote[] = [];
  const candidates = new Map<string, RowRef>();
  const consider = (row: RowRef, why: string) => {
    // A row the sync made for an unverified claim of an address holds that
    // claimant's data, and a pointer to it (from either side) proves nothing
    // about whose it is: it is never a candidate.
    if (
      emailKey !== undefined &&
      row.email === emailKey &&
      row.email_verified !== false
    ) {
      candidates.set(row._id, row);
    } else {
      reviews.push({
        kind: "reference_conflict",
        authUserIds: [row._id],
        detail: `${why}, but nothing proves the row is theirs (its email differs from the user's, or it was made for an unverified claim); not linked.`,
      });
    }
  };

  // 1. Pointers, from either side.
  if (pointed !== null) {
    if (pointed.convex_user_id === undefined) {
      consider(pointed, "users.auth_user_id names an unlinked row");
    } else if (pointed.convex_user_id !== userId) {
      reviews.push({
        kind: "reference_conflict",
        authUserIds: [pointed._id],
        detail: `users.auth_user_id names a row that points at another user (${pointed.convex_user_id}); not linked.`,
      });
    }
  }
  for (const row of evidence.claimants) {
    if (row._id === pointed?._id) continue;
    consider(
      row,
      "auth_users.convex_user_id names this user, who does not point back",
    );
  }

  // 2. Legacy rows with the user's email.
  for (const row of evidence.unlinkedWithEmail) candidates.set(row._id, row);

  // 3. Link only what the verified email proves, and only if unambiguous.
  const found = [...candidates.values()];
  const ids = found.map((row) => row._id);
  if (found.length === 0) return { action: "create", reviews };
  if (!verified) {
    reviews.push({
      kind: "unverified_email_match",
      authUserIds: ids,
      detail:
        "This user's email is unverified and matches a row not yet linked to them; it was not linked.",
    });
    return { action: "create", reviews };
  }
  const [only] = found;
  if (found.length === 1 && only !== undefined) {
    return {
      action: "link",
      authUserId: only._id,
      legacy: only.convex_user_id === undefined,
      reviews,
    };
  }
  reviews.push({
    kind: "ambiguous_email",
    authUserIds: ids,
    detail:
      "Several rows could be this user's (same verified email, or pointers); none was linked.",
  });
  return { action: "create", reviews };
}

/** How Convex Auth reached the callback (its `type` argument). */
export type SignInKind =
  "oauth" | "credentials" | "email" | "phone" | "verification";

/**
 * What this step of a sign-in says about the user's email, from the
 * provider's own claim for this address: `true` when the provider vouched for
 * it, `false` when the account's owner signed in and the provider did not
 * (the address is then unverified, whatever an earlier sign-in proved: Convex
 * Auth never clears `emailVerificationTime` itself), `undefined` when this
 * step proves nothing either way.
 *
 * @example verificationClaim("oauth", { email, emailVerified: false }, false) // false
 */
export function verificationClaim(
  kind: SignInKind,
  profile: { email?: unknown; emailVerified?: unknown },
  isNewUser: boolean,
): boolean | undefined {
  switch (kind) {
    case "oauth":
      // Only an explicit `emailVerified: true` counts: a provider whose
      // profile says nothing vouches for nothing.
      return profile.email === undefined
        ? undefined
        : profile.emailVerified === true;
    case "credentials":
      // Called when a password account is created. For an existing user
      // that means Convex Auth attached the new account to them by email
      // (password-code): someone signing up with their address proves
      // nothing about it, so it must not unverify them either.
      return isNewUser ? profile.emailVerified === true : undefined;
    case "verification":
      // A code sent to the address was entered (or a phone was verified).
      return profile.emailVerified === true ? true : undefined;
    case "email":
    case "phone":
      // A code was requested: nothing is proven until it is entered.
      return undefined;
    default: {
      const unknownKind: never = kind;
      throw new Error(`Unknown sign-in kind ${String(unknownKind)}`);
    }
  }
}

/**
 * The fields a legacy row keeps when it is linked: its full_name counts as a
 * name chosen in the app, so it survives provider renames.
 */
export function linkLegacyRow(authUser: AuthUserSide): AuthUserSide {
  if (authUser.full_name !== undefined && authUser.name_source === undefined) {
    return { ...authUser, name_source: "user" };
  }
  return authUser;
}

export type PairProblemKind =
  | "missing_counterpart"
  | "dangling_reference"
  | "one_sided_reference"
  | "duplicate_counterpart"
  | "field_mismatch";

export type PairProblem = {
  kind: PairProblemKind;
  userId?: Id<"users">;
  authUserId?: Id<"auth_users">;
  fields?: string[];
};

/**
 * What is wrong with one users row, given the row its reference points at
 * (`null` when dangling or absent). Reading nothing itself, it serves the
 * drift report page by page and the whole-table checks below.
 */
export function userProblems(
  user: UserSide,
  referenced: (AuthUserSide & { _id: Id<"auth_users"> }) | null,
): PairProblem[] {
  // A sign-in was started (a code requested) but never completed: no pair
  // is due yet.
  if (user.auth_user_id === undefined && user.pendingFirstSignIn === true) {
    return [];
  }
  if (user.auth_user_id === undefined) {
    return [{ kind: "missing_counterpart", userId: user._id }];
  }
  if (referenced === null) {
    return [
      {
        kind: "dangling_reference",
        userId: user._id,
        authUserId: user.auth_user_id,
      },
    ];
  }
  if (referenced.convex_user_id !== user._id) {
    return [
      {
        kind: "one_sided_reference",
        userId: user._id,
        authUserId: referenced._id,
      },
    ];
  }
  const plan = planPairSync(user, referenced, referenced, 0);
  const fields = [...plan.mismatched];
  if (plan.usersPatch.updatedAt !== undefined) fields.push("updated_at");
  return fields.length > 0
    ? [
        {
          kind: "field_mismatch",
          userId: user._id,
          authUserId: referenced._id,
          fields,
        },
      ]
    : [];
}

/**
 * What is wrong with one auth_users row whose `convex_user_id` is set, given
 * the user it points at. An unlinked row (no reference) is not a problem: it
 * waits for its owner's next sign-in.
 */
export function authUserProblems(
  authUser: AuthUserSide & { _id: Id<"auth_users"> },
  referenced: UserSide | null,
): PairProblem[] {
  if (authUser.convex_user_id === undefined) return [];
  if (referenced === null) {
    return [
      {
        kind: "dangling_reference",
        userId: authUser.convex_user_id,
        authUserId: authUser._id,
      },
    ];
  }
  if (referenced.auth_user_id !== authUser._id) {
    return [
      {
        kind: "one_sided_reference",
        userId: referenced._id,
        authUserId: authUser._id,
      },
    ];
  }
  return [];
}

/**
 * Checks two whole tables (small ones: tests, the demo) against the sync's
 * invariants: every user has exactly one counterpart, references agree both
 * ways, mirrored fields agree with the ownership policy.
 *
 * @example const { consistent, problems } = checkTables(users, authUsers);
 */
export function checkTables(
  users: readonly UserSide[],
  authUsers: readonly (AuthUserSide & { _id: Id<"auth_users"> })[],
): { consistent: boolean; problems: PairProblem[]; unlinkedAuthUsers: number } {
  const usersById = new Map(users.map((user) => [user._id as string, user]));
  const authById = new Map(authUsers.map((row) => [row._id as string, row]));
  const problems: PairProblem[] = [];
  for (const user of users) {
    const referenced =
      user.auth_user_id === undefined
        ? null
        : (authById.get(user.auth_user_id) ?? null);
    problems.push(...userProblems(user, referenced));
  }
  const claimed = new Map<string, number>();
  for (const row of authUsers) {
    const referenced =
      row.convex_user_id === undefined
        ? null
        : (usersById.get(row.convex_user_id) ?? null);
    problems.push(...authUserProblems(row, referenced));
    if (row.convex_user_id !== undefined) {
      claimed.set(
        row.convex_user_id,
        (claimed.get(row.convex_user_id) ?? 0) + 1,
      );
    }
  }
  for (const [userId, count] of claimed) {
    if (count > 1) {
      problems.push({
        kind: "duplicate_counterpart",
        userId: userId as Id<"users">,
      });
    }
  }
  return {
    consistent: problems.length === 0,
    problems,
    unlinkedAuthUsers: authUsers.filter(
      (row) => row.convex_user_id === undefined,
    ).length,
  };
}

/**
 * What an app write to `users` means for its counterpart. Triggers see only
 * app writes (Convex Auth's own bypass them), so a changed name or image is
 * the app's choice, and wins over later provider values.
 */
export function editsFromUsersWrite(
  oldDoc: UserSide,
  newDoc: UserSide,
): Partial<AuthUserSide> {
  const edits: Partial<AuthUserSide> = {};
  if (oldDoc.name !== newDoc.name) {
    edits.full_name = newDoc.name;
    edits.name_source = "user";
  }
  if (oldDoc.image !== newDoc.image) {
    edits.avatar_url = newDoc.image;
    edits.avatar_source = "user";
  }
  if (oldDoc.status !== newDoc.status) edits.status = newDoc.status;
  return edits;
}

/**
 * Whether an app write to `users` keeps the email verified: not when it
 * changed the address (by key) and left the verification as it was. No
 * provider vouched for the new address; an app that did verify it says so by
 * setting `emailVerificationTime` in the same write.
 */
export function keepsVerification(
  oldDoc: Pick<UserSide, "email" | "emailVerificationTime">,
  newDoc: Pick<UserSide, "email" | "emailVerificationTime">,
): boolean {
  return (
    newDoc.emailVerificationTime === undefined ||
    normalizeEmail(oldDoc.email) === normalizeEmail(newDoc.email) ||
    newDoc.emailVerificationTime !== oldDoc.emailVerificationTime
  );
}

/**
 * What an app write to `auth_users` means: a name or avatar set by the app is
 * the app's choice from then on. Identity fields stay the provider's: an app
 * edit of auth_users.email is planned back to the users value.
 */
export function editsFromAuthUsersWrite(
  oldDoc: AuthUserSide,
  newDoc: AuthUserSide,
): Partial<AuthUserSide> {
  const edits: Partial<AuthUserSide> = {};
  if (oldDoc.full_name !== newDoc.full_name && newDoc.name_source !== "user") {
    edits.name_source = "user";
  }
  if (
    oldDoc.avatar_url !== newDoc.avatar_url &&
    newDoc.avatar_source !== "user"
  ) {
    edits.avatar_source = "user";
  }
  return edits;
}
