/**
 * What a client sees of a refusal: the stable code the app throws it with.
 * (An app's sign-in drivers are its own: `ConformanceApp.passwordSignIn`;
 * Convex Auth v1's are in convexAuthV1.ts.)
 */
import { ConvexError } from "convex/values";

/** A ConvexError's stable code (`data.code`), or undefined for anything else. */
export function codeOf(error: unknown): unknown {
  return error instanceof ConvexError
    ? (error.data as { code?: unknown }).code
    : undefined;
}
