import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

/**
 * The app's tables. Convex Auth v2 keeps its own data (sessions, passwords,
 * verified addresses, GitHub accounts) in its components and stores only the
 * ids of `users`, which the app owns and fills in its `createUser` callback
 * (convex/users.ts). `members` is the app's own user table from before.
 */
export default defineSchema({
  users: defineTable({
    email: v.optional(v.string()),
    emailVerificationTime: v.optional(v.number()),
    name: v.optional(v.string()),
    image: v.optional(v.string()),
  }).index("email", ["email"]),

  members: defineTable({
    email: v.string(),
    emailVerified: v.optional(v.boolean()),
    fullName: v.optional(v.string()),
    avatarUrl: v.optional(v.string()),
    company: v.optional(v.string()),
    role: v.optional(v.string()),
    userId: v.optional(v.id("users")),
  })
    .index("by_email", ["email"])
    .index("by_userId", ["userId"]),
});
