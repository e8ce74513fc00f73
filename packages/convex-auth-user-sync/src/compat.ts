/**
 * Which Convex Auth the v1 adapter (convexAuth.ts) can serve, checked where
 * a wrong one would otherwise fail silently (docs/compatibility.md has the
 * evidence for every bound):
 * - v2 (`@convex-dev/auth` 2.x) is a rewrite into components: its server
 *   module has no `convexAuth`, no `authTables`, no callbacks. Checked here,
 *   at runtime, when the sync is declared (module load, so `npx convex dev`
 *   fails to push).
 * - 0.0.80–0.0.90 export exactly what 0.0.91 does, but never call
 *   `beforeSessionCreation`: no runtime shape tells them apart. The type of
 *   `callbacks()` does (`ConvexAuthCallbacks` in convexAuth.ts): with them,
 *   the typecheck `npx convex dev` runs fails with the range below.
 * No Node APIs: this runs in Convex's default runtime.
 */
import * as convexAuthServer from "@convex-dev/auth/server";

/** The Convex Auth versions the adapter works with (the peer range). */
export const CONVEX_AUTH_RANGE = ">=0.0.91 <0.1.0";

export const UNSUPPORTED_CONVEX_AUTH_V2 = `convex-auth-user-sync works with Convex Auth v1 only, and this app has Convex Auth v2 (@convex-dev/auth 2.x: setupConvexAuth, no convexAuth). Install @convex-dev/auth@"${CONVEX_AUTH_RANGE}" (see convex-auth-user-sync's docs/compatibility.md).`;

const UNSUPPORTED_CONVEX_AUTH = `convex-auth-user-sync works with Convex Auth v1, @convex-dev/auth@"${CONVEX_AUTH_RANGE}", and this app's @convex-dev/auth/server exports no convexAuth or no authTables (see convex-auth-user-sync's docs/compatibility.md).`;

/**
 * Throws unless `server` is Convex Auth v1's server module.
 *
 * @example assertConvexAuthV1(); // the installed @convex-dev/auth/server
 */
export function assertConvexAuthV1(
  server: Record<string, unknown> = convexAuthServer,
): void {
  // `in` first: a missing export is not read (a mocked module throws).
  if (
    "convexAuth" in server &&
    typeof server.convexAuth === "function" &&
    "authTables" in server &&
    typeof server.authTables === "object" &&
    server.authTables !== null
  ) {
    return;
  }
  throw new Error(
    "setupConvexAuth" in server
      ? UNSUPPORTED_CONVEX_AUTH_V2
      : UNSUPPORTED_CONVEX_AUTH,
  );
}
