/**
 * The fold fields' copies on `users`, kept equal through app code that the
 * triggers do not see: the onSignIn hook runs on the sync's own context, so
 * a starter-content marker it sets on the row would drift from its copy
 * until the next run. The hook gets a context whose writes to the row carry
 * the fold fields they set to the user too: no read, and one write more
 * only when the hook sets one.
 */
import type { GenericId } from "convex/values";
import { patchDoc } from "../db.js";
import type { Shape } from "../declaration.js";
import type { MutationCtx } from "../sessions.js";

type Db = MutationCtx["db"];
type Write = (...args: unknown[]) => Promise<void>;

/** The fold copies a write of `fields` to the row makes on its user. */
function copiesOf(
  shape: Shape,
  fields: Record<string, unknown>,
  whole: boolean,
): Record<string, unknown> {
  const copies: Record<string, unknown> = {};
  for (const pair of shape.fold?.fields ?? []) {
    if (whole || pair.app in fields) copies[pair.users] = fields[pair.app];
  }
  return copies;
}

/**
 * `ctx`, with writes to the row `rowId` (patch or replace, in either
 * argument form) copied to the fold fields of `userId`. Without a fold,
 * `ctx` itself.
 *
 * @example await shape.hooks.onSignIn(withFoldCopies(ctx, shape, user._id, row._id), { user, row, now });
 */
export function withFoldCopies(
  ctx: MutationCtx,
  shape: Shape,
  userId: GenericId<"users">,
  rowId: GenericId<string>,
): MutationCtx {
  if (shape.fold === undefined || shape.fold.fields.length === 0) return ctx;
  const db = ctx.db;
  const follow = async (args: unknown[], write: Write, whole: boolean) => {
    // (table, id, value) or (id, value).
    const [id, value] = args.length >= 3 ? args.slice(1) : args;
    await write(...args);
    if (id !== rowId) return;
    const copies = copiesOf(shape, value as Record<string, unknown>, whole);
    if (Object.keys(copies).length > 0) {
      await patchDoc(ctx, "users", userId, copies);
    }
  };
  const call =
    (name: keyof Db) =>
    (...args: unknown[]) =>
      (db[name] as unknown as Write).apply(db, args);
  const wrapped = {
    get: call("get"),
    query: call("query"),
    normalizeId: call("normalizeId"),
    system: db.system,
    insert: call("insert"),
    delete: call("delete"),
    patch: (...args: unknown[]) => follow(args, call("patch"), false),
    replace: (...args: unknown[]) => follow(args, call("replace"), true),
  } as unknown as Db;
  return { ...ctx, db: wrapped };
}
