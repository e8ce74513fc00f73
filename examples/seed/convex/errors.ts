/**
 * Client-visible error codes: the app uses the sync's (one set of stable
 * codes, one type guard), from convex-auth-user-sync.
 *
 * @example if (isAppError(e) && e.data.code === "FORBIDDEN") showSuspended();
 */
export {
  appError,
  type AppErrorData,
  ERROR_CODES,
  type ErrorCode,
  isAppError,
} from "convex-auth-user-sync";
