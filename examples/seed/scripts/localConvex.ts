/**
 * A local stand-in for a Convex deployment's client API, for the web
 * console's offline demo and browser test: the part of Convex's sync
 * protocol that `ConvexReactClient` and `ConvexAuthProvider` use, with every
 * function executed by convex-test in this process (convex-test needs
 * `node:async_hooks`, so it cannot run in a browser tab). Dev tooling, never
 * deployed.
 *
 * What it speaks (convex 1.48, Convex Auth 0.0.95; the protocol is internal,
 * so localConvex.test.ts pins the version and fails loudly on a change):
 * - a WebSocket at `/api/<version>/sync`, JSON frames: the client sends
 *   ModifyQuerySet, Mutation, Action and Authenticate (Connect and Event are
 *   ignored); the server answers Transition, MutationResponse,
 *   ActionResponse, AuthError and Ping;
 * - `POST /api/action` (`{ path, args }`), which ConvexHttpClient uses
 *   (Convex Auth refreshes its tokens with it);
 * - anything else under `/api/auth/` or `/.well-known/` goes to the app's
 *   http.ts through convex-test's `fetch`.
 *
 * Versions chain exactly per connection (each Transition starts at the
 * client's version, zeros on a new socket); a write raises the timestamp and
 * every connection gets a Transition, since a mutation's promise resolves
 * only once the client has seen a state at or after its timestamp. Writes
 * made by scheduled functions (a run's pages) are found by re-running the
 * subscribed queries every POLL_MS and sending what changed.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { TestConvex } from "convex-test";
import { makeFunctionReference } from "convex/server";
import {
  convexToJson,
  type JSONValue,
  jsonToConvex,
  type Value,
} from "convex/values";
import { createLocalJWKSet, jwtVerify } from "jose";
import { WebSocket, WebSocketServer } from "ws";
import type schema from "../convex/schema";

type Backend = TestConvex<typeof schema>;
type Args = Record<string, Value>;
type Identity = { subject: string; issuer: string; tokenIdentifier: string };
type Version = { querySet: number; identity: number; ts: bigint };
type Query = { udfPath: string; args: JSONValue; last?: string };
type Result =
  | { ok: true; value: JSONValue }
  | { ok: false; message: string; data?: JSONValue };

/** How often subscribed queries are re-run to catch scheduled writes. */
const POLL_MS = 250;
/** Well inside the client's 60 s inactivity limit. */
const PING_MS = 15_000;

/** A u64 as the protocol sends it: base64 of 8 little-endian bytes. */
export function encodeTs(ts: bigint): string {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(ts);
  return bytes.toString("base64");
}

/** A function's outcome, as the wire carries it (ConvexError data kept). */
function outcome(error: unknown): Result {
  const message = error instanceof Error ? error.message : String(error);
  const data = (error as { data?: unknown } | null)?.data;
  return data === undefined
    ? { ok: false, message }
    : { ok: false, message, data: convexToJson(data as Value) };
}

/**
 * Paces the scheduler as a deployment's would: each scheduled function (a
 * run's next page, scheduled with runAfter(0)) starts `ms` after it is due,
 * where convex-test would start it at once, so a run's progress shows its
 * pages one by one. Returns the function that undoes it. For a process that
 * serves the demo: it wraps the global setTimeout, delaying only the timers
 * convex-test's scheduler registers (its frameworkSetTimeout).
 */
export function paceScheduledFunctions(ms: number): () => void {
  if (!(ms > 0)) return () => {};
  const original = globalThis.setTimeout;
  const paced = (
    handler: (...args: unknown[]) => void,
    timeout?: number,
    ...rest: unknown[]
  ) => {
    const scheduled =
      new Error().stack?.includes("frameworkSetTimeout") ?? false;
    return original(
      handler,
      scheduled ? (timeout ?? 0) + ms : timeout,
      ...rest,
    );
  };
  globalThis.setTimeout = Object.assign(paced, original) as typeof setTimeout;
  return () => {
    globalThis.setTimeout = original;
  };
}

/** One browser tab (or client): its queries, identity and version. */
class Connection {
  readonly queries = new Map<number, Query>();
  version: Version = { querySet: 0, identity: 0, ts: 0n };
  identity: Identity | null = null;
  constructor(readonly socket: WebSocket) {}

  send(message: Record<string, unknown>): void {
    if (this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }
}

export class LocalConvex {
  private readonly sockets = new WebSocketServer({ noServer: true });
  private readonly connections = new Set<Connection>();
  private readonly jwks;
  /** The timestamp of the latest write. */
  private ts = 1n;
  /** Queries and mutations run one at a time, in arrival order. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly backend: Backend,
    private readonly auth: { jwks: string; issuer: string },
    /** The app's modules, as the backend has them: for each function's visibility. */
    private readonly modules: Record<string, () => Promise<unknown>>,
  ) {
    this.jwks = createLocalJWKSet(
      JSON.parse(auth.jwks) as Parameters<typeof createLocalJWKSet>[0],
    );
    this.sockets.on("connection", (socket) => this.accept(socket));
    this.timers.push(
      setInterval(
        () => void this.serial(() => this.refreshAll(false)),
        POLL_MS,
      ),
      setInterval(() => {
        for (const connection of this.connections) {
          connection.send({ type: "Ping" });
        }
      }, PING_MS),
    );
  }

  /** Stops the timers and closes every socket. */
  close(): void {
    for (const timer of this.timers) clearInterval(timer);
    for (const connection of this.connections) connection.socket.close();
    this.sockets.close();
  }

  /**
   * Serves the client API on `server`; requests it does not know go to
   * `fallback` (the console's pages, say).
   */
  attach(
    server: Server,
    fallback: (request: IncomingMessage, response: ServerResponse) => void,
  ): void {
    // Other upgrades (Vite's HMR socket) are left to their own listeners.
    server.on("upgrade", (request, socket, head) => {
      this.handleUpgrade(request, socket, head);
    });
    server.on("request", (request, response) => {
      this.handleHttp(request, response).then(
        (handled) => {
          if (!handled) fallback(request, response);
        },
        (error: unknown) => {
          console.error("localConvex:", error);
          response.writeHead(500).end(String(error));
        },
      );
    });
  }

  /** Takes WebSocket upgrades of `/api/<version>/sync`; false for others. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer) {
    if (!/^\/api\/[^/]+\/sync$/.test(request.url?.split("?")[0] ?? "")) {
      return false;
    }
    this.sockets.handleUpgrade(request, socket, head, (ws) =>
      this.sockets.emit("connection", ws, request),
    );
    return true;
  }

  /** Serves `/api/action` and the app's HTTP routes; false for others. */
  async handleHttp(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname === "/api/action" && request.method === "POST") {
      const body = JSON.parse(await readBody(request)) as {
        path: string;
        args: JSONValue[];
      };
      const bearer = request.headers.authorization?.replace(/^Bearer /, "");
      const identity = bearer ? await this.verify(bearer) : null;
      const result = await this.runAction(identity, body.path, body.args[0]!);
      this.bump();
      response.writeHead(result.ok ? 200 : 560, {
        "Content-Type": "application/json",
      });
      response.end(
        JSON.stringify(
          result.ok
            ? { status: "success", value: result.value, logLines: [] }
            : {
                status: "error",
                errorMessage: result.message,
                errorData: result.data,
                logLines: [],
              },
        ),
      );
      return true;
    }
    if (
      url.pathname.startsWith("/api/auth/") ||
      url.pathname.startsWith("/.well-known/")
    ) {
      const init: RequestInit = {
        method: request.method,
        headers: request.headers as Record<string, string>,
      };
      if (request.method !== "GET" && request.method !== "HEAD") {
        init.body = await readBody(request);
      }
      const answer = await this.backend.fetch(url.pathname + url.search, init);
      response.writeHead(answer.status, Object.fromEntries(answer.headers));
      response.end(Buffer.from(await answer.arrayBuffer()));
      return true;
    }
    return false;
  }

  private accept(socket: WebSocket): void {
    const connection = new Connection(socket);
    this.connections.add(connection);
    socket.on("close", () => this.connections.delete(connection));
    socket.on("message", (data: Buffer) => {
      const message = JSON.parse(data.toString("utf8")) as Record<
        string,
        unknown
      >;
      void this.receive(connection, message).catch((error: unknown) => {
        console.error("localConvex:", error);
        connection.send({ type: "FatalError", error: String(error) });
      });
    });
  }

  private async receive(
    connection: Connection,
    message: Record<string, unknown>,
  ): Promise<void> {
    switch (message.type) {
      case "ModifyQuerySet":
        await this.serial(async () => {
          const modifications: Record<string, unknown>[] = [];
          for (const change of message.modifications as {
            type: "Add" | "Remove";
            queryId: number;
            udfPath?: string;
            args?: JSONValue[];
          }[]) {
            if (change.type === "Remove") {
              connection.queries.delete(change.queryId);
              modifications.push({
                type: "QueryRemoved",
                queryId: change.queryId,
              });
            } else {
              const query = {
                udfPath: change.udfPath!,
                args: change.args![0]!,
              };
              connection.queries.set(change.queryId, query);
              modifications.push(
                await this.evaluate(connection, change.queryId, query),
              );
            }
          }
          this.transition(connection, modifications, {
            querySet: message.newVersion as number,
          });
        });
        return;
      case "Authenticate": {
        const identity =
          message.tokenType === "User"
            ? await this.verify(message.value as string)
            : null;
        if (message.tokenType === "User" && identity === null) {
          connection.send({
            type: "AuthError",
            error: "Invalid or expired token",
            baseVersion: message.baseVersion,
            authUpdateAttempted: true,
          });
          return;
        }
        await this.serial(async () => {
          connection.identity = identity;
          // Every query answers again for the new identity.
          await this.refresh(connection, true, {
            identity: (message.baseVersion as number) + 1,
          });
        });
        return;
      }
      case "Mutation": {
        const result = await this.serial(async () => {
          const value = await this.call(
            connection.identity,
            "mutation",
            message,
          );
          this.bump();
          return value;
        });
        connection.send(
          result.ok
            ? {
                type: "MutationResponse",
                requestId: message.requestId,
                success: true,
                result: result.value,
                ts: encodeTs(this.ts),
                logLines: [],
              }
            : {
                type: "MutationResponse",
                requestId: message.requestId,
                success: false,
                result: result.message,
                errorData: result.data,
                logLines: [],
              },
        );
        await this.serial(() => this.refreshAll(true));
        return;
      }
      case "Action": {
        // Actions run outside the queue: they call queries and mutations.
        const result = await this.runAction(
          connection.identity,
          message.udfPath as string,
          (message.args as JSONValue[])[0]!,
        );
        this.bump();
        connection.send({
          type: "ActionResponse",
          requestId: message.requestId,
          success: result.ok,
          result: result.ok ? result.value : result.message,
          ...(result.ok ? {} : { errorData: result.data }),
          logLines: [],
        });
        await this.serial(() => this.refreshAll(true));
        return;
      }
      default:
        // Connect and Event need no answer.
        return;
    }
  }

  /** Runs `step` after everything queued before it. */
  private serial<T>(step: () => Promise<T>): Promise<T> {
    const next = this.queue.then(step, step);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private bump(): void {
    this.ts += 1n;
  }

  private as(identity: Identity | null) {
    return identity === null
      ? this.backend
      : this.backend.withIdentity(identity);
  }

  /**
   * Whether a client may call this function: only public ones, as on a
   * deployment (found by review: convex-test runs internal functions for
   * anyone, so a signed-out socket could make itself an administrator).
   */
  private async isPublic(udfPath: string): Promise<boolean> {
    const [modulePath, name = "default"] = udfPath.split(":");
    const load =
      this.modules[`./${modulePath}.ts`] ?? this.modules[`./${modulePath}.js`];
    if (load === undefined) return false;
    const exported = ((await load()) as Record<string, unknown>)[name] as
      { isPublic?: boolean } | undefined;
    return exported?.isPublic === true;
  }

  private notFound(udfPath: string): Result {
    return {
      ok: false,
      message: `Could not find public function for '${udfPath}'`,
    };
  }

  private async call(
    identity: Identity | null,
    kind: "query" | "mutation",
    message: Record<string, unknown>,
  ): Promise<Result> {
    const path = message.udfPath as string;
    if (!(await this.isPublic(path))) return this.notFound(path);
    const args = jsonToConvex((message.args as JSONValue[])[0]!) as Args;
    try {
      const client = this.as(identity);
      const value: unknown =
        kind === "query"
          ? await client.query(makeFunctionReference<"query", Args>(path), args)
          : await client.mutation(
              makeFunctionReference<"mutation", Args>(path),
              args,
            );
      return { ok: true, value: convexToJson(value as Value) };
    } catch (error) {
      return outcome(error);
    }
  }

  private async runAction(
    identity: Identity | null,
    udfPath: string,
    args: JSONValue,
  ): Promise<Result> {
    if (!(await this.isPublic(udfPath))) return this.notFound(udfPath);
    try {
      const value: unknown = await this.as(identity).action(
        makeFunctionReference<"action", Args>(udfPath),
        jsonToConvex(args) as Args,
      );
      return { ok: true, value: convexToJson(value as Value) };
    } catch (error) {
      return outcome(error);
    }
  }

  /** A query's answer as a state modification; remembers what was sent. */
  private async evaluate(
    connection: Connection,
    queryId: number,
    query: Query,
  ): Promise<Record<string, unknown>> {
    const result = await this.call(connection.identity, "query", {
      udfPath: query.udfPath,
      args: [query.args],
    });
    query.last = JSON.stringify(result);
    return result.ok
      ? {
          type: "QueryUpdated",
          queryId,
          value: result.value,
          logLines: [],
          journal: null,
        }
      : {
          type: "QueryFailed",
          queryId,
          errorMessage: result.message,
          errorData: result.data,
          logLines: [],
          journal: null,
        };
  }

  /**
   * Re-runs a connection's queries and sends a Transition with those that
   * changed: always when `force` (after a write, or a new identity), else
   * only when something did (a scheduled function's write).
   */
  private async refresh(
    connection: Connection,
    force: boolean,
    raise: Partial<Version> = {},
  ): Promise<void> {
    const modifications: Record<string, unknown>[] = [];
    for (const [queryId, query] of connection.queries) {
      const before = query.last;
      const modification = await this.evaluate(connection, queryId, query);
      if (query.last !== before) modifications.push(modification);
    }
    if (modifications.length === 0 && !force) return;
    if (modifications.length > 0 && !force) this.bump();
    this.transition(connection, modifications, raise);
  }

  private async refreshAll(force: boolean): Promise<void> {
    for (const connection of this.connections) {
      await this.refresh(connection, force);
    }
  }

  private transition(
    connection: Connection,
    modifications: Record<string, unknown>[],
    raise: Partial<Version>,
  ): void {
    const start = connection.version;
    const end = { ...start, ...raise, ts: this.ts };
    connection.version = end;
    const wire = (version: Version) => ({
      ...version,
      ts: encodeTs(version.ts),
    });
    connection.send({
      type: "Transition",
      startVersion: wire(start),
      endVersion: wire(end),
      modifications,
    });
  }

  /** The identity a Convex Auth JWT names, or null if it does not verify. */
  private async verify(token: string): Promise<Identity | null> {
    try {
      const { payload } = await jwtVerify(token, this.jwks, {
        issuer: this.auth.issuer,
        audience: "convex",
      });
      if (typeof payload.sub !== "string") return null;
      return {
        subject: payload.sub,
        issuer: this.auth.issuer,
        tokenIdentifier: `${this.auth.issuer}|${payload.sub}`,
      };
    } catch {
      return null;
    }
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
