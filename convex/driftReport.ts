/**
 * The drift report: every kind of inconsistency between the two tables, with
 * counts and sample ids, without writing anything. Paginated, so it works at
 * any table size; `summary` walks all pages for an operator.
 *
 * @example npx convex run driftReport:summary
 * @example npx convex run driftReport:page '{"table":"users","cursor":null}'
 */
import { v } from "convex/values";
import { internal } from "./_generated/api";
import type { Doc } from "./_generated/dataModel";
import type { QueryCtx } from "./_generated/server";
import { internalAction, internalQuery } from "./functions";
import { unlinkedRowsWithEmail } from "./syncCore";
import {
  authUserProblems,
  normalizeEmail,
  type PairProblem,
  userProblems,
} from "./syncPolicy";

export const driftKindValidator = v.union(
  // users row without auth_user_id.
  v.literal("missing_counterpart"),
  // A reference to a deleted row.
  v.literal("dangling_reference"),
  // A points at B, B does not point back.
  v.literal("one_sided_reference"),
  // Two auth_users rows point at one user.
  v.literal("duplicate_counterpart"),
  // Mirrored fields disagree with the ownership policy.
  v.literal("field_mismatch"),
  // A legacy auth_users row (never paired), waiting for its owner's sign-in.
  v.literal("pending_link"),
  // A row once paired that lost both references: for a person.
  v.literal("orphaned_row"),
  // A user whose first sign-in was started (a code requested) and never
  // completed: no pair is due yet.
  v.literal("awaiting_sign_in"),
  // Several unlinked auth_users rows share an email.
  v.literal("ambiguous_email"),
  // An unlinked row's email is claimed by a user who has not verified it.
  v.literal("unverified_email_match"),
  // auth_users.email not trimmed and lower-cased.
  v.literal("unnormalized_email"),
);

const findingValidator = v.object({
  kind: driftKindValidator,
  count: v.number(),
  sampleIds: v.array(v.string()),
});
const reportValidator = v.object({
  table: v.union(v.literal("users"), v.literal("auth_users")),
  checked: v.number(),
  findings: v.array(findingValidator),
});

type Kind = typeof driftKindValidator.type;
type Finding = typeof findingValidator.type;

const MAX_SAMPLES = 10;

/** Findings that are no drift: they wait for a person's first sign-in. */
const WAITING: ReadonlySet<Kind> = new Set([
  "pending_link",
  "awaiting_sign_in",
]);
const MAX_PAGE_SIZE = 500;

class Findings {
  private byKind = new Map<Kind, Finding>();
  add(kind: Kind, id: string, count = 1): void {
    const finding = this.byKind.get(kind) ?? { kind, count: 0, sampleIds: [] };
    finding.count += count;
    if (
      finding.sampleIds.length < MAX_SAMPLES &&
      !finding.sampleIds.includes(id)
    ) {
      finding.sampleIds.push(id);
    }
    this.byKind.set(kind, finding);
  }
  merge(findings: readonly Finding[]): void {
    for (const finding of findings) {
      if (finding.count === 0) continue;
      for (const id of finding.sampleIds) this.add(finding.kind, id, 0);
      this.byKind.get(finding.kind)!.count += finding.count;
    }
  }
  list(): Finding[] {
    return [...this.byKind.values()].sort((a, b) =>
      a.kind.localeCompare(b.kind),
    );
  }
}

function addProblems(findings: Findings, problems: PairProblem[], id: string) {
  for (const problem of problems) findings.add(problem.kind, id);
}

async function checkUser(
  ctx: QueryCtx,
  user: Doc<"users">,
  findings: Findings,
) {
  if (user.auth_user_id === undefined && user.pendingFirstSignIn === true) {
    findings.add("awaiting_sign_in", user._id);
    return;
  }
  const referenced =
    user.auth_user_id === undefined
      ? null
      : await ctx.db.get("auth_users", user.auth_user_id);
  addProblems(findings, userProblems(user, referenced), user._id);
}

async function checkAuthUser(
  ctx: QueryCtx,
  row: Doc<"auth_users">,
  findings: Findings,
) {
  if (row.email !== normalizeEmail(row.email)) {
    findings.add("unnormalized_email", row._id);
  }
  if (row.convex_user_id !== undefined) {
    const user = await ctx.db.get("users", row.convex_user_id);
    const problems = authUserProblems(row, user);
    // A user pointing at another row that points back: this row is a
    // duplicate, not merely one-sided.
    if (
      user?.auth_user_id !== undefined &&
      problems[0]?.kind === "one_sided_reference"
    ) {
      const other = await ctx.db.get("auth_users", user.auth_user_id);
      if (other?.convex_user_id === user._id) {
        findings.add("duplicate_counterpart", row._id);
        return;
      }
    }
    addProblems(findings, problems, row._id);
    return;
  }
  if (row.email_verified !== undefined) {
    // Once paired, now linked to nobody: not a legacy row waiting.
    findings.add("orphaned_row", row._id);
    return;
  }
  findings.add("pending_link", row._id);
  const email = normalizeEmail(row.email);
  if (email === undefined) return;
  if ((await unlinkedRowsWithEmail(ctx, email)).length > 1) {
    findings.add("ambiguous_email", row._id);
  }
  if (await hasUnverifiedClaim(ctx, email)) {
    findings.add("unverified_email_match", row._id);
  }
}

/**
 * Whether someone who has not verified this address claims it: a synced user
 * (whose own row holds the address as a key, whatever case the provider
 * sent), or a user not synced yet. Both reads are bounded and ordered by
 * verification.
 */
async function hasUnverifiedClaim(ctx: QueryCtx, email: string) {
  const rows = await ctx.db
    .query("auth_users")
    .withIndex("by_email_and_email_verified", (q) =>
      q.eq("email", email).eq("email_verified", false),
    )
    .take(3);
  if (rows.some((row) => row.convex_user_id !== undefined)) return true;
  // A requested code never entered is no claim (one user per email method
  // at most, so a few rows suffice).
  const unsynced = await ctx.db
    .query("users")
    .withIndex("by_email_and_emailVerificationTime", (q) =>
      q.eq("email", email).eq("emailVerificationTime", undefined),
    )
    .take(5);
  return unsynced.some((user) => user.pendingFirstSignIn !== true);
}

/**
 * One page of the report over one table. Call again with `continueCursor`
 * until `isDone`.
 */
export const page = internalQuery({
  args: {
    table: v.union(v.literal("users"), v.literal("auth_users")),
    cursor: v.union(v.string(), v.null()),
    pageSize: v.optional(v.number()),
  },
  returns: v.object({
    report: reportValidator,
    continueCursor: v.string(),
    isDone: v.boolean(),
  }),
  handler: async (ctx, { table, cursor, pageSize }) => {
    const numItems = Math.min(
      Math.max(1, Math.floor(pageSize ?? 200)),
      MAX_PAGE_SIZE,
    );
    const findings = new Findings();
    const result = await ctx.db
      .query(table)
      .withIndex("by_creation_time")
      .paginate({ numItems, cursor });
    for (const row of result.page) {
      if (table === "users")
        await checkUser(ctx, row as Doc<"users">, findings);
      else await checkAuthUser(ctx, row as Doc<"auth_users">, findings);
    }
    return {
      report: { table, checked: result.page.length, findings: findings.list() },
      continueCursor: result.continueCursor,
      isDone: result.isDone,
    };
  },
});

/**
 * The whole report: both tables, every page (each page its own bounded
 * query). `consistent` is true when nothing but rows and users waiting for
 * a first sign-in remains.
 */
export const summary = internalAction({
  args: { pageSize: v.optional(v.number()) },
  returns: v.object({
    consistent: v.boolean(),
    users: reportValidator,
    authUsers: reportValidator,
  }),
  handler: async (ctx, { pageSize }) => {
    const reports = [];
    for (const table of ["users", "auth_users"] as const) {
      const findings = new Findings();
      let checked = 0;
      let cursor: string | null = null;
      for (;;) {
        const result: {
          report: typeof reportValidator.type;
          continueCursor: string;
          isDone: boolean;
        } = await ctx.runQuery(internal.driftReport.page, {
          table,
          cursor,
          pageSize,
        });
        checked += result.report.checked;
        findings.merge(result.report.findings);
        if (result.isDone) break;
        cursor = result.continueCursor;
      }
      reports.push({ table, checked, findings: findings.list() });
    }
    const [users, authUsers] = reports as [
      typeof reportValidator.type,
      typeof reportValidator.type,
    ];
    const consistent = [...users.findings, ...authUsers.findings].every(
      (finding) => WAITING.has(finding.kind),
    );
    return { consistent, users, authUsers };
  },
});
