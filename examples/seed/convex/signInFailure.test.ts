/**
 * A completed sign-in whose sync fails unexpectedly (a fault injected into
 * the app's onSignIn hook, the one place app code runs inside it): the
 * session is created all the same, and the user is left for the sync's
 * other paths to heal, not hidden as pending.
 */
import { describe, expect, test, vi } from "vitest";
import { fault } from "./onSignInFault.helpers";
import { api, internal } from "./_generated/api";
import { signInOrThrow } from "./signIn.helpers";
import {
  newBackend,
  readTables,
  runDueFunctions,
  useFakeClock,
} from "./test.helpers";

// A fault in the app's onSignIn hook makes a sign-in's sync fail.
vi.mock("./starterTemplates", async (importOriginal) =>
  (await import("./onSignInFault.helpers")).withFault(importOriginal),
);

useFakeClock(Date.UTC(2026, 10, 3, 9, 0, 0));

describe("a first sign-in whose sync fails", () => {
  test("still signs in, is recorded, shows as drift, and the next run heals it", async () => {
    const t = newBackend();
    fault.armed = true;
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const ada = await signInOrThrow(t, "password", {
      email: "ada@example.com",
      password: "correct horse battery",
      flow: "signUp",
    });
    errors.mockRestore();
    let tables = await readTables(t);
    expect(tables.authUsers).toEqual([]);
    expect(tables.users[0]!.pendingFirstSignIn).toBeUndefined();
    expect(tables.reviews).toEqual([
      expect.objectContaining({ kind: "sign_in_sync_failed" }),
    ]);
    // The drift report shows it; the user's next write through the sync
    // (here a profile edit) or a run gives it its row, edits kept.
    const report = await t.action(internal.driftReport.summary, {});
    expect(report.users.findings).toEqual([
      expect.objectContaining({ kind: "missing_counterpart" }),
    ]);
    expect(
      await ada.asUser.mutation(api.users.updateUserProfile, {
        company: "Acme",
      }),
    ).toMatchObject({ company: "Acme" });
    tables = await readTables(t);
    expect(tables.authUsers).toHaveLength(1);
    expect(tables.users[0]!.auth_user_id).toBe(tables.authUsers[0]!._id);
  });

  test("a run heals it just the same", async () => {
    const t = newBackend();
    fault.armed = true;
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    await signInOrThrow(t, "password", {
      email: "bob@example.com",
      password: "correct horse battery",
      flow: "signUp",
    });
    errors.mockRestore();
    await t.mutation(internal.userSync.syncAllUsers, {});
    await runDueFunctions(t);
    const tables = await readTables(t);
    expect(tables.authUsers).toHaveLength(1);
    expect(tables.users[0]!.auth_user_id).toBe(tables.authUsers[0]!._id);
  });
});

describe("a sign-in sync failing on the app's own write", () => {
  test("is recorded with the app's error, not named a schema the sync needs", async () => {
    const t = newBackend();
    fault.armed = true;
    fault.write = async (ctx) => {
      // The app's hook writes its own table a document its schema refuses.
      await ctx.db.insert("starter_templates", { key: "welcome" } as never);
    };
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    await signInOrThrow(t, "password", {
      email: "ada@example.com",
      password: "correct horse battery",
      flow: "signUp",
    });
    errors.mockRestore();
    const [failure] = (await readTables(t)).reviews;
    expect(failure).toMatchObject({ kind: "sign_in_sync_failed" });
    expect(failure!.detail).toMatch(/Missing required field `owner_id`/);
    expect(failure!.detail).not.toMatch(/schema lacks what the sync needs/);
  });
});
