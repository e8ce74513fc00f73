/**
 * An in-process Convex backend (convex-test) for scripts run with tsx: the
 * demo and the benchmark. Tests use convex/test.helpers.ts instead, which
 * gets the same module map from Vite's import.meta.glob.
 */
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { convexTest } from "convex-test";
import { COST_MODULES } from "../convex/cost.helpers";
import schema from "../convex/schema";
import { useOfflineAuthEnv } from "../../../dev/authEnv";

// Convex Auth's keys and URLs, generated for this process.
useOfflineAuthEnv();

const convexDir = join(import.meta.dirname, "..", "convex");

function convexModules(): Record<string, () => Promise<unknown>> {
  const modules: Record<string, () => Promise<unknown>> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      // Multi-dot files (tests, helpers) are never deployed.
      else if (/^[^.]+\.(ts|js)$/.test(entry.name)) {
        const key = `./${relative(convexDir, path).split("\\").join("/")}`;
        modules[key] = () => import(pathToFileURL(path).href);
      }
    }
  };
  walk(convexDir);
  return modules;
}

export type TransactionLimits = Parameters<typeof convexTest>[0] extends infer O
  ? O extends { transactionLimits?: infer L }
    ? L
    : never
  : never;

/** A fresh backend holding this app's schema and functions. */
export function newScriptBackend(transactionLimits?: TransactionLimits) {
  return convexTest({ schema, modules: convexModules(), transactionLimits });
}

/** The same, with the cost-measuring module of convex/cost.helpers.ts. */
export function newMeasuringBackend(transactionLimits?: TransactionLimits) {
  return convexTest({
    schema,
    modules: { ...convexModules(), ...COST_MODULES },
    transactionLimits,
  });
}
