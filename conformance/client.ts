/**
 * Sign-ins through Convex Auth's own `signIn` action, as a client makes
 * them: the tokens it returns name the user and session.
 */
import type { Backend, ConformanceApp, SignedIn } from "./app";
import { ConvexError, type GenericId } from "convex/values";

type Tokens = { token: string; refreshToken: string };

/** The user and session a Convex Auth JWT names (`sub` = "user|session"). */
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

/** A password sign-up ("signUp") or sign-in ("signIn"); throws if refused. */
export async function passwordSignIn(
  t: Backend,
  app: ConformanceApp,
  params: { email: string; password: string; flow: "signUp" | "signIn" },
): Promise<SignedIn> {
  const { tokens } = (await t.action(app.signIn, {
    provider: app.passwordProvider,
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

/** A ConvexError's stable code (`data.code`), or undefined for anything else. */
export function codeOf(error: unknown): unknown {
  return error instanceof ConvexError
    ? (error.data as { code?: unknown }).code
    : undefined;
}
