/**
 * The fold's second phase: a person who never signed in (a legacy row no
 * user names) gets a `users` row that no sign-in method owns yet, a
 * placeholder, so that after the re-point every reference has a user to
 * name. A placeholder holds no address of a provider's: its `email` is
 * absent, so Convex Auth's own linking (a unique user with this verified
 * email) never finds it, and only the sync's claim (claim.ts) hands it to
 * the person whose provider proves the address in `unclaimed`.
 *
 * Back: an unclaimed placeholder goes, and its row is a legacy row again,
 * as it was (its address and verification mirror were never touched).
 * Whatever a re-point moved to the placeholder (one held back by a case
 * leaves the stage here with some references moved) names the row again
 * first: a placeholder never goes while anything names it.
 */
import type { GenericId } from "convex/values";
import type { AnyDoc, Shape } from "../declaration.js";
import { getDoc, insertDoc, patchDoc } from "../db.js";
import { normalizeEmail, planLink } from "../policy.js";
import type { MutationCtx } from "../sessions.js";
import {
  readPair,
  recordReview,
  type SyncOptions,
  type SyncResult,
  syncFromRow,
  writeLink,
} from "../steps.js";
import { CLAIM_REFERENCES, referencesTo } from "./claim.js";
import { documentPhase } from "./documentPhase.js";
import { isPlaceholder, UNCLAIMED } from "../placeholder.js";

/**
 * One legacy row's step: linked as any run would link it, if a verified
 * user proves it now; else given a placeholder, a case or not (two users
 * who could be its owner: the case stays open, and a person's link, or a
 * claim once the rule holds, takes the placeholder over). A row that is no
 * legacy row (it was someone's once) gets none: it is left for a person,
 * and its references hold the re-point back until its case is resolved.
 */
export async function placeholderFor(
  ctx: MutationCtx,
  shape: Shape,
  row: AnyDoc,
  options: SyncOptions,
): Promise<SyncResult> {
  if (row[shape.appRef] !== undefined) {
    return { outcome: "unchanged", userId: null, rowId: row._id, changes: [] };
  }
  const synced = await syncFromRow(ctx, shape, row, options);
  const legacy = row[shape.emailVerified] === undefined;
  if (synced.outcome === "linked" || !legacy) return synced;
  const current = options.dryRun
    ? { ...row, [shape.email]: normalizeEmail(row[shape.email]) }
    : await getDoc(ctx, shape.table, row._id);
  if (current === null || current[shape.appRef] !== undefined) return synced;

  const changes = [
    ...synced.changes,
    `users: insert a placeholder for ${shape.table} ${row._id} (never signed in)`,
  ];
  if (options.dryRun === true) {
    return { outcome: "created", userId: null, rowId: row._id, changes };
  }
  const key = normalizeEmail(current[shape.email]) ?? "";
  const userId = (await insertDoc(ctx, "users", {
    [UNCLAIMED]: key,
    ...(shape.usersRef === undefined ? {} : { [shape.usersRef]: row._id }),
  })) as GenericId<"users">;
  const user = (await getDoc(ctx, "users", userId))!;
  // Linked as a legacy row is: its values count as chosen in the app.
  const link = planLink(
    shape,
    user as never,
    current,
    current,
    options.now,
    true,
  );
  await writeLink(ctx, shape, userId, row._id, link);
  return { outcome: "created", userId, rowId: row._id, changes };
}

/**
 * One row's step back: when its user is an unclaimed placeholder that names
 * it (or that only it names), the references to the placeholder name the
 * row again (a re-point that did not finish moved them; found by the fold's
 * property test: they were left naming a deleted user), the placeholder
 * goes and the row is unlinked. A placeholder several rows name (the app's
 * reference alone: an import naming it too) is no row's provably, and one
 * named by more than CLAIM_REFERENCES documents of a reference is too much
 * for one step: either stays, recorded for a person, and holds the rollback
 * back (stages.ts).
 */
export async function placeholderBack(
  ctx: MutationCtx,
  shape: Shape,
  row: AnyDoc,
  options: SyncOptions,
): Promise<SyncResult> {
  const unchanged: SyncResult = {
    outcome: "unchanged",
    userId: null,
    rowId: row._id,
    changes: [],
  };
  if (row[shape.appRef] === undefined) return unchanged;
  const user = await getDoc(ctx, "users", row[shape.appRef]);
  if (user === null || !isPlaceholder(user)) return unchanged;
  const { counterpart, duplicates } = await readPair(ctx, shape, user);
  if (duplicates.some((duplicate) => duplicate._id === row._id)) {
    const changes = await recordReview(
      ctx,
      {
        kind: "duplicate_counterpart",
        userId: user._id,
        rowIds: duplicates.map((duplicate) => duplicate._id),
        detail: `Rolling back the fold's placeholders: several ${shape.table} rows name the placeholder ${user._id}, so none is provably its row; it stays until a person decides.`,
      },
      options,
    );
    return { ...unchanged, outcome: "conflict", changes };
  }
  if (counterpart?._id !== row._id) return unchanged;
  // 1. What names the placeholder, all of it, or a case.
  const references = await referencesTo(ctx, shape, user._id);
  if (references === null) {
    const changes = await recordReview(
      ctx,
      {
        kind: "reference_conflict",
        userId: user._id,
        rowIds: [row._id],
        detail: `The placeholder ${user._id} is named by more than ${CLAIM_REFERENCES} documents of a declared reference: too many to move back in one step; it stays. Roll the re-point back first.`,
      },
      options,
    );
    return { ...unchanged, outcome: "conflict", changes };
  }

  // 2. They name the row again; the placeholder goes.
  const changes = [
    ...references.flatMap(({ reference, docs }) =>
      docs.map(
        (doc) =>
          `${reference.table} ${doc._id}: set ${reference.field} to ${row._id}`,
      ),
    ),
    `users ${user._id}: delete the placeholder`,
    `${shape.table} ${row._id}: clear ${shape.appRef}`,
  ];
  if (options.dryRun !== true) {
    for (const { reference, docs } of references) {
      for (const doc of docs) {
        await patchDoc(ctx, reference.table, doc._id, {
          [reference.field]: row._id,
        });
      }
    }
    await patchDoc(ctx, shape.table, row._id, { [shape.appRef]: undefined });
    await ctx.db.delete("users", user._id as GenericId<"users">);
  }
  return {
    outcome: "repaired",
    userId: user._id as GenericId<"users">,
    rowId: row._id,
    changes,
  };
}

/** The placeholders phase: over the unlinked rows (the sync's own index). */
export function placeholdersPhase(shape: Shape) {
  return documentPhase({
    stream: {
      table: shape.table,
      index: shape.indexes.appByUser,
      prefix: { [shape.appRef]: undefined },
    },
    step: (ctx, row, options) => placeholderFor(ctx, shape, row, options),
    blame: (row) => ({ rowIds: [row._id], what: `${shape.table} row` }),
  });
}

/** Back: over every row (a placeholder's row names it). */
export function placeholdersBackPhase(shape: Shape) {
  return documentPhase({
    stream: { table: shape.table, index: "by_creation_time", prefix: {} },
    step: (ctx, row, options) => placeholderBack(ctx, shape, row, options),
    blame: (row) => ({ rowIds: [row._id], what: `${shape.table} row` }),
  });
}
