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
 * - convex before 1.35 has no `ctx.meta.getTransactionMetrics`, which every
 *   bulk page reads its budget from: checked where it is read, so a run
 *   fails naming the version rather than on an undefined property.
 * No Node APIs: this runs in Convex's default runtime.
 */
import * as convexAuthServer from "@convex-dev/auth/server";
import type { GenericMutationCtx, GenericDataModel } from "convex/server";

/** The Convex Auth versions the adapter works with (the peer range). */
export const CONVEX_AUTH_RANGE = ">=0.0.91 <0.1.0";

export const UNSUPPORTED_CONVEX_AUTH_V2 = `This sync is declared for Convex Auth v1, and this app has Convex Auth v2 (@convex-dev/auth 2.x: setupConvexAuth, no convexAuth). Declare its components (convexAuth: { version: 2, core: components.auth, ... }; see convex-auth-user-sync's docs/convex-auth-v2.md), or install @convex-dev/auth@"${CONVEX_AUTH_RANGE}" (docs/compatibility.md).`;

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

/** The Convex Auth v2 versions the v2 adapter (v2/callbacks.ts) serves. */
export const CONVEX_AUTH_V2_RANGE = "^2.0.0";

/** The package's peer range: either adapter's. */
export const CONVEX_AUTH_PEER_RANGE = `${CONVEX_AUTH_RANGE} || ${CONVEX_AUTH_V2_RANGE}`;

export const UNSUPPORTED_CONVEX_AUTH_V1 = `This sync declares Convex Auth v2 (convexAuth: { version: 2, ... }), and this app's @convex-dev/auth/server has no setupConvexAuth: install @convex-dev/auth@"${CONVEX_AUTH_V2_RANGE}", or remove convexAuth from the declaration for Convex Auth v1 (see convex-auth-user-sync's docs/convex-auth-v2.md).`;

/**
 * Throws unless `server` is Convex Auth v2's server module (its
 * `setupConvexAuth`), for a declaration of v2.
 *
 * @example assertConvexAuthV2(); // the installed @convex-dev/auth/server
 */
export function assertConvexAuthV2(
  server: Record<string, unknown> = convexAuthServer,
): void {
  if (
    "setupConvexAuth" in server &&
    typeof server.setupConvexAuth === "function"
  ) {
    return;
  }
  throw new Error(UNSUPPORTED_CONVEX_AUTH_V1);
}

/** The convex versions the library works with (the peer range). */
export const CONVEX_RANGE = "^1.35.0";

type TransactionMetrics = Awaited<
  ReturnType<
    GenericMutationCtx<GenericDataModel>["meta"]["getTransactionMetrics"]
  >
>;

/**
 * What this transaction has used and has left, from convex; before 1.35,
 * an Error naming the version needed.
 *
 * @example const metrics = await transactionMetrics(ctx);
 */
export async function transactionMetrics(
  ctx: GenericMutationCtx<GenericDataModel>,
): Promise<TransactionMetrics> {
  // Typed as always there; absent at runtime before convex 1.35.
  const meta = ctx.meta as Partial<typeof ctx.meta> | undefined;
  if (meta?.getTransactionMetrics === undefined) {
    throw new Error(
      `convex-auth-user-sync's bulk runs need convex@"${CONVEX_RANGE}" (ctx.meta.getTransactionMetrics, new in 1.35.0), and this app's convex is older (see convex-auth-user-sync's docs/compatibility.md).`,
    );
  }
  return await meta.getTransactionMetrics();
}
