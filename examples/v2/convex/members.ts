/**
 * The app's API: the signed-in person's membership.
 */
import { appError, singleTable } from "convex-auth-user-sync";
import { v } from "convex/values";
import { callerMutation, callerQuery, callerSyncMutation } from "./functions";
import { userSync } from "./sync";

const memberValidator = v.object({
  userId: v.id("users"),
  memberId: v.union(v.id("members"), v.null()),
  fullName: v.union(v.string(), v.null()),
  email: v.union(v.string(), v.null()),
  emailVerified: v.boolean(),
  company: v.union(v.string(), v.null()),
  role: v.union(v.string(), v.null()),
  lastLoginAt: v.union(v.number(), v.null()),
});

/** The signed-in person's membership; null when signed out. */
export const me = callerQuery({
  args: {},
  returns: v.union(v.null(), memberValidator),
  handler: (ctx) => {
    const { caller } = ctx;
    if (caller === null) return null;
    const member = caller.member;
    // Once members is no longer written (single-table mode, docs/fold.md)
    // a person is read as a virtual member under their users id: that is
    // no member id.
    const memberId =
      member === null || (member._id as string) === caller.user._id
        ? null
        : member._id;
    return {
      userId: caller.user._id,
      memberId,
      fullName: member?.fullName ?? caller.user.name ?? null,
      email: member?.email ?? null,
      emailVerified: member?.emailVerified === true,
      company: member?.company ?? null,
      role: member?.role ?? null,
      lastLoginAt: member?.lastLoginAt ?? null,
    };
  },
});

/** A full name as the app accepts it: trimmed, 1 to 80 characters. */
export function cleanFullName(value: string): string {
  const fullName = value.trim();
  if (fullName.length === 0 || fullName.length > 80) {
    throw appError("INVALID_ARGUMENT", "fullName must be 1 to 80 characters");
  }
  return fullName;
}

/**
 * Sets the signed-in person's name: an ordinary write to the app's own
 * table, which the triggers carry to `users.name`. Once members is no
 * longer written (single-table mode, docs/fold.md), an edit of the
 * person's virtual member: the sync writes its home and `users.name`.
 */
export const setFullName = callerMutation({
  args: { fullName: v.string() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const fullName = cleanFullName(args.fullName);
    // Single-table mode (docs/fold.md): an edit of the person's virtual
    // member, which the sync writes to its home and users.name.
    if ((await singleTable(ctx)).on) {
      await userSync.ensurePair(ctx, ctx.caller.user, { fullName });
      return null;
    }
    if (ctx.caller.member === null) {
      throw appError(
        "CONFLICT",
        "Your account's records need an administrator's attention; nothing was changed",
      );
    }
    await ctx.db.patch("members", ctx.caller.member._id, { fullName });
    return null;
  },
});

/**
 * Deletes the signed-in person's account: the membership, the user, its
 * sessions, and its identities in Convex Auth's components (what 2.0.0 can
 * delete; docs/convex-auth-v2.md).
 */
export const deleteMyAccount = callerSyncMutation({
  args: {},
  returns: v.null(),
  handler: async (ctx) => {
    await userSync.deleteAccount(ctx, ctx.caller.user._id);
    return null;
  },
});
