/**
 * OAuth sign-ins through Convex Auth's real HTTP routes, as a browser would
 * make them: the `auth:signIn` action, the sign-in redirect, the provider's
 * callback, then the code redeemed for tokens. Only the provider's own HTTP
 * answers are stubbed (GitHub's token, /user and /user/emails endpoints;
 * Google's discovery document and ID token), so the configured providers'
 * profile code in convex/oauthProviders.ts runs as in production. A
 * multi-dot file: the Convex CLI never deploys it.
 */
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import type { Backend } from "./sync.helpers";

type Answer = (url: string, init?: RequestInit) => Response | undefined;

/** What GitHub's API answers for the signed-in account. */
export type GitHubAccount = {
  id: number;
  login: string;
  name?: string | null;
  /** The public email on /user (null when the user keeps it private). */
  email?: string | null;
  avatar_url?: string;
  /** /user/emails; `null` answers 403, as without the user:email scope. */
  emails?: { email: string; primary: boolean; verified: boolean }[] | null;
};

/** The claims of Google's ID token. */
export type GoogleAccount = {
  sub: string;
  name?: string;
  email?: string;
  email_verified?: boolean;
  picture?: string;
};

export type OAuthResult = {
  userId: Id<"users">;
  sessionId: Id<"authSessions">;
  token: string;
  refreshToken: string;
};

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });

function urlOf(input: unknown): string {
  if (typeof input === "string") return input;
  if (input instanceof URL) return input.href;
  if (input instanceof Request) return input.url;
  throw new Error(`Unexpected fetch input ${String(input)}`);
}

/** Runs `step` with `fetch` answered by `answer`; anything else throws. */
async function withFetch<T>(answer: Answer, step: () => Promise<T>) {
  const real = globalThis.fetch;
  globalThis.fetch = (input: unknown, init?: RequestInit) => {
    const url = urlOf(input);
    const response = answer(url, init);
    if (response === undefined) {
      return Promise.reject(new Error(`Unexpected fetch of ${url}`));
    }
    return Promise.resolve(response);
  };
  try {
    return await step();
  } finally {
    globalThis.fetch = real;
  }
}

function githubAnswer(account: GitHubAccount): Answer {
  const { emails, ...user } = account;
  return (url) => {
    if (url === "https://github.com/login/oauth/access_token") {
      return json({ access_token: "gh-token", token_type: "bearer" });
    }
    if (url === "https://api.github.com/user") return json(user);
    if (url === "https://api.github.com/user/emails") {
      return emails === null || emails === undefined
        ? json({ message: "Resource not accessible" }, 403)
        : json(emails);
    }
    return undefined;
  };
}

const GOOGLE_ISSUER = "https://accounts.google.com";

function googleAnswer(account: GoogleAccount): Answer {
  return (url) => {
    if (url === `${GOOGLE_ISSUER}/.well-known/openid-configuration`) {
      return json({
        issuer: GOOGLE_ISSUER,
        authorization_endpoint: `${GOOGLE_ISSUER}/o/oauth2/v2/auth`,
        token_endpoint: "https://oauth2.googleapis.com/token",
        userinfo_endpoint: "https://openidconnect.googleapis.com/v1/userinfo",
        jwks_uri: "https://www.googleapis.com/oauth2/v3/certs",
        id_token_signing_alg_values_supported: ["RS256"],
        code_challenge_methods_supported: ["plain", "S256"],
      });
    }
    if (url === "https://oauth2.googleapis.com/token") {
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: GOOGLE_ISSUER,
        aud: process.env.AUTH_GOOGLE_ID,
        iat: now,
        exp: now + 3600,
        ...account,
      };
      // The ID token comes straight from Google's token endpoint over TLS,
      // so its signature is not checked (OIDC Core 3.1.3.7); claims are.
      // With PKCE advertised (as Google does), no nonce is involved.
      const part = (value: unknown) =>
        btoa(JSON.stringify(value))
          .replace(/=+$/, "")
          .replace(/\+/g, "-")
          .replace(/\//g, "_");
      return json({
        access_token: "google-token",
        token_type: "Bearer",
        expires_in: 3600,
        id_token: `${part({ alg: "RS256", typ: "JWT" })}.${part(claims)}.c2ln`,
      });
    }
    return undefined;
  };
}

/** The cookies of a response, as a Cookie request header. */
function cookieHeader(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(";")[0])
    .join("; ");
}

/**
 * The first half of an OAuth sign-in: redirect, provider, callback. Returns
 * the one-time code and verifier the client then redeems; nothing is a
 * session yet.
 */
export async function startOAuthSignIn(
  t: Backend,
  provider: "github" | "google",
  account: GitHubAccount | GoogleAccount,
): Promise<{ code: string | null; verifier: string }> {
  const { redirect, verifier } = (await t.action(api.auth.signIn, {
    provider,
  })) as { redirect: string; verifier: string };
  const answer =
    provider === "github"
      ? githubAnswer(account as GitHubAccount)
      : googleAnswer(account as GoogleAccount);
  return await withFetch(answer, async () => {
    // 1. Convex Auth's sign-in route redirects to the provider.
    const start = new URL(redirect);
    const toProvider = await t.fetch(`${start.pathname}${start.search}`);
    if (toProvider.status !== 302) {
      throw new Error(`sign-in route answered ${toProvider.status}`);
    }
    const authorize = new URL(toProvider.headers.get("Location")!);
    const state = authorize.searchParams.get("state");
    const callback = new URL(authorize.searchParams.get("redirect_uri")!);
    // 2. The provider sends the browser back to Convex Auth's callback.
    const query = new URLSearchParams({ code: "provider-code" });
    if (state !== null) query.set("state", state);
    const back = await t.fetch(`${callback.pathname}?${query.toString()}`, {
      headers: { Cookie: cookieHeader(toProvider) },
    });
    const location = new URL(back.headers.get("Location")!);
    return { code: location.searchParams.get("code"), verifier };
  });
}

/** Redeems a code from startOAuthSignIn, as the client does; null if refused. */
export async function redeemOAuthCode(
  t: Backend,
  started: { code: string | null; verifier: string },
): Promise<OAuthResult | null> {
  if (started.code === null) return null;
  const { tokens } = (await t.action(api.auth.signIn, {
    params: { code: started.code },
    verifier: started.verifier,
  })) as { tokens: { token: string; refreshToken: string } | null };
  if (tokens === null) return null;
  const payload = JSON.parse(
    atob(tokens.token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")),
  ) as { sub: string };
  const [userId, sessionId] = payload.sub.split("|") as [
    Id<"users">,
    Id<"authSessions">,
  ];
  return { userId, sessionId, ...tokens };
}

/**
 * A whole OAuth sign-in through the real routes, with `asUser` for the
 * session it creates. Throws when no session results (a refused sign-in).
 *
 * @example
 * const { userId, asUser } = await signInViaOAuth(t, "github", {
 *   id: 1, login: "ada", email: null,
 *   emails: [{ email: "ada@example.com", primary: true, verified: true }],
 * });
 */
export async function signInViaOAuth(
  t: Backend,
  provider: "github" | "google",
  account: GitHubAccount | GoogleAccount,
) {
  const result = await redeemOAuthCode(
    t,
    await startOAuthSignIn(t, provider, account),
  );
  if (result === null) throw new Error("the OAuth sign-in made no session");
  return {
    ...result,
    asUser: t.withIdentity({
      subject: `${result.userId}|${result.sessionId}`,
    }),
  };
}
