#!/usr/bin/env bash
# Builds Weft's node-api addons (native/*) with the C compiler directly, against the running
# Node's headers: dist/native/<name>.node. Run by `npm run build` after tsc. A machine without a
# compiler or headers gets a warning, not a failed build: the proxy then logs once and falls back
# (see src/proxy/network/tcp-keepalive.ts), and the addon's own test fails.
set -uo pipefail
cd "$(dirname "$0")/.."
out=dist/native
mkdir -p "$out"
inc=""
for d in "$(dirname "$(dirname "$(command -v node)")")/include/node" \
         "$(node -p 'process.config.variables.node_prefix' 2>/dev/null)/include/node" \
         /usr/include/node /usr/local/include/node; do
  if [ -f "$d/node_api.h" ]; then inc="$d"; break; fi
done
cc="${CC:-$(command -v cc || command -v gcc || command -v g++ || true)}"
if [ -z "$inc" ] || [ -z "$cc" ]; then
  echo "build-native: WARNING: no C compiler or Node headers (node_api.h); native addons not built" >&2
  exit 0
fi
status=0
for src in native/*/*.c; do
  name="$(basename "$(dirname "$src")")"
  if ! "$cc" -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -fPIC -shared -I"$inc" -o "$out/$name.node.tmp" "$src"; then
    echo "build-native: WARNING: $src did not compile; $name not built" >&2
    status=1
    continue
  fi
  mv "$out/$name.node.tmp" "$out/$name.node"
done
[ "$status" = 0 ] && echo "build-native: built $(ls "$out" | tr '\n' ' ')"
exit 0
