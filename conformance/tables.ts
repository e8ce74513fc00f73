/**
 * Reading an app's tables the way the suite judges them: pairs are worked
 * out here, from the raw references and the declaration's shape, not by
 * asking the library.
 */
import type { GenericDocument } from "convex/server";
import type { Backend, ConformanceApp } from "./app";

export type Row = GenericDocument & { _id: string };

export type Tables = {
  users: Row[];
  rows: Row[];
  accounts: Row[];
  sessions: Row[];
  reviews: Row[];
};

/** Every document the suite looks at (small tables: tests only). */
export async function readTables(
  t: Backend,
  app: ConformanceApp,
): Promise<Tables> {
  const { table } = app.userSync.shape;
  return await t.run(async (ctx) => ({
    users: (await ctx.db.query("users").collect()) as Row[],
    rows: (await ctx.db.query(table).collect()) as Row[],
    accounts: (await ctx.db.query("authAccounts").collect()) as Row[],
    sessions: (await ctx.db.query("authSessions").collect()) as Row[],
    reviews: (await ctx.db.query("sync_reviews").collect()) as Row[],
  }));
}

/**
 * The row a user is paired with: with references on both sides, the row the
 * user names that names the user back; with the app's reference only, the
 * one row that names the user (two or more: none, they need a person).
 */
export function counterpartIn(
  app: ConformanceApp,
  tables: Pick<Tables, "rows">,
  user: Row,
): Row | null {
  const { appRef, usersRef } = app.userSync.shape;
  if (usersRef !== undefined) {
    const row = tables.rows.find((r) => r._id === user[usersRef]);
    return row !== undefined && row[appRef] === user._id ? row : null;
  }
  const claiming = tables.rows.filter((r) => r[appRef] === user._id);
  return claiming.length === 1 ? claiming[0]! : null;
}

/** Every user with its counterpart (or null). */
export function pairsIn(app: ConformanceApp, tables: Tables) {
  return tables.users.map((user) => ({
    user,
    row: counterpartIn(app, tables, user),
  }));
}

/** A review naming any of these ids. */
export function reviewNaming(tables: Tables, ids: string[]) {
  return tables.reviews.find(
    (review) =>
      ids.includes(review.user_id as string) ||
      (review.row_ids as string[]).some((id) => ids.includes(id)),
  );
}
