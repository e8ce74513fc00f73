/**
 * Helpers that drive the app through its real code paths, shared by the tests
 * (convex/test.helpers.ts), the demo and the benchmark (scripts/). A
 * multi-dot file, so the Convex CLI never deploys it.
 */
import type { TestConvex } from "convex-test";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import type schema from "./schema";
import { STARTER_TEMPLATES } from "./starterTemplates";
import { userSync } from "./sync";
import type { Metrics } from "./validators";
import {
  emptyMetrics,
  measuredPasswordSignIn as sharedPasswordSignIn,
  storeRunner as sharedStoreRunner,
} from "../../../dev/cost";

export { CONVEX_LIMITS, emptyMetrics, QUARTER_LIMITS } from "../../../dev/cost";

export type Backend = TestConvex<typeof schema>;

/**
 * A provider profile as the configured providers hand it to Convex Auth.
 * `emailVerified` is the provider's claim for the address; it defaults to
 * true here, as GitHub and Google send it for a verified address.
 */
export type OAuthProfile = {
  name?: string;
  email?: string;
  image?: string;
  emailVerified?: boolean;
};

/** One OAuth sign-in: which provider account, with what provider profile. */
export type OAuthSignIn = {
  provider?: "github" | "google";
  providerAccountId: string;
  profile: OAuthProfile;
  /** The Convex Auth instance: the app's, or cost.helpers.ts's baseline. */
  store?: Store;
};

/**
 * Signs in through Convex Auth's real `auth:store` mutation, exactly as the
 * OAuth routes do after the provider redirect: verifier, signature,
 * userOAuth (which runs the afterUserCreatedOrUpdated callback), then code
 * verification and session creation (beforeSessionCreation, the sync). The
 * cheap path for high-volume tests; convex/signIn.helpers.ts drives the
 * routes themselves.
 *
 * @example
 * const { userId, asUser } = await signInWithOAuth(t, {
 *   providerAccountId: "gh-1",
 *   profile: { name: "Ada", email: "ada@example.com" },
 * });
 */
export async function signInWithOAuth(
  t: Backend,
  options: Omit<OAuthSignIn, "store">,
) {
  const { session } = await runOAuthSignIn(t, options);
  return {
    ...session,
    asUser: t.withIdentity({
      subject: `${session.userId}|${session.sessionId}`,
    }),
  };
}

/** Which Convex Auth instance runs a sign-in: the app's, or cost.helpers.ts's. */
export type Store = "auth:store" | "costBaseline:store";

/** Runs `auth:store` steps, measured through costBaseline:measure when `meter` is given. */
function storeRunner(t: Backend, store: Store, meter?: Metrics) {
  return sharedStoreRunner(t, store, meter);
}

/**
 * A whole OAuth sign-in (all four transactions) measured: `store` picks the
 * Convex Auth instance, the app's or the callback-free baseline of
 * cost.helpers.ts (mount COST_MODULES first).
 *
 * @example const { metrics } = await measuredOAuthSignIn(t, { providerAccountId, profile });
 */
export async function measuredOAuthSignIn(t: Backend, options: OAuthSignIn) {
  const metrics = emptyMetrics();
  await runOAuthSignIn(t, options, metrics);
  return { metrics };
}

/** A whole returning password sign-in measured (../../../dev/cost.ts). */
export async function measuredPasswordSignIn(
  t: Backend,
  options: { email: string; password: string; store: Store },
) {
  return await sharedPasswordSignIn(t, options);
}

/**
 * A whole returning sign-in by emailed code measured: the code stored (as
 * the `resend-otp` request does, before its email goes out), then redeemed.
 */
export async function measuredEmailCodeSignIn(
  t: Backend,
  options: { email: string; code: string; store: Store },
) {
  const metrics = emptyMetrics();
  const run = storeRunner(t, options.store, metrics);
  await run({
    type: "createVerificationCode",
    provider: "resend-otp",
    email: options.email,
    code: options.code,
    expirationTime: Date.now() + 60_000,
    allowExtraProviders: false,
  });
  const session = await run({
    type: "verifyCodeAndSignIn",
    params: { email: options.email, code: options.code },
    provider: "resend-otp",
    generateTokens: true,
    allowExtraProviders: false,
  });
  if (session === null) throw new Error("resend-otp: no session");
  return { metrics };
}

async function runOAuthSignIn(
  t: Backend,
  options: OAuthSignIn,
  meter?: Metrics,
) {
  const run = storeRunner(t, options.store ?? "auth:store", meter);
  const verifier = (await run({ type: "verifier" })) as string;
  const signature = `signature-${verifier}`;
  await run({ type: "verifierSignature", verifier, signature });
  const code = (await run({
    type: "userOAuth",
    provider: options.provider ?? "github",
    providerAccountId: options.providerAccountId,
    profile: { emailVerified: true, ...options.profile },
    signature,
  })) as string;
  const session = (await run({
    type: "verifyCodeAndSignIn",
    params: { code },
    verifier,
    generateTokens: false,
    allowExtraProviders: false,
  })) as { userId: Id<"users">; sessionId: Id<"authSessions"> } | null;
  if (session === null) throw new Error("sign-in returned no session");
  return { session };
}

/** The open cases of the review queue (one page, as many as it holds). */
export async function openCases(t: Backend) {
  return (
    await t.query(internal.reviews.openCases, {
      paginationOpts: { numItems: 20, cursor: null },
    })
  ).page;
}

/** Both user tables and the templates, for assertions. */
export async function readTables(t: Backend) {
  return await t.run(async (ctx) => ({
    users: await ctx.db.query("users").collect(),
    authUsers: await ctx.db.query("auth_users").collect(),
    templates: await ctx.db.query("starter_templates").collect(),
    reviews: await ctx.db.query("sync_reviews").collect(),
  }));
}

/** Inserts an auth_users row as it existed before the sync (no references). */
export async function insertLegacyRow(
  t: Backend,
  fields: {
    email?: string;
    full_name?: string;
    avatar_url?: string;
    company?: string;
    role?: string;
  },
  at = Date.now(),
): Promise<Id<"auth_users">> {
  return await t.run(async (ctx) =>
    ctx.db.insert("auth_users", { ...fields, created_at: at, updated_at: at }),
  );
}

/** checkTables over the whole (small) deployment. */
export async function checkConsistency(t: Backend) {
  const { users, authUsers } = await readTables(t);
  return userSync.checkTables(users, authUsers);
}

/** Makes the person with this email an administrator, as an operator would. */
export async function makeAdmin(t: Backend, email: string): Promise<void> {
  await t.mutation(internal.admin.setAdmin, { email, isAdmin: true });
}

export type SeedMixOptions = {
  /** Every row owns the starter templates, by row id (the fold's bench). */
  templates?: boolean;
};

/**
 * Seeds a realistic mix of `n` identities in the state a deployment is in
 * before the migration: linked pairs (most), users with an unlinked legacy row
 * of the same verified email, users alone, legacy rows alone, drifted fields,
 * dangling and one-sided references, duplicate and unverified email claims,
 * unnormalized imported emails. Inserted raw, as old code or an import would.
 * With `templates`, every row owns the starter templates by its id, as
 * before the fold.
 *
 * @example await seedMix(t, 500);
 * @example await seedMix(t, 500, undefined, { templates: true });
 */
export async function seedMix(
  t: Backend,
  n: number,
  at = 1_700_000_000_000,
  options: SeedMixOptions = {},
) {
  const BATCH = 200;
  for (let start = 0; start < n; start += BATCH) {
    await t.run(async (ctx) => {
      // The starter templates a legacy app gave a row: owned by its id.
      const owns = async (rowId: Id<"auth_users">) => {
        if (options.templates !== true) return rowId;
        for (const template of STARTER_TEMPLATES) {
          await ctx.db.insert("starter_templates", {
            owner_id: rowId,
            ...template,
            created_at: at,
          });
        }
        return rowId;
      };
      for (let i = start; i < Math.min(n, start + BATCH); i++) {
        const email = `person${i}@example.com`;
        const kind = i % 20;
        const legacy = {
          email,
          full_name: `Legacy ${i}`,
          company: `Company ${i % 7}`,
          role: "Developer",
          created_at: at,
          updated_at: at,
        };
        const verifiedUser = {
          name: `user${i}`,
          email,
          emailVerificationTime: at,
        };
        if (kind <= 7) {
          // A consistent, linked pair.
          const userId = await ctx.db.insert("users", {
            ...verifiedUser,
            updatedAt: at,
            lastLoginAt: at,
            // The fold's copies of the row's own fields (convex/sync.ts).
            company: legacy.company,
            createdAt: at,
          });
          const authUserId = await owns(
            await ctx.db.insert("auth_users", {
              convex_user_id: userId,
              email,
              email_verified: true,
              full_name: `user${i}`,
              company: legacy.company,
              last_login_at: at,
              created_at: at,
              updated_at: at,
            }),
          );
          await ctx.db.patch("users", userId, { auth_user_id: authUserId });
        } else if (kind <= 10) {
          // A legacy row and its owner's user, not yet linked.
          await owns(await ctx.db.insert("auth_users", legacy));
          await ctx.db.insert("users", verifiedUser);
        } else if (kind <= 12) {
          await ctx.db.insert("users", verifiedUser);
        } else if (kind <= 14) {
          // A legacy row whose owner never signed in; some imported with an
          // unnormalized email.
          await owns(
            await ctx.db.insert("auth_users", {
              ...legacy,
              email: kind === 14 ? `  Person${i}@Example.COM ` : email,
            }),
          );
        } else if (kind === 15) {
          // A linked pair that drifted: dashboard edits on both sides.
          const userId = await ctx.db.insert("users", {
            ...verifiedUser,
            name: "edited in dashboard",
          });
          const authUserId = await owns(
            await ctx.db.insert("auth_users", {
              ...legacy,
              convex_user_id: userId,
              email: `typo${i}@example.com`,
              name_source: "user",
            }),
          );
          await ctx.db.patch("users", userId, { auth_user_id: authUserId });
        } else if (kind === 16) {
          // Dangling references, one from each side.
          const gone = await ctx.db.insert("auth_users", legacy);
          await ctx.db.delete("auth_users", gone);
          await ctx.db.insert("users", { ...verifiedUser, auth_user_id: gone });
          const goneUser = await ctx.db.insert("users", { name: "gone" });
          await ctx.db.delete("users", goneUser);
          await owns(
            await ctx.db.insert("auth_users", {
              ...legacy,
              email: `left${i}@example.com`,
              convex_user_id: goneUser,
            }),
          );
        } else if (kind === 17) {
          // One-sided: the row points at the user, not back.
          const userId = await ctx.db.insert("users", verifiedUser);
          await owns(
            await ctx.db.insert("auth_users", {
              ...legacy,
              convex_user_id: userId,
            }),
          );
        } else if (kind === 18) {
          // Two unlinked rows claim one verified email.
          await owns(await ctx.db.insert("auth_users", legacy));
          await owns(
            await ctx.db.insert("auth_users", { ...legacy, company: "Other" }),
          );
          await ctx.db.insert("users", verifiedUser);
        } else {
          // An unverified claim to a legacy row's email.
          await owns(await ctx.db.insert("auth_users", legacy));
          await ctx.db.insert("users", { name: `claim${i}`, email });
        }
      }
    });
  }
}

/**
 * Seeds `n` people already in step: a verified user and its row, naming
 * each other, their fields agreeing (what a health run checks).
 *
 * @example await seedPairs(t, 500);
 */
export async function seedPairs(t: Backend, n: number, at = 1_700_000_000_000) {
  const BATCH = 200;
  for (let start = 0; start < n; start += BATCH) {
    await t.run(async (ctx) => {
      for (let i = start; i < Math.min(n, start + BATCH); i++) {
        const email = `pair${i}@example.com`;
        const userId = await ctx.db.insert("users", {
          name: `Pair ${i}`,
          email,
          emailVerificationTime: at,
          updatedAt: at,
          lastLoginAt: at,
          // The fold's copies of the row's fields (convex/sync.ts).
          createdAt: at,
          emailKey: email,
          emailVerified: true,
          fullName: `Pair ${i}`,
        });
        const rowId = await ctx.db.insert("auth_users", {
          convex_user_id: userId,
          email,
          email_verified: true,
          full_name: `Pair ${i}`,
          last_login_at: at,
          created_at: at,
          updated_at: at,
        });
        await ctx.db.patch("users", userId, { auth_user_id: rowId });
      }
    });
  }
}

/**
 * Both tables in a form independent of document ids and creation times, to
 * compare the end states of two backends seeded alike.
 */
export async function canonicalState(t: Backend) {
  const { users, authUsers } = await readTables(t);
  const byId = new Map(authUsers.map((row) => [row._id as string, row]));
  const strip = <T extends Record<string, unknown>>(doc: T | undefined) => {
    if (doc === undefined) return null;
    const rest: Record<string, unknown> = { ...doc };
    for (const key of [
      "_id",
      "_creationTime",
      "auth_user_id",
      "convex_user_id",
    ]) {
      delete rest[key];
    }
    return rest;
  };
  const pairs = users.map((user) => ({
    user: strip(user),
    authUser: strip(
      user.auth_user_id ? byId.get(user.auth_user_id) : undefined,
    ),
  }));
  const unlinked = authUsers
    .filter((row) => row.convex_user_id === undefined)
    .map((row) => strip(row));
  const key = (value: unknown) => JSON.stringify(value);
  return {
    pairs: pairs.map(key).sort(),
    unlinked: unlinked.map(key).sort(),
  };
}
