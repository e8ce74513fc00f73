/**
 * The v1 -> v2 move's run (docs/v2-move.md, "The run"): a runner phase over
 * `users` in creation-time pages. Each user's v1 identities (`authAccounts`
 * rows, by index `userIdAndProvider`, bounded) are planned by `movePlan`,
 * and only what v2 can take is written:
 * - a GitHub or Google account goes into its declared component, as is
 *   (`getUserIdByAccount` first: an account v2 has for this user already
 *   is left alone, one v2 gives another user is a case);
 * - a password or an email-code identity waits for the person's next
 *   sign-in: the v1 row stays where it is, and the user counts as
 *   `pending` in the run (nothing is written into a component);
 * - a plan's review, or an account the run cannot place, is a
 *   `v2_move_identity` case (it names no app row: fix v1, then dismiss).
 * A dry run writes nothing and logs each of these as a planned change.
 */
import type { GenericDataModel, GenericMutationCtx } from "convex/server";
import type { GenericId } from "convex/values";
import type { AnyDoc, Shape } from "../declaration.js";
import { byIndex, insertDoc } from "../db.js";
import { documentPhase } from "../fold/documentPhase.js";
import type { RunPhase } from "../runs/phase.js";
import { reviewKey, type SyncOptions, type SyncResult } from "../steps.js";
import type { MoveToV2, OAuthComponent } from "../convexAuthV2.js";
import { withMethod } from "../v2/proof.js";
import { DEFAULT_V2_METHODS, movePlan, type V1AccountRow } from "./movePlan.js";

type MutationCtx = GenericMutationCtx<GenericDataModel>;

/** The runner phase of the move, and the name of its runs. */
export const V2_MOVE_PHASE = "v2_move";
export const V2_MOVE_ORPHANS_PHASE = "v2_move_orphans";
export { V2_MOVE_RUN } from "../tableNames.js";

/**
 * The most v1 identities one user's step reads: v1 keeps one per provider
 * and address, so more is damage (a case), never a reason to read on.
 */
export const MAX_V1_ACCOUNTS = 20;

/** The v1 table and index the move reads (Convex Auth 0.0.x's own). */
const V1_ACCOUNTS = "authAccounts";
const V1_ACCOUNTS_BY_USER = "userIdAndProvider";
const V1_ACCOUNTS_BY_ACCOUNT = "providerAndAccountId";

function rowProvider(rows: readonly V1AccountRow[], accountId: string): string {
  return rows.find((row) => row._id === accountId)!.provider;
}

/** The v1 provider ids the app maps to `method`, `own` first. */
function providersOf(
  methods: Readonly<Record<string, string>>,
  method: string,
  own: string,
): string[] {
  const mapped = Object.keys(methods).filter(
    (provider) => methods[provider] === method && provider !== own,
  );
  return [own, ...mapped];
}

/**
 * The moved account among the user's sign-in methods (`users.authMethods`),
 * as a v2 sign-in would list it: the operator's view, an export and an
 * erasure read them there (found by review). Nothing in a dry run.
 */
async function listMethod(
  ctx: GenericMutationCtx<GenericDataModel>,
  user: AnyDoc,
  method: string,
  account: string,
  options: SyncOptions,
): Promise<void> {
  if (options.dryRun) return;
  const methods = withMethod(user.authMethods, {
    method,
    account,
    verified: false,
    emailFromComponent: false,
  });
  if (methods !== user.authMethods) {
    await ctx.db.patch("users", user._id as GenericId<"users">, {
      authMethods: methods,
    });
    user.authMethods = methods;
  }
}

/** Where v2 keeps each OAuth method's accounts (the default mount names). */
const COMPONENT_NAME = { github: "authGithub", google: "authGoogle" } as const;

/**
 * A case of the move for a person. It names no app row (its rows are v1's
 * accounts, in the detail), so it is keyed by the accounts: two findings
 * about one user are two cases, the same finding again writes nothing.
 * Returns the run's line for it, which names the reason and the ids only:
 * the detail may quote an address, and a run's lines outlive an erasure
 * (the case is scrubbed with the person; found by review).
 */
async function recordMoveCase(
  ctx: MutationCtx,
  userId: string,
  accountIds: readonly string[],
  finding: { reason: string; detail: string },
  options: SyncOptions,
): Promise<string> {
  const ids =
    accountIds.length === 0 ? "" : `, authAccounts ${accountIds.join(", ")}`;
  const line = `review v2_move_identity: ${finding.reason} (users ${userId}${ids})`;
  if (options.dryRun) return line;
  const key = reviewKey("v2_move_identity", userId, accountIds);
  const [existing] = await byIndex(ctx, "sync_reviews", "by_key", { key }, 1);
  if (existing === undefined) {
    await insertDoc(ctx, "sync_reviews", {
      kind: "v2_move_identity",
      key,
      user_id: userId,
      row_ids: [],
      detail: `${finding.reason}: ${finding.detail}`,
      first_seen_at: options.now,
    });
  }
  return line;
}

/**
 * One user's move. The outcome, counted by the run per person: `created`
 * when an account went into a component (the rollback reports these
 * people), else `pending` when an identity waits for the person's next
 * sign-in, else `conflict` when the user has nothing but cases, else
 * `unchanged`. Each identity is one line of the changes (a dry run's log).
 */
export async function moveUser(
  ctx: MutationCtx,
  shape: Shape,
  user: AnyDoc,
  options: SyncOptions,
): Promise<SyncResult> {
  const config = moveSettings(shape);
  if (config === undefined) {
    throw new Error(
      "The v2 move needs the declaration's moveToV2 or convexAuth",
    );
  }
  const userId = user._id as string;
  const changes: string[] = [];
  let created = 0;
  let waiting = 0;
  let cases = 0;
  /** A case of the move for this user, counted and listed. */
  const addCase = async (
    accountIds: string[],
    reason: string,
    detail: string,
  ) => {
    cases++;
    changes.push(
      await recordMoveCase(
        ctx,
        userId,
        accountIds,
        { reason, detail },
        options,
      ),
    );
  };

  // 1. The user's v1 identities, bounded.
  const rows = (await byIndex(
    ctx,
    V1_ACCOUNTS,
    V1_ACCOUNTS_BY_USER,
    { userId: user._id },
    MAX_V1_ACCOUNTS + 1,
  )) as unknown as V1AccountRow[];
  if (rows.length > MAX_V1_ACCOUNTS) {
    changes.push(
      await recordMoveCase(
        ctx,
        userId,
        [],
        {
          reason: "too_many_v1_accounts",
          detail: `users ${userId} has more than ${MAX_V1_ACCOUNTS} v1 accounts: none moved`,
        },
        options,
      ),
    );
    return {
      outcome: "conflict",
      userId: user._id as GenericId<"users">,
      rowId: null,
      changes,
    };
  }

  // 2. The plan (pure); its reviews are cases.
  const methods = config.v1Methods ?? DEFAULT_V2_METHODS;
  const plan = movePlan(user, rows, { methods });
  for (const review of plan.reviews) {
    await addCase(
      review.accountIds,
      review.reason,
      `${review.detail} (authAccounts ${review.accountIds.join(", ")})`,
    );
  }

  // 3. Each identity that can move, or waits.
  for (const move of plan.moves) {
    if (
      move.kind === "password_rehash_pending" ||
      move.kind === "verified_email"
    ) {
      waiting++;
      changes.push(
        `authAccounts ${move.accountId}: ${move.kind} waits for the person's next sign-in (kept in v1)`,
      );
      continue;
    }
    if (move.kind !== "github_account" && move.kind !== "google_account") {
      continue;
    }
    const method = move.kind === "github_account" ? "github" : "google";
    const component: OAuthComponent | undefined = config.oauth?.[method];
    if (component === undefined) {
      await addCase(
        [move.accountId],
        "component_not_declared",
        `no ${COMPONENT_NAME[method]} in the declaration's oauth (moveToV2 or convexAuth); the ${method} account stays in v1 (authAccounts ${move.accountId})`,
      );
      continue;
    }
    // v1 holding one account id on two users is damage: neither is
    // guessed to be the owner.
    // Every v1 provider id the app maps to this method (a web and a mobile
    // GitHub app, say) names the same GitHub accounts (found by review).
    const holders: AnyDoc[] = [];
    for (const provider of providersOf(
      methods,
      method,
      rowProvider(rows, move.accountId),
    )) {
      holders.push(
        ...(await byIndex(
          ctx,
          V1_ACCOUNTS,
          V1_ACCOUNTS_BY_ACCOUNT,
          { provider, providerAccountId: move.providerAccountId },
          2,
        )),
      );
    }
    if (holders.some((row) => row.userId !== user._id)) {
      await addCase(
        [move.accountId],
        "account_held_twice_in_v1",
        `v1 gives ${method} account ${move.providerAccountId} to another user too; neither moves (authAccounts ${move.accountId})`,
      );
      continue;
    }
    const holder = await ctx.runQuery(component.provider.getUserIdByAccount, {
      providerAccountId: move.providerAccountId,
    });
    if (holder === userId) {
      await listMethod(ctx, user, method, move.providerAccountId, options);
      continue;
    }
    if (holder !== null) {
      await addCase(
        [move.accountId],
        "account_taken_in_v2",
        `${COMPONENT_NAME[method]} gives ${method} account ${move.providerAccountId} to users ${holder} (authAccounts ${move.accountId})`,
      );
      continue;
    }
    if (!options.dryRun) {
      await ctx.runMutation(
        component.provider._internal_dangerous_createAccount,
        {
          providerAccountId: move.providerAccountId,
          userId,
        },
      );
      await listMethod(ctx, user, method, move.providerAccountId, options);
    }
    created++;
    changes.push(
      `${COMPONENT_NAME[method]}: create the account of authAccounts ${move.accountId} for users ${userId}`,
    );
  }

  // 4. The user's outcome.
  const outcome =
    created > 0
      ? "created"
      : waiting > 0
        ? "pending"
        : cases > 0
          ? "conflict"
          : "unchanged";
  return {
    outcome,
    userId: user._id as GenericId<"users">,
    rowId: null,
    changes,
  };
}

/** The move's runner phase: every user, by creation time. */
export function v2MovePhase(shape: Shape): RunPhase {
  return documentPhase({
    stream: { table: "users", index: "by_creation_time", prefix: {} },
    step: async (ctx, user, options) =>
      await moveUser(ctx, shape, user, options),
    blame: (user) => ({
      userId: user._id as never,
      rowIds: [],
      what: "users row (the v2 move)",
    }),
  });
}

/**
 * A v1 account naming a user that no longer exists (v1 app code deleted
 * the user and left its accounts): no user's step sees it, so this step
 * makes the user's accounts one case (found by review). It moves nowhere, and may hold a
 * password hash and an address of someone deleted: the operator deletes
 * it in v1. Every other account is the users phase's, and is not counted.
 */
export async function orphanAccount(
  ctx: MutationCtx,
  account: AnyDoc,
  options: SyncOptions,
): Promise<SyncResult | null> {
  const userId = account.userId as GenericId<"users">;
  if ((await ctx.db.get("users", userId)) !== null) return null;
  // One case, and one count, per deleted user: at its first account (in
  // v1's index order), naming every account of it (bounded).
  const accounts = await byIndex(
    ctx,
    V1_ACCOUNTS,
    V1_ACCOUNTS_BY_USER,
    { userId },
    MAX_V1_ACCOUNTS,
  );
  if (accounts[0]?._id !== account._id) return null;
  const ids = accounts.map((row) => row._id as string);
  const line = await recordMoveCase(
    ctx,
    userId,
    ids,
    {
      reason: "account_of_deleted_user",
      detail: `authAccounts ${ids.join(", ")} (${accounts.map((row) => String(row.provider)).join(", ")}) name users ${userId}, which no longer exists: they move nowhere. Delete them in v1 (they may hold a password hash and an address), then dismiss this case.`,
    },
    options,
  );
  return { outcome: "conflict", userId: null, rowId: null, changes: [line] };
}

/** The move's second phase: v1's accounts whose user is gone. */
export function v2MoveOrphansPhase(): RunPhase {
  return documentPhase({
    stream: { table: V1_ACCOUNTS, index: "by_creation_time", prefix: {} },
    step: async (ctx, account, options) =>
      await orphanAccount(ctx, account, options),
    blame: (account) => ({
      rowIds: [],
      what: `authAccounts row ${account._id} (the v2 move)`,
    }),
  });
}

/** The move's phases, in order: the people, then accounts of nobody. */
export const V2_MOVE_PHASES = [V2_MOVE_PHASE, V2_MOVE_ORPHANS_PHASE] as const;

/** The move's phases by name, for the engine. */
export function v2MovePhaseNamed(
  shape: Shape,
  name: string,
): RunPhase | undefined {
  if (moveSettings(shape) === undefined) return undefined;
  if (name === V2_MOVE_PHASE) return v2MovePhase(shape);
  if (name === V2_MOVE_ORPHANS_PHASE) return v2MoveOrphansPhase();
  return undefined;
}

/**
 * The move's settings: `moveToV2` while v1 still serves sign-ins, else
 * v2's `convexAuth` once the app has switched.
 */
export function moveSettings(shape: Shape): MoveToV2 | undefined {
  return shape.moveToV2 ?? shape.convexAuth;
}
