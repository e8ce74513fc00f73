/**
 * The fold's runner phases by name (see stages.ts for which run uses
 * which): the engine asks here for a phase it does not know itself.
 */
import type { Shape } from "../declaration.js";
import type { RunPhase } from "../runs/phase.js";
import { placeholdersBackPhase, placeholdersPhase } from "./placeholders.js";
import { repointPhase } from "./repoint.js";
import { retirePhase } from "./retire.js";
import { rowsFromUsersPhase } from "./rowsFromUsers.js";
import {
  PLACEHOLDERS_BACK_PHASE,
  PLACEHOLDERS_PHASE,
  RETIRE_PHASE,
  ROWS_FROM_USERS_PHASE,
  VERIFY_PHASE,
} from "./stages.js";
import { verifyPhase, verifyReferencePhase } from "./verify.js";

export function foldPhaseNamed(
  shape: Shape,
  name: string,
): RunPhase | undefined {
  if (name === PLACEHOLDERS_PHASE) return placeholdersPhase(shape);
  if (name === PLACEHOLDERS_BACK_PHASE) return placeholdersBackPhase(shape);
  if (name === ROWS_FROM_USERS_PHASE) return rowsFromUsersPhase(shape);
  if (name === VERIFY_PHASE) return verifyPhase(shape);
  if (name === RETIRE_PHASE) return retirePhase(shape);
  const match = /^(repoint|repoint_back|verify_ref):(\d+)$/.exec(name);
  const reference =
    match === null ? undefined : shape.fold?.references[Number(match[2])];
  if (match === null || reference === undefined) return undefined;
  if (match[1] === "verify_ref") return verifyReferencePhase(shape, reference);
  return repointPhase(
    shape,
    reference,
    match[1] === "repoint" ? "forward" : "back",
  );
}
