/**
 * `npm run bench -w example-profiles`: what bulk runs (the migration, the
 * health run; 1, 4 and 16 workers, next to the engine before the merge) and
 * a password sign-in cost for this app's shape (a `profiles` table referenced from the
 * app side only), in database operations per transaction, on an in-process
 * backend (convex-test) enforcing a quarter of Convex's per-transaction
 * limits. Wall times mean little there (it scans every document for an
 * indexed query); the operation counts carry over to a deployment.
 */
import { join } from "node:path";
import { convexTest } from "convex-test";
import type { Metrics } from "convex-auth-user-sync";
import { useOfflineAuthEnv } from "../../../dev/authEnv";
import {
  type Baseline,
  benchBulkSync,
  expectOnlyWaiting,
} from "../../../dev/bench";
import {
  fmt,
  measuredPasswordSignIn,
  metricsDifference,
  QUARTER_LIMITS,
} from "../../../dev/cost";
import { convexModules } from "../../../dev/scriptBackend";
import { api, internal } from "../convex/_generated/api";
import { COST_MODULES } from "../convex/cost.helpers";
import schema from "../convex/schema";

useOfflineAuthEnv();
process.env.AUTH_LOG_LEVEL ??= "ERROR";

const SIZES = (process.env.BENCH_SIZES ?? "500,2000,5000")
  .split(",")
  .map(Number);
const PAGE_SIZE = Number(process.env.BENCH_PAGE_SIZE ?? 100);
const WORKERS = (process.env.BENCH_WORKERS ?? "1,4,16").split(",").map(Number);
const convexDir = join(import.meta.dirname, "..", "convex");

function newBackend() {
  return convexTest({
    schema,
    modules: { ...convexModules(convexDir), ...COST_MODULES },
    transactionLimits: QUARTER_LIMITS,
  });
}
type Backend = ReturnType<typeof newBackend>;

/** What waits for a person, not for the sync. */
const WAITING_FOR_PEOPLE = new Set([
  "pending_link",
  "awaiting_sign_in",
  "unverified_email_match",
]);

/**
 * N people in the states an app adopting the sync has: half already
 * paired, users with no profile yet, profiles from before Convex Auth
 * (their owner's user verified, or no user yet), pairs that drifted, and
 * unverified users whose address a verified profile holds.
 */
async function seedMix(t: Backend, n: number, at = 1_700_000_000_000) {
  const BATCH = 200;
  for (let start = 0; start < n; start += BATCH) {
    await t.run(async (ctx) => {
      for (let i = start; i < Math.min(n, start + BATCH); i++) {
        const email = `person${i}@example.com`;
        const user = { email, name: `Person ${i}`, emailVerificationTime: at };
        // From before the sync: no reference, no verification flag.
        const profile = { email, displayName: `Person ${i}`, createdAt: at };
        const paired = { ...profile, emailVerified: true };
        switch (i % 10) {
          case 5:
            await ctx.db.insert("users", user);
            break;
          case 6:
            await ctx.db.insert("users", user);
            await ctx.db.insert("profiles", profile);
            break;
          case 7:
            await ctx.db.insert("profiles", profile);
            break;
          case 8: {
            const userId = await ctx.db.insert("users", {
              ...user,
              name: "edited in dashboard",
            });
            await ctx.db.insert("profiles", { ...paired, userId });
            break;
          }
          case 9:
            await ctx.db.insert("users", { email, name: `Person ${i}` });
            await ctx.db.insert("profiles", profile);
            break;
          default: {
            const userId = await ctx.db.insert("users", {
              ...user,
              lastLoginAt: at,
              updatedAt: at,
              createdAt: at,
            });
            await ctx.db.insert("profiles", {
              ...paired,
              userId,
              lastLoginAt: at,
              updatedAt: at,
            });
          }
        }
      }
    });
  }
}

/** N people already in step: a verified user and the profile naming it. */
async function seedPairs(t: Backend, n: number, at = 1_700_000_000_000) {
  const BATCH = 200;
  for (let start = 0; start < n; start += BATCH) {
    await t.run(async (ctx) => {
      for (let i = start; i < Math.min(n, start + BATCH); i++) {
        const email = `pair${i}@example.com`;
        const userId = await ctx.db.insert("users", {
          email,
          name: `Pair ${i}`,
          emailVerificationTime: at,
          lastLoginAt: at,
          updatedAt: at,
          // The fold's copy of the profile's createdAt (convex/sync.ts).
          createdAt: at,
        });
        await ctx.db.insert("profiles", {
          userId,
          email,
          emailVerified: true,
          displayName: `Pair ${i}`,
          lastLoginAt: at,
          updatedAt: at,
          createdAt: at,
        });
      }
    });
  }
}

/**
 * The engine before the merge, measured with this data at page size 100
 * (commit a3d1951): each table read in turn, one chain of pages.
 */
const BEFORE: Record<string, Baseline> = {
  "first:500": { reads: 4.74, ranges: 3.14, writes: 0.8, transactions: 11 },
  "first:2000": { reads: 4.74, ranges: 3.14, writes: 0.8, transactions: 39 },
  "first:5000": { reads: 4.74, ranges: 3.14, writes: 0.8, transactions: 93 },
  "rerun:500": { reads: 4.74, ranges: 2.94, writes: 0, transactions: 12 },
  "rerun:2000": { reads: 4.74, ranges: 2.94, writes: 0, transactions: 43 },
  "rerun:5000": { reads: 4.74, ranges: 2.94, writes: 0, transactions: 103 },
  "consistent:500": { reads: 5.04, ranges: 3.05, writes: 0, transactions: 13 },
  "consistent:2000": { reads: 5.04, ranges: 3.04, writes: 0, transactions: 43 },
  "consistent:5000": {
    reads: 5.04,
    ranges: 3.04,
    writes: 0,
    transactions: 103,
  },
};

type Row = Record<string, string>;

/** A returning password sign-in, with the sync and without any callbacks. */
async function benchSignIn(): Promise<Row[]> {
  const t = newBackend();
  const credentials = { email: "ada@example.com", password: "correct horse" };
  await t.action(api.auth.signIn, {
    provider: "password",
    params: { ...credentials, flow: "signUp" },
  });
  const measure = async (store: string) =>
    (await measuredPasswordSignIn(t, { ...credentials, store })).metrics;
  const baseline = await measure("costBaseline:store");
  const withSync = await measure("auth:store");
  const row = (label: string, m: Metrics): Row => ({
    "returning password sign-in (2 txns)": label,
    reads: fmt(m.documentsRead),
    ranges: fmt(m.databaseQueries),
    writes: fmt(m.documentsWritten),
  });
  return [
    row("Convex Auth, no callbacks", baseline),
    row("with the sync", withSync),
    row("extra for the sync", metricsDifference(withSync, baseline)),
  ];
}

console.log(
  `profiles example. Limits enforced: a quarter of Convex's per transaction. Page size ${PAGE_SIZE}.\n`,
);
await benchBulkSync({
  sizes: SIZES,
  pageSize: PAGE_SIZE,
  workers: WORKERS,
  newBackend,
  seedMix,
  seedPairs,
  functions: {
    start: internal.userSync.syncAllUsers,
    getRun: internal.userSync.getRun,
  },
  checkDrift: async (t, n) => {
    const report = await t.action(internal.userSync.summary, {});
    expectOnlyWaiting(report, WAITING_FOR_PEOPLE, n);
  },
  baseline: BEFORE,
});
console.log(
  "\nSign-in cost (a returning user, every transaction of the sign-in):",
);
console.table(await benchSignIn());

// convex-test keeps a timer for every scheduled function, due or not (a
// finished run's watchdog, canceled, still has one): exit now rather than
// wait for them.
process.exit(0);
