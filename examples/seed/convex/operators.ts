/**
 * The library's ready operator commands (userSync.operatorFunctions), as
 * any adopter exports them, built with this app's raw builders like every
 * other sync function. The app's own commands (admin.ts, reviews.ts,
 * userSync.ts) came first and stay; these add what they lack, chiefly
 * `findUser`, which lists every holder of an address with their ids,
 * verified or not: an operator names a password sign-up by id.
 *
 * @example npx convex run operators:findUser '{"email":"ada@example.com"}'
 * @example npx convex run operators:resolveCase '{"reviewId":"…","version":"…","action":"dismiss"}'
 */
import { internalQuery, internalSyncMutation } from "./functions";
import { userSync } from "./sync";

export const {
  findUser,
  suspend,
  reactivate,
  deleteAccount,
  deleteRow,
  syncUser,
  openCases,
  resolveCase,
  auditLog,
} = userSync.operatorFunctions({
  internalMutation: internalSyncMutation,
  internalQuery,
});
