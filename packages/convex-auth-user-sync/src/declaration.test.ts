/**
 * The declaration, as an adopter writes it: field names and values are
 * checked against the app's data model (`npm run typecheck` fails if a
 * `@ts-expect-error` below stops being an error), and what is declared is
 * what the sync uses.
 */
import type { GenericId } from "convex/values";
import { describe, expect, test } from "vitest";
import { defineUserSync } from "./index.js";

type Doc<Fields> = Fields & { _id: GenericId<string>; _creationTime: number };
type Table<Fields> = {
  document: Doc<Fields>;
  fieldPaths: keyof Doc<Fields> & string;
  indexes: Record<string, never>;
  searchIndexes: Record<string, never>;
  vectorIndexes: Record<string, never>;
};
type DataModel = {
  users: Table<{
    email?: string;
    name?: string;
    image?: string;
    phone?: string;
    memberId?: GenericId<"members">;
    teamId?: GenericId<"teams">;
    emailKey?: string;
    emailVerified?: boolean;
    nickname?: string;
  }>;
  members: Table<{
    userId?: GenericId<"users">;
    email?: string;
    emailVerified?: boolean;
    nickname?: string;
    phone?: string;
    teamId?: GenericId<"teams">;
    plan: "free" | "pro";
    createdAt: number;
  }>;
  teams: Table<{ title: string }>;
};

const declaration = {
  table: "members",
  reference: { app: "userId" },
  email: { app: "email", verified: "emailVerified" },
  mirror: [{ users: "name", app: "nickname", owner: "app" }],
  onRowDelete: "keepAccount",
} as const;

describe("declaration", () => {
  test("a new row's literal fields are checked as literals, not widened", () => {
    const userSync = defineUserSync<DataModel>()({
      ...declaration,
      newRow: (now) => ({ plan: "free", createdAt: now }),
    });
    expect(userSync.shape.newRow(7)).toEqual({ plan: "free", createdAt: 7 });

    defineUserSync<DataModel>()({
      ...declaration,
      // @ts-expect-error "gold" is no plan
      newRow: (now) => ({ plan: "gold", createdAt: now }),
    });
  });

  test("field names are the table's own", () => {
    defineUserSync<DataModel>()({
      ...declaration,
      // @ts-expect-error members has no full_name
      mirror: [{ users: "name", app: "full_name", owner: "app" }],
    });
    const userSync = defineUserSync<DataModel>()(declaration);
    expect(userSync.shape).toMatchObject({
      table: "members",
      appRef: "userId",
      usersRef: undefined,
      email: "email",
      emailVerified: "emailVerified",
    });
    expect(userSync.shape.indexes).toMatchObject({
      appByUser: "by_userId",
      appByEmailAndUser: "by_email_and_userId_and_emailVerified",
      appByEmailVerified: "by_email_and_emailVerified",
      usersByRef: undefined,
      usersByEmailVerified: "by_email_and_emailVerificationTime",
    });
  });

  test("each option takes only a field of the kind it needs", () => {
    const twoWay = defineUserSync<DataModel>()({
      ...declaration,
      reference: { app: "userId", users: "memberId" },
    });
    expect(twoWay.shape.usersRef).toBe("memberId");

    defineUserSync<DataModel>()({
      ...declaration,
      // @ts-expect-error the verification mirror is a boolean, not a string
      email: { app: "email", verified: "nickname" },
    });
    defineUserSync<DataModel>()({
      ...declaration,
      // @ts-expect-error the email is a string, not a boolean
      email: { app: "emailVerified", verified: "emailVerified" },
    });
    defineUserSync<DataModel>()({
      ...declaration,
      // @ts-expect-error the app's reference holds an Id<"users">, not a string
      reference: { app: "nickname" },
    });
    defineUserSync<DataModel>()({
      ...declaration,
      // @ts-expect-error nor an id of another table
      reference: { app: "teamId" },
    });
    defineUserSync<DataModel>()({
      ...declaration,
      // @ts-expect-error users' reference holds an id of the app table
      reference: { app: "userId", users: "teamId" },
    });
    defineUserSync<DataModel>()({
      ...declaration,
      // @ts-expect-error nor a string
      reference: { app: "userId", users: "email" },
    });
  });

  test("what deleting a user's row does is a required choice", () => {
    const { onRowDelete: _, ...withoutChoice } = declaration;
    // @ts-expect-error onRowDelete is required
    expect(() => defineUserSync<DataModel>()(withoutChoice)).toThrow(
      /onRowDelete: "deleteAccount".*or "keepAccount"/,
    );
    expect(() =>
      defineUserSync<DataModel>()({
        ...declaration,
        // @ts-expect-error only the two choices
        onRowDelete: "deleteRow",
      }),
    ).toThrow(/onRowDelete/);
    expect(
      defineUserSync<DataModel>()({
        ...declaration,
        onRowDelete: "deleteAccount",
      }).shape.onRowDelete,
    ).toBe("deleteAccount");
  });

  test("functions() wants every function in one module", () => {
    const split = defineUserSync<DataModel>()({
      ...declaration,
      modules: { signIn: "authSync", engine: "syncEngine" },
    });
    expect(() =>
      split.functions({
        internalMutation: (() => null) as never,
        internalQuery: (() => null) as never,
        internalAction: (() => null) as never,
      }),
    ).toThrow(/one module/);
  });

  test("callbacks() keeps the app's other callbacks", async () => {
    const userSync = defineUserSync<DataModel>()(declaration);
    const redirect = (params: { redirectTo: string }) =>
      Promise.resolve(params.redirectTo);
    const callbacks = userSync.callbacks({ redirect });
    expect(callbacks.redirect).toBe(redirect);
    expect(callbacks.beforeSessionCreation).toBeTypeOf("function");
    expect(callbacks.afterUserCreatedOrUpdated).toBeTypeOf("function");
    expect(await callbacks.redirect?.({ redirectTo: "/x" })).toBe("/x");
  });

  test("callbacks() refuses an afterUserCreatedOrUpdated Convex Auth would never call", () => {
    const userSync = defineUserSync<DataModel>()(declaration);
    expect(() =>
      userSync.callbacks({
        createOrUpdateUser: () => Promise.resolve("u" as GenericId<"users">),
        afterUserCreatedOrUpdated: () => Promise.resolve(),
      }),
    ).toThrow(/createOrUpdateUser/);
  });

  test("callbacks() takes an app's callbacks as Convex Auth types them", () => {
    const userSync = defineUserSync<DataModel>()(declaration);
    // What an app's createOrUpdateUser reads (found by review: these args
    // were typed `unknown` and did not compile).
    const seen: string[] = [];
    const callbacks = userSync.callbacks({
      createOrUpdateUser: (_ctx, args) => {
        seen.push(`${args.provider.id}:${args.profile.email ?? ""}`);
        return Promise.resolve(args.existingUserId!);
      },
    });
    expect(callbacks.createOrUpdateUser).toBeTypeOf("function");
    expect(callbacks.afterUserCreatedOrUpdated).toBeUndefined();
    expect(seen).toEqual([]);
  });

  test("a fold field needs a users field of its own, and a mirrored field one only where its value can differ", () => {
    expect(() =>
      defineUserSync<DataModel>()({
        ...declaration,
        mirror: [
          ...declaration.mirror,
          { users: "phone", app: "phone", owner: "provider" },
        ],
        fold: {
          fields: {
            nickname: "name",
            plan: "email",
            phone: "teamId",
            email: "emailKey",
            emailVerified: "emailVerified",
          },
        },
      }),
    ).toThrow(
      /fold.fields.nickname: users.name belongs to Convex Auth.*; fold.fields.plan: users.email belongs to Convex Auth.*; fold.fields.phone: the sync mirrors members.phone to a users field that holds its value already; fold.fields.nickname: members.nickname needs a home on users/,
    );
  });

  test("a fold needs a home for the address, its verification, an app-won mirrored value and a new row's fields", () => {
    expect(() =>
      defineUserSync<DataModel>()({
        ...declaration,
        newRow: (now) => ({ plan: "free", createdAt: now }),
        fold: { fields: { teamId: "teamId" } },
      }),
    ).toThrow(
      /fold.fields.email: members.email needs a home on users.*; fold.fields.emailVerified: .*; fold.fields.nickname: .*; fold.fields.plan: .*; fold.fields.createdAt: /,
    );
  });

  test("a fold's homes: its own fields, the required ones, and the mirrored fields' users fields", () => {
    const userSync = defineUserSync<DataModel>()({
      ...declaration,
      fold: {
        fields: {
          teamId: "teamId",
          email: "emailKey",
          emailVerified: "emailVerified",
          nickname: "nickname",
        },
        references: [{ table: "teams", field: "title", index: "by_title" }],
      },
    });
    const fold = userSync.shape.fold!;
    expect(
      fold.fields.map(({ app, users, exact }) => [app, users, exact]),
    ).toEqual([
      ["teamId", "teamId", true],
      ["email", "emailKey", true],
      ["emailVerified", "emailVerified", true],
      ["nickname", "nickname", true],
    ]);
    expect(fold.references).toEqual([
      { table: "teams", field: "title", index: "by_title" },
    ]);
    expect(fold.emailKey).toBe("emailKey");
    expect(fold.usersByEmailKeyStatus).toBe("by_emailKey_and_status");
    expect(fold.emailVerified).toBe("emailVerified");
    expect(Object.fromEntries(fold.homes)).toEqual({
      teamId: "teamId",
      email: "emailKey",
      emailVerified: "emailVerified",
      nickname: "nickname",
    });
    expect([...fold.derived]).toEqual([]);
    // A derived field (computed by the app) has no home, and may not have one.
    const foldOf = (derived: ("plan" | "nickname")[]) => ({
      ...declaration,
      fold: {
        fields: {
          email: "emailKey",
          emailVerified: "emailVerified",
          nickname: "nickname",
        } as const,
        derived,
      },
    });
    expect([
      ...defineUserSync<DataModel>()(foldOf(["plan"])).shape.fold!.derived,
    ]).toEqual(["plan"]);
    expect(() => defineUserSync<DataModel>()(foldOf(["nickname"]))).toThrow(
      /fold\.derived: members\.nickname is mirrored or has a home/,
    );
    // The types refuse these (the homes missing are refused at load).
    expect(() =>
      defineUserSync<DataModel>()({
        ...declaration,
        fold: {
          // @ts-expect-error a fold field's home is a users field
          fields: { teamId: "nowhere" },
          // @ts-expect-error a reference's field is its table's
          references: [{ table: "teams", field: "userId", index: "by_userId" }],
        },
      }),
    ).toThrow(/needs a home on users/);
  });
});
