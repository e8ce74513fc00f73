/**
 * A link to another view of the console: a real `<a href>` (it opens in a
 * new tab, and reads as a link), followed in place through the History API:
 * the router listens for the popstate this dispatches.
 */
import type { ReactNode } from "react";

/** Goes to `href` in place, as a click on an InternalLink does. */
export function navigate(href: string): void {
  window.history.pushState(null, "", href);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

export function InternalLink({
  href,
  children,
  ...rest
}: {
  href: string;
  children: ReactNode;
  className?: string;
  "data-testid"?: string;
  title?: string;
}) {
  return (
    <a
      href={href}
      {...rest}
      onClick={(event) => {
        // A modified click (new tab, new window) is the browser's.
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
      }}
    >
      {children}
    </a>
  );
}
