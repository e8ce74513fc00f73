/**
 * Edits and deletions made as app code makes them (internal: run them from
 * the CLI), through the triggers. Suspending, deleting an account and the
 * rest are the library's operator commands, exported from userSync.ts.
 *
 * @example npx convex run admin:editMember '{"memberId":"...","fullName":"Ada"}'
 */
import { appError } from "convex-auth-user-sync";
import { v } from "convex/values";
import type { QueryCtx } from "./_generated/server";
import { internalMutation } from "./functions";
import { cleanFullName } from "./members";

/** A member's id, checked: NOT_FOUND for anything else. */
async function existingMemberId(ctx: QueryCtx, id: string) {
  const memberId = ctx.db.normalizeId("members", id);
  if (memberId === null || (await ctx.db.get("members", memberId)) === null) {
    throw appError("NOT_FOUND", "No such member");
  }
  return memberId;
}

/**
 * Edits a member as any app code would: the triggers carry the display
 * name to users in the same transaction.
 */
export const editMember = internalMutation({
  args: { memberId: v.string(), fullName: v.string() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const memberId = await existingMemberId(ctx, args.memberId);
    await ctx.db.patch("members", memberId, {
      fullName: cleanFullName(args.fullName),
    });
    return null;
  },
});

/**
 * Deletes a member as any app code would: a user's own member takes the
 * account with it (this app's `onRowDelete: "deleteAccount"`); any other
 * member goes alone.
 */
export const deleteMember = internalMutation({
  args: { memberId: v.string() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const memberId = await existingMemberId(ctx, args.memberId);
    await ctx.db.delete("members", memberId);
    return null;
  },
});

/**
 * Deletes a `users` row as any app code would: the triggers delete the
 * user's own member with it (the one member naming the user), never a
 * member that is not provably theirs.
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
