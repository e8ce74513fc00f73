/**
 * What the audit log records (found by reviews): every document a command
 * wrote, not only those the case named, its triggers' writes included, and
 * never a secret of Convex Auth's; and a case's version covers what it
 * showed, whom each row is paired with included.
 */
import { CLI_ACTOR } from "convex-auth-user-sync";
import { boundAuditValue } from "convex-auth-user-sync/internals";
import { Triggers } from "convex-helpers/server/triggers";
import { describe, expect, test } from "vitest";
import { internal } from "./_generated/api";
import type { DataModel } from "./_generated/dataModel";
import { requestCode, signInOrThrow } from "./signIn.helpers";
import { userSync } from "./sync";
import {
  insertLegacyRow,
  newBackend,
  newBackendWithFastPasswords,
  readTables,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 4, 1, 9, 0, 0);
useFakeClock(T0);
const page = { numItems: 10, cursor: null };

/**
 * A row R names V, who does not name it back; Grace names R. Syncing Grace
 * records the `reference_conflict` case for R.
 */
async function graceClaimsVsRow(t: ReturnType<typeof newBackend>) {
  const ids = await t.run(async (ctx) => {
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
  await t.mutation(internal.userSync.syncUser, { userId: ids.grace });
  return ids;
}

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
    const { v, r, grace } = await graceClaimsVsRow(t);
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
    const { v, r } = await graceClaimsVsRow(t);
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

/** Every audit entry, newest first. */
async function auditEntries(t: ReturnType<typeof newBackend>) {
  return (await t.query(internal.reviews.auditLog, { paginationOpts: page }))
    .page;
}

/** Ada signs up with a password and requests a reset code: secrets stored. */
async function adaWithSecrets() {
  const t = newBackendWithFastPasswords();
  const ada = await signInOrThrow(t, "password", {
    email: "ada@example.com",
    password: "correct horse battery",
    flow: "signUp",
  });
  await requestCode(t, "password-code", {
    email: "ada@example.com",
    flow: "reset",
  }).catch(() => undefined);
  const stored = await t.run(async (ctx) => ({
    accounts: await ctx.db.query("authAccounts").collect(),
    sessions: await ctx.db.query("authSessions").collect(),
    tokens: await ctx.db.query("authRefreshTokens").collect(),
    codes: await ctx.db.query("authVerificationCodes").collect(),
  }));
  const user = (await readTables(t)).users[0]!;
  expect(user._id).toBe(ada.userId);
  expect(stored.accounts.some((a) => a.secret !== undefined)).toBe(true);
  expect(stored.tokens.length).toBeGreaterThan(0);
  return { t, userId: user._id, stored };
}

/** Every value an entry holds, as text, to look for secrets in. */
function allText(entries: unknown[]): string {
  return JSON.stringify(entries);
}

describe("what the audit log keeps (found by review)", () => {
  test("deleting an account records Convex Auth's documents without their secrets", async () => {
    const { t, userId, stored } = await adaWithSecrets();
    await t.mutation(internal.admin.deleteAccount, { id: userId });
    const entries = await auditEntries(t);
    const [entry] = entries;
    expect(entry!.action).toBe("admin:deleteAccount");
    const account = stored.accounts[0]!;
    // The account's deletion is there, which it was (by id and field
    // names: the values were the person's, see erasure.test.ts) ...
    expect(entry!.changes).toContainEqual({
      table: "authAccounts",
      id: account._id,
      field: "providerAccountId",
    });
    // ... and no secret: not the hash, not a code, not a refresh token.
    const text = allText(entries);
    for (const a of stored.accounts) {
      if (a.secret !== undefined) expect(text).not.toContain(a.secret);
    }
    for (const code of stored.codes) expect(text).not.toContain(code.code);
    for (const token of stored.tokens) expect(text).not.toContain(token._id);
    expect(entry!.changes.some((c) => c.field === "secret")).toBe(false);
  });

  test("a suspension records the sessions it ended, not the refresh tokens", async () => {
    const { t, userId, stored } = await adaWithSecrets();
    await t.mutation(internal.admin.setStatus, {
      id: userId,
      status: "suspended",
    });
    const left = await t.run(async (ctx) =>
      ctx.db.query("authRefreshTokens").collect(),
    );
    expect(left).toEqual([]);
    const entries = await auditEntries(t);
    expect(entries[0]!.ids).toEqual(
      expect.arrayContaining(stored.sessions.map((s) => s._id)),
    );
    const text = allText(entries);
    for (const token of stored.tokens) expect(text).not.toContain(token._id);
  });

  test("what the sync's triggers write for a command is in its entry", async () => {
    const { t, userId, stored } = await adaWithSecrets();
    // An edit of `users` that suspends: the triggers end the sessions.
    await t.mutation(internal.admin.editUser, {
      userId,
      status: "suspended",
    });
    const [edit] = await auditEntries(t);
    expect(edit!.action).toBe("admin:editUser");
    for (const session of stored.sessions) {
      expect(edit!.ids).toContain(session._id);
    }
    // Deleting the `users` row: the triggers delete its row and accounts.
    await t.mutation(internal.admin.deleteRecord, { id: userId });
    const [deletion] = await auditEntries(t);
    expect(deletion!.action).toBe("admin:deleteRecord");
    for (const account of stored.accounts) {
      expect(deletion!.ids).toContain(account._id);
    }
    expect(
      await t.run(async (ctx) => ctx.db.query("authAccounts").collect()),
    ).toEqual([]);
  });

  test("writes that name no table, or go through db.table(), are recorded", async () => {
    const t = newBackend();
    const rowId = await insertLegacyRow(t, { email: "ken@example.com" });
    await t.run(async (ctx) => {
      await userSync.audited(
        ctx,
        { action: "test:write", actor: CLI_ACTOR, targets: [], summary: "x" },
        async () => {
          // eslint-disable-next-line @convex-dev/explicit-table-ids -- the old form is what is tested
          await ctx.db.patch(rowId, { company: "Old form" });
          // db.table() is newer than convex-test's types.
          const tables = ctx.db as unknown as {
            table: (name: "auth_users") => {
              patch: (id: typeof rowId, value: object) => Promise<void>;
            };
          };
          await tables.table("auth_users").patch(rowId, { role: "Table" });
        },
      );
    });
    const [entry] = await auditEntries(t);
    expect(entry!.changes).toContainEqual({
      table: "auth_users",
      id: rowId,
      field: "company",
      after: "Old form",
    });
    expect(entry!.changes).toContainEqual({
      table: "auth_users",
      id: rowId,
      field: "role",
      after: "Table",
    });
  });

  test("a second audited command in one transaction fails, whichever ends first, and ctx.db is left as it was", async () => {
    const t = newBackend();
    const rowId = await insertLegacyRow(t, { email: "ken@example.com" });
    for (const [first, second] of [
      [0, 5],
      [5, 0],
    ] as const) {
      const outcome = await t.run(async (ctx) => {
        const db = ctx.db;
        const command = (company: string, reads: number) =>
          userSync.audited(
            ctx,
            { action: "test:side", actor: CLI_ACTOR, targets: [], summary: "" },
            async () => {
              for (let i = 0; i < reads; i++) {
                await ctx.db.query("users").first();
              }
              await ctx.db.patch("auth_users", rowId, { company });
            },
          );
        const results = await Promise.allSettled([
          command("A", first),
          command("B", second),
        ]);
        const error = results
          .map((r) =>
            r.status === "rejected" ? (r.reason as Error).message : null,
          )
          .find((message) => message !== null);
        return { error, restored: ctx.db === db };
      });
      expect(outcome).toEqual({
        error:
          "An audited command is already running in this transaction: run them in turn",
        restored: true,
      });
    }
    // One inside another is refused the same way.
    await expect(
      t.run(async (ctx) => {
        const entry = {
          action: "test:nested",
          actor: CLI_ACTOR,
          targets: [],
          summary: "",
        };
        await userSync.audited(ctx, entry, async () => {
          await userSync.audited(ctx, entry, async () => {});
        });
      }),
    ).rejects.toThrow("already running");
    // And the next transaction audits as ever.
    await t.run(async (ctx) => {
      await userSync.audited(
        ctx,
        { action: "test:after", actor: CLI_ACTOR, targets: [], summary: "" },
        async () => {
          await ctx.db.patch("auth_users", rowId, { company: "After" });
        },
      );
    });
    expect((await auditEntries(t))[0]!.action).toBe("test:after");
  });

  test("a document inserted through the app's triggers is recorded as created", async () => {
    const t = newBackend();
    const triggers = new Triggers<DataModel>();
    userSync.registerTriggers(triggers);
    const userId = await t.run(async (raw) => {
      const ctx = { ...raw, ...triggers.wrapDB(raw) };
      return await userSync.audited(
        ctx,
        { action: "test:insert", actor: CLI_ACTOR, targets: [], summary: "" },
        async () =>
          await ctx.db.insert("users", {
            email: "ken@example.com",
            name: "Ken",
            emailVerificationTime: T0,
          }),
      );
    });
    const [entry] = await auditEntries(t);
    const changes = entry!.changes.filter((c) => c.id === userId);
    // Every field on the after side, none before, though the sync's trigger
    // patched the new user (its reference) inside the insert.
    expect(changes.map((c) => c.field)).toEqual(
      expect.arrayContaining(["email", "name", "emailVerificationTime"]),
    );
    expect(changes.every((c) => !("before" in c))).toBe(true);
  });

  test("a write naming no table, in a table the sync does not know, is recorded by id alone", async () => {
    const t = newBackend();
    const owner = await insertLegacyRow(t, { email: "ken@example.com" });
    const templateId = await t.run(async (ctx) =>
      ctx.db.insert("starter_templates", {
        owner_id: owner,
        key: "welcome",
        title: "Welcome",
        body: "secret-looking body",
        created_at: T0,
      }),
    );
    await t.run(async (ctx) => {
      await userSync.audited(
        ctx,
        { action: "test:unnamed", actor: CLI_ACTOR, targets: [], summary: "" },
        async () => {
          // eslint-disable-next-line @convex-dev/explicit-table-ids -- the old form is what is tested
          await ctx.db.patch(templateId, { title: "Changed" });
        },
      );
    });
    const [entry] = await auditEntries(t);
    expect(entry!.ids).toEqual([templateId]);
    expect(entry!.changes).toEqual([]);
  });

  test("values are bounded whatever their type: long strings, int64, bytes", async () => {
    const t = newBackend();
    const rowId = await insertLegacyRow(t, { email: "ken@example.com" });
    await t.run(async (ctx) => {
      await userSync.audited(
        ctx,
        { action: "test:values", actor: CLI_ACTOR, targets: [], summary: "" },
        async () => {
          await ctx.db.patch("auth_users", rowId, {
            company: "x".repeat(10_000),
          });
        },
      );
    });
    const [entry] = await auditEntries(t);
    const company = entry!.changes.find((c) => c.field === "company")!;
    expect(String(company.after)).toMatch(
      /^"x{1999}… \(10002 characters, truncated\)$/,
    );
    expect(boundAuditValue(5n)).toBe(5n);
    expect(boundAuditValue(new ArrayBuffer(900_000))).toBe("bytes:900000");
    expect(String(boundAuditValue({ blob: new ArrayBuffer(8) }))).toBe(
      '{"blob":bytes:8}… (16 characters, truncated)',
    );
    expect(String(boundAuditValue(10n ** 3000n))).toMatch(/truncated\)$/);
  });
});
