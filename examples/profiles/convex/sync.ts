/**
 * The sync's declaration for this app: `profiles`, referenced from the
 * profile side only, with the display name the app's own.
 */
import { defineUserSync } from "convex-auth-user-sync";
import type { DataModel } from "./_generated/dataModel";
import schema from "./schema";

export const userSync = defineUserSync<DataModel>()({
  table: "profiles",
  reference: { app: "userId" },
  email: { app: "email", verified: "emailVerified" },
  mirror: [{ users: "name", app: "displayName", owner: "app" }],
  status: "status",
  lastLoginAt: "lastLoginAt",
  updatedAt: "updatedAt",
  newRow: (now) => ({ createdAt: now }),
  // Deleting a profile (app code, through the triggers) deletes the
  // account with it: a person is their profile here.
  onRowDelete: "deleteAccount",
  schema,
  // The way out of two tables (docs/fold.md): the profile's own fields get
  // a home on users. No other table holds a profile's id, so there is
  // nothing to re-point: the repoint phase has no run here.
  fold: {
    fields: {
      bio: "bio",
      createdAt: "createdAt",
      // What only a home keeps once profiles is no longer written.
      email: "emailKey",
      emailVerified: "emailVerified",
      displayName: "displayName",
    },
  },
});
