/**
 * Sign-ins for tests, through Convex Auth v2's real flows on convex-test:
 * the app's own `auth:*` functions, the real components (core, password,
 * email, GitHub) and a stub of Resend that records each email. Nothing here
 * writes a component's tables; only GitHub's HTTP answers are stubbed.
 */
import { sessionIdentity, registerCore } from "@convex-dev/auth/test";
import { registerPassword } from "@convex-dev/auth/components/password/test";
import {
  registerEmail,
  registerResendStub,
  sentEmails,
} from "@convex-dev/auth/components/email/test";
import githubTest from "@convex-dev/auth/components/github/test";
import { convexTest } from "convex-test";
import {
  actionGeneric,
  type GenericDataModel,
  type GenericMutationCtx,
  componentsGeneric,
  type FunctionReference,
  type HttpRouter,
} from "convex/server";
import { v } from "convex/values";
import { vi } from "vitest";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import schema from "./schema";

/** The app's modules (multi-dot files, helpers and tests, are never deployed). */
export const modules = import.meta.glob("./**/!(*.*.*)*.*s");

export type TestConvex = ReturnType<typeof newTest>;

/** The tokens a completed sign-in mints, as the methods return them. */
export type Tokens = {
  accessToken: string;
  refreshToken: string;
  refreshTokenExpiresAt: number;
  userId: string;
};

/** A completed sign-in: its tokens and the app user it signed in. */
export type SignedIn = { tokens: Tokens; userId: Id<"users"> };

/** GitHub's side of a sign-in: what its userinfo endpoints answer. */
export type GithubAccount = {
  id: number;
  login: string;
  email?: string;
  /** Whether `/user/emails` lists `email` as verified (else only `/user` has it). */
  emailVerified: boolean;
  name?: string;
  avatarUrl?: string;
};

/** Where the app sends GitHub's redirect back (an allowed origin, auth.ts). */
export const REDIRECT_TO = "http://localhost:5173/after-sign-in";
/** The site URL the GitHub component sees: the deployment's, under its httpPrefix. */
const GITHUB_SITE_URL = "https://offline-demo.convex.site/oauth/github";
const GITHUB_TOKEN_ENDPOINT = "https://github.com/login/oauth/access_token";
const GITHUB_USER_ENDPOINT = "https://api.github.com/user";
const GITHUB_EMAILS_ENDPOINT = "https://api.github.com/user/emails";

/**
 * A fresh app with every component convex.config.ts mounts, under the same
 * names; `extraModules` adds test-only modules (cost.helpers.ts's
 * COST_MODULES). Call `vi.useFakeTimers()` first: the email method schedules
 * its challenge cleanup (a batch worker), which must not run after the test.
 */
export function newTest(extraModules: typeof modules = {}) {
  const t = convexTest(schema, {
    ...modules,
    ...extraModules,
  });
  registerCore(t);
  registerPassword(t);
  registerEmail(t);
  registerResendStub(t);
  // registerGithubOauth(t), plus the module that serves its HTTP routes.
  t.registerComponent("authGithub", githubTest.schema, {
    ...githubTest.modules,
    ...GITHUB_TEST_MODULE,
  });
  return t;
}

/**
 * Runs `handler` inside a mounted component, on its own tables (to look at
 * what Convex Auth keeps: sessions, verified addresses, passwords,
 * accounts). convex-test has `runInComponent` at run time without
 * declaring it.
 */
export async function inComponent<Output>(
  t: TestConvex,
  component:
    | "auth"
    | "authPassword"
    | "authEmail"
    | "authEmail/rateLimiter"
    | "authGithub",
  handler: (ctx: GenericMutationCtx<GenericDataModel>) => Promise<Output>,
): Promise<Output> {
  const testApi = t as unknown as {
    runInComponent<Result>(
      componentPath: string,
      run: (ctx: GenericMutationCtx<GenericDataModel>) => Promise<Result>,
    ): Promise<Result>;
  };
  return await testApi.runInComponent(component, handler);
}

/** The client IP of sign-in requests (the email method rate-limits per IP). */
export const CLIENT_IP = "203.0.113.7";

/** The app's functions called from a browser (with a client IP). */
export function fromBrowser(t: TestConvex) {
  return t.withRequestMetadata({ ip: CLIENT_IP });
}

/** The app's functions as the session of `tokens`. */
export function asUser(t: TestConvex, tokens: { accessToken: string }) {
  return t.withIdentity(sessionIdentity(tokens));
}

/** The `code` of the newest email the Resend stub recorded for `email`. */
export async function emailedCode(
  t: TestConvex,
  email: string,
): Promise<string> {
  const sent = (await sentEmails(t)).filter((each) => each.to.includes(email));
  const text = sent.at(-1)?.text ?? "";
  const link = /https?:\/\/\S+/.exec(text)?.[0];
  const code =
    link === undefined ? null : new URL(link).searchParams.get("code");
  if (code === null) throw new Error(`No emailed code for ${email}: ${text}`);
  return code;
}

/**
 * Signs up with email + password: the sign-up, the code read from the
 * email the Resend stub recorded, and the completion, which validates the
 * address and signs in.
 */
export async function signUpWithPassword(
  t: TestConvex,
  email: string,
  password: string,
): Promise<SignedIn> {
  const started = await fromBrowser(t).mutation(
    api.auth.signUpWithEmailPassword,
    {
      email,
      password,
    },
  );
  if (!started.success) {
    throw new Error(`sign-up refused: ${JSON.stringify(started.userError)}`);
  }
  const completed = await fromBrowser(t).mutation(
    api.auth.completeSignUpWithEmailPassword,
    {
      emailCode: await emailedCode(t, email),
      browserSecret: started.browserSecret,
    },
  );
  if (completed.status !== "complete") {
    throw new Error(`sign-up not completed: ${JSON.stringify(completed)}`);
  }
  return signedIn(completed.tokens);
}

/** Signs in with email + password; the method's result, refused or not. */
export async function trySignInWithPassword(
  t: TestConvex,
  email: string,
  password: string,
) {
  return await fromBrowser(t).mutation(api.auth.signInWithEmailPassword, {
    email,
    password,
  });
}

/** Signs in with email + password; throws when refused. */
export async function signInWithPassword(
  t: TestConvex,
  email: string,
  password: string,
): Promise<SignedIn> {
  const result = await trySignInWithPassword(t, email, password);
  if (result.status !== "complete") {
    throw new Error(`sign-in refused: ${JSON.stringify(result.userError)}`);
  }
  return signedIn(result.tokens);
}

/**
 * Signs in with GitHub as `account`, the whole dance: the app's
 * `startSignInWithGithub`, GitHub's callback served by the GitHub component
 * (token and userinfo requests answered by a stub of `fetch`), then the
 * app's `completeSignInWithGithub` with the code the callback redirected
 * back with.
 */
export async function signInWithGithub(
  t: TestConvex,
  account: GithubAccount,
): Promise<SignedIn> {
  return await githubCallback(t, account, {
    start: (args) =>
      fromBrowser(t).mutation(api.auth.startSignInWithGithub, args),
    complete: (args) =>
      fromBrowser(t).mutation(api.auth.completeSignInWithGithub, args),
  });
}

/** How `githubCallback` calls the app's two GitHub mutations. */
export type GithubSteps = {
  start: (args: { redirectTo: string }) => Promise<unknown>;
  complete: (args: { code: string; state: string }) => Promise<unknown>;
};

/**
 * `signInWithGithub`, the app's two mutations called through `steps`. Stubs
 * the GitHub component's environment and `fetch` for the dance, and undoes
 * every `vi.stubEnv` / `vi.stubGlobal` at its end (the caller's too).
 */
export async function githubCallback(
  t: TestConvex,
  account: GithubAccount,
  steps: GithubSteps,
): Promise<SignedIn> {
  // The component reads its credentials and its own site URL (the
  // deployment's, under the component's httpPrefix) from its environment.
  vi.stubEnv("CLIENT_ID", "offline-github-client");
  vi.stubEnv("CLIENT_SECRET", "offline-github-secret");
  vi.stubEnv("CONVEX_SITE_URL", GITHUB_SITE_URL);
  try {
    // 1. The app starts the flow: GitHub's authorize URL and the state.
    const { redirect, state } = (await steps.start({
      redirectTo: REDIRECT_TO,
    })) as { redirect: string; state: string };
    const callbackUrl = new URL(redirect).searchParams.get("redirect_uri");
    if (callbackUrl !== `${GITHUB_SITE_URL}/callback`) {
      throw new Error(`unexpected GitHub callback URL: ${callbackUrl}`);
    }
    // 2. GitHub sends the browser back to the component's callback, which
    // exchanges the code and reads the user from GitHub's API.
    vi.stubGlobal("fetch", githubApi(account));
    const response = await fetchInComponent(
      t,
      "authGithub",
      `/callback?${new URLSearchParams({ state, code: "github-code" })}`,
    );
    vi.unstubAllGlobals();
    const location = response.location;
    const code =
      location === null
        ? null
        : new URL(location).searchParams.get("convexAuthCode");
    if (response.status !== 302 || code === null) {
      throw new Error(`GitHub callback failed: ${response.status} ${location}`);
    }
    // 3. Back in the app, the client redeems the code for a session.
    const result = (await steps.complete({ code, state })) as {
      status: string;
      tokens?: Tokens;
    };
    if (result.status !== "complete" || result.tokens === undefined) {
      throw new Error(`GitHub sign-in refused: ${JSON.stringify(result)}`);
    }
    return signedIn(result.tokens);
  } finally {
    vi.unstubAllGlobals();
    vi.unstubAllEnvs();
  }
}

/** GitHub's token and userinfo endpoints, answering for `account`. */
function githubApi(account: GithubAccount) {
  const answers: Record<string, unknown> = {
    [GITHUB_TOKEN_ENDPOINT]: { access_token: "github-access-token" },
    [GITHUB_USER_ENDPOINT]: {
      id: account.id,
      login: account.login,
      name: account.name ?? null,
      // The public profile's address, whose verification GitHub does not say.
      email: account.emailVerified ? null : (account.email ?? null),
      avatar_url: account.avatarUrl,
    },
    [GITHUB_EMAILS_ENDPOINT]:
      account.emailVerified && account.email !== undefined
        ? [{ email: account.email, primary: true, verified: true }]
        : [],
  };
  return (input: string | URL | Request) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!(url in answers)) throw new Error(`unexpected fetch: ${url}`);
    return Promise.resolve(
      new Response(JSON.stringify(answers[url]), {
        status: 200,
        headers: { "Content-Type": "application/json" },
      }),
    );
  };
}

/**
 * A request to a component's own HTTP routes (those a deployment serves
 * under the component's `httpPrefix`): convex-test's `t.fetch` serves only
 * the app's `http.ts`. The component's router (its `http.ts` default export,
 * as the package ships it) answers the request inside an action of the
 * component (`GITHUB_TEST_MODULE`), so its handler runs in the component, on
 * its functions and tables, as in a deployment.
 */
async function fetchInComponent(
  t: TestConvex,
  component: string,
  path: string,
): Promise<{ status: number; location: string | null }> {
  const reference = (
    componentsGeneric() as unknown as Record<
      string,
      Record<string, Record<string, ServeRequest>>
    >
  )[component]?.testRequest?.serve;
  if (reference === undefined) throw new Error(`no ${component}`);
  return await t.action(
    async (ctx) => await ctx.runAction(reference, { path }),
  );
}

type ServeRequest = FunctionReference<
  "action",
  "public",
  { path: string },
  { status: number; location: string | null }
>;

/** The module that serves `fetchInComponent` inside the GitHub component. */
const githubModules = githubTest.modules as Record<
  string,
  () => Promise<unknown>
>;
const githubHttpModule = Object.keys(githubModules).find((path) =>
  path.endsWith("/http.ts"),
);
const GITHUB_TEST_MODULE = {
  [githubHttpModule!.replace(/http\.ts$/, "testRequest.ts")]: () =>
    Promise.resolve({
      serve: actionGeneric({
        args: { path: v.string() },
        returns: v.object({
          status: v.number(),
          location: v.union(v.string(), v.null()),
        }),
        handler: async (_ctx, { path }) => {
          const { default: router } = (await githubModules[
            githubHttpModule!
          ]()) as { default: HttpRouter };
          const url = new URL(`https://offline-demo.convex.site${path}`);
          const found = router.lookup(url.pathname, "GET");
          if (found === null) return { status: 404, location: null };
          const handler = found[0] as unknown as {
            invokeHttpAction(request: Request): Promise<Response>;
          };
          const response = await handler.invokeHttpAction(new Request(url));
          return {
            status: response.status,
            location: response.headers.get("Location"),
          };
        },
      }),
    }),
};

/** A sign-in's tokens, with the user id they name typed. */
export function signedIn(tokens: Tokens): SignedIn {
  return { tokens, userId: tokens.userId as Id<"users"> };
}
