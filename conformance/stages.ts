/**
 * The fold's stages (docs/fold.md), for running the suite in each: an
 * app's backend is moved to a stage by the fold's own commands, phase by
 * phase, on whatever data it holds, before a test does anything else.
 */
import type { FoldStatus } from "convex-auth-user-sync";
import { expect } from "vitest";
import type { Backend, ConformanceApp } from "./app";
import { runDueFunctions } from "./runs";

export type FoldStage = FoldStatus["stage"];

/** Every stage, in order, with the phase that reaches it. */
export const FOLD_STAGES: readonly { stage: FoldStage; phase?: string }[] = [
  { stage: "two_tables" },
  { stage: "expanded", phase: "expand" },
  { stage: "placeholders", phase: "placeholders" },
  { stage: "repointed", phase: "repoint" },
  { stage: "reads_switched", phase: "switch_reads" },
  { stage: "writes_stopped", phase: "stop_writes" },
  { stage: "verified", phase: "verify" },
  { stage: "retired", phase: "retire" },
];

/**
 * Whether the app table is no longer written at `stage` (single-table
 * mode: writes_stopped and after).
 */
export function isSingleTable(stage: FoldStage): boolean {
  const at = (name: FoldStage) =>
    FOLD_STAGES.findIndex((entry) => entry.stage === name);
  return at(stage) >= at("writes_stopped");
}

/**
 * Moves the backend to `stage`: each phase up to it started and its run
 * driven to the end (fake timers required), the stage checked. From
 * "two_tables", nothing runs.
 *
 * @example await atStage(t, app, "placeholders");
 */
export async function atStage(
  t: Backend,
  app: ConformanceApp,
  stage: FoldStage,
): Promise<void> {
  const last = FOLD_STAGES.findIndex((entry) => entry.stage === stage);
  for (const { phase } of FOLD_STAGES.slice(1, last + 1)) {
    // Retiring deletes the app table's rows: it needs the confirmation.
    await t.mutation(app.startFoldPhase, {
      phase,
      ...(phase === "retire" ? { confirm: true } : {}),
    });
    await runDueFunctions(t);
  }
  const status = (await t.query(app.foldStatus, {})) as FoldStatus;
  expect(status.stage).toBe(stage);
}
