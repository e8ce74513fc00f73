import { describe, expect, test } from "vitest";
import { resolveShape } from "./declaration.js";
import { misconfiguration } from "./misconfiguration.js";

const shape = resolveShape({
  table: "members",
  reference: { app: "userId" },
  email: { app: "email", verified: "emailVerified" },
  onRowDelete: "keepAccount",
} as never);

describe("a failed sign-in sync names a misconfiguration's fix", () => {
  test("a sync function missing from the module the declaration names", () => {
    for (const message of [
      'Could not find module for: "userSync"',
      'Expected a Convex function exported from module "userSync" as `completeSignIn`, but there is no such export.',
      "Couldn't find function userSync:completeSignIn",
    ]) {
      expect(misconfiguration(shape, message)).toMatch(
        /export completeSignIn and endSessions from convex\/userSync\.ts/,
      );
    }
  });

  test("a schema without the sync's fields or indexes", () => {
    for (const message of [
      "Validator error: Unexpected field `pendingFirstSignIn` in object",
      'Cannot use index "by_email_and_emailVerificationTime" for table "users" because it is not declared in the schema.',
      'Failed to insert or update a document in table "users" because it does not match the schema: Object contains extra field `lastLoginAt` that is not in the validator.',
      "Index users.by_email_and_emailVerificationTime not found.",
    ]) {
      expect(misconfiguration(shape, message)).toMatch(
        /pass schema to defineUserSync.*userSync\.checkSchema\(schema\)/,
      );
    }
  });

  test("an app's own write or call failing inside a sign-in keeps its plain error", () => {
    for (const message of [
      // An onSignIn hook writing its own table a document its schema refuses.
      'Failed to insert or update a document in table "invites" because it does not match the schema: Object is missing the required field `teamId`.',
      "Validator error: Missing required field `teamId` in object",
      'Cannot use index "by_team" for table "invites" because it is not declared in the schema.',
      "Index invites.by_team not found.",
      // App code with a name that merely contains the sync's module.
      "TypeError: userSyncHelpers.notify is not a function",
      'Could not find module for: "userSyncExtras"',
    ]) {
      expect(misconfiguration(shape, message)).toBeUndefined();
    }
    // The same errors about the sync's own tables name its fix.
    for (const message of [
      'Failed to insert or update a document in table "members" because it does not match the schema: Object is missing the required field `emailVerified`.',
      'Failed to insert or update a document in table "sync_reviews" because it does not match the schema.',
      "Validator error: Missing required field `userId` in object",
    ]) {
      expect(misconfiguration(shape, message)).toMatch(/pass schema/);
    }
  });

  test("an app's own field of users or the app table keeps its plain error; the sync's own field names its fix (found by review)", () => {
    for (const message of [
      // An onSignIn hook (or newRow) writing an app field the schema refuses.
      'Failed to insert or update a document in table "members" because it does not match the schema: Object is missing the required field `teamId`.',
      'Failed to insert or update a document in table "users" because it does not match the schema: Object contains extra field `favoriteColour` that is not in the validator.',
    ]) {
      expect(misconfiguration(shape, message)).toBeUndefined();
    }
    for (const message of [
      'Failed to insert or update a document in table "users" because it does not match the schema: Object contains extra field `lastLoginAt` that is not in the validator.',
      'Cannot use index "by_userId" for table "members" because it is not declared in the schema.',
    ]) {
      expect(misconfiguration(shape, message)).toMatch(/pass schema/);
    }
  });

  test("any other fault is left as it is", () => {
    expect(misconfiguration(shape, "injected fault")).toBeUndefined();
    expect(
      misconfiguration(shape, "Could not find the starter template"),
    ).toBeUndefined();
  });
});
