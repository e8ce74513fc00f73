/**
 * A misconfigured adoption fails loudly where it would otherwise be
 * silent, and never fails a sign-in: a sync module under another name than
 * the declaration's `modules`, and a schema without the sync's fields or
 * tables, each name their fix in the log and the case.
 */
import { authTables } from "@convex-dev/auth/server";
import { convexTest } from "convex-test";
import { defineUserSync } from "convex-auth-user-sync";
import { defineSchema } from "convex/server";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { DataModel } from "./_generated/dataModel";
import { newBackend, profilesApp } from "./conformance.helpers";
import { FAST_PASSWORD_MODULES } from "./fastPassword.helpers";
import schema from "./schema";

const modules = import.meta.glob("./**/!(*.*.*)*.*s");

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2026, 7, 1));
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** This app's declaration, its sign-in function named elsewhere. */
const syncCallingInto = (module: string) =>
  defineUserSync<DataModel>()({
    table: "profiles",
    reference: { app: "userId" },
    email: { app: "email", verified: "emailVerified" },
    onRowDelete: "deleteAccount",
    modules: { signIn: module },
  });

const signUp = (t: ReturnType<typeof newBackend>, email: string) =>
  profilesApp.passwordSignIn(t, {
    email,
    password: "correct horse",
    flow: "signUp",
  });

describe("a sync module under another name", () => {
  for (const [module, what] of [
    ["authSync", "no such module"],
    ["profiles", "a module without completeSignIn"],
  ] as const) {
    test(`${what}: the sign-in goes ahead; the log and the case say what to export where`, async () => {
      const t = newBackend();
      const ada = await signUp(t, "ada@example.com");
      const errors = vi.spyOn(console, "error").mockImplementation(() => {});
      // The moment a sign-in completes, as Convex Auth calls it.
      await t.run(async (ctx) => {
        await syncCallingInto(module).callbacks().beforeSessionCreation!(ctx, {
          userId: ada.userId,
        });
      });
      const fix = `export completeSignIn and endSessions from convex/${module}.ts`;
      expect(errors).toHaveBeenCalledWith(expect.stringContaining(fix));
      const reviews = await t.run(async (ctx) =>
        ctx.db.query("sync_reviews").collect(),
      );
      expect(reviews).toEqual([
        expect.objectContaining({
          kind: "sign_in_sync_failed",
          user_id: ada.userId,
          detail: expect.stringContaining(fix) as unknown,
        }),
      ]);
    });
  }
});

describe("a schema without the sync's fields", () => {
  // The app as deployed on a schema that lacks the sync's users fields
  // (Convex Auth's stock users), which no declaration's `schema` caught.
  const { users: _, ...withoutSyncUsers } = schema.tables;
  const stockUsers = defineSchema({
    ...withoutSyncUsers,
    users: authTables.users,
  });

  test("each sign-up still signs in, and its case says to run checkSchema", async () => {
    const t = convexTest({
      schema: stockUsers,
      modules: { ...modules, ...FAST_PASSWORD_MODULES },
    });
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const ada = await signUp(t, "ada@example.com");
    expect(ada.userId).toBeDefined();
    expect(errors).toHaveBeenCalledWith(
      expect.stringMatching(/userSync\.checkSchema\(schema\)/),
    );
    const reviews = await t.run(async (ctx) =>
      ctx.db.query("sync_reviews").collect(),
    );
    expect(reviews.length).toBeGreaterThan(0);
    for (const review of reviews) {
      expect(review).toMatchObject({
        kind: "sign_in_sync_failed",
        detail: expect.stringMatching(
          /^The schema lacks what the sync needs: pass schema to defineUserSync/,
        ) as unknown,
      });
    }
  });

  test("without the sync's tables either, the sign-in still goes ahead", async () => {
    const bare = defineSchema({
      ...authTables,
      profiles: schema.tables.profiles,
    });
    const t = convexTest({
      schema: bare,
      modules: { ...modules, ...FAST_PASSWORD_MODULES },
    });
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const ada = await signUp(t, "ada@example.com");
    expect(ada.userId).toBeDefined();
    expect(errors).toHaveBeenCalledWith(
      expect.stringMatching(/could not be recorded in sync_reviews/),
    );
  });
});
