/**
 * Sync health: the drift report by kind (a chart), and runs with a live
 * progress bar (rows checked of an estimate, pages, the costliest page),
 * with dry run, run and resume; where the fold into one table stands.
 */
import { useAction, useMutation, useQuery } from "convex/react";
import type { FunctionReturnType } from "convex/server";
import { useCallback, useEffect, useState } from "react";
import { api } from "../../convex/_generated/api";
import { errorText, time } from "./format";

type Drift = FunctionReturnType<typeof api.console.driftSummary>;
type Run = FunctionReturnType<typeof api.console.runs>[number];

export function Health() {
  const summarize = useAction(api.console.driftSummary);
  const [drift, setDrift] = useState<Drift | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(() => {
    setError(null);
    summarize({}).then(setDrift, (e: unknown) => setError(errorText(e)));
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
        {error !== null && <p className="error">{error}</p>}
        {drift === null ? (
          <p className="muted">Reading both tables…</p>
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
  const [error, setError] = useState<string | null>(null);
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
    }).catch((e: unknown) => setError(errorText(e)));
  };
  return (
    <section className="card" data-testid="fold-status">
      <h2>Fold into one table</h2>
      {fold === undefined ? (
        <p className="muted">Loading…</p>
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
          {error !== null && <p className="error">{error}</p>}
          <p className="muted">
            Or from the CLI: npx convex run fold:startFoldPhase (docs/fold.md)
          </p>
        </>
      )}
    </section>
  );
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
      {bars.length === 0 && <p className="muted">No findings.</p>}
      {bars.map(([kind, count]) => (
        <div className="bar-row" key={kind}>
          <span className="bar-label">{kind}</span>
          <span className="bar" style={{ width: `${(count / max) * 60}%` }} />
          <span className="bar-count">{count}</span>
        </div>
      ))}
    </div>
  );
}

function Runs({
  estimate,
  onFinished,
}: {
  estimate: number | undefined;
  onFinished: () => void;
}) {
  const runs = useQuery(api.console.runs);
  const start = useMutation(api.console.startRun);
  const resume = useMutation(api.console.resumeRun);
  const [pageSize, setPageSize] = useState(100);
  const [error, setError] = useState<string | null>(null);
  const latest = runs?.[0];
  const running = latest?.status === "running";
  const status = latest?.status;
  useEffect(() => {
    if (status === "completed") onFinished();
  }, [status, onFinished]);
  const act = (run: Promise<unknown>) => {
    setError(null);
    run.catch((e: unknown) => setError(errorText(e)));
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
      {error !== null && <p className="error">{error}</p>}
      {runs === undefined ? (
        <p className="muted">Loading…</p>
      ) : runs.length === 0 ? (
        <p className="muted">No run yet.</p>
      ) : (
        runs.map((run, i) => <RunRow key={run._id} run={run} open={i === 0} />)
      )}
    </section>
  );
}

function RunRow({ run, open }: { run: Run; open: boolean }) {
  const { checked } = run.counts;
  const of = run.estimate;
  const done = run.status === "completed";
  const fraction = done
    ? 1
    : of !== undefined && of > 0
      ? Math.min(0.99, checked / of)
      : 0;
  return (
    <div className="run" data-testid={open ? "latest-run" : undefined}>
      <div className="row">
        <strong data-testid={open ? "run-status" : undefined}>
          {run.status}
        </strong>
        <span>
          {run.dry_run ? "dry run" : "run"} “{run.name}” · started{" "}
          {time(run.started_at)} · phase {run.phase}
        </span>
      </div>
      <div className="progress">
        <div
          className={done ? "fill done" : "fill"}
          style={{ width: `${fraction * 100}%` }}
          data-testid={open ? "progress" : undefined}
          data-checked={checked}
        />
      </div>
      {open && (
        <p className="small">
          {checked} rows checked{of !== undefined ? ` of about ${of}` : ""} ·{" "}
          {run.pages} pages · costliest page:{" "}
          {run.max_page === undefined
            ? "—"
            : `${run.max_page.documentsRead} reads, ${run.max_page.databaseQueries} index ranges, ${run.max_page.documentsWritten} writes`}
          <br />
          linked {run.counts.linked} · created {run.counts.created} · repaired{" "}
          {run.counts.repaired} · unchanged {run.counts.unchanged} · pending{" "}
          {run.counts.pending} · needing review {run.counts.needingReview}
          {run.last_error !== undefined && <> · last error: {run.last_error}</>}
        </p>
      )}
    </div>
  );
}
