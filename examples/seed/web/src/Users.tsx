/**
 * User search: by email prefix or by id, both rows of each match, and every
 * mirrored field with its owner and where its value comes from.
 */
import { useQuery } from "convex/react";
import { useState } from "react";
import { api } from "../../convex/_generated/api";
import { show, showField, time } from "./format";

/** `id`: the user the address names (/users/<id>), searched for at once. */
export function Users({ id }: { id?: string }) {
  const [query, setQuery] = useState(id ?? "");
  const matches = useQuery(
    api.console.searchUsers,
    query.trim() === "" ? "skip" : { query },
  );
  return (
    <>
      <input
        className="search"
        placeholder="Email prefix, or a users / auth_users id"
        value={query}
        data-testid="user-search"
        onChange={(event) => setQuery(event.target.value)}
      />
      {matches?.length === 0 && <p className="muted">No match.</p>}
      {matches?.map((match) => (
        <section
          className="card"
          key={`${match.user?._id}-${match.authUser?._id}`}
          data-testid="user-match"
        >
          <h2 className="mono">
            users {match.user?._id ?? "—"} · auth_users{" "}
            {match.authUser?._id ?? "—"}{" "}
            <span className={match.paired ? "ok" : "warn"}>
              {match.paired ? "paired" : "not paired"}
            </span>
          </h2>
          <p className="small">
            Last sign-in {time(match.user?.lastLoginAt)} · created{" "}
            {time(match.user?._creationTime ?? match.authUser?._creationTime)}
          </p>
          <table>
            <thead>
              <tr>
                <th>users field</th>
                <th>users value</th>
                <th>auth_users field</th>
                <th>auth_users value</th>
                <th>owner</th>
                <th>value from</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {match.fields.map((field) => (
                <tr key={field.appField}>
                  <td className="mono">{field.usersField}</td>
                  <td>{showField(field.usersField, field.usersValue)}</td>
                  <td className="mono">{field.appField}</td>
                  <td>{showField(field.appField, field.appValue)}</td>
                  <td>{field.owner}</td>
                  <td>{field.source}</td>
                  <td className={field.agrees ? "ok" : "warn"}>
                    {field.agrees
                      ? "in step"
                      : `should be ${show(field.expected)}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
    </>
  );
}
