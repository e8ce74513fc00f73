/**
 * The fold's last phase (stage verified -> retired): each row of the app
 * table is checked again (verify.ts's `checkRow`: something may have been
 * written past the sync since the verify run), then deleted, and its
 * user's reference to it unset. The row hooks (`onDeleteRow`) are not
 * called: by now the app's data hangs on `users` ids, and the person stays.
 * A row that fails its check is kept, with a case, and holds the stage
 * back. There is no way back (stages.ts): the operator takes an export
 * first, and the command needs `confirm: true`.
 */
import type { GenericId } from "convex/values";
import type { AnyDoc, Shape } from "../declaration.js";
import { patchDoc } from "../db.js";
import type { MutationCtx } from "../sessions.js";
import type { SyncOptions, SyncResult } from "../steps.js";
import { documentPhase } from "./documentPhase.js";
import { checkRow, rowCase } from "./verify.js";

/** One row's step: verified again, then deleted with the user's reference. */
export async function retireRow(
  ctx: MutationCtx,
  shape: Shape,
  row: AnyDoc,
  options: SyncOptions,
): Promise<SyncResult> {
  const check = await checkRow(ctx, shape, row);
  if (!check.ok)
    return await rowCase(ctx, shape, row, check, "retire", options);
  const { user } = check;
  const unsets =
    shape.usersRef !== undefined && user[shape.usersRef] === row._id;
  const changes = [
    `${shape.table} ${row._id}: delete (retired; users ${user._id} holds its values)`,
    ...(unsets ? [`users ${user._id}: clear ${shape.usersRef}`] : []),
  ];
  if (options.dryRun !== true) {
    await ctx.db.delete(shape.table, row._id);
    if (unsets) {
      await patchDoc(ctx, "users", user._id, { [shape.usersRef!]: undefined });
    }
  }
  return {
    outcome: "repaired",
    userId: user._id as GenericId<"users">,
    rowId: row._id,
    changes,
  };
}

/** The retire phase: over every row of the app table. */
export function retirePhase(shape: Shape) {
  return documentPhase({
    stream: { table: shape.table, index: "by_creation_time", prefix: {} },
    step: (ctx, row, options) => retireRow(ctx, shape, row, options),
    blame: (row) => ({ rowIds: [row._id], what: `${shape.table} row` }),
  });
}
