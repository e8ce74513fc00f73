/**
 * convex-auth-user-sync/testing: helpers for an app's own tests of the sync
 * on convex-test, with no Convex deployment. Convex Auth's environment
 * offline, a Password sign-in through the real `auth:signIn` action, a bulk
 * run to its end, and assertions over a user's pair. No test framework is
 * imported: an assertion that fails throws a plain Error (see
 * docs/testing.md).
 *
 * @example
 * // vitest.config.ts
 * export default defineConfig({ test: { environment: "edge-runtime",
 *   server: { deps: { inline: ["convex-test"] } }, env: await offlineAuthEnv() } });
 */
import type {
  DocumentByName,
  FunctionReference,
  GenericDataModel,
  GenericMutationCtx,
  TableNamesInDataModel,
} from "convex/server";
import type { GenericId } from "convex/values";
import type { UserSync } from "./index.js";
import { byIndex, getDoc, readPair as readStoredPair } from "./steps.js";
import type { SyncRun } from "./validators.js";

/** Where Convex Auth believes it runs, offline. */
export const OFFLINE_CONVEX_SITE_URL = "https://offline-test.convex.site";
export const OFFLINE_SITE_URL = "http://localhost:5173";

function base64(bytes: ArrayBuffer): string {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The variables Convex Auth reads, for tests: a fresh RS256 key pair for its
 * JWTs (`JWT_PRIVATE_KEY`, `JWKS`; nothing secret to commit) and the
 * deployment's URLs. Add your providers' own (`AUTH_GITHUB_ID`, ...) to it.
 * Web Crypto only, so it runs in Node and in the edge runtime.
 *
 * @example test: { env: { ...(await offlineAuthEnv()), AUTH_RESEND_KEY: "test" } }
 */
export async function offlineAuthEnv(
  urls: { convexSiteUrl?: string; siteUrl?: string } = {},
): Promise<Record<string, string>> {
  const { privateKey, publicKey } = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const der = base64(await crypto.subtle.exportKey("pkcs8", privateKey));
  const lines = der.match(/.{1,64}/g) ?? [];
  const { kty, n, e } = await crypto.subtle.exportKey("jwk", publicKey);
  return {
    CONVEX_SITE_URL: urls.convexSiteUrl ?? OFFLINE_CONVEX_SITE_URL,
    SITE_URL: urls.siteUrl ?? OFFLINE_SITE_URL,
    // Convex Auth's CLI stores the PEM with its newlines as spaces.
    JWT_PRIVATE_KEY: [
      "-----BEGIN PRIVATE KEY-----",
      ...lines,
      "-----END PRIVATE KEY-----",
    ].join(" "),
    JWKS: JSON.stringify({
      keys: [{ kty, n, e, use: "sig", alg: "RS256" }],
    }),
  };
}

/**
 * `t.run`'s context, whatever the app's schema: a data model of the app's
 * own tables is no GenericDataModel to the type checker (its query
 * initializers differ), so the helpers take any.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above: any app's data model
type AnyMutationCtx = GenericMutationCtx<any>;
/** The same, as the library's steps take it. */
type Ctx = GenericMutationCtx<GenericDataModel>;

/** What the helpers need of a convex-test backend (`convexTest(...)`). */
export type TestBackend = {
  mutation(
    reference: FunctionReference<"mutation", "public" | "internal">,
    args: Record<string, unknown>,
  ): Promise<unknown>;
  action(
    reference: FunctionReference<"action", "public" | "internal">,
    args: Record<string, unknown>,
  ): Promise<unknown>;
  run<Output>(func: (ctx: AnyMutationCtx) => Promise<Output>): Promise<Output>;
  finishAllScheduledFunctions(
    advanceTimers: () => void,
    maxIterations?: number,
  ): Promise<void>;
};

/** The user and session a Convex Auth JWT names (`sub` = "user|session"). */
export function sessionOfToken(token: string): {
  userId: GenericId<"users">;
  sessionId: GenericId<"authSessions">;
} {
  const [, payload] = token.split(".");
  if (payload === undefined) throw new Error("Not a JWT");
  const { sub } = JSON.parse(
    atob(payload.replace(/-/g, "+").replace(/_/g, "/")),
  ) as { sub: string };
  const [userId, sessionId] = sub.split("|");
  if (userId === undefined || sessionId === undefined) {
    throw new Error(`Not a Convex Auth subject: ${sub}`);
  }
  return {
    userId: userId as GenericId<"users">,
    sessionId: sessionId as GenericId<"authSessions">,
  };
}

/**
 * A Password sign-up ("signUp") or sign-in ("signIn") through the app's
 * own `auth:signIn` action, as `useAuthActions().signIn` makes it: Convex
 * Auth's callbacks and the sync run as in production. Returns the user,
 * the session and `asUser`, a client signed in as them; throws when no
 * session was made (refused, or a code sent instead).
 *
 * @example const ada = await signInWithPassword(t, api.auth.signIn, { email: "ada@example.com", password: "correct horse", flow: "signUp" });
 */
export async function signInWithPassword<
  Backend extends Pick<TestBackend, "action"> & {
    withIdentity(identity: { subject: string }): unknown;
  },
>(
  t: Backend,
  signIn: FunctionReference<"action", "public">,
  params: {
    email: string;
    password: string;
    flow: "signUp" | "signIn";
    /** The provider's id (default "password"). */
    provider?: string;
  },
): Promise<{
  userId: GenericId<"users">;
  sessionId: GenericId<"authSessions">;
  token: string;
  asUser: ReturnType<Backend["withIdentity"]>;
}> {
  const { provider = "password", ...rest } = params;
  const { tokens } = (await t.action(signIn, { provider, params: rest })) as {
    tokens?: { token: string } | null;
  };
  if (tokens === undefined || tokens === null) {
    throw new Error(`${params.flow} of ${params.email} made no session`);
  }
  const { userId, sessionId } = sessionOfToken(tokens.token);
  return {
    userId,
    sessionId,
    token: tokens.token,
    asUser: t.withIdentity({
      subject: `${userId}|${sessionId}`,
    }) as ReturnType<Backend["withIdentity"]>,
  };
}

/**
 * Starts a bulk run (`syncAllUsers`, or the migration) and drives its
 * scheduled pages to the end; returns the run, or throws unless it
 * completed. `advanceTimers` is what convex-test's
 * `finishAllScheduledFunctions` takes: `vi.runAllTimers` under
 * `vi.useFakeTimers()`, `() => {}` on real timers.
 *
 * @example const run = await runToCompletion(t, internal.userSync.syncAllUsers, { advanceTimers: vi.runAllTimers });
 */
export async function runToCompletion(
  t: Pick<TestBackend, "mutation" | "run" | "finishAllScheduledFunctions">,
  start: FunctionReference<"mutation", "public" | "internal">,
  options: {
    advanceTimers: () => void;
    /** The run's arguments: pageSize, workers, dryRun. */
    args?: { pageSize?: number; workers?: number; dryRun?: boolean };
    /** Rounds of finishAllScheduledFunctions (default 10,000). */
    maxIterations?: number;
  },
): Promise<SyncRun> {
  const started = (await t.mutation(start, options.args ?? {})) as {
    _id: string;
  };
  await t.finishAllScheduledFunctions(
    options.advanceTimers,
    options.maxIterations ?? 10_000,
  );
  const run = (await t.run(
    async (ctx) => await getDoc(ctx, "sync_runs", started._id),
  )) as SyncRun | null;
  if (run?.status !== "completed") {
    throw new Error(
      `The run ended ${run?.status ?? "missing"}${run?.last_error === undefined ? "" : `: ${run.last_error}`}` +
        (run?.status === "running"
          ? " (under fake timers, pass advanceTimers: vi.runAllTimers)"
          : ""),
    );
  }
  return run;
}

type Doc<
  DataModel extends GenericDataModel,
  Table extends TableNamesInDataModel<DataModel>,
> = DocumentByName<DataModel, Table>;

/** A user and its counterpart, read in one transaction. */
async function pairIn<
  DataModel extends GenericDataModel,
  Table extends TableNamesInDataModel<DataModel>,
>(ctx: Ctx, userSync: UserSync<DataModel, Table>, userId: GenericId<"users">) {
  const user = (await getDoc(ctx, "users", userId)) as Doc<
    DataModel,
    "users"
  > | null;
  // As stored: the sync's own read, not the public lookup (which answers
  // with a virtual row once the fold's reads are switched).
  const row =
    user === null
      ? null
      : ((await readStoredPair(ctx, userSync.shape, user as never))
          .counterpart as Doc<DataModel, Table> | null);
  return { user, row };
}

/**
 * A user and its counterpart (a reference both sides agree on), as stored;
 * either may be null.
 *
 * @example const { user, row } = await readPair(t, userSync, ada.userId);
 */
export async function readPair<
  DataModel extends GenericDataModel,
  Table extends TableNamesInDataModel<DataModel>,
>(
  t: Pick<TestBackend, "run">,
  userSync: UserSync<DataModel, Table>,
  userId: GenericId<"users">,
): Promise<{
  user: Doc<DataModel, "users"> | null;
  row: Doc<DataModel, Table> | null;
}> {
  return await t.run(async (ctx) => await pairIn(ctx as Ctx, userSync, userId));
}

/**
 * Asserts that a user is one person with its app row: the two name each
 * other, no other row claims the user, and the mirrored fields agree under
 * the field map. Returns the pair; throws an Error naming each problem.
 *
 * @example const { row } = await checkPair(t, userSync, ada.userId);
 */
export async function checkPair<
  DataModel extends GenericDataModel,
  Table extends TableNamesInDataModel<DataModel>,
>(
  t: Pick<TestBackend, "run">,
  userSync: UserSync<DataModel, Table>,
  userId: GenericId<"users">,
): Promise<{ user: Doc<DataModel, "users">; row: Doc<DataModel, Table> }> {
  const { shape } = userSync;
  const { user, row, rows } = await t.run(async (ctx) => {
    const { user, row } = await pairIn(ctx as Ctx, userSync, userId);
    // Every row naming the user, and the row it names: what checkTables
    // weighs for this one user.
    const rows = new Map(
      (
        await byIndex(
          ctx,
          shape.table,
          shape.indexes.appByUser,
          {
            [shape.appRef]: userId,
          },
          10,
        )
      ).map((doc) => [doc._id as string, doc]),
    );
    const pointed =
      user === null || shape.usersRef === undefined
        ? null
        : await getDoc(ctx, shape.table, user[shape.usersRef]);
    if (pointed !== null) rows.set(pointed._id, pointed);
    return { user, row, rows: [...rows.values()] };
  });
  if (user === null) throw new Error(`No user ${userId}`);
  const { problems } = userSync.checkTables([user], rows as never);
  if (row === null && problems.length === 0) {
    problems.push({ kind: "missing_counterpart", userId });
  }
  if (problems.length > 0) {
    throw new Error(
      `The pair of user ${userId} is not one person in step: ${JSON.stringify(problems)}`,
    );
  }
  return { user, row: row! };
}

/**
 * Asserts the sync's invariants over both whole tables (small ones: a
 * test's), as checkTables states them: every user paired (but a first
 * sign-in still pending), references two-way, fields in step. Rows waiting
 * for their owner (no user) are no problem. Returns what it read; throws an
 * Error naming each problem.
 *
 * @example await checkAllPairs(t, userSync);
 */
export async function checkAllPairs<
  DataModel extends GenericDataModel,
  Table extends TableNamesInDataModel<DataModel>,
>(
  t: Pick<TestBackend, "run">,
  userSync: UserSync<DataModel, Table>,
): Promise<{
  users: Doc<DataModel, "users">[];
  rows: Doc<DataModel, Table>[];
  unlinkedRows: number;
}> {
  const { users, rows } = await t.run(async (ctx) => ({
    users: (await ctx.db.query("users").collect()) as Doc<DataModel, "users">[],
    rows: (await ctx.db.query(userSync.shape.table).collect()) as Doc<
      DataModel,
      Table
    >[],
  }));
  const { problems, unlinkedRows } = userSync.checkTables(users, rows);
  if (problems.length > 0) {
    throw new Error(
      `The user tables are not in step: ${JSON.stringify(problems)}`,
    );
  }
  return { users, rows, unlinkedRows };
}
