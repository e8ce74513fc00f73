/**
 * The unified user API: clients never need to know a user lives in two
 * tables. Access rules (docs/access.md; tested for every caller kind in
 * access.test.ts):
 * - signed out: every query here returns null, every mutation
 *   UNAUTHENTICATED (the console's admin queries throw instead: a paginated
 *   query must answer with a page, see console.ts);
 * - suspended: every query here returns null, every mutation FORBIDDEN;
 * - guests (anonymous): their own record, nothing of anyone else;
 * - signed in: their own record in full, the public profile of anyone else
 *   who has signed in, nothing of a person who never did;
 * - administrators: everyone in full.
 */
import { v } from "convex/values";
import { callerQuery, userSyncMutation } from "./functions";
import {
  cleanEmail,
  cleanImageUrl,
  cleanName,
  cleanOptionalText,
  LIMITS,
} from "./inputs";
import type { Doc } from "./_generated/dataModel";
import { appError } from "./errors";
import { userSync } from "./sync";
import { findPairByEmail, loadPairById } from "./userLookup";
import {
  personExportValidator,
  storedRow,
  toUnifiedUser,
  viewFor,
} from "./userViews";
import { unifiedUserValidator, userViewValidator } from "./validators";

/**
 * The signed-in user, unified across both tables; null when signed out.
 *
 * @example const me = useQuery(api.users.getCurrentUser);
 */
export const getCurrentUser = callerQuery({
  args: {},
  returns: v.union(v.null(), unifiedUserValidator),
  handler: (ctx) => (ctx.caller === null ? null : toUnifiedUser(ctx.caller)),
});

/**
 * A user by `users` id or `auth_users` id, whichever the client holds, as
 * viewFor allows. Null for signed-out callers, unknown ids, strings that are
 * no id at all, and whatever the caller may not see.
 */
export const getUserById = callerQuery({
  args: { id: v.string() },
  returns: v.union(v.null(), userViewValidator),
  handler: async (ctx, { id }) => {
    const { caller } = ctx;
    if (caller === null || id.length > LIMITS.id) return null;
    const pair = await loadPairById(ctx, id.trim());
    return pair === null ? null : viewFor(caller, pair);
  },
});

/**
 * A user by exact email, case and whitespace aside, as an "invite a
 * teammate" form would look them up: a person who has signed in, by an
 * address a provider verified, as viewFor allows (others: the public
 * profile; guests: nothing; a legacy row nobody signed in to: administrators
 * only).
 */
export const getUserByEmail = callerQuery({
  args: { email: v.string() },
  returns: v.union(v.null(), userViewValidator),
  handler: async (ctx, args) => {
    const { caller } = ctx;
    if (caller === null) return null;
    const email = cleanEmail(args.email);
    if (caller.authUser?.email === email) return toUnifiedUser(caller);
    const pair = await findPairByEmail(ctx, email);
    return pair === null ? null : viewFor(caller, pair);
  },
});

/**
 * Updates the signed-in user's own profile in both tables, in one
 * transaction. A name or avatar set here is the user's choice from then on:
 * provider renames no longer overwrite it. An empty company or role clears
 * it; an empty name is rejected. Returns the updated user.
 *
 * @example
 * await updateUserProfile({ name: "John Doe", company: "Acme Corp", role: "Developer" });
 */
export const updateUserProfile = userSyncMutation({
  args: {
    name: v.optional(v.string()),
    company: v.optional(v.string()),
    role: v.optional(v.string()),
    image: v.optional(v.string()),
  },
  returns: unifiedUserValidator,
  handler: async (ctx, args) => {
    // 1. Validate everything before writing anything.
    const edits: Partial<Doc<"auth_users">> = {};
    if (args.name !== undefined) {
      edits.full_name = cleanName(args.name);
      edits.name_source = "user";
    }
    if (args.company !== undefined) {
      edits.company = cleanOptionalText("company", args.company);
    }
    if (args.role !== undefined) {
      edits.role = cleanOptionalText("role", args.role);
    }
    if (args.image !== undefined) {
      edits.avatar_url = cleanImageUrl(args.image);
      edits.avatar_source = "user";
    }

    // 2. Apply through the field map: both tables, one timestamp.
    const { user, row } = await userSync.ensurePair(
      ctx,
      ctx.caller.user,
      edits,
    );
    // No row to hold the edits (records a person must resolve first):
    // refused, and the transaction rolls back.
    if (row === null) {
      throw appError(
        "CONFLICT",
        "Your account's records need an administrator's attention; nothing was changed",
      );
    }
    return toUnifiedUser({ user, authUser: row });
  },
});

/**
 * Everything the app holds of the signed-in user: both records, their
 * sign-in methods and their starter templates (a copy of their data, to
 * keep or take elsewhere). Only ever the caller's own; null when signed
 * out.
 *
 * @example const data = await convex.query(api.users.exportMyData, {});
 */
export const exportMyData = callerQuery({
  args: {},
  returns: v.union(v.null(), personExportValidator),
  handler: async (ctx) =>
    ctx.caller === null
      ? null
      : await userSync.exportPerson(ctx, {
          user: ctx.caller.user,
          row: storedRow(ctx.caller),
        }),
});

/**
 * Deletes the signed-in user's own account: the users row and its two-way
 * counterpart, the starter templates, and Convex Auth's accounts, sessions,
 * refresh tokens and verification codes, in one transaction. A row that only
 * points at the user, or that the user only points at, is not theirs to
 * delete. The same OAuth identity can sign
 * up again afterwards and gets a fresh pair.
 *
 * @example await deleteAccount({});
 */
export const deleteAccount = userSyncMutation({
  args: {},
  returns: v.null(),
  handler: async (ctx) => {
    await userSync.deleteAccount(ctx, ctx.caller.user._id);
    return null;
  },
});
