/**
 * `npm run bench`: what the migration and the sign-in sync cost, in database
 * operations per transaction (what carries over to a real deployment), on an
 * in-process backend (convex-test) that enforces a quarter of Convex's
 * per-transaction limits, so any transaction near the real limits fails.
 *
 * Wall times are printed too, but convex-test scans every document for each
 * indexed query, so its time per query grows with the table whatever the code
 * does; only the operation counts project to production.
 */
import { internal } from "../convex/_generated/api";
import { signInOrThrow } from "../convex/signIn.helpers";
import {
  type Backend,
  CONVEX_LIMITS,
  emptyMetrics,
  measuredEmailCodeSignIn,
  measuredOAuthSignIn,
  measuredPasswordSignIn,
  QUARTER_LIMITS,
  seedMix,
  signInWithOAuth,
  type Store,
} from "../convex/sync.helpers";
import type { Metrics, SyncRun } from "../convex/validators";
import { newMeasuringBackend } from "./backend";
import {
  expectOnlyWaiting,
  runToCompletion as runUntilDone,
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

const runToCompletion = (t: Backend) =>
  runUntilDone(
    t,
    {
      start: internal.migrations.syncUserTables.syncUserTables,
      getRun: internal.syncEngine.getRun,
    },
    PAGE_SIZE,
  );

type Row = Record<string, string>;

async function benchMigration(n: number): Promise<{ row: Row; run: SyncRun }> {
  const t = newMeasuringBackend(QUARTER_LIMITS);
  await seedMix(t, n);
  const startedAt = performance.now();
  const run = await runToCompletion(t);
  const seconds = (performance.now() - startedAt) / 1000;
  // The drift report (paginated, so within the limits too) must find only
  // what waits for people: legacy rows pending a sign-in, review cases.
  const report = await t.action(internal.driftReport.summary, {});
  expectOnlyWaiting(report, WAITING_FOR_PEOPLE, n);
  // A second run over the now consistent tables must write nothing.
  const second = await runToCompletion(t);
  const userWrites =
    second.counts.repaired + second.counts.linked + second.counts.created;
  const per = (key: keyof Metrics) => fmt(run.totals[key] / n, 2);
  return {
    run,
    row: {
      N: fmt(n),
      transactions: fmt(run.pages),
      "early stops": fmt(run.early_stops),
      "reads/user": per("documentsRead"),
      "ranges/user": per("databaseQueries"),
      "writes/user": per("documentsWritten"),
      "max reads/txn": fmt(run.max_page!.documentsRead),
      "max ranges/txn": fmt(run.max_page!.databaseQueries),
      "max writes/txn": fmt(run.max_page!.documentsWritten),
      "max KiB read/txn": fmt(run.max_page!.bytesRead / 1024),
      "wall s": fmt(seconds, 1),
      "re-run writes": fmt(userWrites),
    },
  };
}

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
const rows: Row[] = [];
let largest: SyncRun | undefined;
for (const n of SIZES) {
  const { row, run } = await benchMigration(n);
  rows.push(row);
  largest = run;
  console.log(`N=${fmt(n)} done`);
}
console.log("\nMigration (seeded mix, run to completion, then re-run):");
console.table(rows);

if (largest !== undefined) {
  const n = SIZES[SIZES.length - 1]!;
  const million = 1_000_000;
  const share = (key: keyof Metrics) =>
    `${fmt((100 * largest.max_page![key]) / CONVEX_LIMITS[key], 1)}%`;
  console.log(
    `Projection to ${fmt(million)} users (per-user counts are flat in N): ` +
      `~${fmt((largest.pages / n) * million)} transactions; the largest stays set by the page size: ` +
      `${share("documentsRead")} of the read limit, ${share("databaseQueries")} of the index-range limit, ` +
      `${share("documentsWritten")} of the write limit.`,
  );
}

console.log(
  "\nSign-in cost (a returning user, unchanged profile; every transaction of the sign-in):",
);
console.table(await benchSignIn());

// convex-test keeps a timer for every scheduled function, due or not (a
// finished run's watchdog, canceled, still has one): exit now rather than
// wait for them.
process.exit(0);
