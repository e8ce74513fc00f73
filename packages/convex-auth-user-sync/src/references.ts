/**
 * Adopting an app's existing references, once, when an app that kept the
 * reference on its own table alone (`members.userId`) moves to references
 * on both sides. From then on only a reference both sides agree on counts,
 * so the existing ones would count for nothing: every row would become a
 * one-sided claim, and every user would get a new row. This trusts them
 * once, deliberately, as the app trusted them until now: a user that the
 * one row naming it does not yet name back gets that row as its `users`
 * side reference. Anything else (a user named by several rows, a user that
 * already names a row, a row naming nobody) is left to the next run, which
 * records it for a person.
 */
import type { GenericDataModel, GenericMutationCtx } from "convex/server";
import type { Shape } from "./declaration.js";
import { byIndex, getDoc, patchDoc } from "./steps.js";

/** App rows read per transaction: three operations each at most. */
export const ADOPT_PAGE = 100;

/**
 * One page of the app table: returns how many references it adopted, and
 * the cursor of the next page (null when done).
 *
 * @example const { cursor } = await adoptAppReferences(ctx, shape, null);
 */
export async function adoptAppReferences(
  ctx: GenericMutationCtx<GenericDataModel>,
  shape: Shape,
  cursor: string | null,
): Promise<{ adopted: number; cursor: string | null }> {
  const usersRef = shape.usersRef;
  if (usersRef === undefined) {
    throw new Error(
      "adoptAppReferences is for references on both sides: the declaration has no reference.users",
    );
  }
  const page = await ctx.db
    .query(shape.table)
    .paginate({ cursor, numItems: ADOPT_PAGE });
  let adopted = 0;
  for (const row of page.page) {
    const userId = row[shape.appRef];
    if (userId === undefined) continue;
    const user = await getDoc(ctx, "users", userId);
    if (user === null || user[usersRef] !== undefined) continue;
    // The one row naming the user, as the app-side mode would read it.
    const naming = await byIndex(
      ctx,
      shape.table,
      shape.indexes.appByUser,
      { [shape.appRef]: userId },
      2,
    );
    if (naming.length !== 1 || naming[0]!._id !== row._id) continue;
    await patchDoc(ctx, "users", user._id, { [usersRef]: row._id });
    adopted++;
  }
  return { adopted, cursor: page.isDone ? null : page.continueCursor };
}
