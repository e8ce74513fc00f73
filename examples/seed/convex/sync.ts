/**
 * The sync's declaration for this app: its `auth_users` table, the
 * reference on both sides, and the field map. Everything else (sign-in
 * sync, triggers, runs, drift report, deletion, suspension, lookups) is
 * derived from it by convex-auth-user-sync.
 */
import {
  defineUserSync,
  type UserSyncDeclaration,
} from "convex-auth-user-sync";
import type { DataModel } from "./_generated/dataModel";
import schema from "./schema";
import {
  deleteStarterTemplates,
  deleteStarterTemplatesOfUser,
  exportStarterTemplates,
  exportStarterTemplatesOfUser,
  provisionOnFirstSignIn,
  provisionOnFirstSignInOneTable,
} from "./starterTemplates";

/**
 * The declaration, apart: the v1 -> v2 move's test (v2Move.helpers.ts)
 * declares the same app with v2's components named beside it.
 */
export const declaration = {
  table: "auth_users",
  reference: { app: "convex_user_id", users: "auth_user_id" },
  email: { app: "email", verified: "email_verified" },
  mirror: [
    { users: "phone", app: "phone", owner: "provider" },
    {
      users: "name",
      app: "full_name",
      owner: "provider",
      // A name chosen in the app, or a legacy row's, survives renames.
      chosenBy: "name_source",
      legacyValueIsChosen: true,
    },
    {
      users: "image",
      app: "avatar_url",
      owner: "provider",
      chosenBy: "avatar_source",
    },
  ],
  status: "status",
  lastLoginAt: "last_login_at",
  updatedAt: "updated_at",
  newRow: (now) => ({ created_at: now }),
  // Deleting an auth_users row (app code, through the triggers) deletes the
  // whole account: in this app the row is the account.
  onRowDelete: "deleteAccount",
  // Checked when Convex loads this module: a push or a test fails on a
  // schema the sync cannot work with, naming every problem.
  schema,
  // The way out of two tables (docs/fold.md): auth_users' own fields get
  // a home on users, and the templates' owner moves to the users id.
  fold: {
    fields: {
      company: "company",
      role: "role",
      is_admin: "isAdmin",
      name_source: "nameSource",
      avatar_source: "avatarSource",
      starter_templates_provisioned_at: "starterTemplatesProvisionedAt",
      created_at: "createdAt",
      // What only a home keeps once auth_users is no longer written.
      email: "emailKey",
      email_verified: "emailVerified",
      full_name: "fullName",
      avatar_url: "avatarUrl",
    },
    // The directory's search words (searchTextWrites.ts): made from the
    // name and address, whose homes keep them.
    derived: ["search_text"],
    references: [
      {
        table: "starter_templates",
        field: "owner_id",
        index: "by_owner_id_and_key",
      },
    ],
    // Once auth_users is no longer written, the user alone: starter
    // templates at a first sign-in, and the templates (owned by the users
    // id since the re-point) erased and exported with the user.
    hooks: {
      onSignIn: provisionOnFirstSignInOneTable,
      onDeleteUser: deleteStarterTemplatesOfUser,
      exportUser: exportStarterTemplatesOfUser,
    },
  },
  hooks: {
    onSignIn: provisionOnFirstSignIn,
    onDeleteRow: deleteStarterTemplates,
    exportRow: exportStarterTemplates,
  },
  modules: {
    signIn: "authSync",
    engine: "syncEngine",
    driftReport: "driftReport",
    audit: "auditLog",
  },
} satisfies UserSyncDeclaration<DataModel, "auth_users">;

export const userSync = defineUserSync<DataModel>()(declaration);
