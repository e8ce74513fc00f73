import { authTables } from "@convex-dev/auth/server";
import {
  accountStatusValidator,
  syncTables,
  syncUserFields,
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

  // usersTable(authTables.users), with the fold's homes for the profile's
  // own fields (convex/sync.ts, fold): copies of the profile's values, kept
  // equal by the sync (see docs/fold.md).
  users: defineTable({
    ...authTables.users.validator.fields,
    ...syncUserFields,
    bio: v.optional(v.string()),
    createdAt: v.optional(v.number()),
    // The homes single-table mode needs (docs/fold.md): the address key,
    // its verification, and the app's own display name.
    emailKey: v.optional(v.string()),
    emailVerified: v.optional(v.boolean()),
    displayName: v.optional(v.string()),
  })
    // Convex Auth queries "email" and "phone" by name.
    // eslint-disable-next-line @convex-dev/no-duplicate-indexes -- Convex Auth queries "email" by name
    .index("email", ["email"])
    .index("phone", ["phone"])
    // The sync's: verified owners of an address first, however many
    // unverified sign-ups claim it too.
    .index("by_email_and_emailVerificationTime", [
      "email",
      "emailVerificationTime",
    ])
    // The fold's placeholders of people who never signed in, by address.
    .index("by_unclaimed", ["unclaimed"])
    // A person's records by address and status, on users alone.
    .index("by_emailKey_and_status", ["emailKey", "status"]),

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
