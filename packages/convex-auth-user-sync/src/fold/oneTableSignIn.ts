/**
 * A completed sign-in in single-table mode (stage `writes_stopped` on,
 * docs/fold.md "4b. Stop writes"): the two-table sign-in's steps
 * (convexAuth.ts completeSignIn), on `users` alone. The app table is
 * neither read nor written, but for the one bookkeeping write of a claim
 * (oneTableClaim.ts).
 */
import type { GenericId } from "convex/values";
import { getDoc, indexRange, type ReadCtx } from "../db.js";
import type { AnyDoc, Shape } from "../declaration.js";
import { appError } from "../errors.js";
import { normalizeEmail } from "../policy.js";
import type { MutationCtx } from "../sessions.js";
import { CLAIM_LIMIT, recordReview } from "../steps.js";
import { keptApart } from "../separations.js";
import type { SyncOutcome } from "../validators.js";
import { ensureOneTable, neverPaired } from "./oneTable.js";
import { claimOneTable, verifiedHolders } from "./oneTableClaim.js";
import { KEY_SCAN } from "./reads.js";
import { virtualRow } from "./virtualRow.js";

/**
 * The suspended user holding the address this user's sign-in proves, or
 * null: suspension.ts `suspendedHolder` on `users`. As there, the address
 * counts as proven only when the user's provider verified it; a holder
 * counts when its address is verified or never paired (a placeholder),
 * not when made for an unverified claim, and not when a person kept the
 * two apart. One index range over the key's suspended users.
 *
 * @example if ((await suspendedUserHolder(ctx, shape, user)) !== null) throw appError("FORBIDDEN", "This account is suspended");
 */
export async function suspendedUserHolder(
  ctx: ReadCtx,
  shape: Shape,
  user: AnyDoc,
): Promise<AnyDoc | null> {
  const fold = shape.fold!;
  const key = normalizeEmail(user.email);
  if (key === undefined || user.emailVerificationTime === undefined) {
    return null;
  }
  const self = { userId: user._id, rowIds: [virtualRow(shape, user)._id] };
  for await (const holder of indexRange(
    ctx,
    "users",
    fold.usersByEmailKeyStatus,
    { [fold.emailKey]: key, status: "suspended" },
  )) {
    if (holder._id === user._id) continue;
    if (holder[fold.emailVerified] === false) continue;
    const side = {
      userId: holder._id,
      rowIds: [virtualRow(shape, holder)._id],
    };
    if (!(await keptApart(ctx, self, side))) return holder;
  }
  return null;
}

/**
 * The sign-in's sync in single-table mode: refusals, the claim of a
 * placeholder, the merge with the login stamped, a second verified holder
 * recorded, then the app's `fold.hooks.onSignIn`.
 *
 * @example return await completeOneTableSignIn(ctx, shape, user, Date.now());
 */
export async function completeOneTableSignIn(
  ctx: MutationCtx,
  shape: Shape,
  user: AnyDoc,
  now: number,
  /** A stop_writes rollback's run is under way (oneTable.ts writeUser). */
  mode: { catchingUp: boolean } = { catchingUp: false },
): Promise<{ rowId: string | null; outcome: SyncOutcome }> {
  const userId = user._id as GenericId<"users">;
  // 1. A suspended account, or a suspended holder of the address this
  //    sign-in proves (another method or spelling): refused, before any
  //    write.
  if (
    user.status === "suspended" ||
    (await suspendedUserHolder(ctx, shape, user)) !== null
  ) {
    throw appError("FORBIDDEN", "This account is suspended");
  }

  // 2. A first sign-in that proves a placeholder's address takes it over.
  const first = neverPaired(shape, user);
  const claim = first ? await claimOneTable(ctx, shape, user, now) : "none";
  const claimed = claim === "claimed";
  if (claimed) user = (await getDoc(ctx, "users", userId))!;
  // Another verified holder of the address is a second account of one
  // person, for a person to look at: read on a first sign-in only, at most
  // KEY_SCAN holders (verifiedHolders).
  const key = normalizeEmail(user.email);
  const { holders, complete } =
    first &&
    !claimed &&
    key !== undefined &&
    user.emailVerificationTime !== undefined
      ? await verifiedHolders(ctx, shape, key, userId, CLAIM_LIMIT)
      : { holders: [], complete: true };

  // 3. The merge, the login stamped. A placeholder claimed suspended
  //    refuses the sign-in: the error rolls the claim back with the rest.
  const edits =
    shape.lastLoginAt === undefined ? {} : { [shape.lastLoginAt]: now };
  const result = await ensureOneTable(ctx, shape, user, edits, {
    now,
    completesSignIn: true,
    catchingUp: mode.catchingUp,
  });
  if (result.user.status === "suspended") {
    throw appError("FORBIDDEN", "This account is suspended");
  }
  if (holders.length > 0 && result.rowId !== null) {
    await recordReview(
      ctx,
      {
        kind: "duplicate_account",
        userId,
        rowIds: [
          result.rowId,
          ...holders.map((holder) => virtualRow(shape, holder)._id),
        ],
        email: key,
        detail:
          "A second account proved an address another account holds verified (Convex Auth keeps them apart: another method or spelling); they were not merged.",
      },
      { now },
    );
  } else if (!complete && claim !== "recorded" && result.rowId !== null) {
    // Too many holders of the address to tell in a sign-in whether one
    // holds it verified: not guessed either way, shown to a person (once:
    // a claim refused for it recorded its case already).
    await recordReview(
      ctx,
      {
        kind: "ambiguous_email",
        userId,
        rowIds: [result.rowId],
        email: key,
        detail: `A first sign-in proved an address that more than ${KEY_SCAN} accounts hold: too many to tell in a sign-in whether another holds it verified (a second account of one person); look at the address's holders.`,
      },
      { now },
    );
  }

  // 4. The app's own work, with the user as it now is.
  await shape.fold?.hooks.onSignIn?.(ctx, { user: result.user, now });
  return { rowId: result.rowId, outcome: result.outcome };
}
