/**
 * What a failed sign-in sync says an adopter must fix, when its error shows
 * a misconfiguration rather than a fault: the sync's function not exported
 * where the declaration says, or a schema without the sync's fields,
 * indexes or tables. Without it, each sign-in only logs Convex's own error
 * ("Could not find module", a validator error) and the adopter is left to
 * guess. Pure.
 */
import type { Shape } from "./declaration.js";

/** Convex's errors for a function reference that leads nowhere. */
const MISSING_FUNCTION =
  /could(?: not|n't) find|no such export|is not a mutation|not a function/i;

/** Convex's errors for a write or a query the schema does not allow. */
const SCHEMA_MISMATCH =
  /does not match the schema|not declared in the schema|validator error|extra field|index \S+ not found|table \S+ (?:not found|does not exist)/i;

/**
 * The fix, one sentence, or undefined when the error is no
 * misconfiguration this knows.
 *
 * @example misconfiguration(shape, 'Could not find module for: "userSync"')
 */
export function misconfiguration(
  shape: Shape,
  message: string,
): string | undefined {
  const module = shape.modules.signIn;
  if (
    MISSING_FUNCTION.test(message) &&
    (message.includes(module) || message.includes("completeSignIn"))
  ) {
    return `The sync's function ${module}:completeSignIn does not exist: export completeSignIn and endSessions from convex/${module}.ts (userSync.functions or userSync.signInFunctions), or set the declaration's modules.signIn to the module that exports them.`;
  }
  if (SCHEMA_MISMATCH.test(message)) {
    return `The schema lacks what the sync needs: pass schema to defineUserSync (it then names every problem when Convex loads the module), or run userSync.checkSchema(schema) in a test (docs/declaration.md#schema-requirements).`;
  }
  return undefined;
}
