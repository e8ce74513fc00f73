/**
 * The local backend speaks Convex's client protocol as the pinned client
 * expects it: Convex's own clients (the WebSocket one the React client
 * wraps, and the HTTP one Convex Auth uses) against LocalConvex, in Node.
 * The protocol is internal to Convex: a client upgrade that changes it must
 * fail here, loudly, before the browser test does.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import type { FunctionReturnType } from "convex/server";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { WebSocket } from "ws";
import { CONVEX_SITE_URL } from "../../../dev/authEnv";
import { api, internal } from "../convex/_generated/api";
import { isAppError } from "../convex/errors";
import { newScriptBackend, scriptModules } from "./backend";
import { LocalConvex } from "./localConvex";

const root = join(import.meta.dirname, "..", "..", "..");
const versionOf = (name: string) =>
  (
    JSON.parse(
      readFileSync(join(root, "node_modules", name, "package.json"), "utf8"),
    ) as { version: string }
  ).version;

type Tokens = { token: string; refreshToken: string };
type SignIn = { tokens?: Tokens | null };

let t: ReturnType<typeof newScriptBackend>;
let local: LocalConvex;
let server: Server;
let url: string;
const clients: ConvexClient[] = [];

beforeEach(async () => {
  t = newScriptBackend();
  local = new LocalConvex(
    t,
    {
      jwks: process.env.JWKS!,
      issuer: CONVEX_SITE_URL,
    },
    scriptModules(),
  );
  server = createServer();
  local.attach(server, (_request, response) => response.writeHead(404).end());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  local.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function newClient() {
  const client = new ConvexClient(url, {
    // ws implements what Convex's client uses of the DOM's WebSocket.
    webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  clients.push(client);
  return client;
}

/** The next value of a subscription that satisfies `ready`. */
function next<T>(
  client: ConvexClient,
  subscribe: (listener: (value: T) => void) => () => void,
  ready: (value: T) => boolean,
): Promise<T> {
  return new Promise((resolve) => {
    const stop = subscribe((value) => {
      if (ready(value)) {
        stop();
        resolve(value);
      }
    });
  });
}

async function signUp(client: ConvexClient, email: string): Promise<Tokens> {
  const result = (await client.action(api.auth.signIn, {
    provider: "password",
    params: { email, password: "protocol-test-1", flow: "signUp" },
  })) as SignIn;
  return result.tokens!;
}

describe("the local backend and Convex's own clients", () => {
  test("the pinned client versions, whose internal protocol this speaks", () => {
    // Upgrading either? Re-check localConvex.ts against
    // node_modules/convex/dist/esm/browser/sync/protocol.js and client.js.
    expect(versionOf("convex")).toBe("1.48.0");
    expect(versionOf("@convex-dev/auth")).toBe("0.0.95");
  });

  test("queries, sign-in, authentication, a mutation and its update", async () => {
    const client = newClient();
    type Me = FunctionReturnType<typeof api.users.getCurrentUser>;
    const watch = (listener: (me: Me) => void) =>
      client.onUpdate(api.users.getCurrentUser, {}, listener);
    expect(await next(client, watch, () => true)).toBeNull();

    const tokens = await signUp(client, "ada@example.com");
    const authenticated = new Promise<boolean>((resolve) =>
      client.setAuth(() => Promise.resolve(tokens.token), resolve),
    );
    expect(await authenticated).toBe(true);
    const me = await next(client, watch, (value) => value !== null);
    expect(me).toMatchObject({ email: "ada@example.com", name: null });

    // The mutation resolves once the client holds a state at its timestamp,
    // and the subscription sees the write.
    const updated = await client.mutation(api.users.updateUserProfile, {
      name: "Ada Lovelace",
    });
    expect(updated.name).toBe("Ada Lovelace");
    expect(
      await next(client, watch, (value) => value?.name === "Ada Lovelace"),
    ).toMatchObject({ company: null });

    // A ConvexError's data crosses the wire.
    const error: unknown = await client
      .mutation(api.users.updateUserProfile, { name: "" })
      .catch((e: unknown) => e);
    expect(isAppError(error) && error.data.code).toBe("INVALID_ARGUMENT");
  });

  test("internal functions are refused to every client, as on a deployment (found by review)", async () => {
    await t.run(async (ctx) => {
      await ctx.db.insert("auth_users", {
        email: "mallory@example.com",
        created_at: 0,
        updated_at: 0,
      });
    });
    const client = newClient();
    const refused: unknown = await client
      .mutation(
        internal.admin.setAdmin as never,
        {
          email: "mallory@example.com",
          isAdmin: true,
        } as never,
      )
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(String(refused)).toMatch(/Could not find public function/);
    const action: unknown = await client
      .action(internal.driftReport.summary as never, {} as never)
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(String(action)).toMatch(/Could not find public function/);
    const row = await t.run(async (ctx) => ctx.db.query("auth_users").first());
    expect(row?.is_admin).toBeUndefined();
  });

  test("an invalid token is an AuthError; a refresh over HTTP gives a valid one", async () => {
    const client = newClient();
    const tokens = await signUp(client, "grace@example.com");
    const refused = new Promise<boolean>((resolve) =>
      client.setAuth(() => Promise.resolve("not-a-jwt"), resolve),
    );
    expect(await refused).toBe(false);
    // Convex Auth refreshes with ConvexHttpClient: POST /api/action.
    const http = new ConvexHttpClient(url);
    const refreshed = (await http.action(api.auth.signIn, {
      refreshToken: tokens.refreshToken,
    })) as SignIn;
    expect(refreshed.tokens?.token).toEqual(expect.any(String));
    const accepted = new Promise<boolean>((resolve) =>
      client.setAuth(() => Promise.resolve(refreshed.tokens!.token), resolve),
    );
    expect(await accepted).toBe(true);
    // An error over HTTP keeps its data too.
    const error: unknown = await http
      .action(api.console.driftSummary, {})
      .catch((e: unknown) => e);
    expect(isAppError(error) && error.data.code).toBe("UNAUTHENTICATED");
  });

  test("writes of scheduled functions reach subscribers: a run's progress", async () => {
    const client = newClient();
    const tokens = await signUp(client, "root@example.com");
    const rootId = (await t.run(async (ctx) => ctx.db.query("users").first()))!
      ._id;
    await t.mutation(internal.admin.editUser, {
      userId: rootId,
      emailVerified: true,
    });
    await t.mutation(internal.admin.setAdmin, {
      email: "root@example.com",
      isAdmin: true,
    });
    await new Promise<boolean>((resolve) =>
      client.setAuth(() => Promise.resolve(tokens.token), resolve),
    );
    for (let i = 0; i < 12; i++) {
      await t.run(
        async (ctx) =>
          await ctx.db.insert("auth_users", {
            email: `legacy${i}@example.com`,
            created_at: i,
            updated_at: i,
          }),
      );
    }
    type Runs = FunctionReturnType<typeof api.console.runs>["page"];
    const seen: string[] = [];
    const firstPage = { paginationOpts: { numItems: 5, cursor: null } };
    const watch = (listener: (runs: Runs) => void) =>
      client.onUpdate(api.console.runs, firstPage, ({ page: runs }) => {
        if (runs[0] !== undefined) {
          seen.push(`${runs[0].status}:${runs[0].counts.checked}`);
        }
        listener(runs);
      });
    const started = await client.mutation(api.console.startRun, {
      pageSize: 2,
    });
    expect(started.status).toBe("running");
    const [done] = await next(
      client,
      watch,
      (runs) => runs[0]?.status === "completed",
    );
    // 12 legacy rows, the user and its row, checked by pages the
    // scheduler ran after the mutation returned.
    expect(done).toMatchObject({ _id: started._id });
    expect(done!.counts.checked).toBe(14);
    expect(seen.at(-1)).toBe("completed:14");
  });
});
