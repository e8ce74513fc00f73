#!/usr/bin/env bash
# Fails when the committed convex/_generated differs from a fresh offline codegen.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent codegen
# Changed tracked files, or new files git does not know about yet.
if ! git diff --exit-code --stat -- convex/_generated ||
  [ -n "$(git ls-files --others --exclude-standard -- convex/_generated)" ]; then
  echo "convex/_generated is stale: run 'npm run codegen' and commit the result." >&2
  exit 1
fi
echo "convex/_generated is up to date."
