/**
 * What an adopting app declares, once: its user table, the reference on each
 * side, and the field map. Everything else (sign-in callbacks, triggers,
 * manual and bulk sync, drift report, deletion, suspension, lookups) is
 * derived from it. Pure: no Convex calls.
 */
import type {
  DocumentByName,
  GenericDataModel,
  GenericMutationCtx,
  GenericQueryCtx,
  TableNamesInDataModel,
} from "convex/server";
import type { GenericId } from "convex/values";
import type { ConvexAuthV2, MoveToV2 } from "./convexAuthV2.js";
import {
  CONVEX_AUTH_TABLES,
  FOLD_USER_FIELDS,
  SYNC_USER_FIELDS,
} from "./tableNames.js";

/** A field of a table's documents, system fields aside. */
export type FieldOf<
  DataModel extends GenericDataModel,
  Table extends TableNamesInDataModel<DataModel>,
> = Exclude<
  keyof DocumentByName<DataModel, Table> & string,
  "_id" | "_creationTime"
>;

/**
 * A field of a table whose value (absent aside) is of type `Value`: a
 * declaration option that names a boolean or an id takes no other field.
 * Wrapped in tuples so that a union (`boolean`) is compared whole.
 */
export type FieldOfType<
  DataModel extends GenericDataModel,
  Table extends TableNamesInDataModel<DataModel>,
  Value,
> = {
  [Field in FieldOf<DataModel, Table>]: [
    NonNullable<DocumentByName<DataModel, Table>[Field]>,
  ] extends [Value]
    ? Field
    : never;
}[FieldOf<DataModel, Table>];

/**
 * What deleting an app row that is a user's counterpart does (app code
 * deleting it through the triggers):
 * - `deleteAccount`: the whole account goes with it (the user, its sign-in
 *   accounts, codes, sessions and refresh tokens), as `deleteAccount` does;
 * - `keepAccount`: the row and the app's data of it (onDeleteRow) go, and
 *   the account stays: the user is left without a row, which the drift
 *   report shows as `missing_counterpart` and its next sign-in, a run or a
 *   manual sync heals with a new row (or, under the usual rules, a legacy
 *   row of its verified address; the fold's placeholder of that address,
 *   only its next sign-in, see steps.ts's ensurePair).
 * A row in no pair is deleted alone either way.
 */
export type RowDeletion = "deleteAccount" | "keepAccount";

/** What checkSchema needs of a `defineSchema` result. */
export type SchemaLike = { tables: Record<string, unknown> };

/**
 * Who owns a mirrored value:
 * - `provider`: Convex Auth writes it at sign-in and the sync copies it to
 *   the app table; with `chosenBy`, a value the user chose in the app wins
 *   from then on;
 * - `app`: the app table holds it, and `users` mirrors it;
 * - `latest`: a timestamp; the larger of the two wins.
 */
export type Owner = "provider" | "app" | "latest";

/** One mirrored pair of fields. */
export type MirrorDeclaration<
  DataModel extends GenericDataModel,
  Table extends TableNamesInDataModel<DataModel>,
> = {
  /** A field of Convex Auth's `users` table (its profile fields). */
  users: "name" | "image" | "phone";
  /** The app table's field. */
  app: FieldOf<DataModel, Table>;
  owner: Owner;
  /**
   * For `owner: "provider"`: an app field that holds "user" once the user
   * chose their own value in the app (from then on the app's value wins and
   * is written back to `users`) and "provider" otherwise.
   */
  chosenBy?: FieldOf<DataModel, Table>;
  /**
   * With `chosenBy`: a legacy row's existing value counts as chosen when the
   * row is linked (its name survives provider renames).
   */
  legacyValueIsChosen?: boolean;
  /** Applied to the provider's value before it is stored in the app table. */
  normalize?: (value: unknown) => unknown;
};

/** Hooks for app-specific work; each runs in the sync's transaction. */
export type UserSyncHooks<
  DataModel extends GenericDataModel,
  Table extends TableNamesInDataModel<DataModel>,
> = {
  /**
   * After every completed sign-in's sync (a session is about to be
   * created), with the user and its paired row as they now are. Starter
   * content goes here, guarded by a marker of the app's own. Throwing
   * `appError("FORBIDDEN", …)` refuses the sign-in; any other error is
   * recorded (`sign_in_sync_failed`) and the sign-in goes ahead. Its work
   * counts against the sign-in transaction's limits: keep it small and
   * bounded (see docs/sign-in.md).
   */
  onSignIn?: (
    ctx: GenericMutationCtx<DataModel>,
    args: {
      user: DocumentByName<DataModel, "users">;
      row: DocumentByName<DataModel, Table>;
      now: number;
    },
  ) => Promise<void>;
  /**
   * When the sync deletes a row of the app table (or app code did): the
   * app's own data of it. May return how many documents it deleted, for the
   * counts the deletions report.
   */
  onDeleteRow?: (
    ctx: GenericMutationCtx<DataModel>,
    row: DocumentByName<DataModel, Table>,
  ) => Promise<number | void>;
  /**
   * When a person's data is exported (see UserSync.exportPerson): the
   * app's own data of their row, as plain values (the `app` field of the
   * export). Read a bounded amount; it runs in a query.
   */
  exportRow?: (
    ctx: GenericQueryCtx<DataModel>,
    row: DocumentByName<DataModel, Table>,
  ) => Promise<unknown>;
};

/**
 * The declaration. Field names are checked against the app's data model.
 *
 * @example
 * export const userSync = defineUserSync<DataModel>()({
 *   table: "auth_users",
 *   reference: { app: "convex_user_id", users: "auth_user_id" },
 *   email: { app: "email", verified: "email_verified" },
 *   mirror: [{ users: "name", app: "full_name", owner: "provider", chosenBy: "name_source" }],
 *   status: "status",
 *   lastLoginAt: "last_login_at",
 *   updatedAt: "updated_at",
 *   newRow: (now) => ({ created_at: now }),
 *   onRowDelete: "deleteAccount",
 *   schema,
 * });
 */
export type UserSyncDeclaration<
  DataModel extends GenericDataModel,
  Table extends TableNamesInDataModel<DataModel>,
  NewRow extends Partial<DocumentByName<DataModel, Table>> = Partial<
    DocumentByName<DataModel, Table>
  >,
> = {
  /** The app's own user table. */
  table: Table;
  /**
   * The cross-reference. `app`: the app table's field holding the `users`
   * id (required, indexed as `by_<field>`). `users`: the `users` field holding
   * the app row's id, if the app keeps one (then only a reference both sides
   * agree on counts); without it, the one row whose `app` field names the
   * user is its counterpart.
   */
  reference: {
    /** A field of the app table holding an `Id<"users">`. */
    app: FieldOfType<DataModel, Table, GenericId<"users">>;
    /** A field of `users` holding an id of the app table. */
    users?: FieldOfType<DataModel, "users", GenericId<NoInfer<Table>>>;
  };
  /**
   * The app table's email (stored as a key, see normalizeEmail) and its
   * verification mirror (a boolean, absent on rows from before the sync).
   */
  email: {
    app: FieldOfType<DataModel, Table, string>;
    verified: FieldOfType<DataModel, Table, boolean>;
  };
  /**
   * What app code deleting a user's counterpart row does: the whole
   * account, or the row only (see RowDeletion). Required: no default.
   */
  onRowDelete: RowDeletion;
  /**
   * The app's schema (`convex/schema.ts`'s default export). When given,
   * defining the sync checks it (checkSchema) and throws one error naming
   * every problem, so `npx convex dev` and every test fail on a schema the
   * sync cannot work with, instead of each sign-in failing.
   */
  schema?: SchemaLike;
  /** The other mirrored fields. */
  mirror?: readonly MirrorDeclaration<DataModel, Table>[];
  /** The app field of the account status ("active" / "suspended"). */
  status?: FieldOf<DataModel, Table>;
  /** The app field mirroring `users.lastLoginAt` (the later wins). */
  lastLoginAt?: FieldOf<DataModel, Table>;
  /** The app field mirroring `users.updatedAt` (a profile change's time). */
  updatedAt?: FieldOf<DataModel, Table>;
  /**
   * Required app fields outside the map, for a row the sync creates (its
   * own type parameter, so that `plan: "free"` is checked as the literal it
   * is rather than widened to `string`).
   */
  newRow?: (now: number) => NewRow;
  hooks?: UserSyncHooks<DataModel, NoInfer<Table>>;
  /**
   * The way out of two tables (docs/fold.md): which app fields get a home
   * on `users`, and which fields of other tables hold an app-table id. Once
   * declared, every write path keeps the `users` copies equal to the app's.
   */
  fold?: FoldDeclaration<DataModel, NoInfer<Table>>;
  /**
   * Convex Auth v2 (`@convex-dev/auth` 2.x): the app's mounted components
   * (`{ version: 2, core: components.auth, email: components.authEmail,
   * password: components.authPassword }`); the sync then plugs in through
   * `userSync.convexAuthV2Callbacks` (docs/convex-auth-v2.md). Absent:
   * Convex Auth v1, through `userSync.callbacks()`.
   */
  convexAuth?: ConvexAuthV2;
  /**
   * The v1 -> v2 move's settings while Convex Auth v1 still serves
   * sign-ins (docs/v2-move.md, step 2): the OAuth components v1's accounts
   * move into (`{ oauth: { github: components.authGithub } }`). Once the
   * app has switched to v2, `convexAuth` carries them instead.
   */
  moveToV2?: MoveToV2;
  /**
   * Where the app exports the sync's functions, for the sync to call them
   * (defaults: `userSync` for all).
   */
  modules?: {
    /** completeSignIn (see signInFunctions). */
    signIn?: string;
    /** runPage, processPage, supervise (see engineFunctions). */
    engine?: string;
    /** page (see driftReportFunctions). */
    driftReport?: string;
    /** purgeAuditLog, purgeHistory, eraseAuditTraces (see auditFunctions). */
    audit?: string;
  };
};

/**
 * A field of another table that holds an id of the app table (a foreign
 * key), and an index whose first field it is: the fold re-points it to the
 * `users` id, and a claim moves it from one user to another.
 */
export type FoldReference<DataModel extends GenericDataModel> = {
  [T in TableNamesInDataModel<DataModel>]: {
    table: T;
    field: FieldOf<DataModel, T>;
    index: string;
  };
}[TableNamesInDataModel<DataModel>];

/** What the fold into one table needs, beside the declaration. */
export type FoldDeclaration<
  DataModel extends GenericDataModel,
  Table extends TableNamesInDataModel<DataModel>,
> = {
  /**
   * The app's own fields and their home on `users`: app field to `users`
   * field. Required besides the app's own: a home for the email key and
   * its verification mirror (single-table mode finds a person by them), for
   * each mirrored field whose app value can win (`owner: "app"` or
   * `chosenBy`: Convex Auth rewrites `users.name` and `users.image` at every
   * sign-in), for each `chosenBy` field and for each `newRow` field. The
   * other mirrored fields (status, times, provider-owned values) live on
   * their `users` field already.
   */
  fields: {
    [Field in FieldOf<DataModel, Table>]?: FieldOf<DataModel, "users">;
  };
  /** Fields of other tables holding an app-table id. */
  references?: readonly FoldReference<DataModel>[];
  /**
   * App fields the app computes from others at every write (a search
   * text): they need no home, the fold's verify and single-table writes
   * pass them over, and retire drops them with the row.
   */
  derived?: readonly FieldOf<DataModel, Table>[];
  /**
   * The app's hooks once writes have stopped (stage `writes_stopped` on,
   * docs/fold.md): the app table is no longer written, so they receive the
   * user alone. Without them, the matching `hooks` entry is not called in
   * single-table mode.
   */
  hooks?: {
    /** As hooks.onSignIn, for a user with no row to be given. */
    onSignIn?: (
      ctx: GenericMutationCtx<DataModel>,
      args: { user: DocumentByName<DataModel, "users">; now: number },
    ) => Promise<void>;
    /** As hooks.onDeleteRow: the app's data of a user being erased. */
    onDeleteUser?: (
      ctx: GenericMutationCtx<DataModel>,
      user: DocumentByName<DataModel, "users">,
    ) => Promise<number | void>;
    /** As hooks.exportRow: the app's data of a user, for an export. */
    exportUser?: (
      ctx: GenericQueryCtx<DataModel>,
      user: DocumentByName<DataModel, "users">,
    ) => Promise<unknown>;
  };
};

/** One mirrored pair as every module sees it (see fieldMap). */
export type FieldPair = {
  users: string;
  app: string;
  owner: Owner;
  chosenBy?: string;
  legacyValueIsChosen?: boolean;
  /** Identity fields (email, verification, phone) are never written back. */
  usersWritable: boolean;
  normalize?: (value: unknown) => unknown;
  /** A change here is a profile change (bumps updatedAt). */
  bumpsUpdatedAt: boolean;
  /**
   * A fold field: `users` holds exactly the app's value, an absent one
   * included (clearing it in the app clears the copy).
   */
  exact?: boolean;
};

/** The fold, resolved (see FoldDeclaration). */
export type FoldShape = {
  /** The fold's fields, as mirrored pairs (owner "app", exact). */
  fields: FieldPair[];
  references: { table: string; field: string; index: string }[];
  /** Each app field's home on `users` (fold fields and mirrored ones). */
  homes: ReadonlyMap<string, string>;
  /** App fields computed from others, with no home (fold.derived). */
  derived: ReadonlySet<string>;
  /** The `users` field holding the email key, and its index with status. */
  emailKey: string;
  usersByEmailKeyStatus: string;
  /** The `users` field holding the verification mirror. */
  emailVerified: string;
  hooks: {
    onSignIn?: (
      ctx: GenericMutationCtx<GenericDataModel>,
      args: { user: AnyDoc; now: number },
    ) => Promise<void>;
    onDeleteUser?: (
      ctx: GenericMutationCtx<GenericDataModel>,
      user: AnyDoc,
    ) => Promise<number | void>;
    exportUser?: (
      ctx: GenericQueryCtx<GenericDataModel>,
      user: AnyDoc,
    ) => Promise<unknown>;
  };
};

/** The declaration, resolved: plain names every module works from. */
export type Shape = {
  table: string;
  onRowDelete: RowDeletion;
  appRef: string;
  usersRef: string | undefined;
  email: string;
  emailVerified: string;
  status: string | undefined;
  lastLoginAt: string | undefined;
  updatedAt: string | undefined;
  mirror: FieldPair[];
  /** Declared for the fold into one table, or undefined. */
  fold: FoldShape | undefined;
  newRow: (now: number) => Record<string, unknown>;
  /** App fields whose change is no profile change. */
  bookkeeping: ReadonlySet<string>;
  indexes: {
    /** App table: [appRef]. */
    appByUser: string;
    /** App table: [email, appRef, emailVerified]. */
    appByEmailAndUser: string;
    /** App table: [email, emailVerified]. */
    appByEmailVerified: string;
    /** App table: [email, status], when the app declares a status field. */
    appByEmailStatus: string | undefined;
    /** users: [usersRef], two-way references only. */
    usersByRef: string | undefined;
    /** users: [email, emailVerificationTime]. */
    usersByEmailVerified: string;
  };
  hooks: {
    onSignIn?: (
      ctx: GenericMutationCtx<GenericDataModel>,
      args: { user: AnyDoc; row: AnyDoc; now: number },
    ) => Promise<void>;
    onDeleteRow?: (
      ctx: GenericMutationCtx<GenericDataModel>,
      row: AnyDoc,
    ) => Promise<number | void>;
    exportRow?: (
      ctx: GenericQueryCtx<GenericDataModel>,
      row: AnyDoc,
    ) => Promise<unknown>;
  };
  /** Convex Auth v2's components; absent on v1. */
  convexAuth?: ConvexAuthV2;
  /** The v1 -> v2 move's settings while v1 still serves (see above). */
  moveToV2?: MoveToV2;
  /**
   * Convex Auth v1's tables the app has: all of them on v1; on v2, those
   * the declared schema keeps for the move (docs/v2-move.md), so that an
   * erasure takes the person's v1 accounts too.
   */
  v1Tables: ReadonlySet<string>;
  modules: {
    signIn: string;
    engine: string;
    driftReport: string;
    audit: string;
  };
};

/** A document of either table, as the library handles it. */
export type AnyDoc = Record<string, unknown> & {
  _id: GenericId<string>;
  _creationTime: number;
};

/**
 * The names of the indexes the sync queries, derived from field names: the
 * schema helpers create them under these names.
 */
export function indexNames(names: {
  appRef: string;
  usersRef?: string;
  email: string;
  emailVerified: string;
  status?: string;
}): Shape["indexes"] {
  const { appRef, usersRef, email, emailVerified, status } = names;
  return {
    appByUser: `by_${appRef}`,
    appByEmailAndUser: `by_${email}_and_${appRef}_and_${emailVerified}`,
    appByEmailVerified: `by_${email}_and_${emailVerified}`,
    appByEmailStatus:
      status === undefined ? undefined : `by_${email}_and_${status}`,
    usersByRef: usersRef === undefined ? undefined : `by_${usersRef}`,
    usersByEmailVerified: "by_email_and_emailVerificationTime",
  };
}

/** Resolves a declaration into the shape the modules use. */
export function resolveShape<
  DataModel extends GenericDataModel,
  Table extends TableNamesInDataModel<DataModel>,
>(declaration: UserSyncDeclaration<DataModel, Table>): Shape {
  const mirror: FieldPair[] = (declaration.mirror ?? []).map((pair) => ({
    users: pair.users,
    app: pair.app,
    owner: pair.owner,
    chosenBy: pair.chosenBy,
    legacyValueIsChosen: pair.legacyValueIsChosen,
    // The provider's identity fields flow out only; a value the user chose
    // (or the app owns) is written back.
    usersWritable: pair.owner !== "provider" || pair.chosenBy !== undefined,
    normalize: pair.normalize,
    bumpsUpdatedAt: true,
  }));
  const newRow = (now: number) =>
    (declaration.newRow?.(now) ?? {}) as Record<string, unknown>;
  const bookkeeping = new Set<string>([
    declaration.reference.app,
    ...Object.keys(newRow(0)),
  ]);
  for (const field of [declaration.lastLoginAt, declaration.updatedAt]) {
    if (field !== undefined) bookkeeping.add(field);
  }
  const modules = declaration.modules ?? {};
  return {
    table: declaration.table,
    onRowDelete: declaration.onRowDelete,
    appRef: declaration.reference.app,
    usersRef: declaration.reference.users,
    email: declaration.email.app,
    emailVerified: declaration.email.verified,
    status: declaration.status,
    lastLoginAt: declaration.lastLoginAt,
    updatedAt: declaration.updatedAt,
    mirror,
    fold: resolveFold(declaration),
    newRow,
    bookkeeping,
    indexes: indexNames({
      appRef: declaration.reference.app,
      usersRef: declaration.reference.users,
      email: declaration.email.app,
      emailVerified: declaration.email.verified,
      status: declaration.status,
    }),
    hooks: (declaration.hooks ?? {}) as Shape["hooks"],
    convexAuth: declaration.convexAuth,
    moveToV2: declaration.moveToV2,
    v1Tables: v1TablesOf(declaration.convexAuth, declaration.schema),
    modules: {
      signIn: modules.signIn ?? "userSync",
      engine: modules.engine ?? "userSync",
      driftReport: modules.driftReport ?? "userSync",
      audit: modules.audit ?? "userSync",
    },
  };
}

/**
 * Convex Auth v1's tables an app has: all of them on v1 (its `authTables`);
 * on v2, the ones its declared schema keeps (none without a schema).
 */
function v1TablesOf(
  convexAuth: ConvexAuthV2 | undefined,
  schema: SchemaLike | undefined,
): ReadonlySet<string> {
  const names = Object.keys(CONVEX_AUTH_TABLES).filter(
    (name) => name !== "users",
  );
  if (convexAuth === undefined) return new Set(names);
  return new Set(names.filter((name) => schema?.tables[name] !== undefined));
}

/** `users` fields that belong to Convex Auth or the sync: no fold field. */
const TAKEN_USERS_FIELDS: ReadonlySet<string> = new Set([
  ...CONVEX_AUTH_TABLES.users!.fields,
  ...SYNC_USER_FIELDS,
  ...FOLD_USER_FIELDS,
]);

/**
 * The fold's declaration, checked: a fold field needs a `users` field of
 * its own (not Convex Auth's, the sync's or another fold field's); an app
 * field the sync mirrors may have one only where single-table mode needs it
 * (its value can differ from the `users` field's, see FoldDeclaration), and
 * then must. Thrown at module load, as a schema problem is.
 */
function resolveFold<
  DataModel extends GenericDataModel,
  Table extends TableNamesInDataModel<DataModel>,
>(declaration: UserSyncDeclaration<DataModel, Table>): FoldShape | undefined {
  const fold = declaration.fold;
  if (fold === undefined) return undefined;
  const mirror = declaration.mirror ?? [];
  // The app fields whose value only a home on users keeps once the app
  // table is no longer written: the address, its verification, a value
  // the app side can win, who chose it, and a new row's own fields.
  const needsHome = new Set<string>([
    declaration.email.app,
    declaration.email.verified,
    ...mirror
      .filter((pair) => pair.owner === "app" || pair.chosenBy !== undefined)
      .map((pair) => pair.app as string),
    ...mirror
      .map((pair) => pair.chosenBy as string | undefined)
      .filter((field) => field !== undefined),
    ...Object.keys(declaration.newRow?.(0) ?? {}),
  ]);
  const mirrored = new Set<string>([
    declaration.reference.app,
    declaration.email.app,
    declaration.email.verified,
    ...mirror.map((pair) => pair.app as string),
    ...[declaration.status, declaration.lastLoginAt, declaration.updatedAt]
      .filter((field) => field !== undefined)
      .map(String),
  ]);
  const taken = new Set(TAKEN_USERS_FIELDS);
  if (declaration.reference.users !== undefined) {
    taken.add(declaration.reference.users);
  }
  const problems: string[] = [];
  const fields: FieldPair[] = [];
  const homes = new Map<string, string>();
  for (const [app, users] of Object.entries(fold.fields) as [
    string,
    string | undefined,
  ][]) {
    if (users === undefined) continue;
    if (mirrored.has(app) && !needsHome.has(app)) {
      problems.push(
        `fold.fields.${app}: the sync mirrors ${declaration.table}.${app} to a users field that holds its value already`,
      );
    } else if (taken.has(users)) {
      problems.push(
        `fold.fields.${app}: users.${users} belongs to Convex Auth, the sync or another fold field`,
      );
    } else {
      taken.add(users);
      homes.set(app, users);
      fields.push({
        users,
        app,
        owner: "app",
        usersWritable: true,
        bumpsUpdatedAt: true,
        exact: true,
      });
    }
  }
  const derived = new Set((fold.derived ?? []).map(String));
  for (const app of derived) {
    if (homes.has(app) || mirrored.has(app)) {
      problems.push(
        `fold.derived: ${declaration.table}.${app} is mirrored or has a home; a derived field has neither`,
      );
    }
  }
  for (const app of needsHome) {
    if (!homes.has(app)) {
      problems.push(
        `fold.fields.${app}: ${declaration.table}.${app} needs a home on users (once the app table is no longer written, only it keeps the value)`,
      );
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `convex-auth-user-sync: the fold's declaration is wrong: ${problems.join("; ")}.`,
    );
  }
  // The mirrored fields that need no home live on their users field.
  for (const pair of mirror) {
    if (!homes.has(pair.app)) homes.set(pair.app, pair.users);
  }
  for (const [app, users] of [
    [declaration.status, "status"],
    [declaration.lastLoginAt, "lastLoginAt"],
    [declaration.updatedAt, "updatedAt"],
  ] as const) {
    if (app !== undefined) homes.set(app, users);
  }
  const emailKey = homes.get(declaration.email.app)!;
  return {
    fields,
    references: (fold.references ?? []).map((ref) => ({
      table: ref.table,
      field: ref.field,
      index: ref.index,
    })),
    homes,
    derived,
    emailKey,
    usersByEmailKeyStatus: `by_${emailKey}_and_status`,
    emailVerified: homes.get(declaration.email.verified)!,
    hooks: (fold.hooks ?? {}) as FoldShape["hooks"],
  };
}
