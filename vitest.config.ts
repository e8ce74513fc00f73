import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "edge-runtime",
    server: { deps: { inline: ["convex-test"] } },
    include: ["convex/**/*.test.ts"],
    testTimeout: 60_000,
    // Convex Auth logs every auth:store call at INFO.
    env: { AUTH_LOG_LEVEL: "WARN" },
  },
});
