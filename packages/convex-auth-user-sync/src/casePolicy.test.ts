import { describe, expect, test } from "vitest";
import { caseVersion, describeFields, diffDoc } from "./casePolicy.js";
import {
  type AnyDoc,
  resolveShape,
  type UserSyncDeclaration,
} from "./declaration.js";

/** The seed example's declaration (see policy.test.ts). */
const shape = resolveShape({
  table: "auth_users",
  reference: { app: "convex_user_id", users: "auth_user_id" },
  email: { app: "email", verified: "email_verified" },
  mirror: [
    {
      users: "name",
      app: "full_name",
      owner: "provider",
      chosenBy: "name_source",
    },
  ],
  status: "status",
  lastLoginAt: "last_login_at",
} as unknown as UserSyncDeclaration<never, never>);

const doc = (id: string, fields: Record<string, unknown>): AnyDoc =>
  ({ _id: id, _creationTime: 1, ...fields }) as AnyDoc;

describe("caseVersion", () => {
  test("changes with any field of any document, not with key order", () => {
    const user = doc("u1", { name: "Ada", email: "ada@example.com" });
    const row = doc("a1", { full_name: "Ada" });
    const version = caseVersion([user, row]);
    expect(version).toMatch(/^[0-9a-f]{16}$/);
    expect(caseVersion([{ ...row }, { ...user }])).not.toBe(version);
    expect(
      caseVersion([
        doc("u1", { email: "ada@example.com", name: "Ada" }),
        doc("a1", { full_name: "Ada" }),
      ]),
    ).toBe(version);
    expect(caseVersion([user, { ...row, full_name: "Ada L." }])).not.toBe(
      version,
    );
    // A document gone is a change too; an absent field is no field at all.
    expect(caseVersion([user, null])).not.toBe(version);
    expect(caseVersion([user, { ...row, role: undefined }])).toBe(version);
  });
});

describe("caseVersion and the audit log with bytes (found by review)", () => {
  test("bytes of another length are another version", () => {
    const doc = (n: number) =>
      ({ _id: "a", _creationTime: 1, blob: new ArrayBuffer(n) }) as never;
    expect(caseVersion([doc(1)])).not.toBe(caseVersion([doc(2)]));
  });

  test("Convex Auth's secrets are never audited; the app's fields are", () => {
    const before = { userId: "u1", provider: "password", secret: "$hash" };
    expect(diffDoc("authAccounts", "a1", before, null)).toEqual([
      {
        table: "authAccounts",
        id: "a1",
        field: "provider",
        before: "password",
      },
      { table: "authAccounts", id: "a1", field: "userId", before: "u1" },
    ]);
    expect(
      diffDoc("authRefreshTokens", "r1", { sessionId: "s" }, null),
    ).toEqual([]);
    expect(diffDoc("auth_users", "x", { secret: "app data" }, null)).toEqual([
      { table: "auth_users", id: "x", field: "secret", before: "app data" },
    ]);
  });
});

describe("diffDoc", () => {
  test("lists changed fields only, system fields aside", () => {
    expect(
      diffDoc(
        "users",
        "u1",
        doc("u1", { name: "Ada", email: "a@x", tags: ["a"] }),
        doc("u1", { name: "Ada L.", email: "a@x", tags: ["a"], phone: "1" }),
      ),
    ).toEqual([
      {
        table: "users",
        id: "u1",
        field: "name",
        before: "Ada",
        after: "Ada L.",
      },
      { table: "users", id: "u1", field: "phone", after: "1" },
    ]);
  });

  test("a deleted document keeps every field on the before side", () => {
    expect(
      diffDoc(
        "auth_users",
        "a1",
        doc("a1", { company: "Acme", role: "CTO" }),
        null,
      ),
    ).toEqual([
      { table: "auth_users", id: "a1", field: "company", before: "Acme" },
      { table: "auth_users", id: "a1", field: "role", before: "CTO" },
    ]);
    expect(diffDoc("auth_users", "a1", null, null)).toEqual([]);
  });
});

describe("describeFields", () => {
  const user = doc("u1", {
    email: "Ada@Example.com",
    emailVerificationTime: 5,
    name: "ada-gh",
    lastLoginAt: 10,
  });
  const row = doc("a1", {
    email: "ada@example.com",
    email_verified: true,
    full_name: "Ada Lovelace",
    name_source: "user",
    last_login_at: 20,
  });

  test("names each field's owner and where its value comes from", () => {
    const fields = describeFields(shape, user, row);
    const byApp = Object.fromEntries(fields.map((f) => [f.appField, f]));
    expect(byApp.email).toMatchObject({
      owner: "provider",
      source: "provider",
      expected: "ada@example.com",
      agrees: true,
    });
    expect(byApp.full_name).toMatchObject({
      source: "user's choice",
      usersValue: "ada-gh",
      appValue: "Ada Lovelace",
      expected: "Ada Lovelace",
      // A chosen name is written back to users, which still holds another.
      agrees: false,
    });
    expect(byApp.status).toMatchObject({ owner: "app", source: "app" });
    expect(byApp.last_login_at).toMatchObject({
      source: "later of the two",
      expected: 20,
      agrees: false,
    });
  });

  test("a provider-owned name follows the provider until chosen", () => {
    const name = describeFields(shape, user, {
      ...row,
      name_source: undefined,
      full_name: "ada-gh",
    }).find((field) => field.appField === "full_name");
    expect(name).toMatchObject({
      source: "provider",
      expected: "ada-gh",
      agrees: true,
    });
  });

  test("one side missing: values shown, nothing held against them", () => {
    const fields = describeFields(shape, null, row);
    expect(fields.every((field) => field.agrees)).toBe(true);
    expect(fields[0]).toMatchObject({
      usersValue: undefined,
      appValue: "ada@example.com",
    });
  });
});
