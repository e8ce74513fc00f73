/**
 * The app row as the fold's last stages see it: built from `users` alone.
 * From `reads_switched` on, the library's lookups answer with it, so app
 * code keeps its own field names while reading one table; from
 * `writes_stopped` on, the sync plans a sign-in or a profile edit against
 * it and writes the result to the fields' homes (docs/fold.md). Pure: no
 * Convex calls.
 */
import type { Value } from "convex/values";
import type { AnyDoc, FoldShape, Shape } from "../declaration.js";

function foldOf(shape: Shape): FoldShape {
  if (shape.fold === undefined) {
    throw new Error("A virtual row needs the fold declared (fold.fields)");
  }
  return shape.fold;
}

/**
 * The row a user stands for: each app field that has a home on `users`
 * (the fold's fields, the mirrored ones, status and times), the reference
 * naming the user, and as its `_id` the row the user names while one does
 * (its id stays valid for links and exports until the table is retired),
 * else the user's own.
 *
 * @example const row = virtualRow(shape, user); row.full_name;
 */
export function virtualRow(shape: Shape, user: AnyDoc): AnyDoc {
  const row: Record<string, unknown> = {};
  for (const [app, users] of foldOf(shape).homes) {
    if (user[users] !== undefined) row[app] = user[users];
  }
  row[shape.appRef] = user._id;
  const named = shape.usersRef === undefined ? undefined : user[shape.usersRef];
  return {
    ...row,
    _id: (named ?? user._id) as AnyDoc["_id"],
    _creationTime: user._creationTime,
  };
}

/**
 * A patch of app fields as the patch of their homes. The reference, the
 * system fields and the derived fields (fold.derived) have none and are
 * dropped; any other app field without
 * a home is a declaration problem (fold.fields), thrown as such.
 *
 * @example await ctx.db.patch("users", user._id, homesPatch(shape, { company: "Acme" }));
 */
export function homesPatch(
  shape: Shape,
  rowPatch: Record<string, Value | undefined>,
): Record<string, Value | undefined> {
  const homes = foldOf(shape).homes;
  const patch: Record<string, Value | undefined> = {};
  for (const [app, value] of Object.entries(rowPatch)) {
    if (app === shape.appRef || app === "_id" || app === "_creationTime") {
      continue;
    }
    // Computed by the app from other fields: users keeps those.
    if (foldOf(shape).derived.has(app)) continue;
    const home = homes.get(app);
    if (home === undefined) {
      throw new Error(
        `${shape.table}.${app} has no home on users: declare it in fold.fields before the app table stops being written`,
      );
    }
    patch[home] = value;
  }
  return patch;
}
