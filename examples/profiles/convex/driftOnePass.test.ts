/**
 * The drift summary reads both tables in one pass; it finds what the per-table pages find.
 * summary vs per-table pages, and engine K/page-size equivalence.
 */
import { describe, expect, test, vi } from "vitest";
import { internal } from "./_generated/api";
import { newBackend } from "./conformance.helpers";

type T = ReturnType<typeof newBackend>;
type F = { kind: string; count: number };
type Page = {
  report: { findings: F[] };
  isDone: boolean;
  continueCursor: string;
};
type Summary = { users: { findings: F[] }; rows: { findings: F[] } };
async function perTable(t: T, table: "users" | "rows") {
  const acc = new Map<string, number>();
  let cursor: string | null = null;
  for (;;) {
    const r: Page = await t.query(internal.userSync.page, {
      table,
      cursor,
      pageSize: 200,
    });
    for (const f of r.report.findings)
      acc.set(f.kind, (acc.get(f.kind) ?? 0) + f.count);
    if (r.isDone) break;
    cursor = r.continueCursor;
  }
  return Object.fromEntries<number>([...acc].sort());
}
async function both(t: T, pageSize: number) {
  const s: Summary = await t.action(internal.userSync.summary, { pageSize });
  const flat = (fs: F[]) =>
    Object.fromEntries<number>(
      fs.map((f): [string, number] => [f.kind, f.count]).sort(),
    );
  return { users: flat(s.users.findings), rows: flat(s.rows.findings) };
}

async function seed(t: T) {
  await t.run(async (ctx) => {
    const at = 1_700_000_000_000;
    for (let i = 0; i < 12; i++) {
      const u = await ctx.db.insert("users", {
        name: `U${i}`,
        email: `u${i}@example.com`,
        emailVerificationTime: i % 3 === 0 ? undefined : at,
      });
      if (i % 4 === 0) continue; // missing
      await ctx.db.insert("profiles", {
        userId: u,
        email: `u${i}@example.com`,
        emailVerified: i % 3 !== 0,
        displayName: i % 5 === 0 ? "drift" : `U${i}`,
        createdAt: at,
      });
      if (i % 3 === 1) {
        await ctx.db.insert("profiles", {
          userId: u,
          email: ` U${i}@Example.com`,
          createdAt: at,
        });
      }
    }
    for (let i = 0; i < 4; i++) {
      await ctx.db.insert("profiles", {
        email: i < 2 ? "same@example.com" : `legacy${i}@example.com`,
        createdAt: at,
      });
    }
    await ctx.db.insert("profiles", {
      email: "orph@example.com",
      emailVerified: true,
      createdAt: at,
    });
    const gone = await ctx.db.insert("users", { name: "gone" });
    await ctx.db.insert("profiles", {
      userId: gone,
      email: "gone@example.com",
      emailVerified: true,
      createdAt: at,
    });
    await ctx.db.delete("users", gone);
  });
}

describe("profiles drift summary vs per-table pages", () => {
  for (const pageSize of [1, 2, 3, 200]) {
    test(`page size ${pageSize}`, async () => {
      vi.useFakeTimers();
      const t = newBackend();
      await seed(t);
      const expected = {
        users: await perTable(t, "users"),
        rows: await perTable(t, "rows"),
      };
      expect(await both(t, pageSize)).toEqual(expected);
      vi.useRealTimers();
    });
  }
});
