/**
 * The adapter refuses a Convex Auth it cannot serve, when the sync is
 * declared (module load, so `npx convex dev` fails), with the version it
 * needs. The shapes below are the exports of `@convex-dev/auth/server` as
 * each version ships them (checked against the packed packages; see
 * docs/compatibility.md); scripts/version-matrix.mjs runs the real ones.
 */
import * as installed from "@convex-dev/auth/server";
import { describe, expect, test } from "vitest";
import packageJson from "../package.json" with { type: "json" };
import {
  assertConvexAuthV1,
  CONVEX_AUTH_PEER_RANGE,
  CONVEX_AUTH_RANGE,
  CONVEX_RANGE,
  transactionMetrics,
  UNSUPPORTED_CONVEX_AUTH_V2,
} from "./compat.js";
import type { ConvexAuthRefusal } from "./convexAuth.js";

const fn = () => undefined;
/** @convex-dev/auth 2.0.0's server module: components, no convexAuth. */
const v2 = {
  convexAuthProvider: fn,
  setupConvexAuth: fn,
  getAuthUserId: fn,
};

describe("the Convex Auth the adapter runs on", () => {
  test("the installed v1 (0.0.9x) passes", () => {
    expect(() => assertConvexAuthV1(installed)).not.toThrow();
  });

  test("v2 is refused with the version the adapter needs", () => {
    expect(() => assertConvexAuthV1(v2)).toThrow(UNSUPPORTED_CONVEX_AUTH_V2);
    expect(UNSUPPORTED_CONVEX_AUTH_V2).toContain(
      `@convex-dev/auth@"${CONVEX_AUTH_RANGE}"`,
    );
    expect(CONVEX_AUTH_RANGE).toBe(">=0.0.91 <0.1.0");
  });

  test("the typecheck's message names the same range", () => {
    // A type error (npm run typecheck) if the two drift apart.
    const key: ConvexAuthRefusal =
      `convex-auth-user-sync needs @convex-dev/auth ${CONVEX_AUTH_RANGE} (Convex Auth v1 with beforeSessionCreation)` as const;
    expect(key).toContain(CONVEX_AUTH_RANGE);
  });

  test("a module without convexAuth or authTables is refused too", () => {
    expect(() => assertConvexAuthV1({ authTables: {} })).toThrow(
      CONVEX_AUTH_RANGE,
    );
    expect(() => assertConvexAuthV1({ convexAuth: fn })).toThrow(
      CONVEX_AUTH_RANGE,
    );
  });
});

describe("the convex the bulk engine runs on", () => {
  test("before 1.35 (no ctx.meta.getTransactionMetrics), a run fails naming the version needed", async () => {
    await expect(transactionMetrics({} as never)).rejects.toThrow(
      `convex@"${CONVEX_RANGE}"`,
    );
    expect(CONVEX_RANGE).toBe("^1.35.0");
  });

  test("from 1.35, the metrics are convex's own", async () => {
    const metrics = { rowsRead: { used: 1, remaining: 2 } };
    const ctx = {
      meta: { getTransactionMetrics: () => Promise.resolve(metrics) },
    };
    expect(await transactionMetrics(ctx as never)).toBe(metrics);
  });
});

test("the ranges checked are the package's peer ranges", () => {
  expect(packageJson.peerDependencies).toMatchObject({
    "@convex-dev/auth": CONVEX_AUTH_PEER_RANGE,
    convex: CONVEX_RANGE,
  });
});
