/**
 * The fold's phases 1-3 under a second review (issue 16): what landed
 * after the first one (a person's link taking a placeholder over, lookups
 * by email finding a placeholder). Each test keeps a promise the review
 * found broken: a suspended person stays suspended, and a lookup by email
 * names only whom the address names now.
 */
import { describe, expect, test } from "vitest";
import { internal } from "./_generated/api";
import { forward, GRACE_ON_GITHUB, twoPeople } from "./fold.helpers";
import { signInViaOAuth } from "./signIn.helpers";
import {
  type Backend,
  expectAppError,
  insertLegacyRow,
  newBackend,
  readTables,
  useFakeClock,
} from "./test.helpers";

useFakeClock(Date.UTC(2026, 11, 1, 9, 0, 0));

/** Every phase forward; Grace's placeholder. */
async function folded(t: Backend) {
  const people = await twoPeople(t);
  await forward(t, "expand");
  await forward(t, "placeholders");
  await forward(t, "repoint");
  const { users } = await readTables(t);
  const placeholder = users.find((u) => u.unclaimed === "grace@example.com")!;
  return { ...people, placeholder };
}

describe("a person's link takes a placeholder over", () => {
  test("a suspended user who takes over a placeholder stays suspended on both sides, whatever the placeholder's status was", async () => {
    const t = newBackend();
    const { grace, placeholder } = await folded(t);
    // Grace was suspended once and reactivated: her placeholder holds
    // status "active" (the row's, mirrored).
    await t.mutation(internal.admin.setStatus, {
      email: "grace@example.com",
      status: "suspended",
    });
    await t.mutation(internal.admin.setStatus, {
      email: "grace@example.com",
      status: "active",
    });
    expect(
      (await readTables(t)).users.find((u) => u._id === placeholder._id)!
        .status,
    ).toBe("active");
    // A second person who never signed in holds the address: the sign-in
    // that proves it claims nothing, and a person decides.
    await insertLegacyRow(t, { email: "grace@example.com", company: "Yale" });
    await forward(t, "placeholders");
    const signedIn = await signInViaOAuth(t, "github", GRACE_ON_GITHUB);
    // The account is suspended before anyone looks at the case.
    await t.mutation(internal.admin.setStatus, {
      id: signedIn.userId,
      status: "suspended",
    });
    const ownRow = (await readTables(t)).authUsers.find(
      (a) => a.convex_user_id === signedIn.userId,
    )!;
    const [view] = (
      await t.query(internal.reviews.openCases, {
        paginationOpts: { numItems: 10, cursor: null },
      })
    ).page.filter((c) => c.review.kind === "ambiguous_email");

    await t.mutation(internal.reviews.link, {
      reviewId: view!.review._id,
      version: view!.version,
      userId: signedIn.userId,
      rowId: grace,
      retireCurrent: ownRow._id,
    });

    const tables = await readTables(t);
    expect(tables.users.some((u) => u._id === placeholder._id)).toBe(false);
    expect(tables.authUsers.find((a) => a._id === grace)!.status).toBe(
      "suspended",
    );
    expect(tables.users.find((u) => u._id === signedIn.userId)!.status).toBe(
      "suspended",
    );
  });
});

describe("lookups by email", () => {
  test("a placeholder whose row left the address (edited past the triggers) is not found by the address it left", async () => {
    const t = newBackend();
    const { grace } = await folded(t);
    // Before the fold the same edit left the legacy row unfound by its old
    // address; the placeholder's `unclaimed` still holds it until a sync.
    await t.run(async (ctx) => {
      await ctx.db.patch("auth_users", grace, {
        email: "grace.hopper@navy.example",
      });
    });

    expect(
      await t.query(internal.userSync.getUserByEmail, {
        email: "grace@example.com",
      }),
    ).toBeNull();
    // An operator's command by that address names nobody.
    await expectAppError(
      t.mutation(internal.admin.setAdmin, {
        email: "grace@example.com",
        isAdmin: true,
      }),
      "NOT_FOUND",
    );
    expect(
      (await readTables(t)).authUsers.find((a) => a._id === grace)!.is_admin,
    ).toBeUndefined();
  });
});
