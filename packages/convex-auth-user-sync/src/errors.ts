import { ConvexError } from "convex/values";

/**
 * Every code a client can see in a `ConvexError`'s data. Stable: clients
 * branch on them.
 */
export const ERROR_CODES = {
  /** No signed-in user. */
  UNAUTHENTICATED: "UNAUTHENTICATED",
  /** Signed in, but not allowed to do this. */
  FORBIDDEN: "FORBIDDEN",
  /** The arguments are malformed or out of bounds; nothing was written. */
  INVALID_ARGUMENT: "INVALID_ARGUMENT",
  /** A record named by the arguments does not exist. */
  NOT_FOUND: "NOT_FOUND",
  /**
   * The account's records are in a state a person must resolve first (see
   * the review queue); nothing was written.
   */
  CONFLICT: "CONFLICT",
  /**
   * The case or records changed since the caller was shown them (a review
   * resolved by someone else, a row edited or deleted meanwhile); nothing
   * was written. Show the case again.
   */
  STALE: "STALE",
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export type AppErrorData = { code: ErrorCode; message: string };

/**
 * A client-visible error. Invariant violations use plain `Error` instead.
 *
 * @example throw appError("NOT_FOUND", "No such user");
 */
export function appError(
  code: ErrorCode,
  message: string,
): ConvexError<AppErrorData> {
  return new ConvexError({ code, message });
}

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ERROR_CODES));

/**
 * Type guard for errors thrown by the sync's functions (and an app's, using
 * these codes), on the server or the
 * client.
 *
 * @example
 * try { await updateProfile({ name }) } catch (e) {
 *   if (isAppError(e) && e.data.code === "INVALID_ARGUMENT") showHint(e.data.message);
 * }
 */
export function isAppError(error: unknown): error is ConvexError<AppErrorData> {
  if (!(error instanceof ConvexError)) return false;
  const data: unknown = error.data;
  return (
    typeof data === "object" &&
    data !== null &&
    "code" in data &&
    typeof data.code === "string" &&
    KNOWN_CODES.has(data.code) &&
    "message" in data &&
    typeof data.message === "string"
  );
}
