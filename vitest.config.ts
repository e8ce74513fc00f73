import {
  defineConfig,
  type TestProjectInlineConfiguration,
} from "vitest/config";
import { readFileSync } from "node:fs";
import type { Plugin } from "vite";
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

/**
 * `@convex-dev/auth` as the v2 example installs it (2.0.0, nested in
 * examples/v2/node_modules), whoever imports it: the root holds 0.0.95 for
 * the other apps, which the library's built dist (packages/, outside the
 * example) would resolve otherwise. An app on v2 has one copy, its own; this
 * resolves every import as if the example made it, so the package's
 * `exports` still apply. Proven by examples/v2/convex/signIn.test.ts (the dist sees v2).
 */
function convexAuthOfTheV2Example(): Plugin {
  const example = `${import.meta.dirname}/examples/v2/package.json`;
  return {
    name: "convex-auth-of-the-v2-example",
    enforce: "pre",
    async resolveId(source, importer, options) {
      if (
        source !== "@convex-dev/auth" &&
        !source.startsWith("@convex-dev/auth/")
      ) {
        return null;
      }
      if (importer === example) return null;
      return await this.resolve(source, example, {
        ...options,
        skipSelf: true,
      });
    },
  };
}

/**
 * `import module from "./x.wasm"` as the Convex bundler serves it: a
 * compiled `WebAssembly.Module`. Convex Auth v2 hashes passwords with
 * argon2id in WASM (password-hash-wasm), which imports its binary so.
 */
function wasmModules(): Plugin {
  return {
    name: "wasm-modules",
    enforce: "pre",
    load(id) {
      if (!id.endsWith(".wasm")) return null;
      const bytes = readFileSync(id).toString("base64");
      return (
        `const bytes = Uint8Array.from(atob("${bytes}"), (c) => c.charCodeAt(0));\n` +
        "export default new WebAssembly.Module(bytes);\n"
      );
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
        ...example("v2"),
        test: {
          ...example("v2").test,
          // Transformed by Vite (not loaded by Node), for wasmModules().
          server: { deps: { inline: ["convex-test", "password-hash-wasm"] } },
          // v2's access tokens name their issuer by the deployment's URL.
          env: { CONVEX_CLOUD_URL: "https://offline-demo.convex.cloud" },
        },
        plugins: [convexAuthOfTheV2Example(), wasmModules()],
      },
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
