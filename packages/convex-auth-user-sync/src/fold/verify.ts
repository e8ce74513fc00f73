/**
 * The fold's verify phase (stage writes_stopped -> verified): before the
 * app table is retired, a run proves that `users` holds everything it
 * holds. Each row must be in a pair both sides agree on, and each of its
 * values must equal its home on `users`, unless that home was written
 * since writes stopped (then `users` is newer by right). Each
 * document of a declared reference must name an existing user. Anything
 * else is a case, and holds the stage back. The run writes nothing but
 * cases; retire.ts checks each row again with the same `checkRow`.
 */
import type { GenericId } from "convex/values";
import type { AnyDoc, Shape } from "../declaration.js";
import { getDoc } from "../db.js";
import { fieldMap } from "../policy.js";
import type { MutationCtx } from "../sessions.js";
import {
  findPairedUser,
  type ReadCtx,
  recordReview,
  type SyncOptions,
  type SyncResult,
} from "../steps.js";
import { documentPhase } from "./documentPhase.js";
import { writesStoppedAt } from "./state.js";

type Reference = { table: string; field: string; index: string };

/** What the check of one row found. */
export type RowCheck =
  | { ok: true; user: AnyDoc; note: string | null }
  | { ok: false; userId: string | undefined; problem: string };

/**
 * The time writes stopped, read once per page: a page's steps share their
 * context's `db` (runs/budget.ts recordingWrites makes one per page), and
 * the time does not change while the fold is at writes_stopped or later.
 */
const stoppedAtOf = new WeakMap<object, Promise<number | undefined>>();
function stoppedAt(ctx: ReadCtx): Promise<number | undefined> {
  let time = stoppedAtOf.get(ctx.db);
  if (time === undefined) {
    time = writesStoppedAt(ctx as never);
    stoppedAtOf.set(ctx.db, time);
  }
  return time;
}

/**
 * Whether `users` holds everything `row` holds: the row is in a pair both
 * sides agree on (a placeholder's row is too), has no field without a home,
 * and each field equals its home, but where single-table mode wrote that
 * home after writes stopped (`users.foldWrittenAt`: the value there is the
 * one now), and for an `owner: "latest"` time, where the later value on
 * `users` is right. Reads the user, and the fold record once per page.
 */
export async function checkRow(
  ctx: ReadCtx,
  shape: Shape,
  row: AnyDoc,
): Promise<RowCheck> {
  const homes = shape.fold?.homes ?? new Map<string, string>();
  const named = row[shape.appRef] as string | undefined;
  // 1. A pair both sides agree on.
  const user = await findPairedUser(ctx, shape, row);
  if (user === null) {
    return {
      ok: false,
      userId: named,
      problem:
        named === undefined
          ? "names no user"
          : `names users ${named}, which does not exist or does not name it back`,
    };
  }
  // 2. No value without a home: retiring the row would lose it.
  const homeless = Object.keys(row).filter(
    (field) =>
      !field.startsWith("_") &&
      field !== shape.appRef &&
      !homes.has(field) &&
      shape.fold?.derived.has(field) !== true,
  );
  if (homeless.length > 0) {
    return {
      ok: false,
      userId: named,
      problem: `holds ${homeless.sort().join(", ")}, with no home on users (declare one in fold.fields)`,
    };
  }
  // 3. Each value equals its home, unless single-table mode wrote that
  //    home since writes stopped (the person's edit, a login, a status an
  //    operator set: the value on users is the one now). Only that home:
  //    a change of one field exempts no other (found by review).
  const stopped = await stoppedAt(ctx);
  const written = (user.foldWrittenAt ?? {}) as Record<string, number>;
  const since = (home: string) =>
    stopped !== undefined &&
    written[home] !== undefined &&
    written[home] >= stopped;
  const latest = new Set(
    fieldMap(shape)
      .filter((pair) => pair.owner === "latest")
      .map((pair) => pair.app),
  );
  const differing: string[] = [];
  const changed: string[] = [];
  for (const [app, home] of homes) {
    const rowValue = row[app];
    const userValue = user[home];
    const same = latest.has(app)
      ? rowValue === undefined ||
        (typeof rowValue === "number" &&
          typeof userValue === "number" &&
          userValue >= rowValue)
      : rowValue === userValue;
    if (same) continue;
    if (since(home)) changed.push(app);
    else differing.push(app);
  }
  if (differing.length > 0) {
    return {
      ok: false,
      userId: user._id,
      problem: `differs from its home on users ${user._id} in ${differing.sort().join(", ")}, which did not change since writes stopped`,
    };
  }
  if (changed.length > 0) {
    return {
      ok: true,
      user,
      note: `users ${user._id} changed ${changed.sort().join(", ")} after writes stopped: the values on users are the ones now, not compared with ${shape.table} ${row._id}`,
    };
  }
  return { ok: true, user, note: null };
}

/** Records a row that failed its check; the step's result. */
export async function rowCase(
  ctx: MutationCtx,
  shape: Shape,
  row: AnyDoc,
  check: Extract<RowCheck, { ok: false }>,
  what: string,
  options: SyncOptions,
): Promise<SyncResult> {
  const changes = await recordReview(
    ctx,
    {
      kind: "reference_conflict",
      userId: check.userId,
      rowIds: [row._id],
      detail: `The fold cannot ${what} ${shape.table} ${row._id}: it ${check.problem}. Fix the row or its user (a profile edit stamps updatedAt), then dismiss this case and start the phase again.`,
    },
    options,
  );
  return { outcome: "conflict", userId: null, rowId: row._id, changes };
}

/** One row's step of the verify run: its check, or a case. */
export async function verifyRow(
  ctx: MutationCtx,
  shape: Shape,
  row: AnyDoc,
  options: SyncOptions,
): Promise<SyncResult> {
  const check = await checkRow(ctx, shape, row);
  if (!check.ok)
    return await rowCase(ctx, shape, row, check, "verify", options);
  return {
    outcome: "unchanged",
    userId: check.user._id as GenericId<"users">,
    rowId: row._id,
    changes: check.note === null ? [] : [check.note],
  };
}

/**
 * One referencing document's step: it names an existing user, or holds
 * nothing (an optional reference), or it is a case.
 */
export async function verifyReference(
  ctx: MutationCtx,
  shape: Shape,
  reference: Reference,
  doc: AnyDoc,
  options: SyncOptions,
): Promise<SyncResult> {
  const result = (
    outcome: SyncResult["outcome"],
    changes: string[],
  ): SyncResult => ({ outcome, userId: null, rowId: null, changes });
  const value = doc[reference.field];
  if (value === undefined) return result("unchanged", []);
  const userId =
    typeof value === "string" ? ctx.db.normalizeId("users", value) : null;
  const user = userId === null ? null : await getDoc(ctx, "users", userId);
  if (user !== null) return result("unchanged", []);
  const rowId =
    typeof value === "string" ? ctx.db.normalizeId(shape.table, value) : null;
  const changes = await recordReview(
    ctx,
    {
      kind: "reference_conflict",
      userId: userId ?? undefined,
      rowIds: rowId === null ? [] : [rowId],
      detail: `The fold cannot verify ${reference.table} ${doc._id}.${reference.field}: it ${
        userId !== null
          ? `names users ${userId}, which does not exist`
          : rowId !== null
            ? `still names ${shape.table} ${rowId} (run the re-point, or resolve its case)`
            : `holds ${JSON.stringify(value)}, no users id`
      }.`,
    },
    options,
  );
  return result("conflict", changes);
}

/** The verify phase: over every row of the app table. */
export function verifyPhase(shape: Shape) {
  return documentPhase({
    stream: { table: shape.table, index: "by_creation_time", prefix: {} },
    step: (ctx, row, options) => verifyRow(ctx, shape, row, options),
    blame: (row) => ({ rowIds: [row._id], what: `${shape.table} row` }),
  });
}

/** The verify phase of one declared reference: over its table. */
export function verifyReferencePhase(shape: Shape, reference: Reference) {
  return documentPhase({
    stream: { table: reference.table, index: "by_creation_time", prefix: {} },
    step: (ctx, doc, options) =>
      verifyReference(ctx, shape, reference, doc, options),
    blame: () => ({ rowIds: [], what: `${reference.table} document` }),
  });
}
