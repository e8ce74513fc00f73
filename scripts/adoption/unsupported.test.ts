/**
 * On a Convex Auth the sync cannot serve (v2), declaring it fails when its
 * module loads, as it would when `npx convex dev` pushes, naming the
 * versions it needs. scripts/adopt.mjs --expect-refusal load runs this as
 * convex/unsupported.test.ts in an app that followed the guide.
 */
import { expect, test } from "vitest";

const range = process.env.ADOPTION_RANGE;
const userSync = import.meta.glob("./userSync.ts")["./userSync.ts"];

test("the sync's module refuses this Convex Auth, naming the version needed", async () => {
  expect(range).toBeTruthy();
  expect(userSync).toBeDefined();
  await expect(userSync!()).rejects.toThrow(`@convex-dev/auth@"${range}"`);
});
