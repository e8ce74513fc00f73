/**
 * Cost measurement for the benchmark and the cost-pinning tests (a multi-dot
 * file: the Convex CLI never deploys it). Mounted by them as the module
 * `costBaseline` (see COST_MODULES).
 *
 * - `store`: Convex Auth exactly as convex/auth.ts configures it, but with no
 *   callbacks: the baseline a sign-in costs without the sync.
 * - `measure`: runs a mutation as a sub-transaction and returns what the
 *   whole transaction used, from ctx.meta.getTransactionMetrics().
 */
import { convexAuth } from "@convex-dev/auth/server";
import { providers } from "./providers";

export const { store } = convexAuth({ providers });

/** What a whole transaction used (../../../dev/cost.ts). */
export { measure } from "../../../dev/cost";

/** Module map entries that mount this file as `costBaseline`. */
export const COST_MODULES = {
  "./costBaseline.ts": () => import("./cost.helpers"),
};
