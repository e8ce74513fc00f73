/**
 * One person (/users/<id>, a `users` or `auth_users` id): their two records
 * side by side, each mirrored field with who owns it and where its value
 * came from, their open cases (each linking to /reviews/<caseId>) and the
 * audit entries about them.
 */
import { useQuery } from "convex/react";
import { api } from "../../convex/_generated/api";
import { fieldsOf, time, valueText } from "./format";
import { fieldLabel, kindLabel, OWNER_LABELS, SOURCE_LABELS } from "./labels";
import { Waiting } from "./Notice";
import { Link, pathOf } from "./route";
import { PairHealth } from "./Users";

export function UserPage({ id }: { id: string }) {
  const person = useQuery(api.directory.person, { id });
  const back = (
    <p className="directory-view">
      <Link to="/users" data-testid="back-to-directory">
        ← All users
      </Link>
    </p>
  );
  if (person === undefined) {
    return (
      <>
        {back}
        <Waiting what="this person's records" />
      </>
    );
  }
  if (person === null) {
    return (
      <>
        {back}
        <p role="status" data-testid="user-page-missing">
          No user has this ID. <span className="muted mono">{id}</span>
        </p>
      </>
    );
  }
  const { user, authUser } = person;
  const name =
    authUser?.full_name ?? user?.name ?? authUser?.email ?? user?.email;
  return (
    <div className="directory-view" data-testid="user-page">
      {back}
      <section className="card">
        <h2>{name ?? "Unnamed account"}</h2>
        <p>
          {authUser?.email ?? user?.email ?? "No email"} ·{" "}
          <PairHealth pair={person.pair} openCases={person.cases.length} />
        </p>
        <p className="muted small">
          Account ID <span className="mono">{authUser?._id ?? "none"}</span> ·
          Sign-in record ID <span className="mono">{user?._id ?? "none"}</span>
        </p>
      </section>

      <div className="records">
        <RecordCard
          title="Sign-in record"
          table="users"
          hint="Kept by Convex Auth at every sign-in."
          doc={user}
        />
        <RecordCard
          title="Account"
          table="auth_users"
          hint="This app's own record of the person."
          doc={authUser}
        />
      </div>

      <section className="card">
        <h3>Mirrored fields</h3>
        <table className="stack" data-testid="mirrored-fields">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Sign-in record</th>
              <th scope="col">Account</th>
              <th scope="col">Owner</th>
              <th scope="col">Value from</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {person.fields.map((field, index) => (
              <tr key={`${field.usersField}:${field.appField}`}>
                <th scope="row" data-label="Field">
                  {fieldLabel(field.appField)}
                  {person.fields
                    .slice(0, index)
                    .some((other) => other.appField === field.appField) &&
                    ", its copy for the fold"}
                  <div className="muted small mono">
                    {field.usersField} / {field.appField}
                  </div>
                </th>
                <td data-label="Sign-in record">
                  {valueText(field.usersField, field.usersValue)}
                </td>
                <td data-label="Account">
                  {valueText(field.appField, field.appValue)}
                </td>
                <td data-label="Owner">{OWNER_LABELS[field.owner]}</td>
                <td data-label="Value from">{SOURCE_LABELS[field.source]}</td>
                <td data-label="State" className={field.agrees ? "ok" : "warn"}>
                  {field.agrees
                    ? "In step"
                    : `Should be ${valueText(field.appField, field.expected)}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section className="card" data-testid="user-cases">
        <h3>Open cases</h3>
        {person.cases.length === 0 ? (
          <p className="muted">No open case about this person.</p>
        ) : (
          <ul className="plain">
            {person.cases.map((review) => (
              <li key={review._id}>
                <Link
                  to={pathOf({ view: "reviews", caseId: review._id })}
                  data-testid="case-link"
                >
                  {kindLabel(review.kind)}
                </Link>{" "}
                <span className="muted small">
                  since {time(review.first_seen_at)}
                </span>
                <div className="small">{review.detail}</div>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="card" data-testid="user-audit">
        <h3>Audit entries</h3>
        {person.audit.length === 0 ? (
          <p className="muted">Nothing recorded about this person yet.</p>
        ) : (
          <ul className="plain">
            {person.audit.map((entry) => (
              <li key={entry._id} data-testid="user-audit-entry">
                {entry.summary}
                <div className="muted small">
                  {time(entry.at)} · by {entry.actor} ·{" "}
                  <span className="mono">{entry.action}</span>
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

/** A reference field (its value a document id), shown as a link's detail. */
const isReference = (field: string) => /(_id|Id)$/.test(field);

/** One record, each field labelled in words (its name kept, small). */
function RecordCard({
  title,
  table,
  hint,
  doc,
}: {
  title: string;
  table: string;
  hint: string;
  doc: Record<string, unknown> | null;
}) {
  return (
    <section className="card" data-testid={`record-${table}`}>
      <h3>
        {title} <span className="muted small mono">{table}</span>
      </h3>
      <p className="muted small">{hint}</p>
      {doc === null ? (
        <p className="muted">None.</p>
      ) : (
        <dl className="fields">
          {fieldsOf(doc).map(([field, value]) => (
            <div key={field}>
              <dt>
                {fieldLabel(field)}{" "}
                <span className="muted small mono">{field}</span>
              </dt>
              <dd>
                {isReference(field) && typeof value === "string" ? (
                  <>
                    Linked <span className="muted small mono">{value}</span>
                  </>
                ) : (
                  valueText(field, value)
                )}
              </dd>
            </div>
          ))}
          <div>
            <dt>Created</dt>
            <dd>{time(doc._creationTime as number)}</dd>
          </div>
        </dl>
      )}
    </section>
  );
}
