#!/usr/bin/env bash
# Re-fetches the playground's third-party files from the npm registry at the pinned versions
# and checks them against SHA256SUMS. The files are committed, so building autoprov never needs
# the network; run this only to change a version (then update SHA256SUMS and the README).
#   bash assets/playground/vendor.sh          # fetch and check
#   bash assets/playground/vendor.sh --check  # check the committed files only (no network)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
if [[ "${1:-}" != "--check" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent graphiql@3.8.3 react@18.3.1 react-dom@18.3.1 >/dev/null)
  for pkg in graphiql-3.8.3 react-18.3.1 react-dom-18.3.1; do
    mkdir -p "$tmp/$pkg" "$pkg"
    tar xzf "$tmp/$pkg.tgz" -C "$tmp/$pkg"
    cp "$tmp/$pkg/package/LICENSE" "$pkg/LICENSE"
  done
  cp "$tmp/graphiql-3.8.3/package/graphiql.min.js" "$tmp/graphiql-3.8.3/package/graphiql.min.css" graphiql-3.8.3/
  cp "$tmp/react-18.3.1/package/umd/react.production.min.js" react-18.3.1/
  cp "$tmp/react-dom-18.3.1/package/umd/react-dom.production.min.js" react-dom-18.3.1/
fi
sha256sum --quiet -c SHA256SUMS
echo "playground assets match SHA256SUMS"
