/**
 * The review queue: every case the sync refused to guess at, in words, the
 * account and each row side by side, and the resolutions (link, keep
 * separate, retire, dismiss). Each resolution first shows what it will
 * change or delete (the server's preview, from the plan the resolution
 * runs), asks for confirmation and takes an optional note. Each sends the
 * case's version as shown: a case that changed meanwhile is refused (STALE)
 * and shown again. `kind`: only cases of that kind (/reviews?kind=…);
 * `caseId`: one case (/reviews/<id>).
 */
import {
  useConvex,
  useMutation,
  usePaginatedQuery,
  useQuery,
} from "convex/react";
import type { FunctionArgs, FunctionReturnType } from "convex/server";
import { useEffect, useState } from "react";
import { api } from "../../convex/_generated/api";
import { fieldsOf, time, valueText } from "./format";
import { IdBoundary } from "./IdBoundary";
import { fieldLabel } from "./labels";
import { ProblemNote, Waiting } from "./Notice";
import { Link } from "./route";
import { CASE_KINDS } from "./words";

type CaseView = FunctionReturnType<
  typeof api.console.openCases
>["page"][number];
type Kind = NonNullable<FunctionArgs<typeof api.console.openCases>["kind"]>;
type Preview = FunctionReturnType<typeof api.console.previewResolution>;
type Choice = Omit<
  FunctionArgs<typeof api.console.previewResolution>,
  "reviewId" | "version" | "note"
>;

export function Reviews({
  kind,
  caseId,
}: { kind?: string; caseId?: string } = {}) {
  if (caseId !== undefined) {
    return (
      <IdBoundary key={caseId} missing={<Missing what="case" id={caseId} />}>
        <OneCase id={caseId} />
      </IdBoundary>
    );
  }
  const known = kind !== undefined && kind in CASE_KINDS;
  return <Queue kind={known ? (kind as Kind) : undefined} />;
}

function Queue({ kind }: { kind: Kind | undefined }) {
  const { results, status, loadMore } = usePaginatedQuery(
    api.console.openCases,
    kind === undefined ? {} : { kind },
    { initialNumItems: 5 },
  );
  return (
    <>
      {kind !== undefined && (
        <p data-testid="queue-filter">
          Showing open cases of one kind: {CASE_KINDS[kind]?.title}.{" "}
          <Link to="/reviews">Show all</Link>
        </p>
      )}
      {status === "LoadingFirstPage" && <Waiting what="the open cases" />}
      {status !== "LoadingFirstPage" && results.length === 0 && (
        <p data-testid="no-cases" role="status">
          {kind === undefined
            ? "No open cases: the sync has nothing it needs a person to decide."
            : "No open case of this kind."}
        </p>
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

/** An address naming nothing: "No case has this ID.", the id small. */
export function Missing({ what, id }: { what: string; id: string }) {
  return (
    <p role="status" data-testid={`${what}-missing`}>
      No {what} has this ID. <span className="muted small mono">{id}</span>
    </p>
  );
}

function OneCase({ id }: { id: string }) {
  const view = useQuery(api.console.caseById, { reviewId: id });
  return (
    <>
      <p>
        <Link to="/reviews">← All open cases</Link>
      </p>
      {view === undefined ? (
        <Waiting what="the case" />
      ) : view === null ? (
        <Missing what="case" id={id} />
      ) : view.review.resolved_at !== undefined ? (
        <p>
          This case was resolved ({view.review.resolution}) on{" "}
          {time(view.review.resolved_at)}.
        </p>
      ) : (
        <Case view={view} />
      )}
    </>
  );
}

/** A person's name or address, as a side's main text. */
function whoIs(doc: Record<string, unknown> | null): string {
  if (doc === null) return "—";
  for (const field of ["name", "full_name", "fullName", "email"]) {
    if (typeof doc[field] === "string" && doc[field] !== "") {
      return doc[field];
    }
  }
  return "No name or address";
}

function Case({ view }: { view: CaseView }) {
  const [choice, setChoice] = useState<{
    choice: Choice;
    label: string;
  } | null>(null);
  const { review, user, counterpart } = view;
  const words = CASE_KINDS[review.kind];
  const ask = (next: Choice, label: string) =>
    setChoice({ choice: next, label });
  return (
    <section
      className="card case"
      data-testid={`case-${review.kind}`}
      data-review={review._id}
      aria-labelledby={`case-title-${review._id}`}
    >
      <h2 id={`case-title-${review._id}`}>
        {words?.title ?? review.kind}{" "}
        <span className="muted small">since {time(review.first_seen_at)}</span>
      </h2>
      {words !== undefined && <p>{words.meaning}</p>}
      <p className="small">{review.detail}</p>
      <p className="muted small mono" title="The case's kind and id">
        {review.kind} · case{" "}
        <Link to={`/reviews/${review._id}`}>{review._id}</Link>
      </p>
      <div className="side-by-side">
        <Side
          title={user === null ? "The account" : `The account: ${whoIs(user)}`}
          id={user?._id}
          doc={user}
          missing={
            review.user_id === undefined
              ? "This case names no account."
              : "Gone (deleted since the case was recorded)."
          }
        >
          {counterpart !== null && (
            <p className="small">
              Its row now: {whoIs(counterpart)}{" "}
              <span className="muted mono">{counterpart._id}</span>
            </p>
          )}
        </Side>
        {counterpart !== null &&
          !view.rows.some((row) => row.id === counterpart._id) && (
            <Side
              title={`The account's current row: ${whoIs(counterpart)}`}
              id={counterpart._id}
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
            <Side
              key={row.id}
              title={`Row in question: ${whoIs(row.doc)}`}
              id={row.id}
              doc={row.doc}
            >
              <p className="small">
                {row.pairedUserId === null
                  ? "Not linked to any account."
                  : row.pairedUserId === user?._id
                    ? "Linked to this account."
                    : "Linked to another account."}
              </p>
              {row.doc !== null && (
                <div className="row">
                  {user !== null &&
                    !pairedElsewhere &&
                    row.pairedUserId !== user._id && (
                      <button
                        data-testid="link"
                        onClick={() =>
                          ask(
                            {
                              action: "link",
                              userId: user._id,
                              rowId: row.id,
                              retireCurrent: replaces,
                            },
                            replaces === undefined
                              ? "Link to the account"
                              : "Link, retiring the account's current row",
                          )
                        }
                      >
                        {replaces === undefined
                          ? "Link to the account"
                          : "Link, retiring the account's current row"}
                      </button>
                    )}
                  {user !== null && row.pairedUserId !== user._id && (
                    <button
                      data-testid="keep-separate"
                      onClick={() =>
                        ask(
                          {
                            action: "keep_separate",
                            userId: user._id,
                            rowId: row.id,
                          },
                          "Keep separate",
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
                      onClick={() =>
                        ask(
                          { action: "retire", rowId: row.id },
                          "Retire this row",
                        )
                      }
                    >
                      Retire this row
                    </button>
                  )}
                </div>
              )}
            </Side>
          );
        })}
      </div>
      <div className="row">
        <button
          data-testid="dismiss"
          onClick={() => ask({ action: "dismiss" }, "Dismiss")}
        >
          Dismiss
        </button>
      </div>
      {choice !== null && (
        <Confirm
          key={JSON.stringify(choice.choice)}
          view={view}
          choice={choice.choice}
          label={choice.label}
          onClose={() => setChoice(null)}
        />
      )}
      <p className="muted small mono">version {view.version}</p>
    </section>
  );
}

/**
 * A resolution, before it runs: what it will change or delete (the
 * server's preview), an optional note, and confirm or cancel.
 */
function Confirm({
  view,
  choice,
  label,
  onClose,
}: {
  view: CaseView;
  choice: Choice;
  label: string;
  onClose: () => void;
}) {
  const convex = useConvex();
  const link = useMutation(api.console.link);
  const keepSeparate = useMutation(api.console.keepSeparate);
  const retire = useMutation(api.console.retire);
  const dismiss = useMutation(api.console.dismiss);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const shown = { reviewId: view.review._id, version: view.version };
  useEffect(() => {
    // Asked once, as the case was shown: a later change is refused (STALE).
    convex
      .query(api.console.previewResolution, { ...shown, ...choice })
      .then(setPreview, setError);
  }, []);
  const confirm = () => {
    setBusy(true);
    setError(null);
    const args = { ...shown, note: note.trim() === "" ? undefined : note };
    const run =
      choice.action === "link"
        ? link({
            ...args,
            userId: choice.userId!,
            rowId: choice.rowId!,
            retireCurrent: choice.retireCurrent,
          })
        : choice.action === "keep_separate"
          ? keepSeparate({
              ...args,
              userId: choice.userId!,
              rowId: choice.rowId!,
            })
          : choice.action === "retire"
            ? retire({ ...args, rowId: choice.rowId! })
            : dismiss(args);
    run.then(onClose, (e: unknown) => {
      setBusy(false);
      setError(e);
    });
  };
  const destructive =
    preview?.effects.some((effect) => effect.kind === "delete") ?? false;
  const headingId = `confirm-${view.review._id}`;
  return (
    <div
      className="preview"
      role="group"
      aria-labelledby={headingId}
      data-testid="resolution-preview"
    >
      <h3 id={headingId}>{label}: what it will do</h3>
      {preview === null && error === null && (
        <p className="muted">Working out what it will change…</p>
      )}
      {preview !== null && (
        <>
          {preview.effects.length === 0 ? (
            <p>Closes the case and changes nothing else.</p>
          ) : (
            <ul data-testid="preview-effects">
              {preview.effects.map((effect, i) => (
                <Effect key={i} effect={effect} />
              ))}
            </ul>
          )}
          <label>
            Note (optional, up to 500 characters)
            <textarea
              maxLength={500}
              value={note}
              data-testid="resolution-note"
              onChange={(event) => setNote(event.target.value)}
            />
          </label>
          {!preview.keepsNote && (
            <p className="small warn">
              This deletes a person's row, so the audit log will not keep the
              note (nothing written about a person outlives their data).
            </p>
          )}
        </>
      )}
      {error !== null && (
        <ProblemNote error={error} testId="resolution-error" />
      )}
      <div className="row">
        <button
          className={destructive ? "danger" : undefined}
          disabled={preview === null || busy}
          data-testid="resolution-confirm"
          onClick={confirm}
        >
          {destructive ? `Yes, ${label.toLowerCase()}` : `Confirm: ${label}`}
        </button>
        <button data-testid="resolution-cancel" onClick={onClose}>
          Cancel
        </button>
      </div>
    </div>
  );
}

const VERBS = { delete: "Deletes", change: "Changes", create: "Creates" };

function Effect({ effect }: { effect: Preview["effects"][number] }) {
  const templates = (effect.appData as { templates?: { title: string }[] })
    ?.templates;
  return (
    <li data-testid={`effect-${effect.kind}`}>
      <strong>{VERBS[effect.kind]}</strong> {effect.summary}{" "}
      {effect.doc !== undefined && <em>({whoIs(effect.doc)})</em>}
      <span className="muted small mono">
        {" "}
        {effect.table}
        {effect.id !== undefined ? ` ${effect.id}` : ""}
      </span>
      {templates !== undefined && templates.length > 0 && (
        <p className="small">
          With its {templates.length} starter templates:{" "}
          {templates.map((template) => template.title).join(", ")}
        </p>
      )}
      {effect.fields !== undefined && effect.fields.length > 0 && (
        <table className="small">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Now</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {effect.fields.map((field) => (
              <tr key={field.field}>
                <th scope="row">
                  <FieldName field={field.field} />
                </th>
                <td>{valueText(field.field, field.before)}</td>
                <td>{valueText(field.field, field.after)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </li>
  );
}

function Side({
  title,
  id,
  doc,
  missing = "Gone (deleted since the case was recorded).",
  children,
}: {
  title: string;
  id?: string;
  doc: Record<string, unknown> | null;
  missing?: string;
  children?: React.ReactNode;
}) {
  return (
    <div className="doc">
      <h3>{title}</h3>
      {id !== undefined && <p className="muted small mono">{id}</p>}
      {doc === null ? (
        <p className="muted">{missing}</p>
      ) : (
        <table>
          <tbody>
            {fieldsOf(doc).map(([field, value]) => (
              <tr key={field}>
                <th scope="row">
                  <FieldName field={field} />
                </th>
                <td>
                  {isReference(field) && typeof value === "string" ? (
                    <>
                      Linked <span className="muted small mono">{value}</span>
                    </>
                  ) : (
                    valueText(field, value)
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {children}
    </div>
  );
}

/** A field's label in words, its name below it, small. */
function FieldName({ field }: { field: string }) {
  return (
    <>
      {fieldLabel(field)}
      <span className="field-name muted small mono">{field}</span>
    </>
  );
}

/** A reference field (its value a document id): "Linked", the id small. */
const isReference = (field: string) => /(_id|Id)$/.test(field);
