/**
 * What the examples' benchmarks share: a run to completion, the drift a
 * completed run may leave (only what waits for people), and the bulk-sync
 * benchmark itself: first runs and re-runs of a messy mix, health runs over
 * consistent tables, K workers each, side by side with the engine before
 * the merge, and a projection to a million users.
 */
import type { FunctionReference } from "convex/server";
import type { Metrics, SyncRun } from "convex-auth-user-sync";
import { CONVEX_LIMITS, fmt } from "./cost";

type Runner = {
  mutation: (
    reference: FunctionReference<"mutation", "internal">,
    args: { pageSize: number; workers?: number },
  ) => Promise<{ _id: string }>;
  query: (
    reference: FunctionReference<"query", "internal">,
    args: { runId: string },
  ) => Promise<SyncRun | null>;
  finishAllScheduledFunctions: (
    advanceTimers: () => void,
    maxIterations?: number,
  ) => Promise<void>;
};

/** Starts a run and waits for it; throws unless it completed. */
export async function runToCompletion(
  t: Runner,
  functions: {
    start: FunctionReference<"mutation", "internal">;
    getRun: FunctionReference<"query", "internal">;
  },
  pageSize: number,
  workers?: number,
): Promise<SyncRun> {
  const started = await t.mutation(functions.start, {
    pageSize,
    ...(workers === undefined ? {} : { workers }),
  });
  // runAfter(0) pages are due at once on the real clock: nothing to advance.
  await t.finishAllScheduledFunctions(() => {}, 1_000_000);
  const run = await t.query(functions.getRun, { runId: started._id });
  if (run?.status !== "completed") {
    throw new Error(`run ended ${run?.status}: ${run?.last_error}`);
  }
  return run;
}

/** Throws if the drift report found more than what waits for people. */
export function expectOnlyWaiting(
  report: { users: { findings: Finding[] }; rows: { findings: Finding[] } },
  waiting: ReadonlySet<string>,
  n: number,
): void {
  const left = [...report.users.findings, ...report.rows.findings].filter(
    (f) => !waiting.has(f.kind),
  );
  if (left.length > 0) {
    throw new Error(`drift left at N=${n}: ${JSON.stringify(left)}`);
  }
}

type Finding = { kind: string; count: number; sampleIds: string[] };

/**
 * What the engine before the merge (each table in turn, one chain of pages)
 * cost, measured with this benchmark's data at page size 100: per-user
 * reads, index ranges and writes, and its transactions, every one of them on
 * the critical path.
 */
export type Baseline = {
  reads: number;
  ranges: number;
  writes: number;
  transactions: number;
};

/** The assumed time of one page transaction on a deployment. */
export const PAGE_MS = 50;

type Figures = {
  reads: number;
  ranges: number;
  writes: number;
  transactions: number;
  criticalPath: number;
  max: Metrics;
};

function figuresOf(run: SyncRun, n: number): Figures {
  return {
    reads: run.totals.documentsRead / n,
    ranges: run.totals.databaseQueries / n,
    writes: run.totals.documentsWritten / n,
    // The start, then every page.
    transactions: run.pages + 1,
    criticalPath: run.critical_path ?? run.pages + 1,
    max: run.max_page!,
  };
}

type Row = Record<string, string>;

function row(
  labels: Row,
  figures: Figures,
  baseline: Baseline | undefined,
): Row {
  const before = (value: number | undefined, digits = 2) =>
    value === undefined ? "" : fmt(value, digits);
  return {
    ...labels,
    "reads/user": fmt(figures.reads, 2),
    "ranges/user": fmt(figures.ranges, 2),
    "writes/user": fmt(figures.writes, 2),
    txns: fmt(figures.transactions),
    "critical path": fmt(figures.criticalPath),
    "max reads/ranges/writes per txn": `${fmt(figures.max.documentsRead)} / ${fmt(figures.max.databaseQueries)} / ${fmt(figures.max.documentsWritten)}`,
    "before: reads/ranges/writes per user": baseline
      ? `${before(baseline.reads)} / ${before(baseline.ranges)} / ${before(baseline.writes)}`
      : "",
    "before: txns = critical path": before(baseline?.transactions, 0),
  };
}

/**
 * The bulk-sync benchmark of one example: for each N, the messy mix's first
 * run and re-run with K workers each (a fresh backend per K), then health
 * runs over N consistent pairs; every run under a quarter of Convex's
 * limits, checked by the drift report after the first run.
 */
export async function benchBulkSync<T extends Runner>(options: {
  sizes: readonly number[];
  pageSize: number;
  workers: readonly number[];
  newBackend: () => T;
  seedMix: (t: T, n: number) => Promise<void>;
  seedPairs: (t: T, n: number) => Promise<void>;
  functions: {
    start: FunctionReference<"mutation", "internal">;
    getRun: FunctionReference<"query", "internal">;
  };
  /** The drift report after a first run: throws on more than waits. */
  checkDrift: (t: T, n: number) => Promise<void>;
  /** Keyed `first:N`, `rerun:N`, `consistent:N`. */
  baseline: Record<string, Baseline>;
}): Promise<void> {
  const { sizes, pageSize, workers, functions, baseline } = options;
  const run = (t: T, k: number) => runToCompletion(t, functions, pageSize, k);
  const messy: Row[] = [];
  const consistent: Row[] = [];
  // At the largest N, by K.
  const firstRuns = new Map<number, Figures>();
  const healthRuns = new Map<number, Figures>();
  for (const n of sizes) {
    for (const k of workers) {
      const t = options.newBackend();
      await options.seedMix(t, n);
      const first = figuresOf(await run(t, k), n);
      await options.checkDrift(t, n);
      const second = await run(t, k);
      const { repaired, linked, created } = second.counts;
      if (repaired + linked + created > 0) {
        throw new Error(`a re-run at N=${n} wrote to the user tables`);
      }
      const rerun = figuresOf(second, n);
      if (n === sizes[sizes.length - 1]) firstRuns.set(k, first);
      messy.push(
        row(
          { N: fmt(n), run: "first", K: fmt(k) },
          first,
          baseline[`first:${n}`],
        ),
        row(
          { N: fmt(n), run: "re-run", K: fmt(k) },
          rerun,
          baseline[`rerun:${n}`],
        ),
      );
    }
    const t = options.newBackend();
    await options.seedPairs(t, n);
    for (const k of workers) {
      const figures = figuresOf(await run(t, k), n);
      consistent.push(
        row({ N: fmt(n), K: fmt(k) }, figures, baseline[`consistent:${n}`]),
      );
      if (n === sizes[sizes.length - 1]) healthRuns.set(k, figures);
    }
    console.log(`N=${fmt(n)} done`);
  }
  console.log(
    "\nMessy mix: the migration (first run), then a re-run; K workers:",
  );
  console.table(messy);
  console.log(
    "\nThe health run: N consistent pairs (the run operators schedule most); K workers:",
  );
  console.table(consistent);

  // Pages per user are flat in N; K workers split each phase's pages
  // between them (ranges evened out by sampling), so a chain is about 1/K
  // of the pages, plus the start and up to one partial page per phase.
  const n = sizes[sizes.length - 1]!;
  const million = 1_000_000;
  const projected: Row[] = [];
  for (const [label, measured, before] of [
    ["migration (messy first run)", firstRuns, baseline[`first:${n}`]],
    ["health run (consistent)", healthRuns, baseline[`consistent:${n}`]],
  ] as const) {
    const single = measured.get(workers[0]!);
    if (single === undefined) continue;
    const pages = ((single.transactions - 1) * million) / n;
    for (const k of workers) {
      const path = 3 + Math.ceil(pages / k);
      projected.push({
        run: label,
        K: fmt(k),
        transactions: fmt(1 + pages),
        "critical path": fmt(path),
        [`time at ${PAGE_MS} ms/page`]: duration(path * PAGE_MS),
        [`measured at N=${fmt(n)}: txns / critical path`]: `${fmt(measured.get(k)!.transactions)} / ${fmt(measured.get(k)!.criticalPath)}`,
      });
    }
    if (before !== undefined) {
      const path = (before.transactions * million) / n;
      projected.push({
        run: label,
        K: "before (serial)",
        transactions: fmt(path),
        "critical path": fmt(path),
        [`time at ${PAGE_MS} ms/page`]: duration(path * PAGE_MS),
        [`measured at N=${fmt(n)}: txns / critical path`]: `${fmt(before.transactions)} / ${fmt(before.transactions)}`,
      });
    }
  }
  const k1 = healthRuns.get(workers[0]!);
  console.log(
    `\nProjected to ${fmt(million)} users from N=${fmt(n)}, assuming ${PAGE_MS} ms per page transaction ` +
      `(pages of ${pageSize}; the largest transaction stays set by the page size` +
      (k1 === undefined
        ? ""
        : `: ${share(k1.max, "documentsRead")} of the read limit, ${share(k1.max, "databaseQueries")} of the index-range limit`) +
      "):",
  );
  console.table(projected);
}

function share(max: Metrics, key: keyof Metrics): string {
  return `${fmt((100 * max[key]) / CONVEX_LIMITS[key], 1)}%`;
}

function duration(ms: number): string {
  const seconds = ms / 1000;
  return seconds < 120 ? `${fmt(seconds)} s` : `${fmt(seconds / 60, 1)} min`;
}
