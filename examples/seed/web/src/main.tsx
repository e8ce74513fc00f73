/**
 * The console's entry: Convex's React client and Convex Auth's provider,
 * exactly as a deployed app wires them (docs/deploy.md). VITE_CONVEX_URL is
 * a deployment's URL, or the local backend's (npm run demo:web).
 */
import { ConvexAuthProvider } from "@convex-dev/auth/react";
import { ConvexReactClient } from "convex/react";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";

const url = import.meta.env.VITE_CONVEX_URL as string | undefined;
if (url === undefined) {
  throw new Error("Set VITE_CONVEX_URL to your deployment's URL");
}
const convex = new ConvexReactClient(url);

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ConvexAuthProvider client={convex}>
      <App />
    </ConvexAuthProvider>
  </StrictMode>,
);
