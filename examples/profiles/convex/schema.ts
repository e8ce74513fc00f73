import { authTables } from "@convex-dev/auth/server";
import {
  accountStatusValidator,
  syncTables,
  usersTable,
} from "convex-auth-user-sync";
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

/**
 * Convex Auth's `users`, and the app's `profiles` (camelCase): the reference
 * lives on the profile only (`profiles.userId`), so the one profile naming a
 * user is its counterpart (see convex/sync.ts).
 */
export default defineSchema({
  ...authTables,

  users: usersTable(authTables.users),

  profiles: defineTable({
    userId: v.optional(v.id("users")),
    email: v.optional(v.string()),
    emailVerified: v.optional(v.boolean()),
    // The app's own from the start: users.name mirrors it.
    displayName: v.optional(v.string()),
    bio: v.optional(v.string()),
    status: v.optional(accountStatusValidator),
    lastLoginAt: v.optional(v.number()),
    updatedAt: v.optional(v.number()),
    createdAt: v.number(),
  })
    .index("by_userId", ["userId"])
    .index("by_email_and_userId_and_emailVerified", [
      "email",
      "userId",
      "emailVerified",
    ])
    .index("by_email_and_emailVerified", ["email", "emailVerified"])
    .index("by_email_and_status", ["email", "status"]),

  ...syncTables,
});
