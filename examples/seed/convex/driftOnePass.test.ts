/**
 * The drift summary reads both tables in one pass; it finds what the per-table pages find.
 */
import { describe, expect, test } from "vitest";
import { internal } from "./_generated/api";
import {
  type Backend,
  newBackend,
  seedMix,
  useFakeClock,
} from "./test.helpers";

useFakeClock(Date.UTC(2026, 5, 1));

type F = { kind: string; count: number };
type Page = {
  report: { findings: F[] };
  isDone: boolean;
  continueCursor: string;
};
type Summary = { users: { findings: F[] }; rows: { findings: F[] } };
async function perTable(t: Backend, table: "users" | "rows", pageSize: number) {
  const acc = new Map<string, number>();
  let cursor: string | null = null;
  for (;;) {
    const r: Page = await t.query(internal.driftReport.page, {
      table,
      cursor,
      pageSize,
    });
    for (const f of r.report.findings)
      acc.set(f.kind, (acc.get(f.kind) ?? 0) + f.count);
    if (r.isDone) break;
    cursor = r.continueCursor;
  }
  return Object.fromEntries<number>([...acc].sort());
}
async function both(t: Backend, pageSize: number) {
  const s: Summary = await t.action(internal.driftReport.summary, { pageSize });
  const flat = (fs: F[]) =>
    Object.fromEntries<number>(
      fs.map((f): [string, number] => [f.kind, f.count]).sort(),
    );
  return { users: flat(s.users.findings), rows: flat(s.rows.findings) };
}

async function seedDamage(t: Backend) {
  await seedMix(t, 40);
  await t.run(async (ctx) => {
    const at = 1_700_000_000_000;
    const paired = await ctx.db.insert("users", {
      name: "P",
      email: "p@example.com",
      emailVerificationTime: at,
    });
    const row = await ctx.db.insert("auth_users", {
      convex_user_id: paired,
      email: "p@example.com",
      email_verified: true,
      created_at: at,
      updated_at: at,
    });
    await ctx.db.patch("users", paired, { auth_user_id: row });
    // duplicates and claims on one user
    for (let i = 0; i < 3; i++) {
      await ctx.db.insert("auth_users", {
        convex_user_id: paired,
        email: ` P${i}@example.com`,
        created_at: at,
        updated_at: at,
      });
    }
    // a user pointing at someone else's pair
    await ctx.db.insert("users", {
      name: "E",
      email: "e@example.com",
      emailVerificationTime: at,
      auth_user_id: row,
    });
    // a user pointing at a deleted row, a row naming a deleted user
    const gone = await ctx.db.insert("auth_users", {
      email: "g@example.com",
      created_at: at,
      updated_at: at,
    });
    await ctx.db.insert("users", {
      name: "G",
      email: "g2@example.com",
      auth_user_id: gone,
    });
    const goneUser = await ctx.db.insert("users", { name: "GU" });
    await ctx.db.insert("auth_users", {
      convex_user_id: goneUser,
      email: "gu@example.com",
      email_verified: true,
      created_at: at,
      updated_at: at,
    });
    await ctx.db.insert("auth_users", {
      convex_user_id: goneUser,
      email: "gu2@example.com",
      created_at: at,
      updated_at: at,
    });
    await ctx.db.delete("auth_users", gone);
    await ctx.db.delete("users", goneUser);
  });
}

describe("drift summary (both, one pass) vs the per-table pages", () => {
  for (const pageSize of [1, 2, 3, 7, 200]) {
    test(`page size ${pageSize}`, async () => {
      const t = newBackend();
      await seedDamage(t);
      const expected = {
        users: await perTable(t, "users", 200),
        rows: await perTable(t, "rows", 200),
      };
      expect(await both(t, pageSize)).toEqual(expected);
    });
  }
});
