/**
 * `npm run bench`: what bulk runs (the migration, the health run) and the
 * sign-in sync cost, in database operations per transaction (what carries
 * over to a real deployment), on an in-process backend (convex-test) that
 * enforces a quarter of Convex's per-transaction limits, so any transaction
 * near the real limits fails. Bulk runs are measured with 1, 4 and 16
 * workers, next to the engine before the merge (dev/bench.ts); the fold's
 * phases, forward and back, next to today's migration (foldBench.ts).
 *
 * BENCH_PARTS=sync,fold,signin picks the parts (all by default);
 * BENCH_SIZES, BENCH_WORKERS, BENCH_FOLD_SIZES and BENCH_PAGE_SIZE the sizes.
 *
 * Wall times are printed too, but convex-test scans every document for each
 * indexed query, so its time per query grows with the table whatever the code
 * does; only the operation counts project to production.
 */
import { internal } from "../convex/_generated/api";
import { signInOrThrow } from "../convex/signIn.helpers";
import {
  type Backend,
  emptyMetrics,
  measuredEmailCodeSignIn,
  measuredOAuthSignIn,
  measuredPasswordSignIn,
  QUARTER_LIMITS,
  seedMix,
  seedPairs,
  signInWithOAuth,
  type Store,
} from "../convex/sync.helpers";
import type { Metrics } from "../convex/validators";
import { newMeasuringBackend } from "./backend";
import { benchFold } from "./foldBench";
import {
  type Baseline,
  benchBulkSync,
  expectOnlyWaiting,
} from "../../../dev/bench";
import { fmt } from "../../../dev/cost";

process.env.AUTH_LOG_LEVEL ??= "ERROR";

const WAITING_FOR_PEOPLE = new Set([
  "pending_link",
  "awaiting_sign_in",
  "ambiguous_email",
  "unverified_email_match",
]);

const SIZES = (process.env.BENCH_SIZES ?? "500,2000,5000")
  .split(",")
  .map(Number);
const PAGE_SIZE = Number(process.env.BENCH_PAGE_SIZE ?? 100);
const WORKERS = (process.env.BENCH_WORKERS ?? "1,4,16").split(",").map(Number);
/** The fold's phases (foldBench.ts), one worker each. */
const FOLD_SIZES = (process.env.BENCH_FOLD_SIZES ?? "500,5000")
  .split(",")
  .map(Number);
/** Which parts run: sync (bulk runs), fold, signin; all by default. */
const PARTS = new Set(
  (process.env.BENCH_PARTS ?? "sync,fold,signin").split(","),
);

/**
 * The engine before the merge, measured with this data at page size 100
 * (commit a3d1951): each table read in turn, one chain of pages.
 */
const BEFORE: Record<string, Baseline> = {
  "first:500": { reads: 5.04, ranges: 3.74, writes: 1.2, transactions: 11 },
  "first:2000": { reads: 5.04, ranges: 3.74, writes: 1.2, transactions: 40 },
  "first:5000": { reads: 5.04, ranges: 3.74, writes: 1.2, transactions: 95 },
  "rerun:500": { reads: 4.14, ranges: 2.55, writes: 0, transactions: 13 },
  "rerun:2000": { reads: 4.14, ranges: 2.54, writes: 0, transactions: 45 },
  "rerun:5000": { reads: 4.14, ranges: 2.54, writes: 0, transactions: 108 },
  "consistent:500": { reads: 4.04, ranges: 2.05, writes: 0, transactions: 13 },
  "consistent:2000": { reads: 4.04, ranges: 2.04, writes: 0, transactions: 43 },
  "consistent:5000": {
    reads: 4.04,
    ranges: 2.04,
    writes: 0,
    transactions: 103,
  },
};

type Row = Record<string, string>;

type Method = {
  name: string;
  /** Signs the person up once, so the measured sign-ins are returning ones. */
  setUp: (t: Backend) => Promise<void>;
  measure: (t: Backend, store: Store, round: number) => Promise<Metrics>;
};

const METHODS: Method[] = [
  {
    name: "OAuth (GitHub), 4 txns",
    setUp: async (t) => {
      await signInWithOAuth(t, { providerAccountId: "gh-ada", profile: ADA });
    },
    measure: async (t, store) =>
      (
        await measuredOAuthSignIn(t, {
          providerAccountId: "gh-ada",
          profile: ADA,
          store,
        })
      ).metrics,
  },
  {
    name: "password, 2 txns",
    setUp: async (t) => {
      await signInOrThrow(t, "password", {
        email: "bob@example.com",
        password: PASSWORD,
        flow: "signUp",
      });
    },
    measure: async (t, store) =>
      (
        await measuredPasswordSignIn(t, {
          email: "bob@example.com",
          password: PASSWORD,
          store,
        })
      ).metrics,
  },
  {
    name: "emailed code, 2 txns",
    setUp: async (t) => {
      await measuredEmailCodeSignIn(t, {
        email: "kim@example.com",
        code: "10000000",
        store: "auth:store",
      });
    },
    measure: async (t, store, round) =>
      (
        await measuredEmailCodeSignIn(t, {
          email: "kim@example.com",
          code: String(20_000_000 + round),
          store,
        })
      ).metrics,
  },
];

const ADA = { name: "Ada", email: "ada@example.com" };
const PASSWORD = "correct horse battery";

/**
 * A returning sign-in per method, every transaction counted, with the sync
 * and with a callback-free Convex Auth (cost.helpers.ts).
 */
async function benchSignIn(): Promise<Row[]> {
  const rows: Row[] = [];
  const REPEAT = 10;
  for (const method of METHODS) {
    const t = newMeasuringBackend(QUARTER_LIMITS);
    await method.setUp(t);
    const measure = async (store: Store, offset: number) => {
      let metrics: Metrics | undefined;
      const startedAt = performance.now();
      for (let i = 0; i < REPEAT; i++) {
        metrics = await method.measure(t, store, offset + i);
      }
      return {
        metrics: metrics!,
        ms: (performance.now() - startedAt) / REPEAT,
      };
    };
    const withSync = await measure("auth:store", 0);
    const baseline = await measure("costBaseline:store", REPEAT);
    const row = (label: string, m: Metrics, ms: string): Row => ({
      "returning sign-in (all txns)": `${method.name}: ${label}`,
      reads: fmt(m.documentsRead),
      ranges: fmt(m.databaseQueries),
      writes: fmt(m.documentsWritten),
      "ms per sign-in": ms,
    });
    const extra = emptyMetrics();
    for (const key of Object.keys(extra) as (keyof Metrics)[]) {
      extra[key] = withSync.metrics[key] - baseline.metrics[key];
    }
    rows.push(
      row("Convex Auth, no callbacks", baseline.metrics, fmt(baseline.ms, 2)),
      row("with the sync", withSync.metrics, fmt(withSync.ms, 2)),
      row("extra for the sync", extra, `x${fmt(withSync.ms / baseline.ms, 2)}`),
    );
  }
  return rows;
}

console.log(
  `Limits enforced: a quarter of Convex's (${fmt(QUARTER_LIMITS.documentsRead)} reads, ` +
    `${fmt(QUARTER_LIMITS.databaseQueries)} index ranges, ${fmt(QUARTER_LIMITS.documentsWritten)} writes, ` +
    `${fmt(QUARTER_LIMITS.bytesRead / 1024 / 1024)} MiB read/written per transaction). Page size ${PAGE_SIZE}.\n`,
);
if (PARTS.has("sync")) {
  await benchBulkSync({
    sizes: SIZES,
    pageSize: PAGE_SIZE,
    workers: WORKERS,
    newBackend: () => newMeasuringBackend(QUARTER_LIMITS),
    seedMix,
    seedPairs,
    functions: {
      start: internal.migrations.syncUserTables.syncUserTables,
      getRun: internal.syncEngine.getRun,
    },
    checkDrift: async (t, n) => {
      // The drift report (paginated, so within the limits too) must find only
      // what waits for people: legacy rows pending a sign-in, review cases.
      const report = await t.action(internal.driftReport.summary, {});
      expectOnlyWaiting(report, WAITING_FOR_PEOPLE, n);
    },
    baseline: BEFORE,
  });
}

if (PARTS.has("fold")) {
  console.log("");
  await benchFold({
    sizes: FOLD_SIZES,
    pageSize: PAGE_SIZE,
    workers: 1,
    newBackend: () => newMeasuringBackend(QUARTER_LIMITS),
  });
}

if (PARTS.has("signin")) {
  console.log(
    "\nSign-in cost (a returning user, unchanged profile; every transaction of the sign-in):",
  );
  console.table(await benchSignIn());
}

// convex-test keeps a timer for every scheduled function, due or not (a
// finished run's watchdog, canceled, still has one): exit now rather than
// wait for them.
process.exit(0);
