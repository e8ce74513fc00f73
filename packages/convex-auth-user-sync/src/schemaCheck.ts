/**
 * Checks an app's schema against its declaration: every field and index
 * the sync reads or writes is there, in the form it needs. Pure: it reads
 * the schema object the app's `convex/schema.ts` exports, so a test (or the
 * adoption check) catches what a deployment would only show at the first
 * sign-in or run that needs it.
 */
import type { SchemaLike, Shape } from "./declaration.js";
import { syncTables } from "./schema.js";
import {
  CONVEX_AUTH_TABLES,
  CONVEX_AUTH_V2_USERS,
  FOLD_USER_FIELDS,
  SYNC_USER_FIELDS,
} from "./tableNames.js";

export { CONVEX_AUTH_TABLES, SYNC_USER_FIELDS } from "./tableNames.js";

/** What checkSchema needs of a `defineTable` result. */
type TableLike = {
  validator: { fields?: Record<string, { isOptional?: string }> };
  " indexes"?: () => { indexDescriptor: string; fields: string[] }[];
};

export type { SchemaLike } from "./declaration.js";

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
  // Convex Auth v2 leaves users to the app: the fields v1 kept, which the
  // v2 adapter writes.
  const v2 = shape.convexAuth !== undefined;
  for (const name of v2
    ? CONVEX_AUTH_V2_USERS.fields
    : CONVEX_AUTH_TABLES.users!.fields) {
    field(users, name, "users", true);
  }
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
  // Convex Auth's (v1), which it queries by these names.
  for (const [name, on] of Object.entries(
    v2 ? {} : CONVEX_AUTH_TABLES.users!.indexes,
  )) {
    index(users, "users", name, on);
  }
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

  // Convex Auth v1's tables a v2 app keeps for the move: the indexes the
  // move and an erasure read them by (found by review).
  if (v2) {
    for (const [name, kept] of Object.entries(schema.tables)) {
      if (name === "users" || CONVEX_AUTH_TABLES[name] === undefined) continue;
      const table = kept as TableLike;
      for (const [index_, on] of Object.entries(
        CONVEX_AUTH_TABLES[name].indexes,
      )) {
        index(table, name, index_, on);
      }
    }
  }

  // 4. The fold's (docs/fold.md): a home for each field, the placeholders'
  //    index, and each reference with an index that starts with it.
  if (shape.fold !== undefined) {
    for (const name of FOLD_USER_FIELDS) field(users, name, "users", true);
    index(users, "users", "by_unclaimed", ["unclaimed"]);
    // Single-table mode finds a person's records by address and status
    // (suspension, the claim's competitors, lookups) on users alone.
    index(users, "users", shape.fold.usersByEmailKeyStatus, [
      shape.fold.emailKey,
      "status",
    ]);
    for (const pair of shape.fold.fields) {
      field(app, pair.app, shape.table, false);
      field(users, pair.users, "users", true);
    }
    for (const reference of shape.fold.references) {
      const table = schema.tables[reference.table] as TableLike | undefined;
      if (table === undefined) {
        problems.push(
          `fold.references names ${reference.table}, which the schema has no table of.`,
        );
        continue;
      }
      field(table, reference.field, reference.table, false);
      const on = indexesOf(table).get(reference.index);
      if (on?.[0] !== reference.field) {
        problems.push(
          `${reference.table} has no index ${reference.index} whose first field is ${reference.field} (fold.references).`,
        );
      }
    }
  }

  // 5. Convex Auth's other tables, which the sync reads too (sessions,
  //    accounts, codes, rate limits).
  //    v2 keeps them in its components.
  for (const [name, spec] of Object.entries(v2 ? {} : CONVEX_AUTH_TABLES)) {
    if (name === "users") continue;
    const table = schema.tables[name] as TableLike | undefined;
    if (table === undefined) {
      problems.push(`The schema has no ${name} table (spread ...authTables).`);
      continue;
    }
    for (const [indexName, on] of Object.entries(spec.indexes)) {
      index(table, name, indexName, on);
    }
  }

  // 6. The sync's own tables, every one syncTables defines, with the
  //    indexes it queries (a table written by hand, or spread from an
  //    older version, may lack a newer one: found by review).
  for (const [name, spec] of Object.entries(syncTables)) {
    const table = schema.tables[name] as TableLike | undefined;
    if (table === undefined) {
      problems.push(`The schema has no ${name} table (spread ...syncTables).`);
      continue;
    }
    for (const [indexName, on] of indexesOf(spec)) {
      index(table, name, indexName, on);
    }
  }
  return problems;
}

/**
 * What defining the sync checks, where Convex loads the module (a push,
 * every test run): an `onRowDelete` choice, and, when the declaration
 * passes the app's schema, every problem checkSchema finds, in one error.
 *
 * @example checkDeclaration(shape, declaration.schema);
 */
export function checkDeclaration(
  shape: Shape,
  schema: SchemaLike | undefined,
): void {
  // Typed as required; a JavaScript declaration may still leave it out.
  if (
    shape.onRowDelete !== "deleteAccount" &&
    shape.onRowDelete !== "keepAccount"
  ) {
    throw new Error(
      `convex-auth-user-sync: the declaration of ${shape.table} must choose what deleting a user's row does: onRowDelete: "deleteAccount" (the whole account goes) or "keepAccount" (the row only; see docs/declaration.md).`,
    );
  }
  if (schema === undefined) return;
  const problems = checkSchema(shape, schema);
  if (problems.length > 0) {
    throw new Error(
      [
        `convex-auth-user-sync: convex/schema.ts lacks what the sync of ${shape.table} needs (see docs/declaration.md#schema-requirements):`,
        ...problems.map((problem) => `- ${problem}`),
      ].join("\n"),
    );
  }
}
