/**
 * A person's data: erased with their account, exported on request, and the
 * audit log's retention.
 *
 * What counts as personal data in the sync's own tables: every value of a
 * person's documents (profile fields, email, names, the app's data of
 * them), every free-text field written about them (a case's note, an audit
 * entry's summary) and an actor label naming their address. What does not:
 * opaque ids, field names, actions, kinds and times. So an erasure leaves
 * who acted (by id), when, what kind of command and which ids, and nothing
 * else of the person:
 * - in the entry of the command that erased them, the documents deleted and
 *   the cases scrubbed keep field names, never values, and the entry keeps
 *   no note (audit.ts, markErased);
 * - every earlier entry naming them (their `users` id or app-row id) loses
 *   its values and its summary; every entry they made as an administrator
 *   keeps their id as the actor, not their address;
 * - their cases on the review queue lose the address, the note, and a
 *   failure's error text or a v2 move case's detail (which may quote a
 *   value); a case whose address a
 *   living account also holds keeps it, as that account's;
 * - the email keys dry runs planned for their rows are deleted, and so are
 *   the keep-separate markers naming them and Convex Auth's rate-limit
 *   records keyed by their addresses.
 */
import {
  type GenericDataModel,
  type GenericMutationCtx,
  type GenericQueryCtx,
  makeFunctionReference,
} from "convex/server";
import type { GenericId } from "convex/values";
import { markErased, withoutValues } from "./audit.js";
import type { AnyDoc, Shape } from "./declaration.js";
import { normalizeEmail } from "./policy.js";
import { indexRange } from "./db.js";
import { signInAccounts } from "./signInAccounts.js";
import { retentionCutoff } from "./retention.js";
import { byIndex, getDoc, patchDoc } from "./steps.js";
import { foldOf, frozenRowOf, inSingleTable } from "./fold/people.js";
import type { AuditEntry, PersonData, SyncReview } from "./validators.js";

type MutationCtx = GenericMutationCtx<GenericDataModel>;
type QueryCtx = GenericQueryCtx<GenericDataModel>;

/** Audit entries (or cases) scrubbed per transaction; the rest go on later. */
export const ERASE_PAGE = 100;

/** The people an erasure is of: their ids and addresses. */
export type ErasedPeople = {
  userIds: readonly string[];
  rowIds: readonly string[];
  /** Their email keys. */
  emails?: readonly string[];
  /** Their addresses as stored, where they differ from the keys. */
  addresses?: readonly string[];
};

/** The ids and addresses of a deleted user and row (either may be null). */
export function peopleOf(
  shape: Shape,
  user: AnyDoc | null,
  row: AnyDoc | null,
): ErasedPeople {
  const emails = [
    normalizeEmail(user?.email),
    normalizeEmail(row?.[shape.email]),
  ];
  const stored = [user?.email, row?.[shape.email]].filter(
    (e): e is string => typeof e === "string",
  );
  return {
    userIds: user === null ? [] : [user._id],
    rowIds: row === null ? [] : [row._id],
    emails: [...new Set(emails.filter((e): e is string => e !== undefined))],
    addresses: [...new Set(stored)],
  };
}

/**
 * Removes what the sync's own tables hold of people just deleted (see the
 * module's comment), in the deleting transaction; a person with more than
 * ERASE_PAGE audit entries has the rest scrubbed by the `eraseAuditTraces`
 * job the app exports from `modules.audit`.
 *
 * @example await eraseTraces(ctx, shape, peopleOf(shape, user, row));
 */
export async function eraseTraces(
  ctx: MutationCtx,
  shape: Shape,
  people: ErasedPeople,
): Promise<void> {
  if (people.userIds.length === 0 && people.rowIds.length === 0) return;
  markErased(ctx.db, [...people.userIds, ...people.rowIds]);
  markErased(ctx.db, await scrubCases(ctx, people));
  await deletePlannedKeys(ctx, people);
  await deleteSeparations(ctx, people);
  // Convex Auth v2 keeps its rate limits in its components, which offer
  // no function to reset one (the email component keys one by address:
  // docs/convex-auth-v2.md): only v1's, where the app keeps v1's tables
  // (on v2, for the move), are deleted here.
  if (shape.v1Tables.has("authRateLimits")) {
    await deleteRateLimits(ctx, shape, people);
  }
  const more = await scrubAuditEntries(ctx, people);
  if (more) {
    await ctx.scheduler.runAfter(
      0,
      makeFunctionReference<"mutation">(
        `${shape.modules.audit}:eraseAuditTraces`,
      ),
      { userIds: [...people.userIds], rowIds: [...people.rowIds] },
    );
  }
}

/**
 * Scrubs the cases of the review queue about the people (see the module);
 * returns their ids.
 */
async function scrubCases(
  ctx: MutationCtx,
  people: ErasedPeople,
): Promise<string[]> {
  const cases = new Map<string, SyncReview>();
  for (const userId of people.userIds) {
    for (const review of await byIndex(
      ctx,
      "sync_reviews",
      "by_user_id",
      { user_id: userId },
      ERASE_PAGE,
    )) {
      cases.set(review._id, review as unknown as SyncReview);
    }
  }
  for (const email of people.emails ?? []) {
    for (const review of await byIndex(
      ctx,
      "sync_reviews",
      "by_email",
      { email },
      ERASE_PAGE,
    )) {
      // An address a living account's case holds is that account's too.
      const userId = review.user_id as string | undefined;
      const living =
        userId !== undefined &&
        !people.userIds.includes(userId) &&
        (await getDoc(ctx, "users", userId)) !== null;
      if (!living) cases.set(review._id, review as unknown as SyncReview);
    }
  }
  for (const review of cases.values()) {
    // A failure's error text, and a v2 move case's detail (it quotes the
    // v1 account's address), may hold the person's values.
    const failure =
      review.kind === "sign_in_sync_failed" ||
      review.kind === "row_sync_failed" ||
      review.kind === "v2_move_identity";
    await patchDoc(ctx, "sync_reviews", review._id, {
      email: undefined,
      note: undefined,
      ...(failure ? { detail: ERASED_TEXT } : {}),
    });
  }
  return [...cases.keys()];
}

/**
 * Deletes the email keys dry runs planned for the people's rows (a dry
 * run's log keeps them, one per run: see engine.ts).
 */
async function deletePlannedKeys(
  ctx: MutationCtx,
  people: ErasedPeople,
): Promise<void> {
  // Every one: a row has one key per dry run at most, so the count is the
  // number of dry runs an operator started (found by review: a page of
  // ERASE_PAGE left the rest).
  for (const rowId of people.rowIds) {
    const keys = indexRange(ctx, "sync_run_planned_keys", "by_row_id", {
      row_id: rowId,
    });
    for await (const key of keys) {
      await ctx.db.delete("sync_run_planned_keys", key._id as never);
    }
  }
}

/**
 * Deletes the keep-separate markers naming the people: with one side gone,
 * a marker decides nothing any more, and would stay forever (its ids are
 * never reused). A person keeps few apart, so every one goes.
 */
async function deleteSeparations(
  ctx: MutationCtx,
  people: ErasedPeople,
): Promise<void> {
  const ranges = [
    ...people.userIds.map((userId) =>
      indexRange(ctx, "sync_separations", "by_user_id_and_row_id", {
        user_id: userId,
      }),
    ),
    ...people.rowIds.map((rowId) =>
      indexRange(ctx, "sync_separations", "by_row_id", { row_id: rowId }),
    ),
  ];
  for (const range of ranges) {
    for await (const marker of range) {
      await ctx.db.delete("sync_separations", marker._id as never);
    }
  }
}

/**
 * Deletes Convex Auth's rate-limit records keyed by the people's addresses
 * (an emailed code mistyped keys one by the address typed; found by
 * review). Each address as stored on either side, and its key: a spelling
 * typed otherwise and never stored is not known here, and its record holds
 * nothing but that spelling, an attempt count and a time. An address a
 * living account holds keeps its record: it is that account's.
 */
async function deleteRateLimits(
  ctx: MutationCtx,
  shape: Shape,
  people: ErasedPeople,
): Promise<void> {
  for (const identifier of new Set([
    ...(people.emails ?? []),
    ...(people.addresses ?? []),
  ])) {
    // The limit of an address a living account holds is that account's:
    // deleting it would give whoever guesses at its codes a fresh count
    // (a stray duplicate row retired, say; found by review).
    const holders = await byIndex(
      ctx,
      "users",
      shape.indexes.usersByEmailVerified,
      { email: identifier },
      people.userIds.length + 1,
    );
    if (holders.some((user) => !people.userIds.includes(user._id))) continue;
    for (const limit of await byIndex(
      ctx,
      "authRateLimits",
      "identifier",
      { identifier },
      ERASE_PAGE,
    )) {
      await ctx.db.delete("authRateLimits", limit._id as never);
    }
  }
}

/** What replaces free text erased from a case or an entry. */
export const ERASED_TEXT = "(erased with a person's data)";

/**
 * Scrubs up to ERASE_PAGE audit entries naming or made by the people, each
 * found through `sync_audit_subjects` (its index row deleted once done).
 * Returns whether more may remain.
 */
export async function scrubAuditEntries(
  ctx: MutationCtx,
  people: ErasedPeople,
): Promise<boolean> {
  const erasedIds = new Set([...people.userIds, ...people.rowIds]);
  let budget = ERASE_PAGE;
  for (const subject of erasedIds) {
    const rows = await byIndex(
      ctx,
      "sync_audit_subjects",
      "by_subject",
      { subject },
      budget,
    );
    for (const row of rows) {
      const entry = (await getDoc(
        ctx,
        "sync_audit",
        row.audit_id,
      )) as AuditEntry | null;
      if (entry !== null) await scrubEntry(ctx, entry, people, erasedIds);
      await ctx.db.delete(
        "sync_audit_subjects",
        row._id as GenericId<"sync_audit_subjects">,
      );
    }
    budget -= rows.length;
    if (budget === 0) return true;
  }
  return false;
}

async function scrubEntry(
  ctx: MutationCtx,
  entry: AuditEntry,
  people: ErasedPeople,
  erasedIds: ReadonlySet<string>,
): Promise<void> {
  const patch: Partial<AuditEntry> = {};
  // An entry the command of another erasure marked keeps the values of the
  // documents that survived it: they go now (found by review).
  const holdsValues =
    entry.summary !== ERASED_TEXT ||
    entry.changes.some(
      (change) => change.before !== undefined || change.after !== undefined,
    );
  if (holdsValues && entry.ids.some((id) => erasedIds.has(id))) {
    patch.changes = entry.changes.map(withoutValues);
    patch.summary = ERASED_TEXT;
    patch.erased = true;
  }
  const actor = entry.actor_user_id;
  if (actor !== undefined && people.userIds.includes(actor)) {
    // Who acted stays, by id: the label named their address.
    const label = `users:${actor}`;
    if (entry.actor !== label) patch.actor = label;
    const review =
      entry.review_id === undefined
        ? null
        : await getDoc(ctx, "sync_reviews", entry.review_id);
    if (review !== null && review.resolved_by === entry.actor) {
      await patchDoc(ctx, "sync_reviews", review._id, { resolved_by: label });
    }
  }
  if (Object.keys(patch).length > 0) {
    await patchDoc(ctx, "sync_audit", entry._id, patch);
  }
}

/** Entries deleted per transaction by the retention job. */
export const PURGE_PAGE = 100;

/**
 * Deletes up to PURGE_PAGE audit entries older than `days` days (oldest
 * first, by the built-in creation-time index) and their subject rows;
 * schedules itself (`modules.audit`'s purgeAuditLog) for the rest.
 *
 * @example await purgeAuditLog(ctx, shape, 365);
 */
export async function purgeAuditLog(
  ctx: MutationCtx,
  shape: Shape,
  days: number,
): Promise<{ deleted: number; more: boolean }> {
  const cutoff = retentionCutoff(days);
  const entries = await ctx.db
    .query("sync_audit")
    .withIndex("by_creation_time", (q) => q.lt("_creationTime", cutoff))
    .take(PURGE_PAGE);
  for (const entry of entries) {
    for (const subject of await byIndex(
      ctx,
      "sync_audit_subjects",
      "by_audit_id",
      { audit_id: entry._id },
      ERASE_PAGE,
    )) {
      await ctx.db.delete(
        "sync_audit_subjects",
        subject._id as GenericId<"sync_audit_subjects">,
      );
    }
    await ctx.db.delete("sync_audit", entry._id as GenericId<"sync_audit">);
  }
  const more = entries.length === PURGE_PAGE;
  if (more) {
    await ctx.scheduler.runAfter(
      0,
      makeFunctionReference<"mutation">(`${shape.modules.audit}:purgeAuditLog`),
      { days },
    );
  }
  return { deleted: entries.length, more };
}

/**
 * The upgrade step for an audit log written before `sync_audit_subjects`
 * existed: gives each entry without subject rows the ones an erasure finds
 * it by (every id it names, and the administrator who made it, read from
 * the actor label an older entry keeps as "users:<id> …"). Entries already
 * indexed are skipped, so it is safe to run again. A page of PURGE_PAGE
 * entries per transaction; it schedules itself for the rest.
 *
 * @example npx convex run userSync:indexAuditSubjects '{}'
 */
export async function indexAuditSubjects(
  ctx: MutationCtx,
  shape: Shape,
  cursor: string | null,
): Promise<{ indexed: number; more: boolean }> {
  const result = await ctx.db
    .query("sync_audit")
    .withIndex("by_creation_time")
    .paginate({ numItems: PURGE_PAGE, cursor });
  let indexed = 0;
  for (const entry of result.page as unknown as AuditEntry[]) {
    const [known] = await byIndex(
      ctx,
      "sync_audit_subjects",
      "by_audit_id",
      { audit_id: entry._id },
      1,
    );
    if (known !== undefined) continue;
    const subjects = new Set(entry.ids);
    let actor: string | null | undefined = entry.actor_user_id;
    if (actor === undefined) {
      // An older entry names its administrator in the label alone: the id
      // is kept beside it, as newer entries keep it, for the scrub.
      const named = /^users:(\S+)/.exec(entry.actor)?.[1];
      actor = named === undefined ? null : ctx.db.normalizeId("users", named);
      if (actor !== null) {
        await patchDoc(ctx, "sync_audit", entry._id, { actor_user_id: actor });
      }
    }
    if (actor !== null) subjects.add(actor);
    for (const subject of subjects) {
      await ctx.db.insert("sync_audit_subjects", {
        subject,
        audit_id: entry._id,
      });
    }
    indexed++;
  }
  if (!result.isDone) {
    await ctx.scheduler.runAfter(
      0,
      makeFunctionReference<"mutation">(
        `${shape.modules.audit}:indexAuditSubjects`,
      ),
      { cursor: result.continueCursor },
    );
  }
  return { indexed, more: !result.isDone };
}

/**
 * One person's data: both documents, their sign-in methods and the app's
 * own data of the row (the exportRow hook). Pass the pair as linked. In
 * single-table mode (stage `writes_stopped` on) the row is the person's
 * frozen row while it exists, and the app's data the fold's exportUser
 * hook's (docs/fold.md).
 *
 * @example const data = await exportPerson(ctx, shape, { user, row });
 */
export async function exportPerson(
  ctx: QueryCtx,
  shape: Shape,
  pair: { user: AnyDoc | null; row: AnyDoc | null },
): Promise<PersonData> {
  const accountsOf =
    pair.user === null
      ? []
      : await signInAccounts(ctx, shape, pair.user, ERASE_PAGE);
  if (await inSingleTable(ctx)) {
    // Single-table mode: the app's data of the user (the fold's exportUser
    // hook), and the person's frozen row while it exists: its data is
    // still held, so it is theirs to see (never the virtual row passed in).
    const user = pair.user;
    const exportUser = foldOf(shape).hooks.exportUser;
    return {
      user,
      row: user === null ? null : await frozenRowOf(ctx, shape, user),
      accounts: accountsOf,
      app:
        user === null || exportUser === undefined
          ? null
          : await exportUser(ctx, user),
    };
  }
  const hook = shape.hooks.exportRow;
  return {
    user: pair.user,
    row: pair.row,
    accounts: accountsOf,
    app:
      pair.row === null || hook === undefined
        ? null
        : await hook(ctx, pair.row),
  };
}
