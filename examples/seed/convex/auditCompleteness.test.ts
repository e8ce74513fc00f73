/**
 * What a resolution records (found by review): every document it wrote,
 * not only those the case named; and a case's version covers what it
 * showed, whom each row is paired with included.
 */
import { describe, expect, test } from "vitest";
import { internal } from "./_generated/api";
import {
  insertLegacyRow,
  newBackend,
  readTables,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 4, 1, 9, 0, 0);
useFakeClock(T0);
const page = { numItems: 10, cursor: null };

describe("the audit log and the case version", () => {
  test("keepSeparate that gives the user a new row records that row", async () => {
    const t = newBackend();
    const a = await insertLegacyRow(t, {
      email: "ken@example.com",
      company: "A",
    });
    const b = await insertLegacyRow(t, {
      email: "ken@example.com",
      company: "B",
    });
    await insertLegacyRow(t, { email: "ken@example.com", company: "C" });
    const ken = await t.run(async (ctx) =>
      ctx.db.insert("users", {
        email: "ken@example.com",
        emailVerificationTime: T0,
      }),
    );
    await t.mutation(internal.userSync.syncUser, { authUserId: a });
    const view = (
      await t.query(internal.reviews.openCases, { paginationOpts: page })
    ).page.find((c) => c.review.kind === "ambiguous_email")!;
    expect(view.user?._id).toBe(ken);
    expect(view.counterpart).toBeNull();
    const before = await readTables(t);
    await t.mutation(internal.reviews.keepSeparate, {
      reviewId: view.review._id,
      version: view.version,
      userId: ken,
      rowId: b,
    });
    const after = await readTables(t);
    const created = after.authUsers.filter(
      (row) => !before.authUsers.some((old) => old._id === row._id),
    );
    // The resolution inserted a row for Ken ...
    expect(created).toHaveLength(1);
    const newRow = created[0]!;
    expect(newRow.convex_user_id).toBe(ken);
    // ... and the audit entry of that resolution must show it.
    const [entry] = (
      await t.query(internal.reviews.auditLog, { paginationOpts: page })
    ).page;
    expect(entry!.action).toBe("resolve:keep_separate");
    expect(entry!.ids).toContain(newRow._id);
    expect(entry!.changes.some((c) => c.id === newRow._id)).toBe(true);
  });

  test("retire that pairs the user the row named records that user's changes too", async () => {
    const t = newBackend();
    const { v, r, grace } = await t.run(async (ctx) => {
      const v = await ctx.db.insert("users", {
        email: "v@example.com",
        emailVerificationTime: T0,
      });
      const r = await ctx.db.insert("auth_users", {
        convex_user_id: v,
        email: "stray@example.com",
        created_at: T0,
        updated_at: T0,
      });
      const grace = await ctx.db.insert("users", {
        email: "grace@example.com",
        emailVerificationTime: T0,
        auth_user_id: r,
      });
      return { v, r, grace };
    });
    await t.mutation(internal.userSync.syncUser, { userId: grace });
    const view = (
      await t.query(internal.reviews.openCases, { paginationOpts: page })
    ).page.find(
      (c) =>
        c.review.kind === "reference_conflict" &&
        c.rows.some((row) => row.id === r),
    )!;
    expect(view.user?._id).toBe(grace);
    const before = await readTables(t);
    await t.mutation(internal.reviews.retire, {
      reviewId: view.review._id,
      version: view.version,
      rowId: r,
    });
    const after = await readTables(t);
    const vBefore = before.users.find((u) => u._id === v)!;
    const vAfter = after.users.find((u) => u._id === v)!;
    // The retirement wrote to V (it got a row of its own) ...
    expect(vAfter.auth_user_id).not.toBe(vBefore.auth_user_id);
    const [entry] = (
      await t.query(internal.reviews.auditLog, { paginationOpts: page })
    ).page;
    expect(entry!.action).toBe("resolve:retire");
    // ... so V's change must be in the audit entry.
    expect(entry!.changes.some((c) => c.id === v)).toBe(true);
  });

  test("a case's version changes when what it shows changes (pairedUserId)", async () => {
    const t = newBackend();
    const { v, r, grace } = await t.run(async (ctx) => {
      const v = await ctx.db.insert("users", {
        email: "v@example.com",
        emailVerificationTime: T0,
      });
      const r = await ctx.db.insert("auth_users", {
        convex_user_id: v,
        email: "stray@example.com",
        created_at: T0,
        updated_at: T0,
      });
      const grace = await ctx.db.insert("users", {
        email: "grace@example.com",
        emailVerificationTime: T0,
        auth_user_id: r,
      });
      return { v, r, grace };
    });
    await t.mutation(internal.userSync.syncUser, { userId: grace });
    const find = async () =>
      (
        await t.query(internal.reviews.openCases, { paginationOpts: page })
      ).page.find(
        (c) =>
          c.review.kind === "reference_conflict" &&
          c.rows.some((row) => row.id === r),
      )!;
    const shown = await find();
    expect(shown.rows[0]!.pairedUserId).toBeNull();
    // V's reference now names the row: the row is V's pair.
    await t.run(async (ctx) => ctx.db.patch("users", v, { auth_user_id: r }));
    const now = await find();
    expect(now.rows[0]!.pairedUserId).toBe(v);
    expect(now.version).not.toBe(shown.version);
  });
});
