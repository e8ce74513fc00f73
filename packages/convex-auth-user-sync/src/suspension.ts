/**
 * Who a suspension reaches beyond its own pair. Convex Auth matches
 * addresses exactly, so one person can hold several accounts (another
 * method, another spelling); the sync treats a provider's verified claim to
 * an address as the person, so a suspended record holding that address
 * refuses every sign-in that proves it.
 */
import { writeUser } from "./fold/oneTable.js";
import type { GenericId } from "convex/values";
import { getDoc, indexRange, patchDoc, type ReadCtx } from "./db.js";
import type { AnyDoc, Shape } from "./declaration.js";
import { normalizeEmail } from "./policy.js";
import { endSignIns, type MutationCtx } from "./sessions.js";
import { readPair, recordReview } from "./steps.js";
import { keptApart, type Side } from "./separations.js";
import { foldOf, frozenRowOf } from "./fold/people.js";

/**
 * The account a row names: its side (the row and the user's counterpart)
 * and that counterpart. `user` is the user the row names, when the caller
 * has read it already.
 */
async function accountOf(
  ctx: ReadCtx,
  shape: Shape,
  row: AnyDoc,
  user?: AnyDoc | null,
): Promise<{ side: Side; counterpart: AnyDoc | null }> {
  const userId = row[shape.appRef];
  const owner =
    user !== undefined
      ? user
      : userId === undefined
        ? null
        : await getDoc(ctx, "users", userId);
  const counterpart =
    owner === null ? null : (await readPair(ctx, shape, owner)).counterpart;
  const rowIds =
    counterpart === null || counterpart._id === row._id
      ? [row._id]
      : [row._id, counterpart._id];
  return { side: { userId, rowIds }, counterpart };
}

/**
 * The suspended record that holds this user's verified address, or null:
 * an app row with the address's key, legacy (never paired) or verified by
 * its owner, suspended, and not kept apart from this user (and its row,
 * `row`) by a person. A row made for an unverified claim proves nothing
 * about the address's owner and
 * refuses nobody; a user whose own address is unverified is refused only by
 * its own pair's status.
 *
 * One index range over the suspended holders of the key (`[email, status]`),
 * read until the first that counts, however many there are: a returning
 * sign-in with nothing suspended reads no document. With no status field
 * declared the status lives on `users`, and the rows of the key are read
 * with the user each names.
 *
 * @example if ((await suspendedHolder(ctx, shape, user, read.counterpart)) !== null) throw appError("FORBIDDEN", "This account is suspended");
 */
export async function suspendedHolder(
  ctx: ReadCtx,
  shape: Shape,
  user: AnyDoc,
  row: AnyDoc | null,
  /**
   * Whether the fold's single-table mode is on (singleTable(ctx).on), as
   * the caller read it already: the status then lives on users alone (a
   * frozen row's says nothing now: its person may have been reactivated
   * since). Passed, not read here, so that a sign-in reads the fold's
   * record once.
   */
  options: { singleTable?: boolean } = {},
): Promise<AnyDoc | null> {
  const key = normalizeEmail(user.email);
  if (key === undefined || user.emailVerificationTime === undefined) {
    return null;
  }
  if (options.singleTable === true) {
    return await suspendedKeyHolder(ctx, shape, user, key);
  }
  const self: Side = { userId: user._id, rowIds: [row?._id] };
  const counts = async (holder: AnyDoc, owner?: AnyDoc | null) =>
    holder[shape.emailVerified] !== false &&
    !(await keptApart(
      ctx,
      self,
      (await accountOf(ctx, shape, holder, owner)).side,
    ));

  if (shape.status !== undefined && shape.indexes.appByEmailStatus) {
    const suspended = indexRange(
      ctx,
      shape.table,
      shape.indexes.appByEmailStatus,
      {
        [shape.email]: key,
        [shape.status]: "suspended",
      },
    );
    for await (const holder of suspended) {
      if (await counts(holder)) return holder;
    }
    return null;
  }

  const holders = indexRange(
    ctx,
    shape.table,
    shape.indexes.appByEmailVerified,
    {
      [shape.email]: key,
    },
  );
  for await (const holder of holders) {
    const named = holder[shape.appRef];
    if (named === undefined || named === user._id) continue;
    const owner = await getDoc(ctx, "users", named);
    if (owner?.status === "suspended" && (await counts(holder, owner))) {
      return holder;
    }
  }
  return null;
}

/**
 * When a record is suspended, the other accounts that prove its address
 * (the same person under another method or spelling, each with a row
 * verified for the key) are suspended with it and signed out: a session
 * made before the suspension must not outlive it, and a sign-in of theirs
 * must stay refused even after the provider changes their address (found
 * by review: one signed out but not suspended came back under a new one).
 * Reactivating is per account. Rows a person kept apart from the suspended
 * one, and a suspended row made for an unverified claim, reach nobody. One
 * index range over the verified rows of the key, read at suspension only.
 *
 * @example await suspendAddressHolders(ctx, shape, suspendedRow);
 */
export async function suspendAddressHolders(
  ctx: MutationCtx,
  shape: Shape,
  suspended: AnyDoc,
): Promise<void> {
  const key = suspended[shape.email];
  if (typeof key !== "string" || suspended[shape.emailVerified] === false) {
    return;
  }
  const verified = indexRange(
    ctx,
    shape.table,
    shape.indexes.appByEmailVerified,
    {
      [shape.email]: key,
      [shape.emailVerified]: true,
    },
  );
  const suspendedSide = (await accountOf(ctx, shape, suspended)).side;
  for await (const row of verified) {
    const userId = row[shape.appRef];
    if (row._id === suspended._id || userId === undefined) continue;
    const user = await getDoc(ctx, "users", userId);
    // Already suspended (the record's own user, say): its sign-ins ended
    // with that suspension.
    if (
      user === null ||
      user.status === "suspended" ||
      user.emailVerificationTime === undefined ||
      normalizeEmail(user.email) !== key
    ) {
      continue;
    }
    const { side, counterpart } = await accountOf(ctx, shape, row, user);
    if (await keptApart(ctx, suspendedSide, side)) continue;
    await patchDoc(ctx, "users", user._id, { status: "suspended" });
    if (
      shape.status !== undefined &&
      counterpart !== null &&
      counterpart[shape.status] !== "suspended"
    ) {
      await patchDoc(ctx, shape.table, counterpart._id, {
        [shape.status]: "suspended",
      });
    }
    await endSignIns(ctx, shape, user._id as GenericId<"users">);
  }
}

/** Holders of an address key a single-table cascade reads (any status). */
export const CASCADE_SCAN = 100;

/**
 * Single-table mode's cascade (stage `writes_stopped` on): when a user is
 * suspended, every other user that proves the same address (its key's home,
 * `fold.emailKey`, on the index `fold.usersByEmailKeyStatus`; another
 * method or spelling) is suspended and signed out, on `users` alone, as
 * suspendAddressHolders does with the rows in two-table mode. The user
 * suspended must hold the address verified, or be a placeholder of it (a
 * person who never signed in, as a legacy row): a claim nobody verified
 * reaches nobody. Kept-apart accounts (a marker naming either's user and
 * the other's user or frozen row) are not reached. One index range over
 * the key's holders, read at suspension only, at most CASCADE_SCAN of them:
 * the key's index orders by status, not by verification, so unverified
 * holders (free to make) are stepped over, and a transaction must stay
 * bounded. Past that bound the cascade stops and a case is recorded for a
 * person; every sign-in proving the address is still refused (the
 * suspended user holds it: suspendedKeyHolder), but a holder not reached
 * keeps its sessions until a person suspends it.
 *
 * @example await suspendKeyHolders(ctx, shape, suspendedUser);
 */
export async function suspendKeyHolders(
  ctx: MutationCtx,
  shape: Shape,
  suspended: AnyDoc,
): Promise<void> {
  const fold = foldOf(shape);
  const key = suspended[fold.emailKey];
  if (typeof key !== "string" || suspended[fold.emailVerified] === false) {
    return;
  }
  const holders = indexRange(ctx, "users", fold.usersByEmailKeyStatus, {
    [fold.emailKey]: key,
  });
  const suspendedSide = await sideOfUser(ctx, shape, suspended);
  let seen = 0;
  for await (const user of holders) {
    if (++seen > CASCADE_SCAN) {
      await recordReview(
        ctx,
        {
          kind: "ambiguous_email",
          userId: suspended._id,
          rowIds: [],
          email: key,
          detail: `A suspension reached the first ${CASCADE_SCAN} accounts holding this address, not the rest (too many for one transaction): sign-ins proving the address are refused, but suspend the other accounts that prove it by hand to end their sessions.`,
        },
        { now: Date.now() },
      );
      return;
    }
    // Already suspended (the user itself, say): its sign-ins ended with
    // that suspension. A holder proves the address only when its provider
    // verified it, in whatever capitals.
    if (
      user._id === suspended._id ||
      user.status === "suspended" ||
      user[fold.emailVerified] === false ||
      user.emailVerificationTime === undefined ||
      normalizeEmail(user.email) !== key
    ) {
      continue;
    }
    if (
      await keptApart(ctx, suspendedSide, await sideOfUser(ctx, shape, user))
    ) {
      continue;
    }
    await writeUser(
      ctx,
      shape,
      user,
      { status: "suspended" },
      { now: Date.now() },
    );
    await endSignIns(ctx, shape, user._id as GenericId<"users">);
  }
}

/**
 * suspendedHolder in single-table mode: another user holding the key's
 * home, suspended (one index range on `[emailKey, status]`, read until the
 * first that counts): verified for it by its provider, or a placeholder,
 * and not kept apart from this user by a person. The user's own status is
 * the caller's to check.
 */
async function suspendedKeyHolder(
  ctx: ReadCtx,
  shape: Shape,
  user: AnyDoc,
  key: string,
): Promise<AnyDoc | null> {
  const fold = foldOf(shape);
  const suspended = indexRange(ctx, "users", fold.usersByEmailKeyStatus, {
    [fold.emailKey]: key,
    status: "suspended",
  });
  let self: Side | undefined;
  for await (const holder of suspended) {
    if (holder._id === user._id || holder[fold.emailVerified] === false) {
      continue;
    }
    self ??= await sideOfUser(ctx, shape, user);
    if (!(await keptApart(ctx, self, await sideOfUser(ctx, shape, holder)))) {
      return holder;
    }
  }
  return null;
}

/**
 * A user's side in single-table mode: the user, and the ids a marker may
 * name it by (its frozen row while it exists, and its own id, which stands
 * for its row from then on).
 */
async function sideOfUser(
  ctx: ReadCtx,
  shape: Shape,
  user: AnyDoc,
): Promise<Side> {
  const row = await frozenRowOf(ctx, shape, user);
  return {
    userId: user._id,
    rowIds: row === null ? [user._id] : [row._id, user._id],
  };
}
