/**
 * Who gets what from every public function of the seed (docs/access.md):
 * each caller kind (signed out, guest, signed in, suspended, administrator)
 * through every function a client can call. The functions are enumerated
 * from the deployed modules, so a new public function without a row here
 * fails the first test.
 */
import { type FunctionReference, makeFunctionReference } from "convex/server";
import { describe, expect, test } from "vitest";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import type { ErrorCode } from "./errors";
import {
  type Backend,
  expectAppError,
  expectRejectedWithoutWrites,
  insertLegacyRow,
  makeAdmin,
  modules,
  newBackend,
  readTables,
  signInWithOAuth,
  useFakeClock,
} from "./test.helpers";
import { signInOrThrow, startOAuthSignIn } from "./signIn.helpers";
import {
  type FunctionKind,
  publicFunctions,
} from "../../../conformance/publicFunctions";

const T0 = Date.UTC(2026, 6, 1, 9, 0, 0);

useFakeClock(T0);

const KINDS = ["signedOut", "guest", "user", "suspended", "admin"] as const;
type Kind = (typeof KINDS)[number];

/**
 * What a caller gets: null; its own full record; its own data export; the
 * public profile or the
 * full record of the person asked about; an answer of any other shape (a
 * caller allowed in); true or false; or a ConvexError of this code (for a
 * mutation: with nothing written).
 */
type Outcome =
  | "null"
  | "own"
  | "ownExport"
  | "public"
  | "full"
  | "allowed"
  | "true"
  | "false"
  | ErrorCode;

/**
 * A world with one of each caller kind and the people they ask about:
 * Bob, who signed in (a teammate), and Grace, who never did (a legacy row
 * with her name, company and role), whose address an unverified sign-up
 * (Gus) claimed: a case in the review queue.
 */
async function world() {
  const t = newBackend();
  const graceRow = await insertLegacyRow(t, {
    email: "grace@example.com",
    full_name: "Grace Hopper",
    company: "US Navy",
    role: "Rear Admiral",
  });
  const oauth = (id: string, email: string, emailVerified = true) =>
    signInWithOAuth(t, {
      providerAccountId: id,
      profile: { name: id, email, emailVerified },
    });
  const bob = await oauth("gh-bob", "bob@example.com");
  const gus = await oauth("gh-gus", "grace@example.com", false);
  const user = await oauth("gh-ada", "ada@example.com");
  const suspended = await oauth("gh-sam", "sam@example.com");
  const admin = await oauth("gh-root", "root@example.com");
  const guest = await signInOrThrow(t, "anonymous", {});
  await makeAdmin(t, "root@example.com");
  await t.mutation(internal.admin.setStatus, {
    email: "sam@example.com",
    status: "suspended",
  });
  // The imported row's directory search text, as an operator backfills it.
  await t.mutation(internal.directory.backfillSearchText, {});
  const { authUsers, reviews } = await readTables(t);
  const rowOf = (userId: Id<"users">) =>
    authUsers.find((row) => row.convex_user_id === userId)!._id;
  const [review] = reviews;
  const cases = await t.query(internal.reviews.openCases, {
    paginationOpts: { numItems: 1, cursor: null },
  });
  const callers: Record<Kind, Pick<Backend, FunctionKind>> = {
    signedOut: t,
    guest: guest.asUser,
    user: user.asUser,
    suspended: suspended.asUser,
    admin: admin.asUser,
  };
  const ids: Record<Kind, Id<"users"> | null> = {
    signedOut: null,
    guest: guest.userId,
    user: user.userId,
    suspended: suspended.userId,
    admin: admin.userId,
  };
  return {
    t,
    callers,
    ids,
    bob: { userId: bob.userId, rowId: rowOf(bob.userId) },
    gus: { userId: gus.userId, rowId: rowOf(gus.userId) },
    graceRow,
    review: { reviewId: review!._id, version: cases.page[0]!.version },
  };
}
type World = Awaited<ReturnType<typeof world>>;

/** One call of a function and what each caller kind gets from it. */
type Probe = {
  what: string;
  args: (w: World, kind: Kind) => Record<string, unknown>;
  /** Whose record "public" and "full" must be. */
  target?: (w: World) => { userId: string | null; authUserId: string };
  expect: Record<Kind, Outcome>;
};

const each = (outcome: Outcome): Record<Kind, Outcome> => ({
  signedOut: outcome,
  guest: outcome,
  user: outcome,
  suspended: outcome,
  admin: outcome,
});
/** The console's and the admin utilities' rule. */
const adminOnly: Record<Kind, Outcome> = {
  signedOut: "UNAUTHENTICATED",
  guest: "FORBIDDEN",
  user: "FORBIDDEN",
  suspended: "FORBIDDEN",
  admin: "allowed",
};
const bobTarget = (w: World) => ({
  userId: w.bob.userId,
  authUserId: w.bob.rowId,
});
const graceTarget = (w: World) => ({ userId: null, authUserId: w.graceRow });
const resolution = (w: World) => w.review;

/** Every public function of the seed: its probes. */
const ACCESS: Record<string, Probe[]> = {
  "auth:signIn": [
    {
      what: "a new guest",
      args: () => ({ provider: "anonymous", params: {} }),
      expect: each("allowed"),
    },
  ],
  "auth:signOut": [{ what: "", args: () => ({}), expect: each("null") }],
  "auth:isAuthenticated": [
    {
      what: "",
      args: () => ({}),
      // A suspended account's sessions are ended, but its token is still
      // valid (up to an hour); every function of the app refuses it.
      expect: { ...each("true"), signedOut: "false" },
    },
  ],
  "users:getCurrentUser": [
    {
      what: "",
      args: () => ({}),
      expect: { ...each("own"), signedOut: "null", suspended: "null" },
    },
  ],
  "users:getUserById": [
    {
      what: "oneself",
      args: (w, kind) => ({ id: w.ids[kind] ?? w.bob.userId }),
      expect: { ...each("own"), signedOut: "null", suspended: "null" },
    },
    {
      what: "a teammate who signed in, by users id",
      args: (w) => ({ id: w.bob.userId }),
      target: bobTarget,
      expect: {
        signedOut: "null",
        guest: "null",
        user: "public",
        suspended: "null",
        admin: "full",
      },
    },
    {
      what: "a teammate who signed in, by auth_users id",
      args: (w) => ({ id: w.bob.rowId }),
      target: bobTarget,
      expect: {
        signedOut: "null",
        guest: "null",
        user: "public",
        suspended: "null",
        admin: "full",
      },
    },
    {
      what: "a person who never signed in",
      args: (w) => ({ id: w.graceRow }),
      target: graceTarget,
      expect: { ...each("null"), admin: "full" },
    },
  ],
  "users:getUserByEmail": [
    {
      what: "a teammate who signed in",
      args: () => ({ email: "BOB@example.com " }),
      target: bobTarget,
      expect: {
        signedOut: "null",
        guest: "null",
        user: "public",
        suspended: "null",
        admin: "full",
      },
    },
    {
      what: "a person who never signed in",
      args: () => ({ email: "grace@example.com" }),
      target: graceTarget,
      expect: { ...each("null"), admin: "full" },
    },
    {
      what: "an address nobody holds",
      args: () => ({ email: "nobody@example.com" }),
      expect: each("null"),
    },
  ],
  "users:exportMyData": [
    {
      what: "",
      args: () => ({}),
      expect: { ...each("ownExport"), signedOut: "null", suspended: "null" },
    },
  ],
  "users:updateUserProfile": [
    {
      what: "",
      args: () => ({ company: "Acme" }),
      expect: {
        signedOut: "UNAUTHENTICATED",
        guest: "own",
        user: "own",
        suspended: "FORBIDDEN",
        admin: "own",
      },
    },
  ],
  "users:deleteAccount": [
    {
      what: "",
      args: () => ({}),
      expect: {
        signedOut: "UNAUTHENTICATED",
        guest: "null",
        user: "null",
        suspended: "FORBIDDEN",
        admin: "null",
      },
    },
  ],
  "userSync:syncAuthUserToConvexUser": [
    { what: "", args: (w) => ({ authUserId: w.bob.rowId }), expect: adminOnly },
  ],
  "userSync:syncConvexUserToAuthUser": [
    { what: "", args: (w) => ({ userId: w.bob.userId }), expect: adminOnly },
  ],
  "console:runs": [
    {
      what: "",
      args: () => ({ paginationOpts: { numItems: 5, cursor: null } }),
      expect: adminOnly,
    },
  ],
  "console:run": [
    {
      what: "a run that does not exist",
      args: () => ({ runId: "nope" }),
      expect: { ...adminOnly, admin: "INVALID_ARGUMENT" },
    },
  ],
  "console:foldStatus": [{ what: "", args: () => ({}), expect: adminOnly }],
  "console:moveFold": [
    {
      what: "expand, forward",
      args: () => ({ phase: "expand", direction: "forward" }),
      expect: adminOnly,
    },
    {
      what: "a rollback without its confirmation",
      args: () => ({ phase: "expand", direction: "back" }),
      expect: { ...adminOnly, admin: "INVALID_ARGUMENT" },
    },
  ],
  "console:startRun": [{ what: "", args: () => ({}), expect: adminOnly }],
  "console:resumeRun": [
    {
      what: "a run that does not exist",
      args: () => ({ runId: "nope" }),
      expect: { ...adminOnly, admin: "INVALID_ARGUMENT" },
    },
  ],
  "console:driftSummary": [{ what: "", args: () => ({}), expect: adminOnly }],
  "console:openCases": [
    {
      what: "",
      args: () => ({ paginationOpts: { numItems: 5, cursor: null } }),
      expect: adminOnly,
    },
  ],
  "console:link": [
    {
      what: "",
      args: (w) => ({
        ...resolution(w),
        userId: w.gus.userId,
        rowId: w.graceRow,
        retireCurrent: w.gus.rowId,
      }),
      expect: adminOnly,
    },
  ],
  "console:keepSeparate": [
    {
      what: "",
      args: (w) => ({
        ...resolution(w),
        userId: w.gus.userId,
        rowId: w.graceRow,
      }),
      expect: adminOnly,
    },
  ],
  "console:retire": [
    {
      what: "",
      args: (w) => ({ ...resolution(w), rowId: w.graceRow }),
      expect: adminOnly,
    },
  ],
  "console:dismiss": [
    { what: "", args: (w) => resolution(w), expect: adminOnly },
  ],
  "console:caseById": [
    {
      what: "",
      args: (w) => ({ reviewId: resolution(w).reviewId }),
      expect: adminOnly,
    },
  ],
  "console:previewResolution": [
    {
      what: "",
      args: (w) => ({ ...resolution(w), action: "dismiss" }),
      expect: adminOnly,
    },
  ],
  "console:searchUsers": [
    { what: "", args: () => ({ query: "grace" }), expect: adminOnly },
  ],
  "directory:page": [
    {
      what: "",
      args: () => ({ paginationOpts: { numItems: 5, cursor: null } }),
      expect: adminOnly,
    },
  ],
  "directory:search": [
    { what: "", args: () => ({ query: "grace" }), expect: adminOnly },
  ],
  "directory:person": [
    { what: "", args: (w) => ({ id: w.bob.userId }), expect: adminOnly },
  ],
  "console:auditLog": [
    {
      what: "",
      args: () => ({ paginationOpts: { numItems: 5, cursor: null } }),
      expect: adminOnly,
    },
  ],
};

/** Asserts what `kind` got from one call. */
async function expectOutcome(
  w: World,
  kind: Kind,
  fnKind: FunctionKind,
  name: string,
  probe: Probe,
) {
  const caller = w.callers[kind];
  const ref = makeFunctionReference(name) as FunctionReference<FunctionKind>;
  const run = () =>
    (caller[fnKind] as (ref: unknown, args: unknown) => Promise<unknown>)(
      ref,
      probe.args(w, kind),
    );
  const outcome = probe.expect[kind];
  const label = `${name} ${probe.what} as ${kind}`;
  switch (outcome) {
    case "null":
    case "true":
    case "false":
      expect(await run(), label).toBe(JSON.parse(outcome));
      return;
    case "allowed":
      await run();
      return;
    case "own": {
      const view = (await run()) as { visibility: string; userId: string };
      expect(view, label).toMatchObject({
        visibility: "full",
        userId: w.ids[kind],
      });
      return;
    }
    case "ownExport": {
      // A person's own data, and nobody else's.
      const data = (await run()) as { user: { _id: string } } | null;
      expect(data?.user._id, label).toBe(w.ids[kind]);
      return;
    }
    case "public":
    case "full": {
      const view = (await run()) as Record<string, unknown>;
      expect(view, label).toMatchObject({
        visibility: outcome,
        ...probe.target!(w),
      });
      // The public profile is that: nothing private.
      if (outcome === "public") {
        expect(Object.keys(view).sort(), label).toEqual(
          ["authUserId", "company", "image", "name", "role", "userId"]
            .concat("visibility")
            .sort(),
        );
      }
      return;
    }
    default:
      if (fnKind === "mutation") {
        await expectRejectedWithoutWrites(w.t, run, outcome);
      } else {
        await expectAppError(run(), outcome);
      }
  }
}

describe("who gets what from every public function", () => {
  test("every public function of the seed has a row here, and only those", async () => {
    const found = await publicFunctions(modules);
    expect([...found.keys()].sort()).toEqual(Object.keys(ACCESS).sort());
  });

  let readOnly: Promise<World> | undefined;
  const rows = Object.entries(ACCESS).flatMap(([name, probes]) =>
    probes.flatMap((probe) => KINDS.map((kind) => ({ name, probe, kind }))),
  );
  test.each(rows)(
    "$name $probe.what as $kind",
    async ({ name, probe, kind }) => {
      const fnKind = (await publicFunctions(modules)).get(name)!;
      // Queries write nothing: they share one world.
      const w =
        fnKind === "query" ? await (readOnly ??= world()) : await world();
      await expectOutcome(w, kind, fnKind, name, probe);
    },
  );
});

describe("lookups reveal nothing to guests, nor anyone who never signed in", () => {
  test("a guest probing a never-signed-in person's address gets nothing", async () => {
    const w = await world();
    for (const email of ["grace@example.com", "bob@example.com"]) {
      expect(
        await w.callers.guest.query(api.users.getUserByEmail, { email }),
      ).toBeNull();
    }
  });

  test("a signed-in user learns nothing of a person who never signed in, by address or row id", async () => {
    const w = await world();
    const { user } = w.callers;
    expect(
      await user.query(api.users.getUserByEmail, {
        email: "grace@example.com",
      }),
    ).toBeNull();
    expect(
      await user.query(api.users.getUserById, { id: w.graceRow }),
    ).toBeNull();
  });
});

describe("a sign-in never completed is nobody's to find (found by review)", () => {
  const eve = {
    sub: "g-eve",
    email: "eve@corp.com",
    email_verified: true,
    name: "Eve Example",
    picture: "https://example.com/eve.png",
  };

  test("by address: an OAuth sign-in never redeemed, or refused for a suspension", async () => {
    const t = newBackend();
    const bob = await signInWithOAuth(t, {
      providerAccountId: "gh-bob",
      profile: { name: "Bob", email: "bob@corp.com", emailVerified: true },
    });
    await startOAuthSignIn(t, "google", eve);
    expect(
      await bob.asUser.query(api.users.getUserByEmail, {
        email: "eve@corp.com",
      }),
    ).toBeNull();
  });

  test("by users id: a legacy row is never joined to a sign-in never completed", async () => {
    const t = newBackend();
    const bob = await signInWithOAuth(t, {
      providerAccountId: "gh-bob",
      profile: { name: "Bob", email: "bob@corp.com", emailVerified: true },
    });
    await startOAuthSignIn(t, "google", eve);
    const legacy = await insertLegacyRow(t, {
      email: "eve@corp.com",
      company: "Corp",
      role: "CFO",
    });
    // The id leaked somehow (an old invitation, a log): still nothing.
    const pending = (await readTables(t)).users.find(
      (u) => u.email === "eve@corp.com",
    )!;
    for (const id of [pending._id, legacy]) {
      expect(await bob.asUser.query(api.users.getUserById, { id })).toBeNull();
    }
  });
});
