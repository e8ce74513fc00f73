/**
 * Shapes one user across both tables into what a caller may see. Pure: no
 * Convex calls.
 */
import { personDataValidator } from "convex-auth-user-sync";
import { v } from "convex/values";
import { doc } from "convex-helpers/validators";
import type { Doc } from "./_generated/dataModel";
import schema from "./schema";
import type { PublicProfile, UnifiedUser, UserView } from "./validators";

/**
 * One person's data as an export returns it (users:exportMyData,
 * admin:exportUserData): the library's export, typed for this app.
 */
export const personExportValidator = v.object({
  user: v.union(v.null(), doc(schema, "users")),
  row: v.union(v.null(), doc(schema, "auth_users")),
  accounts: personDataValidator.fields.accounts,
  // The starter templates (the exportRow hook of convex/sync.ts).
  app: v.union(
    v.null(),
    v.object({
      templates: v.array(
        v.object({ key: v.string(), title: v.string(), body: v.string() }),
      ),
    }),
  ),
});

type Pair = {
  user: Doc<"users"> | null;
  authUser: Doc<"auth_users"> | null;
};

/**
 * What anyone signed in may see of a person who has signed in (viewFor). auth_users holds the unified
 * values (see the field map); `users` fills in while a counterpart is
 * missing.
 */
export function toPublicProfile({ user, authUser }: Pair): PublicProfile {
  return {
    visibility: "public",
    userId: user?._id ?? null,
    authUserId: storedRow({ user, authUser })?._id ?? null,
    name: authUser?.full_name ?? user?.name ?? null,
    image: authUser?.avatar_url ?? user?.image ?? null,
    company: authUser?.company ?? null,
    role: authUser?.role ?? null,
  };
}

/**
 * The pair's auth_users row, or null for none. In single-table mode (the
 * fold's stage writes_stopped on, docs/fold.md) a user no row stands for
 * is read as a virtual row under the user's own id: the person's record,
 * which is no auth_users row, so it is shown as none.
 */
export function storedRow({ user, authUser }: Pair): Doc<"auth_users"> | null {
  if (authUser === null) return null;
  return (authUser._id as string) === user?._id ? null : authUser;
}

/**
 * Everything about a user, for the user themself or an administrator.
 *
 * @example return toUnifiedUser({ user, authUser });
 */
export function toUnifiedUser(pair: Pair): UnifiedUser {
  const { user, authUser } = pair;
  const createdAt =
    authUser?.created_at ?? user?._creationTime ?? authUser?._creationTime;
  if (createdAt === undefined) throw new Error("toUnifiedUser: empty pair");
  return {
    ...toPublicProfile(pair),
    visibility: "full",
    email: authUser?.email ?? user?.email ?? null,
    emailVerified:
      authUser?.email_verified ?? user?.emailVerificationTime !== undefined,
    phone: authUser?.phone ?? user?.phone ?? null,
    isAdmin: authUser?.is_admin === true,
    status: authUser?.status ?? user?.status ?? "active",
    lastLoginAt: authUser?.last_login_at ?? user?.lastLoginAt ?? null,
    createdAt,
    updatedAt: authUser?.updated_at ?? user?.updatedAt ?? null,
  };
}

/** True when `pair` is the caller's own record. */
export function isSelf(caller: Pair, pair: Pair): boolean {
  return (
    (caller.user !== null && caller.user._id === pair.user?._id) ||
    (caller.authUser !== null && caller.authUser._id === pair.authUser?._id)
  );
}

/**
 * The view of `pair` that `caller` is allowed, or null for nothing:
 * everything for themself and for administrators; nothing of anyone else
 * for a guest (anyone can make one, so it is no one's teammate); nothing of
 * a person who never signed in (a row with no user: they agreed to nothing
 * here); the public profile of any other person.
 */
export function viewFor(
  caller: Pair & { isAdmin: boolean; guest: boolean },
  pair: Pair,
): UserView | null {
  if (caller.isAdmin || isSelf(caller, pair)) return toUnifiedUser(pair);
  // A person who never completed a sign-in (a legacy row alone, or a
  // sign-in started and never finished) is nobody's to find but an
  // administrator's (found by review: a pending user showed its name).
  if (
    caller.guest ||
    pair.user === null ||
    pair.user.pendingFirstSignIn === true
  ) {
    return null;
  }
  return toPublicProfile(pair);
}
