import { authTables } from "@convex-dev/auth/server";
import { syncTables, syncUserFields } from "convex-auth-user-sync";
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { accountStatusValidator, fieldSourceValidator } from "./validators";

/**
 * Two user tables kept in sync (see convex/sync.ts):
 * - `users`: Convex Auth's table (written by Convex Auth at every sign-in),
 *   with the sync's fields and the reference to the app row.
 * - `auth_users`: the app's own table (domain fields, snake_case names).
 *
 * Every field added to `auth_users` beyond the legacy set (email, full_name,
 * avatar_url, company, role, created_at, updated_at) is optional so rows that
 * predate the sync stay valid.
 */
export default defineSchema({
  ...authTables,

  users: defineTable({
    ...authTables.users.validator.fields,
    ...syncUserFields,
    auth_user_id: v.optional(v.id("auth_users")),
    // The fold's homes for auth_users' own fields (convex/sync.ts, fold):
    // copies of the row's values, kept equal by the sync from the expand
    // phase on (see docs/fold.md).
    company: v.optional(v.string()),
    role: v.optional(v.string()),
    isAdmin: v.optional(v.boolean()),
    nameSource: v.optional(fieldSourceValidator),
    avatarSource: v.optional(fieldSourceValidator),
    starterTemplatesProvisionedAt: v.optional(v.number()),
    createdAt: v.optional(v.number()),
    // The homes single-table mode needs (docs/fold.md): the address key
    // and its verification, and the chosen name and avatar (Convex Auth
    // rewrites users.name and users.image at every sign-in).
    emailKey: v.optional(v.string()),
    emailVerified: v.optional(v.boolean()),
    fullName: v.optional(v.string()),
    avatarUrl: v.optional(v.string()),
    // The user directory's search words once the fold reads users: made
    // from the homes of the row's name and address by every write of the
    // app's functions (searchTextWrites.ts), as auth_users.search_text.
    searchText: v.optional(v.string()),
  })
    // Convex Auth queries "email" and "phone" by name.
    // eslint-disable-next-line @convex-dev/no-duplicate-indexes -- Convex Auth queries "email" by name
    .index("email", ["email"])
    .index("phone", ["phone"])
    // The sync's: verified owners of an address first, however many
    // unverified sign-ups claim it too; every row a user points at.
    .index("by_email_and_emailVerificationTime", [
      "email",
      "emailVerificationTime",
    ])
    .index("by_auth_user_id", ["auth_user_id"])
    // The fold's placeholders of people who never signed in, by address.
    .index("by_unclaimed", ["unclaimed"])
    // A person's records by address and status, on users alone.
    .index("by_emailKey_and_status", ["emailKey", "status"])
    // The user directory once the fold reads users: newest people first
    // (the home of auth_users.created_at), and search by words.
    .index("by_createdAt", ["createdAt"])
    .searchIndex("search_text", { searchField: "searchText" }),

  auth_users: defineTable({
    // The sync's reference, email key and verification mirror (absent on
    // legacy rows, set on every row the sync has paired).
    convex_user_id: v.optional(v.id("users")),
    email: v.optional(v.string()),
    email_verified: v.optional(v.boolean()),
    phone: v.optional(v.string()),
    full_name: v.optional(v.string()),
    // "user" once the name was chosen in the app (or came with a linked
    // legacy row): provider renames no longer overwrite it.
    name_source: v.optional(fieldSourceValidator),
    avatar_url: v.optional(v.string()),
    avatar_source: v.optional(fieldSourceValidator),
    company: v.optional(v.string()),
    role: v.optional(v.string()),
    // Granted only by the internal admin:setAdmin command.
    is_admin: v.optional(v.boolean()),
    // Absent means active; set by admin:setStatus.
    status: v.optional(accountStatusValidator),
    starter_templates_provisioned_at: v.optional(v.number()),
    last_login_at: v.optional(v.number()),
    created_at: v.number(),
    updated_at: v.number(),
    // The user directory's search words: the name's words and the
    // address's parts, kept by every write of the app's functions
    // (searchTextWrites.ts). Absent on rows written before it.
    search_text: v.optional(v.string()),
  })
    // The sync's indexes (names derived from the fields, see indexNames).
    .index("by_convex_user_id", ["convex_user_id"])
    .index("by_email_and_convex_user_id_and_email_verified", [
      "email",
      "convex_user_id",
      "email_verified",
    ])
    .index("by_email_and_email_verified", ["email", "email_verified"])
    // The suspended holders of an address, for the sign-in's check.
    .index("by_email_and_status", ["email", "status"])
    // The user directory: newest accounts first, and search by words.
    .index("by_created_at", ["created_at"])
    .searchIndex("search_text", { searchField: "search_text" }),

  starter_templates: defineTable({
    // The owner's auth_users row, or, once the fold re-points it, their
    // users row: both are accepted while the fold is under way.
    owner_id: v.union(v.id("auth_users"), v.id("users")),
    // Stable key of the template in STARTER_TEMPLATES; unique per owner.
    key: v.string(),
    title: v.string(),
    body: v.string(),
    created_at: v.number(),
  }).index("by_owner_id_and_key", ["owner_id", "key"]),

  // Reviews, bulk runs and a dry run's log: the sync's own tables.
  ...syncTables,
});
