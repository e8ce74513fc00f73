import type { FunctionReturnType } from "convex/server";
import { describe, expect, test } from "vitest";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { searchTextOf } from "./directorySearch";
import { forward, stage as foldStage } from "./fold.helpers";
import { signInOrThrow } from "./signIn.helpers";
import {
  type Backend,
  expectAppError,
  insertLegacyRow,
  makeAdmin,
  newBackend,
  runDueFunctions,
  signInWithOAuth,
  useFakeClock,
} from "./test.helpers";

const T0 = Date.UTC(2026, 4, 1, 9, 0, 0);
const LEGACY_AT = Date.UTC(2024, 0, 1);

useFakeClock(T0);

/** An administrator, a user, and `customers` legacy rows (backfilled). */
async function directoryWorld(customers = 12) {
  const t = newBackend();
  const admin = await signInWithOAuth(t, {
    providerAccountId: "gh-ada",
    profile: { name: "Ada Lovelace", email: "ada@example.org" },
  });
  await makeAdmin(t, "ada@example.org");
  const user = await signInWithOAuth(t, {
    providerAccountId: "gh-bob",
    profile: { name: "Bob Page", email: "bob@example.net" },
  });
  for (let i = 1; i <= customers; i++) {
    await insertLegacyRow(
      t,
      {
        email: `customer${i}@example.com`,
        full_name: `Customer ${i}`,
        company: "Globex",
      },
      LEGACY_AT + i,
    );
  }
  // The legacy rows were written raw, as an import would: the backfill.
  await t.mutation(internal.directory.backfillSearchText, {});
  await runDueFunctions(t);
  return { t, admin: admin.asUser, user };
}

async function directoryPages(
  t: Backend,
  as: Pick<Backend, "query">,
  numItems: number,
) {
  const names: (string | null)[][] = [];
  let cursor: string | null = null;
  for (;;) {
    const result: FunctionReturnType<typeof api.directory.page> =
      await as.query(api.directory.page, {
        paginationOpts: { numItems, cursor },
      });
    names.push(result.page.map((entry) => entry.name));
    if (result.isDone) return names;
    cursor = result.continueCursor;
  }
}

describe("the user directory", () => {
  test("lists every account newest first, a bounded page at a time", async () => {
    const { t, admin } = await directoryWorld(30);
    const pages = await directoryPages(t, admin, 5);
    expect(pages.map((page) => page.length)).toEqual([5, 5, 5, 5, 5, 5, 2]);
    // The two who signed in today, then the imported customers, newest first.
    expect(pages.flat()).toEqual([
      "Bob Page",
      "Ada Lovelace",
      ...Array.from({ length: 30 }, (_, i) => `Customer ${30 - i}`),
    ]);
    // However many a caller asks for: at most 25.
    const first = await admin.query(api.directory.page, {
      paginationOpts: { numItems: 1000, cursor: null },
    });
    expect(first.page).toHaveLength(25);
  });

  test("each entry: name, address, company, role, status, last sign-in, pair health", async () => {
    const { admin, user } = await directoryWorld(1);
    const { page } = await admin.query(api.directory.page, {
      paginationOpts: { numItems: 10, cursor: null },
    });
    const bob = page.find((entry) => entry.name === "Bob Page")!;
    expect(bob).toMatchObject({
      id: user.userId,
      email: "bob@example.net",
      company: null,
      status: "active",
      lastLoginAt: T0,
      pair: "paired",
      openCases: 0,
    });
    expect(page.find((entry) => entry.name === "Customer 1")).toMatchObject({
      userId: null,
      company: "Globex",
      lastLoginAt: null,
      pair: "no_pair",
    });
  });

  test("a one-sided pointer and an open case show in the pair's health", async () => {
    const { t, admin } = await directoryWorld(0);
    const rowId = await insertLegacyRow(t, {
      email: "grace@example.com",
      full_name: "Grace Hopper",
    });
    // A user naming the row, which does not name it back.
    await t.run(
      async (ctx) =>
        await ctx.db.insert("users", {
          email: "grace@example.com",
          auth_user_id: rowId,
        }),
    );
    await t.mutation(internal.directory.backfillSearchText, {});
    const [grace] = await admin.query(api.directory.search, {
      query: "grace",
    });
    expect(grace).toMatchObject({ rowId, pair: "one_sided" });

    // An unverified sign-up on a legacy row's address: a case for review.
    await insertLegacyRow(t, {
      email: "linus@example.com",
      full_name: "Linus",
    });
    await t.mutation(internal.directory.backfillSearchText, {});
    const linus = await signInWithOAuth(t, {
      providerAccountId: "gh-linus",
      profile: {
        name: "Linus T",
        email: "linus@example.com",
        emailVerified: false,
      },
    });
    const found = await admin.query(api.directory.search, { query: "linus" });
    expect(found.find((entry) => entry.id === linus.userId)?.openCases).toBe(1);
  });

  test("search finds a name or an address fragment, every word of it", async () => {
    const { admin } = await directoryWorld(60);
    const byName = await admin.query(api.directory.search, {
      query: "Customer 5",
    });
    const names = byName.map((entry) => entry.name);
    expect(names).toContain("Customer 5");
    // Every word: "Customer 50" starts with both, "Customer 15" does not.
    expect(names).toContain("Customer 50");
    expect(names).not.toContain("Customer 15");
    expect(names.every((name) => /^Customer 5\d*$/.test(name!))).toBe(true);

    const byDomain = await admin.query(api.directory.search, {
      query: "example.com",
    });
    expect(byDomain).toHaveLength(20);
    expect(byDomain.every((entry) => entry.email!.endsWith("@example.com")));
    expect(
      (await admin.query(api.directory.search, { query: "example" })).length,
    ).toBe(20);
    expect(
      await admin.query(api.directory.search, { query: "nobody-here" }),
    ).toEqual([]);
    expect(await admin.query(api.directory.search, { query: "  " })).toEqual(
      [],
    );
  });

  test("the app's own writes keep the search text: a sign-in, a rename", async () => {
    const { admin, user } = await directoryWorld(0);
    // Bob's row was written by the sign-in's sync, not the backfill.
    expect(
      (await admin.query(api.directory.search, { query: "bob page" })).map(
        (entry) => entry.id,
      ),
    ).toEqual([user.userId]);
    await user.asUser.mutation(api.users.updateUserProfile, {
      name: "Robert Paige",
    });
    expect(
      await admin.query(api.directory.search, { query: "bob page" }),
    ).toEqual([]);
    expect(
      (await admin.query(api.directory.search, { query: "paige" })).map(
        (entry) => entry.name,
      ),
    ).toEqual(["Robert Paige"]);
  });

  test("the backfill writes only rows whose text is missing or stale", async () => {
    const { t } = await directoryWorld(3);
    expect(await t.mutation(internal.directory.backfillSearchText, {})).toBe(0);
    const rowId: Id<"auth_users"> = await insertLegacyRow(t, {
      email: "New.Person@Example.com",
      full_name: "New Person",
    });
    expect(await t.mutation(internal.directory.backfillSearchText, {})).toBe(1);
    const row = await t.run(async (ctx) => ctx.db.get("auth_users", rowId));
    expect(row!.search_text).toBe(
      "new person new.person@example.com new.person example.com example com",
    );
  });

  test("is for administrators only", async () => {
    const { user } = await directoryWorld(1);
    await expectAppError(
      user.asUser.query(api.directory.page, {
        paginationOpts: { numItems: 5, cursor: null },
      }),
      "FORBIDDEN",
    );
    await expectAppError(
      user.asUser.query(api.directory.search, { query: "customer" }),
      "FORBIDDEN",
    );
    await expectAppError(
      user.asUser.query(api.directory.person, { id: user.userId }),
      "FORBIDDEN",
    );
  });
});

describe("a person's page", () => {
  test("both records, each field's owner and source, cases and audit entries", async () => {
    const { t, admin, user } = await directoryWorld(0);
    await t.mutation(internal.admin.setStatus, {
      email: "bob@example.net",
      status: "suspended",
    });
    const page = (await admin.query(api.directory.person, {
      id: user.userId,
    }))!;
    expect(page.user!._id).toBe(user.userId);
    expect(page.authUser!.convex_user_id).toBe(user.userId);
    expect(page.pair).toBe("paired");
    expect(
      page.fields.find((field) => field.appField === "full_name"),
    ).toMatchObject({
      owner: "provider",
      appValue: "Bob Page",
      agrees: true,
    });
    expect(page.audit.map((entry) => entry.action)).toContain(
      "admin:setStatus",
    );
    expect(page.cases).toEqual([]);
    // The same person by their row's id.
    const byRow = await admin.query(api.directory.person, {
      id: page.authUser!._id,
    });
    expect(byRow!.user!._id).toBe(user.userId);
    expect(
      await admin.query(api.directory.person, { id: "not an id" }),
    ).toBeNull();
  });

  test("a one-sided pointer shows the record it names", async () => {
    const { t, admin } = await directoryWorld(0);
    const rowId = await insertLegacyRow(t, { email: "kim@example.com" });
    const userId = await t.run(
      async (ctx) =>
        await ctx.db.insert("users", {
          email: "kim@example.com",
          auth_user_id: rowId,
        }),
    );
    const page = (await admin.query(api.directory.person, { id: userId }))!;
    expect(page.pair).toBe("one_sided");
    expect(page.authUser!._id).toBe(rowId);
  });

  test("open cases of a person, each with its id for a link", async () => {
    const { t, admin } = await directoryWorld(0);
    await insertLegacyRow(t, {
      email: "grace@example.com",
      full_name: "Grace Hopper",
    });
    const grace = await signInWithOAuth(t, {
      providerAccountId: "gh-grace",
      profile: {
        name: "Grace",
        email: "grace@example.com",
        emailVerified: false,
      },
    });
    const page = (await admin.query(api.directory.person, {
      id: grace.userId,
    }))!;
    expect(page.cases.map((review) => review.kind)).toEqual([
      "unverified_email_match",
    ]);
    expect(page.cases[0]!._id).toEqual(expect.any(String));
  });
});

/** The fold's phases up to `target`, each run driven to its end. */
async function foldTo(
  t: Backend,
  target: "reads_switched" | "writes_stopped" | "retired",
) {
  const phases = ["expand", "placeholders", "repoint", "switch_reads"] as const;
  for (const phase of phases) await forward(t, phase);
  if (target !== "reads_switched") await forward(t, "stop_writes");
  if (target === "retired") {
    await forward(t, "verify");
    await forward(t, "retire");
  }
  expect(await foldStage(t)).toBe(target);
}

describe.each(["reads_switched", "writes_stopped", "retired"] as const)(
  "the directory at the fold's stage %s",
  (target) => {
    test("lists, finds and opens a person who signed up since", async () => {
      const { t, admin } = await directoryWorld(3);
      await foldTo(t, target);
      const nina = await signInWithOAuth(t, {
        providerAccountId: "gh-nina",
        profile: { name: "Nina Newcomer", email: "nina@newco.io" },
      });
      // Newest first, everyone: the newcomer, those who signed in before the
      // fold, and the customers who never did (their placeholders).
      const { page } = await admin.query(api.directory.page, {
        paginationOpts: { numItems: 10, cursor: null },
      });
      expect(page.map((entry) => entry.name)).toEqual([
        "Nina Newcomer",
        "Bob Page",
        "Ada Lovelace",
        "Customer 3",
        "Customer 2",
        "Customer 1",
      ]);
      const onUsersAlone = target !== "reads_switched";
      expect(page[0]).toMatchObject({
        id: nina.userId,
        userId: nina.userId,
        email: "nina@newco.io",
        status: "active",
        pair: onUsersAlone ? "one_record" : "paired",
      });
      expect(typeof page[0]!.lastLoginAt).toBe("number");
      if (onUsersAlone) expect(page[0]!.rowId).toBeNull();
      // A customer who never signed in: their placeholder, with the row's
      // company.
      expect(page[3]).toMatchObject({ company: "Globex", lastLoginAt: null });

      // A guest, who has neither name nor address, is no match for anyone.
      await signInOrThrow(t, "anonymous", {});
      // By a name fragment, and by an address fragment.
      for (const query of ["newcomer", "Nina New", "newco", "nina@newco.io"]) {
        const found = await admin.query(api.directory.search, { query });
        expect(found.map((entry) => entry.id)).toEqual([nina.userId]);
      }
      const customers = await admin.query(api.directory.search, {
        query: "customer",
      });
      expect(customers.map((entry) => entry.name).sort()).toEqual([
        "Customer 1",
        "Customer 2",
        "Customer 3",
      ]);

      // Their page: the user, their record as the fold keeps it, each field.
      const person = (await admin.query(api.directory.person, {
        id: nina.userId,
      }))!;
      expect(person.user!._id).toBe(nina.userId);
      expect(person.pair).toBe(onUsersAlone ? "one_record" : "paired");
      expect(
        person.fields.find((field) => field.appField === "full_name"),
      ).toMatchObject({ appValue: "Nina Newcomer", agrees: true });
      expect(
        person.fields.find((field) => field.appField === "email"),
      ).toMatchObject({ appValue: "nina@newco.io" });
    });
  },
);

test("once reads are switched, the directory reads users: a row written past the sync shows nothing new", async () => {
  const { t, admin, user } = await directoryWorld(0);
  await foldTo(t, "reads_switched");
  await t.run(async (ctx) => {
    const row = (await ctx.db
      .query("auth_users")
      .withIndex("by_convex_user_id", (q) =>
        q.eq("convex_user_id", user.userId),
      )
      .unique())!;
    await ctx.db.patch("auth_users", row._id, {
      full_name: "Raw Edit",
      search_text: "raw edit",
    });
  });
  const { page } = await admin.query(api.directory.page, {
    paginationOpts: { numItems: 10, cursor: null },
  });
  expect(page.map((entry) => entry.name)).toEqual(["Bob Page", "Ada Lovelace"]);
  expect(await admin.query(api.directory.search, { query: "raw" })).toEqual([]);
  expect(
    (await admin.query(api.directory.search, { query: "bob" })).map(
      (entry) => entry.id,
    ),
  ).toEqual([user.userId]);
});

test("the backfill writes users' search text too, for the directory once reads are switched", async () => {
  const { t, admin, user } = await directoryWorld(0);
  await foldTo(t, "reads_switched");
  // Bob's user written past the app's functions: a stale search text.
  await t.run(
    async (ctx) =>
      await ctx.db.patch("users", user.userId, { searchText: "stale" }),
  );
  expect(await admin.query(api.directory.search, { query: "bob" })).toEqual([]);
  await t.mutation(internal.directory.backfillSearchText, {});
  await runDueFunctions(t);
  expect(
    (await admin.query(api.directory.search, { query: "bob" })).map(
      (entry) => entry.id,
    ),
  ).toEqual([user.userId]);
  // Nothing left to write on either table.
  expect(
    await t.mutation(internal.directory.backfillSearchText, {
      table: "users",
    }),
  ).toBe(0);
});

/** searchTextOf, the words a row is found by. */
describe("search text", () => {
  test("a name's words and an address's parts", () => {
    expect(
      searchTextOf({ full_name: "Ada  Lovelace", email: "ada.l@Example.org" }),
    ).toBe("ada lovelace ada.l@example.org ada.l l example.org example org");
    expect(searchTextOf({})).toBe("");
  });
});
