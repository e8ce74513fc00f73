import { Infer, v } from "convex/values";

/** Who set a mirrored value that has two possible owners (name, avatar). */
export const fieldSourceValidator = v.union(
  v.literal("provider"),
  v.literal("user"),
);
export type FieldSource = Infer<typeof fieldSourceValidator>;

/** Cases the sync records for an operator instead of guessing. */
export const reviewKindValidator = v.union(
  // Two or more unlinked auth_users rows share the user's verified email.
  v.literal("ambiguous_email"),
  // An unverified email matches an unlinked auth_users row of someone else.
  v.literal("unverified_email_match"),
  // users.auth_user_id points at a row linked to a different user.
  v.literal("reference_conflict"),
  // The sign-in sync threw; the sign-in went ahead without it.
  v.literal("sign_in_sync_failed"),
);
export type ReviewKind = Infer<typeof reviewKindValidator>;
