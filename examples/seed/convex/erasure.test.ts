/**
 * Erasure (issue 17): after any account deletion, no document anywhere
 * holds the person's personal data, the audit log and the review queue
 * included; the audit log is trimmed by its retention job; a person can
 * export their own data, and an operator anyone's.
 */
import { CLI_ACTOR } from "convex-auth-user-sync";
import { ERASE_PAGE } from "convex-auth-user-sync/internals";
import { makeFunctionReference } from "convex/server";
import { describe, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api";
import schema from "./schema";
import { requestCode, signInAction, signInOrThrow } from "./signIn.helpers";
import {
  type Backend,
  expectAppError,
  insertLegacyRow,
  makeAdmin,
  newBackend,
  newBackendWithAppCode,
  newBackendWithFastPasswords,
  openCases,
  runDueFunctions,
  signInWithOAuth,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 4, 1, 9, 0, 0);
useFakeClock(T0);
const DAY = 24 * 60 * 60 * 1000;

/** What Ada leaves in the deployment, each a string only she holds. */
const ADA = {
  email: "ada.erasure@example.com",
  providerName: "Ada Provider-Name",
  name: "Ada Chosen-Name",
  adminName: "Ada Edited-By-Admin",
  company: "Analytical Engines Ltd",
  adminCompany: "Difference Engines plc",
  role: "Countess of Computing",
  template: "Ada's private plan for the engine",
};

/**
 * Ada signs in, edits her profile and a template, is made an administrator
 * and syncs herself from the app (an entry with her as the actor), and an
 * operator edits both her rows (entries with her values before and after).
 * A case about her is on the review queue. Grace, who stays, is there too.
 */
async function adaWithHistory(t: Backend) {
  const ada = await signInWithOAuth(t, {
    providerAccountId: "gh-ada",
    profile: { name: ADA.providerName, email: ADA.email },
  });
  const grace = await signInWithOAuth(t, {
    providerAccountId: "gh-grace",
    profile: { name: "Grace Hopper", email: "grace@example.com" },
  });
  await ada.asUser.mutation(api.users.updateUserProfile, {
    name: ADA.name,
    company: ADA.company,
    role: ADA.role,
  });
  const authUserId = await t.run(async (ctx) => {
    const user = await ctx.db.get("users", ada.userId);
    const row = await ctx.db.get("auth_users", user!.auth_user_id!);
    // The app's own data of her: a template she wrote in.
    const [template] = await ctx.db
      .query("starter_templates")
      .withIndex("by_owner_id_and_key", (q) => q.eq("owner_id", row!._id))
      .take(1);
    await ctx.db.patch("starter_templates", template!._id, {
      body: ADA.template,
    });
    // A case about her, as a sign-in records one.
    await ctx.db.insert("sync_reviews", {
      kind: "duplicate_account",
      key: `duplicate_account:${ada.userId}`,
      user_id: ada.userId,
      row_ids: [row!._id],
      email: ADA.email,
      detail:
        "A second account proved an address another account's row holds verified.",
      first_seen_at: Date.now(),
    });
    return row!._id;
  });
  await makeAdmin(t, ADA.email);
  await ada.asUser.mutation(api.userSync.syncConvexUserToAuthUser, {
    userId: ada.userId,
  });
  await t.mutation(internal.admin.editUser, {
    userId: ada.userId,
    name: ADA.adminName,
  });
  await t.mutation(internal.admin.editAuthUser, {
    authUserId,
    company: ADA.adminCompany,
  });
  return { ada: { ...ada, authUserId }, grace };
}

/**
 * Every document of every table of the schema (and the scheduler's), as
 * JSON: the deleted person's strings must be in none of them.
 */
async function everyDocument(t: Backend): Promise<string[]> {
  return await t.run(async (ctx) => {
    const docs: string[] = [];
    for (const table of Object.keys(schema.tables)) {
      for (const doc of await ctx.db.query(table as never).collect()) {
        docs.push(`${table} ${JSON.stringify(doc)}`);
      }
    }
    for (const job of await ctx.db.system
      .query("_scheduled_functions")
      .collect()) {
      docs.push(`_scheduled_functions ${JSON.stringify(job)}`);
    }
    return docs;
  });
}

async function expectNoTraceOf(t: Backend, strings: readonly string[]) {
  await runDueFunctions(t);
  const docs = await everyDocument(t);
  for (const text of strings) {
    const holding = docs.filter((doc) =>
      doc.toLowerCase().includes(text.toLowerCase()),
    );
    expect(holding, `documents still holding "${text}"`).toEqual([]);
  }
}

const ADA_STRINGS = Object.values(ADA);

// The test-only app module (convex/appWrites.helpers.ts).
const deleteRowAsAppCode = makeFunctionReference<"mutation">(
  "appWrites:deleteRow",
);

describe("an account deletion leaves nothing of the person", () => {
  test("users:deleteAccount, the person's own", async () => {
    const t = newBackend();
    const { ada } = await adaWithHistory(t);
    await ada.asUser.mutation(api.users.deleteAccount, {});
    await expectNoTraceOf(t, ADA_STRINGS);
  });

  test("admin:deleteAccount keeps who, when, what and ids only", async () => {
    const t = newBackend();
    const { ada, grace } = await adaWithHistory(t);
    await t.mutation(internal.admin.deleteAccount, { id: ada.userId });
    await expectNoTraceOf(t, ADA_STRINGS);
    const [entry] = (
      await t.query(internal.reviews.auditLog, {
        paginationOpts: { numItems: 1, cursor: null },
      })
    ).page;
    expect(entry).toMatchObject({
      action: "admin:deleteAccount",
      actor: CLI_ACTOR.label,
      at: T0,
      summary: "Deleted the account",
    });
    expect(entry!.ids).toEqual(
      expect.arrayContaining([ada.userId, ada.authUserId]),
    );
    // Field names, never values.
    const fields = entry!.changes.filter((c) => c.id === ada.authUserId);
    expect(fields.map((c) => c.field)).toContain("company");
    for (const change of entry!.changes) {
      expect(change).not.toHaveProperty("before");
      expect(change).not.toHaveProperty("after");
    }
    // Grace's data is untouched, and a later command on her keeps its
    // values: an erasure marks its own transaction only.
    const graceNow = await t.run(
      async (ctx) => await ctx.db.get("users", grace.userId),
    );
    expect(graceNow?.name).toBe("Grace Hopper");
    await t.mutation(internal.admin.editUser, {
      userId: grace.userId,
      name: "Grace B. Hopper",
    });
    const [edit] = (
      await t.query(internal.reviews.auditLog, {
        paginationOpts: { numItems: 1, cursor: null },
      })
    ).page;
    expect(edit!.changes).toContainEqual(
      expect.objectContaining({
        field: "name",
        before: "Grace Hopper",
        after: "Grace B. Hopper",
      }),
    );
  });

  test("admin:deleteRecord on the users row", async () => {
    const t = newBackend();
    const { ada } = await adaWithHistory(t);
    await t.mutation(internal.admin.deleteRecord, { id: ada.userId });
    await expectNoTraceOf(t, ADA_STRINGS);
  });

  test("admin:deleteRecord on the auth_users row", async () => {
    const t = newBackend();
    const { ada } = await adaWithHistory(t);
    await t.mutation(internal.admin.deleteRecord, { id: ada.authUserId });
    await expectNoTraceOf(t, ADA_STRINGS);
  });

  test("app code deleting either row through the triggers", async () => {
    for (const table of ["users", "auth_users"] as const) {
      const t = newBackendWithAppCode();
      const { ada } = await adaWithHistory(t);
      await t.mutation(deleteRowAsAppCode, {
        id: table === "users" ? ada.userId : ada.authUserId,
      });
      await expectNoTraceOf(t, ADA_STRINGS);
    }
  });

  test("a person with more audit entries than one transaction scrubs", async () => {
    const t = newBackend();
    const { ada } = await adaWithHistory(t);
    for (let i = 0; i < ERASE_PAGE + 20; i++) {
      await t.mutation(internal.admin.editAuthUser, {
        authUserId: ada.authUserId,
        role: `${ADA.role} ${i}`,
      });
    }
    await t.mutation(internal.admin.deleteAccount, { id: ada.userId });
    // The deletion scrubbed a page and left the rest to its job.
    const scheduled = await t.run(
      async (ctx) =>
        await ctx.db.system.query("_scheduled_functions").collect(),
    );
    expect(scheduled.map((job) => job.name)).toContain(
      "auditLog:eraseAuditTraces",
    );
    await expectNoTraceOf(t, ADA_STRINGS);
  });

  test("a password account with a failed sign-in (Convex Auth's rate limit)", async () => {
    const t = newBackendWithFastPasswords();
    const password = "a long enough password";
    const ada = await signInOrThrow(t, "password", {
      email: ADA.email,
      password,
      flow: "signUp",
    });
    await ada.asUser.mutation(api.users.updateUserProfile, {
      company: ADA.company,
    });
    await expect(
      signInAction(t, "password", {
        email: ADA.email,
        password: "a wrong password",
        flow: "signIn",
      }),
    ).rejects.toThrow();
    // Convex Auth counts the failure against the account's id.
    const limits = await t.run(
      async (ctx) => await ctx.db.query("authRateLimits").collect(),
    );
    expect(limits).toHaveLength(1);
    await ada.asUser.mutation(api.users.deleteAccount, {});
    await expectNoTraceOf(t, [ADA.email, ADA.company]);
  });

  test("a resolution that retires a row", async () => {
    const t = newBackend();
    // Two legacy rows share Ken's address; Ken signs in, and an operator
    // retires the one that is no one's. Its own strings must go.
    const stale = await insertLegacyRow(t, {
      email: "ken@example.com",
      full_name: "Kenneth Stale-Row",
      company: "Stale Row Corp",
      role: "Stale Role",
    });
    await insertLegacyRow(t, { email: "ken@example.com", company: "Kept" });
    const ken = await signInWithOAuth(t, {
      providerAccountId: "gh-ken",
      profile: { name: "Ken", email: "ken@example.com" },
    });
    await t.mutation(internal.admin.editAuthUser, {
      authUserId: stale,
      role: "Stale Role Edited",
    });
    const view = (
      await t.query(internal.reviews.openCases, {
        paginationOpts: { numItems: 10, cursor: null },
      })
    ).page.find((c) => c.rows.some((row) => row.id === stale))!;
    expect(view.user?._id).toBe(ken.userId);
    await t.mutation(internal.reviews.retire, {
      reviewId: view.review._id,
      version: view.version,
      rowId: stale,
      note: "Kenneth Stale-Row left in 2019",
    });
    await expectNoTraceOf(t, [
      "Kenneth Stale-Row",
      "Stale Row Corp",
      "Stale Role",
    ]);
  });
});

/**
 * A legacy row imported with an address that is not yet a key: a dry run
 * records the key its first phase would give the row.
 */
async function insertImportedLin(t: Backend) {
  return await t.run(async (ctx) =>
    ctx.db.insert("auth_users", {
      email: "Lin.Import@Example.com",
      full_name: "Lin Import",
      created_at: 1,
      updated_at: 1,
    }),
  );
}

describe("a dry run's log", () => {
  test("holds no address of a row deleted since (found by review)", async () => {
    const t = newBackend();
    const lin = await insertImportedLin(t);
    await t.mutation(internal.userSync.syncAllUsers, { dryRun: true });
    await runDueFunctions(t);
    const planned = await t.run(async (ctx) =>
      ctx.db.query("sync_run_planned_keys").collect(),
    );
    expect(planned.map((key) => key.email)).toEqual(["lin.import@example.com"]);
    await t.mutation(internal.admin.deleteRecord, { id: lin });
    await expectNoTraceOf(t, ["lin.import@example.com", "Lin Import"]);
  });
});

describe("upgrading an audit log written before erasures could find it", () => {
  test("indexAuditSubjects gives older entries the rows an erasure finds them by", async () => {
    const t = newBackend();
    const { ada } = await adaWithHistory(t);
    // An entry as an older version wrote it: no subject rows, and the
    // administrator only in the actor label.
    const old = await t.run(async (ctx) => {
      const id = await ctx.db.insert("sync_audit", {
        action: "admin:editUser",
        actor: `users:${ada.userId} ${ADA.email}`,
        ids: [ada.userId],
        changes: [
          {
            table: "users",
            id: ada.userId,
            field: "name",
            before: "Ada Before-The-Upgrade",
            after: ADA.name,
          },
        ],
        summary: "Set name",
        at: Date.now(),
      });
      return id;
    });
    const first = await t.mutation(internal.auditLog.indexAuditSubjects, {});
    expect(first.indexed).toBe(1);
    expect(
      (await t.mutation(internal.auditLog.indexAuditSubjects, {})).indexed,
    ).toBe(0);
    await ada.asUser.mutation(api.users.deleteAccount, {});
    await expectNoTraceOf(t, [...ADA_STRINGS, "Ada Before-The-Upgrade"]);
    const entry = await t.run(async (ctx) => ctx.db.get("sync_audit", old));
    expect(entry?.erased).toBe(true);
  });
});

describe("the audit log's retention", () => {
  test("the job deletes entries older than the days it keeps, a page at a time", async () => {
    const t = newBackend();
    // 250 old entries (more than one page) and one recent.
    await t.run(async (ctx) => {
      for (let i = 0; i < 250; i++) {
        await ctx.db.insert("sync_audit", {
          action: "admin:setStatus",
          actor: CLI_ACTOR.label,
          ids: [],
          changes: [],
          summary: `old ${i}`,
          at: Date.now(),
        });
      }
    });
    vi.advanceTimersByTime(40 * DAY);
    await t.run(async (ctx) => {
      await ctx.db.insert("sync_audit", {
        action: "admin:setStatus",
        actor: CLI_ACTOR.label,
        ids: [],
        changes: [],
        summary: "recent",
        at: Date.now(),
      });
    });
    const first = await t.mutation(internal.auditLog.purgeAuditLog, {
      days: 30,
    });
    // One page per transaction; the rest is left to the job it scheduled.
    expect(first.deleted).toBeLessThan(250);
    expect(first.more).toBe(true);
    await runDueFunctions(t);
    const left = await t.run(async (ctx) =>
      (await ctx.db.query("sync_audit").collect()).map((e) => e.summary),
    );
    expect(left).toEqual(["recent"]);
  });

  test("an entry's subject rows go with it", async () => {
    const t = newBackend();
    const { ada } = await adaWithHistory(t);
    const count = async () =>
      await t.run(async (ctx) => ({
        entries: (await ctx.db.query("sync_audit").collect()).length,
        subjects: (await ctx.db.query("sync_audit_subjects").collect()).length,
      }));
    const before = await count();
    expect(before.subjects).toBeGreaterThan(0);
    vi.advanceTimersByTime(31 * DAY);
    await t.mutation(internal.admin.editUser, {
      userId: ada.userId,
      name: "Ada Later",
    });
    await t.mutation(internal.auditLog.purgeAuditLog, { days: 30 });
    // One entry left (the edit), naming Ada's two rows.
    expect(await count()).toEqual({ entries: 1, subjects: 2 });
  });

  test("refuses a retention of less than a day", async () => {
    const t = newBackend();
    await expectAppError(
      t.mutation(internal.auditLog.purgeAuditLog, { days: 0 }),
      "INVALID_ARGUMENT",
    );
  });

  test("the seed's cron runs it", async () => {
    const crons = (await import("./crons")).default as unknown as {
      crons: Record<string, { name: string; args: unknown[] }>;
    };
    const jobs = Object.values(crons.crons);
    expect(jobs.some((job) => job.name === "auditLog:purgeAuditLog")).toBe(
      true,
    );
  });
});

describe("exporting a person's data", () => {
  test("users:exportMyData returns the caller's own data, templates included", async () => {
    const t = newBackend();
    const { ada, grace } = await adaWithHistory(t);
    const mine = await ada.asUser.query(api.users.exportMyData, {});
    expect(mine?.user?._id).toBe(ada.userId);
    expect(mine?.row?._id).toBe(ada.authUserId);
    expect(mine?.row?.company).toBe(ADA.adminCompany);
    expect(mine?.accounts).toEqual([
      { provider: "github", providerAccountId: "gh-ada" },
    ]);
    expect(JSON.stringify(mine?.app)).toContain(ADA.template);
    // Grace gets hers, never Ada's.
    const hers = await grace.asUser.query(api.users.exportMyData, {});
    expect(hers?.user?._id).toBe(grace.userId);
    expect(JSON.stringify(hers)).not.toContain(ADA.email);
    // Signed out: nothing.
    expect(await t.query(api.users.exportMyData, {})).toBeNull();
  });

  test("users:exportMyData takes no user id", async () => {
    const t = newBackend();
    const { ada, grace } = await adaWithHistory(t);
    await expect(
      grace.asUser.query(api.users.exportMyData, {
        userId: ada.userId,
      } as never),
    ).rejects.toThrow();
  });

  test("admin:exportUserData by email or id", async () => {
    const t = newBackend();
    const { ada } = await adaWithHistory(t);
    const byEmail = await t.query(internal.admin.exportUserData, {
      email: ADA.email,
    });
    const byId = await t.query(internal.admin.exportUserData, {
      id: ada.authUserId,
    });
    expect(byEmail).toEqual(byId);
    expect(byEmail.user?._id).toBe(ada.userId);
    expect(JSON.stringify(byEmail.app)).toContain(ADA.template);
  });
});

// Found by the second review: what an erasure reaches beyond the account.

async function holding(t: Backend, text: string) {
  await runDueFunctions(t);
  return (await everyDocument(t)).filter((doc) =>
    doc.toLowerCase().includes(text.toLowerCase()),
  );
}

/** Ken signs in; two legacy rows hold his address; one is someone else's. */
async function kenWithStaleRow(t: Backend) {
  const stale = await insertLegacyRow(t, {
    email: "ken@example.com",
    full_name: "Kenneth Stale-Row",
    company: "Stale Row Corp",
  });
  const kept = await insertLegacyRow(t, {
    email: "ken@example.com",
    company: "Kept Corp",
  });
  const ken = await signInWithOAuth(t, {
    providerAccountId: "gh-ken",
    profile: { name: "Ken Living", email: "ken@example.com" },
  });
  return { stale, kept, ken };
}

describe("erasure of a row kept apart from a living account", () => {
  test("the keep-separate note about the deleted row is erased with it", async () => {
    const t = newBackend();
    const { stale, ken } = await kenWithStaleRow(t);
    const view = (await openCases(t)).find((c) =>
      c.rows.some((row) => row.id === stale),
    )!;
    expect(view.user?._id).toBe(ken.userId);
    await t.mutation(internal.reviews.keepSeparate, {
      reviewId: view.review._id,
      version: view.version,
      userId: ken.userId,
      rowId: stale,
      note: "Kenneth Stale-Row is a different person",
    });
    // The stale row is deleted (an erasure of its person).
    await t.mutation(internal.admin.deleteRecord, { id: stale });
    expect(await holding(t, "Kenneth Stale-Row")).toEqual([]);
  });
});

describe("an audit entry that erased one person, naming another", () => {
  test("the other person's values go when they are erased later", async () => {
    const t = newBackend();
    const { kept, ken } = await kenWithStaleRow(t);
    const view = (await openCases(t)).find((c) =>
      c.rows.some((row) => row.id === kept),
    )!;
    // Ken is linked to the legacy row, retiring his fresh row: the entry
    // erased that row (marked erased) and records Ken's values on the kept
    // row.
    await t.mutation(internal.reviews.link, {
      reviewId: view.review._id,
      version: view.version,
      userId: ken.userId,
      rowId: kept,
      retireCurrent: await t.run(
        async (ctx) => (await ctx.db.get("users", ken.userId))!.auth_user_id!,
      ),
    });
    expect(
      (await holding(t, "Ken Living")).some((d) => d.startsWith("sync_audit ")),
    ).toBe(true);
    // Ken deletes his account.
    await ken.asUser.mutation(api.users.deleteAccount, {});
    expect(await holding(t, "Ken Living")).toEqual([]);
  });
});

describe("Convex Auth's tables after an erasure", () => {
  test("a mistyped emailed code leaves no address in authRateLimits", async () => {
    const t = newBackend();
    const email = "ada.otp@example.com";
    const code = await requestCode(t, "resend-otp", { email });
    const ada = await signInOrThrow(t, "resend-otp", { email, code });
    // Later she requests a code and mistypes it once.
    await requestCode(t, "resend-otp", { email });
    const wrong = await signInAction(t, "resend-otp", {
      email,
      code: "00000000",
    }).catch(() => null);
    expect(wrong).toBeNull();
    await t
      .withIdentity({ subject: `${ada.userId}|${ada.sessionId}` })
      .mutation(api.users.deleteAccount, {});
    expect(await holding(t, email)).toEqual([]);
  });
});

describe("a person with more than a page of planned keys", () => {
  test("every dry run's planned key of a deleted row goes", async () => {
    const t = newBackend();
    const lin = await insertImportedLin(t);
    for (let i = 0; i < 101; i++) {
      await t.mutation(internal.userSync.syncAllUsers, { dryRun: true });
      await runDueFunctions(t);
    }
    const planned = await t.run(async (ctx) =>
      ctx.db.query("sync_run_planned_keys").collect(),
    );
    expect(planned.length).toBe(101);
    await t.mutation(internal.admin.deleteRecord, { id: lin });
    expect(await holding(t, "lin.import@example.com")).toEqual([]);
  }, 120_000);
});

describe("an administrator's label on a case after the retention job", () => {
  test("an administrator who resolved a case, erased after the entry aged out, leaves no address", async () => {
    const t = newBackend();
    const ada = await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "Ada", email: "ada.admin@example.com" },
    });
    await makeAdmin(t, "ada.admin@example.com");
    const { stale } = await kenWithStaleRow(t);
    const view = (
      await ada.asUser.query(api.console.openCases, {
        paginationOpts: { numItems: 20, cursor: null },
      })
    ).page.find((c) => c.rows.some((row) => row.id === stale))!;
    await ada.asUser.mutation(api.console.dismiss, {
      reviewId: view.review._id,
      version: view.version,
    });
    // A year and a day later the retention job trims the log ...
    vi.advanceTimersByTime(366 * 24 * 60 * 60 * 1000);
    await t.mutation(internal.auditLog.purgeAuditLog, { days: 365 });
    await runDueFunctions(t);
    // ... and then Ada deletes her account.
    await ada.asUser.mutation(api.users.deleteAccount, {});
    expect(await holding(t, "ada.admin@example.com")).toEqual([]);
  });
});
