/**
 * The fold's third phase: every declared reference to an app-table id (a
 * foreign key in another table) is rewritten to the `users` id of that
 * row's pair; back, to the row's id again. Only a pair both sides agree on
 * is followed: a reference to a row with no user, a dangling id, or a user
 * with no row is left as it is and recorded for a person, and holds the
 * stage back (stages.ts).
 *
 * The referencing field's validator accepts both ids while this runs
 * (`v.union(v.id("<app table>"), v.id("users"))`, see docs/fold.md).
 */
import type { GenericId } from "convex/values";
import type { AnyDoc, Shape } from "../declaration.js";
import { getDoc, patchDoc } from "../db.js";
import type { MutationCtx } from "../sessions.js";
import {
  readPair,
  recordReview,
  type SyncOptions,
  type SyncResult,
} from "../steps.js";
import { documentPhase } from "./documentPhase.js";

type Reference = { table: string; field: string; index: string };

/** The id a reference should hold, or why it cannot be moved. */
async function targetOf(
  ctx: MutationCtx,
  shape: Shape,
  value: string,
  direction: "forward" | "back",
): Promise<
  { id: string } | { problem: string; rowId?: string; userId?: string } | null
> {
  if (direction === "forward") {
    const rowId = ctx.db.normalizeId(shape.table, value);
    if (rowId === null) return null; // a users id already, or foreign
    const row = await getDoc(ctx, shape.table, rowId);
    if (row === null) {
      return {
        problem: `names ${shape.table} ${value}, which does not exist`,
        rowId,
      };
    }
    const user =
      row[shape.appRef] === undefined
        ? null
        : await getDoc(ctx, "users", row[shape.appRef]);
    if (user === null) {
      return {
        problem: `names ${shape.table} ${value}, which has no user yet (run the placeholders phase, or resolve its case)`,
        rowId,
      };
    }
    const { counterpart } = await readPair(ctx, shape, user);
    if (counterpart?._id !== row._id) {
      return {
        problem: `names ${shape.table} ${value}, whose user does not agree it is theirs`,
        rowId,
      };
    }
    return { id: user._id };
  }
  const userId = ctx.db.normalizeId("users", value);
  if (userId === null) return null;
  const user = await getDoc(ctx, "users", userId);
  if (user === null) {
    return { problem: `names users ${value}, which does not exist`, userId };
  }
  const { counterpart } = await readPair(ctx, shape, user);
  if (counterpart === null) {
    return {
      problem: `names users ${value}, which has no ${shape.table} row to point back at`,
      userId,
    };
  }
  return { id: counterpart._id };
}

/** One referencing document's step, either way. */
export async function repointDocument(
  ctx: MutationCtx,
  shape: Shape,
  reference: Reference,
  doc: AnyDoc,
  direction: "forward" | "back",
  options: SyncOptions,
): Promise<SyncResult> {
  const result = (
    outcome: SyncResult["outcome"],
    changes: string[],
  ): SyncResult => ({
    outcome,
    userId: null,
    rowId: null,
    changes,
  });
  const value = doc[reference.field];
  if (typeof value !== "string") return result("unchanged", []);
  const target = await targetOf(ctx, shape, value, direction);
  if (target === null) return result("unchanged", []);
  if ("problem" in target) {
    const changes = await recordReview(
      ctx,
      {
        kind: "reference_conflict",
        userId: target.userId,
        rowIds:
          target.rowId === undefined ? [] : [target.rowId as GenericId<string>],
        detail: `The fold cannot re-point ${reference.table} ${doc._id}.${reference.field}: it ${target.problem}.`,
      },
      options,
    );
    return result("conflict", changes);
  }
  const changes = [
    `${reference.table} ${doc._id}: set ${reference.field} to ${target.id}`,
  ];
  if (options.dryRun !== true) {
    await patchDoc(ctx, reference.table, doc._id, {
      [reference.field]: target.id,
    });
  }
  return result("repaired", changes);
}

/** The re-point of one declared reference, forward or back. */
export function repointPhase(
  shape: Shape,
  reference: Reference,
  direction: "forward" | "back",
) {
  return documentPhase({
    stream: { table: reference.table, index: "by_creation_time", prefix: {} },
    step: (ctx, doc, options) =>
      repointDocument(ctx, shape, reference, doc, direction, options),
    blame: () => ({ rowIds: [], what: `${reference.table} document` }),
  });
}
