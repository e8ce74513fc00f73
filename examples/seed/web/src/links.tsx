/**
 * Links between the console's views without a router library: a real
 * `<a href>` (opens in a new tab, copies as a URL) whose plain click moves
 * with the History API and announces it with a `popstate` event, which the
 * views listening to the address (usePath) follow.
 */
import { type MouseEvent, type ReactNode, useEffect, useState } from "react";

/** Goes to `path` in this tab, as a click on a Link does. */
export function navigate(path: string): void {
  if (window.location.pathname === path) return;
  window.history.pushState(null, "", path);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

/** The address's path, following back, forward and navigate(). */
export function usePath(): string {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const follow = () => setPath(window.location.pathname);
    window.addEventListener("popstate", follow);
    return () => window.removeEventListener("popstate", follow);
  }, []);
  return path;
}

/** The user page's address for a `users` or `auth_users` id. */
export const userPath = (id: string) => `/users/${encodeURIComponent(id)}`;
/** A review case's address. */
export const casePath = (id: string) => `/reviews/${encodeURIComponent(id)}`;

export function Link({
  href,
  children,
  className,
  testId,
}: {
  href: string;
  children: ReactNode;
  className?: string;
  testId?: string;
}) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    // A new tab or window, a download: the browser's own.
    if (
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    ) {
      return;
    }
    event.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} className={className} data-testid={testId}>
      {children}
    </a>
  );
}
