/**
 * Helpers that drive the fold's phases in tests (docs/fold.md): a phase
 * started and run to its end, a rollback, the stage, templates as a legacy
 * app stored them. A multi-dot file, so the Convex CLI never deploys it.
 */
import type { FoldPhase } from "convex-auth-user-sync";
import { expect, vi } from "vitest";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { STARTER_TEMPLATES } from "./starterTemplates";
import {
  type Backend,
  insertLegacyRow,
  readTables,
  runDueFunctions,
  signInWithOAuth,
} from "./test.helpers";

/** Starts a phase (retire confirmed) and drives its run to the end. */
export async function forward(t: Backend, phase: FoldPhase, dryRun?: boolean) {
  const run = await t.mutation(internal.fold.startFoldPhase, {
    phase,
    dryRun,
    ...(phase === "retire" ? { confirm: true } : {}),
  });
  await runDueFunctions(t);
  return run;
}

/**
 * The fold driven to writes_stopped over Ada (signed in) and Grace (a
 * placeholder), writes stopped an hour after reads switched.
 */
export async function writesStopped(t: Backend) {
  const people = await folded(t);
  await forward(t, "switch_reads");
  vi.advanceTimersByTime(60 * 60 * 1000);
  await forward(t, "stop_writes");
  expect(await stage(t)).toBe("writes_stopped");
  return people;
}

/** Rolls a phase back and drives its run to the end. */
export async function back(t: Backend, phase: FoldPhase) {
  const run = await t.mutation(internal.fold.rollbackFoldPhase, {
    phase,
    confirm: true,
  });
  await runDueFunctions(t);
  return run;
}

/** Where the fold stands. */
export async function stage(t: Backend) {
  return (await t.query(internal.fold.foldStatus, {})).stage;
}

/** Templates as a legacy app stored them: owned by the row. */
export async function insertTemplates(
  t: Backend,
  ownerId: Id<"auth_users">,
): Promise<void> {
  await t.run(async (ctx) => {
    for (const template of STARTER_TEMPLATES) {
      await ctx.db.insert("starter_templates", {
        owner_id: ownerId,
        ...template,
        created_at: Date.now(),
      });
    }
  });
}

/** The templates whose owner is this id. */
export async function templatesOf(t: Backend, ownerId: string) {
  const { templates } = await readTables(t);
  return templates.filter((template) => template.owner_id === ownerId);
}

/** Ada signed in before the fold; Grace never did, and has templates. */
export async function twoPeople(t: Backend) {
  const ada = await signInWithOAuth(t, {
    providerAccountId: "gh-ada",
    profile: { name: "Ada", email: "ada@example.com" },
  });
  const adaRow = (await readTables(t)).authUsers[0]!;
  const grace = await insertLegacyRow(t, {
    email: "Grace@Example.com",
    full_name: "Grace Hopper",
    company: "Navy",
    role: "admiral",
  });
  await insertTemplates(t, grace);
  return { ada: ada.userId, adaRow: adaRow._id, grace };
}

/**
 * Every phase forward over the people `seed` makes (default: twoPeople),
 * and Grace's placeholder.
 */
export async function folded(t: Backend, seed: typeof twoPeople = twoPeople) {
  const people = await seed(t);
  await forward(t, "expand");
  await forward(t, "placeholders");
  await forward(t, "repoint");
  const { users } = await readTables(t);
  const placeholder = users.find((u) => u.unclaimed === "grace@example.com")!;
  return { ...people, placeholder };
}

/** The open case of this kind (the first of the queue's page). */
export async function openCaseOf(t: Backend, kind: string) {
  const [view] = (
    await t.query(internal.reviews.openCases, {
      paginationOpts: { numItems: 10, cursor: null },
    })
  ).page.filter((c) => c.review.kind === kind);
  if (view === undefined) throw new Error(`no open ${kind} case`);
  return view;
}

/** Grace on GitHub, which vouches for her address. */
export const GRACE_ON_GITHUB = {
  id: 7,
  login: "grace",
  name: "G. Hopper",
  email: null,
  emails: [{ email: "grace@example.com", primary: true, verified: true }],
};

/**
 * Starts a phase (one worker, a page of one) and makes its run fail after
 * its first page: the worker's own bookkeeping damaged, no document to
 * blame (as test.helpers.ts's failedRun). Returns the run's id and a
 * repair that puts the worker's cursor back, so that it can be resumed.
 */
export async function failedFoldRun(
  t: Backend,
  phase: FoldPhase,
  direction: "forward" | "back",
) {
  const options = { phase, pageSize: 1, workers: 1 };
  const run =
    direction === "forward"
      ? await t.mutation(internal.fold.startFoldPhase, options)
      : await t.mutation(internal.fold.rollbackFoldPhase, {
          ...options,
          confirm: true,
        });
  if (run === null) throw new Error("the phase had nothing to run");
  vi.advanceTimersByTime(0);
  await t.finishInProgressScheduledFunctions();
  const errors = vi.spyOn(console, "error").mockImplementation(() => {});
  const { id, cursor } = await t.run(async (ctx) => {
    const worker = (await ctx.db
      .query("sync_run_workers")
      .withIndex("by_run_id_and_phase_and_worker", (q) =>
        q.eq("run_id", run._id),
      )
      .first())!;
    await ctx.db.patch("sync_run_workers", worker._id, { cursor: "{damaged" });
    return { id: worker._id, cursor: worker.cursor };
  });
  await runDueFunctions(t);
  errors.mockRestore();
  const failed = await t.query(internal.syncEngine.getRun, { runId: run._id });
  if (failed?.status !== "failed") throw new Error("the run did not fail");
  const repair = async () =>
    await t.run(async (ctx) => {
      await ctx.db.patch("sync_run_workers", id, { cursor });
    });
  return { runId: run._id, repair };
}
