/**
 * Triggers on both user tables: any insert, patch, replace or delete by app
 * code (through the builders of convex/functions.ts) brings the counterpart
 * into line in the same transaction, through the shared field map.
 *
 * Trigger writes go to the raw database, so they never trigger again: every
 * write converges in one hop, and a sync that changes nothing writes nothing.
 * Convex Auth's own writes bypass the builders; the sign-in callback covers
 * them.
 */
import type { Change } from "convex-helpers/server/triggers";
import type { DataModel } from "./_generated/dataModel";
import type { MutationCtx } from "./_generated/server";
import { deleteAccountData, deleteAppRow, endSignIns } from "./accounts";
import { ensurePair, findPairedUser, syncFromAuthUser } from "./syncCore";
import {
  editsFromAuthUsersWrite,
  editsFromUsersWrite,
  keepsVerification,
} from "./syncPolicy";

/**
 * After an app write to `users`: pair a new user, carry the change to its
 * auth_users row, or delete the whole account with it (its two-way
 * counterpart, never a row that merely pointed at it).
 */
export async function onUsersChange(
  ctx: MutationCtx,
  change: Change<DataModel, "users">,
): Promise<void> {
  const now = Date.now();
  switch (change.operation) {
    case "insert":
      await ensurePair(ctx, change.newDoc, {}, { now });
      return;
    case "update": {
      // An address changed by app code is one no provider vouched for.
      let user = change.newDoc;
      if (!keepsVerification(change.oldDoc, user)) {
        await ctx.db.patch("users", change.id, {
          emailVerificationTime: undefined,
        });
        user = { ...user, emailVerificationTime: undefined };
      }
      const { authUser } = await ensurePair(
        ctx,
        user,
        editsFromUsersWrite(change.oldDoc, change.newDoc),
        { now },
      );
      if (
        change.oldDoc.status !== "suspended" &&
        authUser?.status === "suspended"
      ) {
        await endSignIns(ctx, change.id);
      }
      return;
    }
    case "delete": {
      const pointed = change.oldDoc.auth_user_id;
      const row =
        pointed === undefined ? null : await ctx.db.get("auth_users", pointed);
      const counterpart =
        row?.convex_user_id === change.id ? row._id : undefined;
      await deleteAccountData(ctx, change.id, counterpart);
      return;
    }
  }
}

/**
 * After an app write to `auth_users`: link a new row, carry the change to its
 * user, or delete the whole account with it when it was the user's two-way
 * counterpart. A row that was not (a duplicate, a one-sided claim, a legacy
 * row) is deleted alone, with its templates.
 */
export async function onAuthUsersChange(
  ctx: MutationCtx,
  change: Change<DataModel, "auth_users">,
): Promise<void> {
  const now = Date.now();
  switch (change.operation) {
    case "insert":
      await syncFromAuthUser(ctx, change.newDoc, { now });
      return;
    case "update": {
      const edits = editsFromAuthUsersWrite(change.oldDoc, change.newDoc);
      if (Object.keys(edits).length > 0) {
        await ctx.db.patch("auth_users", change.id, edits);
      }
      await syncFromAuthUser(ctx, { ...change.newDoc, ...edits }, { now });
      // Suspending ends the sign-ins of the row's own user, if it is the
      // user's counterpart; a row that merely points at a user suspends
      // nobody.
      if (
        change.oldDoc.status !== "suspended" &&
        change.newDoc.status === "suspended"
      ) {
        const row = await ctx.db.get("auth_users", change.id);
        const user = row === null ? null : await findPairedUser(ctx, row);
        if (user !== null) await endSignIns(ctx, user._id);
      }
      return;
    }
    case "delete": {
      const userId = change.oldDoc.convex_user_id;
      const user =
        userId === undefined ? null : await ctx.db.get("users", userId);
      if (user !== null && user.auth_user_id === change.id) {
        await deleteAccountData(ctx, user._id, change.id);
      } else {
        await deleteAppRow(ctx, change.id);
      }
      return;
    }
  }
}
