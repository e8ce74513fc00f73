/**
 * Cost measurement for the benchmark (a multi-dot file: never deployed),
 * mounted as the module `costBaseline` (see COST_MODULES):
 * - `store`: Convex Auth as convex/auth.ts configures it, without the
 *   sync's callbacks: what a sign-in costs without the sync;
 * - `measure`: what a whole transaction used (../../../dev/cost.ts).
 */
import { convexAuth } from "@convex-dev/auth/server";
import { passwordProvider } from "./auth";

export const { store } = convexAuth({ providers: [passwordProvider] });
export { measure } from "../../../dev/cost";

/** Module map entries that mount this file as `costBaseline`. */
export const COST_MODULES = {
  "./costBaseline.ts": () => import("./cost.helpers"),
};
