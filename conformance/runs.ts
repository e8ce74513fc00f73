import { expect, vi } from "vitest";
import type { Backend, ConformanceApp } from "./app";

/** Runs everything scheduled, with fake timers (fake timers required). */
export async function runDueFunctions(t: Backend): Promise<void> {
  await t.finishAllScheduledFunctions(() => vi.advanceTimersByTime(0), 10_000);
}

type Run = {
  status: string;
  counts: Record<string, number>;
};

/** The operator's bulk run (the migration too), to completion. */
export async function syncEverything(
  t: Backend,
  app: ConformanceApp,
  pageSize = 3,
): Promise<Run> {
  await t.mutation(app.syncAllUsers, { pageSize });
  await runDueFunctions(t);
  const run = (await t.query(app.getRun, {})) as Run | null;
  expect(run?.status).toBe("completed");
  return run!;
}
