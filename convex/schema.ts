import { authTables } from "@convex-dev/auth/server";
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import {
  accountStatusValidator,
  fieldSourceValidator,
  reviewKindValidator,
  syncRunFields,
} from "./validators";

/**
 * Two user tables kept in sync:
 * - `users`: Convex Auth's table (written by Convex Auth on every sign-in),
 *   extended with the cross-reference and login/update timestamps.
 * - `auth_users`: the app's own table (domain fields, snake_case names).
 *
 * Every field added to `auth_users` beyond the legacy set (email, full_name,
 * avatar_url, company, role, created_at, updated_at) is optional so rows that
 * predate the sync stay valid.
 */
export default defineSchema({
  ...authTables,

  users: defineTable({
    // Convex Auth's own fields (copied from authTables.users so we can extend).
    name: v.optional(v.string()),
    image: v.optional(v.string()),
    email: v.optional(v.string()),
    emailVerificationTime: v.optional(v.number()),
    phone: v.optional(v.string()),
    phoneVerificationTime: v.optional(v.number()),
    isAnonymous: v.optional(v.boolean()),
    // Sync fields.
    auth_user_id: v.optional(v.id("auth_users")),
    lastLoginAt: v.optional(v.number()),
    updatedAt: v.optional(v.number()),
    // Mirrors auth_users.status, which owns it.
    status: v.optional(accountStatusValidator),
    // Set when Convex Auth creates the user (a code requested, an OAuth
    // answer), cleared by its first completed sign-in: until then it gets no
    // pair, no templates and no legacy row.
    pendingFirstSignIn: v.optional(v.boolean()),
  })
    // Convex Auth's own indexes, queried by name in its code.
    // eslint-disable-next-line @convex-dev/no-duplicate-indexes -- Convex Auth queries "email" by name
    .index("email", ["email"])
    .index("phone", ["phone"])
    // Verified owners of an address first, however many unverified sign-ups
    // claim it too.
    .index("by_email_and_emailVerificationTime", [
      "email",
      "emailVerificationTime",
    ])
    .index("by_auth_user_id", ["auth_user_id"]),

  auth_users: defineTable({
    convex_user_id: v.optional(v.id("users")),
    // Stored as a key (see normalizeEmail).
    email: v.optional(v.string()),
    // Mirrors users.emailVerificationTime; set on every row the sync has
    // paired, absent on legacy rows.
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
  })
    .index("by_convex_user_id", ["convex_user_id"])
    // Legacy rows (never paired: no convex_user_id, no email_verified) by
    // email, in one range.
    .index("by_email_and_convex_user_id_and_email_verified", [
      "email",
      "convex_user_id",
      "email_verified",
    ])
    // Lookups by email trust verified rows first, however many unverified
    // sign-ups claim the same address.
    .index("by_email_and_email_verified", ["email", "email_verified"]),

  starter_templates: defineTable({
    owner_id: v.id("auth_users"),
    // Stable key of the template in STARTER_TEMPLATES; unique per owner.
    key: v.string(),
    title: v.string(),
    body: v.string(),
    created_at: v.number(),
  }).index("by_owner_id_and_key", ["owner_id", "key"]),

  // Cases the sync refuses to guess about (ambiguous email matches, failed
  // sign-in syncs): recorded for an operator instead of thrown at a user.
  sync_reviews: defineTable({
    kind: reviewKindValidator,
    // One row per case: a repeated report writes nothing (see reviewKey).
    key: v.string(),
    user_id: v.optional(v.id("users")),
    auth_user_ids: v.array(v.id("auth_users")),
    email: v.optional(v.string()),
    detail: v.string(),
    first_seen_at: v.number(),
    resolved_at: v.optional(v.number()),
  }).index("by_key", ["key"]),

  // One row per bulk sync or migration run (see convex/syncEngine.ts).
  sync_runs: defineTable(syncRunFields).index("by_status", ["status"]),

  // What a dry run would change, one row per page.
  sync_run_changes: defineTable({
    run_id: v.id("sync_runs"),
    page: v.number(),
    changes: v.array(v.string()),
  }).index("by_run_id_and_page", ["run_id", "page"]),
});
