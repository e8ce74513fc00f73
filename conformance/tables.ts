/**
 * Reading an app's tables the way the suite judges them: pairs are worked
 * out here, from the raw references and the declaration's shape, not by
 * asking the library. In single-table mode (the fold's stage writes_stopped
 * on, docs/fold.md) a person's record is their users document alone: the
 * rows judged are then the virtual rows of the users (each built from its
 * homes), and the app table, no longer written, is read apart (`appRows`).
 */
import { singleTable } from "convex-auth-user-sync";
import { virtualRow } from "convex-auth-user-sync/internals";
import type { GenericDocument } from "convex/server";
import type {
  AuthSession,
  Backend,
  ConformanceApp,
  SignInAccount,
} from "./app";

export type Row = GenericDocument & { _id: string };

export type Tables = {
  users: Row[];
  /** The person's rows: the app table's, or in single-table mode the users'. */
  rows: Row[];
  /** The app table as stored. */
  appRows: Row[];
  /** The app table is no longer written (the fold's writes_stopped on). */
  singleTable: boolean;
  /** Sign-in accounts and sessions, from the app (`signInRecords`). */
  accounts: SignInAccount[];
  sessions: AuthSession[];
  reviews: Row[];
};

/** Every document the suite looks at (small tables: tests only). */
export async function readTables(
  t: Backend,
  app: ConformanceApp,
): Promise<Tables> {
  const { shape } = app.userSync;
  const tables = await t.run(async (ctx) => {
    const users = (await ctx.db.query("users").collect()) as Row[];
    const appRows = (await ctx.db.query(shape.table).collect()) as Row[];
    const single = shape.fold !== undefined && (await singleTable(ctx)).on;
    return {
      users,
      rows: single
        ? users.map((user) => virtualRow(shape, user as never) as Row)
        : appRows,
      appRows,
      singleTable: single,
      reviews: (await ctx.db.query("sync_reviews").collect()) as Row[],
    };
  });
  return { ...tables, ...(await app.signInRecords(t)) };
}

/**
 * The row a user is paired with: with references on both sides, the row the
 * user names that names the user back; with the app's reference only, the
 * one row that names the user (two or more: none, they need a person). In
 * single-table mode, the user's own virtual row.
 */
export function counterpartIn(
  app: ConformanceApp,
  tables: Pick<Tables, "rows" | "singleTable">,
  user: Row,
): Row | null {
  const { appRef, usersRef } = app.userSync.shape;
  if (tables.singleTable) {
    return tables.rows.find((r) => r[appRef] === user._id) ?? null;
  }
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
