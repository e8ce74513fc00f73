/**
 * The audit log (`sync_audit`): one entry per resolution and per operator
 * command, with who, when, what, the ids, and every field it changed before
 * and after. Written in the command's own transaction, so a refused command
 * leaves no entry; read a bounded page at a time, newest first.
 */
import type {
  GenericDatabaseReader,
  GenericDataModel,
  PaginationOptions,
} from "convex/server";
import type { GenericId } from "convex/values";
import { diffDoc, MAX_AUDIT_CHANGES } from "./casePolicy.js";
import { getDoc, insertDoc, type ReadCtx, type WriteCtx } from "./steps.js";
import type { AuditChange, AuditEntry } from "./validators.js";

/** Who ran a command: an administrator signed in, or an operator's CLI. */
export type Actor = { label: string; userId?: GenericId<"users"> };

/** Internal functions run by `npx convex run` or the dashboard carry no identity. */
export const CLI_ACTOR: Actor = { label: "operator (CLI)" };

/** A document to watch: its table and id. */
export type Target = { table: string; id: string };

/** Documents as they are now (null: absent), keyed by target. */
export type Snapshot = Map<string, { target: Target; doc: unknown }>;

const keyOf = (target: Target) => `${target.table}:${target.id}`;

/** Reads each target once; a target named twice is read once. */
export async function snapshot(
  ctx: ReadCtx,
  targets: readonly Target[],
): Promise<Snapshot> {
  const snap: Snapshot = new Map();
  for (const target of targets) {
    const key = keyOf(target);
    if (snap.has(key)) continue;
    snap.set(key, { target, doc: await getDoc(ctx, target.table, target.id) });
  }
  return snap;
}

/** Every field that differs between two snapshots of the same targets. */
export function changesBetween(
  before: Snapshot,
  after: Snapshot,
): AuditChange[] {
  const changes: AuditChange[] = [];
  for (const [key, { target, doc }] of before) {
    const now = after.get(key)?.doc ?? null;
    changes.push(
      ...diffDoc(
        target.table,
        target.id,
        doc as Record<string, unknown> | null,
        now as Record<string, unknown> | null,
      ),
    );
  }
  return changes;
}

/**
 * Records one entry; more than MAX_AUDIT_CHANGES changes keep the first ones
 * and say so.
 *
 * @example await recordAudit(ctx, { action: "admin:setStatus", actor, ids: [userId], changes, summary: "suspended" });
 */
export async function recordAudit(
  ctx: WriteCtx,
  entry: {
    action: string;
    actor: Actor;
    ids: readonly string[];
    reviewId?: GenericId<"sync_reviews">;
    changes?: readonly AuditChange[];
    summary: string;
  },
): Promise<void> {
  const changes = entry.changes ?? [];
  await insertDoc(ctx, "sync_audit", {
    action: entry.action,
    actor: entry.actor.label,
    actor_user_id: entry.actor.userId,
    ids: [...new Set(entry.ids)],
    review_id: entry.reviewId,
    changes: changes.slice(0, MAX_AUDIT_CHANGES),
    truncated: changes.length > MAX_AUDIT_CHANGES ? true : undefined,
    summary: entry.summary.slice(0, 1000),
    at: Date.now(),
  });
}

/**
 * Runs `command`, then records what it changed in the watched documents
 * (read before and after, in the same transaction).
 *
 * @example return await audited(ctx, { action: "admin:setStatus", actor, targets, summary }, () => setStatus(...));
 */
export async function audited<T>(
  ctx: WriteCtx,
  entry: {
    action: string;
    actor: Actor;
    targets: readonly Target[];
    reviewId?: GenericId<"sync_reviews">;
    /** What was done, in words; or worked out from the result. */
    summary: string | ((result: T) => string);
  },
  command: () => Promise<T>,
  /**
   * Documents the command created (known only from its result): recorded
   * with every field on the after side.
   */
  created?: (result: T) => readonly Target[],
): Promise<T> {
  const before = await snapshot(ctx, entry.targets);
  const result = await command();
  const made = (created?.(result) ?? []).filter(
    (target) => !before.has(keyOf(target)),
  );
  for (const target of made) {
    before.set(keyOf(target), { target, doc: null });
  }
  const targets = [...entry.targets, ...made];
  const after = await snapshot(ctx, targets);
  await recordAudit(ctx, {
    ...entry,
    summary:
      typeof entry.summary === "string" ? entry.summary : entry.summary(result),
    ids: targets.map((target) => target.id),
    changes: changesBetween(before, after),
  });
  return result;
}

/** The most entries one page of the log returns. */
export const MAX_AUDIT_PAGE = 100;

/**
 * One page of the log, newest first.
 *
 * @example const { page, continueCursor, isDone } = await auditPage(ctx, { numItems: 20, cursor: null });
 */
export async function auditPage(
  ctx: { db: GenericDatabaseReader<GenericDataModel> },
  paginationOpts: PaginationOptions,
): Promise<{ page: AuditEntry[]; continueCursor: string; isDone: boolean }> {
  const result = await ctx.db
    .query("sync_audit")
    .order("desc")
    .paginate({
      ...paginationOpts,
      numItems: Math.min(Math.max(1, paginationOpts.numItems), MAX_AUDIT_PAGE),
    });
  return { ...result, page: result.page as AuditEntry[] };
}
