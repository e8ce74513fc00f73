/**
 * The field map and merge policy between `users` and `auth_users`.
 *
 * Pure logic, no Convex calls: every sync path (sign-in callback, profile
 * update, manual sync, bulk sync, drift report) plans its writes here, so the
 * tables can only ever converge to one answer.
 */
import type { Doc, Id } from "./_generated/dataModel";

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

/**
 * Normalizes an email the one way every path uses: trimmed, lower-cased,
 * `undefined` when absent or blank.
 *
 * @example normalizeEmail("  Ada@Example.COM ") // "ada@example.com"
 */
export function normalizeEmail(raw: unknown): string | undefined {
  if (typeof raw !== "string") return undefined;
  const email = raw.trim().toLowerCase();
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
  const raw = user[pair.users] as Primitive;
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
    "name" | "image" | "lastLoginAt" | "auth_user_id" | "updatedAt" | "status"
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

/**
 * Decides how a `users` row without a counterpart gets one, given the
 * unlinked auth_users rows that share its normalized email (at most two are
 * needed to see ambiguity).
 * - verified email and exactly one candidate: link it;
 * - verified email and several candidates: ambiguous, create own row, review;
 * - unverified email and any candidate: never link, create own row, review;
 * - no candidate: create.
 */
export type LinkDecision =
  | { action: "link"; authUserId: Id<"auth_users"> }
  | { action: "create"; review?: "ambiguous_email" | "unverified_email_match" };

export function decideLink(
  user: Pick<UserSide, "emailVerificationTime">,
  unlinkedWithSameEmail: readonly { _id: Id<"auth_users"> }[],
): LinkDecision {
  if (unlinkedWithSameEmail.length === 0) return { action: "create" };
  if (user.emailVerificationTime === undefined) {
    return { action: "create", review: "unverified_email_match" };
  }
  const [only, second] = unlinkedWithSameEmail;
  if (only !== undefined && second === undefined) {
    return { action: "link", authUserId: only._id };
  }
  return { action: "create", review: "ambiguous_email" };
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
