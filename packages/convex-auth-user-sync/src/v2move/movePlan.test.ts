/**
 * The plan of the move from Convex Auth v1 to v2 for one user
 * (docs/v2-move.md): what moves into which component, what waits for the
 * person's next sign-in, and what a person must look at.
 */
import { describe, expect, test } from "vitest";
import { normalizeEmail } from "../policy.js";
import {
  DEFAULT_V2_METHODS,
  type MovePlanOptions,
  movePlan,
  type V1AccountRow,
  type V1UserDoc,
  v2AcceptsEmail,
} from "./movePlan.js";

const ADA = "users|ada";
const options: MovePlanOptions = {
  methods: { ...DEFAULT_V2_METHODS, resend: "email_code" },
};
/** A hash in the shape lucia's Scrypt writes (the real one is checked below). */
const HASH = `${"a1".repeat(16)}:${"b2".repeat(64)}`;

function user(fields: Partial<V1UserDoc> = {}): V1UserDoc {
  return { _id: ADA, email: "ada@example.com", ...fields };
}

let next = 0;
function account(fields: Partial<V1AccountRow>): V1AccountRow {
  next += 1;
  return {
    _id: `authAccounts|${next}`,
    userId: ADA,
    provider: "github",
    providerAccountId: "1234567",
    ...fields,
  };
}

function password(fields: Partial<V1AccountRow> = {}): V1AccountRow {
  return account({
    provider: "password",
    providerAccountId: "ada@example.com",
    secret: HASH,
    ...fields,
  });
}

function emailCode(fields: Partial<V1AccountRow> = {}): V1AccountRow {
  return account({
    provider: "resend",
    providerAccountId: "ada@example.com",
    emailVerified: "ada@example.com",
    ...fields,
  });
}

/** The one entry of a plan over a single row, and its reviews. */
function only(row: V1AccountRow, owner: V1UserDoc = user()) {
  const plan = movePlan(owner, [row], options);
  expect(plan.moves).toHaveLength(1);
  return { move: plan.moves[0]!, reviews: plan.reviews };
}

describe("OAuth identities move as they are", () => {
  test("a GitHub account goes to authGithub under the same GitHub id and user", () => {
    const row = account({ provider: "github", providerAccountId: "583231" });
    expect(only(row)).toEqual({
      move: {
        kind: "github_account",
        accountId: row._id,
        userId: ADA,
        providerAccountId: "583231",
      },
      reviews: [],
    });
  });

  test("a Google account goes to authGoogle under the same sub", () => {
    const row = account({
      provider: "google",
      providerAccountId: "108267935712233453901",
    });
    expect(only(row).move).toEqual({
      kind: "google_account",
      accountId: row._id,
      userId: ADA,
      providerAccountId: "108267935712233453901",
    });
  });

  test("a GitHub account keyed by another shape (a login) is held for a person: v2 keys by the numeric id", () => {
    const row = account({ provider: "github", providerAccountId: "ada-l" });
    const { move, reviews } = only(row);
    expect(move).toMatchObject({
      kind: "not_moved",
      reason: "provider_account_id_unexpected",
    });
    expect(reviews).toEqual([
      expect.objectContaining({
        reason: "provider_account_id_unexpected",
        accountIds: [row._id],
      }),
    ]);
  });

  test("a Google account with an empty or spaced sub is held", () => {
    for (const sub of ["", "108 267", "x".repeat(256)]) {
      const row = account({ provider: "google", providerAccountId: sub });
      expect(only(row).move).toMatchObject({
        reason: "provider_account_id_unexpected",
      });
    }
  });

  test("an app's own id for the provider maps to the method", () => {
    const row = account({ provider: "github-enterprise" });
    const plan = movePlan(user(), [row], {
      methods: { "github-enterprise": "github" },
    });
    expect(plan.moves[0]).toMatchObject({ kind: "github_account" });
  });
});

describe("passwords wait for the next sign-in (v2 cannot verify Scrypt)", () => {
  test("a Password account with an address v1 never verified: pending, not verified", () => {
    const row = password();
    expect(only(row)).toEqual({
      move: {
        kind: "password_rehash_pending",
        accountId: row._id,
        userId: ADA,
        provider: "password",
        email: "ada@example.com",
        emailKey: "ada@example.com",
        emailVerifiedInV1: false,
      },
      reviews: [],
    });
  });

  test("a Password account whose address v1 verified by code: pending, verified in v1", () => {
    const row = password({ emailVerified: "ada@example.com" });
    expect(only(row).move).toMatchObject({
      kind: "password_rehash_pending",
      emailVerifiedInV1: true,
    });
  });

  test("the user's address verified by another method does not make the password's verified", () => {
    const row = password();
    const owner = user({ emailVerificationTime: 1 } as Partial<V1UserDoc>);
    expect(only(row, owner).move).toMatchObject({ emailVerifiedInV1: false });
  });

  test("the plan never holds the hash: a dry run's planned changes are readable", () => {
    const plan = movePlan(user(), [password()], options);
    expect(JSON.stringify(plan)).not.toContain(HASH.slice(0, 16));
  });

  test("the address is kept exactly as v1 matched it, keyed as the library keys it", () => {
    const row = password({ providerAccountId: "Ada@Example.com" });
    expect(only(row).move).toMatchObject({
      kind: "password_rehash_pending",
      email: "Ada@Example.com",
      emailKey: "ada@example.com",
    });
  });

  test("a Password account without a secret is held for a person", () => {
    for (const secret of [undefined, ""]) {
      const row = password({ secret });
      const { move, reviews } = only(row);
      expect(move).toMatchObject({ reason: "password_without_secret" });
      expect(reviews.map((r) => r.reason)).toEqual(["password_without_secret"]);
    }
  });

  test("a hash that is not lucia's Scrypt is held, unless the app declares its own crypto", () => {
    const row = password({ secret: "$2b$10$abcdefghijklmnopqrstuv" });
    expect(only(row).move).toMatchObject({
      reason: "password_hash_unrecognized",
    });
    const custom = movePlan(user(), [row], {
      ...options,
      passwordHash: "custom",
    });
    expect(custom.moves[0]).toMatchObject({ kind: "password_rehash_pending" });
  });

  test("two password identities cannot both be the user's one v2 password", () => {
    const first = password();
    const second = password({ provider: "password-legacy" });
    const plan = movePlan(user(), [first, second], {
      methods: { password: "password", "password-legacy": "password" },
    });
    expect(plan.moves.map((m) => m.kind)).toEqual(["not_moved", "not_moved"]);
    expect(plan.reviews).toEqual([
      expect.objectContaining({
        reason: "two_accounts_one_method",
        accountIds: [first._id, second._id],
      }),
    ]);
  });
});

describe("verified addresses are re-proven, never carried as verified", () => {
  test("an email-code address v1 verified is planned for a new proof", () => {
    const row = emailCode();
    expect(only(row)).toEqual({
      move: {
        kind: "verified_email",
        accountId: row._id,
        userId: ADA,
        provider: "resend",
        email: "ada@example.com",
        emailKey: "ada@example.com",
      },
      reviews: [],
    });
  });

  test("an email-code account whose code was never used moves nothing and needs no person", () => {
    const row = emailCode({ emailVerified: undefined });
    expect(only(row)).toEqual({
      move: {
        kind: "not_moved",
        accountId: row._id,
        provider: "resend",
        reason: "address_never_verified",
      },
      reviews: [],
    });
  });

  test("a verification of another spelling (case) does not verify this one", () => {
    for (const row of [
      emailCode({
        providerAccountId: "Ada@example.com",
        emailVerified: "ada@example.com",
      }),
      password({
        providerAccountId: "Ada@example.com",
        emailVerified: "ada@example.com",
      }),
    ]) {
      const { move, reviews } = only(row);
      expect(move).toMatchObject({ reason: "verified_address_differs" });
      expect(reviews.map((r) => r.reason)).toEqual([
        "verified_address_differs",
      ]);
    }
  });

  test("an address that is not the user's is held for a person", () => {
    for (const row of [
      emailCode({
        providerAccountId: "eve@example.com",
        emailVerified: "eve@example.com",
      }),
      password({ providerAccountId: "eve@example.com" }),
    ]) {
      expect(only(row).reviews.map((r) => r.reason)).toEqual([
        "address_not_users",
      ]);
    }
  });

  test("a user without an address holds every address identity back", () => {
    const { move } = only(password(), user({ email: undefined }));
    expect(move).toMatchObject({ reason: "address_not_users" });
  });
});

describe("look-alike addresses", () => {
  const KELVIN = "\u212Aen@example.com"; // KELVIN SIGN, not "K"

  test("a Unicode look-alike of the user's address is refused: v2 would fold it onto the ASCII one", () => {
    // v2's key is toLowerCase then NFC, which turns the Kelvin sign into "k".
    expect(KELVIN.toLowerCase().normalize("NFC")).toBe("ken@example.com");
    expect(v2AcceptsEmail(KELVIN)).toBe(false);
    for (const row of [
      password({ providerAccountId: KELVIN }),
      emailCode({ providerAccountId: KELVIN, emailVerified: KELVIN }),
    ]) {
      const { move, reviews } = only(row, user({ email: "ken@example.com" }));
      expect(move).toMatchObject({ reason: "address_refused_by_v2" });
      expect(reviews.map((r) => r.reason)).toEqual(["address_refused_by_v2"]);
    }
  });

  test("a non-ASCII address is refused even when it is the user's own", () => {
    const owner = user({ email: KELVIN });
    expect(
      only(password({ providerAccountId: KELVIN }), owner).move,
    ).toMatchObject({ reason: "address_refused_by_v2" });
  });

  test("for every address v2 takes, its key is the library's key", () => {
    for (const address of [
      "ada@example.com",
      "Ada.Lovelace+tag@Example.CO.uk",
      "ZZ@X.IO",
      "o'brien@example.org",
    ]) {
      expect(v2AcceptsEmail(address)).toBe(true);
      expect(normalizeEmail(address)).toBe(
        address.toLowerCase().normalize("NFC"),
      );
    }
    for (const refused of [
      " ada@example.com",
      "ada@[127.0.0.1]",
      "ada@localhost",
      `${"a".repeat(250)}@x.io`,
      "adä@example.com",
    ]) {
      expect(v2AcceptsEmail(refused)).toBe(false);
    }
  });
});

describe("rows that are not this user's identity", () => {
  test("an account naming another user is held, and the user's own still move", () => {
    const foreign = account({ userId: "users|eve" });
    const own = account({ providerAccountId: "999" });
    const plan = movePlan(user(), [foreign, own], options);
    expect(plan.moves).toEqual([
      {
        kind: "not_moved",
        accountId: foreign._id,
        provider: "github",
        reason: "account_names_other_user",
      },
      expect.objectContaining({ kind: "github_account", accountId: own._id }),
    ]);
    expect(plan.reviews.map((r) => r.reason)).toEqual([
      "account_names_other_user",
    ]);
  });

  test("two GitHub accounts on one user: neither moves, one review names both", () => {
    const first = account({ providerAccountId: "1" });
    const second = account({ providerAccountId: "2" });
    const plan = movePlan(user(), [first, second], options);
    expect(plan.moves.map((m) => m.kind)).toEqual(["not_moved", "not_moved"]);
    expect(plan.reviews).toEqual([
      {
        reason: "two_accounts_one_method",
        accountIds: [first._id, second._id],
        detail: "the user has 2 identities for v2's github method",
      },
    ]);
  });

  test("a placeholder never signed in: nothing to move; with an account it is damaged", () => {
    const placeholder = user({
      email: undefined,
      unclaimed: "ada@example.com",
    });
    expect(movePlan(placeholder, [], options)).toEqual({
      userId: ADA,
      moves: [],
      reviews: [],
    });
    expect(only(account({}), placeholder).move).toMatchObject({
      reason: "placeholder_with_accounts",
    });
  });

  test("a provider the app did not map is held; one it skips is not", () => {
    const apple = account({ provider: "apple" });
    const anonymous = account({ provider: "anonymous" });
    const plan = movePlan(user(), [apple, anonymous], options);
    expect(plan.moves).toEqual([
      expect.objectContaining({ reason: "provider_not_mapped" }),
      expect.objectContaining({ reason: "provider_skipped" }),
    ]);
    expect(plan.reviews).toEqual([
      expect.objectContaining({
        reason: "provider_not_mapped",
        accountIds: [apple._id],
      }),
    ]);
  });

  test("a provider id named like an object's own property is not a method", () => {
    const row = account({ provider: "toString" });
    expect(only(row).move).toMatchObject({ reason: "provider_not_mapped" });
  });
});

test("a person with every kind of identity: each row gets exactly one entry, in order", () => {
  const rows = [
    account({ provider: "github", providerAccountId: "11" }),
    account({ provider: "google", providerAccountId: "22" }),
    password({ emailVerified: "ada@example.com" }),
    emailCode(),
  ];
  const plan = movePlan(user(), rows, options);
  expect(plan.moves.map((m) => [m.accountId, m.kind])).toEqual([
    [rows[0]!._id, "github_account"],
    [rows[1]!._id, "google_account"],
    [rows[2]!._id, "password_rehash_pending"],
    [rows[3]!._id, "verified_email"],
  ]);
  expect(plan.reviews).toEqual([]);
});
