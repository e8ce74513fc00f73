/**
 * A run never links by email while emails are still being normalized (found
 * by review): two legacy rows holding one verified address, one of them an
 * import not yet normalized, are a case for a person whatever the order,
 * the page size or the number of workers.
 */
import { describe, expect, test, vi } from "vitest";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import {
  type Backend,
  newBackend,
  readTables,
  runDueFunctions,
  seedMix,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 5, 1, 0, 0, 0);
useFakeClock(T0);

/** A user whose provider verified the address: Dana, unless named. */
async function insertVerifiedUser(
  t: Backend,
  name = "Dana",
  email = "dup@example.com",
) {
  return await t.run(async (ctx) =>
    ctx.db.insert("users", { name, email, emailVerificationTime: T0 - 1000 }),
  );
}

async function seedUserAndTwoLegacy(
  t: Backend,
  order: "normalizedFirst" | "importedFirst",
) {
  const user = await insertVerifiedUser(t);
  const rows: Record<string, Id<"auth_users">> = {};
  const insert = async (name: string, email: string) => {
    vi.advanceTimersByTime(1000);
    rows[name] = await t.run(async (ctx) =>
      ctx.db.insert("auth_users", {
        email,
        full_name: name,
        created_at: Date.now(),
        updated_at: Date.now(),
      }),
    );
  };
  if (order === "normalizedFirst") {
    await insert("normalized", "dup@example.com");
    await insert("imported", "  DUP@Example.com");
  } else {
    await insert("imported", "  DUP@Example.com");
    await insert("normalized", "dup@example.com");
  }
  return { user, rows };
}

describe("unlinked phase: two legacy rows sharing a verified email", () => {
  test("both rows already normalized: a case, nothing linked", async () => {
    const t = newBackend();
    await insertVerifiedUser(t);
    for (const name of ["a", "b"]) {
      vi.advanceTimersByTime(1000);
      await t.run(async (ctx) =>
        ctx.db.insert("auth_users", {
          email: "dup@example.com",
          full_name: name,
          created_at: Date.now(),
          updated_at: Date.now(),
        }),
      );
    }
    await t.mutation(internal.userSync.syncAllUsers, { workers: 1 });
    await runDueFunctions(t);
    const { authUsers, reviews } = await readTables(t);
    expect(
      authUsers
        .filter((r) => r.full_name === "a" || r.full_name === "b")
        .map((r) => r.convex_user_id),
    ).toEqual([undefined, undefined]);
    expect(reviews.map((r) => r.kind)).toContain("ambiguous_email");
  });

  test("an import not yet normalized, later in creation order, still makes it a case", async () => {
    const t = newBackend();
    await seedUserAndTwoLegacy(t, "normalizedFirst");
    await t.mutation(internal.userSync.syncAllUsers, { workers: 1 });
    await runDueFunctions(t);
    const { authUsers, reviews } = await readTables(t);
    // Two legacy rows now hold the user's verified address (both normalized
    // by the run): the promise is a review, never a guess. The user gets a
    // row of its own.
    const legacy = authUsers.filter(
      (r) => r.full_name === "normalized" || r.full_name === "imported",
    );
    expect(legacy.map((r) => r.email)).toEqual([
      "dup@example.com",
      "dup@example.com",
    ]);
    expect(
      authUsers
        .filter(
          (r) => r.full_name === "normalized" || r.full_name === "imported",
        )
        .map(
          (r) =>
            `${r.full_name}:${r.convex_user_id === undefined ? "unlinked" : "linked"}`,
        ),
    ).toEqual(["normalized:unlinked", "imported:unlinked"]);
    expect(reviews.map((r) => r.kind)).toContain("ambiguous_email");
  });

  test("two workers reach the same tables whichever page commits first", async () => {
    const results: string[] = [];
    for (const reverse of [false, true]) {
      const t = newBackend();
      await seedUserAndTwoLegacy(t, "importedFirst");
      const run = await t.mutation(internal.userSync.syncAllUsers, {
        workers: 2,
      });
      const workers = await t.run(async (ctx) =>
        ctx.db
          .query("sync_run_workers")
          .withIndex("by_run_id_and_phase_and_worker", (q) =>
            q.eq("run_id", run._id),
          )
          .collect(),
      );
      expect(workers.map((w) => w.phase)).toEqual(["unlinked", "unlinked"]);
      // Both page jobs are due at once; on a deployment either may commit
      // first (their read sets overlap, so OCC serializes them in some order).
      const order = reverse ? [...workers].reverse() : workers;
      for (const worker of order) {
        await t.mutation(internal.syncEngine.processPage, {
          workerId: worker._id,
        });
      }
      await runDueFunctions(t);
      const { authUsers } = await readTables(t);
      results.push(
        authUsers
          .map(
            (r) => `${r.full_name}:${r.convex_user_id ? "linked" : "unlinked"}`,
          )
          .sort()
          .join(","),
      );
    }
    expect(results[1]).toBe(results[0]);
  });
});

describe("the same with the engine's own scheduling", () => {
  test("pages of 1: one worker and two reach the same tables", async () => {
    const results: Record<string, string> = {};
    for (const workers of [1, 2]) {
      const t = newBackend();
      await insertVerifiedUser(t);
      const insert = async (name: string, email: string, step: number) => {
        vi.advanceTimersByTime(step);
        await t.run(async (ctx) =>
          ctx.db.insert("auth_users", {
            email,
            full_name: name,
            created_at: Date.now(),
            updated_at: Date.now(),
          }),
        );
      };
      await insert("filler", "filler@example.com", 1000);
      await insert("normalized", "dup@example.com", 1000);
      await insert("imported", "  DUP@Example.com", 10_000);
      await t.mutation(internal.userSync.syncAllUsers, {
        workers,
        pageSize: 1,
      });
      await runDueFunctions(t);
      const { authUsers, reviews } = await readTables(t);
      results[`K=${workers}`] =
        authUsers
          .filter(
            (r) => r.full_name === "normalized" || r.full_name === "imported",
          )
          .map(
            (r) => `${r.full_name}:${r.convex_user_id ? "linked" : "unlinked"}`,
          )
          .sort()
          .join(",") +
        ` reviews=${reviews
          .map((r) => r.kind)
          .sort()
          .join("+")}`;
    }
    expect(results["K=2"]).toBe(results["K=1"]);
  });
});

type Counts = {
  linked: number;
  created: number;
  pending: number;
  needingReview: number;
};

describe("a dry run plans what the run will do, imports not yet normalized included (found by review)", () => {
  /** A run to its end; its counts, and how many reviews it left. */
  async function runToEnd(
    t: Backend,
    args: { dryRun?: boolean; workers?: number; pageSize?: number },
  ) {
    const started = await t.mutation(internal.userSync.syncAllUsers, args);
    await runDueFunctions(t);
    const run = await t.query(internal.syncEngine.getRun, {
      runId: started._id,
    });
    expect(run?.status).toBe("completed");
    return run!.counts;
  }

  async function seedImports(t: Backend) {
    await t.run(async (ctx) => {
      // Ada's legacy row is an import not yet normalized: the run links it.
      await ctx.db.insert("users", {
        name: "Ada",
        email: "ada@example.com",
        emailVerificationTime: T0 - 1000,
      });
      await ctx.db.insert("auth_users", {
        email: "  ADA@Example.com",
        full_name: "Ada L.",
        created_at: T0,
        updated_at: T0,
      });
      // Dana's two legacy rows, one an import: the run records a case.
      await ctx.db.insert("users", {
        name: "Dana",
        email: "dup@example.com",
        emailVerificationTime: T0 - 1000,
      });
      for (const email of ["dup@example.com", " DUP@example.com"]) {
        await ctx.db.insert("auth_users", {
          email,
          created_at: T0,
          updated_at: T0,
        });
      }
    });
  }

  for (const [workers, pageSize] of [
    [1, 100],
    [3, 1],
  ] as const) {
    test(`the dry run's counts are the run's (K = ${workers}, pages of ${pageSize})`, async () => {
      const t = newBackend();
      await seedImports(t);
      const before = await readTables(t);
      const dry = await runToEnd(t, { dryRun: true, workers, pageSize });
      // The dry run wrote nothing to the tables.
      const after = await readTables(t);
      expect(after.users).toEqual(before.users);
      expect(after.authUsers).toEqual(before.authUsers);
      expect(after.reviews).toEqual(before.reviews);
      const real = await runToEnd(t, { workers, pageSize });
      expect(real).toMatchObject({ linked: 1, created: 1, needingReview: 1 });
      expect(dry).toEqual(real);
    });
  }

  test("rows once paired, planned first, do not hide a legacy row planned after them", async () => {
    const t = newBackend();
    await insertVerifiedUser(t, "Ada", "ada@example.com");
    // Two rows a sync once paired, then a legacy row: imports, none normalized.
    for (const [email, verified] of [
      [" ADA@example.com", true],
      ["Ada@example.com ", false],
      ["ADA@EXAMPLE.COM", undefined],
    ] as const) {
      vi.advanceTimersByTime(1000);
      await t.run(async (ctx) =>
        ctx.db.insert("auth_users", {
          email,
          email_verified: verified,
          created_at: Date.now(),
          updated_at: Date.now(),
        }),
      );
    }
    const dry = await runToEnd(t, { dryRun: true });
    const real = await runToEnd(t, {});
    expect(real).toMatchObject({ linked: 1, created: 0 });
    expect(dry).toEqual(real);
  });

  test("on the benchmark's messy mix too", async () => {
    const t = newBackend();
    await seedMix(t, 60);
    const dry = await runToEnd(t, { dryRun: true, workers: 4, pageSize: 7 });
    const real = await runToEnd(t, { workers: 4, pageSize: 7 });
    expect(real.linked).toBeGreaterThan(0);
    // A document a run repairs from one side is unchanged when its own turn
    // comes; a dry run plans the repair twice. The decisions are the run's.
    const decisions = ({
      linked,
      created,
      pending,
      needingReview,
    }: Counts) => ({ linked, created, pending, needingReview });
    expect(decisions(dry)).toEqual(decisions(real));
    expect(dry.checked).toBe(real.checked);
  });
});
