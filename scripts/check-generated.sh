#!/usr/bin/env bash
# Fails when an example's committed convex/_generated differs from a fresh
# offline codegen.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent codegen >/dev/null
for dir in examples/*/convex/_generated fixtures/*/convex/_generated; do
  # Changed tracked files, or new files git does not know about yet.
  if ! git diff --exit-code --stat -- "$dir" ||
    [ -n "$(git ls-files --others --exclude-standard -- "$dir")" ]; then
    echo "$dir is stale: run 'npm run codegen' and commit the result." >&2
    exit 1
  fi
done
echo "convex/_generated is up to date in every app."
