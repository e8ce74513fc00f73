/**
 * The field map and merge policy between `users` and the app's table, and
 * every decision the sync makes: which row is a user's, what to write, what
 * to leave to a person.
 *
 * Pure logic, no Convex calls: every sync path (sign-in, profile update,
 * triggers, manual and bulk sync, drift report) plans its writes here, so the
 * tables can only ever converge to one answer.
 */
import type { GenericId } from "convex/values";
import type { AnyDoc, FieldPair, Shape } from "./declaration.js";
import type { ReviewKind } from "./validators.js";

/** A `users` document, or its fields as the sync reads them. */
export type UserSide = Record<string, unknown> & { _id: GenericId<"users"> };

/** An app row, or a draft of one (no `_id` yet). */
export type RowSide = Record<string, unknown> & { _id?: GenericId<string> };

type Value = unknown;

/**
 * ASCII whitespace only: trimming Unicode spaces could turn a look-alike such
 * as "\u00A0ken@example.com" into another person's address.
 */
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

/**
 * Every mirrored pair, in the order they are planned: the email key and its
 * verification (the provider's, never written back), the declared pairs,
 * status (the app's), the login time (the later).
 */
export function fieldMap(shape: Shape): FieldPair[] {
  const pairs: FieldPair[] = [
    {
      users: "email",
      app: shape.email,
      owner: "provider",
      usersWritable: false,
      normalize: normalizeEmail,
      bumpsUpdatedAt: true,
    },
    {
      // Convex Auth re-stamps emailVerificationTime on every verified
      // sign-in, so the state is mirrored, not the churning timestamp.
      users: "emailVerificationTime",
      app: shape.emailVerified,
      owner: "provider",
      usersWritable: false,
      normalize: (time) => typeof time === "number",
      bumpsUpdatedAt: true,
    },
    ...shape.mirror,
    ...(shape.fold?.fields ?? []),
  ];
  if (shape.status !== undefined) {
    pairs.push({
      users: "status",
      app: shape.status,
      owner: "app",
      usersWritable: true,
      bumpsUpdatedAt: true,
    });
  }
  if (shape.lastLoginAt !== undefined) {
    pairs.push({
      users: "lastLoginAt",
      app: shape.lastLoginAt,
      owner: "latest",
      usersWritable: true,
      // A sign-in is not a profile edit.
      bumpsUpdatedAt: false,
    });
  }
  return pairs;
}

/**
 * The value both sides should hold for one pair. The owner's value wins; when
 * the owner has none, the other side's value is kept rather than erased (a
 * provider that stops sending an image does not wipe a stored avatar).
 */
export function resolvePair(
  pair: FieldPair,
  user: UserSide,
  row: RowSide,
): Value {
  const raw = user[pair.users];
  const fromUsers = pair.normalize ? pair.normalize(raw) : raw;
  const fromApp = row[pair.app];
  if (pair.owner === "latest") {
    if (typeof fromUsers !== "number") return fromApp;
    if (typeof fromApp !== "number") return fromUsers;
    return Math.max(fromUsers, fromApp);
  }
  // A fold field's copy is the app's value exactly, absent included.
  if (pair.exact === true) return fromApp;
  const appOwns =
    pair.owner === "app" ||
    (pair.chosenBy !== undefined && row[pair.chosenBy] === "user");
  return appOwns ? (fromApp ?? fromUsers) : (fromUsers ?? fromApp);
}

export type PairPlan = {
  usersPatch: Record<string, Value>;
  rowPatch: Record<string, Value>;
  /** App fields of mirrored pairs whose values differ between the tables. */
  mismatched: string[];
};

/**
 * Plans the writes that bring one pair into agreement under the field map.
 * `row` may already carry edits (a profile update) or be a draft without
 * `_id` (a row about to be inserted); the plan is relative to `stored`, the
 * row as it is in the database (`null` for a draft).
 *
 * A pair that already agrees plans no writes at all, so re-running any sync is
 * free of timestamp churn. When profile data changes, both updatedAt fields
 * get the same `now`.
 *
 * @example
 * const plan = planPairSync(shape, user, row, row, Date.now());
 * if (!isEmptyPlan(plan)) await applyPairPlan(ctx, shape, user._id, row._id, plan);
 */
export function planPairSync(
  shape: Shape,
  user: UserSide,
  row: RowSide,
  stored: RowSide | null,
  now: number,
): PairPlan {
  const usersPatch: Record<string, Value> = {};
  const rowPatch: Record<string, Value> = {};
  const mismatched: string[] = [];
  let profileChanged = false;

  // 1. Edits carried on `row` relative to the stored row.
  for (const key of Object.keys(row)) {
    if (key === "_id" || key === "_creationTime") continue;
    if (stored === null || stored[key] !== row[key]) {
      rowPatch[key] = row[key];
      if (!shape.bookkeeping.has(key)) profileChanged = true;
    }
  }

  // 2. Mirrored fields resolved by ownership. A suspended pair keeps the
  //    address it was suspended with: a refused sign-in still lets Convex
  //    Auth write a new address to `users`, and carrying it (or its lost
  //    verification) onto the row would take the suspension off the address
  //    (found by review).
  //    A placeholder of the fold (a person who never signed in) holds no
  //    address of a provider's: its row keeps its own, as a legacy row's.
  const frozen =
    holdsSuspendedAddress(shape, user, row, stored) ||
    user.unclaimed !== undefined;
  for (const pair of fieldMap(shape)) {
    if (
      frozen &&
      pair.exact !== true &&
      (pair.app === shape.email || pair.app === shape.emailVerified)
    ) {
      continue;
    }
    // A fold field copies the row's value as this plan leaves it: a home
    // of a mirrored field (the fold's `full_name`, say) follows the value
    // its pair just resolved, not the one before.
    const value = resolvePair(
      pair,
      user,
      pair.exact === true ? { ...row, ...rowPatch } : row,
    );
    const appSideChanges = row[pair.app] !== value;
    const usersSideChanges = pair.usersWritable && user[pair.users] !== value;
    if (appSideChanges) {
      rowPatch[pair.app] = value;
      // The app row holds the unified value: only a change there is a
      // profile change. Restoring `users` to it (say, after Convex Auth
      // re-applied the provider's name) is not.
      if (pair.bumpsUpdatedAt) profileChanged = true;
    }
    if (usersSideChanges) usersPatch[pair.users] = value;
    if (appSideChanges || usersSideChanges) mismatched.push(pair.app);
  }
  // A placeholder is claimed by the address its row holds now: an app edit
  // of the row's email moves the claim with it.
  if (user.unclaimed !== undefined) {
    const key = normalizeEmail(row[shape.email]) ?? "";
    if (user.unclaimed !== key) {
      usersPatch.unclaimed = key;
      mismatched.push(shape.email);
    }
  }

  // 3. Cross-references.
  if (
    shape.usersRef !== undefined &&
    row._id !== undefined &&
    user[shape.usersRef] !== row._id
  ) {
    usersPatch[shape.usersRef] = row._id;
  }
  if (row[shape.appRef] !== user._id) rowPatch[shape.appRef] = user._id;

  // 4. One timestamp for both sides; mirrored without churn otherwise.
  if (shape.updatedAt !== undefined) {
    if (profileChanged) {
      rowPatch[shape.updatedAt] = now;
      usersPatch.updatedAt = now;
    } else if (user.updatedAt !== row[shape.updatedAt]) {
      usersPatch.updatedAt = row[shape.updatedAt];
    }
  }

  return { usersPatch, rowPatch, mismatched };
}

/**
 * Whether a row already paired with this user is suspended (see
 * isSuspendedPair), so that its address and verification stay as they
 * were. A draft, or a row being linked, is not: it takes the user's address
 * as any link does.
 */
function holdsSuspendedAddress(
  shape: Shape,
  user: UserSide,
  row: RowSide,
  stored: RowSide | null,
): boolean {
  if (stored === null || stored[shape.appRef] !== user._id) return false;
  return isSuspendedPair(shape, user, row);
}

/**
 * Whether a pair is suspended: the row's status where the app declares one
 * (it owns status), else the user's.
 */
export function isSuspendedPair(
  shape: Shape,
  user: UserSide,
  row: RowSide,
): boolean {
  const status =
    shape.status === undefined
      ? user.status
      : (row[shape.status] ?? user.status);
  return status === "suspended";
}

/**
 * Whether a row holds this email key now as a row never paired (its
 * verification mirror absent): what a fold placeholder's row must be for
 * the address to name the person who never signed in (`unclaimed` may lag
 * an edit made past the triggers). Used by the claim, the lookups and the
 * pairing.
 */
export function holdsAsNeverPaired(
  shape: Shape,
  row: RowSide | null,
  key: string,
): boolean {
  return (
    row !== null &&
    normalizeEmail(row[shape.email]) === key &&
    row[shape.emailVerified] === undefined
  );
}

/** True when a plan writes nothing. */
export function isEmptyPlan(plan: PairPlan): boolean {
  return (
    Object.keys(plan.usersPatch).length === 0 &&
    Object.keys(plan.rowPatch).length === 0
  );
}

/** An app row as the pairing decision sees it. */
export type RowRef = {
  _id: GenericId<string>;
  email?: unknown;
  emailVerified?: unknown;
  userRef?: unknown;
};

/** The parts of a row the pairing decision reads. */
export function rowRef(shape: Shape, row: AnyDoc): RowRef {
  return {
    _id: row._id,
    email: row[shape.email],
    emailVerified: row[shape.emailVerified],
    userRef: row[shape.appRef],
  };
}

/** A case recorded for a person instead of decided by the sync. */
export type ReviewNote = {
  kind: ReviewKind;
  rowIds: GenericId<string>[];
  detail: string;
};

/**
 * True when the user and the row name each other (or, with the reference on
 * the app side only, when the row names the user: its uniqueness is the
 * caller's to check). The only reference that counts: a pointer from one
 * side alone grants, links and deletes nothing.
 */
export function isTwoWay(
  shape: Shape,
  user: UserSide,
  row: RowSide | null,
): boolean {
  if (row === null || row._id === undefined) return false;
  const back = row[shape.appRef] === user._id;
  return shape.usersRef === undefined
    ? back
    : back && user[shape.usersRef] === row._id;
}

/** Everything known about a user that has no counterpart. */
export type PairingEvidence = {
  userId: GenericId<"users">;
  /** normalizeEmail(users.email). */
  emailKey: string | undefined;
  /** The provider vouched for this address (users.emailVerificationTime). */
  verified: boolean;
  /** The existing row the users-side reference names, if any. */
  pointed: RowRef | null;
  /** Rows whose app-side reference names this user (one-sided claims). */
  claimants: readonly RowRef[];
  /** Legacy rows with the user's email key (two show ambiguity). */
  unlinkedWithEmail: readonly RowRef[];
  /**
   * Other users whose provider verified the same address, paired or not: a
   * legacy row is then no more this user's than theirs.
   */
  otherVerifiedOwners?: number;
  /**
   * Rows a person decided are not this user's (keep-separate resolutions):
   * never candidates, and no longer cases to record.
   */
  separated?: ReadonlySet<string>;
};

export type PairingDecision = {
  action: "link" | "create";
  /** The row to link, for `action: "link"`. */
  rowId?: GenericId<string>;
  /** Whether the linked row was unlinked (a legacy row) before. */
  legacy?: boolean;
  reviews: ReviewNote[];
};

/**
 * How a user without a counterpart gets one. A pointer from either side is
 * only a candidate, held to the rules of any legacy link: the user's email is
 * verified and equals the row's email key, and exactly one row is such a
 * candidate (a row made for an unverified claim never is). Anything else
 * creates a row of the user's own and leaves the rest for a person:
 * - a pointer to a row that belongs to someone else, or whose email differs,
 *   or a claim from a row whose email differs: `reference_conflict`;
 * - candidates but an unverified email: `unverified_email_match`;
 * - several candidates: `ambiguous_email`.
 * A row a person kept apart from the user (`separated`) counts for nothing.
 *
 * @example const decision = decidePairing({ userId, emailKey, verified, pointed, claimants, unlinkedWithEmail });
 */
export function decidePairing(evidence: PairingEvidence): PairingDecision {
  const { userId, emailKey, verified } = evidence;
  const separated = evidence.separated ?? new Set<string>();
  const apart = (row: RowRef) => separated.has(row._id);
  const pointed =
    evidence.pointed !== null && apart(evidence.pointed)
      ? null
      : evidence.pointed;
  const reviews: ReviewNote[] = [];
  const candidates = new Map<string, RowRef>();
  const consider = (row: RowRef, why: string) => {
    if (apart(row)) return;
    // A row the sync made for an unverified claim of an address holds that
    // claimant's data, and a pointer to it (from either side) proves nothing
    // about whose it is: it is never a candidate.
    if (
      emailKey !== undefined &&
      row.email === emailKey &&
      row.emailVerified !== false
    ) {
      candidates.set(row._id, row);
    } else {
      reviews.push({
        kind: "reference_conflict",
        rowIds: [row._id],
        detail: `${why}, but nothing proves the row is theirs (its email differs from the user's, or it was made for an unverified claim); not linked.`,
      });
    }
  };

  // 1. Pointers, from either side.
  if (pointed !== null) {
    if (pointed.userRef === undefined) {
      consider(pointed, "The user's reference names an unlinked row");
    } else if (pointed.userRef !== userId) {
      reviews.push({
        kind: "reference_conflict",
        rowIds: [pointed._id],
        detail: `The user's reference names a row that points at another user (${pointed.userRef as string}); not linked.`,
      });
    }
  }
  for (const row of evidence.claimants) {
    if (row._id === pointed?._id) continue;
    consider(row, "A row names this user, who does not point back");
  }

  // 2. Legacy rows with the user's email.
  for (const row of evidence.unlinkedWithEmail) {
    if (!apart(row)) candidates.set(row._id, row);
  }

  // 3. Link only what the verified email proves, and only if unambiguous.
  const found = [...candidates.values()];
  const ids = found.map((row) => row._id);
  if (found.length === 0) return { action: "create", reviews };
  if (!verified) {
    reviews.push({
      kind: "unverified_email_match",
      rowIds: ids,
      detail:
        "This user's email is unverified and matches a row not yet linked to them; it was not linked.",
    });
    return { action: "create", reviews };
  }
  const [only] = found;
  const contested =
    only?.userRef === undefined && (evidence.otherVerifiedOwners ?? 0) > 0;
  if (found.length === 1 && only !== undefined && !contested) {
    return {
      action: "link",
      rowId: only._id,
      legacy: only.userRef === undefined,
      reviews,
    };
  }
  reviews.push({
    kind: "ambiguous_email",
    rowIds: ids,
    detail: contested
      ? "Other users verified this address too; the row could be any of theirs, so none was linked."
      : "Several rows could be this user's (same verified email, or pointers); none was linked.",
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
      // (a password with verification): someone signing up with their
      // address proves nothing about it, so it must not unverify them either.
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
 * What becomes of a suspension when a user and a row not yet paired become
 * one (a link on any path: sign-in, run, manual sync, resolution). In a
 * pair the app's status wins, so a row marked active would quietly lift the
 * user's suspension; a suspension on either side holds instead. Returns the
 * row to plan from (carrying the suspension when the user's held it) and
 * which side's suspension the pair now keeps (`null`: neither, or both
 * were suspended already). With no status field declared, status lives on
 * `users` alone and no plan touches it.
 *
 * @example const { row: draft, kept } = keepSuspension(shape, user, row);
 */
export function keepSuspension(
  shape: Shape,
  user: UserSide,
  row: RowSide,
): { row: RowSide; kept: "user" | "row" | null } {
  if (shape.status === undefined) return { row, kept: null };
  const userSuspended = user.status === "suspended";
  const rowSuspended = row[shape.status] === "suspended";
  if (userSuspended === rowSuspended) return { row, kept: null };
  return userSuspended
    ? { row: { ...row, [shape.status]: "suspended" }, kept: "user" }
    : { row, kept: "row" };
}

/**
 * The writes that make a user and a row not yet paired one pair (a link on
 * any path: a sign-in, a run, a manual sync, a resolution): the field map
 * over the row as it comes (`row`, edits included; a legacy row's chosen
 * values stay chosen), with a suspension on either side kept (see
 * keepSuspension). `stored` is the row as the database holds it.
 *
 * @example const { plan, kept } = planLink(shape, user, row, row, now, true);
 */
export function planLink(
  shape: Shape,
  user: UserSide,
  row: RowSide,
  stored: RowSide,
  now: number,
  legacy: boolean,
): { plan: PairPlan; kept: "user" | "row" | null } {
  const { row: draft, kept } = keepSuspension(shape, user, row);
  const linked = legacy ? linkLegacyRow(shape, draft) : draft;
  return { plan: planPairSync(shape, user, linked, stored, now), kept };
}

/**
 * The fields a legacy row keeps when it is linked: values of pairs declared
 * `legacyValueIsChosen` count as chosen in the app, so they survive provider
 * renames.
 */
export function linkLegacyRow(shape: Shape, row: RowSide): RowSide {
  let linked = row;
  for (const pair of shape.mirror) {
    if (
      pair.legacyValueIsChosen === true &&
      pair.chosenBy !== undefined &&
      row[pair.app] !== undefined &&
      row[pair.chosenBy] === undefined
    ) {
      linked = { ...linked, [pair.chosenBy]: "user" };
    }
  }
  return linked;
}

export type PairProblemKind =
  | "missing_counterpart"
  | "dangling_reference"
  | "one_sided_reference"
  | "duplicate_counterpart"
  | "field_mismatch";

export type PairProblem = {
  kind: PairProblemKind;
  userId?: GenericId<"users">;
  rowId?: GenericId<string>;
  fields?: string[];
};

/** The fields that disagree with the field map, for a pair. */
export function mismatchedFields(
  shape: Shape,
  user: UserSide,
  row: AnyDoc,
): string[] {
  const plan = planPairSync(shape, user, row, row, 0);
  const fields = [...plan.mismatched];
  if (plan.usersPatch.updatedAt !== undefined && shape.updatedAt) {
    fields.push(shape.updatedAt);
  }
  return fields;
}

/**
 * Checks two whole tables (small ones: tests, the demo) against the sync's
 * invariants: every user (but one whose first sign-in is pending) has
 * exactly one counterpart, references agree both ways, mirrored fields agree
 * with the ownership policy.
 *
 * @example const { consistent, problems } = checkTables(shape, users, rows);
 */
export function checkTables(
  shape: Shape,
  users: readonly UserSide[],
  rows: readonly AnyDoc[],
): { consistent: boolean; problems: PairProblem[]; unlinkedRows: number } {
  const usersById = new Map(users.map((user) => [user._id as string, user]));
  const rowsById = new Map(rows.map((row) => [row._id as string, row]));
  const claims = new Map<string, AnyDoc[]>();
  for (const row of rows) {
    const userId = row[shape.appRef] as string | undefined;
    if (userId !== undefined) {
      claims.set(userId, [...(claims.get(userId) ?? []), row]);
    }
  }
  const problems: PairProblem[] = [];
  for (const user of users) {
    const claiming = claims.get(user._id) ?? [];
    let counterpart: AnyDoc | undefined;
    if (shape.usersRef !== undefined) {
      const pointedId = user[shape.usersRef] as string | undefined;
      if (pointedId === undefined) {
        if (user.pendingFirstSignIn !== true) {
          problems.push({ kind: "missing_counterpart", userId: user._id });
        }
        continue;
      }
      const pointed = rowsById.get(pointedId);
      if (pointed === undefined) {
        problems.push({ kind: "dangling_reference", userId: user._id });
        continue;
      }
      if (pointed[shape.appRef] !== user._id) {
        problems.push({
          kind: "one_sided_reference",
          userId: user._id,
          rowId: pointed._id,
        });
        continue;
      }
      counterpart = pointed;
    } else {
      if (claiming.length === 0) {
        if (user.pendingFirstSignIn !== true) {
          problems.push({ kind: "missing_counterpart", userId: user._id });
        }
        continue;
      }
      if (claiming.length > 1) continue; // reported below, from the rows
      counterpart = claiming[0];
    }
    const fields = mismatchedFields(shape, user, counterpart!);
    if (fields.length > 0) {
      problems.push({
        kind: "field_mismatch",
        userId: user._id,
        rowId: counterpart!._id,
        fields,
      });
    }
  }
  for (const row of rows) {
    const userId = row[shape.appRef] as GenericId<"users"> | undefined;
    if (userId === undefined) continue;
    const user = usersById.get(userId);
    if (user === undefined) {
      problems.push({ kind: "dangling_reference", userId, rowId: row._id });
    } else if (
      shape.usersRef !== undefined &&
      user[shape.usersRef] !== row._id
    ) {
      problems.push({ kind: "one_sided_reference", userId, rowId: row._id });
    }
  }
  for (const [userId, claiming] of claims) {
    if (claiming.length > 1 && usersById.has(userId)) {
      problems.push({
        kind: "duplicate_counterpart",
        userId: userId as GenericId<"users">,
      });
    }
  }
  return {
    consistent: problems.length === 0,
    problems,
    unlinkedRows: rows.filter((row) => row[shape.appRef] === undefined).length,
  };
}

/**
 * What an app write to `users` means for its counterpart. Triggers see only
 * app writes (Convex Auth's own bypass them), so a changed value of a pair
 * the user may choose is the app's choice, and wins over later provider
 * values; an app-owned value flows to the row.
 */
export function editsFromUsersWrite(
  shape: Shape,
  oldDoc: UserSide,
  newDoc: UserSide,
): RowSide {
  const edits: RowSide = {};
  for (const pair of fieldMap(shape)) {
    if (!pair.usersWritable || pair.owner === "latest") continue;
    if (oldDoc[pair.users] === newDoc[pair.users]) continue;
    edits[pair.app] = newDoc[pair.users];
    if (pair.chosenBy !== undefined) edits[pair.chosenBy] = "user";
  }
  return edits;
}

/**
 * What an app write to the app table means: a value the user may choose,
 * set by the app, is the app's choice from then on. Identity fields stay the
 * provider's: an app edit of the email is planned back to the users value.
 * A suspended record keeps the address it was suspended with (see
 * planPairSync), so for one (`suspended`: the row, or its pair) an app edit
 * of the email or its verification is undone from the old document instead
 * (found by review: the edit was kept, and put another person's address
 * under a suspension).
 */
export function editsFromRowWrite(
  shape: Shape,
  oldDoc: RowSide,
  newDoc: RowSide,
  suspended = false,
): RowSide {
  const edits: RowSide = {};
  if (suspended) {
    for (const field of [shape.email, shape.emailVerified]) {
      if (oldDoc[field] !== newDoc[field]) edits[field] = oldDoc[field];
    }
  }
  for (const pair of shape.mirror) {
    if (pair.chosenBy === undefined) continue;
    if (
      oldDoc[pair.app] !== newDoc[pair.app] &&
      newDoc[pair.chosenBy] !== "user"
    ) {
      edits[pair.chosenBy] = "user";
    }
  }
  return edits;
}

/**
 * Whether an app write to `users` keeps the email verified: not when it
 * changed the address (by key) and left the verification as it was. No
 * provider vouched for the new address; an app that did verify it says so by
 * setting `emailVerificationTime` in the same write.
 */
export function keepsVerification(oldDoc: UserSide, newDoc: UserSide): boolean {
  return (
    newDoc.emailVerificationTime === undefined ||
    normalizeEmail(oldDoc.email) === normalizeEmail(newDoc.email) ||
    newDoc.emailVerificationTime !== oldDoc.emailVerificationTime
  );
}
