/**
 * Cost measurement shared by the examples' benchmarks and cost-pinning
 * tests: what a transaction used, from ctx.meta.getTransactionMetrics(), and
 * Convex's per-transaction limits. Never deployed (each example mounts
 * `measure` from a multi-dot file).
 */
import { internalMutationGeneric, makeFunctionReference } from "convex/server";
import { v } from "convex/values";
import { type Metrics } from "convex-auth-user-sync";
import { metricsValidator } from "convex-auth-user-sync/internals";

/**
 * Runs a mutation as a sub-transaction and returns what the whole
 * transaction used.
 */
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

/** Zero metrics, to add a sign-in's transactions into. */
export function emptyMetrics(): Metrics {
  return {
    documentsRead: 0,
    databaseQueries: 0,
    documentsWritten: 0,
    bytesRead: 0,
    bytesWritten: 0,
  };
}

/** `a - b`, field by field. */
export function metricsDifference(a: Metrics, b: Metrics): Metrics {
  const difference = emptyMetrics();
  for (const key of Object.keys(difference) as (keyof Metrics)[]) {
    difference[key] = a[key] - b[key];
  }
  return difference;
}

type MutationRunner = {
  mutation: (
    reference: ReturnType<typeof makeFunctionReference<"mutation">>,
    args: Record<string, unknown>,
  ) => Promise<unknown>;
};

/**
 * Runs `auth:store`-style steps (`store` names the mutation) as Convex
 * Auth's actions do; with `meter`, each through `measureModule:measure`,
 * adding what every transaction used into it.
 */
export function storeRunner(
  t: MutationRunner,
  store: string,
  meter?: Metrics,
  measureModule = "costBaseline",
) {
  return async (args: Record<string, unknown>): Promise<unknown> => {
    if (meter === undefined) {
      return await t.mutation(makeFunctionReference<"mutation">(store), {
        args,
      });
    }
    const measured = (await t.mutation(
      makeFunctionReference<"mutation">(`${measureModule}:measure`),
      { path: store, args: { args } },
    )) as { result: unknown; metrics: Metrics };
    for (const key of Object.keys(meter) as (keyof Metrics)[]) {
      meter[key] += measured.metrics[key];
    }
    return measured.result;
  };
}

/**
 * A whole returning password sign-in measured, as the Password provider's
 * action makes it: the credentials checked, then the session created.
 */
export async function measuredPasswordSignIn(
  t: MutationRunner,
  options: {
    email: string;
    password: string;
    store: string;
    provider?: string;
  },
) {
  const metrics = emptyMetrics();
  const run = storeRunner(t, options.store, metrics);
  const found = (await run({
    type: "retrieveAccountWithCredentials",
    provider: options.provider ?? "password",
    account: { id: options.email, secret: options.password },
  })) as { user: { _id: string } } | string;
  if (typeof found === "string") throw new Error(`password: ${found}`);
  await run({ type: "signIn", userId: found.user._id, generateTokens: true });
  return { metrics };
}

/**
 * Convex's documented per-transaction limits
 * (https://docs.convex.dev/production/state/limits), and the quarter of them
 * that the benchmarks and the scale tests enforce, so that any transaction
 * coming near a real limit fails loudly.
 */
export const CONVEX_LIMITS = {
  documentsRead: 32_000,
  databaseQueries: 4_096,
  documentsWritten: 16_000,
  bytesRead: 16 * 1024 * 1024,
  bytesWritten: 16 * 1024 * 1024,
};
export const QUARTER_LIMITS = {
  documentsRead: CONVEX_LIMITS.documentsRead / 4,
  databaseQueries: CONVEX_LIMITS.databaseQueries / 4,
  documentsWritten: CONVEX_LIMITS.documentsWritten / 4,
  bytesRead: CONVEX_LIMITS.bytesRead / 4,
  bytesWritten: CONVEX_LIMITS.bytesWritten / 4,
};

/** A number as the benchmarks print it. */
export const fmt = (value: number, digits = 0) =>
  value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
