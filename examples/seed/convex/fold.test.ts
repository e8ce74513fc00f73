/**
 * The fold into one table, phase by phase (docs/fold.md): expand,
 * placeholders for people who never signed in, re-point, each rolled back;
 * a placeholder claimed only by a sign-in that proves its address; bad
 * commands refused with a code and no write.
 */
import { makeFunctionReference } from "convex/server";
import { describe, expect, test } from "vitest";
import { api, internal } from "./_generated/api";
import {
  back,
  forward,
  GRACE_ON_GITHUB,
  stage,
  templatesOf,
  twoPeople as bothPeople,
  folded as foldedPeople,
  openCaseOf,
} from "./fold.helpers";
import { signInViaOAuth } from "./signIn.helpers";
import { STARTER_TEMPLATES } from "./starterTemplates";
import {
  type Backend,
  checkConsistency,
  expectAppError,
  insertLegacyRow,
  newBackend,
  newBackendWithAppCode,
  readTables,
  runDueFunctions,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);

/** "Any other app code" (appWrites.helpers.ts, mounted as `appWrites`). */
const appWrites = {
  replaceAuthUser: makeFunctionReference<"mutation">(
    "appWrites:replaceAuthUser",
  ),
};

useFakeClock(T0);

/** Every table a fold command may write, for "writes nothing". */
async function everything(t: Backend) {
  const tables = await readTables(t);
  return await t.run(async (ctx) => ({
    ...tables,
    fold: await ctx.db.query("sync_fold").collect(),
    runs: await ctx.db.query("sync_runs").collect(),
    audit: await ctx.db.query("sync_audit").collect(),
  }));
}

/** Ada (who signed in before the fold, with her row's own values) and Grace. */
async function twoPeople(t: Backend) {
  const people = await bothPeople(t);
  await t.run(async (ctx) => {
    await ctx.db.patch("auth_users", people.adaRow, {
      company: "Analytical Engines",
      role: "engineer",
      is_admin: true,
    });
  });
  return people;
}

describe("fold", () => {
  test("two tables to re-pointed references: every value and template kept, each person's own", async () => {
    const t = newBackend();
    const { ada, adaRow, grace } = await twoPeople(t);
    expect(await stage(t)).toBe("two_tables");

    // 1. Expand: the row's own fields get a home on users.
    await forward(t, "expand");
    expect(await stage(t)).toBe("expanded");
    let tables = await readTables(t);
    expect(tables.users.find((u) => u._id === ada)).toMatchObject({
      company: "Analytical Engines",
      role: "engineer",
      isAdmin: true,
      createdAt: T0,
    });

    // 2. Placeholders: Grace, who never signed in, gets a users row that
    //    holds no address of a provider's.
    await forward(t, "placeholders");
    expect(await stage(t)).toBe("placeholders");
    tables = await readTables(t);
    const graceRow = tables.authUsers.find((a) => a._id === grace)!;
    const placeholder = tables.users.find(
      (u) => u._id === graceRow.convex_user_id,
    )!;
    expect(placeholder).toMatchObject({
      unclaimed: "grace@example.com",
      auth_user_id: grace,
      name: "Grace Hopper",
      company: "Navy",
      role: "admiral",
    });
    expect(placeholder.email).toBeUndefined();
    expect(placeholder.emailVerificationTime).toBeUndefined();
    // Her row is still a legacy row's: its address and verification as
    // they were.
    expect(graceRow.email).toBe("grace@example.com");
    expect(graceRow.email_verified).toBeUndefined();
    expect((await checkConsistency(t)).problems).toEqual([]);
    // The drift report sees a person waiting for their sign-in, no drift.
    const drift = await t.action(internal.driftReport.summary, {});
    expect(drift.consistent).toBe(true);
    expect(drift.users.findings).toEqual([
      { kind: "unclaimed_placeholder", count: 1, sampleIds: [placeholder._id] },
    ]);

    // 3. Re-point: every template names a users row.
    await forward(t, "repoint");
    expect(await stage(t)).toBe("repointed");
    expect(await templatesOf(t, placeholder._id)).toHaveLength(
      STARTER_TEMPLATES.length,
    );
    expect(await templatesOf(t, ada)).toHaveLength(STARTER_TEMPLATES.length);
    expect(await templatesOf(t, adaRow)).toEqual([]);
    expect(await templatesOf(t, grace)).toEqual([]);

    // 4. Grace signs in with GitHub, which vouches for her address: her new
    //    user takes over the placeholder, its templates and its row.
    const signedIn = await signInViaOAuth(t, "github", GRACE_ON_GITHUB);
    tables = await readTables(t);
    expect(tables.users.some((u) => u._id === placeholder._id)).toBe(false);
    const graceUser = tables.users.find((u) => u._id === signedIn.userId)!;
    expect(graceUser).toMatchObject({
      email: "grace@example.com",
      auth_user_id: grace,
      company: "Navy",
      role: "admiral",
      // Her legacy name counts as chosen: the provider's does not replace it.
      name: "Grace Hopper",
    });
    expect(graceUser.unclaimed).toBeUndefined();
    expect(tables.authUsers.find((a) => a._id === grace)!.convex_user_id).toBe(
      signedIn.userId,
    );
    expect(await templatesOf(t, signedIn.userId)).toHaveLength(
      STARTER_TEMPLATES.length,
    );
    expect((await checkConsistency(t)).problems).toEqual([]);
    const audit = await t.run(async (ctx) =>
      ctx.db.query("sync_audit").collect(),
    );
    expect(audit.map((entry) => entry.action)).toContain("fold:claim");
  });

  test("each phase rolls back with nothing lost: references, placeholders, stage", async () => {
    const t = newBackend();
    const { ada, adaRow, grace } = await twoPeople(t);
    const noEmail = await insertLegacyRow(t, { full_name: "Anonymous" });
    await forward(t, "expand");
    await forward(t, "placeholders");
    await forward(t, "repoint");
    const before = await readTables(t);

    await back(t, "repoint");
    expect(await stage(t)).toBe("placeholders");
    expect(await templatesOf(t, adaRow)).toHaveLength(STARTER_TEMPLATES.length);
    expect(await templatesOf(t, grace)).toHaveLength(STARTER_TEMPLATES.length);
    expect(await templatesOf(t, ada)).toEqual([]);

    await back(t, "placeholders");
    expect(await stage(t)).toBe("expanded");
    const after = await readTables(t);
    // The placeholders went; their rows are legacy rows again, as before.
    expect(after.users.filter((u) => u.unclaimed !== undefined)).toEqual([]);
    for (const id of [grace, noEmail]) {
      const row = after.authUsers.find((a) => a._id === id)!;
      expect(row.convex_user_id).toBeUndefined();
      expect(row.email_verified).toBeUndefined();
    }
    // Ada's pair and every value of it are as they were.
    expect(after.users.find((u) => u._id === ada)).toEqual(
      before.users.find((u) => u._id === ada),
    );
    expect(after.authUsers.find((a) => a._id === adaRow)).toEqual(
      before.authUsers.find((a) => a._id === adaRow),
    );

    await back(t, "expand");
    expect(await stage(t)).toBe("two_tables");
    // The expand fields stay in place.
    expect(
      (await readTables(t)).users.find((u) => u._id === ada)!.company,
    ).toBe("Analytical Engines");
  });

  test("rolling placeholders back gives what names a placeholder back to its row", async () => {
    const t = newBackend();
    const { grace } = await twoPeople(t);
    await forward(t, "expand");
    await forward(t, "placeholders");
    const placeholder = (await readTables(t)).users.find(
      (u) => u.unclaimed !== undefined,
    )!;
    // A template written with the users id (say, by code run early).
    await t.run(async (ctx) => {
      await ctx.db.insert("starter_templates", {
        owner_id: placeholder._id,
        key: "extra",
        title: "Extra",
        body: "",
        created_at: T0,
      });
    });
    await back(t, "placeholders");
    expect(await stage(t)).toBe("expanded");
    const tables = await readTables(t);
    expect(tables.users.some((u) => u._id === placeholder._id)).toBe(false);
    expect(await templatesOf(t, grace)).toHaveLength(
      STARTER_TEMPLATES.length + 1,
    );
    expect(tables.reviews).toEqual([]);
  });

  test("a legacy row two verified users could own gets a placeholder and keeps its case: nobody claims it", async () => {
    const t = newBackend();
    const { grace } = await twoPeople(t);
    await forward(t, "expand");
    // Two accounts verified Grace's address since, neither paired yet: which
    // of them, if either, is her is a person's question.
    for (const id of ["gh-1", "gh-2"]) {
      await t.run(async (ctx) => {
        await ctx.db.insert("users", {
          email: "grace@example.com",
          emailVerificationTime: T0,
          name: id,
        });
      });
    }
    await forward(t, "placeholders");
    expect(await stage(t)).toBe("placeholders");
    const tables = await readTables(t);
    const placeholder = tables.users.find(
      (u) =>
        u._id === tables.authUsers.find((a) => a._id === grace)!.convex_user_id,
    )!;
    expect(placeholder).toMatchObject({ unclaimed: "grace@example.com" });
    expect(
      tables.reviews.filter((review) => review.resolved_at === undefined),
    ).toEqual([
      expect.objectContaining({ kind: "ambiguous_email", row_ids: [grace] }),
    ]);
    // A new sign-in proving the address claims nothing: others verified it.
    const signedIn = await signInViaOAuth(t, "github", GRACE_ON_GITHUB);
    expect(
      (await readTables(t)).authUsers.find((a) => a._id === grace)!
        .convex_user_id,
    ).toBe(placeholder._id);
    expect(signedIn.userId).not.toBe(placeholder._id);
  });

  test("a dry run of each phase plans its changes and writes none of them", async () => {
    const t = newBackend();
    await twoPeople(t);
    await forward(t, "expand");
    const before = await readTables(t);
    const run = await forward(t, "placeholders", true);
    expect(await stage(t)).toBe("expanded");
    const after = await readTables(t);
    expect(after.users).toEqual(before.users);
    expect(after.authUsers).toEqual(before.authUsers);
    const planned = await t.query(internal.syncEngine.plannedChanges, {
      runId: run!._id,
      paginationOpts: { numItems: 50, cursor: null },
    });
    expect(planned.page.join("\n")).toContain("insert a placeholder");
  });
});

describe("claiming a placeholder", () => {
  const folded = (t: Backend) => foldedPeople(t, twoPeople);

  test("a sign-in that does not prove the address claims nothing", async () => {
    const t = newBackend();
    const { placeholder, grace } = await folded(t);
    // GitHub answers an unverified address.
    const stranger = await signInViaOAuth(t, "github", {
      ...GRACE_ON_GITHUB,
      id: 99,
      login: "stranger",
      emails: [{ email: "grace@example.com", primary: true, verified: false }],
    });
    const tables = await readTables(t);
    expect(tables.users.find((u) => u._id === placeholder._id)).toBeDefined();
    expect(await templatesOf(t, placeholder._id)).toHaveLength(
      STARTER_TEMPLATES.length,
    );
    expect(tables.authUsers.find((a) => a._id === grace)!.convex_user_id).toBe(
      placeholder._id,
    );
    const strangerUser = tables.users.find((u) => u._id === stranger.userId)!;
    expect(strangerUser.company).toBeUndefined();
    expect(tables.reviews.map((review) => review.kind)).toContain(
      "unverified_email_match",
    );
  });

  test("an app edit of the row's email moves the claim: the old address claims nothing, the new one does", async () => {
    const t = newBackendWithAppCode();
    const { grace, placeholder } = await folded(t);
    await t.mutation(appWrites.replaceAuthUser, {
      id: grace,
      email: "Hopper@Navy.mil",
    });
    expect(
      (await readTables(t)).users.find((u) => u._id === placeholder._id),
    ).toMatchObject({ unclaimed: "hopper@navy.mil" });
    const old = await signInViaOAuth(t, "github", GRACE_ON_GITHUB);
    expect(
      (await readTables(t)).authUsers.find((a) => a._id === grace)!
        .convex_user_id,
    ).toBe(placeholder._id);
    const now = await signInViaOAuth(t, "github", {
      ...GRACE_ON_GITHUB,
      id: 8,
      login: "hopper",
      emails: [{ email: "hopper@navy.mil", primary: true, verified: true }],
    });
    expect(now.userId).not.toBe(old.userId);
    expect(
      (await readTables(t)).authUsers.find((a) => a._id === grace)!
        .convex_user_id,
    ).toBe(now.userId);
  });

  test("two people who never signed in with one address: neither is claimed, a person decides", async () => {
    const t = newBackend();
    const { placeholder } = await folded(t);
    await insertLegacyRow(t, { email: "grace@example.com", company: "Yale" });
    await forward(t, "placeholders");
    const signedIn = await signInViaOAuth(t, "github", GRACE_ON_GITHUB);
    const tables = await readTables(t);
    expect(tables.users.filter((u) => u.unclaimed !== undefined)).toHaveLength(
      2,
    );
    expect(tables.users.find((u) => u._id === signedIn.userId)!.company).toBe(
      undefined,
    );
    expect(await templatesOf(t, placeholder._id)).toHaveLength(
      STARTER_TEMPLATES.length,
    );
    expect(
      tables.reviews.find((review) => review.kind === "ambiguous_email"),
    ).toMatchObject({ user_id: signedIn.userId });
  });

  test("a person deciding a case links the user to one placeholder: the user takes it over", async () => {
    const t = newBackend();
    const { grace, placeholder } = await folded(t);
    await insertLegacyRow(t, { email: "grace@example.com", company: "Yale" });
    await forward(t, "placeholders");
    const signedIn = await signInViaOAuth(t, "github", GRACE_ON_GITHUB);
    const ownRow = (await readTables(t)).authUsers.find(
      (a) => a.convex_user_id === signedIn.userId,
    )!;
    const view = await openCaseOf(t, "ambiguous_email");
    await t.mutation(internal.reviews.link, {
      reviewId: view.review._id,
      version: view.version,
      userId: signedIn.userId,
      rowId: grace,
      retireCurrent: ownRow._id,
      note: "Grace confirmed by phone",
    });
    const tables = await readTables(t);
    expect(tables.users.some((u) => u._id === placeholder._id)).toBe(false);
    expect(tables.users.find((u) => u._id === signedIn.userId)).toMatchObject({
      auth_user_id: grace,
      company: "Navy",
      name: "Grace Hopper",
    });
    expect(await templatesOf(t, signedIn.userId)).toHaveLength(
      STARTER_TEMPLATES.length,
    );
    expect(await templatesOf(t, placeholder._id)).toEqual([]);
    // The other person who never signed in keeps their placeholder.
    expect(tables.users.filter((u) => u.unclaimed !== undefined)).toHaveLength(
      1,
    );
    expect((await checkConsistency(t)).problems).toEqual([]);
  });

  test("an operator finds a person who never signed in by email, and suspends them before their sign-in", async () => {
    const t = newBackend();
    const { grace, placeholder } = await folded(t);
    const found = await t.query(internal.userSync.getUserByEmail, {
      email: "GRACE@example.com",
    });
    expect(found).toMatchObject({ company: "Navy" });
    await t.mutation(internal.admin.setStatus, {
      email: "grace@example.com",
      status: "suspended",
    });
    const tables = await readTables(t);
    expect(tables.authUsers.find((a) => a._id === grace)!.status).toBe(
      "suspended",
    );
    expect(tables.users.find((u) => u._id === placeholder._id)!.status).toBe(
      "suspended",
    );
    await expect(
      signInViaOAuth(t, "github", GRACE_ON_GITHUB),
    ).rejects.toThrow();
    expect(
      (await readTables(t)).users.some((u) => u._id === placeholder._id),
    ).toBe(true);
  });

  test("a person suspended before they ever signed in stays suspended", async () => {
    const t = newBackend();
    const { grace, placeholder } = await folded(t);
    await t.run(async (ctx) => {
      await ctx.db.patch("auth_users", grace, { status: "suspended" });
    });
    await expect(
      signInViaOAuth(t, "github", GRACE_ON_GITHUB),
    ).rejects.toThrow();
    const tables = await readTables(t);
    expect(tables.users.find((u) => u._id === placeholder._id)).toBeDefined();
    expect(await templatesOf(t, placeholder._id)).toHaveLength(
      STARTER_TEMPLATES.length,
    );
  });
});

describe("fold commands refuse bad input and write nothing", () => {
  async function refused(
    t: Backend,
    run: () => Promise<unknown>,
    code: "INVALID_ARGUMENT" | "CONFLICT",
  ) {
    const before = await everything(t);
    await expectAppError(run(), code);
    expect(await everything(t)).toEqual(before);
  }

  test("unknown phase, phase out of order, missing confirmation, a run already active", async () => {
    const t = newBackend();
    await twoPeople(t);
    await refused(
      t,
      () => t.mutation(internal.fold.startFoldPhase, { phase: "retire" }),
      "INVALID_ARGUMENT",
    );
    await refused(
      t,
      () => t.mutation(internal.fold.startFoldPhase, { phase: "repoint" }),
      "CONFLICT",
    );
    await refused(
      t,
      () => t.mutation(internal.fold.rollbackFoldPhase, { phase: "expand" }),
      "INVALID_ARGUMENT",
    );
    await refused(
      t,
      () =>
        t.mutation(internal.fold.rollbackFoldPhase, {
          phase: "expand",
          confirm: true,
        }),
      "CONFLICT",
    );
    // A run started and not yet driven is active.
    await t.mutation(internal.userSync.syncAllUsers, {});
    await refused(
      t,
      () => t.mutation(internal.fold.startFoldPhase, { phase: "expand" }),
      "CONFLICT",
    );
    await runDueFunctions(t);
  });
});

describe("the fold from the web console", () => {
  test("an administrator moves the fold to one table and back, each move audited as theirs; retire and a rollback need the confirmation", async () => {
    const t = newBackend();
    const { ada } = await foldedPeople(t);
    await t.mutation(internal.admin.setAdmin, { id: ada, isAdmin: true });
    const admin = await signInViaOAuth(t, "github", {
      id: 1815,
      login: "ada",
      name: "Ada",
      email: null,
      emails: [{ email: "ada@example.com", primary: true, verified: true }],
    });
    const moveFold = (args: {
      phase: string;
      direction: "forward" | "back";
      confirm?: boolean;
    }) => admin.asUser.mutation(api.console.moveFold, args);

    // Refused, and nothing moves: a rollback or retire without confirming.
    await expectAppError(
      moveFold({ phase: "repoint", direction: "back" }),
      "INVALID_ARGUMENT",
    );
    for (const phase of ["switch_reads", "stop_writes", "verify"]) {
      await moveFold({ phase, direction: "forward" });
      await runDueFunctions(t);
    }
    expect(await stage(t)).toBe("verified");
    await expectAppError(
      moveFold({ phase: "retire", direction: "forward" }),
      "INVALID_ARGUMENT",
    );
    expect(await stage(t)).toBe("verified");
    await moveFold({ phase: "verify", direction: "back", confirm: true });
    expect(await stage(t)).toBe("writes_stopped");
    await moveFold({ phase: "verify", direction: "forward" });
    await runDueFunctions(t);
    await moveFold({ phase: "retire", direction: "forward", confirm: true });
    await runDueFunctions(t);
    expect(await stage(t)).toBe("retired");
    expect((await readTables(t)).authUsers).toEqual([]);

    const audit = await t.run(async (ctx) =>
      ctx.db.query("sync_audit").collect(),
    );
    // A move with a run is its run's start, named after the move; one with
    // none (verify back) is the move itself.
    // The fold came to `repointed` from the CLI; the rest is the console's.
    const moves = audit
      .filter(
        (entry) =>
          entry.action.startsWith("fold:") ||
          (entry.action === "run:start" && entry.summary.includes('"fold:')),
      )
      .slice(3);
    expect(
      moves.map((entry) =>
        entry.action === "run:start"
          ? /"(fold:[^"]+)"/.exec(entry.summary)![1]
          : entry.action,
      ),
    ).toEqual([
      "fold:switch_reads",
      "fold:stop_writes",
      "fold:verify",
      "fold:rollback:verify",
      "fold:verify",
      "fold:retire",
    ]);
    for (const entry of moves) {
      expect(entry.actor).toContain(`users:${admin.userId}`);
    }
  });
});
