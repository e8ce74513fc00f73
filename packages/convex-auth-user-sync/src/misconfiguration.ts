/**
 * What a failed sign-in sync says an adopter must fix, when its error shows
 * a misconfiguration rather than a fault: the sync's function not exported
 * where the declaration says, or a schema without the sync's fields,
 * indexes or tables. Without it, each sign-in only logs Convex's own error
 * ("Could not find module", a validator error) and the adopter is left to
 * guess. Pure.
 */
import type { Shape } from "./declaration.js";
import { CONVEX_AUTH_TABLES, SYNC_USER_FIELDS } from "./tableNames.js";

/** Convex's errors for a function reference that leads nowhere. */
const MISSING_FUNCTION =
  /could(?: not|n't) find|no such export|is not a mutation|not a function/i;

/** Convex's errors for a write or a query the schema does not allow. */
const SCHEMA_MISMATCH =
  /does not match the schema|not declared in the schema|validator error|extra field|index \S+ not found|table \S+ (?:not found|does not exist)/i;

/**
 * The fix, one sentence, or undefined when the error is no
 * misconfiguration of the sync's own: an app's own write or call failing
 * inside a sign-in (an onSignIn hook) keeps its plain error, so the fix
 * named is only ever the sync's.
 *
 * @example misconfiguration(shape, 'Could not find module for: "userSync"')
 */
export function misconfiguration(
  shape: Shape,
  message: string,
): string | undefined {
  const module = shape.modules.signIn;
  if (MISSING_FUNCTION.test(message) && namesSyncModule(module, message)) {
    return `The sync's function ${module}:completeSignIn does not exist: export completeSignIn and endSessions from convex/${module}.ts (userSync.functions or userSync.signInFunctions), or set the declaration's modules.signIn to the module that exports them.`;
  }
  if (SCHEMA_MISMATCH.test(message) && aboutSyncSchema(shape, message)) {
    return `The schema lacks what the sync needs: pass schema to defineUserSync (it then names every problem when Convex loads the module), or run userSync.checkSchema(schema) in a test (docs/declaration.md#schema-requirements).`;
  }
  return undefined;
}

/** Whether the error names the sync's module as a module, not in passing. */
function namesSyncModule(module: string, message: string): boolean {
  return (
    message.includes(`"${module}"`) ||
    message.includes(`${module}:completeSignIn`) ||
    message.includes(`${module}:endSessions`) ||
    message.includes(`${module}:expireSignUp`) ||
    message.includes(`${module}.js`)
  );
}

/**
 * Whether a schema error is about what the sync reads or writes. A table
 * only the sync and Convex Auth write (sync_*, Convex Auth's) is enough;
 * `users` and the app table hold the app's own fields too, so there (and
 * in a bare validator error, which names no table) a field or index the
 * error names must be the sync's: an onSignIn hook's bad write of an app
 * field keeps its plain error (found by review).
 */
function aboutSyncSchema(shape: Shape, message: string): boolean {
  const tables = [
    ...message.matchAll(/\btable "?([A-Za-z_]\w*)"?/gi),
    ...message.matchAll(/\bindex "?([A-Za-z_]\w*)\.\w+/gi),
  ].map((match) => match[1]!);
  if (
    tables.some(
      (table) =>
        table.startsWith("sync_") ||
        (table !== "users" && table in CONVEX_AUTH_TABLES),
    )
  ) {
    return true;
  }
  if (
    tables.length > 0 &&
    !tables.some((table) => table === "users" || table === shape.table)
  ) {
    return false;
  }
  return namesSyncField(shape, message);
}

/** Whether the error names a field or index the sync declares. */
function namesSyncField(shape: Shape, message: string): boolean {
  const syncNames = new Set<string>([
    ...SYNC_USER_FIELDS,
    ...shape.mirror.flatMap((pair) => [pair.users, pair.app]),
    ...shape.bookkeeping,
    ...[
      shape.appRef,
      shape.usersRef,
      shape.email,
      shape.emailVerified,
      shape.status,
      shape.lastLoginAt,
      shape.updatedAt,
    ].filter((name) => name !== undefined),
    ...Object.values(shape.indexes).filter((name) => name !== undefined),
  ]);
  return [
    ...message.matchAll(/[`"]([A-Za-z_]\w*)[`"]/g),
    // Convex's "Index users.by_email… not found": the index after the dot.
    ...message.matchAll(/\bindex "?[A-Za-z_]\w*\.(\w+)/gi),
  ].some((match) => syncNames.has(match[1]!));
}
