/**
 * The operator and account commands in single-table mode (the fold's stage
 * `writes_stopped` on, docs/fold.md): they read and write `users` alone.
 * auth_users' rows stay, frozen, until the retire phase: a suspension
 * leaves them as they were, an erasure takes the person's row with them,
 * an export shows it, and what would write the table (a link, a
 * retirement, a row deleted alone, a sync of a pair) is refused.
 */
import { suspendedHolder } from "convex-auth-user-sync/internals";
import { describe, expect, test } from "vitest";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { folded, stage, templatesOf, twoPeople } from "./fold.helpers";
import { requestCode, signInAction } from "./signIn.helpers";
import { STARTER_TEMPLATES } from "./starterTemplates";
import { userSync } from "./sync";
import {
  type Backend,
  expectAppError,
  newBackend,
  readTables,
  runDueFunctions,
  signInWithOAuth,
  useFakeClock,
} from "./test.helpers";

useFakeClock(Date.UTC(2026, 11, 1, 9, 0, 0));

/** An emailed-code sign-in (Resend OTP), code read from the stubbed email. */
async function signInWithCode(t: Backend, email: string) {
  const code = await requestCode(t, "resend-otp", { email });
  const result = await signInAction(t, "resend-otp", { email, code });
  if (result === null) throw new Error("the code sign-in failed");
  return result;
}

/**
 * Ada (GitHub, and a second account by emailed code under another
 * spelling of her address), Grace (a legacy row with templates, never
 * signed in), folded to `writes_stopped`: single-table mode.
 */
async function singleTableMode(
  t: Backend,
  beforeTheStop: (t: Backend) => Promise<void> = async () => {},
) {
  let adaByCode: Id<"users"> | undefined;
  const people = await folded(t, async (backend) => {
    const two = await twoPeople(backend);
    adaByCode = (await signInWithCode(backend, "Ada@Example.com")).userId;
    return two;
  });
  await beforeTheStop(t);
  for (const phase of ["switch_reads", "stop_writes"] as const) {
    await t.mutation(internal.fold.startFoldPhase, { phase });
    await runDueFunctions(t);
  }
  expect(await stage(t)).toBe("writes_stopped");
  return { ...people, adaByCode: adaByCode! };
}

/**
 * Ada's GitHub address becomes Grace's (who never signed in): her next
 * sign-in proves it, and is recorded for a person (verified_legacy_match).
 */
async function adaTakesGracesAddress(t: Backend) {
  await signInWithOAuth(t, {
    providerAccountId: "gh-ada",
    profile: { name: "Ada", email: "grace@example.com" },
  });
}

async function sessionsOf(t: Backend, userId: string) {
  return await t.run(async (ctx) =>
    (await ctx.db.query("authSessions").collect()).filter(
      (session) => session.userId === userId,
    ),
  );
}

async function auditCount(t: Backend) {
  return await t.run(
    async (ctx) => (await ctx.db.query("sync_audit").collect()).length,
  );
}

/** The message of the ConvexError `run` fails with (code checked). */
async function refusal(run: Promise<unknown>, code: string) {
  const error = await run.then(
    () => null,
    (e: unknown) => e as { data?: { code?: string; message?: string } },
  );
  expect(error?.data?.code).toBe(code);
  return error?.data?.message ?? "";
}

describe("operators in single-table mode: suspension", () => {
  test("suspending by id writes users alone and reaches the person's other method and spelling", async () => {
    const t = newBackend();
    const { ada, adaByCode } = await singleTableMode(t);
    const before = await readTables(t);
    const audits = await auditCount(t);
    expect(await sessionsOf(t, ada)).toHaveLength(1);
    expect(await sessionsOf(t, adaByCode)).toHaveLength(1);

    await t.mutation(internal.operators.suspend, { id: ada, note: "abuse" });

    const after = await readTables(t);
    // auth_users is no longer written: every row as it was.
    expect(after.authUsers).toEqual(before.authUsers);
    const status = (id: string) =>
      after.users.find((u) => u._id === id)?.status;
    expect(status(ada)).toBe("suspended");
    // The same address under another spelling and method: found by its
    // key's home on users, suspended and signed out too.
    expect(status(adaByCode)).toBe("suspended");
    expect(await sessionsOf(t, ada)).toEqual([]);
    expect(await sessionsOf(t, adaByCode)).toEqual([]);
    expect(await auditCount(t)).toBe(audits + 1);

    // Reactivating is per account, on users alone.
    await t.mutation(internal.operators.reactivate, { id: ada });
    const again = await readTables(t);
    expect(again.users.find((u) => u._id === ada)?.status).toBe("active");
    expect(again.users.find((u) => u._id === adaByCode)?.status).toBe(
      "suspended",
    );
    expect(again.authUsers).toEqual(before.authUsers);
  });

  test("a suspension's cascade reads at most 100 holders of the address: past them, a case for a person", async () => {
    const t = newBackend();
    const { ada } = await singleTableMode(t);
    // Unverified claims to Ada's address cost nothing to make, and the
    // key's index does not order by verification: more than the cascade
    // reads in one transaction (CASCADE_SCAN, 100).
    await t.run(async (ctx) => {
      for (let i = 0; i < 100; i++) {
        await ctx.db.insert("users", {
          email: "ada@example.com",
          emailKey: "ada@example.com",
          emailVerified: false,
        });
      }
    });

    await t.mutation(internal.operators.suspend, { id: ada });

    const { users, reviews } = await readTables(t);
    expect(users.find((u) => u._id === ada)?.status).toBe("suspended");
    expect(
      reviews
        .filter((review) => review.user_id === ada)
        .map((review) => [review.kind, review.email]),
    ).toEqual([["ambiguous_email", "ada@example.com"]]);
  });

  test("the sign-in's check finds a suspended holder of the address on users alone, and none once reactivated", async () => {
    const t = newBackend();
    const { ada, adaByCode } = await singleTableMode(t);
    await t.mutation(internal.operators.suspend, { id: ada });
    // A third spelling on Google: a third user (Convex Auth matches
    // addresses exactly). The sign-in path's own check is i16's sign-in
    // part; here, the check it calls with the mode it read.
    const { userId } = await signInWithOAuth(t, {
      provider: "google",
      providerAccountId: "g-ada",
      profile: { name: "Ada", email: "ADA@example.com" },
    }).catch(() => ({ userId: null }));
    const third = (await readTables(t)).users.find(
      (u) => u.email === "ADA@example.com",
    );
    expect(third, String(userId)).toBeDefined();
    const check = async (singleTable: boolean) =>
      await t.run(async (ctx) => {
        const user = (await ctx.db.get("users", third!._id))!;
        return (
          (
            await suspendedHolder(ctx, userSync.shape, user, null, {
              singleTable,
            })
          )?._id ?? null
        );
      });
    // The frozen rows say nothing of a suspension made after the stop.
    expect(await check(false)).toBeNull();
    expect([ada, adaByCode]).toContain(await check(true));

    await t.mutation(internal.operators.reactivate, { id: ada });
    await t.mutation(internal.operators.reactivate, { id: adaByCode });
    expect(await check(true)).toBeNull();
  });

  test("by email: a placeholder is found by its address key and suspended on users alone; an address two accounts hold names nobody", async () => {
    const t = newBackend();
    const { placeholder } = await singleTableMode(t);
    const before = await readTables(t);

    await t.mutation(internal.operators.suspend, {
      email: "GRACE@example.com",
    });

    const after = await readTables(t);
    expect(after.users.find((u) => u._id === placeholder._id)?.status).toBe(
      "suspended",
    );
    expect(after.authUsers).toEqual(before.authUsers);
    // Ada's two accounts both hold her address: name one by id.
    await expectAppError(
      t.mutation(internal.operators.suspend, { email: "ada@example.com" }),
      "INVALID_ARGUMENT",
    );
  });

  test("findUser lists every holder of the address on users, as users holds them now", async () => {
    const t = newBackend();
    const { ada, adaRow, adaByCode } = await singleTableMode(t);
    await t.mutation(internal.operators.suspend, { id: ada });

    const { candidates } = await t.query(internal.operators.findUser, {
      email: "ADA@example.com",
    });
    expect(candidates.map((c) => c.userId).sort()).toEqual(
      [ada, adaByCode].sort(),
    );
    const shown = candidates.find((c) => c.userId === ada)!;
    // The row is the one users stands for (its status written after the
    // stop), under the frozen row's id.
    expect(shown.rowId).toBe(adaRow);
    expect(shown.row?.status).toBe("suspended");
    const frozen = (await readTables(t)).authUsers.find(
      (row) => row._id === adaRow,
    );
    expect(frozen?.status).not.toBe("suspended");
  });
});

describe("operators in single-table mode: erasure and export", () => {
  test("deleteAccount leaves nothing of the person: user, sessions, accounts, templates, the old row, the address in cases", async () => {
    const t = newBackend();
    // A case naming Ada, recorded before the stop.
    const { ada, adaRow, placeholder, grace } = await singleTableMode(
      t,
      adaTakesGracesAddress,
    );
    const named = (await readTables(t)).reviews.filter(
      (r) => r.user_id === ada,
    );
    expect(named.length).toBeGreaterThan(0);
    expect(await templatesOf(t, ada)).toHaveLength(STARTER_TEMPLATES.length);

    await t.mutation(internal.operators.deleteAccount, { id: ada });
    await runDueFunctions(t);

    const tables = await readTables(t);
    expect(tables.users.some((u) => u._id === ada)).toBe(false);
    // Her frozen row goes with her: an erasure, not a maintenance write.
    expect(tables.authUsers.some((row) => row._id === adaRow)).toBe(false);
    expect(await templatesOf(t, ada)).toEqual([]);
    expect(await templatesOf(t, adaRow)).toEqual([]);
    expect(await sessionsOf(t, ada)).toEqual([]);
    const accounts = await t.run(async (ctx) =>
      (await ctx.db.query("authAccounts").collect()).filter(
        (account) => account.userId === ada,
      ),
    );
    expect(accounts).toEqual([]);
    // The cases naming her keep ids only (erasure.ts): no address, no note.
    for (const review of tables.reviews.filter((r) => r.user_id === ada)) {
      expect(review.email).toBeUndefined();
      expect(review.note).toBeUndefined();
    }
    // Grace is untouched: her placeholder, her row, her templates.
    expect(tables.users.some((u) => u._id === placeholder._id)).toBe(true);
    expect(tables.authUsers.some((row) => row._id === grace)).toBe(true);
    expect(await templatesOf(t, placeholder._id)).toHaveLength(
      STARTER_TEMPLATES.length,
    );
  });

  test("the account's own deleteAccount erases the person who never signed in too: placeholder, row, templates", async () => {
    const t = newBackend();
    const { placeholder } = await singleTableMode(t);
    const deleted = await t.mutation(internal.operators.deleteAccount, {
      id: placeholder._id,
    });
    // The placeholder, its row and three templates.
    expect(deleted.deleted).toBe(2 + STARTER_TEMPLATES.length);
    const left = await t.run(async (ctx) => {
      const docs: string[] = [];
      for (const table of [
        "users",
        "auth_users",
        "starter_templates",
        "sync_reviews",
        "sync_audit",
      ] as const) {
        for (const doc of await ctx.db.query(table).collect()) {
          docs.push(JSON.stringify(doc).toLowerCase());
        }
      }
      return docs;
    });
    for (const value of ["grace@example.com", "grace hopper", "navy"]) {
      expect(
        left.filter((doc) => doc.includes(value.toLowerCase())),
        value,
      ).toEqual([]);
    }
  });

  test("an export holds the user, the frozen row and the templates exportUser finds", async () => {
    const t = newBackend();
    const { ada, adaRow } = await singleTableMode(t);
    await t.mutation(internal.operators.suspend, { id: ada });

    const exported = await t.query(internal.admin.exportUserData, { id: ada });
    expect(exported.user?._id).toBe(ada);
    expect(exported.user?.status).toBe("suspended");
    // The row as it was frozen: its data is still held.
    const frozen = (await readTables(t)).authUsers.find(
      (row) => row._id === adaRow,
    );
    expect(exported.row).toEqual(frozen);
    expect(frozen?.status).not.toBe("suspended");
    expect(exported.accounts).toEqual([
      { provider: "github", providerAccountId: "gh-ada" },
    ]);
    expect(
      (exported.app as { templates: { key: string }[] }).templates
        .map((template) => template.key)
        .sort(),
    ).toEqual(STARTER_TEMPLATES.map((template) => template.key).sort());
  });
});

describe("operators in single-table mode: what would write the app table is refused", () => {
  /** A case naming Ada and Grace's row, recorded before the stop. */
  async function withCase(t: Backend) {
    const people = await singleTableMode(t, adaTakesGracesAddress);
    const { page } = await t.query(internal.operators.openCases, {
      paginationOpts: { numItems: 10, cursor: null },
    });
    const view = page.find((c) => c.review.kind === "verified_legacy_match");
    if (view === undefined) throw new Error("no verified_legacy_match case");
    return { ...people, view };
  }

  test("link and retire are CONFLICT and write nothing; keep_separate and dismiss work on users alone", async () => {
    const t = newBackend();
    const { grace, view } = await withCase(t);
    const userId = view.review.user_id!;
    const before = await readTables(t);
    const common = {
      reviewId: view.review._id,
      version: view.version,
    };
    expect(
      await refusal(
        t.mutation(internal.operators.resolveCase, {
          ...common,
          action: "link",
          userId,
          rowId: grace,
        }),
        "CONFLICT",
      ),
    ).toContain("single-table mode");
    expect(
      await refusal(
        t.mutation(internal.operators.resolveCase, {
          ...common,
          action: "retire",
          rowId: grace,
        }),
        "CONFLICT",
      ),
    ).toContain("single-table mode");
    expect(await readTables(t)).toEqual(before);

    await t.mutation(internal.operators.resolveCase, {
      ...common,
      action: "keep_separate",
      userId,
      rowId: grace,
    });
    const after = await readTables(t);
    expect(after.authUsers).toEqual(before.authUsers);
    const markers = await t.run(
      async (ctx) => await ctx.db.query("sync_separations").collect(),
    );
    expect(markers).toMatchObject([{ user_id: userId, row_id: grace }]);
    expect(
      after.reviews.find((r) => r._id === view.review._id)?.resolution,
    ).toBe("keep_separate");
  });

  test("deleteRow and syncUser are CONFLICT and write nothing", async () => {
    const t = newBackend();
    const { ada, grace } = await singleTableMode(t);
    const before = await readTables(t);
    const audits = await auditCount(t);
    expect(
      await refusal(
        t.mutation(internal.operators.deleteRow, { id: grace }),
        "CONFLICT",
      ),
    ).toContain("single-table mode");
    expect(
      await refusal(
        t.mutation(internal.operators.syncUser, { id: ada }),
        "CONFLICT",
      ),
    ).toContain("single-table mode");
    expect(await readTables(t)).toEqual(before);
    expect(await auditCount(t)).toBe(audits);
  });
});

describe("the drift report in single-table mode", () => {
  test("says so, checks users alone, and reports a verified address without its key's home", async () => {
    const t = newBackend();
    const { ada, placeholder } = await singleTableMode(t);
    let report = await t.action(internal.driftReport.summary, {});
    expect(report.mode).toBe("single_table");
    // A person waiting for their sign-in is no drift; the frozen rows are
    // not compared (nothing of them is checked).
    expect(report.consistent).toBe(true);
    expect(report.users.findings).toEqual([
      { kind: "unclaimed_placeholder", count: 1, sampleIds: [placeholder._id] },
    ]);
    expect(report.rows.checked).toBe(0);

    // A user whose address key lost its home: a lookup by address misses
    // it.
    await t.run(async (ctx) => {
      await ctx.db.patch("users", ada, { emailKey: undefined });
    });
    report = await t.action(internal.driftReport.summary, {});
    expect(report.consistent).toBe(false);
    expect(
      report.users.findings.find((f) => f.kind === "missing_email_key"),
    ).toEqual({ kind: "missing_email_key", count: 1, sampleIds: [ada] });
  });
});
