/**
 * Rolling the fold back after a re-point that did not finish (docs/fold.md):
 * whatever the re-point moved to a placeholder comes back with it. Found by
 * the fold's property test (foldProperty.test.ts).
 */
import { expect, test } from "vitest";
import { internal } from "./_generated/api";
import { STARTER_TEMPLATES } from "./starterTemplates";
import {
  type Backend,
  insertLegacyRow,
  newBackend,
  readTables,
  runDueFunctions,
  signInWithOAuth,
  useFakeClock,
} from "./test.helpers";

useFakeClock(Date.UTC(2026, 11, 6, 9, 0, 0));

async function move(t: Backend, phase: string, back = false) {
  await (back
    ? t.mutation(internal.fold.rollbackFoldPhase, { phase, confirm: true })
    : t.mutation(internal.fold.startFoldPhase, { phase }));
  await runDueFunctions(t);
  return (await t.query(internal.fold.foldStatus, {})).stage;
}

test("rolling placeholders back after a re-point held back by a case keeps every template its owner's", async () => {
  const t = newBackend();
  // 1. Grace never signed in and has templates; Ada signed in, and her
  //    row's reference was later cleared by hand: her templates cannot be
  //    re-pointed, so the re-point is held back by a case.
  const grace = await insertLegacyRow(t, {
    email: "grace@example.com",
    company: "Navy",
  });
  await t.run(async (ctx) => {
    for (const template of STARTER_TEMPLATES) {
      await ctx.db.insert("starter_templates", {
        owner_id: grace,
        ...template,
        created_at: 1,
      });
    }
  });
  await signInWithOAuth(t, {
    providerAccountId: "gh-ada",
    profile: { name: "Ada", email: "ada@example.com" },
  });
  expect(await move(t, "expand")).toBe("expanded");
  expect(await move(t, "placeholders")).toBe("placeholders");
  const adaRow = (await readTables(t)).authUsers.find(
    (row) => row.email === "ada@example.com",
  )!;
  await t.run(async (ctx) =>
    ctx.db.patch("auth_users", adaRow._id, { convex_user_id: undefined }),
  );
  expect(await move(t, "repoint")).toBe("placeholders");
  const placeholder = (await readTables(t)).users.find(
    (user) => user.unclaimed === "grace@example.com",
  )!;
  expect(
    (await readTables(t)).templates.filter(
      (template) => template.owner_id === placeholder._id,
    ),
  ).toHaveLength(STARTER_TEMPLATES.length);

  // 2. The operator rolls placeholders back: Grace's placeholder goes, and
  //    her templates name her row again, none left naming nobody.
  expect(await move(t, "placeholders", true)).toBe("expanded");
  const { users, templates } = await readTables(t);
  expect(users.some((user) => user._id === placeholder._id)).toBe(false);
  expect(
    templates.filter((template) => template.owner_id === grace),
  ).toHaveLength(STARTER_TEMPLATES.length);
  expect(
    templates.filter((template) => template.owner_id === placeholder._id),
  ).toEqual([]);
});
