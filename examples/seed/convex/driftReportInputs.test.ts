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
