/**
 * Adopting the references an app's rows already hold (`auth_users` naming
 * their users, from before the users side named them back): trusted once,
 * only where one row names the user and the user names nothing.
 */
import { describe, expect, test } from "vitest";
import { internal } from "./_generated/api";
import type { Doc, Id } from "./_generated/dataModel";
import type { MutationCtx } from "./_generated/server";
import { readTables, signInWithOAuth } from "./sync.helpers";
import { newBackend, runDueFunctions, useFakeClock } from "./test.helpers";

useFakeClock(Date.UTC(2026, 10, 3, 9, 0, 0));

/** An auth_users row from before the sync (a legacy row, or one naming a user). */
async function insertRow(
  ctx: MutationCtx,
  fields: Partial<Doc<"auth_users">>,
): Promise<Id<"auth_users">> {
  return await ctx.db.insert("auth_users", {
    created_at: 1,
    updated_at: 1,
    ...fields,
  });
}

describe("adoptAppReferences", () => {
  test("a user the one row naming it does not name back gets that row; nothing else is touched", async () => {
    const t = newBackend();
    const ids = await t.run(async (ctx) => {
      const row = (email: string, user?: (typeof users)[number]) =>
        insertRow(ctx, {
          email,
          convex_user_id: user,
        });
      const users = await Promise.all(
        ["ada", "bob", "cy", "dee"].map((name) =>
          ctx.db.insert("users", { email: `${name}@example.com` }),
        ),
      );
      const [ada, bob, cy, dee] = users as [
        (typeof users)[number],
        (typeof users)[number],
        (typeof users)[number],
        (typeof users)[number],
      ];
      const adaRow = await row("ada@example.com", ada);
      // Two rows name bob: which is his is for a person to decide.
      await row("bob@example.com", bob);
      await row("bob@example.com", bob);
      // cy names a row already; a row naming her changes nothing.
      const cyOwn = await row("cy@example.com");
      await ctx.db.patch("users", cy, { auth_user_id: cyOwn });
      await row("cy@example.com", cy);
      // dee is named by none; a row names a user that is gone.
      const gone = await ctx.db.insert("users", {});
      await ctx.db.delete("users", gone);
      await row("gone@example.com", gone);
      return { ada, bob, cy, dee, adaRow, cyOwn };
    });
    // Pages of 100 rows: one more page than fits in one.
    await t.run(async (ctx) => {
      for (let i = 0; i < 100; i++) {
        await ctx.db.insert("auth_users", { created_at: 1, updated_at: 1 });
      }
    });
    expect(
      await t.mutation(internal.syncEngine.adoptAppReferences, {}),
    ).toEqual({ adopted: 1, more: true });
    await runDueFunctions(t);
    const { users } = await readTables(t);
    const pointer = (id: string) =>
      users.find((u) => u._id === id)?.auth_user_id;
    expect(pointer(ids.ada)).toBe(ids.adaRow);
    expect(pointer(ids.bob)).toBeUndefined();
    expect(pointer(ids.cy)).toBe(ids.cyOwn);
    expect(pointer(ids.dee)).toBeUndefined();
  });
});

describe("adoptAppReferences trusts no row that anything contradicts", () => {
  test("a row another user already names is not handed to the user it was edited to name", async () => {
    const t = newBackend();
    const bob = await signInWithOAuth(t, {
      providerAccountId: "gh-bob",
      profile: { name: "Bob", email: "bob@example.com" },
    });
    const ada = await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "Ada", email: "ada@example.com" },
    });
    const bobRow = await t.run(async (ctx) => {
      const bobUser = (await ctx.db.get("users", bob.userId))!;
      const adaUser = (await ctx.db.get("users", ada.userId))!;
      // Ada's row is gone (as onRowDelete "keepAccount" leaves her), and
      // Bob's row is hand-edited to name her.
      await ctx.db.delete("auth_users", adaUser.auth_user_id!);
      await ctx.db.patch("users", ada.userId, { auth_user_id: undefined });
      await ctx.db.patch("auth_users", bobUser.auth_user_id!, {
        convex_user_id: ada.userId,
        email: "ada@example.com",
      });
      return bobUser.auth_user_id!;
    });
    expect(
      await t.mutation(internal.syncEngine.adoptAppReferences, {}),
    ).toEqual({ adopted: 0, more: false });
    const { users } = await readTables(t);
    expect(
      users.find((u) => u._id === ada.userId)!.auth_user_id,
    ).toBeUndefined();
    expect(users.find((u) => u._id === bob.userId)!.auth_user_id).toBe(bobRow);
  });

  test("a row whose address differs from its user's is recorded for a person, not adopted; no address on either side contradicts nothing", async () => {
    const t = newBackend();
    const ids = await t.run(async (ctx) => {
      const ada = await ctx.db.insert("users", {
        email: "ada@example.com",
        emailVerificationTime: 1,
      });
      const carolRow = await insertRow(ctx, {
        email: "Carol@Example.com",
        convex_user_id: ada,
      });
      // An unverified address differs all the same.
      const bob = await ctx.db.insert("users", { email: "bob@example.com" });
      const deeRow = await insertRow(ctx, {
        email: "dee@example.com",
        convex_user_id: bob,
      });
      const cy = await ctx.db.insert("users", { email: "Cy@example.com" });
      const cyRow = await insertRow(ctx, {
        email: "cy@example.com",
        convex_user_id: cy,
      });
      const noEmail = await ctx.db.insert("users", {});
      const noEmailRow = await insertRow(ctx, {
        email: "eve@example.com",
        convex_user_id: noEmail,
      });
      const fay = await ctx.db.insert("users", { email: "fay@example.com" });
      const fayRow = await insertRow(ctx, {
        convex_user_id: fay,
      });
      return {
        ada,
        carolRow,
        bob,
        deeRow,
        cy,
        cyRow,
        noEmail,
        noEmailRow,
        fay,
        fayRow,
      };
    });
    expect(
      await t.mutation(internal.syncEngine.adoptAppReferences, {}),
    ).toEqual({ adopted: 3, more: false });
    const { users } = await readTables(t);
    const pointer = (id: string) =>
      users.find((u) => u._id === id)?.auth_user_id;
    expect(pointer(ids.ada)).toBeUndefined();
    expect(pointer(ids.bob)).toBeUndefined();
    expect(pointer(ids.cy)).toBe(ids.cyRow);
    expect(pointer(ids.noEmail)).toBe(ids.noEmailRow);
    expect(pointer(ids.fay)).toBe(ids.fayRow);
    const cases = await t.run(async (ctx) =>
      ctx.db.query("sync_reviews").collect(),
    );
    expect(
      cases
        .map((c) => ({ kind: c.kind, user: c.user_id, rows: c.row_ids }))
        .sort((a, b) => String(a.user).localeCompare(String(b.user))),
    ).toEqual(
      [
        { kind: "reference_conflict", user: ids.ada, rows: [ids.carolRow] },
        { kind: "reference_conflict", user: ids.bob, rows: [ids.deeRow] },
      ].sort((a, b) => String(a.user).localeCompare(String(b.user))),
    );
  });

  test("each page that adopts is audited: the operator, and the pairs it made", async () => {
    const t = newBackend();
    const ids = await t.run(async (ctx) => {
      const ada = await ctx.db.insert("users", { email: "ada@example.com" });
      const row = await insertRow(ctx, {
        email: "ada@example.com",
        convex_user_id: ada,
      });
      return { ada, row };
    });
    await t.mutation(internal.syncEngine.adoptAppReferences, {});
    // A second run adopts nothing and records nothing.
    await t.mutation(internal.syncEngine.adoptAppReferences, {});
    const entries = await t.run(async (ctx) =>
      ctx.db.query("sync_audit").collect(),
    );
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      action: "operator:adoptAppReferences",
      actor: "operator (CLI)",
    });
    expect(entries[0]!.ids).toEqual(expect.arrayContaining([ids.ada, ids.row]));
    expect(entries[0]!.summary).toContain(
      `users ${ids.ada} -> auth_users ${ids.row}`,
    );
    expect(entries[0]!.changes).toContainEqual(
      expect.objectContaining({
        table: "users",
        id: ids.ada,
        field: "auth_user_id",
      }),
    );
  });

  test("a suspension on either side is kept by the pair adoption makes", async () => {
    const t = newBackend();
    const ids = await t.run(async (ctx) => {
      const ada = await ctx.db.insert("users", { email: "ada@example.com" });
      const adaRow = await insertRow(ctx, {
        email: "ada@example.com",
        status: "suspended",
        convex_user_id: ada,
      });
      const bob = await ctx.db.insert("users", {
        email: "bob@example.com",
        status: "suspended",
      });
      const bobRow = await insertRow(ctx, {
        email: "bob@example.com",
        status: "active",
        convex_user_id: bob,
      });
      return { ada, adaRow, bob, bobRow };
    });
    expect(
      await t.mutation(internal.syncEngine.adoptAppReferences, {}),
    ).toEqual({ adopted: 2, more: false });
    const { users, authUsers } = await readTables(t);
    const user = (id: string) => users.find((u) => u._id === id)!;
    const row = (id: string) => authUsers.find((r) => r._id === id)!;
    expect(user(ids.ada)).toMatchObject({
      auth_user_id: ids.adaRow,
      status: "suspended",
    });
    expect(row(ids.bobRow)).toMatchObject({ status: "suspended" });
    expect(user(ids.bob)).toMatchObject({
      auth_user_id: ids.bobRow,
      status: "suspended",
    });
  });
  test("a row a person kept apart from the user is not adopted, even if it names the user again (found by review)", async () => {
    const t = newBackend();
    const ids = await t.run(async (ctx) => {
      const ada = await ctx.db.insert("users", { email: "ada@example.com" });
      const row = await insertRow(ctx, {
        email: "ada@example.com",
        convex_user_id: ada,
      });
      // keepSeparate's marker: a person decided these two are not one.
      await ctx.db.insert("sync_separations", {
        user_id: ada,
        row_id: row,
        created_at: 1,
      });
      return { ada, row };
    });
    expect(
      await t.mutation(internal.syncEngine.adoptAppReferences, {}),
    ).toEqual({ adopted: 0, more: false });
    await runDueFunctions(t);
    const { users, authUsers } = await readTables(t);
    expect(users.find((u) => u._id === ids.ada)!.auth_user_id).toBeUndefined();
    expect(authUsers.find((r) => r._id === ids.row)!.convex_user_id).toBe(
      ids.ada,
    );
  });
});

describe("adoption before sign-ins are synced (the guide's order)", () => {
  test("a user from before, whose row is adopted first, keeps that row at her next sign-in", async () => {
    const t = newBackend();
    const ada = await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "Ada", email: "ada@example.com" },
    });
    // Her row from before the users side named rows: it names her alone.
    const row = await t.run(async (ctx) => {
      const user = (await ctx.db.get("users", ada.userId))!;
      await ctx.db.delete("auth_users", user.auth_user_id!);
      await ctx.db.patch("users", ada.userId, { auth_user_id: undefined });
      return await insertRow(ctx, {
        convex_user_id: ada.userId,
        full_name: "Ada L.",
      });
    });
    await t.mutation(internal.syncEngine.adoptAppReferences, {});
    await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "Ada", email: "ada@example.com" },
    });
    const { users, authUsers } = await readTables(t);
    expect(users.find((u) => u._id === ada.userId)!.auth_user_id).toBe(row);
    expect(authUsers.map((r) => r._id)).toEqual([row]);
  });
});
