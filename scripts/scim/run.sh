#!/usr/bin/env bash
# SCIM 2.0 conformance: starts BINARY on a fresh SQLite database, creates over GraphQL a brand, an
# OIDC identity provider, a configuration of the two with autoProvisionLearners, and a `scim` API
# token for that pair, then runs two outside conformance tools (pinned in requirements.txt) against
# $base/scim/v2 with that token:
#   1. scim2-tester's check_server (through check_server.py; `scim2 test` runs the same checks):
#      every result must be SUCCESS or SKIPPED, none ERROR or CRITICAL;
#   2. `scim-sanity probe URL --token T --i-accept-side-effects` (strict mode): 0 failed, 0 errors.
# Both tools always run; the script exits non-zero when either finds a failure, when the server
# died or panicked, or when the setup failed.
#
#   scripts/scim/run.sh BINARY
#   SCIM_BASE=http://127.0.0.1:8080/scim/v2 SCIM_TOKEN=apt_... scripts/scim/run.sh
#
# Environment:
#   SCIM_POSTGRES_URL      a PostgreSQL server URL (postgres://user:pass@host:port/db): the server
#                          runs on a fresh database created there (and dropped afterwards)
#                          instead of a SQLite file
#   SCIM_BASE, SCIM_TOKEN  both set: run the tools against that already-running SCIM service
#                          provider with that bearer token; nothing is spawned, BINARY is not needed
#   SCIM_VENV              virtualenv for the tools (default ~/.cache/autoprov-scim-venv)
#   SCIM_PYTHON            the Python that makes it (default python3; scim2-tester needs >= 3.11)
#   SCIM_SANITY_ARGS       extra arguments for `scim-sanity probe` (e.g. --compat), word-split
#   SCIM_REPORT_DIR        where the results (scim2-tester.json, scim-sanity.json, both logs and the
#                          server log) are kept (default: a temporary folder, removed on success)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
external=no
if [[ -n ${SCIM_BASE:-} && -n ${SCIM_TOKEN:-} ]]; then
    external=yes
elif [[ $# -ne 1 ]]; then
    echo "usage: $0 BINARY   (or set SCIM_BASE and SCIM_TOKEN to test a running server)" >&2
    exit 2
fi
if [[ $external == no ]]; then
    binary=$(realpath "$1")
    [[ -x $binary ]] || { echo "scim: $1 is not an executable" >&2; exit 2; }
fi
command -v jq >/dev/null || { echo "scim: jq is required" >&2; exit 2; }
venv=${SCIM_VENV:-$HOME/.cache/autoprov-scim-venv}
python=${SCIM_PYTHON:-python3}

# --- (a) the tools, pinned, installed once per requirements.txt -------------------------------
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "scim: scim2-tester needs Python >= 3.11; $python is $("$python" --version 2>&1)" >&2
    exit 2
}
stamp="$venv/.autoprov-requirements.sha256"
want=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
if [[ ! -x $venv/bin/scim-sanity || ! -x $venv/bin/scim2 || ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    echo "scim: installing scim2-tester, scim2-cli and scim-sanity into $venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    echo "$want" >"$stamp"
fi
versions=$("$venv/bin/python" -c 'from importlib.metadata import version as v; print(", ".join(f"{p} {v(p)}" for p in ("scim2-tester", "scim2-client", "scim2-models", "scim-sanity")))')

# --- (b) the server, on a database of its own, unless one is given ----------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/autoprov-scim.XXXXXX")
report_dir=${SCIM_REPORT_DIR:-$work/report}
mkdir -p "$report_dir"
status=1
# shellcheck source=../lib/spawn-server.sh
source "$here/../lib/spawn-server.sh"
scratch_db=
cleanup() {
    stop_server
    if [[ -n $scratch_db ]]; then
        psql -q "$SCIM_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $scratch_db" >/dev/null 2>&1 || true
    fi
    if [[ $status -eq 0 && -z ${SCIM_REPORT_DIR:-} ]]; then
        rm -rf "$work"
    else
        if [[ -f $work/server.log ]]; then cp "$work/server.log" "$report_dir/server.log" 2>/dev/null || true; fi
        echo "scim: results and logs kept in $report_dir" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# The tools honour the proxy variables; the server is on the loopback.
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"

if [[ $external == yes ]]; then
    scim_base=${SCIM_BASE%/}
    scim_token=$SCIM_TOKEN
    echo "scim: testing the running server at $scim_base ($versions)"
else
    if [[ -n ${SCIM_POSTGRES_URL:-} ]]; then
        command -v psql >/dev/null || { echo "scim: psql is required for SCIM_POSTGRES_URL" >&2; exit 2; }
        scratch_db=autoprov_scim_$$
        psql -q "$SCIM_POSTGRES_URL" -c "CREATE DATABASE $scratch_db" >/dev/null
        export SPAWN_DATABASE_URL="${SCIM_POSTGRES_URL%/*}/$scratch_db"
    fi
    spawn_server scim "$binary" "$work"
    db_label=SQLite
    [[ -n $scratch_db ]] && db_label="PostgreSQL ($scratch_db)"
    echo "scim: autoprov at $base ($(basename "$binary")) on $db_label, $versions"

    # --- (c) a brand, an identity provider, a configuration and a SCIM token ------------------
    # gql QUERY [JQ_PATH]: runs one operation; with JQ_PATH prints that value, failing when it is
    # null. Fails on a GraphQL error or a non-empty `errors` list in the payload.
    gql() {
        local body out
        body=$(jq -n --arg q "$1" '{query: $q}')
        out=$(curl -sS "$base/graphql" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body") || {
            echo "scim: setup failed: POST /graphql did not answer: $1" >&2
            return 1
        }
        if ! jq -e . >/dev/null 2>&1 <<<"$out" \
            || [[ $(jq '[.. | .errors? // empty | .[]] | length' <<<"$out") != 0 ]]; then
            echo "scim: setup failed: $1" >&2
            echo "scim:   -> $out" >&2
            return 1
        fi
        if [[ $# -ge 2 ]]; then
            jq -er "$2" <<<"$out" || { echo "scim: setup failed: no $2 in $out" >&2; return 1; }
        fi
    }
    brand=$(gql 'mutation { brands { create(input: {name: "SCIM Conformance Academy"}) { brand { id } errors { message } } } }' \
        .data.brands.create.brand.id)
    idp=$(gql 'mutation { identityProviders { create(input: {name: "SCIM CI IdP", protocol: oidc, issuer: "https://idp.scim-ci.example"}) { identityProvider { id } errors { message } } } }' \
        .data.identityProviders.create.identityProvider.id)
    gql "mutation { brands { createIdentityProviderConfiguration(input: {brandId: \"$brand\", identityProviderId: \"$idp\",
        autoProvisionLearners: true}) { errors { message } } } }"
    scim_token=$(gql "mutation { apiTokens { create(input: {name: \"scim-ci\", role: scim, brandId: \"$brand\",
        identityProviderId: \"$idp\"}) { secret errors { label message } } } }" .data.apiTokens.create.secret)
    scim_base="$base/scim/v2"
    echo "scim: brand $brand, identity provider $idp, SCIM token ${scim_token:0:8}…"
fi
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ beside check_server.py

# --- (d) scim2-tester -------------------------------------------------------------------------
echo "==> scim2-tester check_server against $scim_base"
set +e
SCIM_TOKEN=$scim_token "$venv/bin/python" "$here/check_server.py" "$scim_base" "$report_dir/scim2-tester.json" \
    2>&1 | tee "$report_dir/scim2-tester.log"
tester_rc=${PIPESTATUS[0]}
set -e
tester_summary="did not finish (exit $tester_rc)"
tester_bad=1
if [[ $tester_rc -le 1 && -s $report_dir/scim2-tester.json ]]; then
    tester_summary=$(jq -r 'group_by(.status) | map("\(length) \(.[0].status)") | join(", ")' "$report_dir/scim2-tester.json")
    tester_bad=$(jq '[.[] | select(.status != "SUCCESS" and .status != "SKIPPED")] | length' "$report_dir/scim2-tester.json")
    [[ $(jq length "$report_dir/scim2-tester.json") -gt 0 ]] || tester_bad=1
fi

# --- (e) scim-sanity --------------------------------------------------------------------------
echo "==> scim-sanity probe $scim_base"
set +e
# shellcheck disable=SC2086  # SCIM_SANITY_ARGS is word-split on purpose
"$venv/bin/scim-sanity" probe "$scim_base" --token "$scim_token" --i-accept-side-effects --json-output \
    ${SCIM_SANITY_ARGS:-} >"$report_dir/scim-sanity.json" 2>"$report_dir/scim-sanity.log"
sanity_rc=$?
set -e
sanity_summary="did not finish (exit $sanity_rc)"
sanity_bad=1
if jq -e '.summary' "$report_dir/scim-sanity.json" >/dev/null 2>&1; then
    jq -r '.results[] | "[\(.status | ascii_upcase)] \(.phase // "") | \(.name)\(if .message then "\n         \(.message)" else "" end)"' \
        "$report_dir/scim-sanity.json"
    if [[ $(jq '.issues | length' "$report_dir/scim-sanity.json") -gt 0 ]]; then
        echo "scim-sanity's fix summary:"
        jq -r '.issues[] | "  [\(.priority)] \(.title) (\(.affected_tests) tests): \(.fix)"' "$report_dir/scim-sanity.json"
    fi
    sanity_summary=$(jq -r '"\(.summary.passed) pass, \(.summary.failed) fail, \(.summary.errors) error, \(.summary.warnings) warn, \(.summary.skipped) skip (\(.summary.total) results, \(.mode) mode)"' \
        "$report_dir/scim-sanity.json")
    sanity_bad=$(jq '.summary.failed + .summary.errors' "$report_dir/scim-sanity.json")
else
    echo "scim: scim-sanity printed no results" >&2
    cat "$report_dir/scim-sanity.json" "$report_dir/scim-sanity.log" >&2
fi

# --- (f) verdict ------------------------------------------------------------------------------
alive=n/a panics=0 log_errors=n/a
if [[ $external == no ]]; then
    alive=yes
    kill -0 "$server_pid" 2>/dev/null || alive=no
    panics=$(grep -c -i 'panicked' "$work/server.log" || true)
    # An ERROR line is a 500 or worse: show it, and fail. The 501s of /Me, /Bulk and the root
    # /.search are answers by design (tower-http logs every 5xx as a failure).
    errors() { grep '"level":"ERROR"' "$work/server.log" | grep -v '501 Not Implemented' || true; }
    log_errors=$(errors | wc -l)
    errors | head -n 5 >&2
fi
echo "scim: scim2-tester: $tester_summary"
echo "scim: scim-sanity: $sanity_summary"
echo "scim: server alive: $alive, panics: $panics, ERROR log lines: $log_errors"
if [[ $tester_bad -ne 0 || $sanity_bad -ne 0 || $alive == no || $panics -ne 0 || ${log_errors:-0} != 0 && $log_errors != n/a ]]; then
    [[ $tester_bad -ne 0 ]] && echo "scim: scim2-tester: $tester_bad results neither SUCCESS nor SKIPPED (see above, or $report_dir/scim2-tester.json)" >&2
    [[ $sanity_bad -ne 0 ]] && echo "scim: scim-sanity: $sanity_bad checks failed or errored (see above, or $report_dir/scim-sanity.json)" >&2
    echo "scim: FAILED" >&2
    exit 1
fi
status=0
echo "scim: passed"
