#!/usr/bin/env bash
# Regenerates convex/_generated offline in every app of the workspace (the
# examples and the adoption fixture); none uses Convex components, whose
# codegen would need a deployment.
set -euo pipefail
cd "$(dirname "$0")/.."
for app in examples/*/ fixtures/*/; do
  (cd "$app" && npx convex codegen --system-udfs --typecheck disable)
done
