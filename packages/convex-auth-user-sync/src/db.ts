/**
 * The generic database helpers every step uses: the sync works on the app's
 * tables through the generic data model, and these keep the casts in one
 * place.
 */
import type {
  GenericDatabaseReader,
  GenericDatabaseWriter,
  GenericDataModel,
} from "convex/server";
import type { GenericId } from "convex/values";
import type { AnyDoc } from "./declaration.js";

/** What a read-only step needs of a Convex context. */
export type ReadCtx = { db: GenericDatabaseReader<GenericDataModel> };
/** What a writing step needs of a Convex context. */
export type WriteCtx = { db: GenericDatabaseWriter<GenericDataModel> };

type Id = GenericId<string>;

/** Reads a document of any table (the library's tables are the app's). */
export async function getDoc(
  ctx: ReadCtx,
  table: string,
  id: unknown,
): Promise<AnyDoc | null> {
  return (await ctx.db.get(table, id as Id)) as AnyDoc | null;
}

/** Patches a document of any table (fields are the sync's own values). */
export async function patchDoc(
  ctx: WriteCtx,
  table: string,
  id: unknown,
  fields: Record<string, unknown>,
): Promise<void> {
  await ctx.db.patch(table, id as Id, fields as never);
}

/** Inserts a document into any table. */
export async function insertDoc(
  ctx: WriteCtx,
  table: string,
  fields: Record<string, unknown>,
): Promise<Id> {
  return await ctx.db.insert(table, fields as never);
}

/**
 * Deletes documents of one table, one by one; returns how many, for the
 * counts a deletion reports.
 */
export async function deleteDocs(
  ctx: WriteCtx,
  table: string,
  docs: readonly { _id: unknown }[],
): Promise<number> {
  for (const doc of docs) await ctx.db.delete(table, doc._id as Id);
  return docs.length;
}

/** The query of an index range with each field equal to its value. */
export function rangeQuery(
  ctx: ReadCtx,
  table: string,
  index: string,
  fields: Record<string, unknown>,
) {
  return ctx.db.query(table).withIndex(index, (q) => {
    let range = q as unknown as {
      eq: (field: string, value: unknown) => typeof range;
    };
    for (const [field, value] of Object.entries(fields)) {
      range = range.eq(field, value);
    }
    return range as never;
  });
}

/** Up to `limit` documents of an index range on one field's value. */
export async function byIndex(
  ctx: ReadCtx,
  table: string,
  index: string,
  fields: Record<string, unknown>,
  limit: number,
): Promise<AnyDoc[]> {
  return (await rangeQuery(ctx, table, index, fields).take(limit)) as AnyDoc[];
}

/**
 * The same range read lazily, with no fixed limit: iterate it with
 * `for await` and stop at the first document that answers.
 */
export function indexRange(
  ctx: ReadCtx,
  table: string,
  index: string,
  fields: Record<string, unknown>,
): AsyncIterable<AnyDoc> {
  return rangeQuery(ctx, table, index, fields) as AsyncIterable<AnyDoc>;
}
