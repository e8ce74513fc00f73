/**
 * The drift report's one-pass summary (both tables merged in user-id order)
 * finds what its per-table pages find, whatever the page size, on damage of
 * every kind the report names.
 */
import { describe, expect, test } from "vitest";
import type { Backend, ConformanceApp } from "./app";

type Finding = { kind: string; count: number };
type Page = {
  report: { findings: Finding[] };
  isDone: boolean;
  continueCursor: string;
};
type Summary = {
  users: { findings: Finding[] };
  rows: { findings: Finding[] };
};

/** Counts by kind, in one order. */
function byKind(findings: Iterable<Finding>): Record<string, number> {
  const counts = new Map<string, number>();
  for (const { kind, count } of findings) {
    counts.set(kind, (counts.get(kind) ?? 0) + count);
  }
  return Object.fromEntries([...counts].sort());
}

/** Every page of one table, findings added up. */
async function perTable(
  t: Backend,
  app: ConformanceApp,
  table: "users" | "rows",
) {
  const findings: Finding[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page = (await t.query(app.driftPage, {
      table,
      cursor,
      pageSize: 200,
    })) as Page;
    findings.push(...page.report.findings);
    if (page.isDone) return byKind(findings);
    cursor = page.continueCursor;
  }
}

/** Pairs, users without rows, duplicates, legacy twins, imports, dangling. */
async function seedDamage(t: Backend, app: ConformanceApp) {
  const { table, appRef, usersRef } = app.userSync.shape;
  const legacy = (email: string, name: string) =>
    app.legacyRow({ email, name, now: 1 });
  await t.run(async (ctx) => {
    for (let i = 0; i < 12; i++) {
      const user = await ctx.db.insert("users", {
        name: `U${i}`,
        email: `u${i}@example.com`,
        ...(i % 3 === 0 ? {} : { emailVerificationTime: 1 }),
      });
      if (i % 4 === 0) continue;
      const name = i % 5 === 0 ? "drifted" : `U${i}`;
      const row = await ctx.db.insert(table, {
        ...legacy(`u${i}@example.com`, name),
        [appRef]: user,
      });
      if (usersRef !== undefined) {
        await ctx.db.patch("users", user, { [usersRef]: row });
      }
      if (i % 3 === 1) {
        await ctx.db.insert(table, {
          ...legacy(` U${i}@Example.com`, "second"),
          [appRef]: user,
        });
      }
    }
    for (const email of [
      "same@example.com",
      "same@example.com",
      "  Imported@Example.com",
      "alone@example.com",
    ]) {
      await ctx.db.insert(table, legacy(email, "legacy"));
    }
    const gone = await ctx.db.insert("users", { name: "gone" });
    await ctx.db.insert(table, {
      ...legacy("gone@example.com", "gone"),
      [appRef]: gone,
    });
    await ctx.db.delete("users", gone);
    if (usersRef !== undefined) {
      const deleted = await ctx.db.insert(table, legacy("d@example.com", "d"));
      await ctx.db.insert("users", {
        email: "d@example.com",
        [usersRef]: deleted,
      });
      await ctx.db.delete(table, deleted);
    }
  });
}

export function driftConformance(name: string, app: ConformanceApp): void {
  describe(`conformance: ${name}: the drift summary reads both tables in one pass`, () => {
    for (const pageSize of [1, 3, 7, 200]) {
      test(`and finds what the per-table pages find (pages of ${pageSize})`, async () => {
        const t = app.newBackend();
        await seedDamage(t, app);
        const expected = {
          users: await perTable(t, app, "users"),
          rows: await perTable(t, app, "rows"),
        };
        // The damage is there to find.
        expect(Object.keys(expected.rows).length).toBeGreaterThan(2);
        const summary = (await t.action(app.driftSummary, {
          pageSize,
        })) as Summary;
        expect({
          users: byKind(summary.users.findings),
          rows: byKind(summary.rows.findings),
        }).toEqual(expected);
      });
    }
  });
}
