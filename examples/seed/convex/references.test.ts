/**
 * Adopting the references an app's rows already hold (`auth_users` naming
 * their users, from before the users side named them back): trusted once,
 * only where one row names the user and the user names nothing.
 */
import { describe, expect, test } from "vitest";
import { internal } from "./_generated/api";
import { readTables } from "./sync.helpers";
import { newBackend, runDueFunctions, useFakeClock } from "./test.helpers";

useFakeClock(Date.UTC(2026, 10, 3, 9, 0, 0));

describe("adoptAppReferences", () => {
  test("a user the one row naming it does not name back gets that row; nothing else is touched", async () => {
    const t = newBackend();
    const ids = await t.run(async (ctx) => {
      const row = (email: string, user?: (typeof users)[number]) =>
        ctx.db.insert("auth_users", {
          email,
          convex_user_id: user,
          created_at: 1,
          updated_at: 1,
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
