/**
 * Errors in plain language. Each error the console can meet becomes a
 * sentence for the person and a code for support (shown small, beside it):
 * the app's `ConvexError({ code, message })`, Convex Auth's sign-in
 * failures (which arrive as protocol text such as
 * `[CONVEX A(auth:signIn)] InvalidSecret`), and the client's own failures.
 */
import { ConvexError } from "convex/values";

export type Problem = {
  /** What happened and what to do, for the person. */
  text: string;
  /** A stable code for support. */
  code: string;
  /** The error's own words, for support, when the sentence is a guess. */
  detail?: string;
};

/**
 * Convex Auth's password rule (the `Password` provider's default in
 * convex/providers.ts: no `validatePasswordRequirements`, so at least 8
 * characters).
 */
export const PASSWORD_RULE = "Use at least 8 characters.";

// A wrong password, an unknown address and an account locked after too
// many failures read the same: the message must not tell anyone whether
// an account exists (only an existing account can be locked).
const WRONG_CREDENTIALS =
  "That email and password don't match. Check both and try again; after many failed attempts, wait a few minutes first.";
const SIGN_IN_FAILED: Problem = {
  text: WRONG_CREDENTIALS,
  code: "SIGN_IN_FAILED",
};

/** Convex Auth's failures, by the word its error carries. */
const AUTH_PROBLEMS: [RegExp, Problem][] = [
  [/\bInvalidSecret\b/, SIGN_IN_FAILED],
  [/\bInvalidAccountId\b/, SIGN_IN_FAILED],
  [/\bTooManyFailedAttempts\b/, SIGN_IN_FAILED],
  [
    /\bInvalid password\b/,
    {
      text: `That password is too short. ${PASSWORD_RULE}`,
      code: "PASSWORD_RULE",
    },
  ],
  [
    /\bAccount .* already exists\b/,
    {
      // Creating an account cannot help saying this much: the address is
      // taken. Signing in never says it.
      text: "This address already has an account. Sign in instead, or use another address.",
      code: "ACCOUNT_EXISTS",
    },
  ],
  [
    /\bCould not verify code\b|\bInvalid verification code\b/,
    {
      text: "That code is wrong or has expired. Ask for a new one.",
      code: "CODE_INVALID",
    },
  ],
  [
    /\bProvider .* is not configured\b|\bUnknown provider\b/,
    {
      text: "This way of signing in is not set up on this server.",
      code: "PROVIDER_MISSING",
    },
  ],
  [
    /Connection lost while action was in flight|\bWebSocket\b.*\bclosed\b/i,
    {
      text: "The connection dropped before the server answered. Check your connection, then try again.",
      code: "CONNECTION_LOST",
    },
  ],
];

/** Sentences for the app's codes whose message is not for the person. */
const CODE_TEXT: Record<string, string> = {
  UNAUTHENTICATED: "You are signed out. Sign in again to continue.",
  FORBIDDEN: "Your account is not allowed to do this.",
  NOT_FOUND: "That record no longer exists.",
  STALE:
    "The record changed since you opened it. Look at it again, then retry.",
};

/** An error as a person should read it, with its code for support. */
export function explain(error: unknown): Problem {
  if (error instanceof ConvexError) {
    const data = error.data as { code?: unknown; message?: unknown };
    const code = typeof data?.code === "string" ? data.code : "APP_ERROR";
    // The app's messages are written for people; a missing one falls back
    // to the code's sentence.
    const text =
      typeof data?.message === "string" && data.message !== ""
        ? sentence(data.message)
        : (CODE_TEXT[code] ?? "The server refused this request.");
    return { text, code };
  }
  const message = error instanceof Error ? error.message : String(error);
  for (const [pattern, problem] of AUTH_PROBLEMS) {
    if (pattern.test(message)) return problem;
  }
  if (/Could not find public function/.test(message)) {
    return {
      text: "The server does not offer this to your account.",
      code: "NOT_AVAILABLE",
    };
  }
  return {
    text: "Something went wrong on the way to the server. Try again; if it keeps happening, tell support the code below.",
    code: "UNEXPECTED",
    detail: message,
  };
}

/** A message as a sentence: "name is empty" reads "Name is empty." */
function sentence(message: string): string {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}
