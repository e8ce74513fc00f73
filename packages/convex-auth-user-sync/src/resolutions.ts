/**
 * Resolving what the sync refused to guess: the review queue and the four
 * resolutions a person may choose for a case of `sync_reviews`.
 *
 * - `link`: a user and a row the person confirmed belong together become a
 *   pair. Refused while the row is paired with another user, or the user
 *   with another row (unless the person also asked to retire that row, by
 *   id, having seen it). A suspension on either side holds in the pair.
 * - `keep_separate`: the two never link automatically again (a marker in
 *   `sync_separations` the pairing decision honours); one-sided references
 *   between them are cleared, and the user gets or keeps a row of their own.
 * - `retire`: a row in no pair (a duplicate, an orphan) is deleted; its
 *   fields stay readable in the audit log.
 * - `dismiss`: the case is closed as it is.
 *
 * In single-table mode (stage `writes_stopped` on) `link` and `retire`
 * would write the app table: refused (CONFLICT); `keep_separate` writes
 * its marker and the user's side only.
 *
 * A resolution settles the rows it names; the case's other rows, still in
 * question, get a case of their own in the same transaction (see
 * recordWhatRemains), so the queue never empties while they drift.
 *
 * Each is one transaction, recorded in the audit log with every field it
 * changed, and each is refused with `STALE` when the case is no longer what
 * the person was shown: the case's version (a hash of the review, the user,
 * the user's current row and the case's rows, see caseVersion) must match.
 */
import type {
  GenericDataModel,
  GenericMutationCtx,
  PaginationOptions,
} from "convex/server";
import type { GenericId } from "convex/values";
import { deleteAppRow } from "./accounts.js";
import { type Actor, audited, erasedIn, type Target } from "./audit.js";
import { AUDITED_AUTH_FIELDS, caseVersion } from "./casePolicy.js";
import type { AnyDoc, Shape } from "./declaration.js";
import { appError } from "./errors.js";
import { boundedPage } from "./pages.js";
import { CLAIM_REFERENCES, referencesTo, takeOver } from "./fold/claim.js";
import { isPlaceholder } from "./placeholder.js";
import { inSingleTable } from "./fold/people.js";
import { planLink } from "./policy.js";
import {
  byIndex,
  CLAIM_LIMIT,
  ensurePair,
  findPairedUser,
  getDoc,
  insertDoc,
  patchDoc,
  readPair,
  type ReadCtx,
  recordReview,
  separatedFrom,
  suspensionKept,
  writeLink,
} from "./steps.js";
import type { Resolution, ReviewKind } from "./validators.js";

type MutationCtx = GenericMutationCtx<GenericDataModel>;

/** The most rows of one case a view shows and a resolution weighs. */
export const MAX_CASE_ROWS = 10;
/** The most cases one page of the queue holds. */
export const MAX_CASES_PAGE = 20;

/** One row of a case, as a person sees it. */
export type CaseRow = {
  id: string;
  /** null: the row is gone (deleted since the case was recorded). */
  doc: AnyDoc | null;
  /** The user this row is paired with (both sides agree), if any. */
  pairedUserId: string | null;
};

/** A case with both sides, as shown to a person, and its version. */
export type CaseView = {
  review: AnyDoc;
  /** The case's user; null when it names none or the user is gone. */
  user: AnyDoc | null;
  /** The user's current row (its counterpart), when it has one. */
  counterpart: AnyDoc | null;
  rows: CaseRow[];
  /** Pass it back with a resolution: a changed case is refused (STALE). */
  version: string;
};

/**
 * Everything a person needs to decide a case: the user, its current row, and
 * each row of the case with whom it is paired. Bounded: at most
 * MAX_CASE_ROWS rows, two reads each.
 */
export async function loadCase(
  ctx: ReadCtx,
  shape: Shape,
  review: AnyDoc,
): Promise<CaseView> {
  const userId =
    typeof review.user_id === "string"
      ? ctx.db.normalizeId("users", review.user_id)
      : null;
  const user = userId === null ? null : await getDoc(ctx, "users", userId);
  const counterpart =
    user === null ? null : (await readPair(ctx, shape, user)).counterpart;
  const rows: CaseRow[] = [];
  for (const id of (review.row_ids as string[]).slice(0, MAX_CASE_ROWS)) {
    const rowId = ctx.db.normalizeId(shape.table, id);
    const doc = rowId === null ? null : await getDoc(ctx, shape.table, rowId);
    const paired = doc === null ? null : await findPairedUser(ctx, shape, doc);
    rows.push({ id, doc, pairedUserId: paired?._id ?? null });
  }
  // Who each row is paired with is shown too, and depends on documents
  // outside the case (found by review): it is part of what was shown.
  const version = caseVersion([
    review,
    user,
    counterpart,
    ...rows.map((row) => row.doc),
    ...rows.map((row) =>
      row.pairedUserId === null ? null : ({ _id: row.pairedUserId } as AnyDoc),
    ),
  ]);
  return { review, user, counterpart, rows, version };
}

/**
 * One page of open cases (never resolved), oldest first, each with both
 * sides (see loadCase): at most MAX_CASES_PAGE, a cursor it never made
 * INVALID_ARGUMENT (see boundedPage). `kind`: only cases of that kind.
 *
 * @example const { page, continueCursor, isDone } = await openCases(ctx, shape, { numItems: 10, cursor: null });
 */
export async function openCases(
  ctx: ReadCtx,
  shape: Shape,
  paginationOpts: PaginationOptions,
  /** Only cases of this kind. */
  kind?: ReviewKind,
): Promise<{
  page: CaseView[];
  continueCursor: string;
  isDone: boolean;
}> {
  // Open cases: resolved_at absent (the generic data model types every
  // value as a defined Value; absent is what the index stores).
  const reviews = ctx.db.query("sync_reviews");
  const result = await boundedPage(
    kind === undefined
      ? reviews.withIndex("by_resolved_at", (q) =>
          q.eq("resolved_at", undefined as never),
        )
      : reviews.withIndex("by_kind_and_resolved_at", (q) =>
          (q.eq("kind", kind as never) as never as typeof q).eq(
            "resolved_at",
            undefined as never,
          ),
        ),
    paginationOpts,
    MAX_CASES_PAGE,
    "Not a cursor of the review queue",
  );
  const page: CaseView[] = [];
  for (const review of result.page as AnyDoc[]) {
    page.push(await loadCase(ctx, shape, review));
  }
  return { ...result, page };
}

/** What a person chose for a case. */
export type ResolutionRequest = {
  reviewId: GenericId<"sync_reviews">;
  /** The case's version as it was shown (CaseView.version). */
  version: string;
  actor: Actor;
  /** Why, in the person's words: kept in the review and the audit log. */
  note?: string;
} & (
  | {
      action: "link";
      userId: string;
      rowId: string;
      /**
       * The user's current row, when the person chose to retire it to make
       * room (its id as shown: another row there is refused).
       */
      retireCurrent?: string;
    }
  | { action: "keep_separate"; userId: string; rowId: string }
  | { action: "retire"; rowId: string }
  | { action: "dismiss" }
);

/** What a resolution did. */
export type ResolutionResult = {
  resolution: Resolution;
  /** What it wrote, in words (also the audit entry's summary). */
  summary: string;
};

/** One write a resolution makes, as a person reads it (see planResolution). */
export type ResolutionEffect = {
  /** delete: the document goes; change: fields change; create: a new one. */
  kind: "delete" | "change" | "create";
  table: string;
  /** The document, when the plan knows it. */
  id?: string;
  /** What the write is, in words. */
  summary: string;
  /** A change's fields, before and after (absent: the field goes). */
  fields?: { field: string; before?: unknown; after?: unknown }[];
  /** A deleted document as it is now. */
  doc?: AnyDoc;
  /** A deleted row's own data in the app, as exportRow reads it: it goes too. */
  appData?: unknown;
};

/** What a resolution will do, before it does it (see previewResolution). */
export type ResolutionPreview = {
  resolution: Resolution;
  summary: string;
  effects: ResolutionEffect[];
  /**
   * Whether the audit entry will keep the person's note: not when the
   * resolution deletes a row, which erases what is recorded of it (a note
   * about a person outlives nothing of theirs, see erasure.ts).
   */
  keepsNote: boolean;
};

/**
 * A resolution checked and planned: what it will write (`effects`, in words)
 * and the writes themselves (`write`), built from the same reads. The
 * resolve command runs `write`; the preview shows `effects`.
 */
type ResolutionPlan = ResolutionPreview & {
  view: CaseView;
  targets: Target[];
  note: string | undefined;
  now: number;
  write: (ctx: MutationCtx) => Promise<void>;
};

/**
 * Checks a resolution and plans its writes, writing nothing: NOT_FOUND (no
 * such case), STALE (resolved already, or changed since it was shown),
 * INVALID_ARGUMENT (ids that are not the case's), CONFLICT (the resolution
 * would take a row or a user from another pair). Both resolveCase and
 * previewResolution go through it, so the preview is the plan that runs.
 */
async function planResolution(
  ctx: ReadCtx,
  shape: Shape,
  request: ResolutionRequest,
): Promise<ResolutionPlan> {
  const note = request.note?.trim().slice(0, 500) || undefined;
  const review = await getDoc(ctx, "sync_reviews", request.reviewId);
  if (review === null) throw appError("NOT_FOUND", "No such case");
  if (review.resolved_at !== undefined) {
    throw appError(
      "STALE",
      `This case was resolved already (${String(review.resolution)} by ${String(review.resolved_by)})`,
    );
  }
  const view = await loadCase(ctx, shape, review);
  if (view.version !== request.version) {
    throw appError(
      "STALE",
      "This case changed since it was shown; look at it again",
    );
  }

  // The ids must be the case's own, and present.
  const caseRow = (rowId: string): AnyDoc => {
    const row = view.rows.find((candidate) => candidate.id === rowId);
    if (row === undefined) {
      throw appError("INVALID_ARGUMENT", "That row is not part of this case");
    }
    if (row.doc === null) throw appError("STALE", "That row is gone");
    return row.doc;
  };
  const caseUser = (userId: string): AnyDoc => {
    if (view.review.user_id !== userId) {
      throw appError("INVALID_ARGUMENT", "That user is not this case's");
    }
    if (view.user === null) throw appError("STALE", "That user is gone");
    return view.user;
  };

  const resolution: Resolution =
    request.action === "keep_separate" ? "keep_separate" : request.action;
  const targets: Target[] = [{ table: "sync_reviews", id: review._id }];
  if (view.user !== null) targets.push({ table: "users", id: view.user._id });
  if (view.counterpart !== null) {
    targets.push({ table: shape.table, id: view.counterpart._id });
  }
  for (const row of view.rows) {
    if (row.doc !== null) targets.push({ table: shape.table, id: row.id });
  }
  let summary = "";
  const now = Date.now();

  // Checks first: a refused resolution writes nothing.
  const single = await inSingleTable(ctx);
  if (single && (request.action === "link" || request.action === "retire")) {
    throw appError(
      "CONFLICT",
      `${request.action === "link" ? "Linking" : "Retiring"} writes ${shape.table}, which is no longer written (single-table mode, see docs/fold.md): keep the two apart or dismiss the case, or roll stop_writes back first`,
    );
  }
  let write: (ctx: MutationCtx) => Promise<void>;
  let effects: ResolutionEffect[];
  switch (request.action) {
    case "link": {
      const user = caseUser(request.userId);
      const row = caseRow(request.rowId);
      const link = await prepareLink(
        ctx,
        shape,
        user,
        row,
        request,
        now,
        request.actor,
      );
      write = link.write;
      effects = link.effects;
      summary = `Linked users ${user._id} and ${shape.table} ${row._id}`;
      if (request.retireCurrent !== undefined) {
        summary += `, retiring ${shape.table} ${request.retireCurrent}`;
      }
      if (link.kept !== null) {
        summary += `; ${suspensionKept(shape, user._id, row._id, link.kept)}`;
      }
      break;
    }
    case "keep_separate": {
      const user = caseUser(request.userId);
      const row = caseRow(request.rowId);
      if ((await findPairedUser(ctx, shape, row))?._id === user._id) {
        throw appError(
          "CONFLICT",
          "This user and row are a pair; keeping them apart would unlink an account",
        );
      }
      const planned = await planKeepSeparate(ctx, shape, user, row, now, {
        single,
      });
      write = planned.write;
      effects = planned.effects;
      summary = `Kept users ${user._id} and ${shape.table} ${row._id} apart`;
      break;
    }
    case "retire": {
      const row = caseRow(request.rowId);
      const paired = await findPairedUser(ctx, shape, row);
      if (paired !== null) {
        throw appError(
          "CONFLICT",
          `This row is paired with users ${paired._id}: it is an account's, not a duplicate or an orphan`,
        );
      }
      const pointing = await usersPointingAt(ctx, shape, row._id);
      for (const user of pointing) {
        targets.push({ table: "users", id: user._id });
      }
      write = async (ctx) => {
        await retireRow(ctx, shape, row, pointing, now);
      };
      effects = await retireEffects(ctx, shape, row, pointing);
      summary = `Retired ${shape.table} ${row._id}`;
      break;
    }
    case "dismiss":
      write = async () => {};
      effects = [];
      summary = "Dismissed";
      break;
  }
  return {
    resolution,
    summary,
    effects,
    keepsNote: !effects.some(
      (effect) => effect.kind === "delete" && effect.table === shape.table,
    ),
    view,
    targets,
    note,
    now,
    write,
  };
}

/**
 * What a resolution would write, and refuses as resolveCase would (the same
 * checks, the same plan), writing nothing: for a person to see before they
 * confirm. A query may call it.
 *
 * @example const { effects } = await previewResolution(ctx, shape, { action: "retire", reviewId, version, rowId, actor });
 */
export async function previewResolution(
  ctx: ReadCtx,
  shape: Shape,
  request: ResolutionRequest,
): Promise<ResolutionPreview> {
  const { resolution, summary, effects, keepsNote } = await planResolution(
    ctx,
    shape,
    request,
  );
  return { resolution, summary, effects, keepsNote };
}

/**
 * Resolves a case in the caller's transaction, or refuses and writes
 * nothing (see planResolution for the refusals): the plan's writes, the
 * case closed, and what the resolution left in question recorded again.
 *
 * @example await resolveCase(ctx, shape, { action: "dismiss", reviewId, version, actor });
 */
export async function resolveCase(
  ctx: MutationCtx,
  shape: Shape,
  request: ResolutionRequest,
): Promise<ResolutionResult> {
  const plan = await planResolution(ctx, shape, request);
  const { view, note, now, resolution } = plan;
  let { summary } = plan;
  await audited(
    ctx,
    {
      action: `resolve:${resolution}`,
      actor: request.actor,
      targets: plan.targets,
      reviewId: request.reviewId,
      summary,
      // Free text: left out of the entry and the case when the resolution
      // deleted a row (erasure.ts).
      note,
      tables: ["users", shape.table, ...Object.keys(AUDITED_AUTH_FIELDS)],
      people: ["users", shape.table],
    },
    async () => {
      await plan.write(ctx);
      // The case keeps who resolved it by id and no free text: a note about
      // a row, or an administrator's address, would outlive an erasure that
      // cannot find the case (found by review). The note is in the audit
      // entry, which an erasure finds by every id it names.
      await patchDoc(ctx, "sync_reviews", view.review._id, {
        resolved_at: now,
        resolution,
        resolved_by:
          request.actor.userId === undefined
            ? request.actor.label
            : `users:${request.actor.userId}`,
      });
      if (request.action !== "dismiss") {
        await recordWhatRemains(ctx, shape, view, now);
      }
    },
  );
  if (note !== undefined && !erasedIn(ctx.db)) summary += `: ${note}`;
  return { resolution, summary };
}

/** A change of some fields of one document, as an effect. */
function changeEffect(
  table: string,
  doc: AnyDoc,
  patch: Record<string, unknown>,
  summary: string,
): ResolutionEffect {
  return {
    kind: "change",
    table,
    id: doc._id,
    summary,
    fields: Object.entries(patch).map(([field, after]) => ({
      field,
      before: doc[field],
      after,
    })),
  };
}

/** A row deleted with the app's own data of it (deleteAppRow), as an effect. */
async function rowDeletion(
  ctx: ReadCtx,
  shape: Shape,
  row: AnyDoc,
  summary: string,
): Promise<ResolutionEffect> {
  const appData = await shape.hooks.exportRow?.(ctx as never, row);
  return {
    kind: "delete",
    table: shape.table,
    id: row._id,
    summary,
    doc: row,
    ...(appData === undefined ? {} : { appData }),
  };
}

/** Each user a retirement or a separation leaves to the sync to pair again. */
function repairEffect(userId: string): ResolutionEffect {
  return {
    kind: "change",
    table: "users",
    id: userId,
    summary:
      "The sync pairs this user again: with the row its verified address proves, or a new row of its own",
  };
}

/** What retireRow will write, in the order it writes it. */
async function retireEffects(
  ctx: ReadCtx,
  shape: Shape,
  row: AnyDoc,
  pointing: readonly AnyDoc[],
): Promise<ResolutionEffect[]> {
  const effects: ResolutionEffect[] = pointing.map((user) =>
    changeEffect(
      "users",
      user,
      { [shape.usersRef!]: undefined },
      "Its reference to the retired row is cleared",
    ),
  );
  effects.push(
    await rowDeletion(
      ctx,
      shape,
      row,
      "Retired: deleted, with the app's own data of it; its fields stay in the audit log",
    ),
  );
  const affected = new Set<string>(pointing.map((user) => user._id));
  const named: unknown = row[shape.appRef];
  if (typeof named === "string") affected.add(named);
  for (const userId of affected) {
    const id = ctx.db.normalizeId("users", userId);
    if (id !== null && (await getDoc(ctx, "users", id)) !== null) {
      effects.push(repairEffect(userId));
    }
  }
  return effects;
}

/**
 * Checks a link and returns the writes that make it, and which side's
 * suspension the pair keeps (a suspension on either side holds, see
 * keepSuspension). A row paired with the fold's placeholder of a person who
 * never signed in is the person's to give: the user takes the placeholder
 * over (references, values, row). Refused (CONFLICT) when the row is another
 * user's pair,
 * when the user has a pair with another row (unless `retireCurrent` names
 * exactly that row), when other rows name the user with the app side's
 * reference only, or when the user never completed a sign-in.
 */
async function prepareLink(
  ctx: ReadCtx,
  shape: Shape,
  user: AnyDoc,
  row: AnyDoc,
  request: { retireCurrent?: string },
  now: number,
  actor: Actor,
): Promise<{
  write: (ctx: MutationCtx) => Promise<void>;
  effects: ResolutionEffect[];
  kept: "user" | "row" | null;
}> {
  if (user.pendingFirstSignIn === true) {
    throw appError(
      "CONFLICT",
      "This user never completed a sign-in; there is no account to link yet",
    );
  }
  const paired = await findPairedUser(ctx, shape, row);
  // The fold's placeholder of a person who never signed in: the person
  // deciding takes it over for the user (fold/claim.ts), as a sign-in that
  // proved the address would.
  const placeholder =
    paired !== null && paired._id !== user._id && isPlaceholder(paired)
      ? paired
      : null;
  if (
    placeholder !== null &&
    (await readPair(ctx, shape, placeholder)).duplicates.length > 0
  ) {
    throw appError(
      "CONFLICT",
      `Several rows name the row's placeholder (users ${placeholder._id}); retire the stray one first`,
    );
  }
  const placeholderReferences =
    placeholder === null ? [] : await referencesTo(ctx, shape, placeholder._id);
  if (placeholderReferences === null) {
    throw appError(
      "CONFLICT",
      `The row's placeholder (users ${paired!._id}) is named by more than ${CLAIM_REFERENCES} documents of a declared reference: too many to move in one transaction`,
    );
  }
  if (paired !== null && paired._id !== user._id && placeholder === null) {
    throw appError(
      "CONFLICT",
      `This row is paired with another user (users ${paired._id})`,
    );
  }
  const read = await readPair(ctx, shape, user);
  const current =
    read.counterpart !== null && read.counterpart._id !== row._id
      ? read.counterpart
      : null;
  if (current === null && request.retireCurrent !== undefined) {
    throw appError(
      "STALE",
      "The user no longer has the row you chose to retire",
    );
  }
  if (current !== null && request.retireCurrent !== current._id) {
    throw appError(
      "CONFLICT",
      `The user is paired with ${shape.table} ${current._id}; choose to retire it, or keep the two apart`,
    );
  }
  const others = read.duplicates.filter((other) => other._id !== row._id);
  if (others.length > 0) {
    throw appError(
      "CONFLICT",
      "Other rows name this user too; retire them or keep them apart first",
    );
  }
  const legacy =
    (row[shape.appRef] === undefined || placeholder !== null) &&
    row[shape.emailVerified] === undefined;
  const link = planLink(shape, user as never, row, row, now, legacy);
  const [marker] = await byIndex(
    ctx,
    "sync_separations",
    "by_user_id_and_row_id",
    { user_id: user._id, row_id: row._id },
    1,
  );
  const effects: ResolutionEffect[] = [];
  if (current !== null) {
    effects.push(
      await rowDeletion(
        ctx,
        shape,
        current,
        "The user's current row is retired: deleted, with the app's own data of it; its fields stay in the audit log",
      ),
    );
  }
  if (placeholder !== null) {
    effects.push(
      ...takeOverEffects(shape, user, placeholder, placeholderReferences),
    );
  }
  if (marker !== undefined) {
    effects.push({
      kind: "delete",
      table: "sync_separations",
      id: marker._id,
      summary: "The earlier choice to keep the two apart is withdrawn",
    });
  }
  if (Object.keys(link.plan.usersPatch).length > 0) {
    effects.push(
      changeEffect("users", user, link.plan.usersPatch, "The user, linked"),
    );
  }
  if (Object.keys(link.plan.rowPatch).length > 0) {
    effects.push(
      changeEffect(shape.table, row, link.plan.rowPatch, "The row, linked"),
    );
  }
  if (link.kept === "row") {
    effects.push({
      kind: "delete",
      table: "authSessions",
      summary:
        "The user's sessions end: the row is suspended, and a link keeps a suspension",
    });
  }
  const write = async (ctx: MutationCtx) => {
    if (current !== null) {
      // The user's row goes, as a retirement would take it: its fields are
      // in the audit entry. The user's reference to it is replaced below.
      await deleteAppRow(ctx, shape, current._id);
    }
    if (placeholder !== null) {
      await takeOver(
        ctx,
        shape,
        user,
        placeholder,
        placeholderReferences,
        actor,
      );
    }
    if (marker !== undefined) {
      await ctx.db.delete("sync_separations", marker._id as never);
    }
    await writeLink(ctx, shape, user._id, row._id, link);
  };
  return { write, effects, kept: link.kept };
}

/** What takeOver (fold/claim.ts) will write, as effects. */
function takeOverEffects(
  shape: Shape,
  user: AnyDoc,
  placeholder: AnyDoc,
  references: NonNullable<Awaited<ReturnType<typeof referencesTo>>>,
): ResolutionEffect[] {
  const effects: ResolutionEffect[] = [];
  for (const { reference, docs } of references) {
    for (const doc of docs) {
      effects.push(
        changeEffect(
          reference.table,
          doc,
          { [reference.field]: user._id },
          "Re-pointed from the placeholder to the user",
        ),
      );
    }
  }
  effects.push({
    kind: "delete",
    table: "users",
    id: placeholder._id,
    summary:
      "The placeholder of a person who never signed in: the user takes over its values and its row",
    doc: placeholder,
  });
  return effects;
}

/**
 * The case's rows a resolution left in question get a case of their own, of
 * the same kind and user (found by review: keep-separate on one of two
 * candidate rows closed the whole case, while the other row still drifted
 * with nothing in the queue). A row is still in question when it is there,
 * in no pair (or paired with the fold's placeholder), and not kept apart
 * from the case's user. Rows the resolution
 * settled (linked, retired, kept apart) are not named again, so the new case
 * has its own key; nothing is recorded when nothing is left.
 */
async function recordWhatRemains(
  ctx: MutationCtx,
  shape: Shape,
  view: CaseView,
  now: number,
): Promise<void> {
  const user =
    view.user === null ? null : await getDoc(ctx, "users", view.user._id);
  const ids = view.rows.map((row) => row.id);
  const separated =
    user === null ? new Set<string>() : await separatedFrom(ctx, user._id, ids);
  const left: AnyDoc[] = [];
  for (const id of ids) {
    if (separated.has(id)) continue;
    const rowId = ctx.db.normalizeId(shape.table, id);
    const row = rowId === null ? null : await getDoc(ctx, shape.table, rowId);
    if (row === null) continue;
    // A row paired with the fold's placeholder is still a person who never
    // signed in, in question as their legacy row was (found by review).
    const paired = await findPairedUser(ctx, shape, row);
    if (paired !== null && !isPlaceholder(paired)) continue;
    left.push(row);
  }
  if (left.length === 0) return;
  await recordReview(
    ctx,
    {
      kind: view.review.kind as ReviewKind,
      userId: user?._id,
      rowIds: left.map((row) => row._id),
      email: view.review.email as string | undefined,
      detail: `Left in question when case ${String(view.review._id)} was resolved for its other rows. ${String(view.review.detail)}`,
    },
    { now },
  );
}

/**
 * Marks the two as never to be linked, unhooks them, and pairs the user.
 * In single-table mode (`single`) the row is frozen: the marker and the
 * user's side alone are written, and the user, its own row now, needs no
 * pairing.
 */
async function planKeepSeparate(
  ctx: ReadCtx,
  shape: Shape,
  user: AnyDoc,
  row: AnyDoc,
  now: number,
  { single }: { single: boolean },
): Promise<{
  write: (ctx: MutationCtx) => Promise<void>;
  effects: ResolutionEffect[];
}> {
  const [marker] = await byIndex(
    ctx,
    "sync_separations",
    "by_user_id_and_row_id",
    { user_id: user._id, row_id: row._id },
    1,
  );
  // One-sided references between them were claims a person has now denied.
  const clearRow = !single && row[shape.appRef] === user._id;
  const clearUser =
    shape.usersRef !== undefined && user[shape.usersRef] === row._id;
  const effects: ResolutionEffect[] = [];
  if (marker === undefined) {
    effects.push({
      kind: "create",
      table: "sync_separations",
      summary: "A marker: the two never link automatically again",
    });
  }
  if (clearRow) {
    effects.push(
      changeEffect(
        shape.table,
        row,
        { [shape.appRef]: undefined },
        "The row's reference to the user is cleared",
      ),
    );
  }
  if (clearUser) {
    effects.push(
      changeEffect(
        "users",
        user,
        { [shape.usersRef!]: undefined },
        "The user's reference to the row is cleared",
      ),
    );
  }
  if (!single) effects.push(repairEffect(user._id));
  const write = async (ctx: MutationCtx) => {
    if (marker === undefined) {
      await insertDoc(ctx, "sync_separations", {
        user_id: user._id,
        row_id: row._id,
        created_at: now,
      });
    }
    if (clearRow) {
      await patchDoc(ctx, shape.table, row._id, { [shape.appRef]: undefined });
    }
    if (clearUser) {
      await patchDoc(ctx, "users", user._id, { [shape.usersRef!]: undefined });
    }
    // The user gets or keeps a row of their own (or links the one row left
    // that its verified email proves, now that this one is out of the way).
    if (single) return;
    const fresh = (await getDoc(ctx, "users", user._id))!;
    await ensurePair(ctx, shape, fresh, {}, { now });
  };
  return { write, effects };
}

/** Users whose reference names this row (one-sided: it is in no pair). */
export async function usersPointingAt(
  ctx: ReadCtx,
  shape: Shape,
  rowId: string,
): Promise<AnyDoc[]> {
  if (shape.usersRef === undefined || shape.indexes.usersByRef === undefined) {
    return [];
  }
  return await byIndex(
    ctx,
    "users",
    shape.indexes.usersByRef,
    { [shape.usersRef]: rowId },
    CLAIM_LIMIT,
  );
}

/**
 * Deletes a row in no pair (with the app's own data of it, onDeleteRow),
 * clears the one-sided references to it, and lets each user it was tied to
 * get or keep its pair. Returns how many documents it deleted (see
 * deleteAppRow). The operators' deleteRow shares it (operators.ts).
 */
export async function retireRow(
  ctx: MutationCtx,
  shape: Shape,
  row: AnyDoc,
  pointing: readonly AnyDoc[],
  now: number,
): Promise<number> {
  for (const user of pointing) {
    await patchDoc(ctx, "users", user._id, { [shape.usersRef!]: undefined });
  }
  const deleted = await deleteAppRow(ctx, shape, row._id);
  const named = row[shape.appRef];
  const affected = new Set<string>(pointing.map((user) => user._id));
  if (typeof named === "string") affected.add(named);
  for (const userId of affected) {
    const normalized = ctx.db.normalizeId("users", userId);
    const user =
      normalized === null ? null : await getDoc(ctx, "users", normalized);
    if (user !== null) await ensurePair(ctx, shape, user, {}, { now });
  }
  return deleted;
}
