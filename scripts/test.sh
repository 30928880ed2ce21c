#!/usr/bin/env bash
# Runs every compiled test file with node's test runner. Build first (npm run build).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find dist -name '*.test.js' -not -path '*/node_modules/*' | sort)
if [ ${#files[@]} -eq 0 ]; then echo "no test files found in dist/ (did the build run?)" >&2; exit 1; fi
exec node --test --test-concurrency=2 --test-timeout=600000 "${files[@]}"
