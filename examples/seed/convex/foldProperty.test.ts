/**
 * The fold's property (docs/fold.md): random sequences of sign-ins by every
 * method, profile edits, suspensions, deletions, out-of-band edits and
 * damage, interleaved with the fold's phases, their rollbacks and
 * interrupted runs, checked after every step against a model of who each
 * person is (foldProperty.helpers.ts): no person's data is lost or
 * attached to another person, a suspended person stays suspended, a
 * placeholder is claimed only by a provider-verified first sign-in for its
 * address.
 *
 * Seeded and reproducible. FC_SEED and FC_FOLD_RUNS override the defaults.
 */
import fc from "fast-check";
import {
  FOLD_PHASES,
  FOLD_STAGES,
  type FoldPhase,
} from "convex-auth-user-sync";
import { expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { isAppError } from "./errors";
import {
  captureEmails,
  codeIn,
  requestCode,
  signInAction,
  signInViaOAuth,
} from "./signIn.helpers";
import {
  type Backend,
  newBackendWithFastPasswords,
  runDueFunctions,
  signInWithOAuth,
  useFakeClock,
} from "./test.helpers";
import {
  type Before,
  checkInvariants,
  githubId,
  googleSub,
  ownValue,
  PEOPLE,
  readAll,
  snapshot,
  type StepFacts,
  type World,
} from "./foldProperty.helpers";
import { STARTER_TEMPLATES } from "./starterTemplates";

const SEED = Number(process.env.FC_SEED ?? 20261206);
const RUNS = Number(process.env.FC_FOLD_RUNS ?? 400);
const MIN_STEPS = 20;
const MAX_STEPS = 32;

useFakeClock(Date.UTC(2026, 11, 6));

const who = fc.integer({ min: 0, max: PEOPLE.length - 1 });
const PHASES = FOLD_PHASES;
type Phase = FoldPhase;
const phase = fc.constantFrom<Phase>(...PHASES);
const STAGES_IN_ORDER: readonly string[] = FOLD_STAGES;
/**
 * Where a sequence starts: most from two tables, the others with the fold
 * moved on first (every phase run to its end), so that the last stages,
 * seven moves away, are reached and left again within a sequence.
 */
const startAt = fc.constantFrom(
  "two_tables",
  "two_tables",
  "repointed",
  "reads_switched",
  "writes_stopped",
  "verified",
);

type Step =
  | {
      kind: "oauth";
      who: number;
      path: "store" | "github" | "google";
      address: "own" | "ownUnverified" | "othersUnverified";
      other: number;
    }
  | { kind: "password"; who: number; provider: "password" | "password-code" }
  | { kind: "emailCode"; who: number; provider: "resend-otp" | "resend" }
  | { kind: "editProfile"; who: number; role: boolean }
  | { kind: "setStatus"; who: number; status: "active" | "suspended" }
  | { kind: "deleteAccount"; who: number; by: "self" | "operator" }
  | {
      kind: "damage";
      who: number;
      edit:
        "clearRowRef" | "clearUserRef" | "editRow" | "editUser" | "deleteRow";
    }
  | {
      kind: "fold";
      /** The next phase forward, the latest one back, or any (refused if out of order). */
      move: "next" | "back" | "any";
      phase: Phase;
      back: boolean;
      pageSize: number;
      workers: number;
      drive: "all" | "page";
    }
  | { kind: "drive" }
  | { kind: "failPage" }
  | { kind: "resume" };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("oauth" as const),
      who,
      path: fc.constantFrom(
        "store" as const,
        "store" as const,
        "store" as const,
        "store" as const,
        "github" as const,
        "google" as const,
      ),
      address: fc.constantFrom(
        "own" as const,
        "own" as const,
        "ownUnverified" as const,
        "othersUnverified" as const,
      ),
      other: who,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("password" as const),
      who,
      provider: fc.constantFrom("password" as const, "password-code" as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("emailCode" as const),
      who,
      provider: fc.constantFrom("resend-otp" as const, "resend" as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("editProfile" as const),
      who,
      role: fc.boolean(),
    }),
  },
  fc.record({
    kind: fc.constant("setStatus" as const),
    who,
    status: fc.constantFrom("active" as const, "suspended" as const),
  }),
  fc.record({
    kind: fc.constant("deleteAccount" as const),
    who,
    by: fc.constantFrom("self" as const, "operator" as const),
  }),
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("damage" as const),
      who,
      edit: fc.constantFrom(
        "clearRowRef" as const,
        "clearUserRef" as const,
        "editRow" as const,
        "editUser" as const,
        "deleteRow" as const,
      ),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("fold" as const),
      move: fc.constantFrom(
        "next" as const,
        "next" as const,
        "next" as const,
        "back" as const,
        "any" as const,
      ),
      phase,
      back: fc.boolean(),
      pageSize: fc.constantFrom(2, 4, 100),
      workers: fc.constantFrom(1, 1, 2),
      drive: fc.constantFrom("all" as const, "all" as const, "page" as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("drive" as const) }) },
  fc.record({ kind: fc.constant("failPage" as const) }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("resume" as const) }) },
);

/** Any outcome of a call: its value, or its error. */
async function outcome<T>(run: () => Promise<T>) {
  return await run().then(
    (value) => ({ value, error: null }),
    (error: unknown) => ({ value: null, error }),
  );
}

function expectCode(error: unknown, ...codes: string[]) {
  expect(
    isAppError(error) && codes.includes(error.data.code),
    `expected ${codes.join("|")}, got ${String(error)}`,
  ).toBe(true);
}

/** A person's users rows (those the model knows to be theirs), as last read. */
function usersOf(world: World, person: number) {
  return world.seen!.users.filter(
    (u) => world.userOwner.get(u._id) === person && u.unclaimed === undefined,
  );
}

/** A person's rows, as last read. */
function rowsOf(world: World, person: number) {
  return world.seen!.rows.filter((r) => world.rowOwner.get(r._id) === person);
}

/** The worker of the active run, if one is running. */
async function runningWorker(t: Backend) {
  return await t.run(async (ctx) => {
    const run = await ctx.db
      .query("sync_runs")
      .withIndex("by_status", (q) => q.eq("status", "running"))
      .first();
    if (run === null) return null;
    const workers = await ctx.db
      .query("sync_run_workers")
      .withIndex("by_run_id_and_phase_and_worker", (q) =>
        q.eq("run_id", run._id),
      )
      .collect();
    return workers.find((worker) => worker.status === "running") ?? null;
  });
}

/** A sign-in's session (none when refused), recorded for its person. */
function signedIn(
  world: World,
  person: number,
  session: {
    userId: Id<"users">;
    asUser: ReturnType<Backend["withIdentity"]>;
  } | null,
) {
  if (session === null) return;
  world.sessions.set(person, session);
}

async function apply(world: World, s: Step): Promise<StepFacts> {
  const { t } = world;
  switch (s.kind) {
    case "oauth": {
      const own = PEOPLE[s.who]!;
      const email = s.address === "othersUnverified" ? PEOPLE[s.other]! : own;
      const verified = s.address === "own";
      const attempt = await outcome(async () => {
        if (s.path === "store") {
          return await signInWithOAuth(t, {
            providerAccountId: String(githubId(s.who)),
            profile: {
              name: `Person ${s.who}`,
              email,
              emailVerified: verified,
            },
          });
        }
        if (s.path === "github") {
          return await signInViaOAuth(t, "github", {
            id: githubId(s.who),
            login: `p${s.who}`,
            email: null,
            emails: [{ email, primary: true, verified }],
          });
        }
        return await signInViaOAuth(t, "google", {
          sub: googleSub(s.who),
          email,
          email_verified: verified,
        });
      });
      signedIn(world, s.who, attempt.value);
      return {
        provedBy: verified && attempt.value !== null ? s.who : undefined,
      };
    }
    case "password": {
      const email = PEOPLE[s.who]!;
      const key = `${s.provider}:${email}`;
      const exists = world.seen!.accounts.some(
        (a) => a.provider === s.provider && a.providerAccountId === email,
      );
      if (!exists) world.passwords.set(key, s.who);
      const password = `secret of ${s.who}`;
      if (s.provider === "password") {
        const attempt = await outcome(() =>
          signInAction(t, "password", {
            email,
            password,
            flow: exists ? "signIn" : "signUp",
          }),
        );
        signedIn(world, s.who, attempt.value);
        // A password proves no address.
        return {};
      }
      if (exists) {
        const attempt = await outcome(() =>
          signInAction(t, "password-code", { email, password, flow: "signIn" }),
        );
        signedIn(world, s.who, attempt.value);
        return {};
      }
      const attempt = await outcome(async () => {
        const { emails } = await captureEmails(() =>
          signInAction(t, "password-code", { email, password, flow: "signUp" }),
        );
        return await signInAction(t, "password-code", {
          email,
          code: codeIn(emails[0]!),
          flow: "email-verification",
        });
      });
      signedIn(world, s.who, attempt.value);
      return { provedBy: attempt.value !== null ? s.who : undefined };
    }
    case "emailCode": {
      const email = PEOPLE[s.who]!;
      const attempt = await outcome(async () => {
        const code = await requestCode(t, s.provider, { email });
        return await signInAction(
          t,
          s.provider === "resend-otp" ? s.provider : undefined,
          s.provider === "resend-otp" ? { email, code } : { code },
        );
      });
      signedIn(world, s.who, attempt.value);
      return { provedBy: attempt.value !== null ? s.who : undefined };
    }
    case "editProfile": {
      const session = world.sessions.get(s.who);
      if (session === undefined) return {};
      const value = ownValue(s.who, world.next++);
      const result = await outcome(() =>
        session.asUser.mutation(api.users.updateUserProfile, {
          company: value,
          ...(s.role ? { role: `R${s.who}-${world.next}` } : {}),
        }),
      );
      if (result.error === null) world.company.set(s.who, new Set([value]));
      return {};
    }
    case "setStatus": {
      // The person's account, or the row of a person who never signed in.
      const [user] = usersOf(world, s.who);
      const [row] = rowsOf(world, s.who);
      const id = user?._id ?? row?._id;
      if (id === undefined) return {};
      const result = await outcome(() =>
        t.mutation(internal.admin.setStatus, { id, status: s.status }),
      );
      if (result.error !== null) {
        expectCode(result.error, "CONFLICT", "NOT_FOUND");
        return {};
      }
      if (s.status === "suspended") world.suspended.add(id);
      else {
        // Reactivated: whichever of the person's records the check learned
        // the suspension on (see checkInvariants).
        for (const suspended of [...world.suspended]) {
          if (
            (world.userOwner.get(suspended) ??
              world.rowOwner.get(suspended)) === s.who
          ) {
            world.suspended.delete(suspended);
          }
        }
      }
      return {};
    }
    case "deleteAccount": {
      if (s.by === "self") {
        const session = world.sessions.get(s.who);
        if (session === undefined) return {};
        const result = await outcome(() =>
          session.asUser.mutation(api.users.deleteAccount, {}),
        );
        if (result.error === null) forget(world, s.who);
        return { mayRemovePlaceholders: true };
      }
      const [user] = usersOf(world, s.who);
      if (user === undefined) return {};
      await t.mutation(internal.admin.deleteAccount, { id: user._id });
      forget(world, s.who);
      return { mayRemovePlaceholders: true };
    }
    case "damage":
      await damage(world, s);
      return { mayRemovePlaceholders: true };
    case "fold": {
      const { stage } = await t.query(internal.fold.foldStatus, {});
      const at = STAGES_IN_ORDER.indexOf(stage);
      const { phase, back } =
        s.move === "next"
          ? { phase: PHASES[at] ?? s.phase, back: at >= PHASES.length }
          : s.move === "back"
            ? { phase: PHASES[at - 1] ?? s.phase, back: at > 0 }
            : s;
      const started = await outcome(() =>
        back
          ? t.mutation(internal.fold.rollbackFoldPhase, {
              phase,
              confirm: true,
              pageSize: s.pageSize,
              workers: s.workers,
            })
          : t.mutation(internal.fold.startFoldPhase, {
              phase,
              pageSize: s.pageSize,
              workers: s.workers,
              // Retiring deletes the app table's rows: confirmed.
              ...(phase === "retire" ? { confirm: true } : {}),
            }),
      );
      if (started.error !== null) {
        // Out of order, a run already active, or retire rolled back:
        // refused.
        expectCode(started.error, "CONFLICT", "INVALID_ARGUMENT");
        return {};
      }
      if (s.drive === "all") await runDueFunctions(t);
      else {
        // One page, the rest left pending for later steps.
        vi.advanceTimersByTime(0);
        await t.finishInProgressScheduledFunctions();
      }
      return { mayRemovePlaceholders: true };
    }
    case "drive":
      await runDueFunctions(t);
      return { mayRemovePlaceholders: true };
    case "failPage": {
      // The active run's next page throws (its worker's bookkeeping
      // damaged); the run fails, and the cause is mended after.
      const worker = await runningWorker(t);
      if (worker === null) return {};
      await t.run(async (ctx) =>
        ctx.db.patch("sync_run_workers", worker._id, { cursor: "{damaged" }),
      );
      const errors = vi.spyOn(console, "error").mockImplementation(() => {});
      await runDueFunctions(t);
      errors.mockRestore();
      await t.run(async (ctx) =>
        ctx.db.patch("sync_run_workers", worker._id, { cursor: worker.cursor }),
      );
      return { mayRemovePlaceholders: true };
    }
    case "resume": {
      const failed = await t.run(async (ctx) =>
        ctx.db
          .query("sync_runs")
          .withIndex("by_status", (q) => q.eq("status", "failed"))
          .first(),
      );
      if (failed === null) return {};
      const resumed = await outcome(() =>
        t.mutation(internal.syncEngine.resumeRun, { runId: failed._id }),
      );
      if (resumed.error !== null) {
        expectCode(resumed.error, "INVALID_ARGUMENT", "CONFLICT");
        return {};
      }
      await runDueFunctions(t);
      return { mayRemovePlaceholders: true };
    }
  }
}

/** An account deleted: what the model expected of it may be gone. */
function forget(world: World, person: number) {
  world.company.set(person, null);
  world.templatesKept.delete(person);
  world.sessions.delete(person);
}

/** Out-of-band writes (a dashboard edit, a bad script): raw ctx.db. */
async function damage(world: World, s: Extract<Step, { kind: "damage" }>) {
  const { t } = world;
  const [user] = usersOf(world, s.who);
  const [row] = rowsOf(world, s.who);
  const value = ownValue(s.who, world.next++);
  await t.run(async (ctx) => {
    switch (s.edit) {
      case "clearRowRef":
        if (row !== undefined) {
          await ctx.db.patch("auth_users", row._id, {
            convex_user_id: undefined,
          });
        }
        return;
      case "clearUserRef":
        if (user !== undefined) {
          await ctx.db.patch("users", user._id, { auth_user_id: undefined });
        }
        return;
      case "editRow":
        if (row !== undefined) {
          await ctx.db.patch("auth_users", row._id, { company: value });
          world.company.get(s.who)?.add(value);
        }
        return;
      case "editUser":
        if (user !== undefined) {
          await ctx.db.patch("users", user._id, { company: value });
          world.company.get(s.who)?.add(value);
        }
        return;
      case "deleteRow":
        if (row !== undefined) {
          await ctx.db.delete("auth_users", row._id);
          world.deletedByHand.add(row._id);
          world.company.set(s.who, null);
          world.templatesKept.delete(s.who);
        }
        return;
    }
  });
}

/** The fold moved to `stage`, each phase's run driven to its end. */
async function foldTo(t: Backend, stage: string) {
  for (const phase of PHASES.slice(0, STAGES_IN_ORDER.indexOf(stage))) {
    await t.mutation(internal.fold.startFoldPhase, {
      phase,
      ...(phase === "retire" ? { confirm: true } : {}),
    });
    await runDueFunctions(t);
  }
  const status = await t.query(internal.fold.foldStatus, {});
  expect(status.stage).toBe(stage);
}

/** People 1, 2 and 3 never signed in: legacy rows with values and templates. */
async function newWorld(): Promise<World> {
  const t = newBackendWithFastPasswords();
  const world: World = {
    t,
    rowOwner: new Map(),
    userOwner: new Map(),
    passwords: new Map(),
    sessions: new Map(),
    company: new Map(),
    templatesKept: new Set(),
    deletedByHand: new Set(),
    suspended: new Set(),
    next: 1,
  };
  for (const person of [1, 2, 3]) {
    const company = ownValue(person, 0);
    const rowId = await t.run(async (ctx) => {
      const id = await ctx.db.insert("auth_users", {
        email: PEOPLE[person]!,
        full_name: `Legacy ${person}`,
        company,
        role: `R${person}-0`,
        created_at: 1,
        updated_at: 1,
      });
      for (const template of STARTER_TEMPLATES) {
        await ctx.db.insert("starter_templates", {
          owner_id: id,
          ...template,
          title: `T${person}-${template.key}`,
          created_at: 1,
        });
      }
      return id;
    });
    world.rowOwner.set(rowId, person);
    world.company.set(person, new Set([company]));
    world.templatesKept.add(person);
  }
  return world;
}

test.runIf(process.env.FC_FOLD_REPLAY !== undefined)(
  "fold property: replay",
  async () => {
    const [start, steps] = JSON.parse(process.env.FC_FOLD_REPLAY!) as [
      string,
      Step[],
    ];
    const world = await newWorld();
    await foldTo(world.t, start);
    let before: Before = await snapshot(world);
    for (const s of steps) {
      const facts = await apply(world, s);
      const tables = await readAll(world.t);
      const stage = await world.t.query(internal.fold.foldStatus, {});
      console.log(
        JSON.stringify(s),
        JSON.stringify(facts),
        stage.stage,
        stage.runStatus,
        "\n",
        JSON.stringify(
          {
            users: tables.users.map((u) => [
              u._id,
              u.auth_user_id,
              u.unclaimed,
              u.company,
              u.status,
              u.email,
            ]),
            rows: tables.rows.map((r) => [
              r._id,
              r.convex_user_id,
              r.email,
              r.company,
              r.status,
            ]),
            templates: tables.templates.map((x) => [x.title, x.owner_id]),
            accounts: tables.accounts.map((a) => [
              a.provider,
              a.providerAccountId,
              a.userId,
            ]),
          },
          null,
          0,
        ),
      );
      before = await checkInvariants(world, before, facts);
    }
  },
);

/** What the sequences reached, so a run shows it tried what it claims to. */
const reached = {
  operations: 0,
  claims: 0,
  stages: new Map<string, number>(),
  visited: new Map<string, number>(),
};

test(
  "fold property: no person's data is lost or handed to another, whatever the phase, rollback or interruption",
  { timeout: 900_000 },
  async () => {
    const started = vi.getRealSystemTime();
    const cpu = process.cpuUsage();
    await fc.assert(
      fc.asyncProperty(
        startAt,
        fc.array(step, {
          minLength: MIN_STEPS,
          maxLength: MAX_STEPS,
          size: "max",
        }),
        async (start, steps) => {
          const world = await newWorld();
          await foldTo(world.t, start);
          let before: Before = await snapshot(world);
          const visited = new Set<string>([start]);
          for (const s of steps) {
            const facts = await apply(world, s);
            reached.operations++;
            before = await checkInvariants(world, before, facts);
            if (s.kind !== "fold" && s.kind !== "drive" && s.kind !== "resume")
              continue;
            const { stage } = await world.t.query(internal.fold.foldStatus, {});
            visited.add(stage);
          }
          for (const stage of visited) {
            reached.visited.set(stage, (reached.visited.get(stage) ?? 0) + 1);
          }
          const { stage } = await world.t.query(internal.fold.foldStatus, {});
          reached.stages.set(stage, (reached.stages.get(stage) ?? 0) + 1);
          reached.claims += (
            await world.t.run(async (ctx) =>
              ctx.db.query("sync_audit").collect(),
            )
          ).filter((entry) => entry.action === "fold:claim").length;
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    const seconds = (vi.getRealSystemTime() - started) / 1000;
    const { user, system } = process.cpuUsage(cpu);
    console.log(
      `fold property: ${RUNS} sequences, ${reached.operations} operations, ${reached.claims} placeholders claimed, final stages ${JSON.stringify(Object.fromEntries(reached.stages))}, sequences reaching each stage ${JSON.stringify(Object.fromEntries(reached.visited))}, ${seconds.toFixed(1)} s (${((user + system) / 1e6).toFixed(1)} s of CPU)`,
    );
    if (process.env.FC_FOLD_RUNS === undefined) {
      expect(reached.operations).toBeGreaterThanOrEqual(10_000);
      // Every stage is reached, by many sequences.
      for (const stage of STAGES_IN_ORDER) {
        expect(reached.visited.get(stage) ?? 0, stage).toBeGreaterThan(10);
      }
    }
  },
);
