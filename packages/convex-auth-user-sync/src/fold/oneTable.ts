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
import { isPlaceholder } from "../placeholder.js";
import { writeRowFromUser } from "./rowsFromUsers.js";
import { singleTable } from "./state.js";
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
 * Writes a user in single-table mode: every single-table write of a user
 * (ensureOneTable, a status an operator sets, a suspension's cascade) goes
 * through here.
 * - Each home written (or `changed` by an app write before it) gets its
 *   time in `foldWrittenAt`: verify exempts a row's value only where the
 *   home changed after writes stopped (found by review: a user stamped for
 *   any change exempted every field, and retire lost what users lacked).
 * - Catching up: while a stop_writes rollback's run is under way, the
 *   user's row is rewritten from `users` too (the rows_from_users step), so
 *   the flip back to two tables at the run's end loses nothing written
 *   meanwhile (found by review). `catchingUp` is read when not given.
 * Returns the user as written.
 */
export async function writeUser(
  ctx: MutationCtx,
  shape: Shape,
  user: AnyDoc,
  patch: Record<string, Value | undefined>,
  options: { now: number; catchingUp?: boolean; changed?: readonly string[] },
): Promise<AnyDoc> {
  const homes = new Set(foldOf(shape).homes.values());
  const written = [...Object.keys(patch), ...(options.changed ?? [])].filter(
    (field) => homes.has(field),
  );
  const full: Record<string, Value | undefined> = { ...patch };
  if (written.length > 0) {
    const times = { ...((user.foldWrittenAt ?? {}) as Record<string, number>) };
    for (const field of written) times[field] = options.now;
    full.foldWrittenAt = times;
  }
  if (Object.keys(full).length === 0) return user;
  await patchDoc(ctx, "users", user._id, full);
  const after: AnyDoc = { ...user, ...full };
  for (const [field, value] of Object.entries(full)) {
    if (value === undefined) delete after[field];
  }
  const catchingUp = options.catchingUp ?? (await singleTable(ctx)).catchingUp;
  if (catchingUp) {
    await writeRowFromUser(ctx, shape, after, { now: options.now });
  }
  return after;
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
    /** A stop_writes rollback's run is under way (see writeUser). */
    catchingUp?: boolean;
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

  // 3. The write. An app write's own changes to homes count as written
  //    now too (the trigger sees them done already).
  const changed =
    options.before === undefined
      ? []
      : [...foldOf(shape).homes.values()].filter(
          (field) => options.before![field] !== user[field],
        );
  let after: AnyDoc = { ...user, ...patch };
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) delete after[field];
  }
  if (options.dryRun !== true) {
    after = await writeUser(ctx, shape, user, patch, {
      now,
      changed,
      catchingUp: options.catchingUp,
    });
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
