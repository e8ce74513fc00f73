/**
 * Database steps shared by every sync path (sign-in, profile update, manual
 * sync, bulk sync, triggers): finding a row's counterpart, linking or creating
 * it, applying a planned pair of patches and recording cases for review.
 * Every decision comes from convex/syncPolicy.ts.
 */
import type { Doc, Id } from "./_generated/dataModel";
import type { MutationCtx, QueryCtx } from "./_generated/server";
import {
  type AuthUserSide,
  type PairPlan,
  decidePairing,
  type PairingDecision,
  isEmptyPlan,
  isTwoWay,
  linkLegacyRow,
  normalizeEmail,
  planPairSync,
} from "./syncPolicy";
import type { ReviewKind, SyncOutcome } from "./validators";

/** What `users.auth_user_id` leads to. */
export type PairRead = {
  /** The row, when it names the user back: the user's counterpart. */
  counterpart: Doc<"auth_users"> | null;
  /** The row, when it exists but does not name the user back. */
  pointed: Doc<"auth_users"> | null;
};

/**
 * Follows `users.auth_user_id` and tells a two-way counterpart from a
 * one-sided pointer. One `db.get`.
 *
 * @example const { counterpart, pointed } = await readPair(ctx, user);
 */
export async function readPair(
  ctx: QueryCtx,
  user: Pick<Doc<"users">, "_id" | "auth_user_id">,
): Promise<PairRead> {
  if (user.auth_user_id === undefined) {
    return { counterpart: null, pointed: null };
  }
  const row = await ctx.db.get("auth_users", user.auth_user_id);
  if (row === null) return { counterpart: null, pointed: null };
  return isTwoWay(user, row)
    ? { counterpart: row, pointed: null }
    : { counterpart: null, pointed: row };
}

/**
 * The user's counterpart: the auth_users row that `users.auth_user_id`
 * names and that names the user back. A pointer from one side alone is no
 * counterpart. Costs one `db.get`.
 *
 * @example const authUser = await findCounterpart(ctx, user);
 */
export async function findCounterpart(
  ctx: QueryCtx,
  user: Pick<Doc<"users">, "_id" | "auth_user_id">,
): Promise<Doc<"auth_users"> | null> {
  return (await readPair(ctx, user)).counterpart;
}

/** The user an auth_users row is paired with both ways, or null. */
export async function findPairedUser(
  ctx: QueryCtx,
  row: Pick<Doc<"auth_users">, "_id" | "convex_user_id">,
): Promise<Doc<"users"> | null> {
  if (row.convex_user_id === undefined) return null;
  const user = await ctx.db.get("users", row.convex_user_id);
  return user !== null && isTwoWay(user, row) ? user : null;
}

/** How many claims on one user or row a sync step looks at. */
const CLAIM_LIMIT = 3;

/** Rows whose `convex_user_id` names this user (a handful at most). */
async function rowsClaiming(
  ctx: QueryCtx,
  userId: Id<"users">,
): Promise<Doc<"auth_users">[]> {
  return await ctx.db
    .query("auth_users")
    .withIndex("by_convex_user_id", (q) => q.eq("convex_user_id", userId))
    .take(CLAIM_LIMIT);
}

/**
 * Legacy rows with this email key: unlinked rows that no sync has ever
 * paired (`email_verified` absent). A row the sync made for someone, once
 * unlinked by damage, holds that someone's data and is never linked by email
 * alone. Two are enough to tell "exactly one" from "ambiguous".
 */
export async function unlinkedRowsWithEmail(
  ctx: QueryCtx,
  email: string,
): Promise<Doc<"auth_users">[]> {
  return await ctx.db
    .query("auth_users")
    .withIndex("by_email_and_convex_user_id_and_email_verified", (q) =>
      q
        .eq("email", email)
        .eq("convex_user_id", undefined)
        .eq("email_verified", undefined),
    )
    .take(2);
}

/**
 * Every unlinked row with this email key, in one index range: legacy rows
 * (never paired) first, as the index orders `email_verified` absent before
 * false and true, then rows a sync once paired (damage took both
 * references). The latter are never linked by email: nothing proves whose
 * they are now, so they are shown to a person. Two legacy rows already show
 * ambiguity, so a few rows suffice.
 */
async function unlinkedRowsByEmail(
  ctx: QueryCtx,
  email: string,
): Promise<{ legacy: Doc<"auth_users">[]; orphaned: Doc<"auth_users">[] }> {
  const rows = await ctx.db
    .query("auth_users")
    .withIndex("by_email_and_convex_user_id_and_email_verified", (q) =>
      q.eq("email", email).eq("convex_user_id", undefined),
    )
    .take(2 + CLAIM_LIMIT);
  return {
    legacy: rows.filter((row) => row.email_verified === undefined).slice(0, 2),
    orphaned: rows.filter((row) => row.email_verified !== undefined),
  };
}

/**
 * Users whose provider verified exactly this address, straight from the
 * index (unverified claims to it are never in the way). `users.email` holds
 * what the provider sent, so a user whose provider sent other letter case is
 * found from its own side instead (its sign-in, or a run's users phase).
 */
export async function verifiedUsersWithEmail(
  ctx: QueryCtx,
  email: string,
  limit: number,
): Promise<Doc<"users">[]> {
  return await ctx.db
    .query("users")
    .withIndex("by_email_and_emailVerificationTime", (q) =>
      q.eq("email", email).gt("emailVerificationTime", 0),
    )
    .take(limit);
}

export type SyncOptions = {
  now: number;
  /** Plan and describe every write, perform none. */
  dryRun?: boolean;
};

/** What one sync step did (or, in a dry run, would do). */
export type SyncResult = {
  outcome: SyncOutcome;
  userId: Id<"users"> | null;
  authUserId: Id<"auth_users"> | null;
  /** Human-readable descriptions of each write, for run records and logs. */
  changes: string[];
};

function describePlan(
  userId: Id<"users">,
  authUserId: Id<"auth_users"> | "new",
  plan: PairPlan,
): string[] {
  const changes: string[] = [];
  const authKeys = Object.keys(plan.authUsersPatch);
  const userKeys = Object.keys(plan.usersPatch);
  if (authKeys.length > 0) {
    changes.push(`auth_users ${authUserId}: set ${authKeys.sort().join(", ")}`);
  }
  if (userKeys.length > 0) {
    changes.push(`users ${userId}: set ${userKeys.sort().join(", ")}`);
  }
  return changes;
}

/** Writes a plan's patches; a side with nothing to change is not written. */
export async function applyPairPlan(
  ctx: MutationCtx,
  userId: Id<"users">,
  authUserId: Id<"auth_users">,
  plan: PairPlan,
): Promise<void> {
  if (Object.keys(plan.authUsersPatch).length > 0) {
    await ctx.db.patch("auth_users", authUserId, plan.authUsersPatch);
  }
  if (Object.keys(plan.usersPatch).length > 0) {
    await ctx.db.patch("users", userId, plan.usersPatch);
  }
}

/**
 * Gathers what decides a user without a two-way counterpart (the row it
 * points at, rows that claim it, legacy rows with its email) and weighs it
 * with decidePairing. Shared by the sync and the lookups, so a lookup never
 * joins what a sync would not link. Two index ranges.
 */
export async function weighUser(
  ctx: QueryCtx,
  user: Doc<"users">,
  read: PairRead,
): Promise<{
  decision: PairingDecision;
  rows: Doc<"auth_users">[];
  orphaned: Doc<"auth_users">[];
}> {
  const emailKey = normalizeEmail(user.email);
  const claimants = await rowsClaiming(ctx, user._id);
  const { legacy, orphaned } = emailKey
    ? await unlinkedRowsByEmail(ctx, emailKey)
    : { legacy: [], orphaned: [] };
  const decision = decidePairing({
    userId: user._id,
    emailKey,
    verified: user.emailVerificationTime !== undefined,
    pointed: read.pointed,
    claimants,
    unlinkedWithEmail: legacy,
  });
  const rows = [...claimants, ...legacy];
  if (read.pointed !== null) rows.push(read.pointed);
  return { decision, rows, orphaned };
}

export type EnsureResult = SyncResult & {
  user: Doc<"users">;
  /** The row after the sync; null only for a dry run that would create it. */
  authUser: Doc<"auth_users"> | null;
};

/**
 * Gives a user its auth_users counterpart and brings the pair into agreement,
 * in the caller's transaction:
 * 1. a two-way counterpart is synced under the field map;
 * 2. otherwise every pointer and legacy row is weighed by `decidePairing`:
 *    one candidate that the user's verified email proves is linked (a legacy
 *    row keeps its domain fields, and its full_name becomes the chosen name);
 * 3. otherwise a row of the user's own is created; whatever was not followed
 *    (pointers from either side, unverified or ambiguous matches) is
 *    recorded for review, never guessed at.
 * `edits` are auth_users values to apply on the way (a sign-in's
 * last_login_at, a profile update).
 *
 * @example const { authUser } = await ensurePair(ctx, user, {}, { now: Date.now() });
 */
export async function ensurePair(
  ctx: MutationCtx,
  user: Doc<"users">,
  edits: Partial<AuthUserSide>,
  options: SyncOptions & {
    /** The result of readPair, when the caller already has it. */
    read?: PairRead;
    /**
     * false: link if the decision is to link, but leave a user that would
     * get a row of its own as it is (outcome "pending"). The auth_users side
     * of a run uses it: creating is the users side's work.
     */
    create?: boolean;
    /**
     * A sign-in completes now (beforeSessionCreation). Only then does a user
     * that has yet to complete one (`pendingFirstSignIn`) get a pair; every
     * other path leaves it pending.
     */
    completesSignIn?: boolean;
  },
): Promise<EnsureResult> {
  const { now, dryRun = false } = options;
  const signInDone = (plan: PairPlan): PairPlan =>
    options.completesSignIn === true && user.pendingFirstSignIn !== undefined
      ? {
          ...plan,
          usersPatch: { ...plan.usersPatch, pendingFirstSignIn: undefined },
        }
      : plan;

  // 1. The two-way counterpart.
  const read = options.read ?? (await readPair(ctx, user));
  const existing = read.counterpart;
  if (existing !== null) {
    const plan = signInDone(
      planPairSync(user, { ...existing, ...edits }, existing, now),
    );
    if (!dryRun) await applyPairPlan(ctx, user._id, existing._id, plan);
    const changes = describePlan(user._id, existing._id, plan);
    changes.push(
      ...(await noteLegacyMatch(ctx, user, existing, plan, options)),
    );
    return {
      outcome: isEmptyPlan(plan) ? "unchanged" : "repaired",
      userId: user._id,
      authUserId: existing._id,
      changes,
      user: { ...user, ...plan.usersPatch },
      authUser: { ...existing, ...plan.authUsersPatch },
    };
  }

  // A sign-in was started, never completed: nothing is due yet.
  if (user.pendingFirstSignIn === true && options.completesSignIn !== true) {
    return {
      outcome: "pending",
      userId: user._id,
      authUserId: null,
      changes: [],
      user,
      authUser: null,
    };
  }

  // 2. Pointers and legacy rows, weighed; what is not followed is recorded.
  const emailKey = normalizeEmail(user.email);
  const { decision, rows, orphaned } = await weighUser(ctx, user, read);
  const changes: string[] = [];
  for (const review of decision.reviews) {
    changes.push(
      ...(await recordReview(
        ctx,
        { ...review, userId: user._id, email: emailKey },
        options,
      )),
    );
  }
  if (decision.action === "link") {
    const row = rows.find(
      (candidate) => candidate._id === decision.authUserId,
    )!;
    const draft = { ...row, ...edits };
    const plan = signInDone(
      planPairSync(
        user,
        decision.legacy ? linkLegacyRow(draft) : draft,
        row,
        now,
      ),
    );
    if (!dryRun) await applyPairPlan(ctx, user._id, row._id, plan);
    return {
      outcome: decision.legacy ? "linked" : "repaired",
      userId: user._id,
      authUserId: row._id,
      changes: [...changes, ...describePlan(user._id, row._id, plan)],
      user: { ...user, ...plan.usersPatch },
      authUser: { ...row, ...plan.authUsersPatch },
    };
  }

  // 3. A row of the user's own. A row once paired that holds the user's
  //    address (damage took its references) may be the user's old row, or
  //    not: a person decides.
  if (options.create === false) {
    return {
      outcome: "pending",
      userId: user._id,
      authUserId: null,
      changes,
      user,
      authUser: null,
    };
  }
  const orphans = orphaned.filter(
    (row) => !rows.some((seen) => seen._id === row._id),
  );
  if (orphans.length > 0) {
    changes.push(
      ...(await recordReview(
        ctx,
        {
          kind: "reference_conflict",
          userId: user._id,
          authUserIds: orphans.map((row) => row._id),
          email: emailKey,
          detail:
            "Rows once paired, now linked to nobody, hold this user's address; nothing proves whose they are, so the user got a row of their own.",
        },
        options,
      )),
    );
  }
  const draft: AuthUserSide = {
    convex_user_id: user._id,
    created_at: now,
    updated_at: now,
    ...edits,
  };
  const plan = signInDone(planPairSync(user, draft, null, now));
  changes.push(
    `auth_users: insert for users ${user._id}`,
    ...describePlan(user._id, "new", { ...plan, authUsersPatch: {} }),
  );
  let created: Doc<"auth_users"> | null = null;
  let usersPatch = plan.usersPatch;
  if (!dryRun) {
    const fields = { ...draft, ...plan.authUsersPatch } as AuthUserSide;
    const authUserId = await ctx.db.insert("auth_users", fields);
    usersPatch = { ...plan.usersPatch, auth_user_id: authUserId };
    await ctx.db.patch("users", user._id, usersPatch);
    created = await ctx.db.get("auth_users", authUserId);
    if (created === null) throw new Error(`auth_users ${authUserId} vanished`);
  }
  return {
    outcome: "created",
    userId: user._id,
    authUserId: created?._id ?? null,
    changes,
    user: { ...user, ...usersPatch },
    authUser: created,
  };
}

/**
 * A user with a row of their own who now proves an address (a new one, or
 * one verified only now) that an unlinked legacy row holds: two rows of one
 * person, perhaps. The sync does not merge them on its own; a person decides.
 * Costs one index range, only when the address or its verification changes.
 */
async function noteLegacyMatch(
  ctx: MutationCtx,
  user: Doc<"users">,
  row: Doc<"auth_users">,
  plan: PairPlan,
  options: SyncOptions,
): Promise<string[]> {
  const email = plan.authUsersPatch.email ?? row.email;
  const verifiedNow =
    plan.authUsersPatch.email !== undefined ||
    plan.authUsersPatch.email_verified === true;
  if (!verifiedNow || email === undefined) return [];
  if (user.emailVerificationTime === undefined) return [];
  const legacy = await unlinkedRowsWithEmail(ctx, email);
  if (legacy.length === 0) return [];
  return await recordReview(
    ctx,
    {
      kind: "verified_legacy_match",
      userId: user._id,
      authUserIds: [row._id, ...legacy.map((candidate) => candidate._id)],
      email,
      detail:
        "A user with a row of their own verified an address that an unlinked legacy row holds; the rows were not merged.",
    },
    options,
  );
}

/**
 * Brings an auth_users row into agreement with its user, starting from the
 * auth_users side:
 * 1. a two-way pair is synced under the field map;
 * 2. a row naming a user who names another row back is a duplicate,
 *    recorded for review; a row naming a user with no pair at all is weighed
 *    from that user's side (ensurePair, linking only: a row of the user's
 *    own is the users side's to create), where every claim is seen;
 * 3. a dangling reference (user deleted) is cleared, and the row is treated
 *    as unlinked;
 * 4. an unlinked row goes to the one user without a pair whose provider
 *    verified its email, through that user's own pairing decision; otherwise
 *    it stays pending until its owner signs in (Convex Auth alone creates
 *    identities).
 *
 * @example const result = await syncFromAuthUser(ctx, row, { now: Date.now() });
 */
export async function syncFromAuthUser(
  ctx: MutationCtx,
  authUser: Doc<"auth_users">,
  options: SyncOptions,
): Promise<SyncResult> {
  const { now, dryRun = false } = options;
  const changes: string[] = [];

  // 0. Imported rows may hold an email that was never normalized.
  const email = normalizeEmail(authUser.email);
  if (email !== authUser.email) {
    changes.push(`auth_users ${authUser._id}: set email`);
    if (!dryRun) await ctx.db.patch("auth_users", authUser._id, { email });
    authUser = { ...authUser, email };
  }

  if (authUser.convex_user_id !== undefined) {
    const user = await ctx.db.get("users", authUser.convex_user_id);
    // 1. A two-way pair.
    if (user !== null && user.auth_user_id === authUser._id) {
      const plan = planPairSync(user, authUser, authUser, now);
      if (!dryRun) await applyPairPlan(ctx, user._id, authUser._id, plan);
      changes.push(...describePlan(user._id, authUser._id, plan));
      return {
        outcome: changes.length === 0 ? "unchanged" : "repaired",
        userId: user._id,
        authUserId: authUser._id,
        changes,
      };
    }
    // 2. A one-sided claim.
    if (user !== null)
      return await weighClaim(ctx, user, authUser, changes, options);
    // 3. Dangling: the row goes back to waiting for its owner.
    changes.push(`auth_users ${authUser._id}: clear dangling convex_user_id`);
    if (!dryRun) {
      await ctx.db.patch("auth_users", authUser._id, {
        convex_user_id: undefined,
      });
    }
    authUser = { ...authUser, convex_user_id: undefined };
  }

  // 4. Unlinked.
  return await weighUnlinked(ctx, authUser, changes, options);
}

/** A row that names a user who does not name it back. */
async function weighClaim(
  ctx: MutationCtx,
  user: Doc<"users">,
  row: Doc<"auth_users">,
  changes: string[],
  options: SyncOptions,
): Promise<SyncResult> {
  const read = await readPair(ctx, user);
  if (read.counterpart !== null) {
    changes.push(
      ...(await recordReview(
        ctx,
        {
          kind: "duplicate_counterpart",
          userId: user._id,
          authUserIds: [read.counterpart._id, row._id],
          email: row.email,
          detail:
            "Two auth_users rows point at this user; only the one it points back at is its counterpart.",
        },
        options,
      )),
    );
    return {
      outcome: "conflict",
      userId: user._id,
      authUserId: row._id,
      changes,
    };
  }
  const result = await ensurePair(
    ctx,
    user,
    {},
    {
      ...options,
      read,
      create: false,
    },
  );
  return followed(result, row, changes);
}

/** An unlinked row: linked only through its one possible owner's decision. */
async function weighUnlinked(
  ctx: MutationCtx,
  row: Doc<"auth_users">,
  changes: string[],
  options: SyncOptions,
): Promise<SyncResult> {
  const pending: SyncResult = {
    outcome: changes.length > 0 ? "repaired" : "pending",
    userId: null,
    authUserId: row._id,
    changes,
  };
  const legacy = row.email_verified === undefined;
  const orphaned = async (): Promise<SyncResult> => {
    // A row once paired, now linked to nobody: a person decides.
    changes.push(
      ...(await recordReview(
        ctx,
        {
          kind: "reference_conflict",
          authUserIds: [row._id],
          email: row.email,
          detail:
            "This row was once paired and lost both references; nothing proves whose it is now.",
        },
        options,
      )),
    );
    return { outcome: "conflict", userId: null, authUserId: row._id, changes };
  };
  if (row.email === undefined) return legacy ? pending : await orphaned();
  // 1. Users without a pair whose provider verified this address (for a
  //    legacy row), or who point at this row with it.
  const owners = new Map<string, { user: Doc<"users">; read: PairRead }>();
  const consider = async (user: Doc<"users">) => {
    if (owners.has(user._id)) return;
    const read = await readPair(ctx, user);
    if (read.counterpart === null) owners.set(user._id, { user, read });
  };
  for (const user of legacy
    ? await verifiedUsersWithEmail(ctx, row.email, CLAIM_LIMIT)
    : []) {
    await consider(user);
  }
  const pointing = await ctx.db
    .query("users")
    .withIndex("by_auth_user_id", (q) => q.eq("auth_user_id", row._id))
    .take(CLAIM_LIMIT);
  for (const user of pointing) {
    if (
      user.emailVerificationTime !== undefined &&
      normalizeEmail(user.email) === row.email
    ) {
      await consider(user);
    }
  }
  // 2. Exactly one: its own pairing decision (which sees every other claim)
  //    links the row, or records why not.
  const found = [...owners.values()];
  const [only] = found;
  if (found.length === 1 && only !== undefined) {
    const result = await ensurePair(
      ctx,
      only.user,
      {},
      {
        ...options,
        read: only.read,
        create: false,
      },
    );
    return followed(result, row, changes);
  }
  if (found.length === 0) return legacy ? pending : await orphaned();
  changes.push(
    ...(await recordReview(
      ctx,
      {
        kind: "ambiguous_email",
        authUserIds: [row._id],
        email: row.email,
        detail: `Several users without a counterpart (${found.map((o) => o.user._id).join(", ")}) have this row's verified email; none was linked.`,
      },
      options,
    )),
  );
  return { outcome: "conflict", userId: null, authUserId: row._id, changes };
}

/** The result for `row` of a pairing decided from its user's side. */
function followed(
  result: SyncResult,
  row: Doc<"auth_users">,
  changes: string[],
): SyncResult {
  const linked = result.authUserId === row._id;
  return {
    outcome: linked ? result.outcome : "conflict",
    userId: linked ? result.userId : null,
    authUserId: row._id,
    changes: [...changes, ...result.changes],
  };
}

const REVIEW_PREFIX = "review ";

/** True when a result's change is a case recorded for review. */
export function isReviewChange(change: string): boolean {
  return change.startsWith(REVIEW_PREFIX);
}

/** The stable key that deduplicates reports of one case. */
export function reviewKey(
  kind: ReviewKind,
  userId: string | undefined,
  authUserIds: readonly string[],
): string {
  return [kind, userId ?? "-", ...[...authUserIds].sort()].join(":");
}

/**
 * Records a case for an operator (see the README's troubleshooting section)
 * and returns its description. Reporting the same case again writes nothing.
 *
 * @example await recordReview(ctx, { kind, userId, authUserIds, detail }, { now });
 */
export async function recordReview(
  ctx: MutationCtx,
  review: {
    kind: ReviewKind;
    userId?: Id<"users">;
    authUserIds: Id<"auth_users">[];
    email?: string;
    detail: string;
  },
  options: SyncOptions,
): Promise<string[]> {
  const description = `${REVIEW_PREFIX}${review.kind}: ${review.detail}`;
  const key = reviewKey(review.kind, review.userId, review.authUserIds);
  const existing = await ctx.db
    .query("sync_reviews")
    .withIndex("by_key", (q) => q.eq("key", key))
    .first();
  if (existing !== null || options.dryRun) return [description];
  await ctx.db.insert("sync_reviews", {
    kind: review.kind,
    key,
    user_id: review.userId,
    auth_user_ids: review.authUserIds,
    email: review.email,
    detail: review.detail,
    first_seen_at: options.now,
  });
  return [description];
}
