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

/** The longest value an entry keeps whole (its JSON, in characters). */
export const MAX_AUDIT_VALUE = 2_000;

/**
 * A change whose values fit: a longer one is kept as the start of its JSON,
 * marked, so an entry stays far below Convex's 1 MiB document limit
 * whatever the documents hold (200 changes of 2 KB each at most).
 */
function boundChange(change: AuditChange): AuditChange {
  const bound = (value: unknown) => {
    const json = JSON.stringify(value) ?? "";
    return json.length <= MAX_AUDIT_VALUE
      ? value
      : `${json.slice(0, MAX_AUDIT_VALUE)}… (${json.length} characters, truncated)`;
  };
  return {
    ...change,
    ...("before" in change ? { before: bound(change.before) } : {}),
    ...("after" in change ? { after: bound(change.after) } : {}),
  };
}

/**
 * Records one entry; more than MAX_AUDIT_CHANGES changes keep the first ones
 * and say so, and a value longer than MAX_AUDIT_VALUE keeps its start.
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
    changes: changes.slice(0, MAX_AUDIT_CHANGES).map(boundChange),
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
  // Every document the command writes is recorded too, named or not (found
  // by review: a resolution's pairing step created and patched documents
  // the entry never listed). The command reaches ctx.db at call time, so
  // it writes through the recorder for exactly its own duration.
  const db = ctx.db;
  const written = recordingDb(db, before);
  (ctx as { db: unknown }).db = written;
  let result: T;
  try {
    result = await command();
  } finally {
    (ctx as { db: unknown }).db = db;
  }
  const made = (created?.(result) ?? []).filter(
    (target) => !before.has(keyOf(target)),
  );
  for (const target of made) {
    before.set(keyOf(target), { target, doc: null });
  }
  const targets = [...before.values()].map(({ target }) => target);
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

/**
 * `db` with its writes recorded into `before`: each document's state before
 * the command first wrote it (null for one it inserted). Reads pass through.
 */
function recordingDb(db: WriteCtx["db"], before: Snapshot): WriteCtx["db"] {
  const raw = db as unknown as Record<
    string,
    (...args: unknown[]) => Promise<unknown>
  >;
  // Convex's writers take (table, id, value) or the older (id, value).
  const targetOf = (args: unknown[]): Target | null =>
    typeof args[1] === "string"
      ? { table: args[0] as string, id: args[1] }
      : null;
  const remember = async (args: unknown[]) => {
    const target = targetOf(args);
    if (target === null || before.has(keyOf(target))) return;
    before.set(keyOf(target), {
      target,
      doc: await raw.get!.call(db, target.table, target.id),
    });
  };
  const wrapped = {
    get: (...args: unknown[]) => raw.get!.apply(db, args),
    query: (...args: unknown[]) =>
      (raw.query as unknown as (...a: unknown[]) => unknown).apply(db, args),
    normalizeId: (...args: unknown[]) =>
      (raw.normalizeId as unknown as (...a: unknown[]) => unknown).apply(
        db,
        args,
      ),
    system: (db as unknown as { system: unknown }).system,
    insert: async (...args: unknown[]) => {
      const id = (await raw.insert!.apply(db, args)) as string;
      const target = { table: args[0] as string, id };
      if (!before.has(keyOf(target))) {
        before.set(keyOf(target), { target, doc: null });
      }
      return id;
    },
    patch: async (...args: unknown[]) => {
      await remember(args);
      return await raw.patch!.apply(db, args);
    },
    replace: async (...args: unknown[]) => {
      await remember(args);
      return await raw.replace!.apply(db, args);
    },
    delete: async (...args: unknown[]) => {
      await remember(args);
      return await raw.delete!.apply(db, args);
    },
  };
  return wrapped as unknown as WriteCtx["db"];
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
