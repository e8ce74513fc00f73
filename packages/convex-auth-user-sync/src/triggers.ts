/**
 * Triggers on both user tables: any insert, patch, replace or delete by app
 * code (through mutations wrapped with convex-helpers' Triggers) brings the
 * counterpart into line in the same transaction, through the field map.
 *
 * Trigger writes go to the raw database, so they never trigger again: every
 * write converges in one hop, and a sync that changes nothing writes nothing.
 * Convex Auth's own writes bypass the app's builders; the sign-in callbacks
 * cover them.
 */
import type { GenericDataModel, GenericMutationCtx } from "convex/server";
import type { GenericId } from "convex/values";
import { deleteAccountData, deleteAppRow } from "./accounts.js";
import { appError } from "./errors.js";
import { ensureOneTable } from "./fold/oneTable.js";
import { singleTable } from "./fold/state.js";
import { virtualRow } from "./fold/virtualRow.js";
import { endSignIns } from "./sessions.js";
import { suspendAddressHolders, suspendKeyHolders } from "./suspension.js";
import type { AnyDoc, Shape } from "./declaration.js";
import {
  editsFromRowWrite,
  isSuspendedPair,
  editsFromUsersWrite,
  keepsVerification,
} from "./policy.js";
import {
  byIndex,
  ensurePair,
  findPairedUser,
  getDoc,
  patchDoc,
  syncFromRow,
} from "./steps.js";

type MutationCtx = GenericMutationCtx<GenericDataModel>;

/** One change, as convex-helpers' Triggers reports it. */
export type TableChange =
  | { operation: "insert"; id: GenericId<string>; oldDoc: null; newDoc: AnyDoc }
  | {
      operation: "update";
      id: GenericId<string>;
      oldDoc: AnyDoc;
      newDoc: AnyDoc;
    }
  | {
      operation: "delete";
      id: GenericId<string>;
      oldDoc: AnyDoc;
      newDoc: null;
    };

/**
 * After an app write to `users`: pair a new user, carry the change to its
 * row, or delete the whole account with it (its counterpart, never a row
 * that merely pointed at it).
 */
export async function onUsersChange(
  ctx: MutationCtx,
  shape: Shape,
  change: TableChange,
): Promise<void> {
  const now = Date.now();
  if (
    shape.fold !== undefined &&
    change.operation !== "delete" &&
    (await singleTable(ctx)).on
  ) {
    await onUsersChangeOneTable(ctx, shape, change, now);
    return;
  }
  switch (change.operation) {
    case "insert":
      await ensurePair(ctx, shape, change.newDoc, {}, { now });
      return;
    case "update": {
      // An address changed by app code is one no provider vouched for.
      let user = change.newDoc;
      if (!keepsVerification(change.oldDoc as never, user as never)) {
        await patchDoc(ctx, "users", change.id, {
          emailVerificationTime: undefined,
        });
        user = { ...user, emailVerificationTime: undefined };
      }
      const { row } = await ensurePair(
        ctx,
        shape,
        user,
        editsFromUsersWrite(
          shape,
          change.oldDoc as never,
          change.newDoc as never,
        ),
        { now },
      );
      // A suspension written by app code ends the account's sign-ins, with
      // or without a row yet.
      const nowSuspended =
        shape.status !== undefined && row !== null
          ? row[shape.status] === "suspended"
          : user.status === "suspended";
      if (change.oldDoc.status !== "suspended" && nowSuspended) {
        await endSignIns(ctx, shape, change.id as GenericId<"users">);
        if (row !== null) await suspendAddressHolders(ctx, shape, row);
      }
      return;
    }
    case "delete": {
      const userId = change.id as GenericId<"users">;
      let counterpart: GenericId<string> | undefined;
      if (shape.usersRef !== undefined) {
        const row = await getDoc(
          ctx,
          shape.table,
          change.oldDoc[shape.usersRef],
        );
        if (row?.[shape.appRef] === userId) counterpart = row._id;
      } else {
        const rows = await byIndex(
          ctx,
          shape.table,
          shape.indexes.appByUser,
          { [shape.appRef]: userId },
          2,
        );
        if (rows.length === 1) counterpart = rows[0]!._id;
      }
      await deleteAccountData(ctx, shape, userId, {
        counterpart,
        user: change.oldDoc,
      });
      return;
    }
  }
}

/**
 * An app write to `users` in single-table mode (docs/fold.md, "4b. Stop
 * writes"): an edit of the user's virtual row, as a row write is in two
 * tables, planned and written to the homes (fold/oneTable.ts). A value
 * the app set on a home wins over the same pair's `users` field (the
 * app's own name for it); a changed pair the user may choose is the
 * user's choice from then on.
 */
async function onUsersChangeOneTable(
  ctx: MutationCtx,
  shape: Shape,
  change: Exclude<TableChange, { operation: "delete" }>,
  now: number,
): Promise<void> {
  if (change.operation === "insert") {
    await ensureOneTable(ctx, shape, change.newDoc, {}, { now });
    return;
  }
  // An address changed by app code is one no provider vouched for.
  let user = change.newDoc;
  if (!keepsVerification(change.oldDoc as never, user as never)) {
    await patchDoc(ctx, "users", change.id, {
      emailVerificationTime: undefined,
    });
    user = { ...user, emailVerificationTime: undefined };
  }
  const before = virtualRow(shape, change.oldDoc);
  const after = virtualRow(shape, change.newDoc);
  const homes: Record<string, unknown> = {};
  for (const field of Object.keys({ ...before, ...after })) {
    if (before[field] !== after[field]) homes[field] = after[field];
  }
  const suspended =
    change.oldDoc.status === "suspended" || user.status === "suspended";
  const edits = {
    ...editsFromUsersWrite(
      shape,
      change.oldDoc as never,
      change.newDoc as never,
    ),
    ...homes,
    ...editsFromRowWrite(shape, before, after, suspended),
  };
  delete edits._id;
  delete edits._creationTime;
  const written = await ensureOneTable(ctx, shape, user, edits, {
    now,
    before: change.oldDoc,
  });
  // A suspension written by app code ends the account's sign-ins, and
  // reaches the person's other accounts proving its address, as an
  // operator's suspension does in this mode (and as in two tables).
  if (change.oldDoc.status !== "suspended" && user.status === "suspended") {
    await endSignIns(ctx, shape, change.id as GenericId<"users">);
    await suspendKeyHolders(ctx, shape, written.user);
  }
}

/**
 * Whether an app write to a row wrote the email or its verification of a
 * suspended record: the row suspended itself (before or by this write), or
 * its pair (the user's status, where the app declares none). Such a record
 * keeps the address it was suspended with, so the write is undone (found by
 * review). Only such a write reads the pair.
 */
async function identityOfSuspended(
  ctx: MutationCtx,
  shape: Shape,
  change: { oldDoc: AnyDoc; newDoc: AnyDoc },
): Promise<boolean> {
  const { oldDoc, newDoc } = change;
  const identityWritten =
    oldDoc[shape.email] !== newDoc[shape.email] ||
    oldDoc[shape.emailVerified] !== newDoc[shape.emailVerified];
  if (!identityWritten) return false;
  if (
    shape.status !== undefined &&
    (oldDoc[shape.status] === "suspended" ||
      newDoc[shape.status] === "suspended")
  ) {
    return true;
  }
  const paired = await findPairedUser(ctx, shape, oldDoc);
  return (
    paired !== null &&
    (isSuspendedPair(shape, paired as never, oldDoc) ||
      isSuspendedPair(shape, paired as never, newDoc))
  );
}

/**
 * After an app write to the app table: link a new row, carry the change to
 * its user, or delete the whole account with it when it was the user's
 * counterpart. A row that was not (a duplicate, a one-sided claim, a legacy
 * row) is deleted alone, with its own data.
 */
export async function onRowChange(
  ctx: MutationCtx,
  shape: Shape,
  change: TableChange,
): Promise<void> {
  const now = Date.now();
  // Once the app table is no longer written, a write to it would be lost
  // to every read (they answer from users): refused, so the mutation
  // writes nothing (docs/fold.md, "4b. Stop writes").
  if (shape.fold !== undefined && (await singleTable(ctx)).on) {
    throw appError(
      "CONFLICT",
      `${shape.table} ${String(change.id)}: the app table is no longer written (fold stage writes_stopped); write the user's fields on users instead, or roll stop_writes back.`,
    );
  }
  switch (change.operation) {
    case "insert":
      await syncFromRow(ctx, shape, change.newDoc, { now });
      return;
    case "update": {
      const edits = editsFromRowWrite(
        shape,
        change.oldDoc,
        change.newDoc,
        await identityOfSuspended(ctx, shape, change),
      );
      if (Object.keys(edits).length > 0) {
        await patchDoc(ctx, shape.table, change.id, edits);
      }
      await syncFromRow(
        ctx,
        shape,
        { ...change.newDoc, ...edits },
        {
          now,
        },
      );
      // Suspending ends the sign-ins of the row's own user, if it is the
      // user's counterpart; a row that merely points at a user suspends
      // nobody.
      if (
        shape.status !== undefined &&
        change.oldDoc[shape.status] !== "suspended" &&
        change.newDoc[shape.status] === "suspended"
      ) {
        const row = await getDoc(ctx, shape.table, change.id);
        const user =
          row === null ? null : await findPairedUser(ctx, shape, row);
        if (user !== null) {
          await endSignIns(ctx, shape, user._id as GenericId<"users">);
        }
        // The person's other accounts, which prove the row's address.
        if (row !== null) await suspendAddressHolders(ctx, shape, row);
      }
      return;
    }
    case "delete": {
      const userId = change.oldDoc[shape.appRef];
      const user =
        userId === undefined ? null : await getDoc(ctx, "users", userId);
      // Was it the user's counterpart? (With app-side references only: the
      // one row that named the user, now that it is gone, leaves none.)
      const wasCounterpart =
        user !== null &&
        (shape.usersRef !== undefined
          ? user[shape.usersRef] === change.id
          : (
              await byIndex(
                ctx,
                shape.table,
                shape.indexes.appByUser,
                { [shape.appRef]: user._id },
                1,
              )
            ).length === 0);
      if (wasCounterpart && shape.onRowDelete === "keepAccount") {
        // The row only: the account stays, without a row until its next
        // sign-in, a run or a manual sync gives it one (missing_counterpart
        // meanwhile). Its reference to the row is cleared, so no dangling
        // pointer is left for anything to follow.
        await deleteAppRow(ctx, shape, change.id, change.oldDoc);
        if (
          shape.usersRef !== undefined &&
          user[shape.usersRef] === change.id
        ) {
          await patchDoc(ctx, "users", user._id, {
            [shape.usersRef]: undefined,
          });
        }
      } else if (wasCounterpart) {
        await shape.hooks.onDeleteRow?.(ctx, change.oldDoc);
        await deleteAccountData(ctx, shape, user._id as GenericId<"users">, {
          counterpart: change.id,
          row: change.oldDoc,
        });
      } else {
        await deleteAppRow(ctx, shape, change.id, change.oldDoc);
        // With the app's reference alone, a row still naming the user may
        // now be the only one, so its counterpart: bring the pair into step
        // (or, if several still do, keep the case under review).
        if (user !== null && shape.usersRef === undefined) {
          await ensurePair(ctx, shape, user, {}, { now });
        }
      }
      return;
    }
  }
}
