/**
 * Sign-ins through Convex Auth's real flows, as a client would make them,
 * for every method of convex/providers.ts. Only what lies outside the
 * deployment is stubbed: the OAuth providers' HTTP answers (GitHub's token,
 * /user and /user/emails endpoints; Google's discovery document and ID
 * token) and Resend's email API, whose requests are read for the code or
 * link. So the configured providers' own code runs as in production. A
 * multi-dot file: the Convex CLI never deploys it.
 *
 * - OAuth: the `auth:signIn` action, the sign-in redirect and the callback
 *   through `t.fetch`, then the code redeemed for tokens.
 * - Password, codes, links, anonymous: the `auth:signIn` action.
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

/** A completed sign-in: the session and its tokens. */
export type SignInResult = {
  userId: Id<"users">;
  sessionId: Id<"authSessions">;
  token: string;
  refreshToken: string;
};

type Tokens = { token: string; refreshToken: string };

/** The session that Convex Auth's tokens name. */
function sessionOf(tokens: Tokens): SignInResult {
  const payload = JSON.parse(
    atob(tokens.token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")),
  ) as { sub: string };
  const [userId, sessionId] = payload.sub.split("|") as [
    Id<"users">,
    Id<"authSessions">,
  ];
  return { userId, sessionId, ...tokens };
}

/** A completed sign-in with `asUser`, a client signed in as it. */
function signedIn(t: Backend, result: SignInResult) {
  return {
    ...result,
    asUser: t.withIdentity({
      subject: `${result.userId}|${result.sessionId}`,
    }),
  };
}

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
): Promise<SignInResult | null> {
  if (started.code === null) return null;
  const { tokens } = (await t.action(api.auth.signIn, {
    params: { code: started.code },
    verifier: started.verifier,
  })) as { tokens: Tokens | null };
  return tokens === null ? null : sessionOf(tokens);
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
  return signedIn(t, result);
}

/** An email Resend was asked to send. */
export type SentEmail = { to: string; subject: string; text: string };

/**
 * Runs `step` with Resend's API answering, and returns the emails it was
 * asked to send.
 */
export async function captureEmails<T>(
  step: () => Promise<T>,
): Promise<{ result: T; emails: SentEmail[] }> {
  const emails: SentEmail[] = [];
  const result = await withFetch((url, init) => {
    if (url !== "https://api.resend.com/emails") return undefined;
    const body = JSON.parse(init?.body as string) as {
      to: string | string[];
      subject: string;
      text: string;
    };
    const to = Array.isArray(body.to) ? body.to[0]! : body.to;
    emails.push({ to, subject: body.subject, text: body.text });
    return json({ id: `email-${emails.length}` });
  }, step);
  return { result, emails };
}

/** The eight-digit code, or the magic link's code, in an email. */
export function codeIn(email: SentEmail): string {
  const link = /[?&]code=([^\s&]+)/.exec(email.text);
  const digits = /\b(\d{8})\b/.exec(email.text);
  const code = link?.[1] ?? digits?.[1];
  if (code === undefined) throw new Error(`no code in ${email.text}`);
  return code;
}

/**
 * One call of the `auth:signIn` action, as `useAuthActions().signIn` makes
 * it; the session if it made one, else null (a code sent, or refused
 * quietly).
 */
export async function signInAction(
  t: Backend,
  provider: string | undefined,
  params: Record<string, unknown>,
) {
  const { tokens } = (await t.action(api.auth.signIn, {
    ...(provider !== undefined ? { provider } : {}),
    params,
  })) as { tokens?: Tokens | null };
  return tokens === undefined || tokens === null
    ? null
    : signedIn(t, sessionOf(tokens));
}

/** Like signInAction, but a session is required. */
export async function signInOrThrow(
  t: Backend,
  provider: string | undefined,
  params: Record<string, unknown>,
) {
  const session = await signInAction(t, provider, params);
  if (session === null) throw new Error(`${provider}: no session`);
  return session;
}

/** A password-code sign-up completed with the code from its email. */
export async function signUpWithCode(
  t: Backend,
  email: string,
  password: string,
) {
  const { emails } = await captureEmails(() =>
    signInAction(t, "password-code", { email, password, flow: "signUp" }),
  );
  return await signInOrThrow(t, "password-code", {
    email,
    code: codeIn(emails[0]!),
    flow: "email-verification",
  });
}

/**
 * Requests a code (or magic link) by email and returns it, as the person
 * reading the email would. Nothing is a session yet.
 */
export async function requestCode(
  t: Backend,
  provider: string,
  params: Record<string, unknown>,
): Promise<string> {
  const { emails } = await captureEmails(() =>
    t.action(api.auth.signIn, { provider, params }),
  );
  const [email] = emails;
  if (email === undefined) throw new Error(`${provider} sent no email`);
  return codeIn(email);
}

/**
 * Renews a session's token with its refresh token, as the client does in
 * the background; null when refused.
 */
export async function refresh(t: Backend, refreshToken: string) {
  const { tokens } = (await t.action(api.auth.signIn, {
    refreshToken,
  })) as { tokens: Tokens | null };
  return tokens;
}
