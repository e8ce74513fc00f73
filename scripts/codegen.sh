#!/usr/bin/env bash
# Regenerates convex/_generated offline in every app of the workspace (the
# examples and the adoption fixture). Offline codegen ignores
# convex.config.ts: examples/v2, the one app that mounts Convex components,
# declares its typed `components` by hand (examples/v2/convex/components.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
for app in examples/*/ fixtures/*/; do
  (cd "$app" && npx convex codegen --system-udfs --typecheck disable)
done
