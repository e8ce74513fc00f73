/**
 * Cost measurement for the benchmark and the cost-pinning tests (a multi-dot
 * file: the Convex CLI never deploys it). Mounted by them as the module
 * `costBaseline` (see COST_MODULES).
 *
 * - `store`: Convex Auth exactly as convex/auth.ts configures it, but with no
 *   callbacks: the baseline a sign-in costs without the sync.
 * - `measure`: runs a mutation as a sub-transaction and returns what the
 *   whole transaction used, from ctx.meta.getTransactionMetrics().
 */
import { convexAuth } from "@convex-dev/auth/server";
import { internalMutationGeneric, makeFunctionReference } from "convex/server";
import { v } from "convex/values";
import { providers } from "./providers";
import { metricsValidator } from "./validators";

export const { store } = convexAuth({ providers });

export const measure = internalMutationGeneric({
  args: { path: v.string(), args: v.any() },
  returns: v.object({ result: v.any(), metrics: metricsValidator }),
  handler: async (ctx, { path, args }) => {
    const result: unknown = await ctx.runMutation(
      makeFunctionReference<"mutation">(path),
      args,
    );
    const metrics = await ctx.meta.getTransactionMetrics();
    return {
      result,
      metrics: {
        documentsRead: metrics.documentsRead.used,
        databaseQueries: metrics.databaseQueries.used,
        documentsWritten: metrics.documentsWritten.used,
        bytesRead: metrics.bytesRead.used,
        bytesWritten: metrics.bytesWritten.used,
      },
    };
  },
});

/** Module map entries that mount this file as `costBaseline`. */
export const COST_MODULES = {
  "./costBaseline.ts": () => import("./cost.helpers"),
};
