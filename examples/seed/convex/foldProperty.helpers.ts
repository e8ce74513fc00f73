/**
 * The model and the checks of the fold's property test
 * (foldProperty.test.ts): who each person is, which records and values are
 * theirs, and the invariants checked after every step. A multi-dot file:
 * the Convex CLI never deploys it.
 */
import { expect } from "vitest";
import type { Doc } from "./_generated/dataModel";
import { normalizeEmail } from "convex-auth-user-sync";
import { internal } from "./_generated/api";
import type { Backend } from "./sync.helpers";

/** Four people, each with one address. */
export const PEOPLE = [0, 1, 2, 3].map((p) => `p${p}@example.com`);

/** The person an address belongs to (the only one who reads its email). */
export function addressOwner(address: string): number | undefined {
  const index = PEOPLE.indexOf(normalizeEmail(address) ?? "");
  return index === -1 ? undefined : index;
}

/** A GitHub account id of a person's (the same for both sign-in paths). */
export const githubId = (person: number) => 100 + person;
/** A Google account's `sub` of a person's. */
export const googleSub = (person: number) => `g${person}`;

/** A value that can only have come from this person: `C<person>-<n>`. */
export const ownValue = (person: number, n: number) => `C${person}-${n}`;
/** The person a value belongs to, if it is one of ownValue's. */
export function valueOwner(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^[CRT](\d)-/.exec(value);
  return match === null ? undefined : Number(match[1]);
}

/** The fold's fields on both tables, person-marked in this test (sync.ts). */
export const FOLD_VALUE_FIELDS = [
  { app: "company", users: "company" },
  { app: "role", users: "role" },
] as const;

export type World = {
  t: Backend;
  /** Owner of every auth_users row ever seen. */
  rowOwner: Map<string, number>;
  /** Owner of every users row ever seen. */
  userOwner: Map<string, number>;
  /** Password accounts by `<provider>:<key>`: who set the password. */
  passwords: Map<string, number>;
  /** Each person's latest session. */
  sessions: Map<
    number,
    { userId: string; asUser: ReturnType<Backend["withIdentity"]> }
  >;
  /**
   * Each person's company values any of which must still be on one of
   * their records, or null once something may rightly have removed them
   * (their account deleted, a row deleted by hand).
   */
  company: Map<number, Set<string> | null>;
  /** People whose legacy templates must all still be theirs, three each. */
  templatesKept: Set<number>;
  /** Ids deleted by hand: a template may be left naming them. */
  deletedByHand: Set<string>;
  /** Ids (users or auth_users) an operator suspended. */
  suspended: Set<string>;
  /** A counter for fresh values. */
  next: number;
  /** The tables as the last check read them: what the next step starts from. */
  seen?: Tables;
};

export type Tables = Awaited<ReturnType<typeof readAll>>;

export async function readAll(t: Backend) {
  return await t.run(async (ctx) => ({
    users: await ctx.db.query("users").collect(),
    rows: await ctx.db.query("auth_users").collect(),
    templates: await ctx.db.query("starter_templates").collect(),
    accounts: await ctx.db.query("authAccounts").collect(),
    sessions: await ctx.db.query("authSessions").collect(),
  }));
}

/** The row a user is two-way paired with, if any. */
export function pairedRow(tables: Tables, user: Doc<"users">) {
  const row = tables.rows.find((r) => r._id === user.auth_user_id);
  return row !== undefined && row.convex_user_id === user._id ? row : null;
}

/** Who controls a users row's sign-in accounts; throws if two people do. */
function accountsOwner(world: World, tables: Tables, userId: string) {
  const owners = new Set<number | undefined>();
  for (const account of tables.accounts) {
    if (account.userId !== userId) continue;
    const id = account.providerAccountId;
    switch (account.provider) {
      case "github":
        owners.add(Number(id) - 100);
        break;
      case "google":
        owners.add(Number(id.slice(1)));
        break;
      case "resend":
      case "resend-otp":
        owners.add(addressOwner(id));
        break;
      case "password":
      case "password-code":
        owners.add(world.passwords.get(`${account.provider}:${id}`));
        break;
      default:
        throw new Error(`unexpected account ${account.provider}`);
    }
  }
  expect(
    owners.size,
    `user ${userId} holds accounts of ${[...owners].join(" and ")}`,
  ).toBeLessThanOrEqual(1);
  return [...owners][0];
}

/** Learns the owner of every record first seen; checks the known ones. */
export function learnOwners(world: World, tables: Tables) {
  for (const user of tables.users) {
    const byAccounts = accountsOwner(world, tables, user._id);
    const known = world.userOwner.get(user._id);
    if (byAccounts !== undefined) {
      if (known !== undefined) {
        expect(byAccounts, `user ${user._id} changed hands`).toBe(known);
      }
      world.userOwner.set(user._id, byAccounts);
    } else if (known === undefined && user.unclaimed !== undefined) {
      // A placeholder is the person's whose row it was made for.
      const owner = world.rowOwner.get(user.auth_user_id ?? "");
      expect(owner, `placeholder ${user._id} of nobody's row`).toBeDefined();
      world.userOwner.set(user._id, owner!);
    }
  }
  for (const row of tables.rows) {
    if (world.rowOwner.has(row._id)) continue;
    const owner = world.userOwner.get(row.convex_user_id ?? "");
    expect(owner, `row ${row._id} made for nobody`).toBeDefined();
    world.rowOwner.set(row._id, owner!);
  }
}

/** What the step before saw: to tell what a step removed. */
export type Before = {
  tables: Tables;
  placeholders: Map<string, { rowId?: string; key: string }>;
};

export async function snapshot(world: World): Promise<Before> {
  world.seen = await readAll(world.t);
  // Whose each record is, while the references still say (a retire that
  // is the first step unsets the placeholders' references).
  learnOwners(world, world.seen);
  return snapshotOf(world.seen);
}

function snapshotOf(tables: Tables): Before {
  const placeholders = new Map(
    tables.users
      .filter((u) => u.unclaimed !== undefined)
      .map((u) => [
        u._id as string,
        { rowId: u.auth_user_id, key: u.unclaimed! },
      ]),
  );
  return { tables, placeholders };
}

/** What a step was, as the checks need to know it. */
export type StepFacts = {
  /** A sign-in that proved this person's own address (a provider's word, a code, a link). */
  provedBy?: number;
  /** Steps that may remove a placeholder without a claim. */
  mayRemovePlaceholders?: boolean;
};

/**
 * Every invariant, after every step: each person's records, values and
 * templates are theirs and still there; suspended stays suspended; a
 * placeholder goes only to a verified sign-in for its address by a user
 * with no row yet (a new one, as a rule).
 */
export async function checkInvariants(
  world: World,
  before: Before,
  facts: StepFacts,
): Promise<Before> {
  const tables = await readAll(world.t);
  world.seen = tables;
  learnOwners(world, tables);
  const docOwner = (id: string) =>
    world.rowOwner.get(id) ?? world.userOwner.get(id);
  const exists = new Set([
    ...tables.users.map((u) => u._id as string),
    ...tables.rows.map((r) => r._id as string),
  ]);

  // 1. A pair is two records of one person.
  for (const user of tables.users) {
    const row = pairedRow(tables, user);
    if (row === null) continue;
    expect(
      world.rowOwner.get(row._id),
      `pair ${user._id} / ${row._id} of two people`,
    ).toBe(world.userOwner.get(user._id));
  }

  // 2. Every person-marked value (both tables, the users copies of the fold
  //    fields) sits on that person's own records only.
  for (const row of tables.rows) {
    for (const { app } of FOLD_VALUE_FIELDS) {
      const owner = valueOwner(row[app]);
      if (owner === undefined) continue;
      expect(
        world.rowOwner.get(row._id),
        `${app} ${String(row[app])} on row ${row._id} of another person`,
      ).toBe(owner);
    }
  }
  for (const user of tables.users) {
    for (const { users } of FOLD_VALUE_FIELDS) {
      const owner = valueOwner(user[users]);
      if (owner === undefined) continue;
      expect(
        world.userOwner.get(user._id),
        `${users} ${String(user[users])} on user ${user._id} of another person`,
      ).toBe(owner);
    }
  }

  // 3. Nothing of a person's is lost: their latest company on one of their
  //    records; their legacy templates all theirs.
  for (const [person, values] of world.company) {
    if (values === null) continue;
    const found = [
      ...tables.rows
        .filter((r) => world.rowOwner.get(r._id) === person)
        .map((r) => r.company),
      ...tables.users
        .filter((u) => world.userOwner.get(u._id) === person)
        .map((u) => u.company),
    ].some((value) => value !== undefined && values.has(value));
    expect(
      found,
      `person ${person}'s company ${[...values].join("|")} lost`,
    ).toBe(true);
  }
  for (const template of tables.templates) {
    const owner = valueOwner(template.title);
    const holder = docOwner(template.owner_id);
    if (!exists.has(template.owner_id)) {
      // Erasure leaves nothing behind: only a hand-made deletion (damage)
      // leaves a template naming nobody.
      expect(
        world.deletedByHand.has(template.owner_id),
        `template ${template._id} names ${template.owner_id}, deleted`,
      ).toBe(true);
      continue;
    }
    if (owner !== undefined) {
      expect(holder, `template ${template.title} of another person`).toBe(
        owner,
      );
    }
  }
  for (const person of world.templatesKept) {
    const mine = tables.templates.filter(
      (template) =>
        valueOwner(template.title) === person && exists.has(template.owner_id),
    );
    expect(mine.length, `person ${person}'s templates lost`).toBe(3);
  }

  // 4. A suspended account stays suspended, on both records while both
  //    are written (on users alone once the app table is not), and has no
  //    session. A suspended row's user is learned as suspended too, so the
  //    suspension is still checked once the row is retired.
  const { stage, move } = await world.t.query(internal.fold.foldStatus, {});
  const singleTable =
    ["writes_stopped", "verified", "retired"].includes(stage) ||
    move?.phase === "stop_writes";
  for (const id of [...world.suspended]) {
    const user = tables.users.find((u) => u._id === id);
    const row =
      tables.rows.find((r) => r._id === id) ??
      (user === undefined ? null : pairedRow(tables, user));
    if (user !== undefined) {
      expect(user.status, `user ${id} no longer suspended`).toBe("suspended");
      expect(tables.sessions.filter((s) => s.userId === id)).toEqual([]);
    }
    if (user === undefined && row !== null && row !== undefined) {
      const holder = tables.users.find((u) => pairedRow(tables, u) === row);
      if (holder !== undefined) world.suspended.add(holder._id);
    }
    if (!singleTable && row !== null && row !== undefined) {
      expect(row.status, `row ${row._id} no longer suspended`).toBe(
        "suspended",
      );
      const holder = tables.users.find((u) => pairedRow(tables, u) === row);
      if (holder !== undefined && holder.unclaimed === undefined) {
        expect(
          tables.sessions.filter((s) => s.userId === holder._id),
          `a suspended row's user ${holder._id} signed in`,
        ).toEqual([]);
      }
    }
  }

  // 5. A placeholder goes only with a claim by a sign-in that proved its
  //    address (its owner's), by a user with no row yet, or by a step that may
  //    remove it (rollback, deletion, damage).
  const beforeUsers = new Set(before.tables.users.map((u) => u._id as string));
  for (const [id, placeholder] of before.placeholders) {
    if (exists.has(id)) continue;
    const row = tables.rows.find((r) => r._id === placeholder.rowId);
    const claimer =
      row?.convex_user_id === undefined
        ? undefined
        : tables.users.find(
            (u) => u._id === row.convex_user_id && pairedRow(tables, u) === row,
          );
    if (claimer !== undefined && claimer.unclaimed === undefined) {
      const owner = world.rowOwner.get(row!._id);
      expect(facts.provedBy, `placeholder ${id} claimed unproven`).toBe(owner);
      expect(placeholder.key).toBe(PEOPLE[owner!]);
      // A new user, or one that had no row (its earlier sign-in's sync
      // failed, or its row was deleted by hand): as a legacy row is linked.
      const earlier = before.tables.users.find((u) => u._id === claimer._id);
      expect(
        earlier !== undefined && pairedRow(before.tables, earlier) !== null,
        "claimed by a user who had a row",
      ).toBe(false);
      continue;
    }
    // A claim whose row is gone (deleted by hand): the values went to a
    // new user of the person who proved the address.
    const prover = facts.provedBy;
    if (prover !== undefined && placeholder.key === PEOPLE[prover]) {
      expect(
        tables.users.some(
          (u) =>
            !beforeUsers.has(u._id) && world.userOwner.get(u._id) === prover,
        ),
        `placeholder ${id} claimed by no new user`,
      ).toBe(true);
      continue;
    }
    expect(
      facts.mayRemovePlaceholders === true,
      `placeholder ${id} vanished`,
    ).toBe(true);
  }
  return snapshotOf(tables);
}
