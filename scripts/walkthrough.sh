#!/usr/bin/env bash
# Runs every runnable shell block of the README (a ```sh fence right after a `<!-- runnable -->`
# line: the walkthrough, the sign-in hook's examples, SCIM with curl, the employee-file example,
# TLS), verbatim and in the README's order, in one shell, against BINARY on a fresh SQLite
# database; then all of them again on the same database (they must be re-runnable), and a third
# time pasted into an interactive shell. Then it checks that the walkthrough stops at its first
# failure in an interactive shell, leaving the shell open. Fails if any of their checks fails.
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

# Blocks, each followed by an empty line; every line of the README is kept in one place: here.
awk '/^<!-- runnable -->$/ { armed = 1; next }
     armed && /^```sh$/    { on = 1; armed = 0; blocks++; next }
     on && /^```$/         { on = 0; print ""; next }
     on                    { print; next }
     /[^[:space:]]/        { armed = 0 }
     END { if (blocks == 0) exit 1 }' "$root/README.md" >"$work/readme.sh" ||
    { echo "walkthrough: no runnable block in README.md" >&2; exit 1; }
blocks=$(grep -c '^<!-- runnable -->$' "$root/README.md")
fenced=$(grep -A1 '^<!-- runnable -->$' "$root/README.md" | grep -c '^```sh$')
[[ $blocks -eq $fenced ]] ||
    { echo "walkthrough: $blocks runnable markers but $fenced are followed by a \`\`\`sh fence" >&2; exit 1; }

# The README's commands call `autoprov` (as `cargo install --path .` puts it on PATH).
mkdir -p "$work/bin" "$work/run"
ln -s "$binary" "$work/bin/autoprov"

spawn_server walkthrough "$binary" "$work"
for pass in 1 2; do
    echo "==> README blocks, pass $pass"
    (cd "$work/run" && AUTOPROV_URL=$base TOKEN=$token PATH="$work/bin:$PATH" bash -euo pipefail "$work/readme.sh") |
        tee "$work/pass-$pass.out" || { echo "walkthrough: pass $pass failed" >&2; exit 1; }
done

# Pasted into an interactive shell (no errexit; bash parses differently there), all of them
# again: no check fails and bash reports no syntax error.
echo "==> README blocks, pass 3, pasted into an interactive shell"
pasted=$( (cd "$work/run" && AUTOPROV_URL=$base TOKEN=$token PATH="$work/bin:$PATH" HOME="$work" \
    bash --norc --noprofile -i <"$work/readme.sh" 2>&1) ) || true
if grep -v -e '^bash: cannot set terminal process group' -e '^bash: no job control in this shell' <<<"$pasted" |
    grep -q -e '^FAILED' -e '^bash: ' -e 'command not found'; then
    echo "walkthrough: pasted into an interactive shell, a block failed:" >&2
    echo "$pasted" >&2
    exit 1
fi
checks=$(grep -c '^ok: ' "$work/pass-1.out")
[[ $(grep -c '^ok: ' <<<"$pasted") -eq $checks ]] ||
    { echo "walkthrough: pasted, $(grep -c '^ok: ' <<<"$pasted") of $checks checks passed:" >&2; echo "$pasted" >&2; exit 1; }

# Pasted into an interactive shell with a wrong token, the walkthrough stops at step 1 (no
# check passes), says why, and the shell goes on.
echo "==> the walkthrough in an interactive shell, with a wrong token"
awk '/^## Walkthrough$/ { section = 1 } section && /^<!-- runnable -->$/ { armed = 1; next }
     armed && /^```sh$/ { on = 1; next } on && /^```$/ { exit } on' "$root/README.md" >"$work/walkthrough-only.sh"
grep -q '^walkthrough$' "$work/walkthrough-only.sh" ||
    { echo "walkthrough: no runnable block under ## Walkthrough" >&2; exit 1; }
interactive=$( (cat "$work/walkthrough-only.sh"; echo 'echo "shell still open after status $?"') |
    (cd "$work/run" && AUTOPROV_URL=$base TOKEN=apt_wrong HOME="$work" bash --norc --noprofile -i 2>&1)) || true
if ! grep -q '^FAILED: ' <<<"$interactive" || grep -q '^ok: ' <<<"$interactive" ||
    ! grep -q '^shell still open after status 1$' <<<"$interactive"; then
    echo "walkthrough: in an interactive shell it did not stop at its first failure:" >&2
    echo "$interactive" >&2
    exit 1
fi
status=0
echo "walkthrough: passed ($blocks README blocks, $checks checks, $(grep -c '' "$work/readme.sh") lines, run verbatim twice, then pasted interactively; stops at the first failure interactively)"
