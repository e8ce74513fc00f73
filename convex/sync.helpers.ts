/**
 * Helpers that drive the app through its real code paths, shared by the tests
 * (convex/test.helpers.ts), the demo and the benchmark (scripts/). A
 * multi-dot file, so the Convex CLI never deploys it.
 */
import type { TestConvex } from "convex-test";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import type schema from "./schema";
import { checkTables } from "./syncPolicy";

export type Backend = TestConvex<typeof schema>;

export type OAuthProfile = {
  name?: string;
  email?: string;
  image?: string;
  emailVerified?: boolean;
};

/**
 * Signs in through Convex Auth's real `auth:store` mutation, exactly as the
 * OAuth callback route does after the provider redirect: verifier, signature,
 * userOAuth (which runs our afterUserCreatedOrUpdated callback), then code
 * verification and session creation.
 *
 * @example
 * const { userId, asUser } = await signInWithOAuth(t, {
 *   providerAccountId: "gh-1",
 *   profile: { name: "Ada", email: "ada@example.com" },
 * });
 */
export async function signInWithOAuth(
  t: Backend,
  options: {
    provider?: "github" | "google";
    providerAccountId: string;
    profile: OAuthProfile;
  },
) {
  const provider = options.provider ?? "github";
  const verifier = (await t.mutation(internal.auth.store, {
    args: { type: "verifier" },
  })) as string;
  const signature = `signature-${verifier}`;
  await t.mutation(internal.auth.store, {
    args: { type: "verifierSignature", verifier, signature },
  });
  const code = (await t.mutation(internal.auth.store, {
    args: {
      type: "userOAuth",
      provider,
      providerAccountId: options.providerAccountId,
      profile: options.profile,
      signature,
    },
  })) as string;
  const session = (await t.mutation(internal.auth.store, {
    args: {
      type: "verifyCodeAndSignIn",
      params: { code },
      verifier,
      generateTokens: false,
      allowExtraProviders: false,
    },
  })) as { userId: Id<"users">; sessionId: Id<"authSessions"> } | null;
  if (session === null) throw new Error("sign-in returned no session");
  return {
    ...session,
    asUser: t.withIdentity({
      subject: `${session.userId}|${session.sessionId}`,
    }),
  };
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
  return checkTables(users, authUsers);
}

/** Makes the person with this email an administrator, as an operator would. */
export async function makeAdmin(t: Backend, email: string): Promise<void> {
  await t.mutation(internal.admin.setAdmin, { email, isAdmin: true });
}
