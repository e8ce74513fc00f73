/**
 * The console: sign-in, then "my profile" for everyone and, for
 * administrators, sync health, the review queue, users and the audit log.
 */
import { useAuthActions } from "@convex-dev/auth/react";
import { useConvexAuth, useQuery } from "convex/react";
import { useEffect, useState } from "react";
import { api } from "../../convex/_generated/api";
import { AuditLog } from "./AuditLog";
import { ErrorBoundary } from "./ErrorBoundary";
import { Health } from "./Health";
import { Profile } from "./Profile";
import { Reviews } from "./Reviews";
import { SignIn } from "./SignIn";
import { Users } from "./Users";

const ADMIN_PAGES = ["health", "reviews", "users", "audit"] as const;
type Page = "profile" | (typeof ADMIN_PAGES)[number];
const TITLES: Record<Page, string> = {
  profile: "My profile",
  health: "Sync health",
  reviews: "Review queue",
  users: "Users",
  audit: "Audit log",
};

export function App() {
  const { isLoading, isAuthenticated } = useConvexAuth();
  if (isLoading) return <p className="muted">Loading…</p>;
  return isAuthenticated ? <SignedIn /> : <SignIn />;
}

function SignedIn() {
  const { signOut } = useAuthActions();
  const me = useQuery(api.users.getCurrentUser);
  const [page, setPage] = useState<Page>("profile");
  // Links inside the views (InternalLink) push a path and dispatch
  // popstate: follow the path's first segment to its page. The shell's
  // router (#18) replaces this.
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const follow = () => {
      const [first] = window.location.pathname.split("/").filter(Boolean);
      const named = first === "runs" ? "health" : first;
      if (named !== undefined && named in TITLES) setPage(named as Page);
      setPath(window.location.pathname);
    };
    window.addEventListener("popstate", follow);
    return () => window.removeEventListener("popstate", follow);
  }, []);
  const [, section, id] = path.split("/");
  if (me === undefined) return <p className="muted">Loading…</p>;
  if (me === null) {
    return (
      <p>
        This account cannot be shown (suspended or deleted).{" "}
        <button onClick={() => void signOut()}>Sign out</button>
      </p>
    );
  }
  const pages: Page[] = me.isAdmin ? ["profile", ...ADMIN_PAGES] : ["profile"];
  const shown = pages.includes(page) ? page : "profile";
  return (
    <>
      <header>
        <strong>User sync console</strong>
        <nav>
          {pages.map((name) => (
            <button
              key={name}
              className={name === shown ? "tab active" : "tab"}
              data-testid={`tab-${name}`}
              onClick={() => setPage(name)}
            >
              {TITLES[name]}
            </button>
          ))}
        </nav>
        <span className="muted" data-testid="signed-in-as">
          {me.email ?? me.name ?? "guest"}
          {me.isAdmin ? " · administrator" : ""}
        </span>
        <button onClick={() => void signOut()}>Sign out</button>
      </header>
      <main>
        <h1>{TITLES[shown]}</h1>
        <ErrorBoundary key={path}>
          {shown === "profile" && <Profile me={me} />}
          {shown === "health" && (
            <Health runId={section === "runs" ? id : undefined} />
          )}
          {shown === "reviews" && (
            <Reviews
              key={window.location.search}
              caseId={section === "reviews" ? id : undefined}
            />
          )}
          {shown === "users" && <Users />}
          {shown === "audit" && <AuditLog />}
        </ErrorBoundary>
      </main>
    </>
  );
}
