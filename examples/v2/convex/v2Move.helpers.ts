/**
 * The v1 -> v2 move's test app: this v2 app, whose schema keeps v1's
 * `authAccounts` as an app keeps v1's tables until the move is done
 * (docs/v2-move.md, step 7; convex/schema.ts), and its people as v1 left
 * them. v1's other tables (sessions, tokens, codes) are left out: the move
 * reads none of them.
 */
import type { Id } from "./_generated/dataModel";
import schema from "./schema";
import { inComponent, type TestConvex } from "./signIn.helpers";

/** A v1 identity, as v1 wrote it. */
export type V1Account = {
  provider: string;
  providerAccountId: string;
  secret?: string;
  emailVerified?: string;
};

/**
 * A person as v1 left them: a user (v1 wrote `users` itself), its member
 * paired with it, and its v1 identities. Seeding v1's data, which v2's
 * flows cannot make; nothing here writes a v2 component.
 */
export async function v1Person(
  t: TestConvex,
  person: { email: string; name?: string; accounts: V1Account[] },
): Promise<{ userId: Id<"users">; accountIds: string[] }> {
  return await t.run(async (ctx) => {
    const userId = await ctx.db.insert("users", {
      email: person.email,
      emailVerificationTime: 1,
      name: person.name,
    });
    await ctx.db.insert("members", {
      userId,
      email: person.email,
      emailVerified: true,
      fullName: person.name,
      joinedAt: 1,
    });
    const db = ctx.db as unknown as {
      insert(
        table: "authAccounts",
        doc: Record<string, unknown>,
      ): Promise<string>;
    };
    const accountIds: string[] = [];
    for (const account of person.accounts) {
      accountIds.push(await db.insert("authAccounts", { userId, ...account }));
    }
    return { userId, accountIds };
  });
}

/** A real v1 password hash (lucia's Scrypt, from scryptHash.test.ts). */
export const V1_SCRYPT_SECRET =
  "9b1a3f6e2c8d4a7b5e0f1c2d3e4a5b6c:" + "ab".repeat(64);

/** Every document of the app's tables and of each component's, to compare. */
export async function everything(t: TestConvex): Promise<unknown> {
  const tables = Object.keys(schema.tables);
  const app = await t.run(async (ctx) => {
    const out: Record<string, unknown[]> = {};
    for (const table of tables) {
      out[table] = await ctx.db.query(table as never).collect();
    }
    return out;
  });
  return { app, github: await githubAccounts(t) };
}

/** The GitHub component's accounts: `providerAccountId -> userId`. */
export async function githubAccounts(
  t: TestConvex,
): Promise<Record<string, string>> {
  const rows = (await inComponent(
    t,
    "authGithub",
    async (ctx) => await ctx.db.query("accounts").collect(),
  )) as unknown as { providerAccountId: string; userId: string }[];
  return Object.fromEntries(
    rows.map((row) => [row.providerAccountId, row.userId]),
  );
}
