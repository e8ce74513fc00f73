import type { PaginationOptions, PaginationResult } from "convex/server";
import { describe, expect, test } from "vitest";
import { isAppError } from "./errors.js";
import { boundedPage, pageSize } from "./pages.js";

/** A query over 0..n-1 that records what it was asked and fails as told. */
function numbers(n: number, fail?: (opts: PaginationOptions) => Error | null) {
  const asked: PaginationOptions[] = [];
  return {
    asked,
    paginate(opts: PaginationOptions): Promise<PaginationResult<number>> {
      asked.push(opts);
      const error = fail?.(opts) ?? null;
      if (error !== null) return Promise.reject(error);
      const start = opts.cursor === null ? 0 : Number(opts.cursor);
      const page = Array.from(
        { length: Math.max(0, Math.min(opts.numItems, n - start)) },
        (_, i) => start + i,
      );
      const end = start + page.length;
      return Promise.resolve({
        page,
        continueCursor: String(end),
        isDone: end >= n,
        splitCursor: String(start),
        pageStatus: "SplitRecommended",
      });
    },
  };
}

async function code(run: Promise<unknown>) {
  const error: unknown = await run.then(
    () => null,
    (e: unknown) => e,
  );
  return isAppError(error) ? error.data.code : error;
}

describe("pageSize", () => {
  test("clamps to the limit and refuses what is no whole number ≥ 1", () => {
    expect(pageSize(25, 20)).toBe(20);
    expect(pageSize(5, 20)).toBe(5);
    for (const bad of [0, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => pageSize(bad, 20)).toThrow(/numItems must be/);
    }
  });
});

describe("boundedPage", () => {
  test("reads at most the limit, passes only numItems and cursor, drops split hints", async () => {
    const query = numbers(50);
    const result = await boundedPage(
      query,
      {
        numItems: 40,
        cursor: null,
        maximumRowsRead: 1_000,
        maximumBytesRead: 1_000_000,
      },
      20,
      "not ours",
    );
    expect(result).toEqual({
      page: Array.from({ length: 20 }, (_, i) => i),
      continueCursor: "20",
      isDone: false,
    });
    expect(query.asked).toEqual([{ numItems: 20, cursor: null }]);
  });

  test("an endCursor is INVALID_ARGUMENT, read nothing", async () => {
    const query = numbers(50);
    expect(
      await code(
        boundedPage(
          query,
          { numItems: 5, cursor: null, endCursor: "40" },
          20,
          "not ours",
        ),
      ),
    ).toBe("INVALID_ARGUMENT");
    expect(query.asked).toEqual([]);
  });

  test("a cursor the database refuses is INVALID_ARGUMENT; a first page's failure stays what it is", async () => {
    const limit = new Error("Too many reads");
    const query = numbers(50, (opts) =>
      opts.cursor === null ? limit : new SyntaxError("Unexpected token"),
    );
    expect(
      await code(boundedPage(query, { numItems: 5, cursor: "x" }, 20, "no")),
    ).toBe("INVALID_ARGUMENT");
    expect(
      await code(boundedPage(query, { numItems: 5, cursor: null }, 20, "no")),
    ).toBe(limit);
  });
});
