/**
 * A person in single-table mode (stage `writes_stopped` on): found on
 * `users` alone, by id or by the address key's home, for the operator and
 * account commands (suspension, deletion, export, findUser). The app table
 * is no longer written; its rows stay, frozen, until the retire phase, and
 * a person's row is read only to be erased or exported with them.
 */
import type { AnyDoc, FoldShape, Shape } from "../declaration.js";
import { appError } from "../errors.js";
import { byIndex, type ReadCtx } from "../db.js";
import { findPairedUser, readPair } from "../steps.js";
import { UNCLAIMED, UNCLAIMED_INDEX } from "../placeholder.js";
import { singleTable } from "./state.js";

/**
 * Whether single-table mode is on (singleTable's `on`), for a step given
 * the database alone (the fold's record is all it reads).
 */
export async function inSingleTable(ctx: ReadCtx): Promise<boolean> {
  return (await singleTable(ctx as Parameters<typeof singleTable>[0])).on;
}

/** The fold's shape, which single-table mode cannot be without. */
export function foldOf(shape: Shape): FoldShape {
  if (shape.fold === undefined) {
    throw new Error("Single-table mode needs the fold declared (fold.fields)");
  }
  return shape.fold;
}

/**
 * The app row a user held before writes stopped, while it still exists:
 * the counterpart both references agree on (with the app side's reference
 * alone, the one row naming the user), as in two-table mode. A row only
 * one side names was never provably the person's, and is not theirs here.
 *
 * @example const row = await frozenRowOf(ctx, shape, user);
 */
export async function frozenRowOf(
  ctx: ReadCtx,
  shape: Shape,
  user: AnyDoc,
): Promise<AnyDoc | null> {
  return (await readPair(ctx, shape, user)).counterpart;
}

/**
 * Every user holding an address key, at most `limit`: its home
 * (`fold.emailKey`, index `fold.usersByEmailKeyStatus`), every spelling and
 * method, and the placeholders of the key (by `unclaimed`, should one lack
 * the home). Two index ranges.
 *
 * @example const { users, more } = await usersWithKey(ctx, shape, "ada@example.com", 20);
 */
export async function usersWithKey(
  ctx: ReadCtx,
  shape: Shape,
  key: string,
  limit: number,
): Promise<{ users: AnyDoc[]; more: boolean }> {
  const fold = foldOf(shape);
  const homed = await byIndex(
    ctx,
    "users",
    fold.usersByEmailKeyStatus,
    { [fold.emailKey]: key },
    limit,
  );
  const placeholders = await byIndex(
    ctx,
    "users",
    UNCLAIMED_INDEX,
    { [UNCLAIMED]: key },
    limit,
  );
  const users = new Map(homed.map((user) => [user._id, user]));
  for (const user of placeholders) users.set(user._id, user);
  return {
    users: [...users.values()],
    more: homed.length === limit || placeholders.length === limit,
  };
}

/**
 * The user an app-row id stands for in single-table mode: the user the
 * frozen row is paired with. A row in no pair names no account; nothing is
 * done to it until the table is retired (CONFLICT).
 */
export async function userOfFrozenRow(
  ctx: ReadCtx,
  shape: Shape,
  row: AnyDoc,
): Promise<AnyDoc> {
  const user = await findPairedUser(ctx, shape, row);
  if (user === null) {
    throw appError(
      "CONFLICT",
      `${shape.table} ${row._id} is in no pair, and the app table is no longer written (single-table mode): it names no account`,
    );
  }
  return user;
}
