/**
 * Keeps `auth_users.search_text` (the user directory's search index, see
 * directorySearch.ts) current at every write this app's functions make:
 * every mutation builder in functions.ts and Convex Auth's callbacks in
 * auth.ts run with this database. The text goes into the same insert,
 * replace or patch, so it costs no write of its own; a patch of the name or
 * address reads the row once to combine the rest.
 *
 * Writes made outside the app's functions (an import, the dashboard, a
 * test's raw `t.run`) are not covered: run directory:backfillSearchText
 * after them.
 */
import type {
  GenericDatabaseWriter,
  GenericMutationCtx,
  MutationBuilder,
} from "convex/server";
import type { DataModel } from "./_generated/dataModel";
import { SEARCH_SOURCE_FIELDS, searchTextOf } from "./directorySearch";

type Writer = GenericDatabaseWriter<DataModel>;
type Fields = Record<string, unknown>;

const TABLE = "auth_users";

/** `ctx` whose database keeps the search text of every row it writes. */
export function withSearchText<Ctx extends { db: Writer }>(ctx: Ctx): Ctx {
  const db = ctx.db;
  const isRow = (table: unknown, id?: unknown) =>
    table === TABLE ||
    (typeof id === "string" && db.normalizeId(TABLE, id) !== null);
  // Both call forms: (table, id, value) and the older (id, value).
  const split = (args: unknown[]) =>
    args.length === 3
      ? { table: args[0], id: args[1], value: args[2] as Fields }
      : { table: undefined, id: args[0], value: args[1] as Fields };
  const call = (name: "patch" | "replace", args: unknown[], value: Fields) =>
    args.length === 3
      ? (db[name] as (...a: unknown[]) => Promise<void>)(
          args[0],
          args[1],
          value,
        )
      : (db[name] as (...a: unknown[]) => Promise<void>)(args[0], value);
  const overrides = {
    insert: async (table: string, value: Fields) =>
      await (db.insert as (t: string, v: Fields) => Promise<unknown>)(
        table,
        table === TABLE
          ? { ...value, search_text: searchTextOf(value) }
          : value,
      ),
    replace: async (...args: unknown[]) => {
      const { table, id, value } = split(args);
      await call(
        "replace",
        args,
        isRow(table, id)
          ? { ...value, search_text: searchTextOf(value) }
          : value,
      );
    },
    patch: async (...args: unknown[]) => {
      const { table, id, value } = split(args);
      const touches = SEARCH_SOURCE_FIELDS.some((field) => field in value);
      if (!touches || !isRow(table, id))
        return await call("patch", args, value);
      const row = await db.get(TABLE, db.normalizeId(TABLE, id as string)!);
      await call(
        "patch",
        args,
        row === null
          ? value
          : { ...value, search_text: searchTextOf({ ...row, ...value }) },
      );
    },
  };
  const wrapped = new Proxy(db, {
    get(target, property, receiver) {
      if (property in overrides) {
        return overrides[property as keyof typeof overrides];
      }
      const member = Reflect.get(target, property, receiver) as unknown;
      return typeof member === "function"
        ? (member as (...args: unknown[]) => unknown).bind(target)
        : member;
    },
  });
  return { ...ctx, db: wrapped };
}

/**
 * A mutation builder whose handlers get `wrap(ctx)`: still the raw builder's
 * type, so the sync's function factories take it.
 */
export function wrapMutationBuilder<
  V extends "public" | "internal",
  B extends MutationBuilder<DataModel, V>,
>(
  builder: B,
  wrap: (ctx: GenericMutationCtx<DataModel>) => GenericMutationCtx<DataModel>,
): B {
  type Handler = (ctx: GenericMutationCtx<DataModel>, args: unknown) => unknown;
  const wrapped = (definition: Handler | { handler: Handler }) =>
    typeof definition === "function"
      ? (builder as (d: Handler) => unknown)((ctx, args) =>
          definition(wrap(ctx), args),
        )
      : (builder as (d: { handler: Handler }) => unknown)({
          ...definition,
          handler: (ctx, args) => definition.handler(wrap(ctx), args),
        });
  return wrapped as unknown as B;
}
