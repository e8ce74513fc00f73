import type { GenericId } from "convex/values";
import { describe, expect, test } from "vitest";
import { resolveShape, type UserSyncDeclaration } from "./declaration.js";
import {
  checkTables,
  decidePairing,
  isEmptyPlan,
  isTwoWay,
  keepSuspension,
  normalizeEmail,
  planPairSync,
  type RowSide,
  type UserSide,
  verificationClaim,
} from "./policy.js";

/** The seed example's declaration: snake_case, references on both sides. */
const shape = resolveShape({
  table: "auth_users",
  reference: { app: "convex_user_id", users: "auth_user_id" },
  email: { app: "email", verified: "email_verified" },
  mirror: [
    { users: "phone", app: "phone", owner: "provider" },
    {
      users: "name",
      app: "full_name",
      owner: "provider",
      chosenBy: "name_source",
      legacyValueIsChosen: true,
    },
    {
      users: "image",
      app: "avatar_url",
      owner: "provider",
      chosenBy: "avatar_source",
    },
  ],
  status: "status",
  lastLoginAt: "last_login_at",
  updatedAt: "updated_at",
  newRow: (now: number) => ({ created_at: now }),
} as unknown as UserSyncDeclaration<never, never>);

/** The profiles example's: camelCase, the reference on the app side only. */
const oneWay = resolveShape({
  table: "profiles",
  reference: { app: "userId" },
  email: { app: "email", verified: "emailVerified" },
  mirror: [{ users: "name", app: "displayName", owner: "app" }],
} as unknown as UserSyncDeclaration<never, never>);

const U = "u1" as GenericId<"users">;
const A = "a1" as GenericId<"auth_users">;

type Row = RowSide & { _id: GenericId<string>; _creationTime: number };

function pair(
  user: Partial<UserSide> = {},
  row: Record<string, unknown> = {},
): [UserSide, Row] {
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
      _creationTime: 1,
      convex_user_id: U,
      full_name: "Ada",
      email: "ada@example.com",
      email_verified: true,
      created_at: 1,
      updated_at: 10,
      ...row,
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
    const [user, row] = pair();
    const plan = planPairSync(shape, user, row, row, 99);
    expect(isEmptyPlan(plan)).toBe(true);
    expect(plan.mismatched).toEqual([]);
  });

  test("provider-owned fields flow to auth_users with one new timestamp on both sides", () => {
    const [user, row] = pair({
      name: "Ada K",
      email: "ADA@k.com",
      image: "i",
    });
    const plan = planPairSync(shape, user, row, row, 99);
    expect(plan.rowPatch).toEqual({
      full_name: "Ada K",
      email: "ada@k.com",
      avatar_url: "i",
      updated_at: 99,
    });
    // Identity fields are never written to users.
    expect(plan.usersPatch).toEqual({ updatedAt: 99 });
  });

  test("a chosen name wins, and restoring it on users is no profile change", () => {
    const [user, row] = pair({ name: "provider" }, { name_source: "user" });
    const plan = planPairSync(shape, user, row, row, 99);
    expect(plan.usersPatch).toEqual({ name: "Ada" });
    expect(plan.rowPatch).toEqual({});
  });

  test("an owner without a value does not erase the other side", () => {
    const [user, row] = pair({ image: undefined }, { avatar_url: "kept" });
    const plan = planPairSync(shape, user, row, row, 99);
    expect(plan.rowPatch).toEqual({});
    expect(plan.usersPatch).toEqual({ image: "kept" });
  });

  test("login times: the later wins, without bumping updated_at", () => {
    const [user, row] = pair({ lastLoginAt: 50 }, { last_login_at: 70 });
    const plan = planPairSync(shape, user, row, row, 99);
    expect(plan.usersPatch).toEqual({ lastLoginAt: 70 });
    expect(plan.rowPatch).toEqual({});
  });

  test("edits are planned relative to the stored row", () => {
    const [user, stored] = pair();
    const edited = { ...stored, company: "Acme" };
    const plan = planPairSync(shape, user, edited, stored, 99);
    expect(plan.rowPatch).toEqual({ company: "Acme", updated_at: 99 });
    expect(plan.usersPatch).toEqual({ updatedAt: 99 });
  });

  test("references are repaired on both sides", () => {
    const [user, row] = pair(
      { auth_user_id: undefined },
      { convex_user_id: undefined },
    );
    const plan = planPairSync(shape, user, row, row, 99);
    expect(plan.usersPatch.auth_user_id).toBe(A);
    expect(plan.rowPatch.convex_user_id).toBe(U);
  });

  test("a drifted updatedAt is mirrored without churn", () => {
    const [user, row] = pair({ updatedAt: 3 });
    const plan = planPairSync(shape, user, row, row, 99);
    expect(plan.usersPatch).toEqual({ updatedAt: 10 });
  });
});

describe("keepSuspension", () => {
  test("a link keeps a suspension on either side, and says whose", () => {
    const [user, row] = pair({ status: "suspended" }, { status: "active" });
    const fromUser = keepSuspension(shape, user, row);
    expect(fromUser).toMatchObject({ kept: "user" });
    expect(fromUser.row.status).toBe("suspended");
    // Planned from the kept row, the pair stays suspended on both tables.
    const plan = planPairSync(shape, user, fromUser.row, row, 20);
    expect(plan.rowPatch.status).toBe("suspended");
    expect(plan.usersPatch.status).toBeUndefined();

    const [active, suspendedRow] = pair({}, { status: "suspended" });
    const fromRow = keepSuspension(shape, active, suspendedRow);
    expect(fromRow).toEqual({ row: suspendedRow, kept: "row" });
    expect(
      planPairSync(shape, active, fromRow.row, suspendedRow, 20).usersPatch
        .status,
    ).toBe("suspended");
  });

  test("nothing to keep: both alike, or no status field declared", () => {
    const [user, row] = pair({ status: "suspended" }, { status: "suspended" });
    expect(keepSuspension(shape, user, row)).toEqual({ row, kept: null });
    const [active, plain] = pair();
    expect(keepSuspension(shape, active, plain)).toEqual({
      row: plain,
      kept: null,
    });
    expect(
      keepSuspension(oneWay, { ...user, status: "suspended" }, row),
    ).toEqual({ row, kept: null });
  });
});

describe("decidePairing", () => {
  const row = (
    id: string,
    email?: string,
    owner?: string,
    emailVerified?: boolean,
  ) => ({
    _id: id as GenericId<string>,
    email,
    emailVerified,
    userRef: owner,
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
    ).toEqual({ action: "link", rowId: "a", legacy: true, reviews: [] });
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

  test("a legacy row another verified owner of the address could claim is linked to neither (found by review)", () => {
    const contested = decidePairing({
      ...base,
      unlinkedWithEmail: [row("a", "ada@example.com")],
      otherVerifiedOwners: 1,
    });
    expect(contested.action).toBe("create");
    expect(kinds(contested)).toEqual(["ambiguous_email"]);
    // A row already this user's (a claim both sides make) is not contested.
    expect(
      decidePairing({
        ...base,
        claimants: [row("b", "ada@example.com", U)],
        otherVerifiedOwners: 1,
      }).action,
    ).toBe("link");
  });

  test("rows a person kept apart are neither candidates nor cases", () => {
    const a = row("a", "ada@example.com");
    const b = row("b", "ada@example.com");
    // Two legacy rows: ambiguous, until a person keeps one apart.
    expect(
      kinds(decidePairing({ ...base, unlinkedWithEmail: [a, b] })),
    ).toEqual(["ambiguous_email"]);
    expect(
      decidePairing({
        ...base,
        unlinkedWithEmail: [a, b],
        separated: new Set(["b"]),
      }),
    ).toEqual({ action: "link", rowId: "a", legacy: true, reviews: [] });
    // A pointer and a claim from a kept-apart row: no case, no link.
    expect(
      decidePairing({
        ...base,
        pointed: row("p", "cfo@corp.com"),
        claimants: [row("c", "a@corp.com", U)],
        separated: new Set(["p", "c"]),
      }),
    ).toEqual({ action: "create", reviews: [] });
    // An unverified user and a kept-apart row: nothing to record either.
    expect(
      decidePairing({
        ...base,
        verified: false,
        unlinkedWithEmail: [a],
        separated: new Set(["a"]),
      }),
    ).toEqual({ action: "create", reviews: [] });
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
      decidePairing({
        ...base,
        claimants: [row("own", "ada@example.com", U, true)],
      }),
    ).toEqual({ action: "link", rowId: "own", legacy: false, reviews: [] });
    // ... but never a row made for an unverified claim.
    expect(
      kinds(
        decidePairing({
          ...base,
          claimants: [row("m", "ada@example.com", U, false)],
        }),
      ),
    ).toEqual(["reference_conflict"]);
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

describe("verificationClaim", () => {
  test("only an explicit claim verifies; a request, or someone's sign-up, proves nothing", () => {
    const email = "a@b.c";
    expect(
      verificationClaim("oauth", { email, emailVerified: true }, false),
    ).toBe(true);
    expect(verificationClaim("oauth", { email }, false)).toBe(false);
    expect(verificationClaim("oauth", {}, false)).toBeUndefined();
    expect(verificationClaim("credentials", { email }, true)).toBe(false);
    expect(verificationClaim("credentials", { email }, false)).toBeUndefined();
    expect(
      verificationClaim("verification", { email, emailVerified: true }, false),
    ).toBe(true);
    expect(verificationClaim("email", { email }, false)).toBeUndefined();
    expect(verificationClaim("phone", {}, false)).toBeUndefined();
  });
});

describe("checkTables", () => {
  test("flags each kind of inconsistency (references on both sides)", () => {
    const [user, row] = pair();
    expect(checkTables(shape, [user], [row]).consistent).toBe(true);
    const kinds = (users: UserSide[], rows: Row[]) =>
      checkTables(shape, users, rows)
        .problems.map((p) => p.kind)
        .sort();
    expect(kinds([{ ...user, auth_user_id: undefined }], [])).toEqual([
      "missing_counterpart",
    ]);
    expect(kinds([user], [])).toEqual(["dangling_reference"]);
    expect(kinds([user], [{ ...row, convex_user_id: "u2" }])).toEqual([
      "dangling_reference",
      "one_sided_reference",
    ]);
    expect(
      kinds([user], [row, { ...row, _id: "a2" as GenericId<"auth_users"> }]),
    ).toEqual(["duplicate_counterpart", "one_sided_reference"]);
    expect(kinds([{ ...user, name: "X" }], [row])).toEqual(["field_mismatch"]);
    expect(
      checkTables(shape, [], [{ ...row, convex_user_id: undefined }]),
    ).toMatchObject({ consistent: true, unlinkedRows: 1 });
    // A sign-in never completed is due no pair yet.
    expect(
      kinds(
        [{ ...user, auth_user_id: undefined, pendingFirstSignIn: true }],
        [],
      ),
    ).toEqual([]);
  });

  test("with the reference on the app side only, the one row naming a user is its counterpart", () => {
    const user: UserSide = { _id: U, name: "Ada", email: "ada@example.com" };
    const row: Row = {
      _id: A,
      _creationTime: 1,
      userId: U,
      email: "ada@example.com",
      emailVerified: false,
      displayName: "Ada",
    };
    expect(isTwoWay(oneWay, user, row)).toBe(true);
    expect(checkTables(oneWay, [user], [row]).problems).toEqual([]);
    const kinds = (rows: Row[]) =>
      checkTables(oneWay, [user], rows).problems.map((p) => p.kind);
    expect(kinds([])).toEqual(["missing_counterpart"]);
    expect(kinds([row, { ...row, _id: "a2" as GenericId<string> }])).toEqual([
      "duplicate_counterpart",
    ]);
    // The app owns displayName: users.name follows it.
    expect(
      planPairSync(oneWay, { ...user, name: "Provider" }, row, row, 5)
        .usersPatch,
    ).toEqual({ name: "Ada" });
  });
});
