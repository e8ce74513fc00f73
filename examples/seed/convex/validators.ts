/**
 * The app's validators (its views of a user), beside the sync's, which
 * convex-auth-user-sync defines and this module re-exports.
 */
import { accountStatusValidator } from "convex-auth-user-sync";
import { type Infer, v } from "convex/values";

export {
  accountStatusValidator,
  type AccountStatus,
  type FieldSource,
  type Metrics,
  type ReviewKind,
  reviewKindValidator,
  type SyncOutcome,
  syncOutcomeValidator,
  syncResultValidator,
  type SyncRun,
  syncRunValidator,
} from "convex-auth-user-sync";
export {
  fieldSourceValidator,
  metricsValidator,
} from "convex-auth-user-sync/internals";

const nullable = <T extends Parameters<typeof v.union>[0]>(validator: T) =>
  v.union(validator, v.null());

/**
 * What anyone signed in may see of another user: no email, phone,
 * verification state or login times.
 */
export const publicProfileFields = {
  userId: nullable(v.id("users")),
  authUserId: nullable(v.id("auth_users")),
  name: nullable(v.string()),
  image: nullable(v.string()),
  company: nullable(v.string()),
  role: nullable(v.string()),
};
export const publicProfileValidator = v.object({
  visibility: v.literal("public"),
  ...publicProfileFields,
});
export type PublicProfile = Infer<typeof publicProfileValidator>;

/** One user across both tables, as the user themself (or an admin) sees it. */
export const unifiedUserValidator = v.object({
  visibility: v.literal("full"),
  ...publicProfileFields,
  email: nullable(v.string()),
  emailVerified: v.boolean(),
  phone: nullable(v.string()),
  isAdmin: v.boolean(),
  status: accountStatusValidator,
  lastLoginAt: nullable(v.number()),
  createdAt: v.number(),
  updatedAt: nullable(v.number()),
});
export type UnifiedUser = Infer<typeof unifiedUserValidator>;

/** A user as some caller may see them. */
export const userViewValidator = v.union(
  unifiedUserValidator,
  publicProfileValidator,
);
export type UserView = Infer<typeof userViewValidator>;
