/**
 * Who gets what from every public function of the profiles example
 * (docs/access.md): signed out, signed in and suspended callers (the app has
 * no guests and no administrators' functions) through every function a
 * client can call, enumerated from the modules.
 */
import { type ErrorCode, isAppError } from "convex-auth-user-sync";
import { type FunctionReference, makeFunctionReference } from "convex/server";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  type FunctionKind,
  publicFunctions,
} from "../../../conformance/publicFunctions";
import { internal } from "./_generated/api";
import { modules, newBackend, profilesApp } from "./conformance.helpers";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2026, 7, 1));
});
afterEach(() => {
  vi.useRealTimers();
});

const KINDS = ["signedOut", "user", "suspended"] as const;
type Kind = (typeof KINDS)[number];
/** null, true or false; "own": the caller's profile; or an error code. */
type Outcome = "null" | "true" | "false" | "own" | "allowed" | ErrorCode;

const ACCESS: Record<
  string,
  { args: Record<string, unknown>; expect: Record<Kind, Outcome> }
> = {
  "auth:signIn": {
    args: {
      provider: "password",
      params: {
        email: "new@example.com",
        password: "pw-12345678",
        flow: "signUp",
      },
    },
    expect: { signedOut: "allowed", user: "allowed", suspended: "allowed" },
  },
  "auth:signOut": {
    args: {},
    expect: { signedOut: "null", user: "null", suspended: "null" },
  },
  "auth:isAuthenticated": {
    args: {},
    expect: { signedOut: "false", user: "true", suspended: "true" },
  },
  "profiles:me": {
    args: {},
    expect: { signedOut: "null", user: "own", suspended: "null" },
  },
  "profiles:setDisplayName": {
    args: { displayName: "Someone" },
    expect: {
      signedOut: "UNAUTHENTICATED",
      user: "null",
      suspended: "UNAUTHENTICATED",
    },
  },
  "profiles:deleteMyAccount": {
    args: {},
    expect: {
      signedOut: "UNAUTHENTICATED",
      user: "null",
      suspended: "UNAUTHENTICATED",
    },
  },
};

async function world() {
  const t = newBackend();
  const signUp = (email: string) =>
    profilesApp.passwordSignIn(t, {
      email,
      password: "correct horse",
      flow: "signUp",
    });
  const user = await signUp("ada@example.com");
  const suspended = await signUp("sam@example.com");
  await t.mutation(internal.userSync.suspend, { id: suspended.userId });
  return {
    callers: { signedOut: t, user: user.asUser, suspended: suspended.asUser },
    ids: { signedOut: null, user: user.userId, suspended: suspended.userId },
  };
}

describe("who gets what from every public function", () => {
  test("every public function of the example has a row here, and only those", async () => {
    const found = await publicFunctions(modules);
    expect([...found.keys()].sort()).toEqual(Object.keys(ACCESS).sort());
  });

  const rows = Object.keys(ACCESS).flatMap((name) =>
    KINDS.map((kind) => ({ name, kind })),
  );
  test.each(rows)("$name as $kind", async ({ name, kind }) => {
    const fnKind = (await publicFunctions(modules)).get(name)!;
    const w = await world();
    const caller = w.callers[kind];
    const ref = makeFunctionReference(name) as FunctionReference<FunctionKind>;
    const { args, expect: outcomes } = ACCESS[name]!;
    let result: unknown;
    try {
      result = await (
        caller[fnKind] as (ref: unknown, args: unknown) => Promise<unknown>
      )(ref, args);
    } catch (error) {
      if (!isAppError(error)) throw error;
      result = { code: error.data.code };
    }
    const outcome = outcomes[kind];
    if (outcome === "null" || outcome === "true" || outcome === "false") {
      expect(result).toBe(JSON.parse(outcome));
    } else if (outcome === "own") {
      expect(result).toMatchObject({ userId: w.ids[kind] });
    } else if (outcome !== "allowed") {
      expect(result).toEqual({ code: outcome });
    } else {
      expect(result).not.toHaveProperty("code");
    }
  });
});
