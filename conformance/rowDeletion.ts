/**
 * What app code deleting a row does, for the choice the declaration makes
 * (`onRowDelete`): with "deleteAccount" the account goes with its row;
 * with "keepAccount" the row alone goes, and the account (user, sign-in
 * accounts, sessions) stays, without a row until its next sign-in or a
 * run gives it one. A row in no pair goes alone either way. The
 * conformance suite runs it for the app's own choice; each example's
 * rowDeletion.test.ts runs it again with the other.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { Backend, ConformanceApp } from "./app";
import { syncEverything } from "./runs";
import { counterpartIn, readTables } from "./tables";

export function rowDeletionConformance(app: ConformanceApp): void {
  const { shape } = app.userSync;
  const signUp = (t: Backend, email: string) =>
    app.passwordSignIn(t, {
      email,
      password: "correct horse",
      flow: "signUp",
    });

  async function rowOf(t: Backend, userId: string) {
    const tables = await readTables(t, app);
    const user = tables.users.find((u) => u._id === userId);
    return user === undefined ? null : counterpartIn(app, tables, user);
  }

  async function insertLegacyRow(t: Backend, email: string) {
    return await t.run(
      async (ctx) =>
        (await ctx.db.insert(
          shape.table,
          app.legacyRow({ email, name: "Old", now: 1 }),
        )) as string,
    );
  }

  describe(`app code deleting a row (onRowDelete: "${shape.onRowDelete}")`, () => {
    beforeEach(() => {
      vi.useFakeTimers();
      vi.setSystemTime(Date.UTC(2026, 7, 1));
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    if (shape.onRowDelete === "deleteAccount") {
      test("a paired row takes its account with it; an unpaired row goes alone", async () => {
        const t = app.newBackend();
        const ada = await signUp(t, "ada@example.com");
        const bob = await signUp(t, "bob@example.com");
        const legacyId = await insertLegacyRow(t, "old@example.com");
        await app.deleteRow(t, (await rowOf(t, ada.userId))!._id);
        await app.deleteRow(t, legacyId);
        const after = await readTables(t, app);
        expect(after.users.map((u) => u._id)).toEqual([bob.userId]);
        expect(after.rows.map((r) => r[shape.appRef])).toEqual([bob.userId]);
        expect(after.accounts.map((a) => a.userId)).toEqual([bob.userId]);
        expect(after.sessions.map((s) => s.userId)).toEqual([bob.userId]);
      });
      return;
    }

    test("a paired row goes alone: the user, its accounts and sessions stay", async () => {
      const t = app.newBackend();
      const ada = await signUp(t, "ada@example.com");
      const bob = await signUp(t, "bob@example.com");
      const legacyId = await insertLegacyRow(t, "old@example.com");
      const before = await readTables(t, app);
      const adaRow = (await rowOf(t, ada.userId))!;
      await app.deleteRow(t, adaRow._id);
      await app.deleteRow(t, legacyId);
      const after = await readTables(t, app);
      // Nothing of the account went: the same users, accounts, sessions.
      expect(after.users.map((u) => u._id)).toEqual(
        before.users.map((u) => u._id),
      );
      expect(after.accounts).toEqual(before.accounts);
      expect(after.sessions).toEqual(before.sessions);
      // Only the two rows went; the user points at nothing now.
      expect(after.rows.map((r) => r[shape.appRef])).toEqual([bob.userId]);
      const user = after.users.find((u) => u._id === ada.userId)!;
      if (shape.usersRef !== undefined) {
        expect(user[shape.usersRef]).toBeUndefined();
      }
      // Still signed in, without a row.
      expect(await app.whoAmI(ada.asUser)).toMatchObject({
        userId: ada.userId,
        rowId: null,
      });
    });

    test("the user left without a row is drift, and a run or its next sign-in gives it a new one", async () => {
      const t = app.newBackend();
      const ada = await signUp(t, "ada@example.com");
      const adaRow = (await rowOf(t, ada.userId))!;
      await app.deleteRow(t, adaRow._id);
      const report = (await t.action(app.driftSummary, {})) as {
        consistent: boolean;
        users: { findings: { kind: string; count: number }[] };
      };
      expect(report.consistent).toBe(false);
      expect(report.users.findings).toEqual([
        expect.objectContaining({ kind: "missing_counterpart", count: 1 }),
      ]);
      await syncEverything(t, app);
      const healed = (await rowOf(t, ada.userId))!;
      expect(healed._id).not.toBe(adaRow._id);
      expect(healed[shape.email]).toBe("ada@example.com");

      await app.deleteRow(t, healed._id);
      await app.passwordSignIn(t, {
        email: "ada@example.com",
        password: "correct horse",
        flow: "signIn",
      });
      expect(await rowOf(t, ada.userId)).not.toBeNull();
      const after = (await t.action(app.driftSummary, {})) as {
        consistent: boolean;
      };
      expect(after.consistent).toBe(true);
    });
  });
}
