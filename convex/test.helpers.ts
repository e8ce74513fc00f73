/**
 * Shared test helpers (a multi-dot file, so the Convex CLI never deploys it).
 */
import { convexTest } from "convex-test";
import schema from "./schema";

export * from "./sync.helpers";

/** Every Convex module, for convexTest. */
export const modules = import.meta.glob("./**/!(*.*.*)*.*s");

type Limits =
  NonNullable<Parameters<typeof convexTest>[0]> extends infer O
    ? O extends { transactionLimits?: infer L }
      ? L
      : never
    : never;

/** A fresh in-process Convex backend with this app's schema and functions. */
export function newBackend(transactionLimits?: Limits) {
  return convexTest({ schema, modules, transactionLimits });
}
