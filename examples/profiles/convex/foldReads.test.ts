/**
 * The fold's switch of reads with the reference on the app's side only
 * (docs/fold.md, "4a. Switch reads"): from `reads_switched` on, a profile's
 * values are read from `users` (its id, from its reference), so a profile
 * damaged past the triggers shows nowhere, and its own writes still reach
 * the profile.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { atStage } from "../../../conformance/stages";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { newBackend, profilesApp } from "./conformance.helpers";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2026, 11, 1, 9, 0, 0));
});
afterEach(() => {
  vi.useRealTimers();
});

describe("fold: reads switched, profiles", () => {
  test("the profile is read from users, and written to the profile", async () => {
    const t = newBackend();
    await atStage(t, profilesApp, "repointed");
    const ada = await profilesApp.passwordSignIn(t, {
      email: "ada@example.com",
      password: "correct horse",
      flow: "signUp",
    });
    await ada.asUser.mutation(api.profiles.setDisplayName, {
      displayName: "Ada",
    });
    const clean = await ada.asUser.query(api.profiles.me, {});
    expect(clean).toMatchObject({ displayName: "Ada" });
    const profileId = clean!.profileId as Id<"profiles">;
    const damage = async () =>
      await t.run(async (ctx) => {
        await ctx.db.patch("profiles", profileId, {
          displayName: "Mallory",
          email: "mallory@example.com",
        });
      });

    // Before the switch the damage is what the app says.
    await damage();
    expect(await ada.asUser.query(api.profiles.me, {})).toMatchObject({
      displayName: "Mallory",
      email: "mallory@example.com",
    });
    await t.run(async (ctx) => {
      await ctx.db.patch("profiles", profileId, {
        displayName: "Ada",
        email: "ada@example.com",
      });
    });

    await atStage(t, profilesApp, "reads_switched");
    await damage();
    expect(await ada.asUser.query(api.profiles.me, {})).toEqual(clean);
    // The app still writes its profile (by the id the virtual row keeps),
    // and the triggers carry it to users.
    await ada.asUser.mutation(api.profiles.setDisplayName, {
      displayName: "Ada L.",
    });
    expect(await ada.asUser.query(api.profiles.me, {})).toEqual({
      ...clean,
      displayName: "Ada L.",
    });
  });
});
