/**
 * The user directory's rows and a person's page, read for the console
 * (directory.ts): each account with its pair's health, and one person's
 * two records, open cases and audit entries. Indexed reads only, each
 * bounded: a directory entry costs at most four reads besides its row (or,
 * once the fold reads users, besides its user).
 */
import { normalizeEmail } from "convex-auth-user-sync";
import { virtualRow } from "convex-auth-user-sync/internals";
import { v } from "convex/values";
import type { Doc, Id } from "./_generated/dataModel";
import type { QueryCtx } from "./_generated/server";
import { userSync } from "./sync";
import type { UserPair } from "./userLookup";

/** The most open cases a person's page lists (and an entry counts). */
export const CASES_SHOWN = 20;
/** The most audit entries a person's page lists, per record. */
export const AUDIT_SHOWN = 20;

/**
 * How a row and its user stand: `paired` both ways, `one_sided` when one
 * names the other and is not named back (or names a user that is gone),
 * `no_pair` when neither names anyone, `one_record` when the fold keeps
 * the person on `users` alone (writes to auth_users stopped, docs/fold.md:
 * someone who signed up since, or anyone once the table is retired).
 */
export const pairHealthValidator = v.union(
  v.literal("paired"),
  v.literal("one_sided"),
  v.literal("no_pair"),
  v.literal("one_record"),
);
export type PairHealth = "paired" | "one_sided" | "no_pair" | "one_record";

export const directoryEntryValidator = v.object({
  // The id the person's page takes: the user's, else the row's.
  id: v.string(),
  // Null for a person with no auth_users row (the fold's one_record).
  rowId: v.union(v.null(), v.id("auth_users")),
  userId: v.union(v.null(), v.id("users")),
  name: v.union(v.null(), v.string()),
  email: v.union(v.null(), v.string()),
  company: v.union(v.null(), v.string()),
  role: v.union(v.null(), v.string()),
  status: v.union(v.literal("active"), v.literal("suspended")),
  lastLoginAt: v.union(v.null(), v.number()),
  createdAt: v.number(),
  pair: pairHealthValidator,
  // Open cases naming the user or the row (at most CASES_SHOWN counted).
  openCases: v.number(),
});
export type DirectoryEntry = typeof directoryEntryValidator.type;

/** One row of the directory: the account and how its pair stands. */
export async function directoryEntry(
  ctx: QueryCtx,
  row: Doc<"auth_users">,
): Promise<DirectoryEntry> {
  const { user, pair } = await pairOfRow(ctx, row);
  const cases = await openCasesOf(ctx, { user, authUser: row });
  return {
    id: user?._id ?? row._id,
    rowId: row._id,
    userId: user?._id ?? null,
    name: row.full_name ?? user?.name ?? null,
    email: row.email ?? user?.email ?? null,
    company: row.company ?? null,
    role: row.role ?? null,
    status: row.status ?? user?.status ?? "active",
    lastLoginAt: row.last_login_at ?? user?.lastLoginAt ?? null,
    createdAt: row.created_at,
    pair,
    openCases: cases.length,
  };
}

/**
 * One person of the directory once the fold reads users (docs/fold.md):
 * every value from the user's homes, as the library's virtual row holds
 * them, and how the user stands with the row it names.
 */
export async function directoryEntryOfUser(
  ctx: QueryCtx,
  user: Doc<"users">,
  singleTable: boolean,
): Promise<DirectoryEntry> {
  const { pair } = await pairOfUser(ctx, user, singleTable);
  const home = homesOf(user);
  const cases = await openCasesOf(ctx, { user, authUser: home });
  return {
    id: user._id,
    rowId: user.auth_user_id ?? null,
    userId: user._id,
    name: home.full_name ?? user.name ?? null,
    email: home.email ?? user.email ?? null,
    company: home.company ?? null,
    role: home.role ?? null,
    status: home.status ?? "active",
    lastLoginAt: home.last_login_at ?? null,
    createdAt: home.created_at ?? user._creationTime,
    pair,
    openCases: cases.length,
  };
}

/**
 * The row a user stands for, read from its homes on `users` (the
 * library's virtual row, under the id of the row the user names, else the
 * user's own).
 */
export function homesOf(user: Doc<"users">): Doc<"auth_users"> {
  return virtualRow(userSync.shape, user) as unknown as Doc<"auth_users">;
}

/**
 * How a user stands with the row it names, by the library's rule once
 * reads are switched (fold/reads.ts): paired when no other user names the
 * row and the row names the user back; a user naming no row is the
 * person's whole record once writes to auth_users stopped, and no pair
 * before. The stored row is answered for a pointer's other side. At most
 * three reads.
 */
export async function pairOfUser(
  ctx: QueryCtx,
  user: Doc<"users">,
  singleTable: boolean,
): Promise<{ row: Doc<"auth_users"> | null; pair: PairHealth }> {
  const named: Id<"auth_users"> | undefined = user.auth_user_id;
  if (named === undefined) {
    return { row: null, pair: singleTable ? "one_record" : "no_pair" };
  }
  const naming = await ctx.db
    .query("users")
    .withIndex("by_auth_user_id", (q) => q.eq("auth_user_id", named))
    .take(2);
  const row = await ctx.db.get("auth_users", named);
  const paired = naming.length === 1 && row?.convex_user_id === user._id;
  return { row, pair: paired ? "paired" : "one_sided" };
}

/**
 * The user a row stands with, and how: the one it names (paired when named
 * back), else one naming it (one-sided). At most two reads.
 */
export async function pairOfRow(
  ctx: QueryCtx,
  row: Doc<"auth_users">,
): Promise<{ user: Doc<"users"> | null; pair: PairHealth }> {
  if (row.convex_user_id !== undefined) {
    const user = await ctx.db.get("users", row.convex_user_id);
    return {
      user,
      pair: user?.auth_user_id === row._id ? "paired" : "one_sided",
    };
  }
  const naming = await ctx.db
    .query("users")
    .withIndex("by_auth_user_id", (q) => q.eq("auth_user_id", row._id))
    .first();
  return naming === null
    ? { user: null, pair: "no_pair" }
    : { user: naming, pair: "one_sided" };
}

/**
 * The open cases about a person: those naming their user, and those of
 * their address naming the user or the row (a case of a row alone, before
 * any sign-in). Oldest first, at most CASES_SHOWN.
 */
export async function openCasesOf(
  ctx: QueryCtx,
  { user, authUser }: UserPair,
): Promise<Doc<"sync_reviews">[]> {
  const found = new Map<string, Doc<"sync_reviews">>();
  if (user !== null) {
    const byUser = await ctx.db
      .query("sync_reviews")
      .withIndex("by_user_id_and_resolved_at", (q) =>
        q.eq("user_id", user._id).eq("resolved_at", undefined),
      )
      .take(CASES_SHOWN);
    for (const review of byUser) found.set(review._id, review);
  }
  const key = normalizeEmail(authUser?.email ?? user?.email ?? "");
  if (key !== undefined && key !== "") {
    const byEmail = await ctx.db
      .query("sync_reviews")
      .withIndex("by_email_and_resolved_at", (q) =>
        q.eq("email", key).eq("resolved_at", undefined),
      )
      .take(CASES_SHOWN);
    for (const review of byEmail) {
      const names =
        (user !== null && review.user_id === user._id) ||
        (authUser !== null && review.row_ids.includes(authUser._id));
      if (names) found.set(review._id, review);
    }
  }
  return [...found.values()]
    .sort((a, b) => a.first_seen_at - b.first_seen_at)
    .slice(0, CASES_SHOWN);
}

/**
 * The audit entries naming a person's user or row (or made by them),
 * newest first: at most AUDIT_SHOWN of each, through the subjects index
 * erasures use.
 */
export async function auditEntriesOf(
  ctx: QueryCtx,
  ids: readonly string[],
): Promise<Doc<"sync_audit">[]> {
  const entries = new Map<string, Doc<"sync_audit">>();
  for (const id of ids) {
    const subjects = await ctx.db
      .query("sync_audit_subjects")
      .withIndex("by_subject", (q) => q.eq("subject", id))
      .order("desc")
      .take(AUDIT_SHOWN);
    for (const { audit_id } of subjects) {
      if (entries.has(audit_id)) continue;
      const entry = await ctx.db.get("sync_audit", audit_id);
      if (entry !== null) entries.set(audit_id, entry);
    }
  }
  return [...entries.values()].sort((a, b) => b.at - a.at);
}
