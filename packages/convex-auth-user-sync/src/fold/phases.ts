/**
 * The fold's runner phases by name (see stages.ts for which run uses
 * which): the engine asks here for a phase it does not know itself.
 */
import type { Shape } from "../declaration.js";
import type { RunPhase } from "../runs/phase.js";
import { placeholdersBackPhase, placeholdersPhase } from "./placeholders.js";
import { repointPhase } from "./repoint.js";
import { PLACEHOLDERS_BACK_PHASE, PLACEHOLDERS_PHASE } from "./stages.js";

export function foldPhaseNamed(
  shape: Shape,
  name: string,
): RunPhase | undefined {
  if (name === PLACEHOLDERS_PHASE) return placeholdersPhase(shape);
  if (name === PLACEHOLDERS_BACK_PHASE) return placeholdersBackPhase(shape);
  const match = /^(repoint|repoint_back):(\d+)$/.exec(name);
  const reference =
    match === null ? undefined : shape.fold?.references[Number(match[2])];
  if (match === null || reference === undefined) return undefined;
  return repointPhase(
    shape,
    reference,
    match[1] === "repoint" ? "forward" : "back",
  );
}
