/**
 * What the examples' benchmarks share: a run to completion, and the drift
 * a completed run may leave (only what waits for people).
 */
import type { FunctionReference } from "convex/server";
import type { SyncRun } from "convex-auth-user-sync";

type Runner = {
  mutation: (
    reference: FunctionReference<"mutation", "internal">,
    args: { pageSize: number },
  ) => Promise<{ _id: string }>;
  query: (
    reference: FunctionReference<"query", "internal">,
    args: { runId: string },
  ) => Promise<SyncRun | null>;
  finishAllScheduledFunctions: (
    advanceTimers: () => void,
    maxIterations?: number,
  ) => Promise<void>;
};

/** Starts a run and waits for it; throws unless it completed. */
export async function runToCompletion(
  t: Runner,
  functions: {
    start: FunctionReference<"mutation", "internal">;
    getRun: FunctionReference<"query", "internal">;
  },
  pageSize: number,
): Promise<SyncRun> {
  const started = await t.mutation(functions.start, { pageSize });
  // runAfter(0) pages are due at once on the real clock: nothing to advance.
  await t.finishAllScheduledFunctions(() => {}, 1_000_000);
  const run = await t.query(functions.getRun, { runId: started._id });
  if (run?.status !== "completed") {
    throw new Error(`run ended ${run?.status}: ${run?.last_error}`);
  }
  return run;
}

/** Throws if the drift report found more than what waits for people. */
export function expectOnlyWaiting(
  report: { users: { findings: Finding[] }; rows: { findings: Finding[] } },
  waiting: ReadonlySet<string>,
  n: number,
): void {
  const left = [...report.users.findings, ...report.rows.findings].filter(
    (f) => !waiting.has(f.kind),
  );
  if (left.length > 0) {
    throw new Error(`drift left at N=${n}: ${JSON.stringify(left)}`);
  }
}

type Finding = { kind: string; count: number; sampleIds: string[] };
