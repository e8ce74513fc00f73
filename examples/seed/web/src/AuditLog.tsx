/**
 * The audit log, newest first, a page at a time, in words: what was done,
 * by whom, when, and what it said; the action's name, the ids and the
 * field names stay visible, small, for support. Each entry opens to every
 * field it changed, before and after (a card per change on a phone).
 */
import { usePaginatedQuery } from "convex/react";
import { api } from "../../convex/_generated/api";
import { time, valueText } from "./format";
import { fieldLabel } from "./labels";
import { Waiting } from "./Notice";
import {
  actorWords,
  AUDIT_ACTIONS,
  auditActionLabel,
  TABLE_LABELS,
} from "./words";

export function AuditLog() {
  const { results, status, loadMore } = usePaginatedQuery(
    api.console.auditLog,
    {},
    { initialNumItems: 10 },
  );
  if (status === "LoadingFirstPage") return <Waiting what="the audit log" />;
  return (
    <div className="audit-log">
      {results.length === 0 && (
        <p className="muted" role="status" data-testid="audit-empty">
          Nothing recorded yet. Resolutions, runs and administrators' edits
          appear here as they happen.
        </p>
      )}
      {results.map((entry) => {
        const actor = actorWords(entry.actor);
        return (
          <details className="card" key={entry._id} data-testid="audit-entry">
            <summary>
              <strong
                data-testid="audit-action"
                title={AUDIT_ACTIONS[entry.action] ? entry.action : undefined}
              >
                {auditActionLabel(entry.action)}
              </strong>
              <span className="audit-who" title={actor.id}>
                by {actor.who}, {time(entry.at)}
              </span>
              <span className="audit-what" data-testid="audit-summary">
                {entry.summary}
              </span>
              <span className="muted small mono">
                {entry.action}
                {actor.id !== undefined ? ` · ${actor.id}` : ""}
              </span>
            </summary>
            <p className="small">
              <span className="muted">Records: </span>
              <span className="mono audit-ids">{entry.ids.join(" · ")}</span>
            </p>
            {entry.changes.length === 0 ? (
              <p className="muted small">No field changed.</p>
            ) : (
              <table className="stack">
                <caption className="small">What changed</caption>
                <thead>
                  <tr>
                    <th scope="col">Record</th>
                    <th scope="col">Field</th>
                    <th scope="col">Before</th>
                    <th scope="col">After</th>
                  </tr>
                </thead>
                <tbody>
                  {entry.changes.map((change) => (
                    <tr key={`${change.table}:${change.id}:${change.field}`}>
                      <td data-label="Record">
                        <div>
                          {TABLE_LABELS[change.table] ??
                            fieldLabel(change.table)}
                          <span className="field-name muted small mono">
                            {change.table} {change.id}
                          </span>
                        </div>
                      </td>
                      <td data-label="Field">
                        <div>
                          {fieldLabel(change.field)}
                          <span className="field-name muted small mono">
                            {change.field}
                          </span>
                        </div>
                      </td>
                      <td data-label="Before">
                        {valueText(change.field, change.before)}
                      </td>
                      <td data-label="After">
                        {valueText(change.field, change.after)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {entry.truncated === true && (
              <p className="muted">More fields changed than one entry keeps.</p>
            )}
          </details>
        );
      })}
      {status === "LoadingMore" && <Waiting what="older entries" />}
      {status === "CanLoadMore" && (
        <button data-testid="audit-more" onClick={() => loadMore(10)}>
          Older entries
        </button>
      )}
    </div>
  );
}
