/**
 * The web console (React, Vite). Against a deployment:
 *   VITE_CONVEX_URL=https://<deployment>.convex.cloud npm run web -w example-seed
 * Offline, `npm run demo:web` serves it with a local backend (scripts/webDemo.ts).
 */
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  // TSX with React's automatic runtime; no plugin needed.
  esbuild: { jsx: "automatic" },
  server: { port: 5173 },
  build: { outDir: "dist", emptyOutDir: true },
});
