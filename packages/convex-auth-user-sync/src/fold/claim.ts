/**
 * A placeholder claimed (see placeholders.ts): at a completed sign-in, the
 * person's new user takes over the placeholder of the address their
 * provider just proved, under today's rule for a legacy row: the sign-in's
 * address is verified, and the placeholder is the only candidate (no
 * other placeholder or legacy row holds the address, no other user who
 * completed a sign-in verified it, and the placeholder's row still holds it
 * as a row never paired). Anything else is recorded for a person.
 *
 * Claiming moves everything of the placeholder's to the new user, in the
 * sign-in's transaction: the references to it (at most CLAIM_REFERENCES per
 * declared reference; more is a case, not a claim), its values, and its
 * row. The placeholder then goes. Convex Auth itself never links to a
 * placeholder: it has no `email` (Convex Auth links a new account only to a
 * unique user holding the verified address).
 */
import type { GenericId } from "convex/values";
import { type Actor, recordAudit } from "../audit.js";
import { byIndex, patchDoc, type ReadCtx } from "../db.js";
import type { AnyDoc, Shape } from "../declaration.js";
import { holdsAsNeverPaired, normalizeEmail } from "../policy.js";
import type { MutationCtx } from "../sessions.js";
import {
  readPair,
  recordReview,
  separatedFrom,
  unlinkedRowsWithEmail,
  verifiedUsersWithEmail,
} from "../steps.js";
import { UNCLAIMED, UNCLAIMED_INDEX } from "../placeholder.js";

/** The most documents of one declared reference a claim moves. */
export const CLAIM_REFERENCES = 100;

/** Fields a claim never copies: the new user's own identity, the markers. */
const IDENTITY = new Set([
  "_id",
  "_creationTime",
  "email",
  "emailVerificationTime",
  "phone",
  "phoneVerificationTime",
  "isAnonymous",
  "pendingFirstSignIn",
  UNCLAIMED,
]);

/**
 * Claims the placeholder this first completed sign-in proves, if exactly
 * one is due (an unverified address, or another candidate, is a case). Returns whether it did (the user's pair is then the
 * placeholder's row, if it had one).
 *
 * @example if (await claimPlaceholder(ctx, shape, user, now)) read = await readPair(ctx, shape, await getDoc(ctx, "users", user._id));
 */
export async function claimPlaceholder(
  ctx: MutationCtx,
  shape: Shape,
  user: AnyDoc,
  now: number,
): Promise<boolean> {
  // 1. Only a completed sign-in that proves an address claims.
  const key = normalizeEmail(user.email);
  if (shape.fold === undefined || key === undefined) return false;
  const placeholders = await byIndex(
    ctx,
    "users",
    UNCLAIMED_INDEX,
    { [UNCLAIMED]: key },
    2,
  );
  if (placeholders.length === 0) return false;
  // Of a user nothing names yet: a new account, or one whose earlier
  // sign-in's sync failed (found by review: a legacy row went to such a
  // user at their next sign-in, a placeholder never did, and they got an
  // empty row of their own). A user any row names is weighed by the sync
  // as before (ensurePair), a case where it is not plain.
  if (user.pendingFirstSignIn !== true) {
    const read = await readPair(ctx, shape, user);
    const naming = await byIndex(
      ctx,
      shape.table,
      shape.indexes.appByUser,
      { [shape.appRef]: user._id },
      1,
    );
    if (
      read.counterpart !== null ||
      read.pointed !== null ||
      read.duplicates.length > 0 ||
      naming.length > 0
    ) {
      return false;
    }
  }
  const rowsOf = async (users: AnyDoc[]) =>
    (
      await Promise.all(
        users.map(async (one) => (await readPair(ctx, shape, one)).counterpart),
      )
    )
      .filter((row): row is AnyDoc => row !== null)
      .map((row) => row._id);
  if (user.emailVerificationTime === undefined) {
    // As for a legacy row: an address nobody proved claims nothing.
    await recordReview(
      ctx,
      {
        kind: "unverified_email_match",
        userId: user._id,
        rowIds: await rowsOf(placeholders),
        email: key,
        detail:
          "This user's email is unverified and matches a person who never signed in; their placeholder was not claimed.",
      },
      { now },
    );
    return false;
  }

  // 2. The only candidate, or a case.
  const legacyRows = await unlinkedRowsWithEmail(ctx, shape, key);
  const owners = (
    await verifiedUsersWithEmail(ctx, shape, key, 2, { signedIn: true })
  ).filter((owner) => owner._id !== user._id);
  const [placeholder] = placeholders;
  if (
    placeholders.length > 1 ||
    legacyRows.length > 0 ||
    owners.length > 0 ||
    placeholder === undefined
  ) {
    await recordReview(
      ctx,
      {
        kind: "ambiguous_email",
        userId: user._id,
        rowIds: [
          ...(await rowsOf(placeholders)),
          ...legacyRows.map((row) => row._id),
        ],
        email: key,
        detail: `A sign-in proved an address that ${placeholders.length > 1 ? "several people who never signed in hold" : "a person who never signed in holds, but so do others"}; no placeholder was claimed.`,
      },
      { now },
    );
    return false;
  }

  // 3. The placeholder's row holds the address now, never paired: an
  //    address it has left, or a row gone, proves nothing (found by review:
  //    whoever held the row's old address took the person over).
  const pair = await readPair(ctx, shape, placeholder);
  // With the app's reference alone, the one row naming the placeholder is
  // its row: two (an import naming it too) leave neither provably the
  // person's (found with the profiles example).
  if (pair.duplicates.length > 0) {
    await recordReview(
      ctx,
      {
        kind: "ambiguous_email",
        userId: user._id,
        rowIds: pair.duplicates.map((row) => row._id),
        email: key,
        detail: `A sign-in proved the address of a person who never signed in, but several ${shape.table} rows name their placeholder ${placeholder._id}, so none is provably theirs; not claimed.`,
      },
      { now },
    );
    return false;
  }
  const row = pair.counterpart;
  if (row === null || !holdsAsNeverPaired(shape, row, key)) {
    await recordReview(
      ctx,
      {
        kind: "reference_conflict",
        userId: user._id,
        rowIds: row === null ? [] : [row._id],
        email: key,
        detail: `A sign-in proved the address placeholder ${placeholder._id} was made for, but ${row === null ? "its row is gone" : "its row no longer holds that address as a person who never signed in"}; not claimed.`,
      },
      { now },
    );
    return false;
  }

  // A person decided this row is not the user's (keep_separate): no claim,
  // as no link.
  if ((await separatedFrom(ctx, user._id, [row._id])).size > 0) return false;

  // 4. What points at the placeholder, all of it, or no claim.
  const references = await referencesTo(ctx, shape, placeholder._id);
  if (references === null) {
    await recordReview(
      ctx,
      {
        kind: "ambiguous_email",
        userId: user._id,
        rowIds: await rowsOf([placeholder]),
        email: key,
        detail: `A sign-in proved the address of a person who never signed in, whose placeholder ${placeholder._id} is named by more than ${CLAIM_REFERENCES} documents of a declared reference: too many to move in a sign-in; not claimed.`,
      },
      { now },
    );
    return false;
  }

  // 5. The claim.
  await takeOver(ctx, shape, user, placeholder, references, {
    label: "sign-in",
    userId: user._id as GenericId<"users">,
  });
  return true;
}

/** What names a placeholder, per declared reference. */
export type PlaceholderReferences = {
  reference: { table: string; field: string; index: string };
  docs: AnyDoc[];
}[];

/**
 * Every document of a declared reference that names `placeholderId`, or
 * null when one reference has more than CLAIM_REFERENCES of them (one
 * index range per reference).
 */
export async function referencesTo(
  ctx: ReadCtx,
  shape: Shape,
  placeholderId: unknown,
): Promise<PlaceholderReferences | null> {
  const found: PlaceholderReferences = [];
  for (const reference of shape.fold?.references ?? []) {
    const docs = await byIndex(
      ctx,
      reference.table,
      reference.index,
      { [reference.field]: placeholderId },
      CLAIM_REFERENCES + 1,
    );
    if (docs.length > CLAIM_REFERENCES) return null;
    found.push({ reference, docs });
  }
  return found;
}

/**
 * `user` takes over `placeholder`: the references to it, its values (the
 * user's own identity aside), its row; then the placeholder goes, and the
 * audit log says who made it happen (a sign-in that proved the address, or
 * an operator's link). Returns the row, if the placeholder had one.
 */
export async function takeOver(
  ctx: MutationCtx,
  shape: Shape,
  user: AnyDoc,
  placeholder: AnyDoc,
  references: PlaceholderReferences,
  actor: Actor,
): Promise<AnyDoc | null> {
  const { counterpart: row } = await readPair(ctx, shape, placeholder);
  for (const { reference, docs } of references) {
    for (const doc of docs) {
      await patchDoc(ctx, reference.table, doc._id, {
        [reference.field]: user._id,
      });
    }
  }
  const values: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(placeholder)) {
    if (!IDENTITY.has(field) && field !== shape.usersRef) values[field] = value;
  }
  // A suspension on either side holds (see keepSuspension): a placeholder
  // reactivated once holds status "active", which would lift the
  // suspension of the user a person links to it (found by review).
  if (user.status === "suspended") delete values.status;
  if (row !== null && shape.usersRef !== undefined) {
    values[shape.usersRef] = row._id;
  }
  await patchDoc(ctx, "users", user._id, values);
  if (row !== null) {
    await patchDoc(ctx, shape.table, row._id, { [shape.appRef]: user._id });
  }
  await ctx.db.delete("users", placeholder._id as GenericId<"users">);
  const ids = [user._id, placeholder._id, ...(row === null ? [] : [row._id])];
  await recordAudit(ctx, {
    action: "fold:claim",
    actor,
    ids,
    subjects: ids,
    summary: `${actor.label === "sign-in" ? "A sign-in proved the address" : "Linked by a person"}: the user took over the placeholder of a person who never signed in${row === null ? "" : ` and its ${shape.table} row`}, with ${references.reduce((sum, { docs }) => sum + docs.length, 0)} references.`,
  });
  return row;
}
