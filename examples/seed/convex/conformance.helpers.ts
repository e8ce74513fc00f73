/**
 * This app, as the conformance suite drives it (../../../conformance).
 */
import type { ConformanceApp } from "../../../conformance/app";
import { convexAuthV1 } from "../../../conformance/convexAuthV1";
import { atStage, type FoldStage } from "../../../conformance/stages";
import { api, internal } from "./_generated/api";
import schema from "./schema";
import { userSync } from "./sync";
import { type Backend, newBackendWithFastPasswords } from "./test.helpers";

export const seedApp: ConformanceApp = {
  schema,
  newBackend: () => newBackendWithFastPasswords(),
  userSync: userSync as unknown as ConformanceApp["userSync"],
  // Convex Auth v1: its Password provider, its tables.
  ...convexAuthV1({ signIn: api.auth.signIn, passwordProvider: "password" }),
  syncAllUsers: internal.userSync.syncAllUsers,
  getRun: internal.syncEngine.getRun,
  startFoldPhase: internal.fold.startFoldPhase,
  foldStatus: internal.fold.foldStatus,
  driftSummary: internal.driftReport.summary,
  driftPage: internal.driftReport.page,
  ownName: { users: "name", app: "full_name" },
  setOwnName: async (session, name) => {
    await session.mutation(api.users.updateUserProfile, { name });
  },
  whoAmI: async (session) => {
    const me = await session.query(api.users.getCurrentUser, {});
    return me?.userId == null
      ? null
      : { userId: me.userId, rowId: me.authUserId };
  },
  deleteOwnAccount: async (session) => {
    await session.mutation(api.users.deleteAccount, {});
  },
  setStatus: async (t, id, status) => {
    await t.mutation(internal.admin.setStatus, { id, status });
  },
  deleteAccount: async (t, id) => {
    await t.mutation(internal.admin.deleteAccount, { id });
  },
  editRowName: async (t, authUserId, full_name) => {
    await t.mutation(internal.admin.editAuthUser, { authUserId, full_name });
  },
  deleteRow: async (t, id) => {
    await t.mutation(internal.admin.deleteRecord, { id });
  },
  deleteUser: async (t, id) => {
    await t.mutation(internal.admin.deleteRecord, { id });
  },
  legacyRow: ({ email, name, now }) => ({
    email,
    full_name: name,
    created_at: now,
    updated_at: now,
  }),
};

/**
 * A fresh backend (fast passwords) holding what `seed` writes, moved to a
 * stage of the fold by its own commands (conformance/stages.ts).
 *
 * @example const t = await backendAtStage("repointed", (t) => insertLegacyRow(t, { email }));
 */
export async function backendAtStage(
  stage: FoldStage,
  seed?: (t: Backend) => Promise<void>,
) {
  const t = newBackendWithFastPasswords();
  await seed?.(t);
  await atStage(t, seedApp, stage);
  return t;
}
