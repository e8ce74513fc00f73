/**
 * Edits and deletions made as app code makes them (internal: run them from
 * the CLI), through the triggers. Suspending, deleting an account and the
 * rest are the library's operator commands, exported from userSync.ts.
 *
 * @example npx convex run admin:editProfile '{"profileId":"...","displayName":"Ada"}'
 */
import { appError } from "convex-auth-user-sync";
import { v } from "convex/values";
import type { QueryCtx } from "./_generated/server";
import { internalMutation } from "./functions";
import { cleanDisplayName } from "./profiles";

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
