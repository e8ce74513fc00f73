/**
 * Sync health: the drift report by kind (each kind in words, with a link to
 * its open cases; bars on a log scale so small counts stay visible), and
 * every run, newest first, with its name, counts, duration, costliest page
 * and a live progress bar, with dry run, run and resume; where the fold
 * into one table stands. `runId`: one run's page (/runs/<id>).
 */
import {
  useAction,
  useMutation,
  usePaginatedQuery,
  useQuery,
} from "convex/react";
import type { FunctionReturnType } from "convex/server";
import { useCallback, useEffect, useState } from "react";
import { api } from "../../convex/_generated/api";
import { time } from "./format";
import { IdBoundary } from "./IdBoundary";
import { ProblemNote, Waiting } from "./Notice";
import { Missing } from "./Reviews";
import { Link } from "./route";
import { DRIFT_KINDS } from "./words";

type Drift = FunctionReturnType<typeof api.console.driftSummary>;
type Run = NonNullable<FunctionReturnType<typeof api.console.run>>;

/** One run alone, by id: its page (/runs/<id>). */
export function RunPage({ id }: { id: string }) {
  const run = useQuery(api.console.run, { runId: id });
  return (
    <section className="card">
      <p>
        <Link to="/health">← Sync health</Link>
      </p>
      {run === undefined ? (
        <Waiting what="the run" />
      ) : run === null ? (
        <Missing what="run" id={id} />
      ) : (
        <RunRow run={run} open />
      )}
    </section>
  );
}

export function Health({ runId }: { runId?: string } = {}) {
  if (runId !== undefined) {
    return (
      <IdBoundary key={runId} missing={<Missing what="run" id={runId} />}>
        <RunPage id={runId} />
      </IdBoundary>
    );
  }
  return <HealthPage />;
}

function HealthPage() {
  const summarize = useAction(api.console.driftSummary);
  const [drift, setDrift] = useState<Drift | null>(null);
  const [error, setError] = useState<unknown>(null);
  const refresh = useCallback(() => {
    setError(null);
    summarize({}).then(setDrift, setError);
  }, [summarize]);
  useEffect(refresh, [refresh]);
  const checked =
    drift === null ? undefined : drift.users.checked + drift.rows.checked;
  return (
    <>
      <section className="card">
        <h2>
          Drift report{" "}
          <button onClick={refresh} data-testid="drift-refresh">
            Refresh
          </button>
        </h2>
        {error !== null && <ProblemNote error={error} testId="drift-error" />}
        {drift === null ? (
          error === null && (
            <Waiting what="the drift report (reading both tables)" />
          )
        ) : (
          <DriftChart drift={drift} />
        )}
      </section>
      <Runs estimate={checked} onFinished={refresh} />
      <Fold />
    </>
  );
}

/** The stages of the fold, in words (docs/fold.md). */
const FOLD_STAGES: Record<string, string> = {
  two_tables: "Two tables (the fold has not started)",
  expanded: "Expanded: auth_users' own fields have a home on users",
  placeholders:
    "Placeholders: everyone who never signed in has a users row to claim",
  repointed: "Re-pointed: references name users ids",
  reads_switched: "Reads switched: the app reads people from users alone",
  writes_stopped: "Writes stopped: auth_users is no longer written",
  verified: "Verified: every auth_users value is on users",
  retired: "Retired: one table (auth_users is empty)",
};

/** The phase that leaves each stage, and the one that reached it. */
const FOLD_PHASES = [
  "expand",
  "placeholders",
  "repoint",
  "switch_reads",
  "stop_writes",
  "verify",
  "retire",
];
const STAGE_ORDER = Object.keys(FOLD_STAGES);

/** Where the fold into one table stands, live, and its next move. */
function Fold() {
  const fold = useQuery(api.console.foldStatus);
  const move = useMutation(api.console.moveFold);
  const [error, setError] = useState<unknown>(null);
  const at = fold === undefined ? -1 : STAGE_ORDER.indexOf(fold.stage);
  const next = FOLD_PHASES[at];
  const latest =
    at > 0 && fold?.stage !== "retired" ? FOLD_PHASES[at - 1] : undefined;
  const act = (phase: string, direction: "forward" | "back") => {
    const asked =
      direction === "back"
        ? `Roll ${phase} back?`
        : phase === "retire"
          ? "Retire deletes every auth_users row for good. Take an export (npx convex export) first. Retire now?"
          : null;
    if (asked !== null && !window.confirm(asked)) return;
    setError(null);
    move({
      phase,
      direction,
      confirm: asked !== null ? true : undefined,
    }).catch(setError);
  };
  return (
    <section className="card" data-testid="fold-status">
      <h2>Fold into one table</h2>
      {fold === undefined ? (
        <Waiting what="where the fold stands" />
      ) : (
        <>
          <p>{FOLD_STAGES[fold.stage] ?? fold.stage}</p>
          {fold.move !== null && (
            <p>
              Under way: {fold.move.direction === "back" ? "rolling back " : ""}
              {fold.move.phase} (run {fold.runId}, {fold.runStatus})
            </p>
          )}
          {fold.lastOutcome !== null && (
            <p className="muted">{fold.lastOutcome}</p>
          )}
          {fold.move === null && (
            <div className="row">
              {next !== undefined && (
                <button onClick={() => act(next, "forward")}>
                  Start {next}
                </button>
              )}
              {latest !== undefined && (
                <button onClick={() => act(latest, "back")}>
                  Roll {latest} back
                </button>
              )}
            </div>
          )}
          {error !== null && <ProblemNote error={error} />}
          <p className="muted">
            Or from the CLI: npx convex run fold:startFoldPhase (docs/fold.md)
          </p>
        </>
      )}
    </section>
  );
}

/** A bar's width on a log scale: 1 is visible beside 1,000 (8% to 100%). */
export function barWidth(count: number, max: number): number {
  if (count <= 0) return 0;
  return 8 + 92 * (Math.log1p(count) / Math.log1p(Math.max(1, max)));
}

function DriftChart({ drift }: { drift: Drift }) {
  const counts = new Map<string, number>();
  for (const finding of [...drift.users.findings, ...drift.rows.findings]) {
    counts.set(finding.kind, (counts.get(finding.kind) ?? 0) + finding.count);
  }
  const bars = [...counts].sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...bars.map(([, count]) => count));
  return (
    <div data-testid="drift-chart">
      <p>
        {drift.consistent ? "Consistent" : "Out of step"}: checked{" "}
        {drift.users.checked} users and {drift.rows.checked} app rows.
      </p>
      {bars.length === 0 ? (
        <p className="muted">No findings.</p>
      ) : (
        <p className="muted small">
          Bars on a log scale, so small counts stay visible; the number beside
          each is exact.
        </p>
      )}
      <ul className="drift-kinds">
        {bars.map(([kind, count]) => {
          const words = DRIFT_KINDS[kind];
          return (
            <li key={kind} data-testid={`drift-${kind}`}>
              <div className="bar-row">
                <strong className="bar-label">{words?.title ?? kind}</strong>
                <span className="bar-track" aria-hidden="true">
                  <span
                    className="bar"
                    style={{ width: `${barWidth(count, max)}%` }}
                  />
                </span>
                <span className="bar-count">{count}</span>
              </div>
              {words !== undefined && (
                <p className="small">
                  {words.meaning} <em>What to do:</em> {words.action}{" "}
                  {words.caseKind !== undefined && (
                    <Link
                      to={`/reviews?kind=${words.caseKind}`}
                      data-testid={`drift-cases-${kind}`}
                    >
                      Open cases of this kind
                    </Link>
                  )}
                </p>
              )}
              <span className="muted small mono">{kind}</span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** How many runs a page of the list shows. */
const RUNS_PAGE = 5;

function Runs({
  estimate,
  onFinished,
}: {
  estimate: number | undefined;
  onFinished: () => void;
}) {
  const {
    results: runs,
    status: listStatus,
    loadMore,
  } = usePaginatedQuery(api.console.runs, {}, { initialNumItems: RUNS_PAGE });
  const start = useMutation(api.console.startRun);
  const resume = useMutation(api.console.resumeRun);
  const [pageSize, setPageSize] = useState(100);
  const [error, setError] = useState<unknown>(null);
  const latest = runs[0];
  const running = latest?.status === "running";
  const status = latest?.status;
  useEffect(() => {
    if (status === "completed") onFinished();
  }, [status, onFinished]);
  const act = (run: Promise<unknown>) => {
    setError(null);
    run.catch(setError);
  };
  return (
    <section className="card">
      <h2>Runs</h2>
      <div className="row">
        <label className="inline">
          Page size{" "}
          <input
            type="number"
            min={1}
            max={1000}
            value={pageSize}
            data-testid="page-size"
            onChange={(event) => setPageSize(Number(event.target.value))}
          />
        </label>
        <button
          disabled={running}
          data-testid="dry-run"
          onClick={() => act(start({ dryRun: true, pageSize, estimate }))}
        >
          Dry run
        </button>
        <button
          disabled={running}
          data-testid="run"
          onClick={() => act(start({ pageSize, estimate }))}
        >
          Run
        </button>
        {latest?.status === "failed" && (
          <button onClick={() => act(resume({ runId: latest._id }))}>
            Resume
          </button>
        )}
      </div>
      {error !== null && <ProblemNote error={error} testId="run-error" />}
      {listStatus === "LoadingFirstPage" ? (
        <Waiting what="the runs" />
      ) : runs.length === 0 ? (
        <p className="muted" data-testid="no-runs">
          No run yet. A dry run counts what a run would change, writing nothing.
        </p>
      ) : (
        <ol className="runs" data-testid="run-list">
          {runs.map((run, i) => (
            <li key={run._id}>
              <RunRow run={run} open={i === 0} />
            </li>
          ))}
        </ol>
      )}
      {listStatus === "CanLoadMore" && (
        <button data-testid="older-runs" onClick={() => loadMore(RUNS_PAGE)}>
          Older runs
        </button>
      )}
    </section>
  );
}

/** A duration in words: "4.2 s", "3 min 5 s". */
export function duration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const STATUS_WORDS: Record<string, string> = {
  running: "Running",
  completed: "Completed",
  failed: "Failed",
};

function RunRow({ run, open }: { run: Run; open: boolean }) {
  const { checked } = run.counts;
  const of = run.estimate;
  const done = run.status === "completed";
  const fraction = done
    ? 1
    : of !== undefined && of > 0
      ? Math.min(0.99, checked / of)
      : 0;
  const percent = Math.round(fraction * 100);
  const took =
    run.finished_at === undefined
      ? undefined
      : run.finished_at - (run.resumed_at ?? run.started_at);
  return (
    <div
      className="run"
      data-testid={open ? "latest-run" : "run-row"}
      data-run={run._id}
    >
      <div className="row">
        <strong data-testid={open ? "run-status" : undefined}>
          {STATUS_WORDS[run.status] ?? run.status}
        </strong>
        <Link to={`/runs/${run._id}`} data-testid="run-name">
          {run.name}
          {/* The console's names say a dry run; another's may not. */}
          {run.dry_run && !run.name.includes("dry run") ? " (dry run)" : ""}
        </Link>
      </div>
      <p className="small muted">
        Started {time(run.started_at)}
        {took !== undefined ? ` · took ${duration(took)}` : ""}
        {run.status === "running" ? ` · phase ${run.phase}` : ""}
      </p>
      <div
        className="progress"
        role="progressbar"
        aria-label={`Progress of ${run.name}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent}%: ${checked} rows checked${of !== undefined ? ` of about ${of}` : ""}`}
        data-testid={open ? "progress" : undefined}
        data-checked={checked}
      >
        <div
          className={done ? "fill done" : "fill"}
          style={{ width: `${fraction * 100}%` }}
        />
      </div>
      <p className="small" data-testid="run-counts">
        {checked} rows checked{of !== undefined ? ` of about ${of}` : ""} ·{" "}
        {run.pages} pages · <CostliestPage run={run} />
        <br />
        linked {run.counts.linked} · created {run.counts.created} · repaired{" "}
        {run.counts.repaired} · unchanged {run.counts.unchanged} · pending{" "}
        {run.counts.pending} · needing review {run.counts.needingReview}
        {run.last_error !== undefined && <> · last error: {run.last_error}</>}
      </p>
    </div>
  );
}

/**
 * The one page that used the largest share of a transaction's limits; a
 * run recorded before that was kept shows each measure's maximum instead.
 */
function CostliestPage({ run }: { run: Run }) {
  const page = run.costliest_page;
  if (page !== undefined) {
    return (
      <span data-testid="costliest-page">
        costliest page: {page.documentsRead} reads, {page.databaseQueries} index
        ranges, {page.documentsWritten} writes (
        {Math.max(1, Math.round(page.share * 100))}% of a transaction&apos;s
        limits, {page.rows} rows, phase {page.phase})
      </span>
    );
  }
  const most = run.max_page;
  return (
    <span>
      costliest page:{" "}
      {most === undefined
        ? "—"
        : `${most.documentsRead} reads, ${most.databaseQueries} index ranges, ${most.documentsWritten} writes (each measure's most)`}
    </span>
  );
}
