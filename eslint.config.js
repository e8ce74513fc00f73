import js from "@eslint/js";
import convexPlugin from "@convex-dev/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/_generated/**",
      "**/node_modules/**",
      "**/dist/**",
      "**/*.d.ts",
      "fixtures/**/convex/_generated/**",
      // scripts/adopt.mjs's copy of the fixture, adopted.
      ".adoption/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Each project's own tsconfig: the library, the examples (tests and
        // scripts included), the workspace's tooling.
        project: [
          "./tsconfig.json",
          "./packages/*/tsconfig.json",
          "./examples/*/tsconfig.json",
          "./examples/*/web/tsconfig.json",
          "./fixtures/*/tsconfig.json",
        ],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
    },
  },
  ...convexPlugin.configs.recommended,
  {
    files: ["**/convex/**/*.ts", "packages/*/src/**/*.ts"],
    plugins: { "@convex-dev": convexPlugin },
    rules: {
      // Every user-table read goes through an index: a scan is an error.
      "@convex-dev/no-filter-in-query": "error",
    },
  },
  {
    // Tests and helpers run in Node/vitest, never in the Convex runtime.
    files: ["**/*.test.ts", "**/*.helpers.ts"],
    plugins: { "@convex-dev": convexPlugin },
    rules: { "@convex-dev/no-process-env": "off" },
  },
  {
    // The examples' rule (the fixture is an app before it adopts the sync).
    files: ["examples/*/convex/**/*.ts"],
    ignores: ["**/convex/functions.ts"],
    rules: {
      // Every mutation goes through the builders of convex/functions.ts, which
      // run the sync triggers on every write to either user table.
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "_generated/server(\\.js)?$",
              importNames: ["mutation", "internalMutation"],
              message:
                "Import mutation builders from convex/functions.ts, whose triggers keep the user tables in sync.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { console: "readonly", process: "readonly", URL: "readonly" },
    },
  },
);
