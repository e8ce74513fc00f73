/**
 * The conformance suite: what every app that declares a sync gets, checked
 * through the app's own functions and its real password sign-in (the app's
 * `passwordSignIn`, app.ts).
 * Each example runs it (convex/conformance.test.ts) with its adapter.
 *
 * @example
 * import { conformanceSuite } from "../../../conformance/suite";
 * conformanceSuite("profiles", profilesApp);
 */
import { normalizeEmail } from "convex-auth-user-sync";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { Backend, ConformanceApp } from "./app";
import { codeOf } from "./client";
import { driftConformance } from "./drift";
import { consistencyProperty, LATER_STAGE_RUNS } from "./property";
import { rowDeletionConformance } from "./rowDeletion";
import { syncEverything } from "./runs";
import { atStage, FOLD_STAGES, type FoldStage, isSingleTable } from "./stages";
import {
  counterpartIn,
  pairsIn,
  readTables,
  reviewNaming,
  type Row,
} from "./tables";

const START = Date.UTC(2026, 7, 1);

/**
 * A stamp made at `time`: to the millisecond on a frozen clock; within a
 * second where each commit moves it (convex-test 0.0.65 on, as time moves
 * in a deployment; the fold's runs before it commit many times).
 */
function expectAbout(stamp: unknown, time: number): void {
  expect(stamp).toBeGreaterThanOrEqual(time);
  expect(stamp).toBeLessThan(time + 1_000);
}

export function conformanceSuite(
  name: string,
  app: ConformanceApp,
  /** The fold's stages to run the feature tests in (all by default). */
  stages: readonly FoldStage[] = FOLD_STAGES.map((entry) => entry.stage),
): void {
  for (const stage of stages) featureTests(name, app, stage);
  rowDeletionConformance(app);
  driftConformance(name, app);
  consistencyProperty(name, app);
  // From the last two-table stage too, on fewer sequences (each runs every
  // phase): the property's invariants and its damage (rows written past
  // the sync, runs healing them) are two tables' (single-table mode: the
  // feature tests above, and the fold's own tests).
  const last = stages.filter((stage) => !isSingleTable(stage)).at(-1);
  if (last !== undefined && last !== "two_tables") {
    consistencyProperty(name, app, LATER_STAGE_RUNS, last);
  }
}

/**
 * The feature tests, each on a backend moved to `stage` first (see
 * stages.ts): what the app's API does must not depend on where the fold
 * stands.
 */
function featureTests(name: string, app: ConformanceApp, stage: FoldStage) {
  const { shape } = app.userSync;
  // From writes_stopped on the app table is no longer written: a person is
  // their users document (tables.ts), app-table writers and the sync's own
  // runs are refused with CONFLICT (docs/fold.md, "4b. Stop writes").
  const single = isSingleTable(stage);
  const backend = async (before?: (t: Backend) => Promise<unknown>) => {
    const t = app.newBackend();
    await before?.(t);
    await atStage(t, app, stage);
    return t;
  };
  /** A test of the sync maintaining two tables, skipped in single-table mode. */
  const twoTableTest = (title: string, body: () => Promise<void>) =>
    (single ? test.skip : test)(title, body);
  /** Fails unless `run` is refused with `code`. */
  async function expectRefused(run: () => Promise<unknown>, code: string) {
    const refused: unknown = await run().then(
      () => null,
      (error: unknown) => error,
    );
    expect(codeOf(refused)).toBe(code);
  }
  const signUp = (t: Backend, email: string, password = "correct horse") =>
    app.passwordSignIn(t, { email, password, flow: "signUp" });
  const signIn = (t: Backend, email: string, password = "correct horse") =>
    app.passwordSignIn(t, { email, password, flow: "signIn" });

  async function pairOf(t: Backend, userId: string) {
    const tables = await readTables(t, app);
    const user = tables.users.find((u) => u._id === userId);
    return {
      tables,
      user,
      row: user === undefined ? null : counterpartIn(app, tables, user),
    };
  }

  async function insertLegacyRow(t: Backend, email: string, rowName: string) {
    return await t.run(
      async (ctx) =>
        (await ctx.db.insert(
          shape.table,
          app.legacyRow({ email, name: rowName, now: 1 }),
        )) as string,
    );
  }

  const title =
    stage === "two_tables"
      ? `conformance: ${name}`
      : `conformance: ${name}, fold at ${stage}`;
  describe(title, () => {
    beforeEach(() => {
      vi.useFakeTimers();
      vi.setSystemTime(START);
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    test("a sign-up gets exactly one row, and both sides agree on it", async () => {
      const t = await backend();
      const before = await readTables(t, app);
      const ada = await signUp(t, "ada@example.com");
      const { tables, user, row } = await pairOf(t, ada.userId);
      expect(row).not.toBeNull();
      expect(
        tables.rows.filter((r) => r[shape.appRef] === ada.userId),
      ).toHaveLength(1);
      if (shape.usersRef !== undefined) {
        // Single-table mode: her users document is her record, no row.
        expect(user![shape.usersRef]).toBe(single ? undefined : row!._id);
      }
      // A password proves no address (Convex Auth v1's Password): the row
      // holds it, unverified. A sign-up that proves it holds it verified.
      expect(row![shape.email]).toBe("ada@example.com");
      if (app.capabilities.passwordProvesAddress) {
        expect(row![shape.emailVerified]).toBe(true);
      } else expect(row![shape.emailVerified]).not.toBe(true);
      if (shape.lastLoginAt !== undefined) {
        expect(row![shape.lastLoginAt]).toBe(user!.lastLoginAt);
        expectAbout(row![shape.lastLoginAt], START);
      }
      expect(await app.whoAmI(ada.asUser)).toEqual({
        userId: ada.userId,
        rowId: single ? null : row!._id,
      });
      if (single) expect(tables.appRows).toEqual(before.appRows);
      else {
        expect(
          app.userSync.checkTables(tables.users as never, tables.rows).problems,
        ).toEqual([]);
      }
    });

    test("a returning sign-in stamps the login on both sides and changes nothing else", async () => {
      const t = await backend();
      const ada = await signUp(t, "ada@example.com");
      const before = await pairOf(t, ada.userId);
      vi.advanceTimersByTime(60_000);
      const again = await signIn(t, "ada@example.com");
      expect(again.userId).toBe(ada.userId);
      const after = await pairOf(t, ada.userId);
      expect(after.row!._id).toBe(before.row!._id);
      if (shape.lastLoginAt !== undefined) {
        expect(after.row![shape.lastLoginAt]).toBe(after.user!.lastLoginAt);
        expectAbout(after.row![shape.lastLoginAt], START + 60_000);
      }
      const { [shape.lastLoginAt ?? "_"]: _a, ...rowBefore } = before.row!;
      const { [shape.lastLoginAt ?? "_"]: _b, ...rowAfter } = after.row!;
      expect(rowAfter).toEqual(rowBefore);
    });

    test("a person's name edit reaches both tables and survives their next sign-in", async () => {
      const t = await backend();
      const ada = await signUp(t, "ada@example.com");
      await app.setOwnName(ada.asUser, "Ada Lovelace");
      await signIn(t, "ada@example.com");
      const { user, row } = await pairOf(t, ada.userId);
      expect(row![app.ownName.app]).toBe("Ada Lovelace");
      expect(user![app.ownName.users]).toBe("Ada Lovelace");
    });

    test("app code writing the row (through its own builders) carries the change to users", async () => {
      const t = await backend();
      if (single) {
        // The app table is no longer written: a row left in it (from
        // before, or written past the sync) refuses app code, and nothing
        // changes anywhere.
        await signUp(t, "ada@example.com");
        const left = await insertLegacyRow(t, "bob@example.com", "Bob");
        const before = await readTables(t, app);
        await expectRefused(
          () => app.editRowName(t, left, "Countess of Lovelace"),
          "CONFLICT",
        );
        expect(await readTables(t, app)).toEqual(before);
        return;
      }
      const ada = await signUp(t, "ada@example.com");
      const { row } = await pairOf(t, ada.userId);
      await app.editRowName(t, row!._id, "Countess of Lovelace");
      const after = await pairOf(t, ada.userId);
      expect(after.row![app.ownName.app]).toBe("Countess of Lovelace");
      expect(after.user![app.ownName.users]).toBe("Countess of Lovelace");
      expect(
        app.userSync.checkTables(after.tables.users as never, after.tables.rows)
          .problems,
      ).toEqual([]);
    });

    // The suite signs in by password alone: where a password sign-up proves
    // its address (capabilities), there is no unverified sign-up to drive.
    test.skipIf(app.capabilities.passwordProvesAddress)(
      "an unverified sign-up never claims an existing row: it is left as it was, for review",
      async () => {
        if (single) {
          // The row predates the stop: the fold gave it a placeholder, which
          // stands for it on users; nobody's unverified sign-up claims it.
          let legacyId = "";
          const t = await backend(async (t) => {
            legacyId = await insertLegacyRow(
              t,
              "kim@example.com",
              "Legacy Kim",
            );
          });
          const before = await readTables(t, app);
          expect(before.users).toHaveLength(1);
          const placeholder = before.users[0]!;
          const kim = await signUp(t, "kim@example.com");
          expect(kim.userId).not.toBe(placeholder._id);
          const tables = await readTables(t, app);
          expect(tables.users.find((u) => u._id === placeholder._id)).toEqual(
            placeholder,
          );
          expect(tables.appRows).toEqual(before.appRows);
          expect(reviewNaming(tables, [legacyId, placeholder._id])?.kind).toBe(
            "unverified_email_match",
          );
          const me = await app.whoAmI(kim.asUser);
          expect(me?.userId).toBe(kim.userId);
          expect(me?.rowId).not.toBe(legacyId);
          return;
        }
        const t = await backend();
        const legacyId = await insertLegacyRow(
          t,
          "kim@example.com",
          "Legacy Kim",
        );
        const legacy = (await readTables(t, app)).rows.find(
          (r) => r._id === legacyId,
        );
        const kim = await signUp(t, "kim@example.com");
        const { tables, row } = await pairOf(t, kim.userId);
        expect(row?._id).not.toBe(legacyId);
        expect(tables.rows.find((r) => r._id === legacyId)).toEqual(legacy);
        expect(reviewNaming(tables, [legacyId])?.kind).toBe(
          "unverified_email_match",
        );
        expect((await app.whoAmI(kim.asUser))?.rowId).not.toBe(legacyId);
      },
    );

    test("suspension refuses sign-in and ends sessions; reactivation lets the person back in", async () => {
      const t = await backend();
      const ada = await signUp(t, "ada@example.com");
      await app.setStatus(t, ada.userId, "suspended");
      let { tables, row } = await pairOf(t, ada.userId);
      if (shape.status !== undefined)
        expect(row![shape.status]).toBe("suspended");
      expect(tables.sessions.filter((s) => s.userId === ada.userId)).toEqual(
        [],
      );
      const refused: unknown = await signIn(t, "ada@example.com").then(
        () => null,
        (error: unknown) => error,
      );
      expect(codeOf(refused)).toBe("FORBIDDEN");
      expect((await readTables(t, app)).sessions).toEqual([]);

      await app.setStatus(t, ada.userId, "active");
      const back = await signIn(t, "ada@example.com");
      expect(back.userId).toBe(ada.userId);
      ({ tables, row } = await pairOf(t, ada.userId));
      if (shape.status !== undefined)
        expect(row![shape.status]).not.toBe("suspended");
      expect(tables.sessions.map((s) => s.sessionId)).toEqual([back.sessionId]);
    });

    test("deleting an account removes its pair and Convex Auth records, and nobody else's", async () => {
      const t = await backend();
      const ada = await signUp(t, "ada@example.com");
      const bob = await signUp(t, "bob@example.com");
      const cy = await signUp(t, "cy@example.com");
      const bobRow = (await pairOf(t, bob.userId)).row!;
      const before = await readTables(t, app);

      await app.deleteOwnAccount(ada.asUser);
      await app.deleteAccount(t, cy.userId);
      const after = await readTables(t, app);
      expect(after.users.map((u) => u._id)).toEqual([bob.userId]);
      expect(after.rows.map((r) => r._id)).toEqual([bobRow._id]);
      expect(after.accounts.every((a) => a.userId === bob.userId)).toBe(true);
      expect(after.sessions.map((s) => s.sessionId)).toEqual([bob.sessionId]);
      expect(before.rows).toHaveLength(3);

      // The same address signs up again: a fresh pair.
      const again = await signUp(t, "ada@example.com");
      expect(again.userId).not.toBe(ada.userId);
      expect((await pairOf(t, again.userId)).row).not.toBeNull();
    });

    test("a bulk run is the migration: users that predate the sync get rows, and a second run changes nothing", async () => {
      const t = await backend();
      // Users Convex Auth made before the app adopted the sync.
      const userIds = await t.run(async (ctx) =>
        Promise.all(
          ["ada", "bob", "cy", "dee", "eve"].map((who) =>
            ctx.db.insert("users", { email: `${who}@example.com`, name: who }),
          ),
        ),
      );
      if (single) {
        // No run writes the app table any more: refused, nothing written.
        const before = await readTables(t, app);
        await expectRefused(() => syncEverything(t, app, 2), "CONFLICT");
        expect(await readTables(t, app)).toEqual(before);
        return;
      }
      const first = await syncEverything(t, app, 2);
      expect(first.counts.created).toBe(userIds.length);
      const tables = await readTables(t, app);
      for (const { user, row } of pairsIn(app, tables)) {
        expect(row, `user ${user._id}`).not.toBeNull();
        expect(row![shape.email]).toBe(normalizeEmail(user.email as string));
      }
      expect(
        app.userSync.checkTables(tables.users as never, tables.rows).problems,
      ).toEqual([]);
      const second = await syncEverything(t, app, 2);
      expect(second.counts).toMatchObject({
        created: 0,
        linked: 0,
        repaired: 0,
      });
      expect(await readTables(t, app)).toEqual(tables);
      const summary = (await t.action(app.driftSummary, {})) as {
        consistent: boolean;
      };
      expect(summary.consistent).toBe(true);
    });

    test("a second row claiming a user is recorded for review, and its data is never shown as theirs", async () => {
      const t = await backend();
      const ada = await signUp(t, "ada@example.com");
      const imported = await t.run(
        async (ctx) =>
          (await ctx.db.insert(shape.table, {
            ...app.legacyRow({ email: "eve@example.com", name: "Eve", now: 1 }),
            [shape.appRef]: ada.userId,
          })) as string,
      );
      if (single) {
        // No run reads the app table any more (refused); her record is her
        // user: the row is never shown as hers, before or after a sign-in.
        await expectRefused(() => syncEverything(t, app), "CONFLICT");
        const tables = await readTables(t, app);
        const row = tables.appRows.find((r) => r._id === imported) as Row;
        expect(row[shape.email]).toBe("eve@example.com");
        const mine = counterpartIn(
          app,
          tables,
          tables.users.find((u) => u._id === ada.userId)!,
        );
        expect(mine?.[shape.email]).toBe("ada@example.com");
        expect(mine?.[app.ownName.app]).not.toBe("Eve");
        expect((await app.whoAmI(ada.asUser))?.rowId).not.toBe(imported);
        await signIn(t, "ada@example.com");
        expect((await app.whoAmI(ada.asUser))?.rowId).not.toBe(imported);
        return;
      }
      await syncEverything(t, app);
      const tables = await readTables(t, app);
      expect(reviewNaming(tables, [imported])).toBeDefined();
      expect((await app.whoAmI(ada.asUser))?.rowId).not.toBe(imported);
      const row = tables.rows.find((r) => r._id === imported) as Row;
      expect(row[shape.email]).toBe("eve@example.com");
      expect(row[app.ownName.app]).toBe("Eve");
      // Her next sign-in neither adopts it nor fails.
      await signIn(t, "ada@example.com");
      expect((await app.whoAmI(ada.asUser))?.rowId).not.toBe(imported);
    });

    test("the schema has every field and index the declaration needs", () => {
      expect(app.userSync.checkSchema(app.schema)).toEqual([]);
    });

    // The four twoTableTests below are about the sync keeping two tables
    // (damage healed by runs, a legacy row linked by a run): once the app
    // table is no longer written, runs are refused (the bulk-run test says
    // so) and a legacy row is claimed at sign-in through its placeholder
    // (the fold's own tests: examples/seed/convex/foldOneTable.test.ts).

    /** A row holding someone else's data that names `userId` (a bad import). */
    async function importClaiming(t: Backend, userId: string) {
      return await t.run(
        async (ctx) =>
          (await ctx.db.insert(shape.table, {
            ...app.legacyRow({ email: "eve@example.com", name: "Eve", now: 1 }),
            [shape.appRef]: userId,
          })) as string,
      );
    }

    twoTableTest(
      "a suspension made while two rows claim a user holds once the extra row goes (found by review)",
      async () => {
        const t = await backend();
        const ada = await signUp(t, "ada@example.com");
        // Suspended and reactivated once: her row says "active" explicitly.
        await app.setStatus(t, ada.userId, "suspended");
        await app.setStatus(t, ada.userId, "active");
        const imported = await importClaiming(t, ada.userId);
        await syncEverything(t, app);
        await app.setStatus(t, ada.userId, "suspended");
        // A person settles the duplicate; a run follows.
        await app.deleteRow(t, imported);
        await syncEverything(t, app);
        const refused: unknown = await signIn(t, "ada@example.com").then(
          () => null,
          (error: unknown) => error,
        );
        expect(codeOf(refused)).toBe("FORBIDDEN");
        const { user, row } = await pairOf(t, ada.userId);
        expect(user?.status).toBe("suspended");
        if (shape.status !== undefined)
          expect(row?.[shape.status]).toBe("suspended");
      },
    );

    twoTableTest(
      "a reactivation made while two rows claim a user holds once the extra row goes (found by review)",
      async () => {
        const t = await backend();
        const ada = await signUp(t, "ada@example.com");
        await app.setStatus(t, ada.userId, "suspended");
        const imported = await importClaiming(t, ada.userId);
        await syncEverything(t, app);
        await app.setStatus(t, ada.userId, "active");
        await app.deleteRow(t, imported);
        await syncEverything(t, app);
        const back = await signIn(t, "ada@example.com");
        expect(back.userId).toBe(ada.userId);
        const { user } = await pairOf(t, ada.userId);
        expect(user?.status).not.toBe("suspended");
      },
    );

    twoTableTest(
      "a run links a legacy row to the user who verified its address, and to nobody else",
      async () => {
        const t = await backend();
        const legacyAda = await insertLegacyRow(
          t,
          "ada@example.com",
          "Legacy Ada",
        );
        const legacyBob = await insertLegacyRow(
          t,
          "bob@example.com",
          "Legacy Bob",
        );
        // Once paired (it carries the verification flag), now linked to nobody:
        // its data is whoever it was made for, not whoever holds the address.
        const orphan = await t.run(
          async (ctx) =>
            (await ctx.db.insert(shape.table, {
              ...app.legacyRow({
                email: "cy@example.com",
                name: "Old Cy",
                now: 1,
              }),
              [shape.emailVerified]: true,
            })) as string,
        );
        const before = await readTables(t, app);
        // Users from before the sync: Ada and Cy verified their addresses,
        // Bob did not.
        const [ada, bob, cy] = await t.run(async (ctx) =>
          Promise.all([
            ctx.db.insert("users", {
              email: "ada@example.com",
              emailVerificationTime: 1,
            }),
            ctx.db.insert("users", { email: "bob@example.com" }),
            ctx.db.insert("users", {
              email: "cy@example.com",
              emailVerificationTime: 1,
            }),
          ]),
        );
        await syncEverything(t, app);
        const tables = await readTables(t, app);
        const rowOf = (userId: string) =>
          counterpartIn(
            app,
            tables,
            tables.users.find((u) => u._id === userId)!,
          );
        expect(rowOf(ada)?._id).toBe(legacyAda);
        expect(rowOf(ada)?.[app.ownName.app]).toBe("Legacy Ada");
        for (const [userId, untouched] of [
          [bob, legacyBob],
          [cy, orphan],
        ] as const) {
          expect(rowOf(userId)?._id).not.toBe(untouched);
          expect(tables.rows.find((r) => r._id === untouched)).toEqual(
            before.rows.find((r) => r._id === untouched),
          );
          expect(reviewNaming(tables, [untouched])).toBeDefined();
        }
      },
    );

    twoTableTest(
      "two users who verified one address: a legacy row with it is linked to neither (found by review)",
      async () => {
        const t = await backend();
        const legacy = await insertLegacyRow(
          t,
          "kim@example.com",
          "Legacy Kim",
        );
        const users = await t.run(async (ctx) =>
          Promise.all(
            [1, 2].map((at) =>
              ctx.db.insert("users", {
                email: "kim@example.com",
                emailVerificationTime: at,
              }),
            ),
          ),
        );
        await syncEverything(t, app);
        const tables = await readTables(t, app);
        for (const userId of users) {
          const user = tables.users.find((u) => u._id === userId)!;
          const row = counterpartIn(app, tables, user);
          // Each gets a row of its own; the legacy row waits for a person.
          expect(row).not.toBeNull();
          expect(row!._id).not.toBe(legacy);
        }
        expect(tables.rows.find((r) => r._id === legacy)?.[shape.appRef]).toBe(
          undefined,
        );
        expect(reviewNaming(tables, [legacy])?.kind).toBe("ambiguous_email");
      },
    );

    test("app code deleting a user takes its own row, and no row that is not provably its", async () => {
      const t = await backend();
      const ada = await signUp(t, "ada@example.com");
      const bob = await signUp(t, "bob@example.com");
      const adaRow = (await pairOf(t, ada.userId)).row!;
      const bobRow = (await pairOf(t, bob.userId)).row!;
      const imported = await importClaiming(t, bob.userId);
      await app.deleteUser(t, ada.userId);
      await app.deleteUser(t, bob.userId);
      const after = await readTables(t, app);
      const left = after.rows.map((r) => r._id);
      expect(left).not.toContain(adaRow._id);
      if (single) {
        // Their records were their users documents: gone. The imported row
        // names Bob only from the app's side; with references on both
        // sides, that proves nothing and it stays. (With the app's alone,
        // it is the one row naming him, which makes it his.)
        expect(left).not.toContain(bobRow._id);
        if (shape.usersRef !== undefined) {
          expect(after.appRows.map((r) => r._id)).toContain(imported);
        }
        expect(after.users).toEqual([]);
        expect(after.accounts).toEqual([]);
        expect(after.sessions).toEqual([]);
        return;
      }
      expect(left).toContain(imported);
      // With references on both sides Bob's row is provably his; with the
      // app's alone, two rows name him, so neither is, until a person says.
      if (shape.usersRef !== undefined) expect(left).not.toContain(bobRow._id);
      else expect(left).toContain(bobRow._id);
      expect(after.users).toEqual([]);
      expect(after.accounts).toEqual([]);
      expect(after.sessions).toEqual([]);
    });
  });
}
