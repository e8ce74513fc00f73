/**
 * Operator commands. Internal only: nobody can make themselves an
 * administrator, suspend or delete someone through a public function.
 *
 * @example npx convex run admin:setAdmin '{"email":"ada@example.com","isAdmin":true}'
 * @example npx convex run admin:setAdmin '{"id":"<users or auth_users id>","isAdmin":true}'
 * @example npx convex run admin:setStatus '{"email":"ada@example.com","status":"suspended"}'
 * @example npx convex run admin:deleteAccount '{"id":"<users or auth_users id>"}'
 * @example npx convex run admin:exportUserData '{"email":"ada@example.com"}'
 */
import { CLI_ACTOR, singleTable } from "convex-auth-user-sync";
import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel";
import type { QueryCtx } from "./_generated/server";
import { userSync } from "./sync";
import { appError } from "./errors";
import {
  internalMutation,
  internalQuery,
  internalSyncMutation,
} from "./functions";
import {
  cleanEmail,
  cleanImageUrl,
  cleanName,
  cleanOptionalText,
} from "./inputs";
import {
  findPairByEmail,
  getRowOrThrow,
  loadPairById,
  pairTargets,
  type UserPair,
} from "./userLookup";
import { personExportValidator, storedRow } from "./userViews";
import { accountStatusValidator } from "./validators";

/** Exactly one of `email` or `id` (a users or auth_users id). */
const targetArgs = {
  email: v.optional(v.string()),
  id: v.optional(v.string()),
};

async function findTarget(
  ctx: QueryCtx,
  args: { email?: string; id?: string },
): Promise<UserPair> {
  if ((args.email === undefined) === (args.id === undefined)) {
    throw appError("INVALID_ARGUMENT", "Pass exactly one of email or id");
  }
  // Operators act on one account, as linked: an address several accounts
  // hold is refused, and an id is never joined to anything by email.
  const pair =
    args.email !== undefined
      ? await findPairByEmail(ctx, cleanEmail(args.email), { unique: true })
      : await loadPairById(ctx, args.id!, { join: false });
  if (pair === null) throw appError("NOT_FOUND", "No such user");
  return pair;
}

/**
 * Grants or revokes administrator rights, on the account named by email or
 * by id. A password sign-up's address is unverified, and an unverified
 * address names nobody here: name such an account by id (operators:findUser
 * lists every holder of an address with their ids). Returns the record
 * written: the auth_users row, or once auth_users is no longer written
 * (single-table mode, docs/fold.md) the user, whose `isAdmin` is the home
 * of `is_admin`.
 */
export const setAdmin = internalMutation({
  args: { ...targetArgs, isAdmin: v.boolean() },
  returns: v.union(v.id("auth_users"), v.id("users")),
  handler: async (ctx, args) => {
    const pair = await findTarget(ctx, args);
    const summary = `${args.isAdmin ? "Granted" : "Revoked"} administrator rights`;
    // 1. Single-table mode: the right lives on the user alone.
    if ((await singleTable(ctx)).on) {
      const { user } = pair;
      if (user === null) throw appError("NOT_FOUND", "No such user");
      await userSync.audited(
        ctx,
        {
          action: "admin:setAdmin",
          actor: CLI_ACTOR,
          targets: [{ table: "users", id: user._id }],
          summary,
        },
        async () => {
          if (user.isAdmin !== args.isAdmin) {
            await ctx.db.patch("users", user._id, { isAdmin: args.isAdmin });
          }
        },
      );
      return user._id;
    }
    // 2. Two tables: the auth_users row holds it (its home follows).
    if (pair.authUser === null) {
      throw appError(
        "NOT_FOUND",
        "This account has no auth_users row (the user must have signed in once)",
      );
    }
    const authUserId = pair.authUser._id;
    await userSync.audited(
      ctx,
      {
        action: "admin:setAdmin",
        actor: CLI_ACTOR,
        targets: [{ table: "auth_users", id: authUserId }],
        summary,
      },
      async () => {
        if (pair.authUser!.is_admin !== args.isAdmin) {
          await ctx.db.patch("auth_users", authUserId, {
            is_admin: args.isAdmin,
          });
        }
      },
    );
    return authUserId;
  },
});

/**
 * Suspends or reactivates an account on both tables. Suspending ends every
 * session at once and refuses the next sign-in. Named by a legacy row whose
 * owner has not signed in yet, it sets the row's status: the owner's first
 * sign-in, which would link it, is then refused.
 */
export const setStatus = internalSyncMutation({
  args: { ...targetArgs, status: accountStatusValidator },
  returns: v.null(),
  handler: async (ctx, args) => {
    const pair = await findTarget(ctx, args);
    const { user, authUser } = pair;
    await userSync.audited(
      ctx,
      {
        action: "admin:setStatus",
        actor: CLI_ACTOR,
        targets: pairTargets(pair),
        summary: `Set status ${args.status}`,
      },
      async () => {
        if (user !== null) {
          await userSync.setStatus(ctx, user._id, args.status);
        } else {
          await userSync.setRowStatus(ctx, authUser!._id, args.status);
        }
      },
    );
    return null;
  },
});

/**
 * Deletes an account and everything provably of it (see users:deleteAccount);
 * named by an auth_users row in no pair, deletes that row alone. By id only:
 * it cannot be undone, and an address could name another account in other
 * capitals (operators:findUser lists the holders of an address with ids).
 */
export const deleteAccount = internalSyncMutation({
  args: targetArgs,
  returns: v.object({ deleted: v.number() }),
  handler: async (ctx, args) => {
    if (args.email !== undefined) {
      throw appError(
        "INVALID_ARGUMENT",
        "admin:deleteAccount takes an id only: run operators:findUser with this email, and pass the id of the account you mean",
      );
    }
    // A user's account is the user and its two-way counterpart; a row that
    // is in no pair (legacy, duplicate, one-sided) is deleted alone.
    const pair = await findTarget(ctx, args);
    const { user, authUser } = pair;
    const deleted = await userSync.audited(
      ctx,
      {
        action: "admin:deleteAccount",
        actor: CLI_ACTOR,
        targets: pairTargets(pair),
        summary:
          user !== null ? "Deleted the account" : "Deleted a row in no pair",
      },
      async () =>
        user !== null
          ? await userSync.deleteAccount(ctx, user._id)
          : await userSync.deleteRow(ctx, authUser!._id),
    );
    return { deleted };
  },
});

/**
 * An administrator's edit of a `users` row, as any app code might make it:
 * the triggers carry it to auth_users in the same transaction (a name or
 * image set here becomes the user's chosen one).
 */
export const editUser = internalMutation({
  args: {
    userId: v.string(),
    name: v.optional(v.string()),
    image: v.optional(v.string()),
    emailVerified: v.optional(v.boolean()),
    status: v.optional(accountStatusValidator),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    const user = await getRowOrThrow(ctx, "users", args.userId);
    const userId = user._id;
    const patch: Partial<Doc<"users">> = {};
    if (args.name !== undefined) patch.name = cleanName(args.name);
    if (args.image !== undefined) patch.image = cleanImageUrl(args.image);
    if (args.status !== undefined) patch.status = args.status;
    if (args.emailVerified !== undefined) {
      patch.emailVerificationTime = args.emailVerified ? Date.now() : undefined;
    }
    const counterpart = await userSync.findCounterpart(ctx, user);
    await userSync.audited(
      ctx,
      {
        action: "admin:editUser",
        actor: CLI_ACTOR,
        targets: pairTargets({ user, authUser: counterpart }),
        summary: `Edited ${Object.keys(patch).sort().join(", ") || "nothing"}`,
      },
      async () => await ctx.db.patch("users", userId, patch),
    );
    return null;
  },
});

/**
 * An administrator's edit of an `auth_users` row, as any app code might make
 * it: the triggers carry it to users in the same transaction.
 */
export const editAuthUser = internalMutation({
  args: {
    authUserId: v.string(),
    full_name: v.optional(v.string()),
    company: v.optional(v.string()),
    role: v.optional(v.string()),
    status: v.optional(accountStatusValidator),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    const authUser = await getRowOrThrow(ctx, "auth_users", args.authUserId);
    const authUserId = authUser._id;
    const patch: Partial<Doc<"auth_users">> = {};
    if (args.full_name !== undefined) {
      patch.full_name = cleanName(args.full_name);
    }
    if (args.company !== undefined) {
      patch.company = cleanOptionalText("company", args.company);
    }
    if (args.role !== undefined) {
      patch.role = cleanOptionalText("role", args.role);
    }
    if (args.status !== undefined) patch.status = args.status;
    const user = await userSync.findPairedUser(ctx, authUser);
    await userSync.audited(
      ctx,
      {
        action: "admin:editAuthUser",
        actor: CLI_ACTOR,
        targets: pairTargets({ user, authUser }),
        summary: `Edited ${Object.keys(patch).sort().join(", ") || "nothing"}`,
      },
      async () => await ctx.db.patch("auth_users", authUserId, patch),
    );
    return null;
  },
});

/**
 * Deletes one `users` or `auth_users` row the way app code would, with
 * `ctx.db.delete`: the triggers delete the rest of the account with it when
 * the row was in a two-way pair (this app's `onRowDelete: "deleteAccount"`).
 * A duplicate or one-sided row goes alone.
 */
export const deleteRecord = internalMutation({
  args: { id: v.string() },
  returns: v.null(),
  handler: async (ctx, { id }) => {
    // The row and whatever it is paired with (the triggers delete both).
    const pair = await loadPairById(ctx, id, { join: false });
    const userId = ctx.db.normalizeId("users", id);
    const authUserId = ctx.db.normalizeId("auth_users", id);
    if (pair === null || (pair.user === null && pair.authUser === null)) {
      throw appError("NOT_FOUND", "No users or auth_users row with this id");
    }
    await userSync.audited(
      ctx,
      {
        action: "admin:deleteRecord",
        actor: CLI_ACTOR,
        targets: pairTargets(pair),
        summary: `Deleted ${userId !== null ? "users" : "auth_users"} ${id}`,
      },
      async () => {
        if (userId !== null) await ctx.db.delete("users", userId);
        else await ctx.db.delete("auth_users", authUserId!);
      },
    );
    return null;
  },
});

/**
 * One person's data, for a request an operator answers (a data-access
 * request): both records as linked, their sign-in methods and their
 * starter templates. Named by email or by a users or auth_users id.
 */
export const exportUserData = internalQuery({
  args: targetArgs,
  returns: personExportValidator,
  handler: async (ctx, args) => {
    const pair = await findTarget(ctx, args);
    return await userSync.exportPerson(ctx, {
      user: pair.user,
      row: storedRow(pair),
    });
  },
});
