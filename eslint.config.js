import js from "@eslint/js";
import convexPlugin from "@convex-dev/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["convex/_generated/**", "node_modules/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
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
    files: ["**/convex/**/*.ts"],
    rules: {
      // Every user-table read goes through an index: a scan is an error.
      "@convex-dev/no-filter-in-query": "error",
    },
  },
  {
    // Tests and helpers run in Node/vitest, never in the Convex runtime.
    files: ["**/convex/**/*.test.ts", "**/convex/**/*.helpers.ts"],
    rules: { "@convex-dev/no-process-env": "off" },
  },
  {
    files: ["**/convex/**/*.ts"],
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
    files: ["eslint.config.js"],
    ...tseslint.configs.disableTypeChecked,
  },
);
