/**
 * The fold's last runs (docs/fold.md): verify proves that `users` holds
 * everything the app table holds, retire deletes the table's rows, and the
 * rollback of stop_writes writes every row from its user first. A person's
 * change after writes stopped is written to `users` directly here (the
 * single-table sign-in and edits are tested where they are built).
 */
import { describe, expect, test, vi } from "vitest";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import {
  folded,
  forward,
  openCaseOf,
  stage,
  templatesOf,
  writesStopped,
} from "./fold.helpers";
import { STARTER_TEMPLATES } from "./starterTemplates";
import { userSync } from "./sync";
import {
  type Backend,
  checkConsistency,
  expectAppError,
  newBackend,
  readTables,
  runDueFunctions,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);

useFakeClock(T0);

/**
 * A person's edit after writes stopped, through the sync's profile edit:
 * `users` alone, the home's time stamped.
 */
async function editUser(t: Backend, userId: Id<"users">, company: string) {
  vi.advanceTimersByTime(60 * 1000);
  await t.run(async (ctx) => {
    const user = await ctx.db.get("users", userId);
    await userSync.ensurePair(ctx, user!, { company });
  });
}

/** The open cases. */
async function openReviews(t: Backend) {
  return (await readTables(t)).reviews.filter(
    (review) => review.resolved_at === undefined,
  );
}

describe("fold: verify", () => {
  test("a clean fold is proven: every row and template, no case, stage verified", async () => {
    const t = newBackend();
    await writesStopped(t);

    const run = await forward(t, "verify");

    expect(run?.plan).toEqual(["verify", "verify_ref:0"]);
    expect(await stage(t)).toBe("verified");
    expect(await openReviews(t)).toEqual([]);
    const done = await t.query(internal.syncEngine.getRun, {
      runId: run!._id,
    });
    const { authUsers, templates } = await readTables(t);
    expect(done?.counts.checked).toBe(authUsers.length + templates.length);
    expect(done?.counts.needingReview).toBe(0);
  });

  test("a row changed past the triggers, its user unchanged since writes stopped, is a case: the stage stays", async () => {
    const t = newBackend();
    const { adaRow } = await writesStopped(t);
    await t.run(async (ctx) => {
      await ctx.db.patch("auth_users", adaRow, { company: "Somewhere else" });
    });

    await forward(t, "verify");

    expect(await stage(t)).toBe("writes_stopped");
    const view = await openCaseOf(t, "reference_conflict");
    expect(view.review.row_ids).toEqual([adaRow]);
    expect(view.review.detail).toContain("company");
    expect(view.review.detail).toContain(
      "which did not change since writes stopped",
    );
  });

  test("a person who edited their user after writes stopped is no case: users is newer by right", async () => {
    const t = newBackend();
    const { ada, adaRow } = await writesStopped(t);
    await editUser(t, ada, "Analytical Engines Ltd");

    await forward(t, "verify");

    expect(await stage(t)).toBe("verified");
    expect(await openReviews(t)).toEqual([]);
    // The row still holds the value from before: only users was written.
    const { authUsers } = await readTables(t);
    expect(authUsers.find((row) => row._id === adaRow)?.company).not.toBe(
      "Analytical Engines Ltd",
    );
  });

  test("a user changed past the sync before writes stopped holds the stop back: the row must still equal its home", async () => {
    const t = newBackend();
    const { ada, adaRow } = await folded(t);
    await forward(t, "switch_reads");
    // Written past the sync, stamped as a person's edit would be, before
    // the stop.
    vi.advanceTimersByTime(60 * 1000);
    await t.run(async (ctx) => {
      await ctx.db.patch("users", ada, {
        company: "Before the stop",
        updatedAt: Date.now(),
        foldWrittenAt: { company: Date.now() },
      });
    });
    vi.advanceTimersByTime(60 * 1000);
    await forward(t, "stop_writes");

    expect(await stage(t)).toBe("reads_switched");
    expect((await openCaseOf(t, "reference_conflict")).review.row_ids).toEqual([
      adaRow,
    ]);
  });

  test("a template still owned by an app id is a case: the stage stays", async () => {
    const t = newBackend();
    const { adaRow } = await writesStopped(t);
    const template = await t.run(async (ctx) =>
      ctx.db.insert("starter_templates", {
        owner_id: adaRow,
        key: "imported",
        title: "Imported",
        body: "",
        created_at: Date.now(),
      }),
    );

    await forward(t, "verify");

    expect(await stage(t)).toBe("writes_stopped");
    const view = await openCaseOf(t, "reference_conflict");
    expect(view.review.row_ids).toEqual([adaRow]);
    expect(view.review.detail).toContain(template);
  });
});

describe("fold: retire", () => {
  test("retire deletes every row and the users' references to them; users and templates stay", async () => {
    const t = newBackend();
    const { grace, placeholder } = await writesStopped(t);
    await forward(t, "verify");
    const before = await readTables(t);

    await forward(t, "retire");

    expect(await stage(t)).toBe("retired");
    const after = await readTables(t);
    expect(after.authUsers).toEqual([]);
    expect(after.users.map((user) => user._id)).toEqual(
      before.users.map((user) => user._id),
    );
    expect(after.users.every((user) => user.auth_user_id === undefined)).toBe(
      true,
    );
    // The app's data hangs on users ids: onDeleteRow (which deletes a
    // row's templates) was not called.
    expect(after.templates).toEqual(before.templates);
    expect(await templatesOf(t, placeholder._id)).toHaveLength(
      STARTER_TEMPLATES.length,
    );
    expect(await templatesOf(t, grace)).toEqual([]);
    // Grace never signed in: her placeholder holds her row's values.
    expect(
      after.users.find((user) => user._id === placeholder._id),
    ).toMatchObject({
      company: "Navy",
      role: "admiral",
      fullName: "Grace Hopper",
    });
  });

  test("retire without confirm is INVALID_ARGUMENT and writes nothing", async () => {
    const t = newBackend();
    await writesStopped(t);
    await forward(t, "verify");
    const before = await t.run(async (ctx) => ({
      tables: await ctx.db.query("auth_users").collect(),
      users: await ctx.db.query("users").collect(),
      fold: await ctx.db.query("sync_fold").collect(),
      runs: await ctx.db.query("sync_runs").collect(),
    }));

    await expectAppError(
      t.mutation(internal.fold.startFoldPhase, { phase: "retire" }),
      "INVALID_ARGUMENT",
    );

    expect(
      await t.run(async (ctx) => ({
        tables: await ctx.db.query("auth_users").collect(),
        users: await ctx.db.query("users").collect(),
        fold: await ctx.db.query("sync_fold").collect(),
        runs: await ctx.db.query("sync_runs").collect(),
      })),
    ).toEqual(before);
  });

  test("retire has no rollback: INVALID_ARGUMENT", async () => {
    const t = newBackend();
    await writesStopped(t);
    await forward(t, "verify");
    await forward(t, "retire");

    await expectAppError(
      t.mutation(internal.fold.rollbackFoldPhase, {
        phase: "retire",
        confirm: true,
      }),
      "INVALID_ARGUMENT",
    );
    expect(await stage(t)).toBe("retired");
  });

  test("a row that fails its check again is kept with a case: the stage stays verified", async () => {
    const t = newBackend();
    const { adaRow } = await writesStopped(t);
    await forward(t, "verify");
    await t.run(async (ctx) => {
      await ctx.db.patch("auth_users", adaRow, { role: "changed past it all" });
    });

    await forward(t, "retire");

    expect(await stage(t)).toBe("verified");
    const { authUsers } = await readTables(t);
    expect(authUsers.map((row) => row._id)).toEqual([adaRow]);
    expect((await openCaseOf(t, "reference_conflict")).review.row_ids).toEqual([
      adaRow,
    ]);
  });
});

describe("fold: stop_writes rolled back", () => {
  test("rows_from_users writes each row from its user and gives a row to a person who signed up since; then reads_switched", async () => {
    const t = newBackend();
    const { ada, adaRow } = await writesStopped(t);
    await editUser(t, ada, "Changed since the stop");
    // A person who signed up while writes were stopped: users alone.
    const linus = await t.run(async (ctx) =>
      ctx.db.insert("users", {
        email: "linus@example.com",
        emailVerificationTime: Date.now(),
        name: "Linus",
        emailKey: "linus@example.com",
        emailVerified: true,
        fullName: "Linus",
        company: "Kernel",
        nameSource: "provider",
        createdAt: Date.now(),
        updatedAt: Date.now(),
      }),
    );

    const run = await t.mutation(internal.fold.rollbackFoldPhase, {
      phase: "stop_writes",
      confirm: true,
    });
    await runDueFunctions(t);

    expect(run?.plan).toEqual(["rows_from_users"]);
    expect(await stage(t)).toBe("reads_switched");
    expect(await openReviews(t)).toEqual([]);
    const { users, authUsers } = await readTables(t);
    expect(authUsers.find((row) => row._id === adaRow)).toMatchObject({
      company: "Changed since the stop",
      updated_at: users.find((user) => user._id === ada)!.updatedAt,
    });
    const linusRow = authUsers.find((row) => row.convex_user_id === linus)!;
    expect(linusRow).toMatchObject({
      email: "linus@example.com",
      email_verified: true,
      full_name: "Linus",
      company: "Kernel",
    });
    expect(users.find((user) => user._id === linus)?.auth_user_id).toBe(
      linusRow._id,
    );
    // Two tables again, each pair as the sync keeps it.
    expect((await checkConsistency(t)).problems).toEqual([]);
    // Stopping writes again stamps a new time: edits before it are no
    // person's since.
    vi.advanceTimersByTime(60 * 1000);
    const stopping = Date.now();
    await forward(t, "stop_writes");
    // Verify (its check) now finds every row equal to its user: nothing
    // was lost either way.
    await forward(t, "verify");
    expect(await stage(t)).toBe("verified");
    // Settled by the verify command: the time the stop's run ended.
    const record = await t.run(async (ctx) =>
      ctx.db.query("sync_fold").first(),
    );
    expect(record?.writes_stopped_at).toBeGreaterThanOrEqual(stopping);
  });

  test("a user whose reference is damaged is a case, not a guess: the stage stays writes_stopped", async () => {
    const t = newBackend();
    const { ada, adaRow } = await writesStopped(t);
    // Ada's row names someone else now (written past the triggers).
    const other = await t.run(async (ctx) => {
      const id = await ctx.db.insert("users", { name: "Other" });
      await ctx.db.patch("auth_users", adaRow, { convex_user_id: id });
      return id;
    });

    await t.mutation(internal.fold.rollbackFoldPhase, {
      phase: "stop_writes",
      confirm: true,
    });
    await runDueFunctions(t);

    expect(await stage(t)).toBe("writes_stopped");
    const cases = await openReviews(t);
    expect(cases.map((c) => [c.kind, c.user_id])).toContainEqual([
      "reference_conflict",
      ada,
    ]);
    // Neither Ada nor the other user was given a row, nor the row moved.
    const { authUsers } = await readTables(t);
    expect(authUsers.filter((row) => row.convex_user_id === other)).toEqual([
      expect.objectContaining({ _id: adaRow }),
    ]);
    expect(authUsers.some((row) => row.convex_user_id === ada)).toBe(false);
  });
});
