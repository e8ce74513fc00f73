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
import {
  type Backend,
  CONVEX_LIMITS,
  measuredOAuthSignIn,
  QUARTER_LIMITS,
  seedMix,
  signInWithOAuth,
} from "../convex/sync.helpers";
import type { Metrics, SyncRun } from "../convex/validators";
import { newMeasuringBackend } from "./backend";

process.env.AUTH_LOG_LEVEL ??= "ERROR";

const WAITING_FOR_PEOPLE = new Set([
  "pending_link",
  "ambiguous_email",
  "unverified_email_match",
]);

const SIZES = (process.env.BENCH_SIZES ?? "500,2000,5000")
  .split(",")
  .map(Number);
const PAGE_SIZE = Number(process.env.BENCH_PAGE_SIZE ?? 100);

async function runToCompletion(t: Backend): Promise<SyncRun> {
  const started = await t.mutation(
    internal.migrations.syncUserTables.syncUserTables,
    { pageSize: PAGE_SIZE },
  );
  // runAfter(0) pages are due at once on the real clock: nothing to advance.
  await t.finishAllScheduledFunctions(() => {}, 1_000_000);
  const run = await t.query(internal.syncEngine.getRun, { runId: started._id });
  if (run?.status !== "completed") {
    throw new Error(`run ended ${run?.status}: ${run?.last_error}`);
  }
  return run;
}

const fmt = (value: number, digits = 0) =>
  value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });

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
  const left = [...report.users.findings, ...report.authUsers.findings].filter(
    (f) => !WAITING_FOR_PEOPLE.has(f.kind),
  );
  if (left.length > 0) {
    throw new Error(`drift left at N=${n}: ${JSON.stringify(left)}`);
  }
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

async function benchSignIn(): Promise<Row[]> {
  const t = newMeasuringBackend(QUARTER_LIMITS);
  const profile = { name: "Ada", email: "ada@example.com" };
  await signInWithOAuth(t, { providerAccountId: "gh-ada", profile });
  const REPEAT = 50;
  const measure = async (store: "auth:store" | "costBaseline:store") => {
    let metrics: Metrics | undefined;
    const startedAt = performance.now();
    for (let i = 0; i < REPEAT; i++) {
      ({ metrics } = await measuredOAuthSignIn(t, {
        providerAccountId: "gh-ada",
        profile,
        store,
      }));
    }
    return { metrics: metrics!, ms: (performance.now() - startedAt) / REPEAT };
  };
  const withSync = await measure("auth:store");
  const baseline = await measure("costBaseline:store");
  const row = (label: string, m: Metrics, ms: number): Row => ({
    "returning-user sign-in (userOAuth txn)": label,
    reads: fmt(m.documentsRead),
    ranges: fmt(m.databaseQueries),
    writes: fmt(m.documentsWritten),
    "ms per sign-in (4 txns)": fmt(ms, 2),
  });
  const extra = (key: keyof Metrics) =>
    withSync.metrics[key] - baseline.metrics[key];
  return [
    row("Convex Auth, no callback", baseline.metrics, baseline.ms),
    row("with the sync callback", withSync.metrics, withSync.ms),
    {
      "returning-user sign-in (userOAuth txn)": "extra for the sync",
      reads: fmt(extra("documentsRead")),
      ranges: fmt(extra("databaseQueries")),
      writes: fmt(extra("documentsWritten")),
      "ms per sign-in (4 txns)": `x${fmt(withSync.ms / baseline.ms, 2)}`,
    },
  ];
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

console.log("\nSign-in cost (same returning user, unchanged profile):");
console.table(await benchSignIn());
