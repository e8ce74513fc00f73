/**
 * Operator commands for administrator rights. Internal only: nobody can make
 * themselves an administrator through a public function.
 *
 * @example npx convex run admin:setAdmin '{"email":"ada@example.com","isAdmin":true}'
 */
import { v } from "convex/values";
import { appError } from "./errors";
import { internalMutation } from "./functions";
import { cleanEmail } from "./inputs";
import { findPairByEmail } from "./userLookup";

export const setAdmin = internalMutation({
  args: { email: v.string(), isAdmin: v.boolean() },
  returns: v.id("auth_users"),
  handler: async (ctx, args) => {
    const pair = await findPairByEmail(ctx, cleanEmail(args.email));
    if (pair?.authUser == null) {
      throw appError(
        "NOT_FOUND",
        "No auth_users row with this email (the user must have signed in once)",
      );
    }
    if (pair.authUser.is_admin !== args.isAdmin) {
      await ctx.db.patch("auth_users", pair.authUser._id, {
        is_admin: args.isAdmin,
      });
    }
    return pair.authUser._id;
  },
});
