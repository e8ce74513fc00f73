/**
 * Read-only lookups of a user pair by id or by email. Indexed reads only,
 * each bounded; they join exactly what the sync would link, nothing more.
 */
import type { AnyDoc, Shape } from "./declaration.js";
import { UNCLAIMED, UNCLAIMED_INDEX } from "./placeholder.js";
import { appError } from "./errors.js";
import { holdsAsNeverPaired, normalizeEmail } from "./policy.js";
import {
  findPairedUser,
  getDoc,
  type PairRead,
  readPair,
  type ReadCtx,
  byIndex,
  unlinkedRowsWithEmail,
  verifiedUsersWithEmail,
  weighUser,
} from "./steps.js";

export type UserPair = { user: AnyDoc | null; row: AnyDoc | null };

/**
 * The pair for a `users` id or an app-row id. Follows references both sides
 * agree on only. For a user and a legacy row not linked yet, `join: true`
 * (the default, for views) joins them exactly when a sign-in would link them
 * (the same decision, weighing every pointer and candidate); a one-sided
 * pointer joins nothing. Operator commands pass `join: false`: they act on
 * what is linked. A string that is no id of either table gives null.
 *
 * @example const pair = await loadPairById(ctx, shape, args.id);
 */
export async function loadPairById(
  ctx: ReadCtx,
  shape: Shape,
  id: string,
  options: { join: boolean } = { join: true },
): Promise<UserPair | null> {
  const userId = ctx.db.normalizeId("users", id);
  if (userId !== null) {
    const user = await getDoc(ctx, "users", userId);
    if (user === null) return null;
    const read = await readPair(ctx, shape, user);
    const row =
      read.counterpart ??
      (options.join ? await wouldLink(ctx, shape, user, read) : null);
    return { user, row };
  }
  const rowId = ctx.db.normalizeId(shape.table, id);
  if (rowId !== null) {
    const row = await getDoc(ctx, shape.table, rowId);
    if (row === null) return null;
    const user =
      (await findPairedUser(ctx, shape, row)) ??
      (options.join ? await ownerWouldLink(ctx, shape, row) : null);
    return { user, row };
  }
  return null;
}

/** The row a sign-in of this user would link now, if exactly that. */
async function wouldLink(
  ctx: ReadCtx,
  shape: Shape,
  user: AnyDoc,
  read: PairRead,
): Promise<AnyDoc | null> {
  // A sign-in never completed links nothing, so a lookup joins nothing.
  if (read.duplicates.length > 0 || user.pendingFirstSignIn === true) {
    return null;
  }
  const { decision, rows } = await weighUser(ctx, shape, user, read);
  if (decision.action !== "link" || decision.reviews.length > 0) return null;
  return rows.find((row) => row._id === decision.rowId) ?? null;
}

/**
 * For a legacy row, the one user without a pair whose provider verified its
 * address, if that user's sign-in would link exactly this row.
 */
async function ownerWouldLink(
  ctx: ReadCtx,
  shape: Shape,
  row: AnyDoc,
): Promise<AnyDoc | null> {
  const email = row[shape.email];
  const legacy =
    row[shape.appRef] === undefined && row[shape.emailVerified] === undefined;
  if (!legacy || typeof email !== "string") return null;
  const verified = await verifiedUsersWithEmail(ctx, shape, email, 2, {
    signedIn: true,
  });
  const [only] = verified;
  if (verified.length !== 1 || only === undefined) return null;
  const read = await readPair(ctx, shape, only);
  if (read.counterpart !== null) return null;
  return (await wouldLink(ctx, shape, only, read))?._id === row._id
    ? only
    : null;
}

/** Verified claims to one address looked at (one person, a few providers). */
const CLAIM_SCAN = 3;

/**
 * The pair whose verified email this is (pass an email key). Trusts, in
 * order: a row whose owner's provider verified this address (one in a pair
 * first, and only when its account's own `email` is this address, verified:
 * a row edited by hand names nobody); a single person who never signed in
 * (an unlinked legacy row, or the fold's placeholder of one); a user whose provider
 * verified it (not synced yet, or whose row drifted). An unverified claim to
 * an address is never what a lookup by that address finds, however many
 * there are: both indexes order by verification. With `unique`, an address
 * that several accounts hold is refused (INVALID_ARGUMENT) instead of one of
 * them picked: operator commands act on one account they can name.
 *
 * @example const pair = await findPairByEmail(ctx, shape, cleanEmail(args.email));
 */
export async function findPairByEmail(
  ctx: ReadCtx,
  shape: Shape,
  email: string,
  options: { unique: boolean } = { unique: false },
): Promise<UserPair | null> {
  // 1. Rows whose owner verified this email.
  const verifiedRows = await byIndex(
    ctx,
    shape.table,
    shape.indexes.appByEmailVerified,
    { [shape.email]: email, [shape.emailVerified]: true },
    CLAIM_SCAN,
  );
  // A row in a pair vouches for an address only when its account verified
  // that very address: a row's fields can be edited (the dashboard, app
  // code), and an edited row would otherwise hand its account someone
  // else's address.
  const vouched: UserPair[] = [];
  for (const row of verifiedRows) {
    const user = await findPairedUser(ctx, shape, row);
    if (user === null || verifiedOwnAddress(user, email)) {
      vouched.push({ user, row });
    }
  }
  if (options.unique && vouched.length > 1) throw ambiguous();
  const found = vouched.find((pair) => pair.user !== null) ?? vouched[0];
  if (found !== undefined) return found;
  // 2. A person who never signed in, if they are the only one: a legacy
  //    row nobody has claimed yet, or the fold's placeholder of one (see
  //    fold/placeholders.ts), with its row.
  const counterpartOf = async (user: AnyDoc) =>
    (await readPair(ctx, shape, user)).counterpart;
  const unlinked: UserPair[] = [
    ...(await unlinkedRowsWithEmail(ctx, shape, email)).map((row) => ({
      user: null,
      row,
    })),
    ...(shape.fold === undefined
      ? []
      : await placeholdersWithEmail(ctx, shape, email, counterpartOf)),
  ];
  if (unlinked.length === 1) return unlinked[0]!;
  if (options.unique && unlinked.length > 1) throw ambiguous();
  // 3. A user whose provider verified it.
  return await verifiedUserWithEmail(ctx, shape, email, options, counterpartOf);
}

/**
 * The fold's placeholders of this address (at most two), each with its
 * row as `counterpartOf` reads it, while that row holds the address now as
 * a row never paired: a row that left it (edited past the triggers,
 * `unclaimed` not yet re-keyed) is not named by it, as for the claim
 * (fold/claim.ts; found by review).
 */
export async function placeholdersWithEmail(
  ctx: ReadCtx,
  shape: Shape,
  email: string,
  counterpartOf: (user: AnyDoc) => Promise<AnyDoc | null>,
): Promise<UserPair[]> {
  const found: UserPair[] = [];
  for (const user of await byIndex(
    ctx,
    "users",
    UNCLAIMED_INDEX,
    { [UNCLAIMED]: email },
    2,
  )) {
    const row = await counterpartOf(user);
    if (row !== null && !holdsAsNeverPaired(shape, row, email)) continue;
    found.push({ user, row });
  }
  return found;
}

/**
 * The last step of a lookup by address: a user whose provider verified it
 * (not synced yet, or drifted), with its counterpart as `counterpartOf`
 * reads it. A sign-in never completed is found only by an operator's
 * command (`unique`), which must see every account it could act on, and
 * refuses an address several accounts hold.
 */
export async function verifiedUserWithEmail(
  ctx: ReadCtx,
  shape: Shape,
  email: string,
  options: { unique: boolean },
  counterpartOf: (user: AnyDoc) => Promise<AnyDoc | null>,
): Promise<UserPair | null> {
  const users = await verifiedUsersWithEmail(ctx, shape, email, 2, {
    signedIn: !options.unique,
  });
  if (options.unique && users.length > 1) throw ambiguous();
  const [user] = users;
  if (user === undefined) return null;
  return { user, row: await counterpartOf(user) };
}

/** Whether a provider verified this address (an email key) for the user. */
export function verifiedOwnAddress(user: AnyDoc, email: string): boolean {
  return (
    typeof user.email === "string" &&
    normalizeEmail(user.email) === email &&
    typeof user.emailVerificationTime === "number"
  );
}

/** An address several accounts hold, for a command that needs one. */
export function ambiguous() {
  return appError(
    "INVALID_ARGUMENT",
    "Several accounts hold this address; name the one you mean by id",
  );
}
