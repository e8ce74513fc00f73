/**
 * The app's API: the signed-in user's profile.
 */
import { appError, singleTable } from "convex-auth-user-sync";
import { v } from "convex/values";
import { callerMutation, callerQuery, callerSyncMutation } from "./functions";
import { userSync } from "./sync";

const profileValidator = v.object({
  userId: v.id("users"),
  profileId: v.union(v.id("profiles"), v.null()),
  displayName: v.union(v.string(), v.null()),
  email: v.union(v.string(), v.null()),
  emailVerified: v.boolean(),
  lastLoginAt: v.union(v.number(), v.null()),
});

/** The signed-in user's profile; null when signed out. */
export const me = callerQuery({
  args: {},
  returns: v.union(v.null(), profileValidator),
  handler: (ctx) => {
    const { caller } = ctx;
    if (caller === null) return null;
    // Once profiles is no longer written (single-table mode, docs/fold.md)
    // a person with no profile is read as a virtual one under their users
    // id: that is no profile id.
    const profileId =
      caller.profile === null ||
      (caller.profile._id as string) === caller.user._id
        ? null
        : caller.profile._id;
    return {
      userId: caller.user._id,
      profileId,
      displayName: caller.profile?.displayName ?? caller.user.name ?? null,
      email: caller.profile?.email ?? null,
      emailVerified: caller.profile?.emailVerified === true,
      lastLoginAt: caller.profile?.lastLoginAt ?? null,
    };
  },
});

/** A display name as the app accepts it: trimmed, 1 to 60 characters. */
export function cleanDisplayName(value: string): string {
  const displayName = value.trim();
  if (displayName.length === 0 || displayName.length > 60) {
    throw appError(
      "INVALID_ARGUMENT",
      "displayName must be 1 to 60 characters",
    );
  }
  return displayName;
}

/**
 * Sets the signed-in user's display name: an ordinary write to the app's
 * own table, which the triggers carry to `users.name`. Once profiles is no
 * longer written (single-table mode, docs/fold.md), an edit of the user's
 * virtual profile: the sync writes its home and `users.name`.
 */
export const setDisplayName = callerMutation({
  args: { displayName: v.string() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const displayName = cleanDisplayName(args.displayName);
    if ((await singleTable(ctx)).on) {
      await userSync.ensurePair(ctx, ctx.caller.user, { displayName });
      return null;
    }
    if (ctx.caller.profile === null) {
      throw appError(
        "CONFLICT",
        "Your account's records need an administrator's attention; nothing was changed",
      );
    }
    await ctx.db.patch("profiles", ctx.caller.profile._id, { displayName });
    return null;
  },
});

/** Deletes the signed-in user's account and profile. */
export const deleteMyAccount = callerSyncMutation({
  args: {},
  returns: v.null(),
  handler: async (ctx) => {
    await userSync.deleteAccount(ctx, ctx.caller.user._id);
    return null;
  },
});
