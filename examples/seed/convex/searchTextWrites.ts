/**
 * Keeps the user directory's search words (directorySearch.ts) current at
 * every write this app's functions make: `auth_users.search_text`, and
 * `users.searchText`, which the directory searches once the fold switches
 * reads to users. Every mutation builder in functions.ts and Convex Auth's
 * callbacks in auth.ts run with this database, so the sync's own writes
 * (sign-ins, runs, the fold's placeholders and single-table writes to the
 * homes) keep it too. The text goes into the same insert, replace or
 * patch, so it costs no write of its own; a patch of some of the name and
 * address fields reads the document once to combine the rest.
 *
 * Writes made outside the app's functions (an import, the dashboard, a
 * test's raw `t.run`, Convex Auth's own writes to `users.name` and
 * `users.email`) are not covered: run directory:backfillSearchText after
 * them. A user's text is made from the homes first (`fullName`,
 * `emailKey`), which only the sync writes.
 */
import type {
  GenericDatabaseWriter,
  GenericMutationCtx,
  MutationBuilder,
} from "convex/server";
import type { DataModel } from "./_generated/dataModel";
import {
  SEARCH_SOURCE_FIELDS,
  searchTextOf,
  searchTextOfUser,
  USER_SEARCH_SOURCE_FIELDS,
} from "./directorySearch";

type Writer = GenericDatabaseWriter<DataModel>;
type Fields = Record<string, unknown>;
type Searched = "auth_users" | "users";

/** Per table: the fields the text is made of, where it goes, and how. */
const SEARCHED: Record<
  Searched,
  {
    sources: readonly string[];
    field: string;
    textOf: (doc: Fields) => string;
    /** Whether a patch alone holds every value the text is made of. */
    whole: (patch: Fields) => boolean;
  }
> = {
  auth_users: {
    sources: SEARCH_SOURCE_FIELDS,
    field: "search_text",
    textOf: searchTextOf,
    whole: (patch) => "full_name" in patch && "email" in patch,
  },
  users: {
    // Also the sync's mark of a new user (convexAuth.ts), written through
    // this database right after Convex Auth inserts the user past it: every
    // user gets a text, an empty one for a guest (convex-test's search
    // fails on a document without the field; a deployment skips it).
    sources: [...USER_SEARCH_SOURCE_FIELDS, "pendingFirstSignIn"],
    field: "searchText",
    textOf: searchTextOfUser,
    // Set homes leave Convex Auth's own fields unread (a first sign-in's
    // sync writes both homes: no read, within its transaction's limits).
    whole: (patch) =>
      patch.fullName !== undefined && patch.emailKey !== undefined,
  },
};
const TABLES = Object.keys(SEARCHED) as Searched[];

/** `ctx` whose database keeps the search text of every row it writes. */
export function withSearchText<Ctx extends { db: Writer }>(ctx: Ctx): Ctx {
  const db = ctx.db;
  const searchedTable = (table: unknown, id?: unknown): Searched | null => {
    if (typeof table === "string") {
      return (TABLES as string[]).includes(table) ? (table as Searched) : null;
    }
    if (typeof id !== "string") return null;
    return TABLES.find((each) => db.normalizeId(each, id) !== null) ?? null;
  };
  const withText = (table: Searched | null, value: Fields): Fields =>
    table === null
      ? value
      : { ...value, [SEARCHED[table].field]: SEARCHED[table].textOf(value) };
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
        withText(searchedTable(table), value),
      ),
    replace: async (...args: unknown[]) => {
      const { table, id, value } = split(args);
      await call("replace", args, withText(searchedTable(table, id), value));
    },
    patch: async (...args: unknown[]) => {
      const { table, id, value } = split(args);
      const searched = searchedTable(table, id);
      const touches =
        searched !== null &&
        SEARCHED[searched].sources.some((field) => field in value);
      if (!touches) return await call("patch", args, value);
      const { field, textOf, whole } = SEARCHED[searched];
      if (whole(value)) {
        return await call("patch", args, { ...value, [field]: textOf(value) });
      }
      const doc = (await db.get(
        searched,
        db.normalizeId(searched, id as string)!,
      )) as Fields | null;
      await call(
        "patch",
        args,
        doc === null
          ? value
          : { ...value, [field]: textOf({ ...doc, ...value }) },
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
