#!/usr/bin/env bash
# Convex's own typecheck, as `npx convex dev` runs it before every push
# (offline: --system-udfs), on each example's convex/tsconfig.json.
set -euo pipefail
cd "$(dirname "$0")/.."
for example in examples/*/ fixtures/*/; do
  (cd "$example" && npx convex codegen --system-udfs --typecheck enable >/dev/null)
  echo "convex typecheck passed: $example"
done
