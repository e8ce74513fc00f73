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
  type UserSide,
  decideLink,
  isEmptyPlan,
  linkLegacyRow,
  normalizeEmail,
  planPairSync,
} from "./syncPolicy";
import type { ReviewKind, SyncOutcome } from "./validators";

/**
 * The auth_users row paired with a user, following `users.auth_user_id` first
 * and the reverse index second (a one-sided or dangling reference still finds
 * the right row). A row that is linked to a different user is never taken.
 * Costs one `db.get` when the pair is intact.
 *
 * @example const authUser = await findCounterpart(ctx, user);
 */
export async function findCounterpart(
  ctx: QueryCtx,
  user: Pick<Doc<"users">, "_id" | "auth_user_id">,
): Promise<Doc<"auth_users"> | null> {
  if (user.auth_user_id !== undefined) {
    const referenced = await ctx.db.get("auth_users", user.auth_user_id);
    if (
      referenced !== null &&
      (referenced.convex_user_id === undefined ||
        referenced.convex_user_id === user._id)
    ) {
      return referenced;
    }
  }
  return await ctx.db
    .query("auth_users")
    .withIndex("by_convex_user_id", (q) => q.eq("convex_user_id", user._id))
    .first();
}

/**
 * Unlinked auth_users rows with this normalized email; two are enough to
 * tell "exactly one" from "ambiguous".
 */
export async function unlinkedRowsWithEmail(
  ctx: QueryCtx,
  email: string,
): Promise<Doc<"auth_users">[]> {
  return await ctx.db
    .query("auth_users")
    .withIndex("by_email_and_convex_user_id", (q) =>
      q.eq("email", email).eq("convex_user_id", undefined),
    )
    .take(2);
}

/**
 * Users with this exact email whose email is verified and who have no live
 * counterpart yet: the only users an unlinked auth_users row may be linked to.
 * Bounded: looks at a handful of rows with that email.
 */
export async function linkableUsersWithEmail(
  ctx: QueryCtx,
  email: string,
): Promise<Doc<"users">[]> {
  const sameEmail = await ctx.db
    .query("users")
    .withIndex("email", (q) => q.eq("email", email))
    .take(5);
  const linkable: Doc<"users">[] = [];
  for (const user of sameEmail) {
    if (user.emailVerificationTime === undefined) continue;
    if ((await findCounterpart(ctx, user)) === null) linkable.push(user);
  }
  return linkable;
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
 * Links an unlinked auth_users row to a user and syncs the pair; the row's
 * domain fields stay, and its full_name becomes the chosen name.
 */
async function linkRowToUser(
  ctx: MutationCtx,
  user: UserSide,
  row: Doc<"auth_users">,
  edits: Partial<AuthUserSide>,
  options: SyncOptions,
): Promise<PairPlan> {
  const plan = planPairSync(
    user,
    linkLegacyRow({ ...row, ...edits }),
    row,
    options.now,
  );
  if (!options.dryRun) await applyPairPlan(ctx, user._id, row._id, plan);
  return plan;
}

export type EnsureResult = SyncResult & {
  user: Doc<"users">;
  /** The row after the sync; null only for a dry run that would create it. */
  authUser: Doc<"auth_users"> | null;
};

/**
 * Gives a user its auth_users counterpart and brings the pair into agreement,
 * in the caller's transaction:
 * 1. an existing counterpart is reused (references repaired if one-sided);
 * 2. otherwise an unlinked row with the same verified email is linked, keeping
 *    its domain fields and its full_name as the chosen name;
 * 3. otherwise a new row is created; an ambiguous or unverified email match is
 *    recorded for review instead of guessed at.
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
    /** The result of findCounterpart, when the caller already has it. */
    counterpart?: Doc<"auth_users"> | null;
  },
): Promise<EnsureResult> {
  const { now, dryRun = false } = options;

  // 1. Existing counterpart.
  const existing =
    options.counterpart !== undefined
      ? options.counterpart
      : await findCounterpart(ctx, user);
  if (existing !== null) {
    const plan = planPairSync(user, { ...existing, ...edits }, existing, now);
    if (!dryRun) await applyPairPlan(ctx, user._id, existing._id, plan);
    return {
      outcome: isEmptyPlan(plan) ? "unchanged" : "repaired",
      userId: user._id,
      authUserId: existing._id,
      changes: describePlan(user._id, existing._id, plan),
      user: { ...user, ...plan.usersPatch },
      authUser: { ...existing, ...plan.authUsersPatch },
    };
  }
  const changes: string[] = [];
  if (user.auth_user_id !== undefined) {
    changes.push(...(await noteBrokenReference(ctx, user, options)));
  }

  // 2. Link an unlinked row by email.
  const email = normalizeEmail(user.email);
  const candidates = email ? await unlinkedRowsWithEmail(ctx, email) : [];
  const decision = decideLink(user, candidates);
  if (decision.action === "link") {
    const legacy = candidates.find((row) => row._id === decision.authUserId)!;
    const plan = await linkRowToUser(ctx, user, legacy, edits, options);
    return {
      outcome: "linked",
      userId: user._id,
      authUserId: legacy._id,
      changes: [...changes, ...describePlan(user._id, legacy._id, plan)],
      user: { ...user, ...plan.usersPatch },
      authUser: { ...legacy, ...plan.authUsersPatch },
    };
  }

  // 3. Create a row of the user's own.
  const draft: AuthUserSide = {
    convex_user_id: user._id,
    created_at: now,
    updated_at: now,
    ...edits,
  };
  const plan = planPairSync(user, draft, null, now);
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
  if (decision.review !== undefined) {
    changes.push(
      ...(await recordReview(
        ctx,
        {
          kind: decision.review,
          userId: user._id,
          // The rows in question; the user's own new row is not one of them.
          authUserIds: candidates.map((row) => row._id),
          email,
          detail:
            decision.review === "ambiguous_email"
              ? "Several unlinked auth_users rows share this verified email; none was linked."
              : "This user's email is unverified and matches an unlinked auth_users row; it was not linked.",
        },
        options,
      )),
    );
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

async function noteBrokenReference(
  ctx: MutationCtx,
  user: Doc<"users">,
  options: SyncOptions,
): Promise<string[]> {
  const target = await ctx.db.get("auth_users", user.auth_user_id!);
  // A dangling reference (row deleted) is simply repaired by pairing anew.
  if (target === null) return [];
  return await recordReview(
    ctx,
    {
      kind: "reference_conflict",
      userId: user._id,
      authUserIds: [target._id],
      email: normalizeEmail(user.email),
      detail: `users.auth_user_id points at a row linked to ${target.convex_user_id}; the user was paired with another row.`,
    },
    options,
  );
}

/**
 * Brings an auth_users row into agreement with its user, starting from the
 * auth_users side:
 * 1. a live reference: the pair is synced under the field map; if the user
 *    is already paired with another row, the conflict is recorded, not
 *    resolved;
 * 2. a dangling reference (user deleted) is cleared, and the row is treated
 *    as unlinked;
 * 3. an unlinked row is linked to the one user with the same verified email
 *    and no counterpart; otherwise it stays pending until its owner signs in
 *    (Convex Auth alone creates identities).
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

  // 1. Live reference.
  if (authUser.convex_user_id !== undefined) {
    const user = await ctx.db.get("users", authUser.convex_user_id);
    if (user !== null) {
      if (
        user.auth_user_id !== undefined &&
        user.auth_user_id !== authUser._id
      ) {
        const other = await ctx.db.get("auth_users", user.auth_user_id);
        if (other !== null && other.convex_user_id === user._id) {
          return {
            outcome: "conflict",
            userId: user._id,
            authUserId: authUser._id,
            changes: [
              ...changes,
              ...(await recordReview(
                ctx,
                {
                  kind: "duplicate_counterpart",
                  userId: user._id,
                  authUserIds: [other._id, authUser._id],
                  email: authUser.email,
                  detail:
                    "Two auth_users rows point at this user; the one users.auth_user_id names was kept.",
                },
                options,
              )),
            ],
          };
        }
      }
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
    // 2. Dangling: the row goes back to waiting for its owner.
    changes.push(`auth_users ${authUser._id}: clear dangling convex_user_id`);
    if (!dryRun) {
      await ctx.db.patch("auth_users", authUser._id, {
        convex_user_id: undefined,
      });
    }
    authUser = { ...authUser, convex_user_id: undefined };
  }

  // 3. Link by verified email, or wait. Never while another unlinked row
  //    shares the email: which of them is the user's is for a person to say.
  const candidates =
    authUser.email === undefined
      ? []
      : await linkableUsersWithEmail(ctx, authUser.email);
  const [only, second] = candidates;
  const rowsSharingEmail =
    only === undefined ? [] : await unlinkedRowsWithEmail(ctx, authUser.email!);
  if (rowsSharingEmail.length > 1) {
    return {
      outcome: "conflict",
      userId: null,
      authUserId: authUser._id,
      changes: [
        ...changes,
        ...(await recordReview(
          ctx,
          {
            kind: "ambiguous_email",
            userId: only!._id,
            authUserIds: rowsSharingEmail.map((row) => row._id),
            email: authUser.email,
            detail:
              "Several unlinked auth_users rows share this verified email; none was linked.",
          },
          options,
        )),
      ],
    };
  }
  if (only !== undefined && second === undefined) {
    const plan = await linkRowToUser(ctx, only, authUser, {}, options);
    return {
      outcome: "linked",
      userId: only._id,
      authUserId: authUser._id,
      changes: [...changes, ...describePlan(only._id, authUser._id, plan)],
    };
  }
  if (only !== undefined) {
    changes.push(
      ...(await recordReview(
        ctx,
        {
          kind: "ambiguous_email",
          authUserIds: [authUser._id],
          email: authUser.email,
          detail: `Several verified users (${candidates.map((u) => u._id).join(", ")}) share this row's email; none was linked.`,
        },
        options,
      )),
    );
    return {
      outcome: "conflict",
      userId: null,
      authUserId: authUser._id,
      changes,
    };
  }
  return {
    outcome: changes.length > 0 ? "repaired" : "pending",
    userId: null,
    authUserId: authUser._id,
    changes,
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
