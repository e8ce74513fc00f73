/**
 * The sync's declaration for this app, on Convex Auth v2: `members`,
 * referenced from the member side only; the name the member's own, the
 * picture GitHub's until the member chooses one. `convexAuth` names the
 * mounted components the sync calls beyond a sign-in (sessions, an erased
 * person's identities, a password account's verified address, the v1 -> v2
 * move's GitHub accounts).
 */
import {
  defineUserSync,
  type UserSyncDeclaration,
} from "convex-auth-user-sync";
import type { DataModel } from "./_generated/dataModel";
import { components } from "./components";
import schema from "./schema";

/**
 * The declaration, apart: a review test (v2Review3.test.ts) declares the
 * same app with all of v1's tables kept in its schema.
 */
export const declaration = {
  table: "members",
  reference: { app: "userId" },
  email: { app: "email", verified: "emailVerified" },
  mirror: [
    { users: "name", app: "fullName", owner: "app" },
    { users: "image", app: "avatarUrl", owner: "provider" },
  ],
  status: "status",
  lastLoginAt: "lastLoginAt",
  updatedAt: "updatedAt",
  newRow: (now) => ({ joinedAt: now }),
  // Deleting a member (app code, through the triggers) deletes the account
  // with it: a person is their membership here.
  onRowDelete: "deleteAccount",
  schema,
  // The way out of two tables (docs/fold.md): the member's own fields get
  // a home on users. No other table holds a member's id: nothing to
  // re-point.
  fold: {
    fields: {
      company: "company",
      role: "role",
      joinedAt: "joinedAt",
      // What only a home keeps once members is no longer written.
      email: "emailKey",
      emailVerified: "emailVerified",
      fullName: "fullName",
    },
  },
  convexAuth: {
    version: 2,
    core: components.auth,
    email: components.authEmail,
    password: components.authPassword,
    // The v1 -> v2 move (userSync:startV2Move) puts v1's GitHub accounts
    // here; the app mounts no Google component, so none moves.
    oauth: { github: components.authGithub },
    // v1's providers and where each goes: `resend` was v1's Email provider
    // (a code by email), which waits for its person's next sign-in.
    v1Methods: {
      github: "github",
      password: "password",
      resend: "email_code",
      anonymous: "skip",
    },
  },
} satisfies UserSyncDeclaration<DataModel, "members">;

export const userSync = defineUserSync<DataModel>()(declaration);
