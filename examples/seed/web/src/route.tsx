/**
 * The console's routing, on the History API alone (no router dependency):
 * one URL per view, and per case, user and run. `useRoute()` is the view
 * the address names, `navigate(path)` goes to one, `<Link>` is a real
 * `<a href>` (open in a new tab, copy the address) that navigates in place
 * on a plain click.
 *
 * Paths: `/` my profile, `/health`, `/reviews` (`?kind=<kind>`: the open
 * cases of one kind), `/reviews/<caseId>`, `/users`, `/users/<id>`,
 * `/audit`, `/runs/<runId>`.
 */
import {
  type AnchorHTMLAttributes,
  type MouseEvent,
  useSyncExternalStore,
} from "react";

export type Route =
  | { view: "profile" }
  | { view: "health" }
  | { view: "reviews"; caseId?: string; kind?: string }
  | { view: "users"; userId?: string }
  | { view: "audit" }
  | { view: "runs"; runId: string }
  | { view: "not_found"; path: string };

export type View = Route["view"];

/** The views only administrators may open. */
export const ADMIN_VIEWS: ReadonlySet<View> = new Set([
  "health",
  "reviews",
  "users",
  "audit",
  "runs",
]);

/** The route a path names; an unknown path is `not_found`, never a guess. */
export function parseRoute(address: string): Route {
  const [path = "", query = ""] = address.split("?", 2);
  const parts = path
    .split("/")
    .filter((part) => part !== "")
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        // A malformed escape names nothing the console made.
        return "\u0000";
      }
    });
  const [first, second, ...rest] = parts;
  if (rest.length > 0 || parts.includes("\u0000")) {
    return { view: "not_found", path: address };
  }
  if (first === undefined) return { view: "profile" };
  if (second === undefined) {
    if (first === "health" || first === "audit") return { view: first };
    if (first === "reviews") {
      const kind = new URLSearchParams(query).get("kind");
      return kind === null ? { view: "reviews" } : { view: "reviews", kind };
    }
    if (first === "users") return { view: "users" };
    return { view: "not_found", path: address };
  }
  if (first === "reviews") return { view: "reviews", caseId: second };
  if (first === "users") return { view: "users", userId: second };
  if (first === "runs") return { view: "runs", runId: second };
  return { view: "not_found", path: address };
}

/** The path of a route: `parseRoute(pathOf(route))` is the route. */
export function pathOf(route: Route): string {
  const id = (value: string) => encodeURIComponent(value);
  switch (route.view) {
    case "profile":
      return "/";
    case "health":
    case "audit":
      return `/${route.view}`;
    case "reviews":
      if (route.caseId !== undefined) return `/reviews/${id(route.caseId)}`;
      return route.kind === undefined
        ? "/reviews"
        : `/reviews?kind=${id(route.kind)}`;
    case "users":
      return route.userId === undefined
        ? "/users"
        : `/users/${id(route.userId)}`;
    case "runs":
      return `/runs/${id(route.runId)}`;
    case "not_found":
      return route.path;
  }
}

// pushState fires no event: navigate() tells the subscribers itself.
const NAVIGATED = "console:navigate";

function subscribe(onChange: () => void): () => void {
  window.addEventListener("popstate", onChange);
  window.addEventListener(NAVIGATED, onChange);
  return () => {
    window.removeEventListener("popstate", onChange);
    window.removeEventListener(NAVIGATED, onChange);
  };
}

const currentPath = () => window.location.pathname + window.location.search;

/** The current path and query, re-rendering on navigate(), back and forward. */
export function usePath(): string {
  return useSyncExternalStore(subscribe, currentPath, () => "/");
}

/** The view the address names. */
export function useRoute(): Route {
  return parseRoute(usePath());
}

/** Goes to `path` (a new history entry, or in place with `replace`). */
export function navigate(path: string, options: { replace?: boolean } = {}) {
  if (path === currentPath()) return;
  if (options.replace === true) window.history.replaceState(null, "", path);
  else window.history.pushState(null, "", path);
  window.dispatchEvent(new Event(NAVIGATED));
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, "href"> & {
  to: string;
};

/**
 * A link to a view. A plain left click navigates in place; a click with a
 * modifier (new tab, new window, download) is left to the browser.
 */
export function Link({ to, onClick, ...rest }: LinkProps) {
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    ) {
      return;
    }
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={follow} {...rest} />;
}
