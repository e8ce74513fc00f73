import { describe, expect, test } from "vitest";
import {
  advance,
  afterKey,
  afterRow,
  afterUser,
  defaultWorkers,
  groupPage,
  rangesOf,
  splitKeys,
  splitTimes,
} from "./merge.js";

type D = { _id: string; _creationTime: number; ref?: string };

const user = (id: string): D => ({ _id: id, _creationTime: 1 });
const row = (id: string, ref: string, time = 1): D => ({
  _id: id,
  _creationTime: time,
  ref,
});
const rowKey = (doc: D) => doc.ref!;

describe("groupPage", () => {
  test("groups users and the rows naming them, in key order", () => {
    const { groups, inOrder } = groupPage({
      users: [user("a"), user("b"), user("d")],
      rows: [row("r1", "a"), row("r2", "c"), row("r3", "d"), row("r4", "d")],
      rowKey,
      usersFull: false,
      rowsFull: false,
      cursor: null,
    });
    expect(inOrder).toBe(true);
    expect(
      groups.map((g) => [g.key, g.user?._id ?? null, g.rows.map((r) => r._id)]),
    ).toEqual([
      ["a", "a", ["r1"]],
      ["b", "b", []],
      ["c", null, ["r2"]],
      ["d", "d", ["r3", "r4"]],
    ]);
    expect(groups.every((g) => g.complete && g.withUser && g.userKnown)).toBe(
      true,
    );
  });

  test("stops before keys a full stream may hold more of", () => {
    // Users full at "c": nothing after it is known. Rows full at "b": the
    // group of "b" may go on, so it waits for the next page.
    const { groups } = groupPage({
      users: [user("a"), user("b"), user("c")],
      rows: [row("r1", "a"), row("r2", "b")],
      rowKey,
      usersFull: true,
      rowsFull: true,
      cursor: null,
    });
    expect(groups.map((g) => g.key)).toEqual(["a"]);
  });

  test("a group longer than the page is handed out without its user", () => {
    const { groups } = groupPage({
      users: [user("b")],
      rows: [row("r1", "b"), row("r2", "b")],
      rowKey,
      usersFull: true,
      rowsFull: true,
      cursor: null,
    });
    expect(groups).toEqual([
      expect.objectContaining({
        key: "b",
        user: null,
        complete: false,
        withUser: false,
        userKnown: false,
      }),
    ]);
  });

  test("a group begun on an earlier page is incomplete, and a user done there unknown", () => {
    const cursor = afterUser(afterRow(null, "b", row("r1", "b")), "b");
    const { groups } = groupPage({
      users: [],
      rows: [row("r2", "b", 2)],
      rowKey,
      usersFull: false,
      rowsFull: false,
      cursor,
    });
    expect(groups).toEqual([
      expect.objectContaining({
        key: "b",
        complete: false,
        withUser: true,
        userKnown: false,
      }),
    ]);
  });

  test("refuses a page out of order", () => {
    expect(
      groupPage({
        users: [user("b"), user("a")],
        rows: [],
        rowKey,
        usersFull: false,
        rowsFull: false,
        cursor: null,
      }),
    ).toEqual({ groups: [], inOrder: false });
  });
});

describe("cursors", () => {
  test("rows of one key and time accumulate; a new key starts afresh", () => {
    let cursor = afterRow(null, "a", row("r1", "a", 5));
    cursor = afterRow(cursor, "a", row("r2", "a", 5));
    expect(cursor).toEqual({
      key: "a",
      rows: { time: 5, ids: ["r1", "r2"] },
      user: false,
    });
    expect(afterRow(cursor, "a", row("r3", "a", 6))).toEqual({
      key: "a",
      rows: { time: 6, ids: ["r3"] },
      user: false,
    });
    expect(afterKey("a")).toEqual({ key: "a", rows: "all", user: true });
    expect(advance({ time: 1, ids: ["x"] }, [user("y")])).toEqual({
      time: 1,
      ids: ["x", "y"],
    });
  });
});

describe("splits", () => {
  test("split keys even out a sample; fewer distinct keys give fewer ranges", () => {
    expect(splitKeys(["d", "a", "c", "b", "b"], 2)).toEqual(["b"]);
    expect(splitKeys(["a", "b", "c", "d", "e", "f", "g", "h"], 4)).toEqual([
      "b",
      "d",
      "f",
    ]);
    expect(splitKeys(["a"], 4)).toEqual([]);
    expect(rangesOf(["b", "d"])).toEqual([
      [null, "b"],
      ["b", "d"],
      ["d", null],
    ]);
  });

  test("split times cut a span into equal parts", () => {
    expect(splitTimes(0, 100, 4)).toEqual([25, 50, 75]);
    expect(splitTimes(7, 7, 4)).toEqual([]);
  });

  test("default workers follow the last run's size", () => {
    expect(defaultWorkers(undefined, 100, 16)).toBe(1);
    expect(defaultWorkers(1_000, 100, 16)).toBe(1);
    expect(defaultWorkers(20_000, 100, 16)).toBe(4);
    expect(defaultWorkers(2_000_000, 100, 16)).toBe(16);
  });
});
