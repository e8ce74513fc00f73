/**
 * The fold's stages and the phases that move between them: which phase
 * may start from which stage, which run it is, and what a finished run
 * proves. Pure: no Convex calls (state.ts keeps the record).
 *
 * Two tables → expanded → placeholders → repointed → reads switched →
 * writes stopped → verified → retired; each step forward is a phase (a run,
 * or a switch with none), each step back a rollback (the expand fields and
 * the placeholders' data are never lost: see docs/fold.md). Retiring the
 * app table has no way back.
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
  "reads_switched",
  "writes_stopped",
  "verified",
  "retired",
] as const;
export type FoldStage = (typeof FOLD_STAGES)[number];

/** The phases an operator starts, forward. */
export const FOLD_PHASES = [
  "expand",
  "placeholders",
  "repoint",
  "switch_reads",
  "stop_writes",
  "verify",
  "retire",
] as const;
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
export const ROWS_FROM_USERS_PHASE = "rows_from_users";
export const VERIFY_PHASE = "verify";
export const verifyReferencePhaseName = (index: number) =>
  `verify_ref:${index}`;
export const RETIRE_PHASE = "retire";

/** The stage a phase needs, and the stage it reaches, forward. */
const FORWARD: Record<FoldPhase, { from: FoldStage; to: FoldStage }> = {
  expand: { from: "two_tables", to: "expanded" },
  placeholders: { from: "expanded", to: "placeholders" },
  repoint: { from: "placeholders", to: "repointed" },
  switch_reads: { from: "repointed", to: "reads_switched" },
  stop_writes: { from: "reads_switched", to: "writes_stopped" },
  verify: { from: "writes_stopped", to: "verified" },
  retire: { from: "verified", to: "retired" },
};

/** From this stage on the app table is no longer written (single-table mode). */
export const SINGLE_TABLE_FROM: FoldStage = "writes_stopped";

export function stageIndex(stage: FoldStage): number {
  return FOLD_STAGES.indexOf(stage);
}

/**
 * Checks that `move` may start at `stage` and returns the stage it reaches
 * when its run proves it. Forward: from the stage before the phase's or any
 * later one (a phase may run again, say for rows imported since); a phase
 * run again never moves the fold back a stage (found by review: a re-run of
 * placeholders at `repointed` set the stage to `placeholders`, so references
 * on users ids were said to hold app ids, and the placeholders they name
 * could be rolled back). Back: only the latest phase, from its own stage.
 *
 * @example const target = checkMove("expanded", { phase: "placeholders", direction: "forward" });
 */
export function checkMove(stage: FoldStage, move: FoldMove): FoldStage {
  const { from, to } = FORWARD[move.phase];
  if (move.direction === "back" && move.phase === "retire") {
    throw appError(
      "INVALID_ARGUMENT",
      "Retiring the app table has no rollback: its rows are gone. Restore them from the export taken before (npx convex import).",
    );
  }
  // Once the app table is no longer written, a phase that writes it (or
  // switches what stopping writes switched already) cannot run again:
  // roll stop_writes back first.
  if (
    move.direction === "forward" &&
    stageIndex(to) < stageIndex(SINGLE_TABLE_FROM) &&
    stageIndex(stage) >= stageIndex(SINGLE_TABLE_FROM)
  ) {
    throw appError(
      "CONFLICT",
      `The ${move.phase} phase writes the app table, which is no longer written at stage ${stage}: roll stop_writes back first.`,
    );
  }
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
  return stageIndex(stage) > stageIndex(to) ? stage : to;
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
    // Reads switch once a run proves every row's values are on users
    // already (the verify phase's row check, with no exemption: writes
    // have not stopped), so that no answer changes with the switch and
    // homes declared late are never read empty. Back: no run.
    case "switch_reads":
      return move.direction === "forward" ? [VERIFY_PHASE] : null;
    // Writes stop once a run proves again that every row is in a pair and
    // its values are on users (found by review: a suspended row in no pair
    // let its person in once only users was read). Going back writes every
    // row from its user first.
    case "stop_writes":
      return move.direction === "forward"
        ? [VERIFY_PHASE]
        : [ROWS_FROM_USERS_PHASE];
    case "verify":
      return move.direction === "forward"
        ? [
            VERIFY_PHASE,
            ...references.map((_, index) => verifyReferencePhaseName(index)),
          ]
        : null;
    case "retire":
      return [RETIRE_PHASE];
  }
}

/**
 * Whether a finished run proves its move: it completed, passed over no
 * document, and, but for expand and placeholders forward, left no document
 * for review (one not re-pointed still holds the other table's id; a
 * placeholder a reference still names was kept; a row that differs from
 * its user is not verified). Expand and placeholders forward may meet cases
 * that predate the fold (ambiguous addresses): those do not hold the stage
 * back.
 */
export function runProves(move: FoldMove, run: SyncRun): boolean {
  if (run.status !== "completed" || run.dry_run) return false;
  if ((run.skipped ?? 0) > 0) return false;
  // Expand and placeholders forward may meet cases older than the fold;
  // every later phase proves its stage only with none.
  const strict = !(
    move.direction === "forward" &&
    (move.phase === "expand" || move.phase === "placeholders")
  );
  return !strict || run.counts.needingReview === 0;
}
