/**
 * A person's decision to keep two accounts apart (a keep-separate
 * resolution), as every path that reaches past one account asks it: the
 * suspension's cascade, its check at sign-in, and single-table mode's.
 */
import type { ReadCtx } from "./db.js";
import { separatedFrom } from "./steps.js";

/**
 * One account, as a keep-separate marker may name it: its user and the rows
 * that stand for it (the row in hand, and the user's counterpart when that
 * is another row: a one-sided row must not carry a decision past it).
 */
export type Side = { userId: unknown; rowIds: readonly unknown[] };

/**
 * Whether a person kept two accounts apart (a keep-separate resolution):
 * a marker between either's user and a row of the other, whichever way the
 * case named them (found by review: a marker made from the other side, or
 * on the counterpart of a user a one-sided row names, was missed, and a
 * person kept apart was suspended with the other).
 */
export async function keptApart(
  ctx: ReadCtx,
  a: Side,
  b: Side,
): Promise<boolean> {
  for (const [user, rows] of [
    [a.userId, b.rowIds],
    [b.userId, a.rowIds],
  ] as const) {
    if (user === undefined || user === null) continue;
    const named = rows.filter((row) => row !== undefined && row !== null);
    if (named.length === 0) continue;
    if ((await separatedFrom(ctx, user, named)).size > 0) return true;
  }
  return false;
}
