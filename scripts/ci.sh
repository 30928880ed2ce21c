#!/usr/bin/env bash
# The whole test suite, from a clean clone on a fresh machine: installs what the tests need
# (Debian packages with apt-get, npm packages with npm ci), builds, type-checks, lints, tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)  # test/tls-routes.test.ts makes certificates with it
[ -x /usr/bin/prometheus ] || need_apt+=(prometheus)  # test/prometheus.test.ts runs a real Prometheus (its own process, not the service)
command -v cc >/dev/null 2>&1 || need_apt+=(gcc)  # npm run build compiles native/* node-api addons (scripts/build-native.sh)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
  else
    echo "missing Debian packages: ${need_apt[*]} (run as root or install them)" >&2; exit 1
  fi
fi

npm ci --no-audit --no-fund
npm run build
npm run lint
bash scripts/test.sh
