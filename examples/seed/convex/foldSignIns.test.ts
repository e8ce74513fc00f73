/**
 * Every sign-in method, at every stage of the fold (docs/fold.md): the
 * backend holds people who never signed in, is moved to the stage by the
 * fold's own commands, and then each method signs one of them in (or a new
 * person up). Whatever the stage, a person who proves their address gets
 * their own row, data and starter templates, once; one who proves nothing
 * gets a fresh pair; the tables stay consistent. From writes_stopped on
 * (single-table mode) the person is their users document: the claim and
 * the sign-ups write users alone, and auth_users stays as it was (but for
 * the claim's references), until retire deletes it.
 */
import { describe, expect, test, vi } from "vitest";
import { FOLD_STAGES, isSingleTable } from "../../../conformance/stages";
import { api, internal } from "./_generated/api";
import { backendAtStage } from "./conformance.helpers";
import {
  requestCode,
  signInOrThrow,
  signInViaOAuth,
  signUpWithCode,
} from "./signIn.helpers";
import { STARTER_TEMPLATES } from "./starterTemplates";
import {
  type Backend,
  checkConsistency,
  insertLegacyRow,
  readTables,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 11, 2, 9, 0, 0);

useFakeClock(T0);

const PASSWORD = "correct horse battery";

/** People with a row from before the sync, each of one company. */
const LEGACY = {
  github: "ada@example.com",
  google: "grace@example.com",
  "password-code": "kim@example.com",
  "resend-otp": "lin@example.com",
  resend: "max@example.com",
} as const;
type Verifying = keyof typeof LEGACY;

async function legacyRows(t: Backend) {
  for (const [method, email] of Object.entries(LEGACY)) {
    await insertLegacyRow(t, { email, company: `${method} Ltd` });
  }
}

/** Each method's sign-in of the person who holds its address. */
const SIGN_IN: Record<Verifying, (t: Backend) => Promise<{ userId: string }>> =
  {
    github: (t) =>
      signInViaOAuth(t, "github", {
        id: 1,
        login: "ada",
        email: null,
        emails: [{ email: LEGACY.github, primary: true, verified: true }],
      }),
    google: (t) =>
      signInViaOAuth(t, "google", {
        sub: "g-grace",
        email: LEGACY.google,
        email_verified: true,
      }),
    "password-code": (t) =>
      signUpWithCode(t, LEGACY["password-code"], PASSWORD),
    "resend-otp": async (t) => {
      const email = LEGACY["resend-otp"];
      const code = await requestCode(t, "resend-otp", { email });
      return await signInOrThrow(t, "resend-otp", { email, code });
    },
    resend: async (t) => {
      const code = await requestCode(t, "resend", { email: LEGACY.resend });
      return await signInOrThrow(t, undefined, { code });
    },
  };

describe.each(FOLD_STAGES.map(({ stage }) => stage))(
  "every sign-in method, fold at %s",
  (stage) => {
    const single = isSingleTable(stage);
    test("a proven address gets its own row, data and templates; nothing else is anyone's", async () => {
      const t = await backendAtStage(stage, legacyRows);
      const rows = new Map(
        (await readTables(t)).authUsers.map((row) => [row.email, row._id]),
      );

      // 1. Each method proving an address: its person's row, company and
      //    templates, on the row and its users copy alike.
      for (const method of Object.keys(LEGACY) as Verifying[]) {
        vi.advanceTimersByTime(1_000);
        const { userId } = await SIGN_IN[method](t);
        const tables = await readTables(t);
        const user = tables.users.find((u) => u._id === userId)!;
        const row = tables.authUsers.find((a) => a._id === user.auth_user_id);
        expect(row?._id, method).toBe(rows.get(LEGACY[method]));
        if (!single) {
          expect(row).toMatchObject({
            convex_user_id: userId,
            email_verified: true,
            company: `${method} Ltd`,
          });
        } else if (stage !== "retired") {
          // The frozen row: its values as they were, its reference re-pointed.
          expect(row).toMatchObject({
            convex_user_id: userId,
            company: `${method} Ltd`,
          });
          expect(row?.email_verified, method).toBeUndefined();
        }
        expect(user).toMatchObject({
          email: LEGACY[method],
          company: `${method} Ltd`,
        });
        if (single) expect(user.emailVerified, method).toBe(true);
        expect(user.unclaimed).toBeUndefined();
        const owned = tables.templates.filter(
          (template) =>
            template.owner_id === userId || template.owner_id === row?._id,
        );
        expect(owned, method).toHaveLength(STARTER_TEMPLATES.length);
      }

      // 2. A password proves nothing: a fresh pair, and again the same one.
      const bob = await signInOrThrow(t, "password", {
        email: "bob@example.com",
        password: PASSWORD,
        flow: "signUp",
      });
      const again = await signInOrThrow(t, "password", {
        email: "BOB@example.com",
        password: PASSWORD,
        flow: "signIn",
      });
      expect(again.userId).toBe(bob.userId);
      const me = await bob.asUser.query(api.users.getCurrentUser, {});
      expect(me).toMatchObject({
        userId: bob.userId,
        email: "bob@example.com",
        emailVerified: false,
      });

      // 3. A guest: a pair without an address (single-table mode: a user,
      //    no row).
      const guest = await signInOrThrow(t, "anonymous", {});
      const guestView = await guest.asUser.query(api.users.getCurrentUser, {});
      expect(guestView?.userId).toBe(guest.userId);
      if (single) expect(guestView?.authUserId).toBeNull();
      else expect(guestView?.authUserId).not.toBeNull();

      // 4. Nobody is left on a placeholder, nothing is out of step, and the
      //    fold stands where it stood.
      const tables = await readTables(t);
      expect(tables.users.filter((u) => u.unclaimed !== undefined)).toEqual([]);
      if (single) {
        // No row written: the legacy rows until retire, none after.
        expect(tables.authUsers).toHaveLength(
          stage === "retired" ? 0 : Object.keys(LEGACY).length,
        );
      } else {
        expect(tables.authUsers).toHaveLength(Object.keys(LEGACY).length + 2);
        expect((await checkConsistency(t)).problems).toEqual([]);
      }
      expect((await t.query(internal.fold.foldStatus, {})).stage).toBe(stage);
    });
  },
);
