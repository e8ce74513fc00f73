/**
 * An in-process Convex backend (convex-test) for scripts run with tsx: the
 * demo and the benchmark. Tests use convex/test.helpers.ts instead, which
 * gets the same module map from Vite's import.meta.glob.
 */
import { join } from "node:path";
import { convexTest } from "convex-test";
import { COST_MODULES } from "../convex/cost.helpers";
import schema from "../convex/schema";
import { useOfflineAuthEnv } from "../../../dev/authEnv";
import {
  convexModules,
  type TransactionLimits,
} from "../../../dev/scriptBackend";

// Convex Auth's keys and URLs, generated for this process.
useOfflineAuthEnv();

const convexDir = join(import.meta.dirname, "..", "convex");

/** This app's deployable modules, as the script backends hold them. */
export const scriptModules = () => convexModules(convexDir);

/** A fresh backend holding this app's schema and functions. */
export function newScriptBackend(transactionLimits?: TransactionLimits) {
  return convexTest({
    schema,
    modules: convexModules(convexDir),
    transactionLimits,
  });
}

/** The same, with the cost-measuring module of convex/cost.helpers.ts. */
export function newMeasuringBackend(transactionLimits?: TransactionLimits) {
  return convexTest({
    schema,
    modules: { ...convexModules(convexDir), ...COST_MODULES },
    transactionLimits,
  });
}
