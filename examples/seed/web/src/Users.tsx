/**
 * The user directory: every account newest first, a page at a time, or
 * those whose name or address holds the words searched; each with company,
 * role, status, last sign-in and how its pair stands. A name opens the
 * person's page (UserPage.tsx) at /users/<id>.
 */
import { usePaginatedQuery, useQuery } from "convex/react";
import { useState } from "react";
import { api } from "../../convex/_generated/api";
import type { DirectoryEntry } from "../../convex/directoryEntries";
import { time } from "./format";
import { PAIR_HINTS, PAIR_LABELS } from "./labels";
import { Waiting } from "./Notice";
import { Link, pathOf } from "./route";
import { UserPage } from "./UserPage";

const PAGE_SIZE = 20;

/** `id`: the person the address names (/users/<id>), whose page it shows. */
export function Users({ id }: { id?: string }) {
  if (id !== undefined) return <UserPage id={id} />;
  return (
    <div className="directory-view">
      <Directory />
    </div>
  );
}

function Directory() {
  const [query, setQuery] = useState("");
  const searching = query.trim() !== "";
  return (
    <>
      <label className="search-label" htmlFor="user-search">
        Search by name or email
      </label>
      <input
        id="user-search"
        type="search"
        className="search"
        placeholder="e.g. Customer 5, or example.com"
        value={query}
        data-testid="user-search"
        onChange={(event) => setQuery(event.target.value)}
      />
      {searching ? <Matches query={query} /> : <AllUsers />}
    </>
  );
}

function Matches({ query }: { query: string }) {
  const matches = useQuery(api.directory.search, { query });
  if (matches === undefined) return <p className="muted">Searching…</p>;
  if (matches.length === 0) {
    return (
      <p className="muted" data-testid="no-match" role="status">
        No one matches “{query.trim()}”.
      </p>
    );
  }
  return (
    <>
      <p className="muted small" role="status">
        {matches.length === 20
          ? "The first 20 matches: add a word to narrow them."
          : `${matches.length} ${matches.length === 1 ? "match" : "matches"}.`}
      </p>
      <DirectoryTable entries={matches} caption="Search results" />
    </>
  );
}

function AllUsers() {
  const { results, status, loadMore } = usePaginatedQuery(
    api.directory.page,
    {},
    { initialNumItems: PAGE_SIZE },
  );
  if (status === "LoadingFirstPage") {
    return <Waiting what="the directory" />;
  }
  if (results.length === 0) {
    return <p className="muted">No accounts yet.</p>;
  }
  return (
    <>
      <DirectoryTable entries={results} caption="Accounts, newest first" />
      <p className="muted small" data-testid="directory-count">
        Showing {results.length}
        {status === "Exhausted" ? " (all)" : ""}.
      </p>
      {status === "CanLoadMore" && (
        <button
          data-testid="directory-more"
          onClick={() => loadMore(PAGE_SIZE)}
        >
          Show {PAGE_SIZE} more
        </button>
      )}
      {status === "LoadingMore" && <p className="muted">Loading more…</p>}
    </>
  );
}

function DirectoryTable({
  entries,
  caption,
}: {
  entries: DirectoryEntry[];
  caption: string;
}) {
  return (
    <table className="directory" data-testid="directory">
      <caption className="muted small">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Email</th>
          <th scope="col">Company</th>
          <th scope="col">Role</th>
          <th scope="col">Status</th>
          <th scope="col">Last sign-in</th>
          <th scope="col">Pair</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => (
          <tr
            key={entry.id}
            data-testid="user-match"
            data-id={entry.id}
            data-created={entry.createdAt}
          >
            <td data-label="Name">
              <div>
                <Link
                  to={pathOf({ view: "users", userId: entry.id })}
                  data-testid="user-link"
                >
                  {entry.name ?? entry.email ?? "Unnamed account"}
                </Link>
                <div className="muted small">Added {time(entry.createdAt)}</div>
              </div>
            </td>
            <td data-label="Email">{entry.email ?? "—"}</td>
            <td data-label="Company">{entry.company ?? "—"}</td>
            <td data-label="Role">{entry.role ?? "—"}</td>
            <td data-label="Status">
              {entry.status === "suspended" ? (
                <span className="warn">Suspended</span>
              ) : (
                "Active"
              )}
            </td>
            <td data-label="Last sign-in">
              {entry.lastLoginAt === null ? "Never" : time(entry.lastLoginAt)}
            </td>
            <td data-label="Pair">
              <PairHealth pair={entry.pair} openCases={entry.openCases} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A pair's health in words, and its open cases. */
export function PairHealth({
  pair,
  openCases,
}: {
  pair: DirectoryEntry["pair"];
  openCases: number;
}) {
  return (
    <span data-testid="pair-health">
      <span
        className={pair === "paired" || pair === "one_record" ? "ok" : "warn"}
        title={PAIR_HINTS[pair]}
      >
        {PAIR_LABELS[pair]}
      </span>
      {openCases > 0 && (
        <span className="badge warn">
          {" "}
          · {openCases} open {openCases === 1 ? "case" : "cases"}
        </span>
      )}
    </span>
  );
}
