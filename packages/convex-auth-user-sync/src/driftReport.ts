/**
 * The drift report: every kind of inconsistency between the two tables, with
 * counts and sample ids, without writing anything. Paginated, so it works at
 * any table size; `summary` walks all pages for an operator.
 */
import {
  type ActionBuilder,
  type GenericDataModel,
  type GenericQueryCtx,
  makeFunctionReference,
  type QueryBuilder,
} from "convex/server";
import { type Infer, v } from "convex/values";
import type { AnyDoc, Shape } from "./declaration.js";
import { mismatchedFields, normalizeEmail } from "./policy.js";
import { byIndex, getDoc, readPair, unlinkedRowsWithEmail } from "./steps.js";

type QueryCtx = GenericQueryCtx<GenericDataModel>;

export const driftKindValidator = v.union(
  // A user without a counterpart.
  v.literal("missing_counterpart"),
  // A reference to a deleted row or user.
  v.literal("dangling_reference"),
  // A points at B, B does not point back.
  v.literal("one_sided_reference"),
  // Several rows point at one user.
  v.literal("duplicate_counterpart"),
  // Mirrored fields disagree with the ownership policy.
  v.literal("field_mismatch"),
  // A legacy row (never paired), waiting for its owner's sign-in.
  v.literal("pending_link"),
  // A row once paired that lost both references: for a person.
  v.literal("orphaned_row"),
  // A user whose first sign-in was started (a code requested) and never
  // completed: no pair is due yet.
  v.literal("awaiting_sign_in"),
  // Several legacy rows share an email.
  v.literal("ambiguous_email"),
  // A legacy row's email is claimed by a user who has not verified it.
  v.literal("unverified_email_match"),
  // An app row's email not stored as a key (imports).
  v.literal("unnormalized_email"),
);

const findingValidator = v.object({
  kind: driftKindValidator,
  count: v.number(),
  sampleIds: v.array(v.string()),
});
export const driftReportValidator = v.object({
  table: v.string(),
  checked: v.number(),
  findings: v.array(findingValidator),
});
const pageArgs = {
  table: v.union(v.literal("users"), v.literal("rows")),
  cursor: v.union(v.string(), v.null()),
  pageSize: v.optional(v.number()),
};
const pageValidator = v.object({
  report: driftReportValidator,
  continueCursor: v.string(),
  isDone: v.boolean(),
});
export const driftSummaryValidator = v.object({
  consistent: v.boolean(),
  users: driftReportValidator,
  rows: driftReportValidator,
});

export type DriftSummary = Infer<typeof driftSummaryValidator>;
type Kind = Infer<typeof driftKindValidator>;
type Finding = Infer<typeof findingValidator>;
type Report = Infer<typeof driftReportValidator>;

const MAX_SAMPLES = 10;
const MAX_PAGE_SIZE = 500;

/** Findings that are no drift: they wait for a person's first sign-in. */
const WAITING: ReadonlySet<Kind> = new Set([
  "pending_link",
  "awaiting_sign_in",
]);

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

async function checkUser(
  ctx: QueryCtx,
  shape: Shape,
  user: AnyDoc,
  findings: Findings,
) {
  const read = await readPair(ctx, shape, user);
  if (read.counterpart !== null) {
    if (mismatchedFields(shape, user as never, read.counterpart).length > 0) {
      findings.add("field_mismatch", user._id);
    }
    return;
  }
  if (read.duplicates.length > 0) {
    findings.add("duplicate_counterpart", user._id);
    return;
  }
  if (read.pointed !== null) {
    findings.add("one_sided_reference", user._id);
    return;
  }
  const pointedId =
    shape.usersRef === undefined ? undefined : user[shape.usersRef];
  if (pointedId !== undefined) {
    findings.add("dangling_reference", user._id);
  } else if (user.pendingFirstSignIn === true) {
    findings.add("awaiting_sign_in", user._id);
  } else {
    findings.add("missing_counterpart", user._id);
  }
}

async function checkRow(
  ctx: QueryCtx,
  shape: Shape,
  row: AnyDoc,
  findings: Findings,
) {
  const email = row[shape.email];
  if (email !== normalizeEmail(email)) {
    findings.add("unnormalized_email", row._id);
  }
  const userId = row[shape.appRef];
  if (userId !== undefined) {
    const user = await getDoc(ctx, "users", userId);
    if (user === null) {
      findings.add("dangling_reference", row._id);
      return;
    }
    // Duplicates (app-side references) are reported from the users side.
    if (shape.usersRef === undefined || user[shape.usersRef] === row._id) {
      return;
    }
    // A user pointing at another row that points back: this row is a
    // duplicate, not merely one-sided.
    const other = await getDoc(ctx, shape.table, user[shape.usersRef]);
    findings.add(
      other?.[shape.appRef] === user._id
        ? "duplicate_counterpart"
        : "one_sided_reference",
      row._id,
    );
    return;
  }
  if (row[shape.emailVerified] !== undefined) {
    // Once paired, now linked to nobody: not a legacy row waiting.
    findings.add("orphaned_row", row._id);
    return;
  }
  findings.add("pending_link", row._id);
  const key = normalizeEmail(email);
  if (key === undefined) return;
  if ((await unlinkedRowsWithEmail(ctx, shape, key)).length > 1) {
    findings.add("ambiguous_email", row._id);
  }
  if (await hasUnverifiedClaim(ctx, shape, key)) {
    findings.add("unverified_email_match", row._id);
  }
}

/**
 * Whether someone who has not verified this address claims it: a synced user
 * (whose own row holds the address as a key, whatever case the provider
 * sent), or a user not synced yet. Both reads are bounded and ordered by
 * verification.
 */
async function hasUnverifiedClaim(ctx: QueryCtx, shape: Shape, email: string) {
  const rows = await byIndex(
    ctx,
    shape.table,
    shape.indexes.appByEmailVerified,
    { [shape.email]: email, [shape.emailVerified]: false },
    3,
  );
  if (rows.some((row) => row[shape.appRef] !== undefined)) return true;
  // A requested code never entered is no claim (one user per email method
  // at most, so a few rows suffice).
  const unsynced = await byIndex(
    ctx,
    "users",
    shape.indexes.usersByEmailVerified,
    { email, emailVerificationTime: undefined },
    5,
  );
  return unsynced.some((user) => user.pendingFirstSignIn !== true);
}

/** Builds the drift report's functions for one shape. */
export function makeDriftReport(shape: Shape) {
  async function page(
    ctx: QueryCtx,
    args: {
      table: "users" | "rows";
      cursor: string | null;
      pageSize?: number;
    },
  ) {
    const numItems = Math.min(
      Math.max(1, Math.floor(args.pageSize ?? 200)),
      MAX_PAGE_SIZE,
    );
    const findings = new Findings();
    const table = args.table === "users" ? "users" : shape.table;
    const result = await ctx.db
      .query(table)
      .withIndex("by_creation_time")
      .paginate({ numItems, cursor: args.cursor });
    for (const doc of result.page as AnyDoc[]) {
      if (args.table === "users") await checkUser(ctx, shape, doc, findings);
      else await checkRow(ctx, shape, doc, findings);
    }
    return {
      report: { table, checked: result.page.length, findings: findings.list() },
      continueCursor: result.continueCursor,
      isDone: result.isDone,
    };
  }

  /**
   * The whole report, every page of both tables, each page read through
   * `runPage` (an action's `ctx.runQuery` of the exported `page`).
   */
  async function summarize(
    runPage: (args: {
      table: "users" | "rows";
      cursor: string | null;
      pageSize?: number;
    }) => Promise<Infer<typeof pageValidator>>,
    pageSize?: number,
  ): Promise<Infer<typeof driftSummaryValidator>> {
    const reports: Report[] = [];
    for (const table of ["users", "rows"] as const) {
      const findings = new Findings();
      let checked = 0;
      let cursor: string | null = null;
      let name: string | undefined;
      for (;;) {
        const result = await runPage({ table, cursor, pageSize });
        checked += result.report.checked;
        name = result.report.table;
        findings.merge(result.report.findings);
        if (result.isDone) break;
        cursor = result.continueCursor;
      }
      reports.push({
        table: name ?? table,
        checked,
        findings: findings.list(),
      });
    }
    const [users, rows] = reports as [Report, Report];
    const consistent = [...users.findings, ...rows.findings].every((finding) =>
      WAITING.has(finding.kind),
    );
    return { consistent, users, rows };
  }

  /**
   * The drift report's functions, built with the app's builders. Export them
   * from `shape.modules.driftReport`.
   *
   * @example export const { page, summary } = userSync.driftReportFunctions({ internalQuery, internalAction });
   */
  function functions(builders: {
    internalQuery: QueryBuilder<GenericDataModel, "internal">;
    internalAction: ActionBuilder<GenericDataModel, "internal">;
  }) {
    return {
      /**
       * One page of the report over one table ("users" or the app's,
       * "rows"). Call again with `continueCursor` until `isDone`.
       *
       * @example npx convex run userSync:page '{"table":"users","cursor":null}'
       */
      page: builders.internalQuery({
        args: pageArgs,
        returns: pageValidator,
        handler: async (ctx, args) => await page(ctx, args),
      }),

      /**
       * The whole report: both tables, every page (each page its own bounded
       * query). `consistent` is true when nothing remains but rows and users
       * waiting for a first sign-in.
       *
       * @example npx convex run userSync:summary
       */
      summary: builders.internalAction({
        args: { pageSize: v.optional(v.number()) },
        returns: driftSummaryValidator,
        handler: async (ctx, { pageSize }) =>
          await summarize(
            async (args) =>
              (await ctx.runQuery(pageRef, args)) as Infer<
                typeof pageValidator
              >,
            pageSize,
          ),
      }),
    };
  }

  /** The exported `page` function's reference, for summarize. */
  const pageRef = makeFunctionReference<"query">(
    `${shape.modules.driftReport}:page`,
  );

  return { page, summarize, pageRef, functions };
}
