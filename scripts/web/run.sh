#!/usr/bin/env bash
# Web checks against BINARY on a fresh SQLite database:
#   1. the graphql-http GraphQL-over-HTTP audit (0 errors; at most WEB_MAX_WARNINGS warnings,
#      default 2, each explained in the README);
#   2. the playground in headless Chromium (Debian's chromium), with every other host unreachable.
# Node packages are pinned in package-lock.json and installed with `npm ci` when missing.
#
#   scripts/web/run.sh BINARY
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 BINARY" >&2
    exit 2
fi
binary=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

stamp="$here/node_modules/.autoprov-lock.sha256"
want=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    echo "web: npm ci (graphql-http, playwright-core)"
    (cd "$here" && npm ci --no-audit --no-fund --silent)
    echo "$want" >"$stamp"
fi

# shellcheck source=../lib/spawn-server.sh
source "$here/../lib/spawn-server.sh"
begin_session web

spawn_server web "$binary" "$work"
echo "web: autoprov at $base"

echo "==> GraphQL over HTTP audit (graphql-http $(node -p "require('$here/node_modules/graphql-http/package.json').version"))"
node "$here/audit.mjs" "$base/graphql" "$token" "${WEB_MAX_WARNINGS:-2}"

echo "==> playground in headless Chromium ($(${CHROMIUM:-/usr/bin/chromium} --version 2>/dev/null || echo 'chromium not found'))"
brand="Playground Check $RANDOM"
curl -fsS "$base/graphql" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"query\": \"mutation { brands { create(input: {name: \\\"$brand\\\"}) { brand { id } } } }\"}" >/dev/null
node "$here/playground.mjs" "$base" "$token" "$brand"

if grep -qi 'panicked' "$work/server.log"; then
    echo "web: the server panicked" >&2
    exit 1
fi
status=0
echo "web: passed"
