/**
 * Database steps shared by every sync path (sign-in, profile update, manual
 * and bulk sync, triggers): finding a user's counterpart, linking or
 * creating it, applying a planned pair of patches and recording cases for
 * review. Every decision comes from policy.ts.
 */
import type { GenericId } from "convex/values";
import {
  byIndex,
  getDoc,
  insertDoc,
  patchDoc,
  type ReadCtx,
  type WriteCtx,
} from "./db.js";
import type { AnyDoc, Shape } from "./declaration.js";
import {
  decidePairing,
  holdsAsNeverPaired,
  isEmptyPlan,
  isTwoWay,
  planLink,
  normalizeEmail,
  type PairingDecision,
  type PairPlan,
  planPairSync,
  type RowSide,
  rowRef,
} from "./policy.js";
import { endSignIns, type MutationCtx } from "./sessions.js";
import { UNCLAIMED, UNCLAIMED_INDEX } from "./tableNames.js";
import type { ReviewKind, SyncOutcome } from "./validators.js";

// Every step module imports these from here.
export { byIndex, getDoc, insertDoc, patchDoc, type ReadCtx, type WriteCtx };

type Id = GenericId<string>;

/** What a user's reference leads to. */
export type PairRead = {
  /** The user's counterpart: a reference both sides agree on. */
  counterpart: AnyDoc | null;
  /** The row the users-side reference names, when it does not name back. */
  pointed: AnyDoc | null;
  /** App-side references only: several rows name the user; none counts. */
  duplicates: AnyDoc[];
};

/**
 * Follows a user's reference and tells a counterpart from a one-sided
 * pointer. With a users-side reference, one `db.get`; with the app side's
 * only, one index range (two rows naming one user are duplicates, and
 * neither is the counterpart).
 *
 * @example const { counterpart, pointed } = await readPair(ctx, shape, user);
 */
export async function readPair(
  ctx: ReadCtx,
  shape: Shape,
  user: AnyDoc,
): Promise<PairRead> {
  const none: PairRead = { counterpart: null, pointed: null, duplicates: [] };
  if (shape.usersRef === undefined) {
    const rows = await byIndex(
      ctx,
      shape.table,
      shape.indexes.appByUser,
      { [shape.appRef]: user._id },
      2,
    );
    if (rows.length === 1) return { ...none, counterpart: rows[0]! };
    return rows.length > 1 ? { ...none, duplicates: rows } : none;
  }
  const pointedId = user[shape.usersRef];
  if (pointedId === undefined) return none;
  const row = await getDoc(ctx, shape.table, pointedId);
  if (row === null) return none;
  return isTwoWay(shape, user as never, row)
    ? { ...none, counterpart: row }
    : { ...none, pointed: row };
}

/**
 * The user an app row is paired with, or null: both sides agree (with the
 * app side's reference only: the row is the one row naming the user).
 */
export async function findPairedUser(
  ctx: ReadCtx,
  shape: Shape,
  row: AnyDoc,
): Promise<AnyDoc | null> {
  const userId = row[shape.appRef];
  if (userId === undefined) return null;
  const user = await getDoc(ctx, "users", userId);
  if (user === null) return null;
  if (shape.usersRef !== undefined) {
    return isTwoWay(shape, user as never, row) ? user : null;
  }
  const { counterpart } = await readPair(ctx, shape, user);
  return counterpart?._id === row._id ? user : null;
}

/** How many claims on one user or row a sync step looks at. */
export const CLAIM_LIMIT = 3;

/** Rows whose app-side reference names this user (a handful at most). */
async function rowsClaiming(
  ctx: ReadCtx,
  shape: Shape,
  userId: unknown,
): Promise<AnyDoc[]> {
  return await byIndex(
    ctx,
    shape.table,
    shape.indexes.appByUser,
    { [shape.appRef]: userId },
    CLAIM_LIMIT,
  );
}

/**
 * Legacy rows with this email key: unlinked rows that no sync has ever
 * paired (the verification mirror absent). A row the sync made for someone,
 * once unlinked by damage, holds that someone's data and is never linked by
 * email alone. Two are enough to tell "exactly one" from "ambiguous".
 */
export async function unlinkedRowsWithEmail(
  ctx: ReadCtx,
  shape: Shape,
  email: string,
  dryRunId?: string,
): Promise<AnyDoc[]> {
  const stored = await byIndex(
    ctx,
    shape.table,
    shape.indexes.appByEmailAndUser,
    {
      [shape.email]: email,
      [shape.appRef]: undefined,
      [shape.emailVerified]: undefined,
    },
    2,
  );
  if (dryRunId === undefined) return stored;
  const planned = await plannedRowsWithEmail(ctx, shape, email, dryRunId, {
    legacy: true,
    limit: 2,
  });
  return withPlanned(shape, stored, planned, 2);
}

/**
 * In a dry run, the unlinked rows its first phase would give this email key
 * (their stored email is not one yet), as they would be: with the key.
 * Legacy rows first, as the app table's email index orders them.
 */
async function plannedRowsWithEmail(
  ctx: ReadCtx,
  shape: Shape,
  email: string,
  dryRunId: string,
  wanted: { legacy: boolean; limit: number },
): Promise<AnyDoc[]> {
  const planned: AnyDoc[] = [];
  for (const legacy of wanted.legacy ? [true] : [true, false]) {
    const left = wanted.limit - planned.length;
    if (left <= 0) break;
    planned.push(
      ...(await byIndex(
        ctx,
        "sync_run_planned_keys",
        "by_run_id_and_email_and_legacy",
        { run_id: dryRunId, email, legacy },
        left,
      )),
    );
  }
  const rows: AnyDoc[] = [];
  for (const { row_id } of planned) {
    const row = await getDoc(ctx, shape.table, row_id);
    if (row !== null && row[shape.appRef] === undefined) {
      rows.push({ ...row, [shape.email]: email });
    }
  }
  return rows;
}

/**
 * Rows as the email index would list them had the planned keys been
 * written: each once, legacy rows (verification mirror absent) first.
 */
function withPlanned(
  shape: Shape,
  stored: AnyDoc[],
  planned: AnyDoc[],
  limit: number,
): AnyDoc[] {
  const seen = new Set(stored.map((row) => row._id));
  const all = [...stored, ...planned.filter((row) => !seen.has(row._id))];
  const legacy = (row: AnyDoc) => row[shape.emailVerified] === undefined;
  return [...all.filter(legacy), ...all.filter((row) => !legacy(row))].slice(
    0,
    limit,
  );
}

/**
 * Every unlinked row with this email key, in one index range: legacy rows
 * (never paired) first, as the index orders the verification mirror absent
 * before false and true, then rows a sync once paired (damage took their
 * references), which are never linked by email and are shown to a person.
 */
async function unlinkedRowsByEmail(
  ctx: ReadCtx,
  shape: Shape,
  email: string,
  dryRunId?: string,
): Promise<{ legacy: AnyDoc[]; orphaned: AnyDoc[] }> {
  const limit = 2 + CLAIM_LIMIT;
  let rows = await byIndex(
    ctx,
    shape.table,
    shape.indexes.appByEmailAndUser,
    { [shape.email]: email, [shape.appRef]: undefined },
    limit,
  );
  if (dryRunId !== undefined) {
    const planned = await plannedRowsWithEmail(ctx, shape, email, dryRunId, {
      legacy: false,
      limit,
    });
    rows = withPlanned(shape, rows, planned, limit);
  }
  return {
    legacy: rows.filter((row) => row[shape.emailVerified] === undefined),
    orphaned: rows.filter((row) => row[shape.emailVerified] !== undefined),
  };
}

/**
 * Users whose provider verified exactly this address, straight from the
 * index (unverified claims to it are never in the way). `users.email` holds
 * what the provider sent, so a user whose provider sent other letter case is
 * found from its own side instead (its sign-in, or a run's users phase).
 * With `signedIn`, only users who completed a sign-in count: a sign-in
 * started and never completed (or refused, a suspension) owns nothing and
 * competes for nothing, however many there are.
 */
export async function verifiedUsersWithEmail(
  ctx: ReadCtx,
  shape: Shape,
  email: string,
  limit: number,
  options: { signedIn?: boolean } = {},
): Promise<AnyDoc[]> {
  const verified = ctx.db.query("users").withIndex(
    shape.indexes.usersByEmailVerified,
    (q) =>
      (
        q.eq("email", email) as unknown as {
          gt: (field: string, value: number) => unknown;
        }
      ).gt("emailVerificationTime", 0) as never,
  );
  if (options.signedIn !== true) {
    return (await verified.take(limit)) as AnyDoc[];
  }
  const users: AnyDoc[] = [];
  if (limit <= 0) return users;
  for await (const user of verified as AsyncIterable<AnyDoc>) {
    if (user.pendingFirstSignIn === true) continue;
    users.push(user);
    if (users.length >= limit) break;
  }
  return users;
}

/**
 * Gathers what decides a user without a counterpart (the row it points at,
 * rows that claim it, legacy rows with its email) and weighs it with
 * decidePairing. Shared by the sync and the lookups, so a lookup never joins
 * what a sync would not link. Two index ranges.
 */
export async function weighUser(
  ctx: ReadCtx,
  shape: Shape,
  user: AnyDoc,
  read: PairRead,
  dryRunId?: string,
): Promise<{
  decision: PairingDecision;
  rows: AnyDoc[];
  orphaned: AnyDoc[];
  /** Rows a person kept apart from this user. */
  separated: Set<string>;
}> {
  const emailKey = normalizeEmail(user.email);
  // With the app side's reference only, a row naming the user is its
  // counterpart or a duplicate (read.duplicates): never a mere claim.
  const claimants =
    shape.usersRef === undefined
      ? []
      : await rowsClaiming(ctx, shape, user._id);
  const unlinked = emailKey
    ? await unlinkedRowsByEmail(ctx, shape, emailKey, dryRunId)
    : { legacy: [], orphaned: [] };
  const { orphaned } = unlinked;
  const seen = [...claimants, ...unlinked.legacy, ...orphaned];
  if (read.pointed !== null) seen.push(read.pointed);
  const separated = await separatedFrom(
    ctx,
    user._id,
    seen.map((row) => row._id),
  );
  // Two legacy rows a person has not kept apart are enough to tell "exactly
  // one" from "ambiguous".
  const legacy = unlinked.legacy
    .filter((row) => !separated.has(row._id))
    .slice(0, 2);
  const rows = [...claimants, ...legacy];
  if (read.pointed !== null) rows.push(read.pointed);
  // Another user who also verified this address and completed a sign-in,
  // paired or not (found by review: the users side linked the legacy row to
  // whichever user came first, while the row side called it ambiguous; a
  // sign-in never completed or refused owns nothing). Read only when a legacy
  // row is in play for a verified user: one index range, on a first link.
  const verified = user.emailVerificationTime !== undefined;
  let otherVerifiedOwners = 0;
  const legacyInPlay =
    legacy.length > 0 ||
    (read.pointed !== null && read.pointed[shape.appRef] === undefined);
  if (verified && emailKey !== undefined && legacyInPlay) {
    const owners = await verifiedUsersWithEmail(ctx, shape, emailKey, 2, {
      signedIn: true,
    });
    otherVerifiedOwners = owners.filter(
      (other) => other._id !== user._id,
    ).length;
  }
  const decision = decidePairing({
    userId: user._id as GenericId<"users">,
    emailKey,
    verified,
    otherVerifiedOwners,
    pointed: read.pointed === null ? null : rowRef(shape, read.pointed),
    claimants: claimants.map((row) => rowRef(shape, row)),
    unlinkedWithEmail: legacy.map((row) => rowRef(shape, row)),
    separated,
  });
  return { decision, rows, orphaned, separated };
}

/** Keep-separate markers of one user read in one index range. */
const SEPARATIONS_READ = 50;

/**
 * Which of these rows a person decided are not this user's (keep-separate
 * resolutions, `sync_separations`): one index range over the user's
 * markers, none at all for a user with nothing to weigh (a returning or
 * brand-new user). A user with more markers than one range reads has each
 * row looked up instead, so none is ever missed.
 */
export async function separatedFrom(
  ctx: ReadCtx,
  userId: unknown,
  rowIds: readonly unknown[],
): Promise<Set<string>> {
  const wanted = new Set(rowIds as string[]);
  const separated = new Set<string>();
  if (wanted.size === 0) return separated;
  const markers = await byIndex(
    ctx,
    "sync_separations",
    "by_user_id_and_row_id",
    { user_id: userId },
    SEPARATIONS_READ,
  );
  if (markers.length < SEPARATIONS_READ) {
    for (const marker of markers) {
      if (wanted.has(marker.row_id as string)) {
        separated.add(marker.row_id as string);
      }
    }
    return separated;
  }
  for (const rowId of wanted) {
    const [marker] = await byIndex(
      ctx,
      "sync_separations",
      "by_user_id_and_row_id",
      { user_id: userId, row_id: rowId },
      1,
    );
    if (marker !== undefined) separated.add(rowId);
  }
  return separated;
}

export type SyncOptions = {
  now: number;
  /** Plan and describe every write, perform none. */
  dryRun?: boolean;
  /**
   * For an unlinked row: normalize its email and clear what dangles, but
   * link nothing. A bulk run's first phase, while other rows' emails are
   * still being normalized: a twin not yet normalized would be invisible
   * to a link by email (found by review), so the users decide afterwards.
   */
  normalizeOnly?: boolean;
  /**
   * A dry run's id: its first phase records the email keys it would give
   * rows, and its lookups by email find those rows by them (found by
   * review: nothing is written, so the users saw the keys as they were).
   */
  dryRunId?: string;
};

/** What one sync step did (or, in a dry run, would do). */
export type SyncResult = {
  outcome: SyncOutcome;
  userId: GenericId<"users"> | null;
  rowId: Id | null;
  /** Human-readable descriptions of each write, for run records and logs. */
  changes: string[];
};

function describePlan(
  shape: Shape,
  userId: unknown,
  rowId: unknown,
  plan: PairPlan,
): string[] {
  const changes: string[] = [];
  const rowKeys = Object.keys(plan.rowPatch);
  const userKeys = Object.keys(plan.usersPatch);
  if (rowKeys.length > 0) {
    changes.push(
      `${shape.table} ${String(rowId)}: set ${rowKeys.sort().join(", ")}`,
    );
  }
  if (userKeys.length > 0) {
    changes.push(`users ${String(userId)}: set ${userKeys.sort().join(", ")}`);
  }
  return changes;
}

/** Writes a plan's patches; a side with nothing to change is not written. */
export async function applyPairPlan(
  ctx: WriteCtx,
  shape: Shape,
  userId: unknown,
  rowId: unknown,
  plan: PairPlan,
): Promise<void> {
  if (Object.keys(plan.rowPatch).length > 0) {
    await patchDoc(ctx, shape.table, rowId, plan.rowPatch);
  }
  if (Object.keys(plan.usersPatch).length > 0) {
    await patchDoc(ctx, "users", userId, plan.usersPatch);
  }
}

export type EnsureResult = SyncResult & {
  user: AnyDoc;
  /** The row after the sync; null for a dry run that would create it, or a
   * user left pending or in conflict. */
  row: AnyDoc | null;
};

/**
 * Gives a user its counterpart and brings the pair into agreement, in the
 * caller's transaction:
 * 1. a counterpart is synced under the field map;
 * 2. otherwise every pointer and legacy row is weighed by `decidePairing`:
 *    one candidate that the user's verified email proves is linked (a legacy
 *    row keeps its domain fields, and its chosen values stay chosen);
 * 3. otherwise a row of the user's own is created; whatever was not followed
 *    (pointers from either side, unverified or ambiguous matches, rows once
 *    paired that lost their references) is recorded for review, never
 *    guessed at.
 * `edits` are app-row values to apply on the way (a sign-in's login time, a
 * profile update).
 *
 * @example const { row } = await ensurePair(ctx, shape, user, {}, { now: Date.now() });
 */
export async function ensurePair(
  ctx: MutationCtx,
  shape: Shape,
  user: AnyDoc,
  edits: RowSide,
  options: SyncOptions & {
    /** The result of readPair, when the caller already has it. */
    read?: PairRead;
    /**
     * false: link if the decision is to link, but leave a user that would
     * get a row of its own as it is (outcome "pending"). The app table's
     * side of a run uses it: creating is the users side's work.
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
  const result = (
    outcome: SyncOutcome,
    row: AnyDoc | null,
    changes: string[],
    plan?: PairPlan,
  ): EnsureResult => ({
    outcome,
    userId: user._id as GenericId<"users">,
    rowId: row?._id ?? null,
    changes,
    user: { ...user, ...plan?.usersPatch },
    row: row === null ? null : { ...row, ...plan?.rowPatch },
  });

  // 1. The counterpart.
  const read = options.read ?? (await readPair(ctx, shape, user));
  const existing = read.counterpart;
  if (existing !== null) {
    const plan = signInDone(
      planPairSync(
        shape,
        user as never,
        { ...existing, ...edits },
        existing,
        now,
      ),
    );
    if (!dryRun) await applyPairPlan(ctx, shape, user._id, existing._id, plan);
    const changes = describePlan(shape, user._id, existing._id, plan);
    changes.push(
      ...(await noteLegacyMatch(ctx, shape, user, existing, plan, options)),
    );
    return result(
      isEmptyPlan(plan) ? "unchanged" : "repaired",
      existing,
      changes,
      plan,
    );
  }

  // Several rows name the user (app-side references only): none is its
  // counterpart, and another would only add a claim. A person decides.
  if (read.duplicates.length > 0) {
    const changes = await recordReview(
      ctx,
      {
        kind: "duplicate_counterpart",
        userId: user._id,
        rowIds: read.duplicates.map((row) => row._id),
        email: normalizeEmail(user.email),
        detail:
          "Several rows name this user; none was taken as its counterpart.",
      },
      options,
    );
    return result("conflict", null, changes);
  }

  // A sign-in was started, never completed: nothing is due yet.
  if (user.pendingFirstSignIn === true && options.completesSignIn !== true) {
    return result("pending", null, []);
  }

  // 2. Pointers and legacy rows, weighed; what is not followed is recorded.
  const emailKey = normalizeEmail(user.email);
  const { decision, rows, orphaned, separated } = await weighUser(
    ctx,
    shape,
    user,
    read,
    options.dryRunId,
  );
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
    const row = rows.find((candidate) => candidate._id === decision.rowId)!;
    const link = planLink(
      shape,
      user as never,
      { ...row, ...edits },
      row,
      now,
      decision.legacy === true,
    );
    const plan = signInDone(link.plan);
    if (!dryRun) {
      await writeLink(ctx, shape, user._id, row._id, { plan, kept: link.kept });
    }
    changes.push(...describePlan(shape, user._id, row._id, plan));
    if (link.kept !== null) {
      changes.push(suspensionKept(shape, user._id, row._id, link.kept));
    }
    return result(decision.legacy ? "linked" : "repaired", row, changes, plan);
  }

  // 3. A row of the user's own. A row once paired that holds the user's
  //    address (damage took its references) may be the user's old row, or
  //    not: a person decides.
  if (options.create === false) return result("pending", null, changes);
  // A placeholder of the fold (a person who never signed in) whose row is
  // gone is damage: a row of its own, empty, would take the fold's copies
  // of their values with its absent ones (found by review).
  if (user.unclaimed !== undefined) {
    changes.push(
      ...(await recordReview(
        ctx,
        {
          kind: "reference_conflict",
          userId: user._id,
          rowIds: read.pointed === null ? [] : [read.pointed._id],
          detail:
            "The placeholder of a person who never signed in has no row; it was given none. Restore the row, or delete the placeholder.",
        },
        options,
      )),
    );
    return result("conflict", null, changes);
  }
  // A user who proved the address of a person who never signed in, met
  // away from a sign-in (a run, a profile edit): only a sign-in claims a
  // placeholder (fold/claim.ts), so the user gets no row of its own now,
  // which would leave the two apart for good; a case names them, and the
  // user's next sign-in, or a person's link, decides (found by review).
  if (
    shape.fold !== undefined &&
    options.completesSignIn !== true &&
    emailKey !== undefined &&
    user.emailVerificationTime !== undefined
  ) {
    const placeholders = await byIndex(
      ctx,
      "users",
      UNCLAIMED_INDEX,
      { [UNCLAIMED]: emailKey },
      2,
    );
    const held: Id[] = [];
    for (const placeholder of placeholders) {
      const row = (await readPair(ctx, shape, placeholder)).counterpart;
      // Its row holds the address now, as a row never paired, as the claim
      // and the lookups require: `unclaimed` may lag an edit made past the
      // triggers (found by review).
      if (row !== null && holdsAsNeverPaired(shape, row, emailKey)) {
        held.push(row._id);
      }
    }
    // weighUser's separations cover legacy rows only: a placeholder's row
    // names its placeholder. A row a person kept apart from this user is
    // no longer theirs to wait for (found by review: keep_separate on this
    // case left the user without a row).
    const keptApart = await separatedFrom(ctx, user._id, held);
    const heldRows = held.filter((rowId) => !keptApart.has(rowId));
    // A person who closed this very case (dismissed it) decided to leave
    // the two as they are: the user gets a row of its own, as a dismissed
    // case of a legacy row leaves it (found by review: the user stayed
    // without one, each run counted it for review, the queue held nothing).
    const [closed] =
      heldRows.length === 0
        ? []
        : await byIndex(
            ctx,
            "sync_reviews",
            "by_key",
            { key: reviewKey("ambiguous_email", user._id, heldRows) },
            1,
          );
    if (heldRows.length > 0 && closed?.resolved_at === undefined) {
      changes.push(
        ...(await recordReview(
          ctx,
          {
            kind: "ambiguous_email",
            userId: user._id,
            rowIds: heldRows,
            email: emailKey,
            detail:
              "This user verified the address of a person who never signed in (their row is held by a fold placeholder); it got no row of its own. Its next sign-in claims the placeholder under the usual rule, or a person links the two.",
          },
          options,
        )),
      );
      return result("pending", null, changes);
    }
  }
  const orphans = orphaned.filter(
    (row) =>
      !rows.some((seen) => seen._id === row._id) && !separated.has(row._id),
  );
  if (orphans.length > 0) {
    changes.push(
      ...(await recordReview(
        ctx,
        {
          kind: "reference_conflict",
          userId: user._id,
          rowIds: orphans.map((row) => row._id),
          email: emailKey,
          detail:
            "Rows once paired, now linked to nobody, hold this user's address; nothing proves whose they are, so the user got a row of their own.",
        },
        options,
      )),
    );
  }
  const draft: RowSide = {
    ...shape.newRow(now),
    [shape.appRef]: user._id,
    ...(shape.updatedAt !== undefined ? { [shape.updatedAt]: now } : {}),
    ...edits,
  };
  const plan = signInDone(planPairSync(shape, user as never, draft, null, now));
  changes.push(
    `${shape.table}: insert for users ${String(user._id)}`,
    ...describePlan(shape, user._id, "new", { ...plan, rowPatch: {} }),
  );
  if (dryRun)
    return {
      ...result("created", null, changes),
      user: { ...user, ...plan.usersPatch },
    };
  const rowId = await insertDoc(ctx, shape.table, {
    ...draft,
    ...plan.rowPatch,
  });
  const usersPatch =
    shape.usersRef === undefined
      ? plan.usersPatch
      : { ...plan.usersPatch, [shape.usersRef]: rowId };
  if (Object.keys(usersPatch).length > 0) {
    await patchDoc(ctx, "users", user._id, usersPatch);
  }
  const created = await getDoc(ctx, shape.table, rowId);
  if (created === null) throw new Error(`${shape.table} ${rowId} vanished`);
  return {
    outcome: "created",
    userId: user._id as GenericId<"users">,
    rowId,
    changes,
    user: { ...user, ...usersPatch },
    row: created,
  };
}

/**
 * Writes a planned link (see planLink); when the suspension it keeps was the
 * row's, the user is suspended now and its sign-ins end as a suspension
 * ends them.
 */
export async function writeLink(
  ctx: MutationCtx,
  shape: Shape,
  userId: unknown,
  rowId: unknown,
  link: { plan: PairPlan; kept: "user" | "row" | null },
): Promise<void> {
  await applyPairPlan(ctx, shape, userId, rowId, link.plan);
  if (link.kept === "row") {
    await endSignIns(ctx, shape, userId as GenericId<"users">);
  }
}

/** A change's words for a suspension a link kept (see keepSuspension). */
export function suspensionKept(
  shape: Shape,
  userId: unknown,
  rowId: unknown,
  kept: "user" | "row",
): string {
  return kept === "user"
    ? `${shape.table} ${String(rowId)}: suspended, as users ${String(userId)} is (a link keeps a suspension)`
    : `users ${String(userId)}: suspended, as ${shape.table} ${String(rowId)} is (a link keeps a suspension)`;
}

/**
 * A user with a row of their own who now proves an address (a new one, or
 * one verified only now) that an unlinked legacy row holds: two rows of one
 * person, perhaps. The sync does not merge them on its own; a person decides.
 * Costs one index range, only when the address or its verification changes.
 */
async function noteLegacyMatch(
  ctx: WriteCtx,
  shape: Shape,
  user: AnyDoc,
  row: AnyDoc,
  plan: PairPlan,
  options: SyncOptions,
): Promise<string[]> {
  const email = (plan.rowPatch[shape.email] ?? row[shape.email]) as
    string | undefined;
  const verifiedNow =
    plan.rowPatch[shape.email] !== undefined ||
    plan.rowPatch[shape.emailVerified] === true;
  if (!verifiedNow || email === undefined) return [];
  if (user.emailVerificationTime === undefined) return [];
  const found = await unlinkedRowsWithEmail(
    ctx,
    shape,
    email,
    options.dryRunId,
  );
  // The fold's placeholders of people who never signed in, by their rows:
  // a legacy row with a placeholder is no unlinked row, and was missed
  // (found by review).
  if (shape.fold !== undefined) {
    for (const placeholder of await byIndex(
      ctx,
      "users",
      UNCLAIMED_INDEX,
      { [UNCLAIMED]: email },
      2,
    )) {
      const { counterpart } = await readPair(ctx, shape, placeholder);
      if (counterpart !== null) found.push(counterpart);
    }
  }
  if (found.length === 0) return [];
  // A row a person kept apart from this user is no longer a question.
  const separated = await separatedFrom(
    ctx,
    user._id,
    found.map((candidate) => candidate._id),
  );
  const legacy = found.filter((candidate) => !separated.has(candidate._id));
  if (legacy.length === 0) return [];
  return await recordReview(
    ctx,
    {
      kind: "verified_legacy_match",
      userId: user._id,
      rowIds: [row._id, ...legacy.map((candidate) => candidate._id)],
      email,
      detail:
        "A user with a row of their own verified an address that an unlinked legacy row holds; the rows were not merged.",
    },
    options,
  );
}

/**
 * Brings an app row into agreement with its user, starting from the app
 * table's side:
 * 1. a pair is synced under the field map;
 * 2. a row naming a user who has another counterpart is a duplicate,
 *    recorded for review; a row naming a user with no pair at all is weighed
 *    from that user's side (ensurePair, linking only: a row of the user's
 *    own is the users side's to create), where every claim is seen;
 * 3. a dangling reference (user deleted) is cleared, and the row is treated
 *    as unlinked;
 * 4. an unlinked legacy row goes to the one user without a pair whose
 *    provider verified its email, through that user's own pairing decision;
 *    otherwise it stays pending until its owner signs in (Convex Auth alone
 *    creates identities). A row once paired and now unlinked is recorded.
 *
 * `known` is what a caller that read both tables in their shared order
 * already knows (see merge.ts): the user the row names (null: none exists),
 * and whether the row is that user's counterpart, so neither is read again.
 *
 * @example const result = await syncFromRow(ctx, shape, row, { now: Date.now() });
 */
export async function syncFromRow(
  ctx: MutationCtx,
  shape: Shape,
  row: AnyDoc,
  options: SyncOptions,
  known?: { user: AnyDoc | null; counterpart?: boolean },
): Promise<SyncResult> {
  const { now, dryRun = false } = options;
  const changes: string[] = [];

  // 0. Imported rows may hold an email that was never normalized.
  const email = normalizeEmail(row[shape.email]);
  if (email !== row[shape.email]) {
    changes.push(`${shape.table} ${row._id}: set ${shape.email}`);
    if (!dryRun)
      await patchDoc(ctx, shape.table, row._id, { [shape.email]: email });
    else if (
      options.dryRunId !== undefined &&
      options.normalizeOnly === true &&
      email !== undefined
    ) {
      await insertDoc(ctx, "sync_run_planned_keys", {
        run_id: options.dryRunId,
        email,
        legacy: row[shape.emailVerified] === undefined,
        row_id: row._id,
      });
    }
    row = { ...row, [shape.email]: email };
  }

  if (row[shape.appRef] !== undefined) {
    const user =
      known !== undefined
        ? known.user
        : await getDoc(ctx, "users", row[shape.appRef]);
    if (user !== null) {
      // 1. A pair (both sides agree: no second read), or 2. a claim to
      //    weigh. With the app side's reference only, the row must be the one
      //    row naming the user.
      const agrees =
        known?.counterpart === true ||
        (shape.usersRef !== undefined && user[shape.usersRef] === row._id);
      const read = agrees
        ? { counterpart: row, pointed: null, duplicates: [] }
        : await readPair(ctx, shape, user);
      if (read.counterpart?._id === row._id) {
        const plan = planPairSync(shape, user as never, row, row, now);
        if (!dryRun) await applyPairPlan(ctx, shape, user._id, row._id, plan);
        changes.push(...describePlan(shape, user._id, row._id, plan));
        return {
          outcome: changes.length === 0 ? "unchanged" : "repaired",
          userId: user._id as GenericId<"users">,
          rowId: row._id,
          changes,
        };
      }
      return await weighClaim(ctx, shape, user, row, read, changes, options);
    }
    // 3. Dangling: the row goes back to waiting for its owner.
    changes.push(`${shape.table} ${row._id}: clear dangling ${shape.appRef}`);
    if (!dryRun) {
      await patchDoc(ctx, shape.table, row._id, { [shape.appRef]: undefined });
    }
    row = { ...row, [shape.appRef]: undefined };
  }

  // 4. Unlinked.
  return await weighUnlinked(ctx, shape, row, changes, options);
}

/** A row that names a user who is not paired with it. */
async function weighClaim(
  ctx: MutationCtx,
  shape: Shape,
  user: AnyDoc,
  row: AnyDoc,
  read: PairRead,
  changes: string[],
  options: SyncOptions,
): Promise<SyncResult> {
  if (read.counterpart !== null || read.duplicates.length > 0) {
    const others =
      read.counterpart !== null ? [read.counterpart] : read.duplicates;
    changes.push(
      ...(await recordReview(
        ctx,
        {
          kind: "duplicate_counterpart",
          userId: user._id,
          rowIds: [...new Set([...others.map((other) => other._id), row._id])],
          email: normalizeEmail(row[shape.email]),
          detail:
            "Several rows point at this user; only one it agrees with is its counterpart.",
        },
        options,
      )),
    );
    return {
      outcome: "conflict",
      userId: user._id as GenericId<"users">,
      rowId: row._id,
      changes,
    };
  }
  const result = await ensurePair(
    ctx,
    shape,
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
  shape: Shape,
  row: AnyDoc,
  changes: string[],
  options: SyncOptions,
): Promise<SyncResult> {
  const pending: SyncResult = {
    outcome: changes.length > 0 ? "repaired" : "pending",
    userId: null,
    rowId: row._id,
    changes,
  };
  const legacy = row[shape.emailVerified] === undefined;
  const orphaned = async (): Promise<SyncResult> => {
    // A row once paired, now linked to nobody: a person decides.
    changes.push(
      ...(await recordReview(
        ctx,
        {
          kind: "reference_conflict",
          rowIds: [row._id],
          email: row[shape.email] as string | undefined,
          detail:
            "This row was once paired and lost both references; nothing proves whose it is now.",
        },
        options,
      )),
    );
    return { outcome: "conflict", userId: null, rowId: row._id, changes };
  };
  const email = row[shape.email] as string | undefined;
  if (email === undefined) return legacy ? pending : await orphaned();
  if (options.normalizeOnly === true) {
    if (legacy) return pending;
    // A user pointing at it decides in its turn; otherwise nothing can.
    const pointedAt =
      shape.indexes.usersByRef !== undefined &&
      shape.usersRef !== undefined &&
      (
        await byIndex(
          ctx,
          "users",
          shape.indexes.usersByRef,
          { [shape.usersRef]: row._id },
          1,
        )
      ).length > 0;
    return pointedAt ? pending : await orphaned();
  }

  // 1. Users without a pair whose provider verified this address (for a
  //    legacy row), or who point at this row with it.
  const owners = new Map<string, { user: AnyDoc; read: PairRead }>();
  const consider = async (user: AnyDoc) => {
    if (owners.has(user._id)) return;
    // A person decided this row is not the user's.
    if ((await separatedFrom(ctx, user._id, [row._id])).size > 0) return;
    const read = await readPair(ctx, shape, user);
    if (read.counterpart === null && read.duplicates.length === 0) {
      owners.set(user._id, { user, read });
    }
  };
  for (const user of legacy
    ? await verifiedUsersWithEmail(ctx, shape, email, CLAIM_LIMIT, {
        signedIn: true,
      })
    : []) {
    await consider(user);
  }
  if (shape.indexes.usersByRef !== undefined && shape.usersRef !== undefined) {
    const pointing = await byIndex(
      ctx,
      "users",
      shape.indexes.usersByRef,
      { [shape.usersRef]: row._id },
      CLAIM_LIMIT,
    );
    for (const user of pointing) {
      if (
        user.emailVerificationTime !== undefined &&
        normalizeEmail(user.email) === email
      ) {
        await consider(user);
      }
    }
  }

  // 2. Exactly one: its own pairing decision (which sees every other claim)
  //    links the row, or records why not.
  const found = [...owners.values()];
  const [only] = found;
  if (found.length === 1 && only !== undefined) {
    const result = await ensurePair(
      ctx,
      shape,
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
        rowIds: [row._id],
        email,
        detail: `Several users without a counterpart (${found.map((o) => String(o.user._id)).join(", ")}) have this row's verified email; none was linked.`,
      },
      options,
    )),
  );
  return { outcome: "conflict", userId: null, rowId: row._id, changes };
}

/** The result for `row` of a pairing decided from its user's side. */
function followed(
  result: SyncResult,
  row: AnyDoc,
  changes: string[],
): SyncResult {
  const linked = result.rowId === row._id;
  return {
    outcome: linked ? result.outcome : "conflict",
    userId: linked ? result.userId : null,
    rowId: row._id,
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
  rowIds: readonly string[],
): string {
  return [kind, userId ?? "-", ...[...rowIds].sort()].join(":");
}

/**
 * Records a case for an operator and returns its description. Reporting the
 * same case again writes nothing.
 *
 * @example await recordReview(ctx, { kind, userId, rowIds, detail }, { now });
 */
export async function recordReview(
  ctx: WriteCtx,
  review: {
    kind: ReviewKind;
    userId?: unknown;
    rowIds: Id[];
    email?: string;
    detail: string;
  },
  options: SyncOptions,
): Promise<string[]> {
  const description = `${REVIEW_PREFIX}${review.kind}: ${review.detail}`;
  const userId = review.userId as string | undefined;
  const key = reviewKey(review.kind, userId, review.rowIds);
  const [existing] = await byIndex(ctx, "sync_reviews", "by_key", { key }, 1);
  if (existing !== undefined || options.dryRun) return [description];
  await insertDoc(ctx, "sync_reviews", {
    kind: review.kind,
    key,
    user_id: userId,
    row_ids: review.rowIds,
    email: review.email,
    detail: review.detail,
    first_seen_at: options.now,
  });
  return [description];
}
