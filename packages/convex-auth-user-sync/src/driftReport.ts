/**
 * The drift report: every kind of inconsistency between the two tables, with
 * counts and sample ids, without writing anything. Paginated, so it works at
 * any table size; `summary` walks all pages for an operator. In single-table
 * mode (the fold's stage `writes_stopped` on) it reports on `users` alone
 * and says so (`mode`): see checkUserAlone.
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
import { appError } from "./errors.js";
import { boundedPage, pageSize } from "./pages.js";
import { mismatchedFields, normalizeEmail } from "./policy.js";
import {
  advance,
  afterKey,
  afterRow,
  isPairsCursor,
  isPosition,
  type PairsCursor,
  type Position,
} from "./merge.js";
import {
  byIndex,
  CLAIM_LIMIT,
  getDoc,
  type PairRead,
  readPair,
  separatedFrom,
  unlinkedRowsWithEmail,
  verifiedUsersWithEmail,
} from "./steps.js";
import { isPlaceholder } from "./placeholder.js";
import { foldOf, inSingleTable } from "./fold/people.js";
import { pairReadOf, readMergedPage, unlinkedRowsAfter } from "./streams.js";

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
  // The fold's placeholder of a person who never signed in (a users row
  // paired with their row, owned by no sign-in method), waiting for a
  // sign-in that proves its address.
  v.literal("unclaimed_placeholder"),
  // A row once paired that lost both references: for a person.
  v.literal("orphaned_row"),
  // A user whose first sign-in was started (a code requested) and never
  // completed: no pair is due yet.
  v.literal("awaiting_sign_in"),
  // Several legacy rows share an email (and a person has not kept this one
  // apart from every user who verified it).
  v.literal("ambiguous_email"),
  // A legacy row's email is claimed by a user who has not verified it.
  v.literal("unverified_email_match"),
  // An app row's email not stored as a key (imports); in single-table
  // mode, a user's address-key home not stored as a key.
  v.literal("unnormalized_email"),
  // Single-table mode: a user holding a verified address without its key's
  // home (fold.emailKey): a lookup or a suspension by address misses it.
  v.literal("missing_email_key"),
);

/**
 * Which tables a report compared: both (two-table mode), or `users` alone
 * once the app table is no longer written (stage `writes_stopped` on: its
 * rows are frozen, and differences since the stop are expected).
 */
export const driftModeValidator = v.union(
  v.literal("two_tables"),
  v.literal("single_table"),
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
  // "both": the two tables in one shared order, each document read once.
  table: v.union(v.literal("users"), v.literal("rows"), v.literal("both")),
  cursor: v.union(v.string(), v.null()),
  pageSize: v.optional(v.number()),
};
const pageValidator = v.object({
  // The users' report for "both".
  report: driftReportValidator,
  // The app table's report, for "both".
  rowsReport: v.optional(driftReportValidator),
  continueCursor: v.string(),
  isDone: v.boolean(),
  mode: v.optional(driftModeValidator),
});
export const driftSummaryValidator = v.object({
  consistent: v.boolean(),
  mode: driftModeValidator,
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
  "unclaimed_placeholder",
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

/** `read`: what the caller already knows of the user's pair (pairReadOf). */
async function checkUser(
  ctx: QueryCtx,
  shape: Shape,
  user: AnyDoc,
  findings: Findings,
  known?: PairRead,
) {
  const read = known ?? (await readPair(ctx, shape, user));
  if (read.counterpart !== null) {
    if (mismatchedFields(shape, user as never, read.counterpart).length > 0) {
      findings.add("field_mismatch", user._id);
    } else if (isPlaceholder(user)) {
      findings.add("unclaimed_placeholder", user._id);
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

/**
 * A user in single-table mode, on `users` alone (no pair is compared: the
 * rows are frozen): a placeholder still unclaimed, a sign-in never
 * completed, a verified address without its key's home, a home that is no
 * key. No read.
 */
function checkUserAlone(shape: Shape, user: AnyDoc, findings: Findings) {
  const fold = foldOf(shape);
  const key = user[fold.emailKey];
  if (isPlaceholder(user)) findings.add("unclaimed_placeholder", user._id);
  else if (user.pendingFirstSignIn === true) {
    findings.add("awaiting_sign_in", user._id);
  } else if (
    key === undefined &&
    user.emailVerificationTime !== undefined &&
    normalizeEmail(user.email) !== undefined
  ) {
    findings.add("missing_email_key", user._id);
  }
  if (key !== undefined && key !== normalizeEmail(key)) {
    findings.add("unnormalized_email", user._id);
  }
}

/** `known`: the user the row names, when the caller knows it (null: none). */
async function checkRow(
  ctx: QueryCtx,
  shape: Shape,
  row: AnyDoc,
  findings: Findings,
  known?: { user: AnyDoc | null },
) {
  const email = row[shape.email];
  if (email !== normalizeEmail(email)) {
    findings.add("unnormalized_email", row._id);
  }
  const userId = row[shape.appRef];
  if (userId !== undefined) {
    const user =
      known?.user ?? (known ? null : await getDoc(ctx, "users", userId));
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
  if (
    (await unlinkedRowsWithEmail(ctx, shape, key)).length > 1 &&
    !(await keptApartFromEveryOwner(ctx, shape, row, key))
  ) {
    findings.add("ambiguous_email", row._id);
  }
  if (await hasUnverifiedClaim(ctx, shape, row, key)) {
    findings.add("unverified_email_match", row._id);
  }
}

/**
 * Whether a person kept this legacy row apart from every user who verified
 * its address (keep-separate resolutions): it is then no candidate of
 * anyone's, and no longer ambiguous (found by review: such a row was
 * reported ambiguous forever, with no case left to act on). With no such
 * user, false: the row waits for its owner's proof, which records the case.
 * One index range, and one per owner.
 */
async function keptApartFromEveryOwner(
  ctx: QueryCtx,
  shape: Shape,
  row: AnyDoc,
  email: string,
) {
  // A sign-in never completed owns nothing, as the pairing decision says.
  const owners = await verifiedUsersWithEmail(ctx, shape, email, CLAIM_LIMIT, {
    signedIn: true,
  });
  if (owners.length === 0) return false;
  for (const owner of owners) {
    if ((await separatedFrom(ctx, owner._id, [row._id])).size === 0) {
      return false;
    }
  }
  return true;
}

/**
 * Whether someone who has not verified this address claims this legacy
 * row: a synced user (whose own row holds the address as a key, whatever
 * case the provider sent), or a user not synced yet, that a person has not
 * kept apart from the row. Every read is bounded and ordered by
 * verification.
 */
async function hasUnverifiedClaim(
  ctx: QueryCtx,
  shape: Shape,
  legacy: AnyDoc,
  email: string,
) {
  // A claimant a person kept apart from this row claims nothing of it.
  const claims = async (userId: unknown) =>
    (await separatedFrom(ctx, userId, [legacy._id])).size === 0;
  const rows = await byIndex(
    ctx,
    shape.table,
    shape.indexes.appByEmailVerified,
    { [shape.email]: email, [shape.emailVerified]: false },
    3,
  );
  for (const row of rows) {
    if (row[shape.appRef] !== undefined && (await claims(row[shape.appRef]))) {
      return true;
    }
  }
  // A requested code never entered is no claim (one user per email method
  // at most, so a few rows suffice).
  const unsynced = await byIndex(
    ctx,
    "users",
    shape.indexes.usersByEmailVerified,
    { email, emailVerificationTime: undefined },
    5,
  );
  for (const user of unsynced) {
    if (user.pendingFirstSignIn !== true && (await claims(user._id))) {
      return true;
    }
  }
  return false;
}

/** Where a report over both tables stands (see merge.ts). */
type BothCursor =
  | { phase: "unlinked"; at: Position | null }
  | { phase: "pairs"; at: PairsCursor };

/** A cursor this report returned (found by review: junk threw a SyntaxError). */
function parseBothCursor(cursor: string): BothCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cursor);
  } catch {
    parsed = null;
  }
  const { phase, at } = (parsed ?? {}) as { phase?: unknown; at?: unknown };
  const valid =
    (phase === "unlinked" && (at === null || isPosition(at))) ||
    (phase === "pairs" && isPairsCursor(at));
  if (!valid) {
    throw appError("INVALID_ARGUMENT", "Not a cursor this report returned");
  }
  return parsed as BothCursor;
}

/** Builds the drift report's functions for one shape. */
export function makeDriftReport(shape: Shape) {
  /**
   * One page over both tables: the unlinked rows first, then the merge of
   * users and rows in user-id order. A pair in one key group is checked
   * from memory; the rest as checkUser and checkRow would.
   */
  async function bothPage(
    ctx: QueryCtx,
    cursor: string | null,
    numItems: number,
  ) {
    const users = new Findings();
    const rows = new Findings();
    let usersChecked = 0;
    let rowsChecked = 0;
    const state: BothCursor =
      cursor === null || cursor === ""
        ? { phase: "unlinked", at: null }
        : parseBothCursor(cursor);
    let next: BothCursor | null;
    if (state.phase === "unlinked") {
      const page = await unlinkedRowsAfter(
        ctx,
        shape,
        state.at,
        { lower: null, upper: null },
        numItems,
      );
      for (const row of page.rows) await checkRow(ctx, shape, row, rows);
      rowsChecked += page.rows.length;
      next = page.isDone
        ? { phase: "pairs", at: null }
        : { phase: "unlinked", at: advance(state.at, page.rows) };
    } else {
      const page = await readMergedPage(
        ctx,
        shape,
        state.at,
        { lower: null, upper: null },
        numItems,
      );
      let at = state.at;
      for (const group of page.groups) {
        const known = group.userKnown ? { user: group.user } : undefined;
        for (const row of group.rows) {
          await checkRow(ctx, shape, row, rows, known);
          at = afterRow(at, group.key, row);
        }
        rowsChecked += group.rows.length;
        if (!group.withUser) break;
        if (group.user !== null) {
          await checkUser(
            ctx,
            shape,
            group.user,
            users,
            pairReadOf(shape, group),
          );
          usersChecked++;
        }
        at = afterKey(group.key);
      }
      next = page.lastPage ? null : { phase: "pairs", at };
    }
    const report = (table: string, checked: number, findings: Findings) => ({
      table,
      checked,
      findings: findings.list(),
    });
    return {
      report: report("users", usersChecked, users),
      rowsReport: report(shape.table, rowsChecked, rows),
      continueCursor: next === null ? "" : JSON.stringify(next),
      isDone: next === null,
    };
  }

  const mode = "two_tables" as const;

  async function page(
    ctx: QueryCtx,
    args: {
      table: "users" | "rows" | "both";
      cursor: string | null;
      pageSize?: number;
    },
  ) {
    const numItems = pageSize(args.pageSize ?? 200, MAX_PAGE_SIZE, "pageSize");
    if (await inSingleTable(ctx)) {
      return await singleTablePage(ctx, args.table, args.cursor, numItems);
    }
    if (args.table === "both") {
      return { ...(await bothPage(ctx, args.cursor, numItems)), mode };
    }
    const findings = new Findings();
    const table = args.table === "users" ? "users" : shape.table;
    const result = await boundedPage(
      ctx.db.query(table).withIndex("by_creation_time"),
      { numItems, cursor: args.cursor },
      MAX_PAGE_SIZE,
      "Not a cursor this report returned",
    );
    for (const doc of result.page as AnyDoc[]) {
      if (args.table === "users") await checkUser(ctx, shape, doc, findings);
      else await checkRow(ctx, shape, doc, findings);
    }
    return {
      report: { table, checked: result.page.length, findings: findings.list() },
      continueCursor: result.continueCursor,
      isDone: result.isDone,
      mode,
    };
  }

  /**
   * One page in single-table mode: `users` alone, in creation order (see
   * checkUserAlone). The app table's report (`rows`, or `rowsReport` for
   * "both") checks nothing: its rows are frozen until retired.
   */
  async function singleTablePage(
    ctx: QueryCtx,
    table: "users" | "rows" | "both",
    cursor: string | null,
    numItems: number,
  ) {
    const rowsReport = { table: shape.table, checked: 0, findings: [] };
    const mode = "single_table" as const;
    if (table === "rows") {
      return { report: rowsReport, continueCursor: "", isDone: true, mode };
    }
    const result = await boundedPage(
      ctx.db.query("users").withIndex("by_creation_time"),
      { numItems, cursor: cursor === "" ? null : cursor },
      MAX_PAGE_SIZE,
      "Not a cursor this report returned (the fold's stage changed since? start again)",
    );
    const findings = new Findings();
    for (const user of result.page as AnyDoc[]) {
      checkUserAlone(shape, user, findings);
    }
    const report = {
      table: "users",
      checked: result.page.length,
      findings: findings.list(),
    };
    return {
      report,
      ...(table === "both" ? { rowsReport } : {}),
      continueCursor: result.continueCursor,
      isDone: result.isDone,
      mode,
    };
  }

  /**
   * The whole report, every page of both tables, each page read through
   * `runPage` (an action's `ctx.runQuery` of the exported `page`).
   */
  async function summarize(
    runPage: (args: {
      table: "both";
      cursor: string | null;
      pageSize?: number;
    }) => Promise<Infer<typeof pageValidator>>,
    pageSize?: number,
  ): Promise<Infer<typeof driftSummaryValidator>> {
    // Both tables in one pass, each document read once.
    const users = { findings: new Findings(), checked: 0 };
    const rows = { findings: new Findings(), checked: 0 };
    let cursor: string | null = null;
    let mode: Infer<typeof driftModeValidator> | undefined;
    for (;;) {
      const result = await runPage({ table: "both", cursor, pageSize });
      // Each page is its own query: the fold may move between two.
      const pageMode = result.mode ?? "two_tables";
      if (mode !== undefined && pageMode !== mode) {
        throw appError(
          "CONFLICT",
          "The fold's stage changed while the report was read; run it again",
        );
      }
      mode = pageMode;
      users.checked += result.report.checked;
      users.findings.merge(result.report.findings);
      rows.checked += result.rowsReport?.checked ?? 0;
      rows.findings.merge(result.rowsReport?.findings ?? []);
      if (result.isDone) break;
      cursor = result.continueCursor;
    }
    const list = (table: string, side: typeof users): Report => ({
      table,
      checked: side.checked,
      findings: side.findings.list(),
    });
    const [usersReport, rowsReport] = [
      list("users", users),
      list(shape.table, rows),
    ];
    const consistent = [...usersReport.findings, ...rowsReport.findings].every(
      (finding) => WAITING.has(finding.kind),
    );
    return {
      consistent,
      mode: mode ?? "two_tables",
      users: usersReport,
      rows: rowsReport,
    };
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
