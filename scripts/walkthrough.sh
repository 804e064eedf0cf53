#!/usr/bin/env bash
# Runs the README's walkthrough (the shell block between the walkthrough markers) verbatim
# against BINARY on a fresh SQLite database. Fails if any of its checks fails.
#
#   scripts/walkthrough.sh BINARY
set -euo pipefail
if [[ $# -ne 1 ]]; then
    echo "usage: $0 BINARY" >&2
    exit 2
fi
binary=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

# shellcheck source=lib/spawn-server.sh
source "$here/lib/spawn-server.sh"
begin_session walkthrough

awk '/<!-- walkthrough:begin -->/{on=1; next} /<!-- walkthrough:end -->/{on=0} on' "$root/README.md" |
    sed -e '/^```/d' >"$work/walkthrough.sh"
[[ -s $work/walkthrough.sh ]] || { echo "walkthrough: no walkthrough block in README.md" >&2; exit 1; }

spawn_server walkthrough "$binary" "$work"
AUTOPROV_URL=$base TOKEN=$token bash -euo pipefail "$work/walkthrough.sh"
status=0
echo "walkthrough: passed ($(grep -c '' "$work/walkthrough.sh") lines of README run verbatim)"
