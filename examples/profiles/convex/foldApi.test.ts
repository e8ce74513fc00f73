/**
 * The app's API once profiles is no longer written (single-table mode, the
 * fold's stage `writes_stopped` on, docs/fold.md): a person's profile is
 * their users document, edited and shown from there.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { atStage } from "../../../conformance/stages";
import { api } from "./_generated/api";
import { profilesApp } from "./conformance.helpers";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2026, 11, 1, 9, 0, 0));
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the profiles API in single-table mode", () => {
  test.each(["writes_stopped", "retired"] as const)(
    "at %s, a new person sets their display name on users alone, and their profile names no profile id",
    async (stage) => {
      const t = profilesApp.newBackend();
      await atStage(t, profilesApp, stage);
      const kim = await profilesApp.passwordSignIn(t, {
        email: "kim@example.com",
        password: "correct horse",
        flow: "signUp",
      });
      await kim.asUser.mutation(api.profiles.setDisplayName, {
        displayName: "Kim Park",
      });
      expect(await kim.asUser.query(api.profiles.me, {})).toMatchObject({
        userId: kim.userId,
        profileId: null,
        displayName: "Kim Park",
        email: "kim@example.com",
      });
      const user = await t.run(async (ctx) => ctx.db.get("users", kim.userId));
      expect(user).toMatchObject({ name: "Kim Park", displayName: "Kim Park" });
      expect(
        await t.run(async (ctx) => ctx.db.query("profiles").collect()),
      ).toEqual([]);
    },
  );
});
