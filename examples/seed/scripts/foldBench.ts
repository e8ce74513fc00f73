/**
 * The fold's part of `npm run bench` (docs/fold-costs.md): each phase of the
 * fold into one table, forward and back, over the messy mix with starter
 * templates owned by row ids, next to today's migration over the same data,
 * in database operations per person and per transaction, from the runs'
 * own records (`sync_runs` totals and max_page). Then a projection to a
 * million people, from the operation counts.
 */
import type { FoldPhase as Phase } from "convex-auth-user-sync";
import { internal } from "../convex/_generated/api";
import { type Backend, seedMix } from "../convex/sync.helpers";
import type { SyncRun } from "../convex/validators";
import { runToCompletion } from "../../../dev/bench";
import { CONVEX_LIMITS, fmt } from "../../../dev/cost";

type Move = {
  phase: Phase;
  direction: "forward" | "back";
  stage: string;
  /** false: a move repeated to reach a later stage, not measured again. */
  measured?: false;
};

/**
 * The fold there and back, with the stage each move must reach; then
 * forward again to the end: writes stopped and rolled back (every row
 * written from its user), verified, retired.
 */
const MOVES: Move[] = [
  { phase: "expand", direction: "forward", stage: "expanded" },
  { phase: "placeholders", direction: "forward", stage: "placeholders" },
  { phase: "repoint", direction: "forward", stage: "repointed" },
  { phase: "repoint", direction: "back", stage: "placeholders" },
  { phase: "placeholders", direction: "back", stage: "expanded" },
  { phase: "expand", direction: "back", stage: "two_tables" },
  ...(
    [
      ["expand", "expanded"],
      ["placeholders", "placeholders"],
      ["repoint", "repointed"],
    ] as const
  ).map(([phase, stage]): Move => ({
    phase,
    direction: "forward",
    stage,
    measured: false,
  })),
  { phase: "switch_reads", direction: "forward", stage: "reads_switched" },
  { phase: "stop_writes", direction: "forward", stage: "writes_stopped" },
  { phase: "stop_writes", direction: "back", stage: "reads_switched" },
  {
    phase: "stop_writes",
    direction: "forward",
    stage: "writes_stopped",
    measured: false,
  },
  { phase: "verify", direction: "forward", stage: "verified" },
  { phase: "retire", direction: "forward", stage: "retired" },
];

type Figures = {
  run: SyncRun;
  n: number;
};

type Row = Record<string, string>;

const million = 1_000_000;

function perPerson(run: SyncRun, n: number) {
  return {
    "reads/person": fmt(run.totals.documentsRead / n, 2),
    "ranges/person": fmt(run.totals.databaseQueries / n, 2),
    "writes/person": fmt(run.totals.documentsWritten / n, 2),
  };
}

function largest(run: SyncRun) {
  const max = run.max_page;
  return max === undefined
    ? "(no page)"
    : `${fmt(max.documentsRead)} / ${fmt(max.databaseQueries)} / ${fmt(max.documentsWritten)}`;
}

function row(label: string, { run, n }: Figures): Row {
  const { checked, repaired, linked, created, needingReview } = run.counts;
  return {
    N: fmt(n),
    run: label,
    ...perPerson(run, n),
    // The start, then every page.
    txns: fmt(run.pages + 1),
    "txns/1k people": fmt(((run.pages + 1) * 1000) / n, 1),
    "largest txn: reads / ranges / writes": largest(run),
    "checked / changed / review": `${fmt(checked)} / ${fmt(repaired + linked + created)} / ${fmt(needingReview)}`,
  };
}

/** A fold move started through its command and driven to its end. */
async function move(
  t: Backend,
  next: Move,
  pageSize: number,
  workers: number,
): Promise<SyncRun | null> {
  const args = { phase: next.phase, pageSize, workers };
  const started =
    next.direction === "forward"
      ? await t.mutation(internal.fold.startFoldPhase, {
          ...args,
          // Retiring deletes the rows: the command needs it confirmed.
          ...(next.phase === "retire" ? { confirm: true } : {}),
        })
      : await t.mutation(internal.fold.rollbackFoldPhase, {
          ...args,
          confirm: true,
        });
  // runAfter(0) pages are due at once on the real clock.
  await t.finishAllScheduledFunctions(() => {}, 1_000_000);
  const status = await t.query(internal.fold.foldStatus, {});
  if (status.stage !== next.stage) {
    throw new Error(
      `fold ${next.direction} ${next.phase} left the stage at ${status.stage}: ${status.lastOutcome}`,
    );
  }
  if (started === null) return null;
  const run = await t.query(internal.syncEngine.getRun, {
    runId: started._id,
  });
  if (run?.status !== "completed") {
    throw new Error(`run ended ${run?.status}: ${run?.last_error}`);
  }
  return run;
}

const labelOf = (m: Move) =>
  `fold: ${m.phase}${
    m.direction === "back"
      ? m.phase === "stop_writes"
        ? " back (rows_from_users)"
        : " back"
      : m.phase === "expand"
        ? " (after the migration)"
        : ""
  }`;

/**
 * For each N, on one backend: the mix seeded with templates, today's
 * migration and its re-run, then the fold's moves there and back; then a
 * table of every run side by side across N, and the projection from the
 * largest N.
 */
export async function benchFold(options: {
  sizes: readonly number[];
  pageSize: number;
  workers: number;
  newBackend: () => Backend;
}): Promise<void> {
  const { sizes, pageSize, workers } = options;
  const byLabel = new Map<string, Map<number, Figures>>();
  const keep = (label: string, figures: Figures) => {
    const entry = byLabel.get(label) ?? new Map<number, Figures>();
    entry.set(figures.n, figures);
    byLabel.set(label, entry);
  };
  const templates = new Map<number, number>();
  for (const n of sizes) {
    let lap = performance.now();
    const progress = (what: string) => {
      const now = performance.now();
      console.log(`  N=${fmt(n)}: ${what} (${fmt((now - lap) / 1000)} s)`);
      lap = now;
    };
    // 1. Today's migration, as the rest of the bench runs it, then its
    //    re-run (the health run over what the migration left).
    const t = options.newBackend();
    await seedMix(t, n, undefined, { templates: true });
    progress("seeded");
    const functions = {
      start: internal.migrations.syncUserTables.syncUserTables,
      getRun: internal.syncEngine.getRun,
    };
    keep("today: migration (first run)", {
      run: await runToCompletion(t, functions, pageSize, workers),
      n,
    });
    progress("today: migration");
    keep("today: re-run (health)", {
      run: await runToCompletion(t, functions, pageSize, workers),
      n,
    });
    progress("today: re-run");

    // 2. The fold there and back on the migrated tables. Its expand is
    //    the migration's own run (same plan, same field map, the fold
    //    fields included): on tables never migrated it costs the first
    //    run above, here what is left after it.
    for (const next of MOVES) {
      const run = await move(t, next, pageSize, workers);
      if (run !== null && next.measured !== false) {
        keep(labelOf(next), { run, n });
      }
      // The re-point reads every template once.
      if (next.phase === "repoint" && next.direction === "forward") {
        templates.set(n, run?.counts.checked ?? 0);
      }
      progress(`${labelOf(next)}${next.measured === false ? " (again)" : ""}`);
    }
  }

  const n = sizes[sizes.length - 1]!;
  console.log(
    `\nThe fold, phase by phase, next to today's migration (same mix: ${sizes
      .map((size) => `${fmt(templates.get(size)!)} templates at N=${fmt(size)}`)
      .join(", ")}; ` +
      `pages of ${pageSize}, ${workers} worker${workers === 1 ? "" : "s"}; per person = per identity of the mix; ` +
      "expand back runs nothing, it only moves the stage; switch_reads and stop_writes forward each run the verify phase's row check):",
  );
  const table: Row[] = [];
  for (const [label, bySize] of byLabel) {
    for (const size of sizes) {
      const figures = bySize.get(size);
      if (figures !== undefined) table.push(row(label, figures));
    }
  }
  console.table(table);

  // Every phase reads its stream in pages of a fixed size and does a
  // bounded step per document, so its transactions and operations grow
  // with the documents it streams: per million people, the measured
  // figures at the largest N times 1,000,000 / N. The largest transaction
  // stays what one page costs, whatever N.
  const projected: Row[] = [];
  for (const [label, bySize] of byLabel) {
    const figures = bySize.get(n);
    if (figures === undefined) continue;
    const scale = million / n;
    const { totals, max_page: max } = figures.run;
    projected.push({
      run: label,
      transactions: approx((figures.run.pages + 1) * scale),
      "documents read": approx(totals.documentsRead * scale),
      "index ranges": approx(totals.databaseQueries * scale),
      "documents written": approx(totals.documentsWritten * scale),
      [`critical path, ${workers} worker${workers === 1 ? "" : "s"}`]: approx(
        (figures.run.critical_path ?? figures.run.pages + 1) * scale,
      ),
      "largest txn, % of Convex's read / range / write limit":
        max === undefined
          ? ""
          : `${share(max.documentsRead, "documentsRead")} / ${share(max.databaseQueries, "databaseQueries")} / ${share(max.documentsWritten, "documentsWritten")}`,
    });
  }
  console.log(
    `\nProjected per ${fmt(million)} people (the counts at N=${fmt(n)} times ${fmt(million / n)}; ` +
      "each phase's pages and operations grow with what it streams, the largest transaction does not):",
  );
  console.table(projected);
}

/** A projected count, to three significant digits. */
const approx = (value: number) =>
  value.toLocaleString("en-US", { maximumSignificantDigits: 3 });

function share(used: number, key: keyof typeof CONVEX_LIMITS): string {
  return `${fmt((100 * used) / CONVEX_LIMITS[key], 1)}%`;
}
