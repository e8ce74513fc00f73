/**
 * The audit log (`sync_audit`): one entry per resolution and per operator
 * command, with who, when, what, the ids, and every field it changed before
 * and after. Written in the command's own transaction, so a refused command
 * leaves no entry; read a bounded page at a time, newest first.
 *
 * Personal data: in the entry of a command that erased a person (deleted
 * an account or a row, see erasure.ts), every document that is gone
 * afterwards and every case the erasure scrubbed keeps its field names,
 * never its values, and the entry keeps no free-text note. The people an
 * entry names and its actor are indexed in `sync_audit_subjects`, so a
 * later erasure finds every entry about them.
 */
import type {
  GenericDatabaseReader,
  GenericDataModel,
  PaginationOptions,
} from "convex/server";
import type { GenericId } from "convex/values";
import {
  auditsDocument,
  boundAuditValue,
  diffDoc,
  MAX_AUDIT_CHANGES,
  UNNAMED_TABLE,
} from "./casePolicy.js";
import { boundedPage } from "./pages.js";
import { getDoc, insertDoc, type ReadCtx, type WriteCtx } from "./steps.js";
import type { AuditChange, AuditEntry } from "./validators.js";

/** Who ran a command: an administrator signed in, or an operator's CLI. */
export type Actor = { label: string; userId?: GenericId<"users"> };

/** Internal functions run by `npx convex run` or the dashboard carry no identity. */
export const CLI_ACTOR: Actor = { label: "operator (CLI)" };

export { MAX_AUDIT_VALUE } from "./casePolicy.js";

/** A document to watch: its table and id. */
export type Target = { table: string; id: string };

/** Documents as they are now (null: absent), keyed by target. */
export type Snapshot = Map<string, { target: Target; doc: unknown }>;

const keyOf = (target: Target) => `${target.table}:${target.id}`;

/** A target as it is now; one whose write named no table, by its id alone. */
async function readTarget(db: ReadCtx["db"], target: Target): Promise<unknown> {
  return target.table === UNNAMED_TABLE
    ? await db.get(target.id as GenericId<string>)
    : await getDoc({ db }, target.table, target.id);
}

/** Reads each target once; a target named twice is read once. */
export async function snapshot(
  ctx: ReadCtx,
  targets: readonly Target[],
): Promise<Snapshot> {
  const snap: Snapshot = new Map();
  for (const target of targets) {
    const key = keyOf(target);
    if (snap.has(key)) continue;
    snap.set(key, { target, doc: await readTarget(ctx.db, target) });
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
 * A change whose values fit: see boundAuditValue. An entry stays far below
 * Convex's 1 MiB document limit whatever the documents hold (200 changes of
 * about 2 KB each at most).
 */
function boundChange(change: AuditChange): AuditChange {
  return {
    ...change,
    ...("before" in change ? { before: boundAuditValue(change.before) } : {}),
    ...("after" in change ? { after: boundAuditValue(change.after) } : {}),
  };
}

/**
 * Transactions that erased a person (see markErased), keyed like
 * `running`: the ids of the documents whose values the erasure removed.
 */
const erasing = new WeakMap<object, Set<string>>();

/**
 * Marks the transaction of `db` as one that erased a person, and `ids` as
 * documents whose values its audit entry must not keep (see audited).
 */
export function markErased(db: unknown, ids: Iterable<string> = []): void {
  const key = transactionKey(db);
  const erased = erasing.get(key) ?? new Set<string>();
  for (const id of ids) erased.add(id);
  erasing.set(key, erased);
}

/** Whether the transaction of `db` erased a person. */
export function erasedIn(db: unknown): boolean {
  return erasing.has(transactionKey(db));
}

/** A change with its values left out: the table, id and field name. */
export function withoutValues(change: AuditChange): AuditChange {
  return { table: change.table, id: change.id, field: change.field };
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
    /** Free text of the person who acted, after the summary. */
    note?: string;
    /** The ids that name a person (users and app rows): see erasure.ts. */
    subjects?: readonly string[];
    /** Documents whose changes keep field names only (see audited). */
    withoutValuesOf?: ReadonlySet<string>;
  },
): Promise<void> {
  const changes = entry.changes ?? [];
  const hidden = entry.withoutValuesOf ?? new Set<string>();
  const bound = (change: AuditChange) =>
    hidden.has(change.id) ? withoutValues(change) : boundChange(change);
  // A command that erased someone keeps no free text.
  const erased = erasedIn(ctx.db);
  const summary =
    entry.note === undefined || erased
      ? entry.summary
      : `${entry.summary}: ${entry.note}`;
  const auditId = await insertDoc(ctx, "sync_audit", {
    action: entry.action,
    actor: entry.actor.label,
    actor_user_id: entry.actor.userId,
    ids: [...new Set(entry.ids)],
    review_id: entry.reviewId,
    changes: changes.slice(0, MAX_AUDIT_CHANGES).map(bound),
    truncated: changes.length > MAX_AUDIT_CHANGES ? true : undefined,
    summary: summary.slice(0, 1000),
    erased: changes.some((change) => hidden.has(change.id)) ? true : undefined,
    at: Date.now(),
  });
  const subjects = new Set(entry.subjects ?? []);
  if (entry.actor.userId !== undefined) subjects.add(entry.actor.userId);
  for (const subject of subjects) {
    await insertDoc(ctx, "sync_audit_subjects", {
      subject,
      audit_id: auditId,
    });
  }
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
    /** Free text of the person who acted (kept unless someone is erased). */
    note?: string;
    /** Tables an old-form write (no table named) may be in. */
    tables?: readonly string[];
    /** Tables whose documents are people (users and the app table). */
    people?: readonly string[];
  },
  command: () => Promise<T>,
  /**
   * Documents the command created (known only from its result): recorded
   * with every field on the after side.
   */
  created?: (result: T) => readonly Target[],
): Promise<T> {
  const before = await snapshot(ctx, entry.targets);
  // One audited command at a time in a transaction (found by review: two
  // side by side, or one inside another, recorded each other's writes).
  const key = transactionKey(ctx.db);
  if (running.has(key)) {
    throw new Error(
      "An audited command is already running in this transaction: run them in turn",
    );
  }
  // Every document the command writes is recorded too, named or not (found
  // by review: a resolution's pairing step created and patched documents
  // the entry never listed). The command reaches ctx.db at call time, so
  // it writes through the recorder for exactly its own duration; the sync's
  // triggers write through their own database, and record through
  // `recordingDb` while the command runs.
  const db = ctx.db;
  running.set(key, before);
  (ctx as { db: unknown }).db = recordingDb(db, entry.tables);
  let result: T;
  try {
    result = await command();
  } finally {
    running.delete(key);
    (ctx as { db: unknown }).db = db;
  }
  const made = (created?.(result) ?? []).filter(
    (target) => !before.has(keyOf(target)),
  );
  for (const target of made) {
    before.set(keyOf(target), { target, doc: null });
  }
  const targets = [...before.values()]
    .map(({ target }) => target)
    .filter((target) => auditsDocument(target.table));
  const after = await snapshot(ctx, targets);
  // A person erased: what is gone, and what the erasure scrubbed, keeps
  // field names only (the values were theirs).
  const scrubbed = erasing.get(transactionKey(ctx.db));
  const withoutValuesOf =
    scrubbed === undefined
      ? undefined
      : new Set([
          ...scrubbed,
          ...[...after.values()]
            .filter(({ doc }) => doc === null)
            .map(({ target }) => target.id),
        ]);
  await recordAudit(ctx, {
    withoutValuesOf,
    ...entry,
    summary:
      typeof entry.summary === "string" ? entry.summary : entry.summary(result),
    ids: targets.map((target) => target.id),
    // diffDoc keeps no field of a table the log does not record.
    changes: changesBetween(before, after),
    subjects: targets
      .filter((target) => entry.people?.includes(target.table) === true)
      .map((target) => target.id),
  });
  return result;
}

/**
 * The audited command running in each transaction: its documents as they
 * were before it first wrote them. Keyed by the transaction's system-table
 * reader, which the app's database, the triggers' wrapper around it and
 * the raw database the triggers write through all share; so the state is
 * the transaction's own and goes with it.
 */
const running = new WeakMap<object, Snapshot>();

/** The key of a database's transaction (itself, if it shares no reader). */
function transactionKey(db: unknown): object {
  const system = (db as { system?: unknown }).system;
  return typeof system === "object" && system !== null
    ? system
    : (db as object);
}

const RECORDING = Symbol("recording audit writes");

function isRecording(db: unknown): boolean {
  return (db as { [RECORDING]?: boolean })[RECORDING] === true;
}

/**
 * `db` with each write remembered by the audited command running in its
 * transaction: the document's state before the first write (null for one
 * inserted). Reads, and everything else, pass through. Outside an audited
 * command it is `db` itself, so the sync's triggers can always write
 * through it, and an app write that no command audits pays nothing.
 *
 * @example const db = recordingDb(ctx.innerDb, ["users", "auth_users"]);
 */
export function recordingDb<DB extends object>(
  db: DB,
  tables: readonly string[] = [],
): DB {
  if (isRecording(db) || !running.has(transactionKey(db))) return db;
  const raw = db as unknown as Record<
    string | symbol,
    (...args: unknown[]) => unknown
  >;
  const call = (name: string, args: unknown[]) =>
    raw[name]!.apply(db, args) as Promise<unknown>;
  const rawReader = db as unknown as ReadCtx["db"];
  // The old forms name no table: it is found from the id when it is one of
  // the tables the sync knows, and the id is recorded either way.
  const tableOf = (id: string) =>
    tables.find((table) => raw.normalizeId!.call(db, table, id) !== null) ??
    UNNAMED_TABLE;
  const remember = async (target: Target, inserted: boolean) => {
    // The command may have ended while a write it started was under way.
    const snap = running.get(transactionKey(db));
    if (snap === undefined || !auditsDocument(target.table)) return;
    const key = keyOf(target);
    // An id just inserted was in no earlier state (found by review: a
    // trigger's patch of the new document was taken for its before).
    if (inserted) {
      snap.set(key, { target, doc: null });
      return;
    }
    if (snap.has(key)) return;
    snap.set(key, { target, doc: await readTarget(rawReader, target) });
  };
  const write =
    (name: "patch" | "replace" | "delete") =>
    async (...args: unknown[]) => {
      const named = typeof args[1] === "string";
      const id = (named ? args[1] : args[0]) as string;
      const table = named ? (args[0] as string) : tableOf(id);
      await remember({ table, id }, false);
      return await call(name, args);
    };
  const insert = async (...args: unknown[]) => {
    const id = (await call("insert", args)) as string;
    await remember({ table: args[0] as string, id }, true);
    return id;
  };
  const writes: Record<string, (...args: unknown[]) => Promise<unknown>> = {
    insert,
    patch: write("patch"),
    replace: write("replace"),
    delete: write("delete"),
  };
  const proxy: DB = new Proxy(db, {
    get(target, prop) {
      if (prop === RECORDING) return true;
      if (typeof prop === "string" && Object.hasOwn(writes, prop)) {
        return writes[prop];
      }
      if (prop === "table" && typeof raw.table === "function") {
        // db.table(name): the same writes, named.
        return (table: string) => ({
          get: (id: string) => call("get", [table, id]),
          query: () => raw.query!.call(db, table),
          insert: (value: unknown) => insert(table, value),
          patch: (id: string, value: unknown) =>
            writes.patch!(table, id, value),
          replace: (id: string, value: unknown) =>
            writes.replace!(table, id, value),
          delete: (id: string) => writes.delete!(table, id),
        });
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function"
        ? ((value as (...args: unknown[]) => unknown).bind(target) as unknown)
        : value;
    },
  });
  return proxy;
}

/** The most entries one page of the log returns. */
export const MAX_AUDIT_PAGE = 100;

/**
 * One page of the log, newest first: at most MAX_AUDIT_PAGE entries, a
 * cursor it never made INVALID_ARGUMENT (see boundedPage).
 *
 * @example const { page, continueCursor, isDone } = await auditPage(ctx, { numItems: 20, cursor: null });
 */
export async function auditPage(
  ctx: { db: GenericDatabaseReader<GenericDataModel> },
  paginationOpts: PaginationOptions,
): Promise<{ page: AuditEntry[]; continueCursor: string; isDone: boolean }> {
  const result = await boundedPage(
    ctx.db.query("sync_audit").order("desc"),
    paginationOpts,
    MAX_AUDIT_PAGE,
    "Not a cursor of the audit log",
  );
  return { ...result, page: result.page as AuditEntry[] };
}
