import {
  defineConfig,
  type TestProjectInlineConfiguration,
} from "vitest/config";
import { offlineAuthEnv } from "./dev/authEnv";

/** Each example's Convex functions, on convex-test in the edge runtime. */
function example(name: string): TestProjectInlineConfiguration {
  return {
    extends: true,
    test: {
      name,
      root: `examples/${name}`,
      environment: "edge-runtime",
      server: { deps: { inline: ["convex-test"] } },
      include: ["convex/**/*.test.ts"],
    },
  };
}

export default defineConfig({
  test: {
    testTimeout: 60_000,
    // CI also writes a JSON report, to print a plain "N passed, N failed".
    reporters: process.env.VITEST_JSON
      ? ["default", ["json", { outputFile: process.env.VITEST_JSON }]]
      : ["default"],
    // Convex Auth logs every auth:store call at INFO; its JWT keys and OAuth
    // clients are generated per run.
    env: { AUTH_LOG_LEVEL: "WARN", ...offlineAuthEnv() },
    projects: [
      {
        extends: true,
        test: {
          name: "library",
          include: ["packages/convex-auth-user-sync/src/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        // The docs check: README.md and docs/*.md against the code (see
        // docs/development.md, "The docs check").
        extends: true,
        test: {
          name: "docs",
          include: ["scripts/docs/*.test.ts"],
          environment: "node",
        },
      },
      example("seed"),
      example("profiles"),
      {
        // The seed's dev tooling: the local backend the web console runs on
        // offline, and the console in a real browser (Node: convex-test
        // needs node:async_hooks, playwright-core drives Chromium).
        extends: true,
        test: {
          name: "seed-scripts",
          root: "examples/seed",
          environment: "node",
          server: { deps: { inline: ["convex-test"] } },
          include: ["scripts/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
