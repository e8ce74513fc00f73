/**
 * Database steps shared by every sync path: finding a user's counterpart,
 * linking or creating it, applying a planned pair of patches and recording
 * cases for review. Decisions come from convex/syncPolicy.ts.
 */
import type { Doc, Id } from "./_generated/dataModel";
import type { MutationCtx, QueryCtx } from "./_generated/server";
import {
  type AuthUserSide,
  type PairPlan,
  type UserSide,
  decideLink,
  linkLegacyRow,
  normalizeEmail,
  planPairSync,
} from "./syncPolicy";
import type { ReviewKind } from "./validators";

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

export type EnsureResult = {
  authUser: Doc<"auth_users">;
  outcome: "existing" | "linked" | "created";
  plan: PairPlan;
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
 * @example const { authUser } = await ensurePair(ctx, user, {}, Date.now());
 */
export async function ensurePair(
  ctx: MutationCtx,
  user: Doc<"users">,
  edits: Partial<AuthUserSide>,
  now: number,
): Promise<EnsureResult> {
  // 1. Existing counterpart.
  const existing = await findCounterpart(ctx, user);
  if (existing !== null) {
    const plan = planPairSync(user, { ...existing, ...edits }, existing, now);
    await applyPairPlan(ctx, user._id, existing._id, plan);
    return {
      authUser: { ...existing, ...plan.authUsersPatch },
      outcome: "existing",
      plan,
    };
  }
  if (user.auth_user_id !== undefined) {
    await noteBrokenReference(ctx, user, user.auth_user_id, now);
  }

  // 2. Link an unlinked row by email.
  const email = normalizeEmail(user.email);
  const candidates = email ? await unlinkedRowsWithEmail(ctx, email) : [];
  const decision = decideLink(user, candidates);
  if (decision.action === "link") {
    const legacy = candidates.find((row) => row._id === decision.authUserId)!;
    const linked = linkLegacyRow({ ...legacy, ...edits });
    const plan = planPairSync(user, linked, legacy, now);
    await applyPairPlan(ctx, user._id, legacy._id, plan);
    return {
      authUser: { ...legacy, ...plan.authUsersPatch },
      outcome: "linked",
      plan,
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
  const fields = { ...draft, ...plan.authUsersPatch } as AuthUserSide;
  const authUserId = await ctx.db.insert("auth_users", fields);
  await ctx.db.patch("users", user._id, {
    ...plan.usersPatch,
    auth_user_id: authUserId,
  });
  if (decision.review !== undefined) {
    await recordReview(ctx, {
      kind: decision.review,
      userId: user._id,
      authUserIds: [authUserId, ...candidates.map((row) => row._id)],
      email,
      detail:
        decision.review === "ambiguous_email"
          ? "Several unlinked auth_users rows share this verified email; none was linked."
          : "This user's email is unverified and matches an unlinked auth_users row; it was not linked.",
      now,
    });
  }
  const created = await ctx.db.get("auth_users", authUserId);
  if (created === null) throw new Error(`auth_users ${authUserId} vanished`);
  return { authUser: created, outcome: "created", plan };
}

async function noteBrokenReference(
  ctx: MutationCtx,
  user: Doc<"users">,
  authUserId: Id<"auth_users">,
  now: number,
): Promise<void> {
  const target = await ctx.db.get("auth_users", authUserId);
  // A dangling reference (row deleted) is simply repaired by linking anew.
  if (target === null) return;
  await recordReview(ctx, {
    kind: "reference_conflict",
    userId: user._id,
    authUserIds: [authUserId],
    email: normalizeEmail(user.email),
    detail: `users.auth_user_id points at a row linked to ${target.convex_user_id}; the user was paired with another row.`,
    now,
  });
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
 * Records a case for an operator (see the README's troubleshooting section).
 * Reporting the same case again only moves `last_seen_at`.
 */
export async function recordReview(
  ctx: MutationCtx,
  review: {
    kind: ReviewKind;
    userId?: Id<"users">;
    authUserIds: Id<"auth_users">[];
    email?: string;
    detail: string;
    now: number;
  },
): Promise<void> {
  const key = reviewKey(review.kind, review.userId, review.authUserIds);
  const existing = await ctx.db
    .query("sync_reviews")
    .withIndex("by_key", (q) => q.eq("key", key))
    .first();
  if (existing !== null) {
    await ctx.db.patch("sync_reviews", existing._id, {
      last_seen_at: review.now,
    });
    return;
  }
  await ctx.db.insert("sync_reviews", {
    kind: review.kind,
    key,
    user_id: review.userId,
    auth_user_ids: review.authUserIds,
    email: review.email,
    detail: review.detail,
    first_seen_at: review.now,
    last_seen_at: review.now,
  });
}

export type { UserSide };
