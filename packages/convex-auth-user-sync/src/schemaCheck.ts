/**
 * Checks an app's schema against its declaration: every field and index
 * the sync reads or writes is there, in the form it needs. Pure: it reads
 * the schema object the app's `convex/schema.ts` exports, so a test (or the
 * adoption check) catches what a deployment would only show at the first
 * sign-in or run that needs it.
 */
import type { Shape } from "./declaration.js";
import { syncTables } from "./schema.js";

/** What checkSchema needs of a `defineTable` result. */
type TableLike = {
  validator: { fields?: Record<string, { isOptional?: string }> };
  " indexes"?: () => { indexDescriptor: string; fields: string[] }[];
};

/** What checkSchema needs of a `defineSchema` result. */
export type SchemaLike = { tables: Record<string, unknown> };

/** The fields the sync keeps on `users` (see syncUserFields). */
const SYNC_USER_FIELDS = [
  "lastLoginAt",
  "updatedAt",
  "status",
  "pendingFirstSignIn",
];

/**
 * The problems, one sentence each; none when the schema fits.
 *
 * @example expect(userSync.checkSchema(schema)).toEqual([]);
 */
export function checkSchema(shape: Shape, schema: SchemaLike): string[] {
  const problems: string[] = [];
  const users = schema.tables.users as TableLike | undefined;
  const app = schema.tables[shape.table] as TableLike | undefined;
  if (users === undefined) problems.push("The schema has no users table.");
  if (app === undefined)
    problems.push(`The schema has no ${shape.table} table.`);
  if (users === undefined || app === undefined) return problems;

  const fieldsOf = (table: TableLike) => table.validator.fields ?? {};
  const indexesOf = (table: TableLike) =>
    new Map(
      (table[" indexes"]?.() ?? []).map((index) => [
        index.indexDescriptor,
        index.fields,
      ]),
    );

  // 1. Fields: present, and optional wherever some row may lack them.
  const field = (
    table: TableLike,
    name: string,
    where: string,
    optional: boolean,
  ) => {
    const found = fieldsOf(table)[name];
    if (found === undefined) {
      problems.push(`${where}.${name} is missing.`);
    } else if (optional && found.isOptional !== "optional") {
      problems.push(
        `${where}.${name} must be optional (v.optional(...)): some rows have none.`,
      );
    }
  };
  for (const name of SYNC_USER_FIELDS) field(users, name, "users", true);
  if (shape.usersRef !== undefined) field(users, shape.usersRef, "users", true);
  field(app, shape.appRef, shape.table, true);
  field(app, shape.email, shape.table, true);
  field(app, shape.emailVerified, shape.table, true);
  for (const pair of shape.mirror) {
    field(app, pair.app, shape.table, true);
    if (pair.chosenBy !== undefined) {
      field(app, pair.chosenBy, shape.table, true);
    }
  }
  for (const name of [shape.status, shape.lastLoginAt]) {
    if (name !== undefined) field(app, name, shape.table, true);
  }
  // Written on every row the sync creates: it may be required.
  if (shape.updatedAt !== undefined) {
    field(app, shape.updatedAt, shape.table, false);
  }

  // 2. A row the sync creates: every required field is one it writes.
  const written = new Set([
    shape.appRef,
    ...Object.keys(shape.newRow(0)),
    ...(shape.updatedAt !== undefined ? [shape.updatedAt] : []),
  ]);
  for (const [name, validator] of Object.entries(fieldsOf(app))) {
    if (validator.isOptional !== "optional" && !written.has(name)) {
      problems.push(
        `${shape.table}.${name} is required, but a row the sync creates would have none: return it from newRow, or make it optional.`,
      );
    }
  }

  // 3. Indexes, by the names the sync queries and on exactly these fields.
  const index = (
    table: TableLike,
    where: string,
    name: string,
    on: string[],
  ) => {
    const fields = indexesOf(table).get(name);
    if (fields === undefined) {
      problems.push(`${where} has no index ${name} on [${on.join(", ")}].`);
    } else if (fields.join() !== on.join()) {
      problems.push(
        `${where}'s index ${name} is on [${fields.join(", ")}], not [${on.join(", ")}].`,
      );
    }
  };
  const { indexes } = shape;
  index(users, "users", "email", ["email"]);
  index(users, "users", indexes.usersByEmailVerified, [
    "email",
    "emailVerificationTime",
  ]);
  if (shape.usersRef !== undefined && indexes.usersByRef !== undefined) {
    index(users, "users", indexes.usersByRef, [shape.usersRef]);
  }
  index(app, shape.table, indexes.appByUser, [shape.appRef]);
  index(app, shape.table, indexes.appByEmailAndUser, [
    shape.email,
    shape.appRef,
    shape.emailVerified,
  ]);
  index(app, shape.table, indexes.appByEmailVerified, [
    shape.email,
    shape.emailVerified,
  ]);
  if (shape.status !== undefined && indexes.appByEmailStatus !== undefined) {
    index(app, shape.table, indexes.appByEmailStatus, [
      shape.email,
      shape.status,
    ]);
  }

  // 4. The sync's own tables, every one syncTables defines.
  for (const name of Object.keys(syncTables)) {
    if (schema.tables[name] === undefined) {
      problems.push(`The schema has no ${name} table (spread ...syncTables).`);
    }
  }
  return problems;
}
