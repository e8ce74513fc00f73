/**
 * The move's settings mid-move (`moveToV2`): Convex Auth v1 keeps serving
 * sign-ins, so the declaration keeps v1's adapter; only `convexAuth`
 * switches to v2's.
 */
import { expect, test } from "vitest";
import { defineUserSync } from "../index.js";
import { moveSettings } from "./move.js";

/** The guide's declaration with the move's settings (untyped: runtime only). */
function declare(extra: Record<string, unknown>) {
  return defineUserSync()({
    table: "members",
    reference: { app: "userId" },
    email: { app: "email", verified: "emailVerified" },
    onRowDelete: "keepAccount",
    ...extra,
  } as never);
}

test("moveToV2 keeps Convex Auth v1's adapter: callbacks() serves v1, v2's callbacks are refused", () => {
  const github = { provider: {} } as never;
  const sync = declare({ moveToV2: { oauth: { github } } });
  expect(typeof sync.callbacks().beforeSessionCreation).toBe("function");
  expect(() =>
    sync.convexAuthV2Callbacks({ internalMutation: (() => null) as never }),
  ).toThrow(/convexAuthV2Callbacks serves Convex Auth v2/);
  expect(moveSettings(sync.shape)).toEqual({ oauth: { github } });
});

test("without moveToV2 or convexAuth the move has no settings", () => {
  expect(moveSettings(declare({}).shape)).toBeUndefined();
});
