/**
 * The drift report (convex-auth-user-sync's): every kind of inconsistency
 * between the two tables, with counts and sample ids, without writing
 * anything.
 *
 * @example npx convex run driftReport:summary
 * @example npx convex run driftReport:page '{"table":"users","cursor":null}'
 */
import { internalAction, internalQuery } from "./functions";
import { userSync } from "./sync";

export const { page, summary } = userSync.driftReportFunctions({
  internalQuery,
  internalAction,
});
