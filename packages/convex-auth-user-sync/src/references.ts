/**
 * Adopting an app's existing references, once, when an app that kept the
 * reference on its own table alone (`members.userId`) moves to references
 * on both sides. From then on only a reference both sides agree on counts,
 * so the existing ones would count for nothing: every row would become a
 * one-sided claim, and every user would get a new row. This trusts them
 * once, deliberately, as the app trusted them until now, and only where
 * nothing contradicts them: a user that the one row naming it does not yet
 * name back gets that row as its `users`-side reference, unless
 * - another user already names the row (by the `users` index on the
 *   reference): the row is someone's, and a re-run after a row was deleted
 *   and another hand-edited would otherwise hand it over (found by review);
 * - a person kept the two apart (a keep-separate marker): their decision
 *   stands;
 * - the row's email key differs from the user's address, verified or not:
 *   the address is evidence the reference is wrong, so the row is recorded
 *   for a person (`reference_conflict`) and not adopted.
 * A row with no email, or a user with no email, contradicts nothing: an
 * app that kept no address on its rows before (the guide's fixture's
 * members) has only the reference to go on, and that reference is exactly
 * what the app trusted until now. Anything else (a user named by several
 * rows, a user that already names a row, a row naming nobody) is left to
 * the next run, which records it for a person.
 *
 * An adopted pair is a link like any other: a suspension on either side is
 * kept (see keepSuspension), and each page that adopts writes one audit
 * entry (actor CLI_ACTOR) naming the pairs it made. The fields are left to
 * the `syncAllUsers` run that follows.
 */
import type { GenericId } from "convex/values";
import type { GenericDataModel, GenericMutationCtx } from "convex/server";
import { refuseInSingleTable } from "./accounts.js";
import { audited, CLI_ACTOR } from "./audit.js";
import type { AnyDoc, Shape } from "./declaration.js";
import { keepSuspension, normalizeEmail } from "./policy.js";
import {
  byIndex,
  getDoc,
  recordReview,
  separatedFrom,
  writeLink,
} from "./steps.js";

/**
 * App rows read per transaction: four reads each to weigh (the user, the
 * rows naming it, the user naming the row, a keep-separate marker); an
 * adopted pair adds its two
 * documents read before and after, one or two writes (a suspension kept),
 * and two audit subjects.
 */
export const ADOPT_PAGE = 100;

/** The pairs of a page, named in its audit entry's summary (bounded). */
const NAMED_IN_SUMMARY = 10;

type Adoption = { user: AnyDoc; row: AnyDoc };

/**
 * One page of the app table: returns how many references it adopted, and
 * the cursor of the next page (null when done).
 *
 * @example const { cursor } = await adoptAppReferences(ctx, shape, null);
 */
export async function adoptAppReferences(
  ctx: GenericMutationCtx<GenericDataModel>,
  shape: Shape,
  cursor: string | null,
): Promise<{ adopted: number; cursor: string | null }> {
  const usersRef = shape.usersRef;
  const usersByRef = shape.indexes.usersByRef;
  if (usersRef === undefined || usersByRef === undefined) {
    throw new Error(
      "adoptAppReferences is for references on both sides: the declaration has no reference.users",
    );
  }
  // A link it adopts may write the row (a suspension kept): rows are
  // frozen in single-table mode.
  if (shape.fold !== undefined) {
    await refuseInSingleTable(ctx, shape, "adopt app references");
  }
  const page = await ctx.db
    .query(shape.table)
    .paginate({ cursor, numItems: ADOPT_PAGE });
  const now = Date.now();

  // 1. Weigh each row (reads, and cases for a person); write no link yet.
  const adoptions: Adoption[] = [];
  for (const row of page.page) {
    const userId = row[shape.appRef];
    if (userId === undefined) continue;
    const user = await getDoc(ctx, "users", userId);
    if (user === null || user[usersRef] !== undefined) continue;
    // The one row naming the user, as the app-side mode would read it.
    const naming = await byIndex(
      ctx,
      shape.table,
      shape.indexes.appByUser,
      { [shape.appRef]: userId },
      2,
    );
    if (naming.length !== 1 || naming[0]!._id !== row._id) continue;
    // A row another user names is that user's to lose, never this one's.
    const [owner] = await byIndex(
      ctx,
      "users",
      usersByRef,
      { [usersRef]: row._id },
      1,
    );
    if (owner !== undefined) continue;
    // A person decided these two are not one (keepSeparate): no later
    // reference, typed or imported, undoes that (found by review).
    if ((await separatedFrom(ctx, user._id, [row._id])).size > 0) continue;
    const rowEmail = normalizeEmail(row[shape.email]);
    const userEmail = normalizeEmail(user.email);
    if (
      rowEmail !== undefined &&
      userEmail !== undefined &&
      rowEmail !== userEmail
    ) {
      await recordReview(
        ctx,
        {
          kind: "reference_conflict",
          userId: user._id,
          rowIds: [row._id as GenericId<string>],
          email: userEmail,
          detail:
            "Adopting references: a row names this user, but its email differs from the user's; not adopted.",
        },
        { now },
      );
      continue;
    }
    adoptions.push({ user, row: row as AnyDoc });
  }
  const next = page.isDone ? null : page.continueCursor;
  if (adoptions.length === 0) return { adopted: 0, cursor: next };

  // 2. Link them, a suspension on either side kept, in one audit entry.
  const named = adoptions
    .slice(0, NAMED_IN_SUMMARY)
    .map(
      ({ user, row }) =>
        `users ${String(user._id)} -> ${shape.table} ${String(row._id)}`,
    );
  const more = adoptions.length - named.length;
  await audited(
    ctx,
    {
      action: "operator:adoptAppReferences",
      actor: CLI_ACTOR,
      targets: adoptions.flatMap(({ user, row }) => [
        { table: "users", id: String(user._id) },
        { table: shape.table, id: String(row._id) },
      ]),
      summary: `Adopted ${adoptions.length} app-side reference(s) as both sides': ${named.join(", ")}${more > 0 ? ` and ${more} more` : ""}`,
      tables: ["users", shape.table],
      people: ["users", shape.table],
    },
    async () => {
      for (const { user, row } of adoptions) {
        const { kept } = keepSuspension(shape, user as never, row);
        const plan = {
          usersPatch: {
            [usersRef]: row._id,
            ...(kept === "row" ? { status: "suspended" } : {}),
          },
          rowPatch:
            kept === "user" && shape.status !== undefined
              ? { [shape.status]: "suspended" }
              : {},
          mismatched: [],
        };
        await writeLink(ctx, shape, user._id, row._id, {
          plan,
          kept,
        });
      }
    },
  );
  return { adopted: adoptions.length, cursor: next };
}
