/** The audit log, newest first, a page at a time. */
import { usePaginatedQuery } from "convex/react";
import { api } from "../../convex/_generated/api";
import { showField, time } from "./format";

export function AuditLog() {
  const { results, status, loadMore } = usePaginatedQuery(
    api.console.auditLog,
    {},
    { initialNumItems: 10 },
  );
  return (
    <>
      {status !== "LoadingFirstPage" && results.length === 0 && (
        <p className="muted">Nothing recorded yet.</p>
      )}
      {results.map((entry) => (
        <details className="card" key={entry._id} data-testid="audit-entry">
          <summary>
            <span className="mono">{entry.action}</span> ·{" "}
            <span data-testid="audit-summary">{entry.summary}</span> ·{" "}
            <span className="muted">
              {entry.actor}, {time(entry.at)}
            </span>
          </summary>
          <p className="small mono">{entry.ids.join(" · ")}</p>
          {entry.changes.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th>document</th>
                  <th>field</th>
                  <th>before</th>
                  <th>after</th>
                </tr>
              </thead>
              <tbody>
                {entry.changes.map((change) => (
                  <tr key={`${change.table}:${change.id}:${change.field}`}>
                    <td className="mono">
                      {change.table} {change.id}
                    </td>
                    <td className="mono">{change.field}</td>
                    <td>{showField(change.field, change.before)}</td>
                    <td>{showField(change.field, change.after)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {entry.truncated === true && (
            <p className="muted">More fields changed than one entry keeps.</p>
          )}
        </details>
      ))}
      {status === "CanLoadMore" && (
        <button onClick={() => loadMore(10)}>Older entries</button>
      )}
    </>
  );
}
