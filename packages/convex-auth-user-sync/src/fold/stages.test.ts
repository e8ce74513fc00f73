/**
 * The fold's stages: which phase may start where, what its run is, and
 * what a finished run proves.
 */
import { describe, expect, test } from "vitest";
import { isAppError } from "../errors.js";
import type { Shape } from "../declaration.js";
import type { SyncRun } from "../validators.js";
import { checkMove, planOf, runProves } from "./stages.js";

const shape = {
  fold: {
    fields: [],
    references: [
      { table: "templates", field: "owner_id", index: "by_owner_id" },
      { table: "notes", field: "author_id", index: "by_author_id" },
    ],
  },
} as unknown as Shape;

function codeOf(act: () => unknown): string | undefined {
  try {
    act();
  } catch (error) {
    return isAppError(error) ? error.data.code : "not an app error";
  }
  return undefined;
}

const run = (fields: Partial<SyncRun>): SyncRun =>
  ({
    status: "completed",
    dry_run: false,
    skipped: 0,
    counts: { checked: 5, needingReview: 0 },
    ...fields,
  }) as SyncRun;

describe("fold stages", () => {
  test("phases go forward in order, each may run again, none skips ahead", () => {
    expect(
      checkMove("two_tables", { phase: "expand", direction: "forward" }),
    ).toBe("expanded");
    expect(
      checkMove("expanded", { phase: "expand", direction: "forward" }),
    ).toBe("expanded");
    expect(
      checkMove("expanded", { phase: "placeholders", direction: "forward" }),
    ).toBe("placeholders");
    // Run again later on, a phase keeps the stage the fold has reached.
    expect(
      checkMove("repointed", { phase: "placeholders", direction: "forward" }),
    ).toBe("repointed");
    expect(
      checkMove("placeholders", { phase: "expand", direction: "forward" }),
    ).toBe("placeholders");
    expect(
      codeOf(() =>
        checkMove("two_tables", { phase: "repoint", direction: "forward" }),
      ),
    ).toBe("CONFLICT");
    expect(
      codeOf(() =>
        checkMove("expanded", { phase: "repoint", direction: "forward" }),
      ),
    ).toBe("CONFLICT");
  });

  test("only the latest phase rolls back, to the stage before it", () => {
    expect(
      checkMove("repointed", { phase: "repoint", direction: "back" }),
    ).toBe("placeholders");
    expect(checkMove("expanded", { phase: "expand", direction: "back" })).toBe(
      "two_tables",
    );
    expect(
      codeOf(() =>
        checkMove("repointed", { phase: "placeholders", direction: "back" }),
      ),
    ).toBe("CONFLICT");
    expect(
      codeOf(() =>
        checkMove("two_tables", { phase: "expand", direction: "back" }),
      ),
    ).toBe("CONFLICT");
  });

  test("each move's run: expand is the sync's own, a re-point one phase per reference", () => {
    expect(planOf(shape, { phase: "expand", direction: "forward" })).toEqual([
      "unlinked",
      "pairs",
    ]);
    expect(planOf(shape, { phase: "expand", direction: "back" })).toBeNull();
    expect(planOf(shape, { phase: "placeholders", direction: "back" })).toEqual(
      ["placeholders_back"],
    );
    expect(planOf(shape, { phase: "repoint", direction: "forward" })).toEqual([
      "repoint:0",
      "repoint:1",
    ]);
    expect(planOf(shape, { phase: "repoint", direction: "back" })).toEqual([
      "repoint_back:0",
      "repoint_back:1",
    ]);
  });

  test("a run proves its stage only when complete, real and clean", () => {
    const forward = { phase: "repoint", direction: "forward" } as const;
    expect(runProves(forward, run({}))).toBe(true);
    expect(runProves(forward, run({ status: "failed" }))).toBe(false);
    expect(runProves(forward, run({ dry_run: true }))).toBe(false);
    expect(runProves(forward, run({ skipped: 1 }))).toBe(false);
    expect(
      runProves(forward, run({ counts: { needingReview: 1 } as never })),
    ).toBe(false);
    // A placeholder a rollback left for review still stands.
    expect(
      runProves(
        { phase: "placeholders", direction: "back" },
        run({ counts: { needingReview: 1 } as never }),
      ),
    ).toBe(false);
    // Cases older than the fold (ambiguous addresses) do not hold expand back.
    expect(
      runProves(
        { phase: "expand", direction: "forward" },
        run({ counts: { needingReview: 3 } as never }),
      ),
    ).toBe(true);
    // A placeholder kept by its rollback (a reference names it) holds it.
    expect(
      runProves(
        { phase: "placeholders", direction: "back" },
        run({ counts: { needingReview: 1 } as never }),
      ),
    ).toBe(false);
  });

  test("the last stages: reads switch, writes stop, verify, retire; retire has no way back", () => {
    expect(
      checkMove("repointed", { phase: "switch_reads", direction: "forward" }),
    ).toBe("reads_switched");
    expect(
      checkMove("reads_switched", {
        phase: "stop_writes",
        direction: "forward",
      }),
    ).toBe("writes_stopped");
    expect(
      checkMove("writes_stopped", { phase: "verify", direction: "forward" }),
    ).toBe("verified");
    // Verify may run again; retire runs again over what is left.
    expect(
      checkMove("verified", { phase: "verify", direction: "forward" }),
    ).toBe("verified");
    expect(
      checkMove("verified", { phase: "retire", direction: "forward" }),
    ).toBe("retired");
    expect(
      checkMove("retired", { phase: "retire", direction: "forward" }),
    ).toBe("retired");
    expect(
      codeOf(() =>
        checkMove("writes_stopped", { phase: "retire", direction: "forward" }),
      ),
    ).toBe("CONFLICT");
    expect(
      codeOf(() =>
        checkMove("retired", { phase: "retire", direction: "back" }),
      ),
    ).toBe("INVALID_ARGUMENT");
    // Back, latest first.
    expect(checkMove("verified", { phase: "verify", direction: "back" })).toBe(
      "writes_stopped",
    );
    expect(
      checkMove("writes_stopped", { phase: "stop_writes", direction: "back" }),
    ).toBe("reads_switched");
    expect(
      checkMove("reads_switched", { phase: "switch_reads", direction: "back" }),
    ).toBe("repointed");
  });

  test("once writes stopped, no phase that writes the app table runs again", () => {
    for (const phase of [
      "expand",
      "placeholders",
      "repoint",
      "switch_reads",
    ] as const) {
      for (const stage of ["writes_stopped", "verified", "retired"] as const) {
        expect(
          codeOf(() => checkMove(stage, { phase, direction: "forward" })),
        ).toBe("CONFLICT");
      }
      // Before, a phase runs again and keeps the stage.
      expect(checkMove("reads_switched", { phase, direction: "forward" })).toBe(
        "reads_switched",
      );
    }
  });

  test("the last stages' runs: rows checked to switch reads and to stop writes, rows from users to go back, verify per reference, retire", () => {
    expect(
      planOf(shape, { phase: "switch_reads", direction: "forward" }),
    ).toEqual(["verify"]);
    expect(
      planOf(shape, { phase: "switch_reads", direction: "back" }),
    ).toBeNull();
    expect(
      planOf(shape, { phase: "stop_writes", direction: "forward" }),
    ).toEqual(["verify"]);
    expect(planOf(shape, { phase: "stop_writes", direction: "back" })).toEqual([
      "rows_from_users",
    ]);
    expect(planOf(shape, { phase: "verify", direction: "forward" })).toEqual([
      "verify",
      "verify_ref:0",
      "verify_ref:1",
    ]);
    expect(planOf(shape, { phase: "verify", direction: "back" })).toBeNull();
    expect(planOf(shape, { phase: "retire", direction: "forward" })).toEqual([
      "retire",
    ]);
    // A verification or rows written back that leave a case prove nothing.
    for (const move of [
      { phase: "verify", direction: "forward" },
      { phase: "retire", direction: "forward" },
      { phase: "stop_writes", direction: "back" },
    ] as const) {
      expect(runProves(move, run({}))).toBe(true);
      expect(
        runProves(move, run({ counts: { needingReview: 1 } as never })),
      ).toBe(false);
    }
  });
});
