/**
 * This app, as the conformance suite drives it (../../../conformance).
 */
import { convexTest } from "convex-test";
import type { ConformanceApp } from "../../../conformance/app";
import { convexAuthV1 } from "../../../conformance/convexAuthV1";
import { api, internal } from "./_generated/api";
import { FAST_PASSWORD_MODULES } from "./fastPassword.helpers";
import schema from "./schema";
import { userSync } from "./sync";

export const modules = import.meta.glob("./**/!(*.*.*)*.*s");

/** A fresh backend with cheap password hashing. */
export function newBackend() {
  return convexTest({
    schema,
    modules: { ...modules, ...FAST_PASSWORD_MODULES },
  });
}

export const profilesApp: ConformanceApp = {
  schema,
  newBackend,
  userSync: userSync as unknown as ConformanceApp["userSync"],
  // Convex Auth v1: its Password provider, its tables.
  ...convexAuthV1({ signIn: api.auth.signIn, passwordProvider: "password" }),
  syncAllUsers: internal.userSync.syncAllUsers,
  getRun: internal.userSync.getRun,
  startFoldPhase: internal.userSync.startFoldPhase,
  foldStatus: internal.userSync.foldStatus,
  driftSummary: internal.userSync.summary,
  driftPage: internal.userSync.page,
  ownName: { users: "name", app: "displayName" },
  setOwnName: async (session, displayName) => {
    await session.mutation(api.profiles.setDisplayName, { displayName });
  },
  whoAmI: async (session) => {
    const me = await session.query(api.profiles.me, {});
    return me === null ? null : { userId: me.userId, rowId: me.profileId };
  },
  deleteOwnAccount: async (session) => {
    await session.mutation(api.profiles.deleteMyAccount, {});
  },
  // The library's operator commands, as the app exports them.
  setStatus: async (t, id, status) => {
    await t.mutation(
      status === "suspended"
        ? internal.userSync.suspend
        : internal.userSync.reactivate,
      { id },
    );
  },
  deleteAccount: async (t, id) => {
    await t.mutation(internal.userSync.deleteAccount, { id });
  },
  editRowName: async (t, profileId, displayName) => {
    await t.mutation(internal.admin.editProfile, { profileId, displayName });
  },
  deleteRow: async (t, profileId) => {
    await t.mutation(internal.admin.deleteProfile, { profileId });
  },
  deleteUser: async (t, userId) => {
    await t.mutation(internal.admin.deleteUserRecord, { userId });
  },
  legacyRow: ({ email, name, now }) => ({
    email,
    displayName: name,
    createdAt: now,
  }),
};
