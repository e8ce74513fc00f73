/**
 * The review queue: every case the sync refused to guess at, the user and
 * each row side by side, and the resolutions (link, keep separate, retire,
 * dismiss). Each resolution sends the case's version as shown: a case that
 * changed meanwhile is refused (STALE) and shown again.
 */
import { useMutation, usePaginatedQuery } from "convex/react";
import type { FunctionReturnType } from "convex/server";
import { useState } from "react";
import { api } from "../../convex/_generated/api";
import { errorText, fieldsOf, showField, time } from "./format";

type CaseView = FunctionReturnType<
  typeof api.console.openCases
>["page"][number];

export function Reviews() {
  const { results, status, loadMore } = usePaginatedQuery(
    api.console.openCases,
    {},
    { initialNumItems: 5 },
  );
  return (
    <>
      {status === "LoadingFirstPage" && <p className="muted">Loading…</p>}
      {status !== "LoadingFirstPage" && results.length === 0 && (
        <p data-testid="no-cases">No open cases.</p>
      )}
      {results.map((view) => (
        <Case key={view.review._id} view={view} />
      ))}
      {status === "CanLoadMore" && (
        <button onClick={() => loadMore(5)}>More cases</button>
      )}
    </>
  );
}

function Case({ view }: { view: CaseView }) {
  const link = useMutation(api.console.link);
  const keepSeparate = useMutation(api.console.keepSeparate);
  const retire = useMutation(api.console.retire);
  const dismiss = useMutation(api.console.dismiss);
  const [error, setError] = useState<string | null>(null);
  const { review, user, counterpart } = view;
  const shown = { reviewId: review._id, version: view.version };
  const act = (run: Promise<unknown>) => {
    setError(null);
    run.catch((e: unknown) => setError(errorText(e)));
  };
  return (
    <section
      className="card case"
      data-testid={`case-${review.kind}`}
      data-review={review._id}
    >
      <h2>
        {review.kind}{" "}
        <span className="muted small">{time(review.first_seen_at)}</span>
      </h2>
      <p>{review.detail}</p>
      <div className="side-by-side">
        <Doc
          title={user === null ? "users" : `users ${user._id}`}
          doc={user}
          missing={
            review.user_id === undefined
              ? "This case names no user."
              : "Gone (deleted since the case was recorded)."
          }
        >
          {counterpart !== null && (
            <p className="small">Paired with auth_users {counterpart._id}</p>
          )}
        </Doc>
        {counterpart !== null &&
          !view.rows.some((row) => row.id === counterpart._id) && (
            <Doc
              title={`the user's current row ${counterpart._id}`}
              doc={counterpart}
            />
          )}
        {view.rows.map((row) => {
          const pairedElsewhere =
            row.pairedUserId !== null && row.pairedUserId !== user?._id;
          const replaces =
            counterpart !== null && counterpart._id !== row.id
              ? counterpart._id
              : undefined;
          return (
            <Doc key={row.id} title={`auth_users ${row.id}`} doc={row.doc}>
              <p className="small">
                {row.pairedUserId === null
                  ? "In no pair"
                  : `Paired with users ${row.pairedUserId}`}
              </p>
              {row.doc !== null && (
                <div className="row">
                  {user !== null &&
                    !pairedElsewhere &&
                    row.pairedUserId !== user._id && (
                      <button
                        data-testid="link"
                        onClick={() =>
                          act(
                            link({
                              ...shown,
                              userId: user._id,
                              rowId: row.id,
                              retireCurrent: replaces,
                            }),
                          )
                        }
                      >
                        {replaces === undefined
                          ? "Link to the user"
                          : "Link, retiring the user's current row"}
                      </button>
                    )}
                  {user !== null && row.pairedUserId !== user._id && (
                    <button
                      data-testid="keep-separate"
                      onClick={() =>
                        act(
                          keepSeparate({
                            ...shown,
                            userId: user._id,
                            rowId: row.id,
                          }),
                        )
                      }
                    >
                      Keep separate
                    </button>
                  )}
                  {row.pairedUserId === null && (
                    <button
                      className="danger"
                      data-testid="retire"
                      onClick={() => act(retire({ ...shown, rowId: row.id }))}
                    >
                      Retire this row
                    </button>
                  )}
                </div>
              )}
            </Doc>
          );
        })}
      </div>
      <div className="row">
        <button data-testid="dismiss" onClick={() => act(dismiss(shown))}>
          Dismiss
        </button>
        <span className="muted small mono">version {view.version}</span>
      </div>
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function Doc({
  title,
  doc,
  missing = "Gone (deleted since the case was recorded).",
  children,
}: {
  title: string;
  doc: Record<string, unknown> | null;
  missing?: string;
  children?: React.ReactNode;
}) {
  return (
    <div className="doc">
      <h3 className="mono">{title}</h3>
      {doc === null ? (
        <p className="muted">{missing}</p>
      ) : (
        <table>
          <tbody>
            {fieldsOf(doc).map(([field, value]) => (
              <tr key={field}>
                <th>{field}</th>
                <td>{showField(field, value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {children}
    </div>
  );
}
