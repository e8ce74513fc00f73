/**
 * The suite's sign-in drivers for an app on Convex Auth v1 (0.0.x), shared
 * by every v1 example's conformance.helpers.ts: password sign-ins through
 * the app's own `auth:signIn` action, as a client makes them, and its
 * sign-in records read from Convex Auth's `authAccounts` and
 * `authSessions` tables. Also the cheap password hash the examples' test
 * copies of their `auth` module mount.
 */
import type { FunctionReference } from "convex/server";
import type { GenericId } from "convex/values";
import type { Backend, ConformanceApp, SignInRecords } from "./app";

type Tokens = { token: string; refreshToken: string };

/** The user and session a Convex Auth v1 JWT names (`sub` = "user|session"). */
export function sessionOfToken(token: string) {
  const payload = JSON.parse(
    atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")),
  ) as { sub: string };
  const [userId, sessionId] = payload.sub.split("|") as [
    GenericId<"users">,
    GenericId<"authSessions">,
  ];
  return { userId, sessionId };
}

/**
 * A v1 app's drivers: `signIn` is its `auth:signIn` action, and
 * `passwordProvider` the id of its Password provider (one without email
 * verification: the sign-up proves no address).
 *
 * @example const app = { ...convexAuthV1({ signIn: api.auth.signIn, passwordProvider: "password" }), ... };
 */
export function convexAuthV1(options: {
  signIn: FunctionReference<"action", "public">;
  passwordProvider: string;
}): Pick<ConformanceApp, "passwordSignIn" | "signInRecords" | "capabilities"> {
  const { signIn, passwordProvider } = options;
  return {
    capabilities: { passwordProvesAddress: false, signUpAgainSignsIn: true },
    // A refusal is the action's own error (a ConvexError keeps its code).
    passwordSignIn: async (t, params) => {
      const { tokens } = (await t.action(signIn, {
        provider: passwordProvider,
        params,
      })) as { tokens?: Tokens | null };
      if (tokens === undefined || tokens === null) {
        throw new Error("The sign-in completed without a session");
      }
      const { userId, sessionId } = sessionOfToken(tokens.token);
      return {
        userId,
        sessionId,
        asUser: t.withIdentity({ subject: `${userId}|${sessionId}` }),
      };
    },
    signInRecords: async (t: Backend): Promise<SignInRecords> =>
      await t.run(async (ctx) => {
        const accounts = await ctx.db.query("authAccounts").collect();
        const sessions = await ctx.db.query("authSessions").collect();
        return {
          accounts: accounts.map((account) => ({
            userId: account.userId as string,
            passwordEmail:
              account.provider === passwordProvider
                ? (account.providerAccountId as string)
                : null,
            stored: account,
          })),
          sessions: sessions.map((session) => ({
            sessionId: session._id as string,
            userId: session.userId as string,
            stored: session,
          })),
        };
      }),
  };
}

/**
 * Password hashing for tests: scrypt takes about 100 ms a hash, and the
 * property test signs up and in hundreds of times. The sync never sees a
 * hash. For a test-only copy of the app's `auth` module.
 */
export const cheapHash = {
  hashSecret: (secret: string) => Promise.resolve(`test-only:${secret}`),
  verifySecret: (secret: string, hash: string) =>
    Promise.resolve(hash === `test-only:${secret}`),
};

/** A Password provider (ConvexCredentials keeps settings in `options`). */
export function withCheapHash<T>(provider: T): T {
  const { options } = provider as { options: object };
  return { ...provider, options: { ...options, crypto: cheapHash } };
}
