/**
 * An in-process Convex backend (convex-test) for scripts run with tsx (the
 * demos and the benchmarks). Tests get the same module map from Vite's
 * import.meta.glob instead.
 */
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import type { convexTest } from "convex-test";

/** An app's deployable modules, keyed as convex-test expects ("./x.ts"). */
export function convexModules(
  convexDir: string,
): Record<string, () => Promise<unknown>> {
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
