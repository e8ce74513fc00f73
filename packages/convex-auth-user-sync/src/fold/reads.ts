/**
 * The library's public lookups once the fold's reads are switched (stage
 * `reads_switched` on, docs/fold.md): a person is read from `users` alone
 * and the app row is answered with its virtual row (virtualRow.ts), built
 * from the user's homes. The tables are still both written at that stage:
 * the sync's own steps (steps.ts) keep reading both, only what the app
 * asks for is answered from `users`.
 *
 * An app whose `users` hold no reference to the row (the app side's only,
 * like profiles) has no way to tell its row's id from `users`: there the
 * row's reference alone is read (the one index range today's lookup reads,
 * for the pairing and the row's `_id`); every value still comes from
 * `users`.
 */
import type { AnyDoc, Shape } from "../declaration.js";
import {
  ambiguous,
  placeholdersWithEmail,
  verifiedOwnAddress,
  verifiedUserWithEmail,
} from "../lookups.js";
import {
  byIndex,
  findPairedUser,
  getDoc,
  type PairRead,
  readPair,
  type ReadCtx,
} from "../steps.js";
import { foldMode, writesStoppedAt } from "./state.js";
import { virtualRow } from "./virtualRow.js";

type UserPair = { user: AnyDoc | null; row: AnyDoc | null };

/** Verified claims to one address looked at (as lookups.ts). */
const CLAIM_SCAN = 3;
/**
 * Users holding one address key looked at, verified or not: the key's
 * index orders by status, not by verification, so unverified holders are
 * stepped over within this bound (the claim's too, oneTableClaim.ts).
 */
export const KEY_SCAN = 12;

/**
 * What a user's reference leads to, read from `users`: its virtual row as
 * the counterpart. With a users-side reference, the row it names is the
 * user's while no other user names it too (one index range: two users
 * naming one row are neither its owner) and the row names the user back
 * (namesBack); with the app side's only, the
 * row naming the user (its reference only) gives the pairing and the id.
 */
export async function readPairFromUsers(
  ctx: ReadCtx,
  shape: Shape,
  user: AnyDoc,
): Promise<PairRead> {
  const none: PairRead = { counterpart: null, pointed: null, duplicates: [] };
  if (shape.usersRef === undefined) {
    const read = await readPair(ctx, shape, user);
    if (read.counterpart === null) {
      return await ownRecord(ctx, shape, user, read);
    }
    // Once the app table is no longer written, a row made since was written
    // past the sync: it names the user on its own say-so, and stands for
    // nobody (a row made in the very millisecond of the stop is taken as
    // made after it: not theirs is the safe side).
    const stoppedAt = await writesStoppedAt(ctx as never);
    if (
      stoppedAt !== undefined &&
      read.counterpart._creationTime >= stoppedAt
    ) {
      return await ownRecord(ctx, shape, user, none);
    }
    return { ...read, counterpart: virtualAs(shape, user, read.counterpart) };
  }
  const named = user[shape.usersRef];
  if (named === undefined) return await ownRecord(ctx, shape, user, none);
  const naming = await usersNaming(ctx, shape, named);
  return naming.length === 1 &&
    naming[0]!._id === user._id &&
    (await namesBack(ctx, shape, named, user))
    ? { ...none, counterpart: virtualRow(shape, user) }
    : none;
}

/**
 * Whether the row names the user back: only a reference both sides agree
 * on pairs them, as in two tables (found by review: a user naming another's
 * row one-sidedly was answered as its owner). One `get` of the row, for
 * this bookkeeping alone: every value still comes from `users`.
 */
async function namesBack(
  ctx: ReadCtx,
  shape: Shape,
  rowId: unknown,
  user: AnyDoc,
): Promise<boolean> {
  const row = await getDoc(ctx, shape.table, rowId);
  return row !== null && row[shape.appRef] === user._id;
}

/**
 * A user no row stands for. While the app table is written, that is a
 * person with no row (`none`); once it is not (single-table mode), the
 * user is the person's whole record, and nobody else's: their virtual row,
 * under their own id (a person who signed up since, or any person once the
 * table is retired). One read of the fold's record, only here.
 */
async function ownRecord(
  ctx: ReadCtx,
  shape: Shape,
  user: AnyDoc,
  none: PairRead,
): Promise<PairRead> {
  if (!(await foldMode(ctx as never)).singleTable) return none;
  return { ...none, counterpart: virtualRow(shape, user) };
}

/** The virtual row of a user, under the id of the row that stands for it. */
function virtualAs(shape: Shape, user: AnyDoc, row: AnyDoc): AnyDoc {
  return { ...virtualRow(shape, user), _id: row._id };
}

/** Users whose users-side reference names this row (two at most). */
async function usersNaming(
  ctx: ReadCtx,
  shape: Shape,
  rowId: unknown,
): Promise<AnyDoc[]> {
  return await byIndex(
    ctx,
    "users",
    shape.indexes.usersByRef!,
    { [shape.usersRef!]: rowId },
    2,
  );
}

/**
 * The user an app row (an id) stands for: the one user naming it (a
 * users-side reference) that the row names back, else, with the app side's
 * reference only, the user its reference names, when they are paired.
 */
export async function pairedUserFromUsers(
  ctx: ReadCtx,
  shape: Shape,
  rowId: string,
): Promise<AnyDoc | null> {
  if (shape.usersRef === undefined) {
    const row = await getDoc(ctx, shape.table, rowId);
    return row === null ? null : await findPairedUser(ctx, shape, row);
  }
  const naming = await usersNaming(ctx, shape, rowId);
  const [user] = naming;
  return naming.length === 1 &&
    user !== undefined &&
    (await namesBack(ctx, shape, rowId, user))
    ? user
    : null;
}

/**
 * The pair for a `users` id or an app-row id, from `users`. Joins nothing
 * by address: by this stage every legacy row has its placeholder (the
 * placeholders phase), which a sign-in claims. A row no single user stands
 * for (a duplicate, a row damage left in no pair) is known to the app
 * table only, which is still written at this stage: it is answered as
 * before the switch (`inNoPair`, lookups.ts), so that app code can still
 * act on it.
 */
export async function loadPairFromUsers(
  ctx: ReadCtx,
  shape: Shape,
  id: string,
  inNoPair: () => Promise<UserPair | null>,
): Promise<UserPair | null> {
  const userId = ctx.db.normalizeId("users", id);
  let user: AnyDoc | null = null;
  if (userId !== null) {
    user = await getDoc(ctx, "users", userId);
  } else if (ctx.db.normalizeId(shape.table, id) !== null) {
    user = await pairedUserFromUsers(ctx, shape, id);
    if (user === null) return await inNoPair();
  }
  if (user === null) return null;
  return {
    user,
    row: (await readPairFromUsers(ctx, shape, user)).counterpart,
  };
}

/**
 * The pair whose verified email this is (an email key), from `users`, with
 * the rules of lookups.ts findPairByEmail: a user whose row's address is
 * this key, verified, and whose provider verified this very address; else
 * the one placeholder of a person who never signed in, while its row's
 * address is still this key as never paired; else a user whose provider
 * verified it. `unique` refuses an address several accounts hold.
 */
export async function findPairByEmailFromUsers(
  ctx: ReadCtx,
  shape: Shape,
  email: string,
  options: { unique: boolean } = { unique: false },
): Promise<UserPair | null> {
  const fold = shape.fold!;
  // 1. Users whose row's address is this key, verified: each vouches for
  //    it only when its provider verified that very address.
  const vouched: UserPair[] = [];
  const holders = ctx.db
    .query("users")
    .withIndex(fold.usersByEmailKeyStatus, (q) =>
      q.eq(fold.emailKey, email),
    ) as AsyncIterable<AnyDoc>;
  let seen = 0;
  for await (const user of holders) {
    if (++seen > KEY_SCAN || vouched.length >= CLAIM_SCAN) break;
    if (user[fold.emailVerified] !== true) continue;
    if (!verifiedOwnAddress(user, email)) continue;
    const { counterpart } = await readPairFromUsers(ctx, shape, user);
    if (counterpart !== null) vouched.push({ user, row: counterpart });
  }
  if (options.unique && vouched.length > 1) throw ambiguous();
  if (vouched[0] !== undefined) return vouched[0];
  // 2. A person who never signed in, if they are the only one: the fold's
  //    placeholder of their row, while that row still holds the address.
  const counterpartOf = async (user: AnyDoc) =>
    (await readPairFromUsers(ctx, shape, user)).counterpart;
  const unlinked = await placeholdersWithEmail(
    ctx,
    shape,
    email,
    counterpartOf,
  );
  if (unlinked.length === 1) return unlinked[0]!;
  if (options.unique && unlinked.length > 1) throw ambiguous();
  // 3. A user whose provider verified it (not synced yet, or drifted).
  return await verifiedUserWithEmail(ctx, shape, email, options, counterpartOf);
}
