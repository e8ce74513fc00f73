/**
 * The console: sign-in, then "my profile" for everyone and, for
 * administrators, sync health, the review queue, users and the audit log.
 * Each view has its own address (route.tsx); the title follows it.
 */
import { useAuthActions } from "@convex-dev/auth/react";
import { useConvexAuth, useQuery } from "convex/react";
import type { FunctionReturnType } from "convex/server";
import { type ReactNode, useEffect, useRef } from "react";
import { api } from "../../convex/_generated/api";
import { AuditLog } from "./AuditLog";
import { ConnectionBanner } from "./ConnectionBanner";
import { ErrorBoundary } from "./ErrorBoundary";
import { Health } from "./Health";
import { Waiting } from "./Notice";
import { Profile } from "./Profile";
import { Reviews } from "./Reviews";
import { ADMIN_VIEWS, Link, type Route, usePath, useRoute } from "./route";
import { SignIn } from "./SignIn";
import { Users } from "./Users";

const CONSOLE = "User sync console";

/** The tabs, in order: `section` is every view the tab stands for. */
const TABS = [
  { to: "/", label: "My profile", section: ["profile"] },
  { to: "/health", label: "Sync health", section: ["health", "runs"] },
  { to: "/reviews", label: "Review queue", section: ["reviews"] },
  { to: "/users", label: "Users", section: ["users"] },
  { to: "/audit", label: "Audit log", section: ["audit"] },
] as const;

/** A view's heading, which is also the page's title. */
function headingOf(route: Route): string {
  switch (route.view) {
    case "profile":
      return "My profile";
    case "health":
      return "Sync health";
    case "reviews":
      return route.caseId === undefined ? "Review queue" : "Review case";
    case "users":
      return route.userId === undefined ? "Users" : "User";
    case "audit":
      return "Audit log";
    case "runs":
      return "Sync run";
    case "not_found":
      return "Page not found";
  }
}

/** Sets the tab's title while `title` is shown. */
function useTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · ${CONSOLE}`;
  }, [title]);
}

export function App() {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <ConnectionBanner />
      <Signed />
    </>
  );
}

function Signed() {
  const { isLoading, isAuthenticated } = useConvexAuth();
  if (isLoading) return <Plain title="Loading" what="your sign-in" />;
  return isAuthenticated ? <SignedIn /> : <SignInPage />;
}

function SignInPage() {
  useTitle("Sign in");
  return <SignIn />;
}

/** A page with nothing but a wait. */
function Plain({ title, what }: { title: string; what: string }) {
  useTitle(title);
  return (
    <main id="main" className="narrow" tabIndex={-1}>
      <Waiting what={what} />
    </main>
  );
}

function SignedIn() {
  const { signOut } = useAuthActions();
  const me = useQuery(api.users.getCurrentUser);
  const route = useRoute();
  const path = usePath();
  const allowed =
    !ADMIN_VIEWS.has(route.view) || (me !== undefined && me?.isAdmin === true);
  const heading = allowed ? headingOf(route) : "Not available";
  useTitle(me === undefined ? "Loading" : heading);

  // After a move between views, focus the new view's heading, so a
  // keyboard or screen-reader user starts there (not on the first load).
  const headingRef = useRef<HTMLHeadingElement>(null);
  const firstPath = useRef(path);
  useEffect(() => {
    if (path !== firstPath.current) headingRef.current?.focus();
  }, [path]);

  if (me === undefined) {
    return (
      <main id="main" className="narrow" tabIndex={-1}>
        <Waiting what="your account" />
      </main>
    );
  }
  if (me === null) {
    return (
      <main id="main" className="narrow" tabIndex={-1}>
        <p>
          This account cannot be shown (suspended or deleted).{" "}
          <button onClick={() => void signOut()}>Sign out</button>
        </p>
      </main>
    );
  }
  const tabs = me.isAdmin ? TABS : TABS.slice(0, 1);
  return (
    <>
      <header>
        <span className="brand">{CONSOLE}</span>
        <nav aria-label="Console views">
          <ul>
            {tabs.map((tab) => {
              const inSection = (tab.section as readonly string[]).includes(
                route.view,
              );
              return (
                <li key={tab.to}>
                  <Link
                    to={tab.to}
                    className="tab"
                    data-testid={`tab-${tab.section[0]}`}
                    aria-current={
                      tab.to === path ? "page" : inSection ? "true" : undefined
                    }
                  >
                    {tab.label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <span className="account">
          <span className="who" data-testid="signed-in-as">
            {me.email ?? me.name ?? "guest"}
            {me.isAdmin ? " · administrator" : ""}
          </span>
          <button onClick={() => void signOut()}>Sign out</button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <h1 ref={headingRef} tabIndex={-1} data-testid="view-heading">
          {heading}
        </h1>
        <ErrorBoundary key={path}>
          {allowed ? <ViewOf route={route} me={me} /> : <NotAvailable />}
        </ErrorBoundary>
      </main>
    </>
  );
}

type Me = NonNullable<FunctionReturnType<typeof api.users.getCurrentUser>>;

/** Where each view plugs in. */
function ViewOf({ route, me }: { route: Route; me: Me }): ReactNode {
  switch (route.view) {
    case "profile":
      return <Profile me={me} />;
    case "health":
      return <Health />;
    case "runs":
      return <Health runId={route.runId} />;
    case "reviews":
      return <Reviews kind={route.kind} caseId={route.caseId} />;
    case "users":
      return <Users id={route.userId} />;
    case "audit":
      return <AuditLog />;
    case "not_found":
      return (
        <p data-testid="not-found">
          Nothing lives at this address. <Link to="/">Go to my profile</Link>.
        </p>
      );
  }
}

function NotAvailable() {
  return (
    <p data-testid="not-available">
      This view is for administrators, so it is not available to your account.{" "}
      <Link to="/">Go to my profile</Link>.
    </p>
  );
}
