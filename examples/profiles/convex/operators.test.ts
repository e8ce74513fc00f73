/**
 * The library's operator commands (userSync.operatorFunctions), exported
 * from this app's userSync module, as an operator of a password-only app
 * runs them: `npx convex run userSync:<name> '{…}'`. Sign-ins go through
 * Convex Auth's own `auth:signIn`; legacy profiles are rows the app held
 * before it adopted the sync.
 */
import { isAppError } from "convex-auth-user-sync";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { Id } from "./_generated/dataModel";
import { internal } from "./_generated/api";
import { newBackend, profilesApp } from "./conformance.helpers";

type Backend = ReturnType<typeof newBackend>;

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2026, 7, 1));
});
afterEach(() => {
  vi.useRealTimers();
});

const password = "correct horse";
const signUp = (t: Backend, email: string) =>
  profilesApp.passwordSignIn(t, { email, password, flow: "signUp" });
const signIn = (t: Backend, email: string) =>
  profilesApp.passwordSignIn(t, { email, password, flow: "signIn" });

/** The code of a refusal (or the error itself, to fail the comparison). */
async function rejection(promise: Promise<unknown>) {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  return isAppError(error) ? error.data.code : error;
}

/** A profile from before the app adopted the sync: no user, no verification. */
async function legacyProfile(t: Backend, email: string, displayName: string) {
  return await t.run(async (ctx) =>
    ctx.db.insert("profiles", { email, displayName, createdAt: 1 }),
  );
}

/** Every table an operator command could write. */
async function everything(t: Backend) {
  return await t.run(async (ctx) => ({
    users: await ctx.db.query("users").collect(),
    profiles: await ctx.db.query("profiles").collect(),
    accounts: await ctx.db.query("authAccounts").collect(),
    sessions: await ctx.db.query("authSessions").collect(),
    reviews: await ctx.db.query("sync_reviews").collect(),
    separations: await ctx.db.query("sync_separations").collect(),
    audit: await ctx.db.query("sync_audit").collect(),
  }));
}

async function auditActions(t: Backend) {
  const { page } = await t.query(internal.userSync.auditLog, {
    paginationOpts: { numItems: 100, cursor: null },
  });
  return page.map((entry) => ({ action: entry.action, actor: entry.actor }));
}

/** A document's id (the operator functions return documents untyped). */
const idOf = (doc: unknown) => (doc as { _id: string })._id;

const firstPage = { paginationOpts: { numItems: 10, cursor: null } };

describe("a password app's operator", () => {
  test("resolves an unverified_email_match case end to end: find, open, link", async () => {
    const t = newBackend();
    // Ada's profile from before; she signs up with a password on its address,
    // which nothing verifies: the sync gives her a fresh profile and a case.
    const legacy = await legacyProfile(t, "ada@example.com", "Ada L.");
    const ada = await signUp(t, "ada@example.com");

    // Her address names no account for sure, so commands by email refuse…
    const before = await everything(t);
    expect(
      await rejection(
        t.mutation(internal.userSync.suspend, { email: "ada@example.com" }),
      ),
    ).toBe("INVALID_ARGUMENT");
    expect(await everything(t)).toEqual(before);
    // …and findUser lists every holder, with the ids to name them by.
    const found = await t.query(internal.userSync.findUser, {
      email: " ADA@example.com",
    });
    const fresh = found.candidates.find((c) => c.userId === ada.userId);
    expect(found).toMatchObject({ more: false });
    expect(found.candidates).toHaveLength(2);
    expect(fresh).toMatchObject({
      paired: true,
      emailVerified: false,
      signInMethods: ["password"],
    });
    expect(found.candidates.find((c) => c.rowId === legacy)).toMatchObject({
      userId: null,
      paired: false,
      row: { displayName: "Ada L." },
    });

    // The case, with both sides and its version.
    const cases = await t.query(internal.userSync.openCases, firstPage);
    expect(cases.page).toHaveLength(1);
    const [open] = cases.page;
    expect(open).toMatchObject({
      review: { kind: "unverified_email_match", user_id: ada.userId },
      counterpart: { _id: fresh!.rowId },
      rows: [{ id: legacy, pairedUserId: null }],
    });

    // Ada proved the address to the operator: link, retiring the fresh row.
    const linked = await t.mutation(internal.userSync.resolveCase, {
      reviewId: open!.review._id,
      version: open!.version,
      action: "link",
      userId: ada.userId,
      rowId: legacy,
      retireCurrent: fresh!.rowId!,
      note: "ticket 42: proved the address by mail",
    });
    expect(linked.resolution).toBe("link");
    const after = await everything(t);
    expect(after.profiles).toMatchObject([
      { _id: legacy, userId: ada.userId, displayName: "Ada L." },
    ]);
    expect(after.reviews).toMatchObject([{ resolution: "link" }]);
    expect(await auditActions(t)).toEqual([
      { action: "resolve:link", actor: "operator (CLI)" },
    ]);
    expect(
      (await t.query(internal.userSync.openCases, firstPage)).page,
    ).toEqual([]);

    // Her next sign-in lands on her old profile.
    const again = await signIn(t, "ada@example.com");
    expect(await profilesApp.whoAmI(again.asUser)).toEqual({
      userId: ada.userId,
      rowId: legacy,
    });
  });

  test("a link cannot take a row another account holds", async () => {
    const t = newBackend();
    const legacy = await legacyProfile(t, "ada@example.com", "Ada L.");
    // Two password sign-ups claim the address: Eve's, then Ada's (in other
    // letter case, which Convex Auth takes for another account).
    const eve = await signUp(t, "ada@example.com");
    const ada = await signUp(t, "Ada@example.com");
    const cases = (await t.query(internal.userSync.openCases, firstPage)).page;
    const caseOf = (userId: string) =>
      cases.find((c) => c.review.user_id === userId)!;
    const adaCase = caseOf(ada.userId);
    await t.mutation(internal.userSync.resolveCase, {
      reviewId: adaCase.review._id,
      version: adaCase.version,
      action: "link",
      userId: ada.userId,
      rowId: legacy,
      retireCurrent: idOf(adaCase.counterpart),
    });

    // Eve's case, shown afresh: the row is Ada's now, and stays so.
    const [eveCase] = (
      await t.query(internal.userSync.openCases, firstPage)
    ).page.filter((c) => c.review.user_id === eve.userId);
    expect(eveCase!.rows).toEqual([
      expect.objectContaining({ id: legacy, pairedUserId: ada.userId }),
    ]);
    const before = await everything(t);
    for (const retireCurrent of [idOf(eveCase!.counterpart), undefined]) {
      expect(
        await rejection(
          t.mutation(internal.userSync.resolveCase, {
            reviewId: eveCase!.review._id,
            version: eveCase!.version,
            action: "link",
            userId: eve.userId,
            rowId: legacy,
            retireCurrent,
          }),
        ),
      ).toBe("CONFLICT");
    }
    // Nor can the row be deleted alone, or the case retire it.
    expect(
      await rejection(t.mutation(internal.userSync.deleteRow, { id: legacy })),
    ).toBe("CONFLICT");
    expect(
      await rejection(
        t.mutation(internal.userSync.resolveCase, {
          reviewId: eveCase!.review._id,
          version: eveCase!.version,
          action: "retire",
          rowId: legacy,
        }),
      ),
    ).toBe("CONFLICT");
    expect(await everything(t)).toEqual(before);
    // Keeping them apart is what is left, and it takes nothing from Ada.
    await t.mutation(internal.userSync.resolveCase, {
      reviewId: eveCase!.review._id,
      version: eveCase!.version,
      action: "keep_separate",
      userId: eve.userId,
      rowId: legacy,
      note: "not the same person",
    });
    const after = await everything(t);
    expect(after.profiles.find((p) => p._id === legacy)).toMatchObject({
      userId: ada.userId,
    });
    expect(after.separations).toMatchObject([
      { user_id: eve.userId, row_id: legacy },
    ]);
  });
});

describe("operator commands refuse what names nobody for sure", () => {
  test("an unknown, malformed or ambiguous target is refused with a code and writes nothing", async () => {
    const t = newBackend();
    // Two legacy profiles on one address: an ambiguous address.
    const twin = await legacyProfile(t, "twin@example.com", "Twin A");
    await legacyProfile(t, "twin@example.com", "Twin B");
    const ada = await signUp(t, "ada@example.com");
    const adaProfile = (await profilesApp.whoAmI(ada.asUser))!.rowId!;
    const [open] = (await t.query(internal.userSync.openCases, firstPage)).page;
    const before = await everything(t);

    const refusals: [string, Promise<unknown>][] = [
      ["neither", t.mutation(internal.userSync.deleteAccount, {})],
      [
        "both",
        t.mutation(internal.userSync.deleteAccount, {
          id: ada.userId,
          email: "ada@example.com",
        }),
      ],
      ["no id", t.mutation(internal.userSync.suspend, { id: "nonsense" })],
      ["no address", t.mutation(internal.userSync.suspend, { email: "ada" })],
      [
        "unverified only",
        t.mutation(internal.userSync.suspend, {
          email: "ada@example.com",
        }),
      ],
      [
        "deleteAccount takes an id only",
        t.mutation(internal.userSync.deleteAccount, {
          email: "ada@example.com",
        }),
      ],
      [
        "ambiguous",
        t.mutation(internal.userSync.suspend, {
          email: "twin@example.com",
        }),
      ],
      [
        "ambiguous",
        t.mutation(internal.userSync.syncUser, { email: "twin@example.com" }),
      ],
      [
        "a row in no pair is no account",
        t.mutation(internal.userSync.deleteAccount, { id: twin }),
      ],
      [
        "a users id is no row",
        t.mutation(internal.userSync.deleteRow, { id: ada.userId }),
      ],
      [
        "a row in a pair",
        t.mutation(internal.userSync.deleteRow, { id: adaProfile }),
      ],
      [
        "a note too long",
        t.mutation(internal.userSync.suspend, {
          id: ada.userId,
          note: "x".repeat(501),
        }),
      ],
      [
        "dismiss takes no ids",
        t.mutation(internal.userSync.resolveCase, {
          reviewId: open?.review._id ?? "none",
          version: "v",
          action: "dismiss",
          userId: ada.userId,
        }),
      ],
      [
        "link needs a row",
        t.mutation(internal.userSync.resolveCase, {
          reviewId: open?.review._id ?? "none",
          version: "v",
          action: "link",
          userId: ada.userId,
        }),
      ],
      [
        "not a case",
        t.mutation(internal.userSync.resolveCase, {
          reviewId: ada.userId,
          version: "v",
          action: "dismiss",
        }),
      ],
    ];
    const codes = [];
    for (const [why, promise] of refusals) {
      codes.push([why, await rejection(promise)]);
    }
    expect(codes).toEqual(
      refusals.map(([why]) => [
        why,
        why === "a row in a pair" ? "CONFLICT" : "INVALID_ARGUMENT",
      ]),
    );
    // An id or an address of nothing: NOT_FOUND, and findUser finds none.
    const gone = await t.run(async (ctx) => {
      const id = await ctx.db.insert("users", {});
      await ctx.db.delete("users", id);
      return id;
    });
    expect(
      await rejection(t.mutation(internal.userSync.suspend, { id: gone })),
    ).toBe("NOT_FOUND");
    expect(
      await rejection(
        t.mutation(internal.userSync.suspend, {
          email: "nobody@example.com",
        }),
      ),
    ).toBe("NOT_FOUND");
    expect(await t.query(internal.userSync.findUser, { id: gone })).toEqual({
      candidates: [],
      more: false,
    });
    expect(await everything(t)).toEqual(before);
  });
});

describe("operator commands by id", () => {
  test("suspend, reactivate, sync and delete, each audited as the CLI", async () => {
    const t = newBackend();
    const ada = await signUp(t, "ada@example.com");
    const profileId = (await profilesApp.whoAmI(ada.asUser))!
      .rowId as Id<"profiles">;

    // Suspended by its profile's id: both records, and no sign-in.
    await t.mutation(internal.userSync.suspend, {
      id: profileId,
      note: "abuse report 7",
    });
    const [suspension] = (
      await t.query(internal.userSync.auditLog, {
        paginationOpts: { numItems: 1, cursor: null },
      })
    ).page;
    expect(suspension!.summary).toMatch(/suspended: abuse report 7$/);
    expect(suspension!.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          table: "profiles",
          field: "status",
          after: "suspended",
        }),
      ]),
    );
    await expect(signIn(t, "ada@example.com")).rejects.toThrow(/suspended/i);
    await t.mutation(internal.userSync.reactivate, { id: ada.userId });
    await signIn(t, "ada@example.com");

    // A dashboard edit the triggers never saw, healed by syncUser.
    await t.run(async (ctx) => {
      await ctx.db.patch("users", ada.userId, { name: "Dashboard" });
    });
    const synced = await t.mutation(internal.userSync.syncUser, {
      id: profileId,
    });
    expect(synced).toMatchObject({ outcome: "repaired", userId: ada.userId });

    // A legacy profile in no pair: suspended by its only address, then
    // deleted alone; the account by its user id.
    const legacy = await legacyProfile(t, "old@example.com", "Old");
    await t.mutation(internal.userSync.suspend, { email: "old@example.com" });
    expect(
      await t.run(async (ctx) => ctx.db.get("profiles", legacy)),
    ).toMatchObject({ status: "suspended" });
    expect(
      await t.mutation(internal.userSync.deleteRow, { id: legacy }),
    ).toEqual({ deleted: 1 });
    const { deleted } = await t.mutation(internal.userSync.deleteAccount, {
      id: ada.userId,
    });
    expect(deleted).toBeGreaterThanOrEqual(3);
    const after = await everything(t);
    expect(after.users).toEqual([]);
    expect(after.profiles).toEqual([]);
    expect(after.accounts).toEqual([]);

    expect(await auditActions(t)).toEqual(
      [
        "operator:suspend",
        "operator:reactivate",
        "operator:syncUser",
        "operator:suspend",
        "operator:deleteRow",
        "operator:deleteAccount",
      ]
        .reverse()
        .map((action) => ({ action, actor: "operator (CLI)" })),
    );
    // Deleting the account erased what the earlier entries held of Ada.
    const { page } = await t.query(internal.userSync.auditLog, {
      paginationOpts: { numItems: 100, cursor: null },
    });
    expect(page.at(-1)).toMatchObject({
      summary: "(erased with a person's data)",
      erased: true,
    });
  });
});
