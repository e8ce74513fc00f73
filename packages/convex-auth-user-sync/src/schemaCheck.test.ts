import { authTables } from "@convex-dev/auth/server";
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { describe, expect, test } from "vitest";
import {
  defineUserSync,
  syncTables,
  syncUserFields,
  usersTable,
} from "./index.js";
import { CONVEX_AUTH_TABLES } from "./schemaCheck.js";

const members = {
  userId: v.optional(v.id("users")),
  email: v.optional(v.string()),
  emailVerified: v.optional(v.boolean()),
  nickname: v.optional(v.string()),
  plan: v.union(v.literal("free"), v.literal("pro")),
  createdAt: v.number(),
};
const schemaWith = (fields: Record<string, never> | typeof members = members) =>
  defineSchema({
    ...authTables,
    users: usersTable(authTables.users),
    members: defineTable(fields)
      .index("by_userId", ["userId"])
      .index("by_email_and_userId_and_emailVerified", [
        "email",
        "userId",
        "emailVerified",
      ])
      .index("by_email_and_emailVerified", ["email", "emailVerified"]),
    ...syncTables,
  });

// Typed loosely: these tests give it schemas the declaration was not made for.
const userSync = defineUserSync<never>()({
  table: "members",
  reference: { app: "userId" },
  email: { app: "email", verified: "emailVerified" },
  mirror: [{ users: "name", app: "nickname", owner: "app" }],
  newRow: (now: number) => ({ plan: "free", createdAt: now }),
  onRowDelete: "deleteAccount",
} as never);

describe("checkSchema", () => {
  test("a schema with everything the declaration needs has no problems", () => {
    expect(userSync.checkSchema(schemaWith())).toEqual([]);
  });

  test("a missing index is named, with its fields (found by review)", () => {
    const schema = defineSchema({
      ...authTables,
      users: usersTable(authTables.users),
      members: defineTable(members)
        .index("by_userId", ["userId"])
        .index("by_email_and_userId_and_emailVerified", [
          "email",
          "userId",
          "emailVerified",
        ]),
      ...syncTables,
    });
    expect(userSync.checkSchema(schema)).toEqual([
      "members has no index by_email_and_emailVerified on [email, emailVerified].",
    ]);
  });

  test("a sync table written by hand without an index the sync queries is named (found by review)", () => {
    // sync_runs as an older version defined it: no by_dry_run, and none
    // of the move's by_name_and_dry_run.
    const schema = {
      tables: {
        ...schemaWith().tables,
        sync_runs: defineTable(syncTables.sync_runs.validator).index(
          "by_status",
          ["status"],
        ),
      },
    };
    expect(userSync.checkSchema(schema)).toEqual([
      "sync_runs has no index by_dry_run on [dry_run].",
      "sync_runs has no index by_name_and_dry_run on [name, dry_run].",
    ]);
  });

  test("a declared status needs the index of an address's suspended holders", () => {
    const withStatus = defineUserSync<never>()({
      table: "members",
      reference: { app: "userId" },
      email: { app: "email", verified: "emailVerified" },
      status: "status",
      newRow: (now: number) => ({ plan: "free", createdAt: now }),
      onRowDelete: "deleteAccount",
    } as never);
    const fields = { ...members, status: v.optional(v.string()) };
    expect(withStatus.checkSchema(schemaWith(fields as never))).toEqual([
      "members has no index by_email_and_status on [email, status].",
    ]);
    const schema = defineSchema({
      ...authTables,
      users: usersTable(authTables.users),
      members: defineTable(fields)
        .index("by_userId", ["userId"])
        .index("by_email_and_userId_and_emailVerified", [
          "email",
          "userId",
          "emailVerified",
        ])
        .index("by_email_and_emailVerified", ["email", "emailVerified"])
        .index("by_email_and_status", ["email", "status"]),
      ...syncTables,
    });
    expect(withStatus.checkSchema(schema)).toEqual([]);
  });

  test("a required reference, and a required field no new row gets, are named", () => {
    const problems = userSync.checkSchema(
      schemaWith({
        ...members,
        userId: v.id("users"),
        team: v.string(),
      } as never),
    );
    expect(problems).toEqual([
      "members.userId must be optional (v.optional(...)): some rows have none.",
      "members.team is required, but a row the sync creates would have none: return it from newRow, or make it optional.",
    ]);
  });

  test("users without the sync's fields, and no sync tables, are named", () => {
    const schema = defineSchema({
      ...authTables,
      members: defineTable(members)
        .index("by_userId", ["userId"])
        .index("by_email_and_userId_and_emailVerified", [
          "email",
          "userId",
          "emailVerified",
        ])
        .index("by_email_and_emailVerified", ["email", "emailVerified"]),
    });
    expect(userSync.checkSchema(schema)).toEqual([
      "users.lastLoginAt is missing.",
      "users.updatedAt is missing.",
      "users.status is missing.",
      "users.pendingFirstSignIn is missing.",
      "users has no index by_email_and_emailVerificationTime on [email, emailVerificationTime].",
      ...[
        "sync_reviews",
        "sync_separations",
        "sync_audit",
        "sync_audit_subjects",
        "sync_runs",
        "sync_run_workers",
        "sync_run_changes",
        "sync_run_planned_keys",
        "sync_fold",
      ].map(
        (table) => `The schema has no ${table} table (spread ...syncTables).`,
      ),
    ]);
  });

  test("a declared fold needs a home for each field, the placeholders' index and an index on each reference", () => {
    const folding = defineUserSync<never>()({
      table: "members",
      reference: { app: "userId" },
      email: { app: "email", verified: "emailVerified" },
      newRow: (now: number) => ({ plan: "free", createdAt: now }),
      onRowDelete: "deleteAccount",
      fold: {
        fields: {
          plan: "plan",
          createdAt: "memberSince",
          email: "emailKey",
          emailVerified: "emailVerified",
        },
        references: [
          { table: "notes", field: "authorId", index: "by_title" },
          { table: "gone", field: "ownerId", index: "by_ownerId" },
        ],
      },
    } as never);
    const schema = defineSchema({
      ...authTables,
      users: defineTable({
        ...authTables.users.validator.fields,
        ...syncUserFields,
        plan: v.optional(v.string()),
        emailKey: v.optional(v.string()),
        emailVerified: v.optional(v.boolean()),
      })
        .index("email", ["email"])
        .index("phone", ["phone"])
        .index("by_email_and_emailVerificationTime", [
          "email",
          "emailVerificationTime",
        ]),
      members: schemaWith().tables.members,
      notes: defineTable({
        authorId: v.id("members"),
        title: v.string(),
      }).index("by_title", ["title", "authorId"]),
      ...syncTables,
    });
    expect(folding.checkSchema(schema)).toEqual([
      "users has no index by_unclaimed on [unclaimed].",
      "users has no index by_emailKey_and_status on [emailKey, status].",
      "users.memberSince is missing.",
      "notes has no index by_title whose first field is authorId (fold.references).",
      "fold.references names gone, which the schema has no table of.",
    ]);
  });

  test("Convex Auth's tables and indexes are those of authTables", () => {
    type Indexed = {
      " indexes": () => { indexDescriptor: string; fields: string[] }[];
    };
    const indexesOf = (table: Indexed) =>
      Object.fromEntries(
        table[" indexes"]().map((index) => [
          index.indexDescriptor,
          index.fields,
        ]),
      );
    const ours = Object.fromEntries(
      Object.entries(authTables).map(([name, table]) => [
        name,
        { indexes: indexesOf(table as unknown as Indexed) },
      ]),
    );
    expect(
      Object.fromEntries(
        Object.entries(CONVEX_AUTH_TABLES).map(([name, { indexes }]) => [
          name,
          { indexes },
        ]),
      ),
    ).toEqual(ours);
    expect(CONVEX_AUTH_TABLES.users!.fields).toEqual(
      Object.keys(authTables.users.validator.fields),
    );
  });

  test("a customised users without Convex Auth's phone index, and Convex Auth's tables missing, are named", () => {
    const { authSessions: _, ...withoutSessions } = authTables;
    const schema = defineSchema({
      ...withoutSessions,
      users: defineTable({
        name: v.optional(v.string()),
        email: v.optional(v.string()),
        emailVerificationTime: v.optional(v.number()),
        phone: v.optional(v.string()),
        phoneVerificationTime: v.optional(v.number()),
        isAnonymous: v.optional(v.boolean()),
        favoriteColor: v.optional(v.string()),
        ...syncUserFields,
      })
        .index("email", ["email"])
        .index("by_email_and_emailVerificationTime", [
          "email",
          "emailVerificationTime",
        ]),
      authRateLimits: defineTable({ identifier: v.string() }),
      members: schemaWith().tables.members,
      ...syncTables,
    });
    expect(userSync.checkSchema(schema)).toEqual([
      "users.image is missing.",
      "users has no index phone on [phone].",
      "The schema has no authSessions table (spread ...authTables).",
      "authRateLimits has no index identifier on [identifier].",
    ]);
  });

  test("a declaration given the schema throws at once, naming every problem", () => {
    const declaration = {
      table: "members",
      reference: { app: "userId" },
      email: { app: "email", verified: "emailVerified" },
      newRow: (now: number) => ({ plan: "free", createdAt: now }),
      onRowDelete: "keepAccount",
    };
    expect(() =>
      defineUserSync<never>()({
        ...declaration,
        schema: defineSchema({
          ...authTables,
          members: schemaWith().tables.members,
        }),
      } as never),
    ).toThrow(
      /convex\/schema.ts lacks what the sync of members needs[^]*- users.lastLoginAt is missing.[^]*- The schema has no sync_run_planned_keys table/,
    );
    expect(
      defineUserSync<never>()({ ...declaration, schema: schemaWith() } as never)
        .shape.table,
    ).toBe("members");
  });
});
