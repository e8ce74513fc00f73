/**
 * The fold's claim under a third review (issue 16): what landed after the
 * second one (a user with no row claims at any completed sign-in; away from
 * a sign-in, a user who proved a placeholder's address gets no row of its
 * own, and a case names the placeholder's row). Each test keeps a promise
 * the review found broken.
 */
import { describe, expect, test, vi } from "vitest";
import { internal } from "./_generated/api";
import { fault } from "./onSignInFault.helpers";
import { forward, twoPeople, GRACE_ON_GITHUB } from "./fold.helpers";
import { signInViaOAuth } from "./signIn.helpers";
import {
  type Backend,
  newBackend,
  readTables,
  runDueFunctions,
  useFakeClock,
} from "./test.helpers";

// A fault in the app's onSignIn hook makes a sign-in's sync fail (armed
// only where a test says so).
vi.mock("./starterTemplates", async (importOriginal) =>
  (await import("./onSignInFault.helpers")).withFault(importOriginal),
);

useFakeClock(Date.UTC(2026, 11, 1, 9, 0, 0));

/**
 * Every phase forward; then Grace's first sign-in proves her address and
 * its sync fails, and a run meets her: she has no row, and a case names
 * her placeholder's row.
 */
async function graceMetByARun(t: Backend) {
  const people = await twoPeople(t);
  await forward(t, "expand");
  await forward(t, "placeholders");
  await forward(t, "repoint");
  fault.armed = true;
  const errors = vi.spyOn(console, "error").mockImplementation(() => {});
  const first = await signInViaOAuth(t, "github", GRACE_ON_GITHUB);
  errors.mockRestore();
  fault.armed = false;
  await t.mutation(internal.userSync.syncAllUsers, {});
  await runDueFunctions(t);
  const { users, authUsers } = await readTables(t);
  const placeholder = users.find((u) => u.unclaimed === "grace@example.com")!;
  expect(authUsers.some((a) => a.convex_user_id === first.userId)).toBe(false);
  const [view] = (
    await t.query(internal.reviews.openCases, {
      paginationOpts: { numItems: 10, cursor: null },
    })
  ).page.filter(
    (c) =>
      c.review.kind === "ambiguous_email" && c.review.user_id === first.userId,
  );
  expect(view!.review.row_ids).toEqual([people.grace]);
  return { ...people, placeholder, userId: first.userId, view: view! };
}

describe("a person's keep-separate on the case of a user a run left without a row", () => {
  // keep_separate promises the user gets or keeps a row of their own. The
  // run's new branch (no row for a user who proved a placeholder's
  // address) weighed the person's decision only against legacy rows, never
  // the placeholder's row: the user stayed without a row, every later run
  // recorded the (closed) case again, and nothing was left in the queue.
  test("gives the user a row of their own, and leaves the placeholder with its row", async () => {
    const t = newBackend();
    const { grace, placeholder, userId, view } = await graceMetByARun(t);

    await t.mutation(internal.reviews.keepSeparate, {
      reviewId: view.review._id,
      version: view.version,
      userId,
      rowId: grace,
    });

    let tables = await readTables(t);
    const own = tables.authUsers.find((a) => a.convex_user_id === userId);
    expect(own).toBeDefined();
    expect(own!._id).not.toBe(grace);
    expect(tables.authUsers.find((a) => a._id === grace)!.convex_user_id).toBe(
      placeholder._id,
    );

    // A later run leaves them as they are, with nothing for review.
    const run = await t.mutation(internal.userSync.syncAllUsers, {});
    await runDueFunctions(t);
    const finished = await t.query(internal.syncEngine.getRun, {
      runId: run._id,
    });
    expect(finished?.counts.needingReview).toBe(0);
    tables = await readTables(t);
    expect(tables.authUsers.find((a) => a._id === grace)!.convex_user_id).toBe(
      placeholder._id,
    );
  });
});

describe("a user a run meets who proved an address a placeholder was made for", () => {
  // The claim and the lookups by email hold a placeholder to the address
  // its row holds now, as a row never paired; the run's check took its
  // `unclaimed` at its word: a row edited past the triggers to another
  // address still cost the user their row, with a case saying the row held
  // their address.
  test("whose placeholder's row has left the address gets a row of their own, as their sign-in would give", async () => {
    const t = newBackend();
    const { grace } = await twoPeople(t);
    await forward(t, "expand");
    await forward(t, "placeholders");
    await forward(t, "repoint");
    await t.run(async (ctx) => {
      await ctx.db.patch("auth_users", grace, {
        email: "grace.hopper@navy.example",
      });
    });
    fault.armed = true;
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const first = await signInViaOAuth(t, "github", GRACE_ON_GITHUB);
    errors.mockRestore();
    fault.armed = false;

    // An operator syncs her (a run meets the placeholder first, by creation
    // order, and re-keys it: the sync reaches her here before that).
    const synced = await t.mutation(internal.userSync.syncUser, {
      userId: first.userId,
    });

    expect(synced.outcome).toBe("created");
    const tables = await readTables(t);
    expect(
      tables.authUsers.find((a) => a.convex_user_id === first.userId),
    ).toBeDefined();
    expect(
      tables.reviews.filter(
        (r) => r.kind === "ambiguous_email" && r.row_ids.includes(grace),
      ),
    ).toEqual([]);
  });
});

describe("a person's dismissal of the case of a user a run left without a row", () => {
  // Before the fold, a dismissed ambiguous_email case left the user with a
  // row of their own. Here the user stayed without one, and every later run
  // counted them for review while the queue held nothing to act on (the
  // closed case's key kept a new one from being recorded).
  test("leaves no run counting the user for review with an empty queue", async () => {
    const t = newBackend();
    const { userId, view } = await graceMetByARun(t);

    await t.mutation(internal.reviews.dismiss, {
      reviewId: view.review._id,
      version: view.version,
    });
    const run = await t.mutation(internal.userSync.syncAllUsers, {});
    await runDueFunctions(t);

    const finished = await t.query(internal.syncEngine.getRun, {
      runId: run._id,
    });
    const open = (
      await t.query(internal.reviews.openCases, {
        paginationOpts: { numItems: 10, cursor: null },
      })
    ).page.filter(
      (c) =>
        c.review.user_id === userId && c.review.kind !== "sign_in_sync_failed",
    );
    expect({
      needingReview: finished?.counts.needingReview,
      open: open.length,
    }).not.toEqual({ needingReview: 1, open: 0 });
    expect(
      (await readTables(t)).authUsers.some((a) => a.convex_user_id === userId),
    ).toBe(true);
  });
});
