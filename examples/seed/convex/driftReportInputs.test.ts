/**
 * The drift report's bad input is a coded error, like every other function's
 * (found by review: a junk cursor threw a SyntaxError, NaN a TypeError).
 */
import { describe, test } from "vitest";
import { internal } from "./_generated/api";
import {
  expectAppError,
  newBackend,
  seedMix,
  useFakeClock,
} from "./test.helpers";

useFakeClock(Date.UTC(2026, 5, 1));

describe("coded errors on bad input", () => {
  test("driftReport:page with a cursor that is not one of its own", async () => {
    const t = newBackend();
    await seedMix(t, 5);
    await expectAppError(
      t.query(internal.driftReport.page, {
        table: "both",
        cursor: "not-a-cursor",
      }),
      "INVALID_ARGUMENT",
    );
  });
  test("crafted cursors of the right outline are refused too, for every table (found by review)", async () => {
    const t = newBackend();
    await seedMix(t, 5);
    const crafted: unknown[] = [
      { phase: "unlinked", at: { time: 0, ids: 5 } },
      { phase: "unlinked", at: {} },
      { phase: "unlinked", at: 7 },
      { phase: "pairs", at: {} },
      {
        phase: "pairs",
        at: { key: "x", rows: { time: 0, ids: 5 }, user: false },
      },
      { phase: "pairs", at: { key: { a: 1 }, rows: "all", user: true } },
      // A page's reads follow its size, not a list of ids a cursor carries.
      {
        phase: "unlinked",
        at: { time: 0, ids: Array.from({ length: 1001 }, (_, i) => `${i}`) },
      },
    ];
    for (const cursor of crafted) {
      await expectAppError(
        t.query(internal.driftReport.page, {
          table: "both",
          cursor: JSON.stringify(cursor),
          pageSize: 5,
        }),
        "INVALID_ARGUMENT",
      );
    }
    for (const table of ["users", "rows"] as const) {
      await expectAppError(
        t.query(internal.driftReport.page, { table, cursor: "junk" }),
        "INVALID_ARGUMENT",
      );
    }
  });

  test("driftReport:page both with a NaN page size", async () => {
    const t = newBackend();
    await seedMix(t, 5);
    await expectAppError(
      t.query(internal.driftReport.page, {
        table: "both",
        cursor: null,
        pageSize: Number.NaN,
      }),
      "INVALID_ARGUMENT",
    );
  });
});
