import {
  accountStatusValidator,
  syncTables,
  syncUserFields,
} from "convex-auth-user-sync";
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

/**
 * The app's tables. Convex Auth v2 keeps its own data (sessions, passwords,
 * verified addresses, GitHub accounts) in its components and stores only the
 * ids of `users`, which the app owns: the sync's v2 adapter creates them
 * (`createUser`) and writes what each sign-in proved (`onSignIn`;
 * convex/userSync.ts). `members` is the app's own user table from before,
 * kept in step with `users` by the sync (convex/sync.ts). The app came from
 * Convex Auth v1 and keeps v1's `authAccounts` until its move ends.
 */
export default defineSchema({
  users: defineTable({
    // What v1 kept on users, written by the v2 adapter from each sign-in.
    email: v.optional(v.string()),
    emailVerificationTime: v.optional(v.number()),
    name: v.optional(v.string()),
    image: v.optional(v.string()),
    ...syncUserFields,
    // The fold's homes for the member's own fields (convex/sync.ts, fold):
    // copies of the member's values, kept equal by the sync (docs/fold.md).
    company: v.optional(v.string()),
    role: v.optional(v.string()),
    joinedAt: v.optional(v.number()),
    emailKey: v.optional(v.string()),
    emailVerified: v.optional(v.boolean()),
    fullName: v.optional(v.string()),
  })
    // Verified holders of an address first: the adapter links a proven
    // address to its one verified holder, the sync pairs by it.
    .index("by_email_and_emailVerificationTime", [
      "email",
      "emailVerificationTime",
    ])
    // The fold's placeholders of people who never signed in, by address.
    .index("by_unclaimed", ["unclaimed"])
    // A person's records by address and status, on users alone.
    .index("by_emailKey_and_status", ["emailKey", "status"]),

  members: defineTable({
    userId: v.optional(v.id("users")),
    email: v.optional(v.string()),
    emailVerified: v.optional(v.boolean()),
    fullName: v.optional(v.string()),
    avatarUrl: v.optional(v.string()),
    company: v.optional(v.string()),
    role: v.optional(v.string()),
    status: v.optional(accountStatusValidator),
    lastLoginAt: v.optional(v.number()),
    updatedAt: v.optional(v.number()),
    joinedAt: v.number(),
  })
    .index("by_userId", ["userId"])
    .index("by_email_and_userId_and_emailVerified", [
      "email",
      "userId",
      "emailVerified",
    ])
    .index("by_email_and_emailVerified", ["email", "emailVerified"])
    .index("by_email_and_status", ["email", "status"]),

  // Convex Auth v1's accounts, kept while the v1 -> v2 move runs
  // (docs/v2-move.md, step 7): the move reads them, and an erasure deletes
  // the person's. The definition is 0.0.95's own (`authTables.authAccounts`,
  // with its indexes: this app installs only 2.0.0). Dropped at step 8.
  authAccounts: defineTable({
    userId: v.id("users"),
    provider: v.string(),
    providerAccountId: v.string(),
    secret: v.optional(v.string()),
    emailVerified: v.optional(v.string()),
    phoneVerified: v.optional(v.string()),
  })
    .index("userIdAndProvider", ["userId", "provider"])
    .index("providerAndAccountId", ["provider", "providerAccountId"]),

  ...syncTables,
});
