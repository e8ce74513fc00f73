/**
 * Account deletion and status. Convex Auth has no user-deletion API, and a
 * `users` row deleted while its `authAccounts` row remains makes that
 * person's next sign-in fail; so deletion removes everything of the account
 * in one transaction, and the same identity can sign up again cleanly. Only
 * what is provably the account's goes: its counterpart, never a row that
 * merely points at it or that it merely points at.
 */
import type { GenericDataModel, GenericMutationCtx } from "convex/server";
import type { GenericId } from "convex/values";
import type { AnyDoc, Shape } from "./declaration.js";
import { eraseTraces, peopleOf } from "./erasure.js";
import {
  byIndex,
  ensurePair,
  findPairedUser,
  getDoc,
  patchDoc,
  readPair,
  type ReadCtx,
  recordReview,
} from "./steps.js";
import { normalizeEmail } from "./policy.js";
import {
  endSessions,
  endSignIns,
  PER_ACCOUNT_LIMIT,
  revokePendingSignIns,
} from "./sessions.js";
import { refreshProvenAddress } from "./v2Identities.js";
import { suspendAddressHolders, suspendKeyHolders } from "./suspension.js";
import { appError } from "./errors.js";
import { foldOf, frozenRowOf, inSingleTable } from "./fold/people.js";
import { writeUser } from "./fold/oneTable.js";
import type { AccountStatus } from "./validators.js";

/** A mutation's context, whatever the app's data model. */
export type MutationCtx = GenericMutationCtx<GenericDataModel>;

/**
 * Deletes an account: the `users` row, its counterpart (with the app's own
 * data of it, through the onDeleteRow hook), and the user's auth accounts,
 * verification codes, sessions and refresh tokens (a user with more than a
 * page of sessions has the rest ended by a scheduled job, see endSessions). Rows still naming the
 * deleted user were never provably its own: they stay, recorded for review.
 * What the sync's own tables hold of the person is erased (erasure.ts).
 * Deleting twice is harmless. Returns how many documents it deleted in
 * this transaction (sessions left to the scheduled job are not counted).
 *
 * @example await deleteAccountData(ctx, shape, userId);
 */
export async function deleteAccountData(
  ctx: MutationCtx,
  shape: Shape,
  userId: GenericId<"users">,
  /**
   * What the caller already knows (a trigger): the counterpart, and the
   * user or the row as they were if app code deleted them already.
   */
  known: {
    counterpart?: GenericId<string>;
    user?: AnyDoc;
    row?: AnyDoc;
  } = {},
): Promise<number> {
  if (await inSingleTable(ctx)) {
    return await deleteUserData(ctx, shape, userId, known);
  }
  let deleted = 0;

  // 1. The counterpart and its data.
  const user = await getDoc(ctx, "users", userId);
  const counterpart =
    known.counterpart ??
    (user === null
      ? undefined
      : (await readPair(ctx, shape, user)).counterpart?._id);
  const row =
    known.row ??
    (counterpart === undefined
      ? null
      : await getDoc(ctx, shape.table, counterpart));
  if (counterpart !== undefined) {
    deleted += await deleteAppRow(ctx, shape, counterpart, undefined, {
      erase: false,
    });
  }

  // 2. Convex Auth's rows: sessions and refresh tokens through its own
  //    implementation, then accounts and their verification codes.
  deleted += await endSessions(ctx, shape, userId);
  deleted += await revokePendingSignIns(ctx, shape, userId, {
    deleteAccounts: true,
    user: user ?? known.user ?? null,
  });

  // 3. The users row last.
  if (user !== null && (await getDoc(ctx, "users", userId)) !== null) {
    await ctx.db.delete("users", userId);
    deleted++;
  }

  // 4. Rows that still name the user: a person decides what becomes of them.
  await recordLeftovers(ctx, shape, userId);

  // 5. What the sync's own tables hold of the person.
  const person = user ?? known.user ?? null;
  await eraseTraces(ctx, shape, {
    ...peopleOf(shape, person, row),
    // The user is named by id even when it was gone already.
    userIds: [userId],
  });
  return deleted;
}

/**
 * deleteAccountData in single-table mode (stage `writes_stopped` on): the
 * user, the app's data of it (the fold's onDeleteUser hook: the row hooks
 * are not called once the app table is no longer written), Convex Auth's
 * accounts, codes, sessions and refresh tokens, and the sync's traces, as
 * in two-table mode. The person's frozen row (its data is still theirs
 * until the table is retired) is deleted too: an erasure, the one write to
 * the app table single-table mode makes, so that an erased person leaves
 * nothing behind. Rows that merely name the user are recorded for review,
 * as in two-table mode.
 */
async function deleteUserData(
  ctx: MutationCtx,
  shape: Shape,
  userId: GenericId<"users">,
  known: { user?: AnyDoc; row?: AnyDoc },
): Promise<number> {
  let deleted = 0;
  const user = await getDoc(ctx, "users", userId);
  const person = user ?? known.user ?? null;

  // 1. The app's data of the user, and the person's frozen row.
  if (person !== null) {
    const own = await foldOf(shape).hooks.onDeleteUser?.(ctx, person);
    if (typeof own === "number") deleted += own;
  }
  const row =
    known.row ??
    (person === null ? null : await frozenRowOf(ctx, shape, person));
  if (row !== null && (await getDoc(ctx, shape.table, row._id)) !== null) {
    await ctx.db.delete(shape.table, row._id);
    deleted++;
  }

  // 2. Convex Auth's rows, as in two-table mode.
  deleted += await endSessions(ctx, shape, userId);
  deleted += await revokePendingSignIns(ctx, shape, userId, {
    deleteAccounts: true,
    user: person,
  });

  // 3. The users row last.
  if (user !== null) {
    await ctx.db.delete("users", userId);
    deleted++;
  }

  // 4. Rows that still name the user without being its own.
  await recordLeftovers(ctx, shape, userId);

  // 5. What the sync's own tables hold of the person, its address key's
  //    home included (a placeholder, or a user whose row is gone).
  const people = peopleOf(shape, person, row);
  const key = normalizeEmail(person?.[foldOf(shape).emailKey]);
  await eraseTraces(ctx, shape, {
    ...people,
    userIds: [userId],
    emails: [...new Set([...(people.emails ?? []), ...(key ? [key] : [])])],
  });
  return deleted;
}

/** Records a case for the rows still naming a deleted user (kept). */
async function recordLeftovers(
  ctx: MutationCtx,
  shape: Shape,
  userId: GenericId<"users">,
): Promise<void> {
  const leftovers = await byIndex(
    ctx,
    shape.table,
    shape.indexes.appByUser,
    { [shape.appRef]: userId },
    PER_ACCOUNT_LIMIT,
  );
  if (leftovers.length > 0) {
    await recordReview(
      ctx,
      {
        kind: "reference_conflict",
        userId,
        rowIds: leftovers.map((row) => row._id),
        detail:
          "The account was deleted; these rows pointed at it without being its counterpart and were kept.",
      },
      { now: Date.now() },
    );
  }
}

/**
 * Deletes one app row and its own data (the onDeleteRow hook), nothing
 * else, and erases what the sync's own tables hold of it (erasure.ts).
 * Returns how many documents it deleted (the hook's, if it says).
 */
export async function deleteAppRow(
  ctx: MutationCtx,
  shape: Shape,
  rowId: GenericId<string>,
  /** The row as it was, when it is gone already (a trigger). */
  deletedRow?: AnyDoc,
  /** The account's deletion erases the row with its user. */
  options: { erase: boolean } = { erase: true },
): Promise<number> {
  const row = deletedRow ?? (await getDoc(ctx, shape.table, rowId));
  const own = row === null ? 0 : await shape.hooks.onDeleteRow?.(ctx, row);
  let deleted = typeof own === "number" ? own : 0;
  if ((await getDoc(ctx, shape.table, rowId)) !== null) {
    await ctx.db.delete(shape.table, rowId);
    deleted++;
  }
  if (options.erase) {
    await eraseTraces(ctx, shape, {
      ...peopleOf(shape, null, row),
      rowIds: [rowId],
    });
  }
  return deleted;
}

/** Rows naming one user that a status change reaches (duplicates: a few). */
const STATUS_ROWS = 100;

/**
 * Sets an account's status on both tables (on `users` alone when the app
 * table declares no status field). Suspending also ends every session (see
 * endSessions) and revokes codes already issued, and the sign-in refuses
 * the account from then on.
 *
 * @example await setAccountStatus(ctx, shape, userId, "suspended");
 */
export async function setAccountStatus(
  ctx: MutationCtx,
  shape: Shape,
  userId: GenericId<"users">,
  status: AccountStatus,
): Promise<void> {
  const found = await getDoc(ctx, "users", userId);
  if (found === null) throw new Error(`users ${userId} not found`);
  // Convex Auth v2: a suspension acts on the address the person holds
  // now, which a change of address in v2 leaves behind on users.
  const refreshed =
    status === "suspended" && shape.convexAuth !== undefined
      ? await refreshProvenAddress(ctx, shape, found)
      : found;
  const single = await inSingleTable(ctx);
  let user = found;
  if (refreshed !== found) {
    // The row (in single-table mode, the address's home on users) takes
    // the address first: a suspended pair keeps the one it has
    // (policy.ts), and the cascade and later sign-ins go by it.
    await ensurePair(ctx, shape, refreshed, {}, { now: Date.now() });
    user = (await getDoc(ctx, "users", userId))!;
  }
  if (single) {
    // Single-table mode: the status lives on users alone (its home), and
    // the cascade finds the address's holders there.
    if (user.status !== status) {
      await writeUser(ctx, shape, user, { status }, { now: Date.now() });
    }
    if (status === "suspended") {
      await endSignIns(ctx, shape, userId);
      await suspendKeyHolders(ctx, shape, user);
    }
    return;
  }
  const edits = shape.status === undefined ? {} : { [shape.status]: status };
  const { row } = await ensurePair(ctx, shape, user, edits, {
    now: Date.now(),
  });
  // A user with no pair (a sign-in never completed, or duplicates), or an
  // app table without a status field, keeps it on `users`, which the
  // sign-in checks too.
  if ((row === null || shape.status === undefined) && user.status !== status) {
    await ctx.db.patch("users", userId, { status });
  }
  // With the app's reference alone, every row naming the user is the
  // user's, and whichever is left when a person settles the duplicates
  // becomes the counterpart: each carries the status, or the one left
  // would undo this command.
  if (
    row === null &&
    shape.usersRef === undefined &&
    shape.status !== undefined
  ) {
    const rows = await byIndex(
      ctx,
      shape.table,
      shape.indexes.appByUser,
      { [shape.appRef]: userId },
      STATUS_ROWS,
    );
    for (const claiming of rows) {
      if (claiming[shape.status] !== status) {
        await patchDoc(ctx, shape.table, claiming._id, {
          [shape.status]: status,
        });
      }
    }
  }
  if (status === "suspended") {
    await endSignIns(ctx, shape, userId);
    // The person's other accounts (another method or spelling) too.
    if (row !== null) await suspendAddressHolders(ctx, shape, row);
  }
}

/**
 * Sets the status of an app row that is in no pair (a legacy row whose
 * owner never signed in, say): suspending it refuses the first sign-in that
 * would link it, and every sign-in that proves its address (see
 * suspendedHolder), and signs out the accounts that already prove it. A
 * row in a pair is refused (use setAccountStatus): its user's status moves
 * with it.
 *
 * @example await setRowStatus(ctx, shape, rowId, "suspended");
 */
export async function setRowStatus(
  ctx: MutationCtx,
  shape: Shape,
  rowId: GenericId<string>,
  status: AccountStatus,
): Promise<void> {
  if (shape.status === undefined) {
    throw new Error(`${shape.table} declares no status field`);
  }
  await refuseInSingleTable(ctx, shape, "set a row's status");
  const row = await getDoc(ctx, shape.table, rowId);
  if (row === null) throw new Error(`${shape.table} ${rowId} not found`);
  if ((await findPairedUser(ctx, shape, row)) !== null) {
    throw new Error(
      `${shape.table} ${rowId} is in a pair: set its account's status`,
    );
  }
  // The email key too, as a run would store it (an import may not have):
  // the sign-in finds suspended holders of an address by its key.
  const email = normalizeEmail(row[shape.email]);
  const patch = {
    ...(row[shape.status] !== status ? { [shape.status]: status } : {}),
    ...(email !== row[shape.email] ? { [shape.email]: email } : {}),
  };
  if (Object.keys(patch).length > 0) {
    await patchDoc(ctx, shape.table, rowId, patch);
  }
  if (status === "suspended") {
    await suspendAddressHolders(ctx, shape, { ...row, [shape.email]: email });
  }
}

/**
 * CONFLICT in single-table mode (stage `writes_stopped` on) for a command
 * that would write the app table (`what`, in words), before any write.
 *
 * @example await refuseInSingleTable(ctx, shape, "delete a row alone");
 */
export async function refuseInSingleTable(
  ctx: ReadCtx,
  shape: Shape,
  what: string,
): Promise<void> {
  if (await inSingleTable(ctx)) {
    throw appError(
      "CONFLICT",
      `Cannot ${what}: ${shape.table} is no longer written (single-table mode, see docs/fold.md). Roll stop_writes back first.`,
    );
  }
}
