import { defineConfig } from "vitest/config";
import { offlineAuthEnv } from "./scripts/authEnv";

export default defineConfig({
  test: {
    environment: "edge-runtime",
    server: { deps: { inline: ["convex-test"] } },
    include: ["convex/**/*.test.ts"],
    testTimeout: 60_000,
    // CI also writes a JSON report, to print a plain "N passed, N failed".
    reporters: process.env.VITEST_JSON
      ? ["default", ["json", { outputFile: process.env.VITEST_JSON }]]
      : ["default"],
    // Convex Auth logs every auth:store call at INFO; its JWT keys and OAuth
    // clients are generated per run.
    env: { AUTH_LOG_LEVEL: "WARN", ...offlineAuthEnv() },
  },
});
