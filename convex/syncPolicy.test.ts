import { ConvexError } from "convex/values";
import { describe, expect, test } from "vitest";
import type { Id } from "./_generated/dataModel";
import { appError, isAppError } from "./errors";
import {
  cleanEmail,
  cleanImageUrl,
  cleanName,
  cleanOptionalText,
} from "./inputs";
import {
  type AuthUserSide,
  type UserSide,
  checkTables,
  decidePairing,
  isEmptyPlan,
  normalizeEmail,
  planPairSync,
} from "./syncPolicy";

const U = "u1" as Id<"users">;
const A = "a1" as Id<"auth_users">;

function pair(
  user: Partial<UserSide> = {},
  authUser: Partial<AuthUserSide> = {},
): [UserSide, AuthUserSide & { _id: Id<"auth_users"> }] {
  return [
    {
      _id: U,
      auth_user_id: A,
      name: "Ada",
      email: "ada@example.com",
      emailVerificationTime: 5,
      updatedAt: 10,
      ...user,
    },
    {
      _id: A,
      convex_user_id: U,
      full_name: "Ada",
      email: "ada@example.com",
      email_verified: true,
      created_at: 1,
      updated_at: 10,
      ...authUser,
    },
  ];
}

describe("normalizeEmail", () => {
  test("trims and lower-cases; blank and non-strings are undefined", () => {
    expect(normalizeEmail("  Ada@Example.COM ")).toBe("ada@example.com");
    expect(normalizeEmail("   ")).toBeUndefined();
    expect(normalizeEmail(undefined)).toBeUndefined();
    expect(normalizeEmail(42)).toBeUndefined();
  });

  test("never maps two different addresses to one key", () => {
    // U+212A KELVIN SIGN: toLowerCase() and NFC both turn it into ASCII.
    expect("\u212Aen@example.com".toLowerCase()).toBe("ken@example.com");
    expect(normalizeEmail("\u212Aen@example.com")).toBe("\u212Aen@example.com");
    expect(normalizeEmail("\u212Aen@Example.com")).not.toBe(
      normalizeEmail("ken@example.com"),
    );
    // Other look-alikes and compatibility forms stay apart too.
    for (const [lookAlike, ascii] of [
      ["\u0130da@example.com", "ida@example.com"], // dotted capital I
      ["\uFF41da@example.com", "ada@example.com"], // fullwidth a
      ["\u017Fam@example.com", "sam@example.com"], // long s
      ["\u00A0ken@example.com", "ken@example.com"], // no-break space
      ["ke\u200Bn@example.com", "ken@example.com"], // zero-width space
    ]) {
      expect(normalizeEmail(lookAlike)).not.toBe(normalizeEmail(ascii));
    }
    // Non-ASCII letters keep their case: two spellings match only if equal.
    expect(normalizeEmail("ÜBER@Example.com")).toBe("Über@example.com");
    expect(normalizeEmail("über@example.com")).not.toBe(
      normalizeEmail("ÜBER@example.com"),
    );
  });
});

describe("planPairSync", () => {
  test("a consistent pair plans nothing", () => {
    const [user, authUser] = pair();
    const plan = planPairSync(user, authUser, authUser, 99);
    expect(isEmptyPlan(plan)).toBe(true);
    expect(plan.mismatched).toEqual([]);
  });

  test("provider-owned fields flow to auth_users with one new timestamp on both sides", () => {
    const [user, authUser] = pair({
      name: "Ada K",
      email: "ADA@k.com",
      image: "i",
    });
    const plan = planPairSync(user, authUser, authUser, 99);
    expect(plan.authUsersPatch).toEqual({
      full_name: "Ada K",
      email: "ada@k.com",
      avatar_url: "i",
      updated_at: 99,
    });
    // Identity fields are never written to users.
    expect(plan.usersPatch).toEqual({ updatedAt: 99 });
  });

  test("a chosen name wins, and restoring it on users is no profile change", () => {
    const [user, authUser] = pair(
      { name: "provider" },
      { name_source: "user" },
    );
    const plan = planPairSync(user, authUser, authUser, 99);
    expect(plan.usersPatch).toEqual({ name: "Ada" });
    expect(plan.authUsersPatch).toEqual({});
  });

  test("an owner without a value does not erase the other side", () => {
    const [user, authUser] = pair({ image: undefined }, { avatar_url: "kept" });
    const plan = planPairSync(user, authUser, authUser, 99);
    expect(plan.authUsersPatch).toEqual({});
    expect(plan.usersPatch).toEqual({ image: "kept" });
  });

  test("login times: the later wins, without bumping updated_at", () => {
    const [user, authUser] = pair({ lastLoginAt: 50 }, { last_login_at: 70 });
    const plan = planPairSync(user, authUser, authUser, 99);
    expect(plan.usersPatch).toEqual({ lastLoginAt: 70 });
    expect(plan.authUsersPatch).toEqual({});
  });

  test("edits are planned relative to the stored row", () => {
    const [user, stored] = pair();
    const edited = { ...stored, company: "Acme" };
    const plan = planPairSync(user, edited, stored, 99);
    expect(plan.authUsersPatch).toEqual({ company: "Acme", updated_at: 99 });
    expect(plan.usersPatch).toEqual({ updatedAt: 99 });
  });

  test("references are repaired on both sides", () => {
    const [user, authUser] = pair(
      { auth_user_id: undefined },
      { convex_user_id: undefined },
    );
    const plan = planPairSync(user, authUser, authUser, 99);
    expect(plan.usersPatch.auth_user_id).toBe(A);
    expect(plan.authUsersPatch.convex_user_id).toBe(U);
  });

  test("a drifted updatedAt is mirrored without churn", () => {
    const [user, authUser] = pair({ updatedAt: 3 });
    const plan = planPairSync(user, authUser, authUser, 99);
    expect(plan.usersPatch).toEqual({ updatedAt: 10 });
  });
});

describe("decidePairing", () => {
  const row = (
    id: string,
    email?: string,
    owner?: string,
  ): {
    _id: Id<"auth_users">;
    email?: string;
    convex_user_id?: Id<"users">;
  } => ({
    _id: id as Id<"auth_users">,
    email,
    convex_user_id: owner as Id<"users"> | undefined,
  });
  const base = {
    userId: U,
    emailKey: "ada@example.com",
    verified: true,
    pointed: null,
    claimants: [],
    unlinkedWithEmail: [],
  };
  const kinds = (decision: ReturnType<typeof decidePairing>) =>
    decision.reviews.map((review) => review.kind);

  test("a verified email and one legacy row link; none creates", () => {
    expect(
      decidePairing({
        ...base,
        unlinkedWithEmail: [row("a", "ada@example.com")],
      }),
    ).toEqual({ action: "link", authUserId: "a", legacy: true, reviews: [] });
    expect(decidePairing(base)).toEqual({ action: "create", reviews: [] });
  });

  test("unverified or ambiguous matches create and are recorded", () => {
    const legacy = row("a", "ada@example.com");
    const unverified = decidePairing({
      ...base,
      verified: false,
      unlinkedWithEmail: [legacy],
    });
    expect(unverified.action).toBe("create");
    expect(kinds(unverified)).toEqual(["unverified_email_match"]);
    const ambiguous = decidePairing({
      ...base,
      unlinkedWithEmail: [legacy, row("b", "ada@example.com")],
    });
    expect(ambiguous.action).toBe("create");
    expect(kinds(ambiguous)).toEqual(["ambiguous_email"]);
  });

  test("pointers are only candidates, held to the email rule", () => {
    // A stray pointer to an unlinked row of another address: not followed.
    const stray = decidePairing({
      ...base,
      pointed: row("admin", "cfo@corp.com"),
    });
    expect(stray.action).toBe("create");
    expect(kinds(stray)).toEqual(["reference_conflict"]);
    // A pointer to someone else's row: never taken.
    const taken = decidePairing({
      ...base,
      pointed: row("bob", "ada@example.com", "u-bob"),
    });
    expect(taken.action).toBe("create");
    expect(kinds(taken)).toEqual(["reference_conflict"]);
    // A row claiming the user with the user's verified address: relinked.
    expect(
      decidePairing({ ...base, claimants: [row("own", "ada@example.com", U)] }),
    ).toEqual({
      action: "link",
      authUserId: "own",
      legacy: false,
      reviews: [],
    });
    // A row claiming the user with another address: not linked, recorded.
    const wrong = decidePairing({
      ...base,
      claimants: [row("a-row", "a@corp.com", U)],
    });
    expect(wrong.action).toBe("create");
    expect(kinds(wrong)).toEqual(["reference_conflict"]);
    // Claims and legacy rows together: ambiguous.
    expect(
      kinds(
        decidePairing({
          ...base,
          claimants: [row("own", "ada@example.com", U)],
          unlinkedWithEmail: [row("legacy", "ada@example.com")],
        }),
      ),
    ).toEqual(["ambiguous_email"]);
  });
});

describe("checkTables", () => {
  test("flags each kind of inconsistency", () => {
    const [user, authUser] = pair();
    expect(checkTables([user], [authUser]).consistent).toBe(true);
    const kinds = (users: UserSide[], rows: (typeof authUser)[]) =>
      checkTables(users, rows)
        .problems.map((p) => p.kind)
        .sort();
    expect(kinds([{ ...user, auth_user_id: undefined }], [])).toEqual([
      "missing_counterpart",
    ]);
    expect(kinds([user], [])).toEqual(["dangling_reference"]);
    expect(
      kinds([user], [{ ...authUser, convex_user_id: "u2" as Id<"users"> }]),
    ).toEqual(["dangling_reference", "one_sided_reference"]);
    expect(
      kinds([user], [authUser, { ...authUser, _id: "a2" as Id<"auth_users"> }]),
    ).toEqual(["duplicate_counterpart", "one_sided_reference"]);
    expect(kinds([{ ...user, name: "X" }], [authUser])).toEqual([
      "field_mismatch",
    ]);
    expect(
      checkTables([], [{ ...authUser, convex_user_id: undefined }]),
    ).toMatchObject({
      consistent: true,
      unlinkedAuthUsers: 1,
    });
  });
});

describe("inputs and errors", () => {
  test("cleaners trim, bound and normalize", () => {
    expect(cleanName("  Ada ")).toBe("Ada");
    expect(cleanOptionalText("company", "  ")).toBeUndefined();
    expect(cleanEmail(" A@B.com ")).toBe("a@b.com");
    expect(cleanImageUrl(" https://x.example/a.png ")).toBe(
      "https://x.example/a.png",
    );
    for (const bad of [
      () => cleanName(""),
      () => cleanEmail("x"),
      () => cleanImageUrl("ftp://x"),
    ]) {
      expect(bad).toThrow(ConvexError);
    }
  });

  test("isAppError recognizes exactly the app's coded errors", () => {
    expect(isAppError(appError("NOT_FOUND", "x"))).toBe(true);
    expect(isAppError(new ConvexError({ code: "OTHER", message: "x" }))).toBe(
      false,
    );
    expect(isAppError(new ConvexError("plain"))).toBe(false);
    expect(isAppError(new Error("x"))).toBe(false);
  });
});
