/**
 * The batched, resumable engine behind a migration and a periodic
 * "sync every pair" run: the runner (runs/runner.ts) over the phases of a
 * sync run, one module each (runs/phases/).
 *
 * A run reads each document once, in the phases of its plan, by default:
 * 1. "unlinked" (runs/phases/unlinked.ts): the app rows that name no user
 *    (legacy rows, imports), by creation time. They go first because their
 *    emails are normalized here, so the users of phase 2 find them by email
 *    reliably.
 * 2. "pairs" (runs/phases/pairs.ts): both tables merged in one shared
 *    order, the user id (see merge.ts). A user and a row that name each
 *    other are synced from memory, with no lookup; whatever else a key group
 *    holds (claims, dangling or one-sided references, users without a row)
 *    goes to the per-document steps of steps.ts, which look up what they
 *    need.
 *
 * Each phase is split into workers over disjoint key ranges (`workers`,
 * default sized from the last run), each a chain of pages: one page per
 * transaction, the next scheduled with `runAfter(0)`, its place kept in the
 * worker's cursor. The run record holds the run and what its finished
 * phases did; the last worker of a phase to finish starts the next or
 * completes the run. Workers touch only their own record per page, so they
 * never conflict over bookkeeping. A page that writes a document of another
 * worker's range (linking a row found from either side) is an ordinary
 * Convex transaction: if another page wrote what it read, Convex retries it
 * and it decides afresh, so a row is never linked twice.
 *
 * Each page watches its budget through `ctx.meta.getTransactionMetrics()`
 * (runs/budget.ts) and stops early, before any limit, when what remains
 * falls under a safety margin (the largest per-step cost seen so far plus a
 * reserve for bookkeeping); later pages then shrink, and grow back once
 * pages finish with room to spare. A page also ends after a step that wrote
 * a document the page still holds in memory, so every step acts on what the
 * database holds: the result never depends on the page size.
 *
 * A page that fails is retried one step at a time; a document that fails on
 * its own is recorded for review (`row_sync_failed`) and passed over, so a
 * run always completes. A page job that dies outright (a limit so far
 * exceeded that it cannot even record its failure) is noticed by the run's
 * supervisor job, which does the same.
 */
import type { Shape } from "./declaration.js";
import { appError } from "./errors.js";
import { singleTable } from "./fold/state.js";
import type { RunPhase } from "./runs/phase.js";
import { pairsPhase } from "./runs/phases/pairs.js";
import { unlinkedPhase } from "./runs/phases/unlinked.js";
import { makeRunner } from "./runs/runner.js";

export {
  DEFAULT_MAX_WORKERS,
  DEFAULT_PAGE_SIZE,
  DEFAULT_PLAN,
  MAX_PAGE_SIZE,
  MAX_WORKERS,
  startRunArgs,
  type StartRunOptions,
  SUPERVISE_EVERY_MS,
} from "./runs/runner.js";

/**
 * Builds the engine for one shape: its functions (the app exports them from
 * `shape.modules.engine`) and what starts a run. `extraPhases` gives the
 * phases beyond "unlinked" and "pairs" that a run's plan may name.
 */
export function makeEngine(
  shape: Shape,
  extraPhases?: (name: string) => RunPhase | undefined,
) {
  const phases: Record<string, RunPhase> = {
    unlinked: unlinkedPhase(shape),
    pairs: pairsPhase(shape),
  };
  return makeRunner(
    shape,
    (name) => {
      const phase = Object.hasOwn(phases, name)
        ? phases[name]
        : extraPhases?.(name);
      if (phase === undefined) throw new Error(`No run phase "${name}"`);
      return phase;
    },
    // The sync's own run pairs and writes both tables: once the app table
    // is no longer written (fold stage writes_stopped on), it refuses,
    // started or resumed. The fold's runs (their own plans) still run.
    async (ctx, plan) => {
      const own = plan.some((name) => Object.hasOwn(phases, name));
      if (own && shape.fold !== undefined && (await singleTable(ctx)).on) {
        throw appError(
          "CONFLICT",
          "The sync's run writes the app table, which is no longer written (fold stage writes_stopped): the fold's verify run checks the tables now; roll stop_writes back to sync both tables again.",
        );
      }
    },
  );
}
