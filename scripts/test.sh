#!/usr/bin/env bash
# The whole suite: typecheck, then every test file under test/ with Node's own runner.
# (Node 20's --test does not expand globs itself, so the file list is built here.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "typecheck: tsc --noEmit" >&2
node_modules/.bin/tsc --noEmit -p .
mapfile -t files < <(find test -name '*.test.ts' -not -path '*/fixtures/*' | sort)
exec node --import tsx --test --test-concurrency=2 "${files[@]}"
