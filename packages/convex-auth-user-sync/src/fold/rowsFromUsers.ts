/**
 * The rollback of stop_writes (stage writes_stopped -> reads_switched):
 * while writes were stopped only `users` was written, so before the app
 * table is written again each user's row is written from the user's
 * homes (the virtual row, virtualRow.ts), and a person who signed up
 * meanwhile gets a row. Over `users` in creation order. While the run is
 * under way, every single-table write of a user also calls
 * `writeRowFromUser` (state.ts, singleTable's `catchingUp`), so the flip
 * back to two tables at the run's end loses nothing.
 */
import type { GenericId, Value } from "convex/values";
import type { AnyDoc, Shape } from "../declaration.js";
import { byIndex, insertDoc, patchDoc } from "../db.js";
import type { MutationCtx } from "../sessions.js";
import {
  readPair,
  recordReview,
  type SyncOptions,
  type SyncResult,
} from "../steps.js";
import { documentPhase } from "./documentPhase.js";
import { isPlaceholder } from "../placeholder.js";
import { homesPatch, virtualRow } from "./virtualRow.js";

/** The app fields a row holds for a user: the virtual row's, its ids aside. */
function rowValues(shape: Shape, user: AnyDoc): Record<string, Value> {
  const { _id: _, _creationTime: __, ...values } = virtualRow(shape, user);
  return values as Record<string, Value>;
}

/**
 * One user's step: the row both sides agree on gets every app field from
 * its home, only what differs (absent included); a user with no row who
 * completed a sign-in gets one, linked both ways as ensurePair links; a
 * placeholder keeps (and refreshes) its row. A reference one-sided or
 * damaged is a case, never a guess; a sign-in not completed yet waits.
 *
 * @example await writeRowFromUser(ctx, shape, user, { now: Date.now() });
 */
export async function writeRowFromUser(
  ctx: MutationCtx,
  shape: Shape,
  user: AnyDoc,
  options: SyncOptions,
): Promise<SyncResult> {
  const userId = user._id as GenericId<"users">;
  const result = (
    outcome: SyncResult["outcome"],
    rowId: GenericId<string> | null,
    changes: string[],
  ): SyncResult => ({ outcome, userId, rowId, changes });
  const conflict = async (rowIds: GenericId<string>[], detail: string) =>
    result(
      "conflict",
      null,
      await recordReview(
        ctx,
        {
          kind: "reference_conflict",
          userId,
          rowIds,
          detail: `Rolling back stop_writes: ${detail}; no row was written for the user. Settle the references, then start the rollback again.`,
        },
        options,
      ),
    );

  // 1. The user's row, as both sides agree on it, or a case.
  const read = await readPair(ctx, shape, user);
  if (read.duplicates.length > 0) {
    const changes = await recordReview(
      ctx,
      {
        kind: "duplicate_counterpart",
        userId,
        rowIds: read.duplicates.map((row) => row._id),
        detail: `Rolling back stop_writes: several ${shape.table} rows name users ${userId}, so none is provably its row; none was written.`,
      },
      options,
    );
    return result("conflict", null, changes);
  }
  if (read.pointed !== null) {
    return await conflict(
      [read.pointed._id],
      `users ${userId} names ${shape.table} ${read.pointed._id}, which does not name it back`,
    );
  }
  const values = rowValues(shape, user);
  const row = read.counterpart;
  if (row !== null) {
    const patch: Record<string, Value | undefined> = {};
    for (const field of new Set([...shape.fold!.homes.keys(), shape.appRef])) {
      if (row[field] !== values[field]) patch[field] = values[field];
    }
    const fields = Object.keys(patch).sort();
    if (fields.length === 0) return result("unchanged", row._id, []);
    if (options.dryRun !== true) {
      await patchDoc(ctx, shape.table, row._id, patch);
    }
    return result("repaired", row._id, [
      `${shape.table} ${row._id}: set ${fields.join(", ")} from users ${userId}`,
    ]);
  }

  // 2. No row: a damaged reference, a row naming the user one-sidedly, a
  //    placeholder's row gone, or a sign-in not completed: no new row.
  const named =
    shape.usersRef === undefined
      ? undefined
      : (user[shape.usersRef] as string | undefined);
  if (named !== undefined) {
    return await conflict(
      [],
      `users ${userId} names ${shape.table} ${named}, which does not exist`,
    );
  }
  if (shape.usersRef !== undefined) {
    const claiming = await byIndex(
      ctx,
      shape.table,
      shape.indexes.appByUser,
      { [shape.appRef]: userId },
      2,
    );
    if (claiming.length > 0) {
      return await conflict(
        claiming.map((claim) => claim._id),
        `${shape.table} rows name users ${userId}, which names none of them`,
      );
    }
  }
  if (isPlaceholder(user)) {
    return await conflict(
      [],
      `the placeholder ${userId} of a person who never signed in has no row`,
    );
  }
  if (user.pendingFirstSignIn === true) return result("pending", null, []);

  // 3. A person who signed up while writes were stopped: a row of their
  //    own, from their homes (a new row's defaults where a home is absent,
  //    copied to the homes so that the pair agrees), linked both ways.
  const draft: Record<string, Value> = {
    ...(shape.newRow(options.now) as Record<string, Value>),
    ...(shape.updatedAt === undefined
      ? {}
      : { [shape.updatedAt]: options.now }),
    ...values,
  };
  const defaults = homesPatch(
    shape,
    Object.fromEntries(
      Object.entries(draft).filter(([field]) => values[field] === undefined),
    ),
  );
  const changes = [
    `${shape.table}: insert for users ${userId}, from its homes`,
    ...(Object.keys(defaults).length > 0
      ? [`users ${userId}: set ${Object.keys(defaults).sort().join(", ")}`]
      : []),
  ];
  if (options.dryRun === true) return result("created", null, changes);
  const rowId = await insertDoc(ctx, shape.table, draft);
  const usersPatch =
    shape.usersRef === undefined
      ? defaults
      : { ...defaults, [shape.usersRef]: rowId };
  if (Object.keys(usersPatch).length > 0) {
    await patchDoc(ctx, "users", userId, usersPatch);
  }
  return result("created", rowId, changes);
}

/** The rollback of stop_writes: over every user. */
export function rowsFromUsersPhase(shape: Shape) {
  return documentPhase({
    stream: { table: "users", index: "by_creation_time", prefix: {} },
    step: (ctx, user, options) => writeRowFromUser(ctx, shape, user, options),
    blame: (user) => ({
      userId: user._id as GenericId<"users">,
      rowIds: [],
      what: "users row",
    }),
  });
}
