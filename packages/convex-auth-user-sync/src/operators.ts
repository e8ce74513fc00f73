/**
 * Ready operator commands: internal functions an operator runs with
 * `npx convex run <module>:<name> '{…}'` or from the dashboard, so that an
 * adopter suspends, deletes, syncs, finds a person and resolves the review
 * queue without writing code. Each is a thin wrapper over the library's
 * steps (accounts.ts, lookups.ts, resolutions.ts, steps.ts); each writing
 * command is one transaction with one audit entry (actor CLI_ACTOR); bad
 * input is a ConvexError with a code of errors.ts, checked before any write.
 *
 * Naming a person: by id (a `users` id or an app-row id), or by an email
 * address only where it names one holder for sure: one account holds it
 * verified (or one legacy row holds it), and nothing else holds it, not
 * even unverified. An address held only by unverified claims (every
 * password sign-up), or by several accounts or rows, names nobody: anyone
 * can type anyone's address at a password sign-up, so acting on it could
 * hit the wrong person. An account holds an address verified when its own
 * `email` is that address and its provider verified it (a row's address,
 * which can be edited, never vouches for its account alone). `findUser`
 * lists every holder of an address it can read, verified or not, with
 * their ids; users.email is an exact-match index, so an account holding
 * the address in other capitals with no row is not seen, and deleteAccount,
 * which cannot be undone, takes an id only.
 *
 * In the fold's single-table mode (stage `writes_stopped` on) the commands
 * read and write `users` alone: a person is found by id or by the address
 * key's home (fold/people.ts); deleteRow, syncUser and the resolutions that
 * write the app table are refused (CONFLICT). See docs/fold.md.
 */
import {
  type GenericDataModel,
  type MutationBuilder,
  paginationOptsValidator,
  paginationResultValidator,
  type QueryBuilder,
} from "convex/server";
import { type GenericId, type Infer, v } from "convex/values";
import {
  deleteAccountData,
  type MutationCtx,
  refuseInSingleTable,
  setAccountStatus,
  setRowStatus,
} from "./accounts.js";
import {
  type Actor,
  audited,
  auditPage,
  CLI_ACTOR,
  type Target,
} from "./audit.js";
import { AUDITED_AUTH_FIELDS } from "./casePolicy.js";
import type { AnyDoc, Shape } from "./declaration.js";
import { appError, isAppError } from "./errors.js";
import { isPlaceholder } from "./placeholder.js";
import { signInAccounts } from "./signInAccounts.js";
import {
  foldOf,
  frozenRowOf,
  inSingleTable,
  userOfFrozenRow,
  usersWithKey,
} from "./fold/people.js";
import { virtualRow } from "./fold/virtualRow.js";
import { findPairByEmail, loadPairById, type UserPair } from "./lookups.js";
import { normalizeEmail } from "./policy.js";
import {
  openCases,
  resolveCase,
  type ResolutionRequest,
  retireRow,
  usersPointingAt,
} from "./resolutions.js";
import {
  byIndex,
  ensurePair,
  findPairedUser,
  getDoc,
  readPair,
  type ReadCtx,
  type SyncResult,
  syncFromRow,
} from "./steps.js";
import {
  type AccountStatus,
  auditEntryValidator,
  resolutionValidator,
  syncResultValidator,
  syncReviewValidator,
} from "./validators.js";

/** The most holders of one address each table gives `findUser`. */
export const MAX_FIND = 20;
/** The longest note an operator may leave (kept in the audit log). */
export const MAX_NOTE = 500;
/** Longer than any case version (caseVersion's hash). */
const MAX_VERSION = 64;
/** The longest address accepted (RFC 5321's path limit). */
const MAX_EMAIL = 254;

/**
 * A document of `users` or the app table, as stored: the library does not
 * know the app's schema, so its fields are not checked here (the schema
 * checks them on every write).
 */
const documentValidator = v.any();

/** One holder of an address (or the pair an id names), as findUser lists it. */
export const candidateValidator = v.object({
  /** The account: pass it as `id` to the other commands. */
  userId: v.union(v.id("users"), v.null()),
  /** The app row: its own id, for deleteRow or a row in no pair. */
  rowId: v.union(v.string(), v.null()),
  /** Both sides agree: the row is the account's. */
  paired: v.boolean(),
  /** The address as the account (or the row, with no account) holds it. */
  email: v.union(v.string(), v.null()),
  /**
   * Whether a provider verified the address for this account (for a row in
   * no pair: whether the row says so). An unverified holder only typed it.
   */
  emailVerified: v.boolean(),
  /** The account's sign-in methods (Convex Auth providers). */
  signInMethods: v.array(v.string()),
  user: v.union(v.null(), documentValidator),
  row: v.union(v.null(), documentValidator),
});
export type Candidate = {
  userId: GenericId<"users"> | null;
  rowId: string | null;
  paired: boolean;
  email: string | null;
  emailVerified: boolean;
  signInMethods: string[];
  user: AnyDoc | null;
  row: AnyDoc | null;
};

/** One case of the review queue, as openCases shows it. */
export const operatorCaseValidator = v.object({
  review: syncReviewValidator,
  user: v.union(v.null(), documentValidator),
  counterpart: v.union(v.null(), documentValidator),
  rows: v.array(
    v.object({
      id: v.string(),
      doc: v.union(v.null(), documentValidator),
      pairedUserId: v.union(v.null(), v.string()),
    }),
  ),
  version: v.string(),
});

/** Exactly one of these names the person a command acts on. */
const personArgs = {
  /** A `users` id or an app-row id. */
  id: v.optional(v.string()),
  /** An address one holder alone has, verified (see above). */
  email: v.optional(v.string()),
};
const noteArg = { note: v.optional(v.string()) };

/** The email key of an address an operator typed, or INVALID_ARGUMENT. */
export function operatorEmail(raw: string): string {
  const email = normalizeEmail(raw);
  if (
    email === undefined ||
    email.length > MAX_EMAIL ||
    !/^[^\s@]+@[^\s@]+$/.test(email)
  ) {
    throw appError("INVALID_ARGUMENT", "email is not a valid address");
  }
  return email;
}

/** A note an operator left, trimmed, or INVALID_ARGUMENT when too long. */
function operatorNote(note: string | undefined): string | undefined {
  if (note !== undefined && note.length > MAX_NOTE) {
    throw appError(
      "INVALID_ARGUMENT",
      `note is longer than ${MAX_NOTE} characters`,
    );
  }
  return note?.trim() || undefined;
}

/**
 * Every holder of an address, verified or not, each with its pair: users
 * whose `email` is the address (as typed, and its key), and app rows with
 * its key. At most MAX_FIND of each; `more` when a table had more.
 */
export async function findHolders(
  ctx: ReadCtx,
  shape: Shape,
  raw: string,
): Promise<{ candidates: Candidate[]; more: boolean }> {
  const key = operatorEmail(raw);
  if (await inSingleTable(ctx)) return await findUsersWithKey(ctx, shape, raw);
  const spellings = [...new Set([key, raw.trim()])];
  let more = false;
  const users: AnyDoc[] = [];
  for (const email of spellings) {
    const found = await byIndex(
      ctx,
      "users",
      shape.indexes.usersByEmailVerified,
      { email },
      MAX_FIND,
    );
    more ||= found.length === MAX_FIND;
    users.push(...found);
  }
  const rows = await byIndex(
    ctx,
    shape.table,
    shape.indexes.appByEmailVerified,
    { [shape.email]: key },
    MAX_FIND,
  );
  more ||= rows.length === MAX_FIND;
  const pairs = new Map<string, UserPair>();
  const add = (pair: UserPair) =>
    pairs.set(`${pair.user?._id ?? ""}|${pair.row?._id ?? ""}`, pair);
  for (const user of users) {
    add({ user, row: (await readPair(ctx, shape, user)).counterpart });
  }
  for (const row of rows) {
    add({ user: await findPairedUser(ctx, shape, row), row });
  }
  const candidates: Candidate[] = [];
  for (const pair of pairs.values()) {
    candidates.push(await describe(ctx, shape, pair));
  }
  candidates.sort(
    (a, b) =>
      (a.user ?? a.row)!._creationTime - (b.user ?? b.row)!._creationTime,
  );
  return { candidates, more };
}

/**
 * findHolders in single-table mode (stage `writes_stopped` on): every user
 * holding the address's key in its home (every spelling and method, the
 * placeholders included), and the users whose `email` is the address as
 * typed or its key (one missing the home is still seen). At most MAX_FIND
 * of each range; `more` when one had more.
 */
async function findUsersWithKey(
  ctx: ReadCtx,
  shape: Shape,
  raw: string,
): Promise<{ candidates: Candidate[]; more: boolean }> {
  const key = operatorEmail(raw);
  const found = await usersWithKey(ctx, shape, key, MAX_FIND);
  let more = found.more;
  const users = new Map(found.users.map((user) => [user._id, user]));
  for (const email of new Set([key, raw.trim()])) {
    const spelled = await byIndex(
      ctx,
      "users",
      shape.indexes.usersByEmailVerified,
      { email },
      MAX_FIND,
    );
    more ||= spelled.length === MAX_FIND;
    for (const user of spelled) users.set(user._id, user);
  }
  const candidates: Candidate[] = [];
  for (const user of users.values()) {
    candidates.push(await describeUser(ctx, shape, user));
  }
  candidates.sort((a, b) => a.user!._creationTime - b.user!._creationTime);
  return { candidates, more };
}

/**
 * A user as findUser shows it in single-table mode: the row is the one it
 * stands for (its virtual row, fold/virtualRow.ts), `rowId` the frozen row
 * it still names, if any. A placeholder shows its address key, unverified.
 */
async function describeUser(
  ctx: ReadCtx,
  shape: Shape,
  user: AnyDoc,
): Promise<Candidate> {
  const accounts = await signInAccounts(ctx, shape, user, MAX_FIND);
  const row = virtualRow(shape, user);
  const email = (user.email ?? user[foldOf(shape).emailKey] ?? null) as
    string | null;
  return {
    userId: user._id as GenericId<"users">,
    rowId: row._id === user._id ? null : row._id,
    paired: true,
    email,
    emailVerified: user.emailVerificationTime !== undefined,
    signInMethods: [...new Set(accounts.map((account) => account.provider))],
    user,
    row,
  };
}

/**
 * operatorTarget in single-table mode: a `users` id names its user; an
 * app-row id the user its frozen row is paired with (CONFLICT for a row
 * in no pair); an address the one user holding it, verified by its
 * provider or a placeholder's, when no other user holds it at all. The
 * pair's row is the frozen row, for the audit entry.
 */
async function singleTableTarget(
  ctx: ReadCtx,
  shape: Shape,
  args: { id?: string; email?: string },
): Promise<UserPair> {
  let user: AnyDoc | null;
  if (args.id !== undefined) {
    const userId = ctx.db.normalizeId("users", args.id);
    const rowId = ctx.db.normalizeId(shape.table, args.id);
    const row = rowId === null ? null : await getDoc(ctx, shape.table, rowId);
    user =
      userId !== null
        ? await getDoc(ctx, "users", userId)
        : row === null
          ? null
          : await userOfFrozenRow(ctx, shape, row);
    if (user === null) throw appError("NOT_FOUND", "Nothing has this id");
  } else {
    const key = operatorEmail(args.email!);
    const { candidates } = await findUsersWithKey(ctx, shape, args.email!);
    const only = candidates.length === 1 ? candidates[0]!.user! : null;
    const proves =
      only !== null &&
      (isPlaceholder(only) ||
        (only.emailVerificationTime !== undefined &&
          normalizeEmail(only.email) === key));
    if (candidates.length === 0) {
      throw appError("NOT_FOUND", "No account holds this address");
    }
    if (!proves) {
      throw appError(
        "INVALID_ARGUMENT",
        `${candidates.length} accounts hold this address${candidates.length === 1 ? ", unverified (anyone can type an address)" : ""}: run findUser with this email, and name the one you mean by id`,
      );
    }
    user = only;
  }
  return { user, row: await frozenRowOf(ctx, shape, user) };
}

/** A pair as findUser shows it (one index range for its sign-in methods). */
async function describe(
  ctx: ReadCtx,
  shape: Shape,
  { user, row }: UserPair,
): Promise<Candidate> {
  const accounts =
    user === null ? [] : await signInAccounts(ctx, shape, user, MAX_FIND);
  const paired =
    user !== null &&
    row !== null &&
    (await findPairedUser(ctx, shape, row))?._id === user._id;
  const email = (user?.email ?? row?.[shape.email] ?? null) as string | null;
  return {
    userId: (user?._id ?? null) as GenericId<"users"> | null,
    rowId: row?._id ?? null,
    paired,
    email,
    emailVerified:
      user !== null
        ? typeof user.emailVerificationTime === "number"
        : row?.[shape.emailVerified] === true,
    signInMethods: [...new Set(accounts.map((account) => account.provider))],
    user,
    row,
  };
}

/**
 * The pair a writing command acts on: by id (as linked: a one-sided
 * pointer joins nothing), or by an address that names one holder for sure
 * (see the module's comment). INVALID_ARGUMENT for both or neither, a string that is no id
 * of either table, or an address that names nobody for sure (several
 * holders, or unverified ones only: name one by id, see findUser);
 * NOT_FOUND when nothing has that id or address.
 */
export async function operatorTarget(
  ctx: ReadCtx,
  shape: Shape,
  args: { id?: string; email?: string },
): Promise<UserPair> {
  if ((args.id === undefined) === (args.email === undefined)) {
    throw appError("INVALID_ARGUMENT", "Pass exactly one of id or email");
  }
  if (
    args.id !== undefined &&
    ctx.db.normalizeId("users", args.id) === null &&
    ctx.db.normalizeId(shape.table, args.id) === null
  ) {
    throw appError(
      "INVALID_ARGUMENT",
      `Not a users or ${shape.table} id: ${args.id.slice(0, 40)}`,
    );
  }
  if (await inSingleTable(ctx)) {
    return await singleTableTarget(ctx, shape, args);
  }
  if (args.id !== undefined) {
    const pair = await loadPairById(ctx, shape, args.id, { join: false });
    if (pair === null) throw appError("NOT_FOUND", "Nothing has this id");
    return pair;
  }
  const email = operatorEmail(args.email!);
  // Several verified holders: INVALID_ARGUMENT from the lookup itself.
  const pair = await findPairByEmail(ctx, shape, email, { unique: true });
  const { candidates } = await findHolders(ctx, shape, args.email!);
  // The address names the one it found only when nobody else holds it,
  // even unverified: an operator typing it may mean that other account.
  const only =
    pair !== null &&
    candidates.length === 1 &&
    candidates[0]!.userId === (pair.user?._id ?? null) &&
    candidates[0]!.rowId === (pair.row?._id ?? null);
  if (only) return pair;
  if (candidates.length > 0) {
    throw appError(
      "INVALID_ARGUMENT",
      `${candidates.length} accounts or rows hold this address${pair === null ? ", none verified (anyone can type an address)" : ""}: run findUser with this email, and name the one you mean by id`,
    );
  }
  throw appError("NOT_FOUND", "No account or row holds this address");
}

/** The documents of a pair, for the audit log's before and after. */
function pairTargets(shape: Shape, pair: UserPair): Target[] {
  const targets: Target[] = [];
  if (pair.user !== null) targets.push({ table: "users", id: pair.user._id });
  if (pair.row !== null) targets.push({ table: shape.table, id: pair.row._id });
  return targets;
}

/** audited, with the tables of this app (see UserSync.audited). */
async function operatorAudited<T>(
  ctx: MutationCtx,
  shape: Shape,
  entry: {
    action: string;
    targets: readonly Target[];
    summary: string | ((result: T) => string);
    note?: string;
  },
  command: () => Promise<T>,
  created?: (result: T) => readonly Target[],
): Promise<T> {
  const actor: Actor = CLI_ACTOR;
  return await audited(
    ctx,
    {
      ...entry,
      action: `operator:${entry.action}`,
      actor,
      tables: ["users", shape.table, ...Object.keys(AUDITED_AUTH_FIELDS)],
      people: ["users", shape.table],
    },
    command,
    created,
  );
}

/** Suspends or reactivates the account (or a row in no pair) named. */
async function setStatus(
  ctx: MutationCtx,
  shape: Shape,
  args: { id?: string; email?: string; note?: string },
  status: AccountStatus,
): Promise<null> {
  const note = operatorNote(args.note);
  const pair = await operatorTarget(ctx, shape, args);
  const { user, row } = pair;
  if (user === null && shape.status === undefined) {
    throw appError(
      "INVALID_ARGUMENT",
      `This ${shape.table} row is in no pair and the table declares no status field: there is no account to ${status === "suspended" ? "suspend" : "reactivate"}`,
    );
  }
  await operatorAudited(
    ctx,
    shape,
    {
      action: status === "suspended" ? "suspend" : "reactivate",
      targets: pairTargets(shape, pair),
      summary:
        user !== null
          ? `Set status ${status}`
          : `Set status ${status} on a ${shape.table} row in no pair`,
      note,
    },
    async () => {
      if (user !== null) {
        await setAccountStatus(
          ctx,
          shape,
          user._id as GenericId<"users">,
          status,
        );
      } else {
        await setRowStatus(ctx, shape, row!._id, status);
      }
    },
  );
  return null;
}

/** The builders the operator functions are made with (the app's raw ones). */
export type OperatorBuilders = {
  internalMutation: MutationBuilder<GenericDataModel, "internal">;
  internalQuery: QueryBuilder<GenericDataModel, "internal">;
};

/**
 * The operator functions for one declaration: see UserSync.operatorFunctions
 * for what each does.
 */
export function makeOperatorFunctions(
  shape: Shape,
  builders: OperatorBuilders,
) {
  const { internalMutation, internalQuery } = builders;
  const rowIdOf = (ctx: ReadCtx, id: string, name: string) => {
    const rowId = ctx.db.normalizeId(shape.table, id);
    if (rowId === null) {
      throw appError("INVALID_ARGUMENT", `${name} is not a ${shape.table} id`);
    }
    return rowId;
  };
  return {
    findUser: internalQuery({
      args: personArgs,
      returns: v.object({
        candidates: v.array(candidateValidator),
        more: v.boolean(),
      }),
      handler: async (ctx, args) => {
        if ((args.id === undefined) === (args.email === undefined)) {
          throw appError("INVALID_ARGUMENT", "Pass exactly one of id or email");
        }
        if (args.email !== undefined) {
          return await findHolders(ctx, shape, args.email);
        }
        const describeTarget = async (pair: UserPair) =>
          pair.user !== null && (await inSingleTable(ctx))
            ? await describeUser(ctx, shape, pair.user)
            : await describe(ctx, shape, pair);
        // An id of nothing is no candidate; a malformed one is refused.
        const pair = await operatorTarget(ctx, shape, args).catch(
          (error: unknown) => {
            if (isAppError(error) && error.data.code === "NOT_FOUND") {
              return null;
            }
            throw error;
          },
        );
        return {
          candidates: pair === null ? [] : [await describeTarget(pair)],
          more: false,
        };
      },
    }),

    suspend: internalMutation({
      args: { ...personArgs, ...noteArg },
      returns: v.null(),
      handler: async (ctx, args) =>
        await setStatus(ctx, shape, args, "suspended"),
    }),

    reactivate: internalMutation({
      args: { ...personArgs, ...noteArg },
      returns: v.null(),
      handler: async (ctx, args) => await setStatus(ctx, shape, args, "active"),
    }),

    deleteAccount: internalMutation({
      args: { ...personArgs, ...noteArg },
      returns: v.object({ deleted: v.number() }),
      handler: async (ctx, args) => {
        const note = operatorNote(args.note);
        // Irreversible, so by id only: an address is checked against the
        // spellings an index can read (users.email matches exactly), and an
        // account holding it in other capitals, with no row, is not seen.
        if (args.email !== undefined) {
          throw appError(
            "INVALID_ARGUMENT",
            "deleteAccount takes an id only: run findUser with this email, and pass the userId of the account you mean",
          );
        }
        const pair = await operatorTarget(ctx, shape, args);
        if (pair.user === null) {
          throw appError(
            "INVALID_ARGUMENT",
            `This ${shape.table} row is in no pair: no account holds it. Delete it alone with deleteRow`,
          );
        }
        const userId = pair.user._id as GenericId<"users">;
        const deleted = await operatorAudited(
          ctx,
          shape,
          {
            action: "deleteAccount",
            targets: pairTargets(shape, pair),
            summary: "Deleted the account",
            note,
          },
          async () => await deleteAccountData(ctx, shape, userId),
        );
        return { deleted };
      },
    }),

    deleteRow: internalMutation({
      args: { id: v.string(), ...noteArg },
      returns: v.object({ deleted: v.number() }),
      handler: async (ctx, args) => {
        const note = operatorNote(args.note);
        const rowId = rowIdOf(ctx, args.id, "id");
        // Rows are frozen until the table is retired; a person's goes
        // with their account (deleteAccount).
        await refuseInSingleTable(ctx, shape, "delete a row alone");
        const row = await getDoc(ctx, shape.table, rowId);
        if (row === null)
          throw appError("NOT_FOUND", `No such ${shape.table} row`);
        // As a retirement: a row in a pair is an account's, never deleted
        // alone (that would leave its user without its data, or take it).
        const paired = await findPairedUser(ctx, shape, row);
        if (paired !== null) {
          throw appError(
            "CONFLICT",
            `This row is paired with users ${paired._id}: it is an account's. Delete the account with deleteAccount`,
          );
        }
        const pointing = await usersPointingAt(ctx, shape, row._id);
        const deleted = await operatorAudited(
          ctx,
          shape,
          {
            action: "deleteRow",
            targets: [
              { table: shape.table, id: row._id },
              ...pointing.map((user) => ({ table: "users", id: user._id })),
            ],
            summary: `Deleted ${shape.table} ${row._id}, a row in no pair`,
            note,
          },
          async () => await retireRow(ctx, shape, row, pointing, Date.now()),
        );
        return { deleted };
      },
    }),

    syncUser: internalMutation({
      args: personArgs,
      returns: syncResultValidator,
      handler: async (ctx, args) => {
        // In single-table mode a user is its own row: there is no pair to
        // bring into agreement, and a sync would write the app table.
        await refuseInSingleTable(ctx, shape, "sync a pair");
        const named = await operatorTarget(ctx, shape, args);
        // What the sync may link too, so the entry shows it before and after.
        const joined =
          args.id === undefined
            ? named
            : ((await loadPairById(ctx, shape, args.id, { join: true })) ??
              named);
        const fromRow =
          named.user === null ||
          (args.id !== undefined && named.row?._id === args.id);
        return await operatorAudited<SyncResult>(
          ctx,
          shape,
          {
            action: "syncUser",
            targets: pairTargets(shape, joined),
            summary: (result) =>
              `Synced: ${result.outcome}${result.changes.length > 0 ? ` (${result.changes.join("; ")})` : ""}`,
          },
          async () => {
            if (fromRow)
              return await syncFromRow(ctx, shape, named.row!, {
                now: Date.now(),
              });
            const user = named.user!;
            const { outcome, changes, rowId } = await ensurePair(
              ctx,
              shape,
              user,
              {},
              { now: Date.now() },
            );
            return {
              outcome,
              changes,
              rowId,
              userId: user._id as GenericId<"users">,
            };
          },
          (result) => [
            ...(result.userId === null
              ? []
              : [{ table: "users", id: result.userId }]),
            ...(result.rowId === null
              ? []
              : [{ table: shape.table, id: result.rowId }]),
          ],
        );
      },
    }),

    openCases: internalQuery({
      args: { paginationOpts: paginationOptsValidator },
      returns: paginationResultValidator(operatorCaseValidator),
      handler: async (ctx, { paginationOpts }) =>
        (await openCases(ctx, shape, paginationOpts)) as {
          page: Infer<typeof operatorCaseValidator>[];
          continueCursor: string;
          isDone: boolean;
        },
    }),

    resolveCase: internalMutation({
      args: {
        reviewId: v.string(),
        version: v.string(),
        action: resolutionValidator,
        userId: v.optional(v.string()),
        rowId: v.optional(v.string()),
        retireCurrent: v.optional(v.string()),
        note: v.optional(v.string()),
      },
      returns: v.object({
        resolution: resolutionValidator,
        summary: v.string(),
      }),
      handler: async (ctx, args) => {
        // 1. The case and its version, as openCases showed them.
        const reviewId = ctx.db.normalizeId("sync_reviews", args.reviewId);
        if (reviewId === null) {
          throw appError("INVALID_ARGUMENT", "reviewId is not a case id");
        }
        if (args.version.length > MAX_VERSION) {
          throw appError("INVALID_ARGUMENT", "version is not a case version");
        }
        const note = operatorNote(args.note);
        // 2. Exactly the ids the action takes, each of its table. Whether
        //    they are the case's own, and free to pair, is resolveCase's.
        const takes: readonly string[] = {
          link: ["userId", "rowId", "retireCurrent"],
          keep_separate: ["userId", "rowId"],
          retire: ["rowId"],
          dismiss: [],
        }[args.action];
        for (const name of ["userId", "rowId", "retireCurrent"] as const) {
          const given = args[name] !== undefined;
          if (given && !takes.includes(name)) {
            throw appError(
              "INVALID_ARGUMENT",
              `${args.action} takes no ${name}`,
            );
          }
          // retireCurrent is the one optional id (link only).
          if (!given && takes.includes(name) && name !== "retireCurrent") {
            throw appError("INVALID_ARGUMENT", `${args.action} needs ${name}`);
          }
        }
        const userId = () => {
          const id = ctx.db.normalizeId("users", args.userId!);
          if (id === null) {
            throw appError("INVALID_ARGUMENT", "userId is not a users id");
          }
          return id;
        };
        const rowId = () => rowIdOf(ctx, args.rowId!, "rowId");
        const common = {
          reviewId,
          version: args.version,
          note,
          actor: CLI_ACTOR,
        };
        let request: ResolutionRequest;
        switch (args.action) {
          case "link":
            request = {
              ...common,
              action: "link",
              userId: userId(),
              rowId: rowId(),
              retireCurrent:
                args.retireCurrent === undefined
                  ? undefined
                  : rowIdOf(ctx, args.retireCurrent, "retireCurrent"),
            };
            break;
          case "keep_separate":
            request = {
              ...common,
              action: "keep_separate",
              userId: userId(),
              rowId: rowId(),
            };
            break;
          case "retire":
            request = { ...common, action: "retire", rowId: rowId() };
            break;
          case "dismiss":
            request = { ...common, action: "dismiss" };
            break;
        }
        // 3. One transaction, one audit entry (resolveCase records it).
        return await resolveCase(ctx, shape, request);
      },
    }),

    auditLog: internalQuery({
      args: { paginationOpts: paginationOptsValidator },
      returns: paginationResultValidator(auditEntryValidator),
      handler: async (ctx, { paginationOpts }) =>
        await auditPage(ctx, paginationOpts),
    }),
  };
}
