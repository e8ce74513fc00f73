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
  decideLink,
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

describe("decideLink", () => {
  const row = (id: string) => ({ _id: id as Id<"auth_users"> });
  test("verified + one candidate links; anything else creates", () => {
    expect(decideLink({ emailVerificationTime: 1 }, [row("a")])).toEqual({
      action: "link",
      authUserId: "a",
    });
    expect(decideLink({ emailVerificationTime: 1 }, [])).toEqual({
      action: "create",
    });
    expect(
      decideLink({ emailVerificationTime: 1 }, [row("a"), row("b")]),
    ).toEqual({
      action: "create",
      review: "ambiguous_email",
    });
    expect(
      decideLink({ emailVerificationTime: undefined }, [row("a")]),
    ).toEqual({
      action: "create",
      review: "unverified_email_match",
    });
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
