/**
 * The connection to the backend, said in words: connecting (and, after a
 * few seconds without an answer, that the server cannot be reached),
 * offline, and reconnected. From Convex's own connection state
 * (`useConvexConnectionState`), which follows the client's websocket.
 */
import { useConvexConnectionState } from "convex/react";
import { useEffect, useState } from "react";

/** How long a first connection may take before the banner says it waits. */
const CONNECTING_AFTER_MS = 1_000;
/** How long before the banner says the server cannot be reached. */
const UNREACHABLE_AFTER_MS = 5_000;
/** A drop shorter than this (a socket replaced) is no outage. */
const OFFLINE_AFTER_MS = 800;
/** How long "Reconnected" stays. */
const RECONNECTED_FOR_MS = 4_000;

type Shown = "connecting" | "unreachable" | "offline" | "reconnected" | null;

export function ConnectionBanner() {
  const { hasEverConnected, isWebSocketConnected } = useConvexConnectionState();
  const [shown, setShown] = useState<Shown>(null);

  useEffect(() => {
    if (!hasEverConnected) {
      // A first connection is quick: say nothing for a moment, then that
      // it is under way, then that it fails.
      const timers = [
        setTimeout(() => setShown("connecting"), CONNECTING_AFTER_MS),
        setTimeout(() => setShown("unreachable"), UNREACHABLE_AFTER_MS),
      ];
      return () => timers.forEach(clearTimeout);
    }
    if (!isWebSocketConnected) {
      const timer = setTimeout(() => setShown("offline"), OFFLINE_AFTER_MS);
      return () => clearTimeout(timer);
    }
    // Connected: say so only after an outage the person was told of.
    setShown((before) =>
      before === "offline" || before === "unreachable" ? "reconnected" : null,
    );
    const timer = setTimeout(() => setShown(null), RECONNECTED_FOR_MS);
    return () => clearTimeout(timer);
  }, [hasEverConnected, isWebSocketConnected]);

  if (shown === null) return null;
  // A named region: the banner sits outside the page's other landmarks.
  return (
    <section aria-label="Connection to the server">
      <Message shown={shown} />
    </section>
  );
}

function Message({ shown }: { shown: NonNullable<Shown> }) {
  if (shown === "reconnected") {
    return (
      <p
        className="banner banner-ok"
        role="status"
        data-testid="connection-banner"
        data-state="reconnected"
      >
        Reconnected. What you see is up to date again.
      </p>
    );
  }
  const text = {
    connecting: "Connecting to the server…",
    unreachable:
      "The server can't be reached. The console keeps trying; check your connection, or whether the server is running.",
    offline:
      "Offline: the connection to the server was lost. What you see may be out of date, and changes wait until it is back. Reconnecting…",
  }[shown];
  return (
    <p
      className={shown === "connecting" ? "banner" : "banner banner-problem"}
      role={shown === "connecting" ? "status" : "alert"}
      data-testid="connection-banner"
      data-state={shown}
    >
      {text}
    </p>
  );
}
