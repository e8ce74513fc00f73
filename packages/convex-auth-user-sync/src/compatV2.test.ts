/**
 * Declaring the sync (module load of the app's `convex/userSync.ts`, so
 * `npx convex dev` fails) with Convex Auth v2 installed: refused, naming the
 * version the adapter needs. `@convex-dev/auth/server` is replaced by the
 * exports 2.0.0 ships; scripts/version-matrix.mjs installs the real one.
 */
import { expect, test, vi } from "vitest";
import { UNSUPPORTED_CONVEX_AUTH_V2 } from "./compat.js";
import { defineUserSync } from "./index.js";

vi.mock("@convex-dev/auth/server", () => {
  const fn = () => undefined;
  return { convexAuthProvider: fn, setupConvexAuth: fn, getAuthUserId: fn };
});

/** The guide's declaration, with or without a schema to check. */
function declare(schema?: { tables: Record<string, unknown> }) {
  // Untyped, as a JavaScript app would declare it: only the runtime checks
  // are under test here.
  return defineUserSync()({
    table: "members",
    reference: { app: "userId" },
    email: { app: "email", verified: "emailVerified" },
    mirror: [],
    onRowDelete: "keepAccount",
    newRow: (now: number) => ({ createdAt: now }),
    schema,
  } as never);
}

test("declaring the sync with Convex Auth v2 fails, naming the version needed", () => {
  expect(() => declare()).toThrow(UNSUPPORTED_CONVEX_AUTH_V2);
});

test("with a schema to check, the version is still the error (v2's schema lacks v1's tables; found by the version matrix)", () => {
  expect(() => declare({ tables: {} })).toThrow(UNSUPPORTED_CONVEX_AUTH_V2);
});
