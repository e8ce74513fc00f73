/**
 * Single-table mode's write of a user (stage `writes_stopped` on, see
 * docs/fold.md "4b. Stop writes"): the app table is no longer written, so a
 * sign-in, a profile edit or an app write to `users` is planned by the
 * existing policy against the user's virtual row (virtualRow.ts) and the
 * result written to the fields' homes on `users`, in one patch.
 */
import type { GenericId, Value } from "convex/values";
import { patchDoc } from "../db.js";
import type { AnyDoc, FoldShape, Shape } from "../declaration.js";
import { isEmptyPlan, planPairSync, type RowSide } from "../policy.js";
import type { MutationCtx } from "../sessions.js";
import type { EnsureResult } from "../steps.js";
import { isPlaceholder } from "./marker.js";
import { homesPatch, virtualRow } from "./virtualRow.js";

function foldOf(shape: Shape): FoldShape {
  if (shape.fold === undefined) {
    throw new Error("Single-table mode needs the fold declared (fold.fields)");
  }
  return shape.fold;
}

/**
 * Whether a user was ever given a row's worth of homes: every user the
 * sync paired holds the verification home (true or false, as every paired
 * row holds its mirror); a user whose first sign-in is still to complete,
 * or whose first sign-in's sync failed, holds none, and neither does a
 * placeholder (its row was never paired). A user that names a row (the
 * users-side reference, where the app keeps one) was paired, whatever its
 * homes say: it never claims a placeholder as a first sign-in.
 */
export function neverPaired(shape: Shape, user: AnyDoc): boolean {
  return (
    !isPlaceholder(user) &&
    user[foldOf(shape).emailVerified] === undefined &&
    (shape.usersRef === undefined || user[shape.usersRef] === undefined)
  );
}

/** The virtual row as the planner takes it: without `_id` (see below). */
function plannable(shape: Shape, user: AnyDoc): RowSide {
  // With an `_id`, planPairSync would point users[usersRef] at it: the
  // reference is the app table's bookkeeping, never a home.
  const { _id, _creationTime, ...row } = virtualRow(shape, user);
  void _id;
  void _creationTime;
  return row;
}

/**
 * Writes a user in single-table mode: every write of ensureOneTable goes
 * through here, and only here.
 *
 * CATCHING UP (the lead's to add, see fold/state.ts singleTable): while a
 * stop_writes rollback's run is under way, each write here must ALSO
 * rewrite this user's app row from `users` (the rows_from_users step), so
 * the flip back to two tables at the run's end loses nothing. This is the
 * one place to add it.
 */
export async function writeUser(
  ctx: MutationCtx,
  userId: GenericId<"users">,
  patch: Record<string, Value | undefined>,
): Promise<void> {
  if (Object.keys(patch).length === 0) return;
  await patchDoc(ctx, "users", userId, patch);
}

/**
 * The single-table counterpart of steps.ts `ensurePair`: brings a user's
 * homes into agreement under the field map, with `edits` (app-field
 * values: a sign-in's login time, a profile edit) on the way, in one write
 * of `users` and none of the app table.
 * - A user the sync never paired gets its first homes: `newRow`'s fields
 *   (say `created_at` -> `createdAt`), only at a completed sign-in or on a
 *   path that is not waiting for one (as ensurePair creates a row).
 * - A placeholder is planned as today: its address stays frozen.
 * Returns ensurePair's result, `row` being the virtual row after the write.
 *
 * @example const { row } = await ensureOneTable(ctx, shape, user, { company: "Acme" }, { now: Date.now() });
 */
export async function ensureOneTable(
  ctx: MutationCtx,
  shape: Shape,
  user: AnyDoc,
  edits: RowSide,
  options: {
    now: number;
    completesSignIn?: boolean;
    dryRun?: boolean;
    /**
     * The user as it was before an app write to it (a trigger): the plan
     * is made against its virtual row, so the write counts as the profile
     * edit it is (updatedAt stamped, as a row edit would be).
     */
    before?: AnyDoc;
  },
): Promise<EnsureResult> {
  const { now } = options;
  const userId = user._id as GenericId<"users">;
  // A sign-in was started, never completed: nothing is due yet.
  if (user.pendingFirstSignIn === true && options.completesSignIn !== true) {
    return {
      outcome: "pending",
      userId,
      rowId: null,
      changes: [],
      user,
      row: null,
    };
  }

  // 1. The plan, against the virtual row; a user never paired gets the
  //    fields a new row would have.
  const stored = plannable(shape, options.before ?? user);
  const first = neverPaired(shape, user);
  const fresh: RowSide = first ? { ...shape.newRow(now) } : {};
  for (const field of Object.keys(fresh)) {
    if (stored[field] !== undefined) delete fresh[field];
  }
  const plan = planPairSync(
    shape,
    user as never,
    { ...stored, ...fresh, ...edits },
    stored,
    now,
  );

  // 2. One patch of users: the homes of the row side, and the users side.
  //    They name some fields alike (a fold field, status, the times): the
  //    planner gives both one value, or it is a bug.
  const patch: Record<string, Value | undefined> = {
    ...(plan.usersPatch as Record<string, Value | undefined>),
  };
  for (const [field, value] of Object.entries(
    homesPatch(shape, plan.rowPatch as Record<string, Value | undefined>),
  )) {
    if (field in patch && patch[field] !== value) {
      throw new Error(
        `Single-table plan disagrees on users.${field}: ${JSON.stringify(patch[field])} vs ${JSON.stringify(value)}`,
      );
    }
    patch[field] = value;
  }
  if (
    options.completesSignIn === true &&
    user.pendingFirstSignIn !== undefined
  ) {
    patch.pendingFirstSignIn = undefined;
  }
  // Only what changes is written: a sync that changes nothing writes
  // nothing.
  for (const [field, value] of Object.entries(patch)) {
    if (user[field] === value) delete patch[field];
  }

  // 3. The write.
  if (options.dryRun !== true) await writeUser(ctx, userId, patch);
  // The user as written, with no read: a field patched to undefined is
  // gone.
  const after: AnyDoc = { ...user, ...patch };
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) delete after[field];
  }
  const row = virtualRow(shape, after);
  const fields = Object.keys(patch).sort();
  return {
    outcome: first
      ? "created"
      : isEmptyPlan(plan) || fields.length === 0
        ? "unchanged"
        : "repaired",
    userId,
    rowId: row._id,
    changes:
      fields.length === 0
        ? []
        : [`users ${String(userId)}: set ${fields.join(", ")}`],
    user: after,
    row,
  };
}
