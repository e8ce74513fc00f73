/**
 * The schema additions: the sync's own tables, and the fields it keeps on
 * Convex Auth's `users` rows. The rest is a few lines of the app's own
 * schema, in full view: the reference fields, the app table's email key and
 * verification mirror, and the indexes the sync queries, under the names
 * `indexNames` derives (see docs/declaration.md).
 *
 * @example
 * export default defineSchema({
 *   ...authTables,
 *   users: usersTable(authTables.users),
 *   profiles: defineTable({ userId: v.optional(v.id("users")), email: v.optional(v.string()),
 *     emailVerified: v.optional(v.boolean()), displayName: v.optional(v.string()) })
 *     .index("by_userId", ["userId"])
 *     .index("by_email_and_userId_and_emailVerified", ["email", "userId", "emailVerified"])
 *     .index("by_email_and_emailVerified", ["email", "emailVerified"]),
 *   ...syncTables,
 * });
 */
import type { authTables } from "@convex-dev/auth/server";
import { defineTable } from "convex/server";
import { v } from "convex/values";
import {
  accountStatusValidator,
  auditEntryFields,
  syncReviewFields,
  syncRunFields,
  syncRunWorkerFields,
} from "./validators.js";
import { foldTables } from "./fold/state.js";

/** Fields the sync keeps on Convex Auth's `users` rows. */
export const syncUserFields = {
  // The login time, mirrored with the app row's (the later wins).
  lastLoginAt: v.optional(v.number()),
  // The time of the last profile change, mirrored with the app row's.
  updatedAt: v.optional(v.number()),
  // Mirrors the app row's status, which owns it; absent means active.
  status: v.optional(accountStatusValidator),
  // Set when Convex Auth creates the user (a code requested, an OAuth
  // answer), cleared by its first completed sign-in: until then it gets no
  // pair, no starter content and no legacy row.
  pendingFirstSignIn: v.optional(v.boolean()),
  // The fold's placeholder of a person who never signed in: their address
  // key ("" without one), until a sign-in proving it claims the user (see
  // docs/fold.md). Absent on every other user.
  unclaimed: v.optional(v.string()),
  // The fold's single-table mode: when it last wrote each home (users
  // field -> time), so that verify tells a value the person changed since
  // writes stopped from one the row holds and users lost (docs/fold.md).
  foldWrittenAt: v.optional(v.record(v.string(), v.number())),
  // Convex Auth v2 only: the methods (and OAuth account ids) this user
  // signed in with. v2's components cannot list a user's OAuth accounts;
  // an export, the operator's view and an erasure need them
  // (docs/convex-auth-v2.md).
  authMethods: v.optional(
    v.array(v.object({ method: v.string(), account: v.optional(v.string()) })),
  ),
};

/**
 * Convex Auth's `users` table with the sync's fields and the indexes both
 * need: Convex Auth's `email` and `phone`, and the sync's
 * verified-owners-first `by_email_and_emailVerificationTime`. Chain more
 * indexes as usual. With a reference on the `users` side too, or a
 * customised `users` (its own `defineTable`), define the table yourself:
 * Convex Auth's fields and its `email` and `phone` indexes, `...syncUserFields`
 * and `by_email_and_emailVerificationTime`, plus the reference and its
 * `by_<field>` index (see the adoption guide, docs/adoption.md, and the seed's schema).
 *
 * @example
 * import { authTables } from "@convex-dev/auth/server";
 * export default defineSchema({ ...authTables, users: usersTable(authTables.users), ... });
 */
export function usersTable(authUsers: typeof authTables.users) {
  return (
    defineTable({ ...authUsers.validator.fields, ...syncUserFields })
      // Convex Auth queries "email" and "phone" by these names.
      .index("email", ["email"])
      .index("phone", ["phone"])
      // Verified owners of an address first, however many unverified
      // sign-ups claim it too.
      .index("by_email_and_emailVerificationTime", [
        "email",
        "emailVerificationTime",
      ])
      // The fold's placeholders by address, for the claim.
      .index("by_unclaimed", ["unclaimed"])
  );
}

/**
 * The sync's own tables: cases for review, decisions to keep two apart, the
 * audit log, bulk runs and their workers, a dry run's log and planned keys.
 */
export const syncTables = {
  // Cases the sync refuses to guess about: recorded for a person instead of
  // decided (see docs/troubleshooting.md).
  sync_reviews: defineTable(syncReviewFields)
    .index("by_key", ["key"])
    // The cases of a person, for an erasure (see erasure.ts).
    .index("by_user_id", ["user_id"])
    .index("by_email", ["email"])
    // Open cases first (resolved_at absent), oldest first: the review queue.
    .index("by_resolved_at", ["resolved_at"])
    // Open cases of a kind: the failures a monitor alerts on (health.ts).
    .index("by_kind_and_resolved_at", ["kind", "resolved_at"])
    // A person's open cases (resolved_at absent), by user and by address:
    // the seed's console shows them on the person's page and directory.
    .index("by_user_id_and_resolved_at", ["user_id", "resolved_at"])
    .index("by_email_and_resolved_at", ["email", "resolved_at"]),

  // Pairs a person decided must never be linked automatically (a
  // keep-separate resolution): the pairing decision skips them.
  sync_separations: defineTable({
    user_id: v.id("users"),
    row_id: v.string(),
    created_at: v.number(),
  })
    .index("by_user_id_and_row_id", ["user_id", "row_id"])
    .index("by_row_id", ["row_id"]),

  // Every resolution and operator command: who, when, what, the fields
  // before and after. Read a page at a time, newest first; trimmed by age
  // through the built-in by_creation_time index (see purgeAuditLog).
  sync_audit: defineTable(auditEntryFields),

  // The people each audit entry names (users and app-row ids) or was made
  // by: an erasure finds every entry about a person here (an entry's `ids`
  // is an array, which no index reaches).
  sync_audit_subjects: defineTable({
    subject: v.string(),
    audit_id: v.id("sync_audit"),
  })
    .index("by_subject", ["subject"])
    // An entry's rows, deleted with it by the retention job.
    .index("by_audit_id", ["audit_id"]),

  // One row per bulk run.
  sync_runs: defineTable(syncRunFields)
    .index("by_status", ["status"])
    // The latest run that syncs, for health (dry runs change nothing).
    .index("by_dry_run", ["dry_run"])
    // One kind of run, real or dry: the v1 -> v2 move's, for its status.
    .index("by_name_and_dry_run", ["name", "dry_run"]),

  // A run's workers: one chain of pages per key range, per phase.
  sync_run_workers: defineTable(syncRunWorkerFields).index(
    "by_run_id_and_phase_and_worker",
    ["run_id", "phase", "worker"],
  ),

  // What a dry run would change, one row per page.
  sync_run_changes: defineTable({
    run_id: v.id("sync_runs"),
    page: v.number(),
    changes: v.array(v.string()),
  }).index("by_run_id_and_page", ["run_id", "page"]),

  // A dry run's planned email keys: rows whose email its first phase would
  // normalize, so the users after find them by key as a run would.
  // Legacy rows (never paired) first, as the app table's email index
  // orders them.
  sync_run_planned_keys: defineTable({
    run_id: v.id("sync_runs"),
    email: v.string(),
    legacy: v.boolean(),
    row_id: v.string(),
  })
    .index("by_run_id_and_email_and_legacy", ["run_id", "email", "legacy"])
    // An erased row's keys go with it.
    .index("by_row_id", ["row_id"]),

  ...foldTables,
};
