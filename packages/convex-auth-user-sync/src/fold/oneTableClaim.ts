/**
 * A placeholder claimed in single-table mode (see claim.ts for the
 * two-table claim, whose every rule that makes sense without rows is kept
 * here): a user's first completed sign-in whose provider-verified address
 * key is exactly one placeholder's `unclaimed` takes the placeholder over,
 * judged on `users` alone. No other placeholder may hold the key, no other
 * user may hold it verified, the placeholder's own address home must still
 * be the key with its verification home absent (never paired), and no
 * person may have kept the two apart. Anything else is recorded for a
 * person, as today.
 *
 * The placeholder's old app row still exists until retire, and verify and
 * retire find a person's row by its reference: the claim re-points ONLY
 * that reference (the row's `appRef` -> the claimer, the claimer's
 * `usersRef` -> the row), through claim.ts `takeOver`. It is the one
 * bookkeeping write single-table mode makes to the app table.
 */
import type { GenericId } from "convex/values";
import { byIndex, indexRange, type ReadCtx } from "../db.js";
import type { AnyDoc, Shape } from "../declaration.js";
import { holdsAsNeverPaired, normalizeEmail } from "../policy.js";
import type { MutationCtx } from "../sessions.js";
import { recordReview, separatedFrom } from "../steps.js";
import { CLAIM_REFERENCES, referencesTo, takeOver } from "./claim.js";
import { isPlaceholder, UNCLAIMED, UNCLAIMED_INDEX } from "../placeholder.js";
import { neverPaired } from "./oneTable.js";
import { KEY_SCAN } from "./reads.js";
import { virtualRow } from "./virtualRow.js";

/**
 * Users other than `user` whose homes hold `key` verified (placeholders
 * never do: their verification home is absent), up to `limit`, and
 * whether that answer is whole. The key's index orders by status, not by
 * verification, and an unverified holder costs nothing to make (any
 * account whose provider does not vouch for the address): at most
 * KEY_SCAN holders are read, as the lookups do (reads.ts). `complete` is
 * false when that bound ended the scan before `limit` verified holders
 * were found: others may hold the key verified, unseen.
 *
 * @example const { holders, complete } = await verifiedHolders(ctx, shape, key, user._id, 2);
 */
export async function verifiedHolders(
  ctx: ReadCtx,
  shape: Shape,
  key: string,
  except: unknown,
  limit: number,
): Promise<{ holders: AnyDoc[]; complete: boolean }> {
  const fold = shape.fold!;
  const holders: AnyDoc[] = [];
  let seen = 0;
  for await (const holder of indexRange(
    ctx,
    "users",
    fold.usersByEmailKeyStatus,
    { [fold.emailKey]: key },
  )) {
    if (++seen > KEY_SCAN) return { holders, complete: false };
    if (holder._id === except || isPlaceholder(holder)) continue;
    if (holder[fold.emailVerified] !== true) continue;
    holders.push(holder);
    if (holders.length >= limit) break;
  }
  return { holders, complete: true };
}

/**
 * Claims the placeholder this first completed sign-in proves, if exactly
 * one is due: "claimed" (the user then holds the placeholder's values
 * and references), "recorded" (a case instead), or "none".
 *
 * @example if ((await claimOneTable(ctx, shape, user, now)) === "claimed") user = await getDoc(ctx, "users", user._id);
 */
export async function claimOneTable(
  ctx: MutationCtx,
  shape: Shape,
  user: AnyDoc,
  now: number,
): Promise<"claimed" | "recorded" | "none"> {
  // 1. Only a first completed sign-in that names an address claims.
  const key = normalizeEmail(user.email);
  if (shape.fold === undefined || key === undefined) return "none";
  if (!neverPaired(shape, user)) return "none";
  const placeholders = await byIndex(
    ctx,
    "users",
    UNCLAIMED_INDEX,
    { [UNCLAIMED]: key },
    2,
  );
  if (placeholders.length === 0) return "none";
  const rowIds = placeholders.map(
    (placeholder) => virtualRow(shape, placeholder)._id,
  );
  if (user.emailVerificationTime === undefined) {
    // An address nobody proved claims nothing.
    await recordReview(
      ctx,
      {
        kind: "unverified_email_match",
        userId: user._id,
        rowIds,
        email: key,
        detail:
          "This user's email is unverified and matches a person who never signed in; their placeholder was not claimed.",
      },
      { now },
    );
    return "recorded";
  }

  // 2. The only candidate, or a case.
  //    Too many holders of the key to see them all: one unseen may hold
  //    it verified, so no claim (a case, as for several candidates).
  const owners = await verifiedHolders(ctx, shape, key, user._id, 1);
  const [placeholder] = placeholders;
  if (
    placeholders.length > 1 ||
    owners.holders.length > 0 ||
    !owners.complete ||
    placeholder === undefined
  ) {
    await recordReview(
      ctx,
      {
        kind: "ambiguous_email",
        userId: user._id,
        rowIds,
        email: key,
        detail: `A sign-in proved an address that ${placeholders.length > 1 ? "several people who never signed in hold" : owners.holders.length > 0 ? "a person who never signed in holds, but so do others" : `a person who never signed in holds, and more than ${KEY_SCAN} accounts hold too (too many to tell in a sign-in whether one proves it)`}; no placeholder was claimed.`,
      },
      { now },
    );
    return "recorded";
  }

  // 3. The placeholder holds the address now, never paired: an address
  //    its homes have left proves nothing.
  const row = virtualRow(shape, placeholder);
  if (!holdsAsNeverPaired(shape, row, key)) {
    await recordReview(
      ctx,
      {
        kind: "reference_conflict",
        userId: user._id,
        rowIds: [row._id],
        email: key,
        detail: `A sign-in proved the address placeholder ${placeholder._id} was made for, but it no longer holds that address as a person who never signed in; not claimed.`,
      },
      { now },
    );
    return "recorded";
  }
  // A person decided this record is not the user's (keep_separate).
  if ((await separatedFrom(ctx, user._id, [row._id])).size > 0) return "none";

  // 4. What points at the placeholder, all of it, or no claim.
  const references = await referencesTo(ctx, shape, placeholder._id);
  if (references === null) {
    await recordReview(
      ctx,
      {
        kind: "ambiguous_email",
        userId: user._id,
        rowIds: [row._id],
        email: key,
        detail: `A sign-in proved the address of a person who never signed in, whose placeholder ${placeholder._id} is named by more than ${CLAIM_REFERENCES} documents of a declared reference: too many to move in a sign-in; not claimed.`,
      },
      { now },
    );
    return "recorded";
  }

  // 5. The claim: references moved, values copied, the old row's
  //    reference re-pointed (the one bookkeeping write), the placeholder
  //    deleted, audited `fold:claim`.
  await takeOver(ctx, shape, user, placeholder, references, {
    label: "sign-in",
    userId: user._id as GenericId<"users">,
  });
  return "claimed";
}
