/**
 * Operator commands (internal: run them from the CLI).
 *
 * @example npx convex run admin:setStatus '{"userId":"...","status":"suspended"}'
 */
import { accountStatusValidator, appError } from "convex-auth-user-sync";
import { v } from "convex/values";
import type { QueryCtx } from "./_generated/server";
import { internalMutation, internalSyncMutation } from "./functions";
import { cleanDisplayName } from "./profiles";
import { userSync } from "./sync";

/** Suspends or reactivates an account. */
export const setStatus = internalSyncMutation({
  args: { userId: v.string(), status: accountStatusValidator },
  returns: v.null(),
  handler: async (ctx, args) => {
    const userId = ctx.db.normalizeId("users", args.userId);
    if (userId === null || (await ctx.db.get("users", userId)) === null) {
      throw appError("NOT_FOUND", "No such user");
    }
    await userSync.setStatus(ctx, userId, args.status);
    return null;
  },
});

/** Deletes an account and its profile. */
export const deleteAccount = internalSyncMutation({
  args: { userId: v.string() },
  returns: v.object({ deleted: v.number() }),
  handler: async (ctx, args) => {
    const userId = ctx.db.normalizeId("users", args.userId);
    if (userId === null) throw appError("INVALID_ARGUMENT", "Not a users id");
    return { deleted: await userSync.deleteAccount(ctx, userId) };
  },
});

/** A profile's id, checked: NOT_FOUND for anything else. */
async function existingProfileId(ctx: QueryCtx, id: string) {
  const profileId = ctx.db.normalizeId("profiles", id);
  if (
    profileId === null ||
    (await ctx.db.get("profiles", profileId)) === null
  ) {
    throw appError("NOT_FOUND", "No such profile");
  }
  return profileId;
}

/**
 * Edits a profile as any app code would: the triggers carry the display
 * name to users in the same transaction.
 */
export const editProfile = internalMutation({
  args: { profileId: v.string(), displayName: v.string() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const profileId = await existingProfileId(ctx, args.profileId);
    await ctx.db.patch("profiles", profileId, {
      displayName: cleanDisplayName(args.displayName),
    });
    return null;
  },
});

/**
 * Deletes a profile as any app code would: a user's own profile takes the
 * account with it (this app's `onRowDelete: "deleteAccount"`); any other
 * profile goes alone.
 */
export const deleteProfile = internalMutation({
  args: { profileId: v.string() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const profileId = await existingProfileId(ctx, args.profileId);
    await ctx.db.delete("profiles", profileId);
    return null;
  },
});

/**
 * Deletes a `users` row as any app code would: the triggers delete the
 * user's own profile with it (the one profile naming the user), never a
 * profile that is not provably theirs.
 */
export const deleteUserRecord = internalMutation({
  args: { userId: v.string() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const userId = ctx.db.normalizeId("users", args.userId);
    if (userId === null || (await ctx.db.get("users", userId)) === null) {
      throw appError("NOT_FOUND", "No such user");
    }
    await ctx.db.delete("users", userId);
    return null;
  },
});
