/**
 * The fold's stages and the phases that move between them: which phase
 * may start from which stage, which run it is, and what a finished run
 * proves. Pure: no Convex calls (state.ts keeps the record).
 *
 * Two tables → expanded → placeholders → repointed; each step forward is a
 * phase run, each step back a rollback (the expand fields and the
 * placeholders' data are never lost: see docs/fold.md).
 */
import type { Shape } from "../declaration.js";
import { appError } from "../errors.js";
import type { SyncRun } from "../validators.js";

/** Where the app stands, in order. */
export const FOLD_STAGES = [
  "two_tables",
  "expanded",
  "placeholders",
  "repointed",
] as const;
export type FoldStage = (typeof FOLD_STAGES)[number];

/** The phases an operator starts, forward. */
export const FOLD_PHASES = ["expand", "placeholders", "repoint"] as const;
export type FoldPhase = (typeof FOLD_PHASES)[number];

/** A phase's run, forward or back, as the fold record holds it. */
export type FoldMove = {
  phase: FoldPhase;
  direction: "forward" | "back";
};

/** Phase names of the runner (see runs/phase.ts) for one reference each. */
export const repointPhaseName = (index: number) => `repoint:${index}`;
export const repointBackPhaseName = (index: number) => `repoint_back:${index}`;
export const PLACEHOLDERS_PHASE = "placeholders";
export const PLACEHOLDERS_BACK_PHASE = "placeholders_back";

/** The stage a phase needs, and the stage it reaches, forward. */
const FORWARD: Record<FoldPhase, { from: FoldStage; to: FoldStage }> = {
  expand: { from: "two_tables", to: "expanded" },
  placeholders: { from: "expanded", to: "placeholders" },
  repoint: { from: "placeholders", to: "repointed" },
};

export function stageIndex(stage: FoldStage): number {
  return FOLD_STAGES.indexOf(stage);
}

/**
 * Checks that `move` may start at `stage` and returns the stage it reaches
 * when its run proves it. Forward: the phase's own stage or the one before
 * (a phase may run again, say for rows imported since). Back: only the
 * latest phase, from its own stage.
 *
 * @example const target = checkMove("expanded", { phase: "placeholders", direction: "forward" });
 */
export function checkMove(stage: FoldStage, move: FoldMove): FoldStage {
  const { from, to } = FORWARD[move.phase];
  if (move.direction === "back") {
    if (stage !== to) {
      throw appError(
        "CONFLICT",
        `Rolling back ${move.phase} needs the fold at stage ${to}; it is at ${stage}.`,
      );
    }
    return from;
  }
  if (stageIndex(stage) < stageIndex(from)) {
    throw appError(
      "CONFLICT",
      `The ${move.phase} phase needs the fold at stage ${from} or later; it is at ${stage}. Run ${phaseBefore(move.phase)} first.`,
    );
  }
  return to;
}

function phaseBefore(phase: FoldPhase): string {
  const index = FOLD_PHASES.indexOf(phase);
  return index > 0 ? FOLD_PHASES[index - 1]! : "nothing";
}

/**
 * The run plan of a move: the expand phase is the sync's own run (the fold
 * fields are in the field map once declared), the others the fold's phase
 * modules, one per declared reference for a re-point. Null: no run (rolling
 * back expand only moves the stage; its fields stay in place).
 */
export function planOf(shape: Shape, move: FoldMove): string[] | null {
  const references = shape.fold?.references ?? [];
  switch (move.phase) {
    case "expand":
      return move.direction === "forward" ? ["unlinked", "pairs"] : null;
    case "placeholders":
      return [
        move.direction === "forward"
          ? PLACEHOLDERS_PHASE
          : PLACEHOLDERS_BACK_PHASE,
      ];
    case "repoint":
      return references.map((_, index) =>
        move.direction === "forward"
          ? repointPhaseName(index)
          : repointBackPhaseName(index),
      );
  }
}

/**
 * Whether a finished run proves its move: it completed, passed over no
 * document, and, for a re-point either way or a rollback of placeholders,
 * left no document for review (one not re-pointed still holds the other
 * table's id; a placeholder left for review still stands). Expand and
 * placeholders forward may meet cases that predate the fold (ambiguous
 * addresses): those do not hold the stage back.
 */
export function runProves(move: FoldMove, run: SyncRun): boolean {
  if (run.status !== "completed" || run.dry_run) return false;
  if ((run.skipped ?? 0) > 0) return false;
  const clean =
    move.phase === "repoint" ||
    (move.phase === "placeholders" && move.direction === "back");
  return !clean || run.counts.needingReview === 0;
}
