#!/usr/bin/env bash
# GraphQL fuzz run: starts BINARY on a fresh SQLite database, seeds a brand, identity providers and
# auto-provisioning configurations, and runs schemathesis (pinned in requirements.txt) against
# POST /graphql with the owner token. Exits non-zero on any server error or failed check.
#
#   scripts/fuzz/run.sh BINARY
#
# Environment:
#   FUZZ_VENV          virtualenv for schemathesis (default ~/.cache/autoprov-fuzz-venv)
#   FUZZ_MAX_EXAMPLES  test cases per operation (default 600: ~12,600 cases over 21 operations, about
#                      6 minutes on 2 cores, where schemathesis itself uses most of a core; 1200
#                      doubles both, and pushed `.ci/run` past its 45-minute budget)
#   FUZZ_CHECKS        schemathesis checks (default not_a_server_error,response_schema_conformance,
#                      negative_data_rejection)
#   FUZZ_SEED          hypothesis seed (default: random; the run prints the one it used)
#   FUZZ_WORKERS       schemathesis workers (default 2)
#   FUZZ_REPORT_DIR    where the JUnit report, the NDJSON events and the server log are kept
#                      (default: a temporary folder, removed on success)
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 BINARY" >&2
    exit 2
fi
binary=$(realpath "$1")
[[ -x $binary ]] || { echo "fuzz: $1 is not an executable" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${FUZZ_VENV:-$HOME/.cache/autoprov-fuzz-venv}
max_examples=${FUZZ_MAX_EXAMPLES:-600}
workers=${FUZZ_WORKERS:-2}
seed=${FUZZ_SEED:-$(( (RANDOM << 15) | RANDOM ))}

# --- (a) schemathesis, pinned, installed once per requirements.txt -----------------------------
stamp="$venv/.autoprov-requirements.sha256"
want=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
if [[ ! -x $venv/bin/st || ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    echo "fuzz: installing schemathesis into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    echo "$want" >"$stamp"
fi
st_version=$("$venv/bin/st" --version)

# --- (b) the server, on a database of its own -------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/autoprov-fuzz.XXXXXX")
report_dir=${FUZZ_REPORT_DIR:-$work/report}
mkdir -p "$report_dir"
status=1
# shellcheck source=../lib/spawn-server.sh
source "$here/../lib/spawn-server.sh"
cleanup() {
    stop_server
    if [[ $status -eq 0 && -z ${FUZZ_REPORT_DIR:-} ]]; then
        rm -rf "$work"
    else
        [[ -f $work/server.log ]] && cp "$work/server.log" "$report_dir/server.log" 2>/dev/null || true
        echo "fuzz: report and server log kept in $report_dir" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

spawn_server fuzz "$binary" "$work"
echo "fuzz: autoprov at $base ($(basename "$binary")), $st_version"

# --- (c) seed data -----------------------------------------------------------------------------
# gql QUERY [JQ_PATH]: runs one operation; with JQ_PATH prints that value, failing when it is null.
gql() {
    local body out
    body=$(jq -n --arg q "$1" '{query: $q}')
    out=$(curl -fsS "$base/graphql" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body")
    if [[ $(jq '(.errors // []) | length' <<<"$out") != 0 ]] || [[ $(jq '[.. | .errors? // empty | .[]] | length' <<<"$out") != 0 ]]; then
        echo "fuzz: seeding failed: $1 -> $out" >&2
        return 1
    fi
    if [[ $# -ge 2 ]]; then
        jq -er "$2" <<<"$out"
    fi
}
brand=$(gql 'mutation { brands { create(input: {name: "Acme Learning Portal"}) { brand { id } errors { message } } } }' .data.brands.create.brand.id)
brand2=$(gql 'mutation { brands { create(input: {name: "Globex Academy"}) { brand { id } errors { message } } } }' .data.brands.create.brand.id)
oidc=$(gql 'mutation { identityProviders { create(input: {name: "Acme Okta", protocol: oidc, issuer: "https://acme.okta.example"}) { identityProvider { id } errors { message } } } }' .data.identityProviders.create.identityProvider.id)
saml=$(gql 'mutation { identityProviders { create(input: {name: "Acme ADFS", protocol: saml, issuer: "https://adfs.acme.example"}) { identityProvider { id } errors { message } } } }' .data.identityProviders.create.identityProvider.id)
company=$(gql 'mutation { companies { create(input: {name: "Acme Corp"}) { company { id } errors { message } } } }' .data.companies.create.company.id)
account=$(gql "mutation { accounts { create(input: {name: \"Acme Corp Training\", companyId: \"$company\"}) { account { id } errors { message } } } }" .data.accounts.create.account.id)
# (brand, OIDC): default account. (brand, SAML): no default account, company match, linking and
# attribute refresh on, role mappings. (brand2, OIDC): auto-provisioning off.
gql "mutation { brands { createIdentityProviderConfiguration(input: {brandId: \"$brand\", identityProviderId: \"$oidc\",
    autoProvisionLearners: true, defaultAccountId: \"$account\"}) { brand { id } errors { message } } } }"
gql "mutation { brands { createIdentityProviderConfiguration(input: {brandId: \"$brand\", identityProviderId: \"$saml\",
    autoProvisionLearners: true, companyMatch: caseInsensitive, linkExistingContacts: true, updateAttributesOnLogin: true,
    roleMappings: [{providerRole: \"Staff\", role: \"instructor\"}, {providerRole: \"Admin\", role: \"administrator\"}]})
    { brand { id } errors { message } } } }"
gql "mutation { brands { createIdentityProviderConfiguration(input: {brandId: \"$brand2\", identityProviderId: \"$oidc\",
    autoProvisionLearners: false}) { brand { id } errors { message } } } }"
# A contact without credentials, for the SAML configuration to link.
gql "mutation { contacts { create(input: {accountId: \"$account\", firstName: \"Grace\", lastName: \"Hopper\",
    email: \"grace@globex.example\"}) { contact { id } errors { message } } } }" >/dev/null
token_id=$(gql 'query { apiTokens(first: 1) { edges { node { id } } } }' '.data.apiTokens.edges[0].node.id')

# --- (d) fuzz ---------------------------------------------------------------------------------
export FUZZ_SEED_IDS="$brand,$brand2,$oidc,$saml,$company,$account"
export FUZZ_SIGNIN_PAIRS="$brand:$oidc,$brand:$saml,$brand2:$oidc"
export FUZZ_PROTECTED_IDS="$token_id,$brand,$oidc,$saml"
export SCHEMATHESIS_HOOKS="$here/hooks.py"
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ beside hooks.py
cmd=("$venv/bin/st" run "$root/schema.graphql"
    --url "$base/graphql"
    --header "Authorization: Bearer $token"
    --checks ${FUZZ_CHECKS:-not_a_server_error,response_schema_conformance,negative_data_rejection}
    --max-examples "$max_examples"
    --seed "$seed"
    --workers "$workers"
    --request-timeout 30
    --generation-database none
    --no-color
    --report junit,ndjson --report-dir "$report_dir")
echo "fuzz: ${cmd[*]/$token/apt_…}"
started=$SECONDS
set +e
(cd "$work" && "${cmd[@]}") 2>&1 | tee "$work/schemathesis.out"
st_status=${PIPESTATUS[0]}
set -e
elapsed=$(( SECONDS - started ))

# --- (e) verdict ------------------------------------------------------------------------------
alive=yes
kill -0 "$server_pid" 2>/dev/null || alive=no
panics=$(grep -c -i 'panicked' "$work/server.log" || true)
log_errors=$(grep -c '"level":"ERROR"' "$work/server.log" || true)
cases=$(grep -oE '^ *[0-9]+ generated' "$work/schemathesis.out" | grep -oE '[0-9]+' | head -n1 || true)
echo "fuzz: schemathesis exit $st_status, ${cases:-?} cases in ${elapsed}s (max-examples $max_examples, seed $seed), server alive: $alive, panics: $panics, ERROR log lines: $log_errors"
if [[ $st_status -ne 0 || $alive != yes || $panics -ne 0 ]]; then
    echo "fuzz: FAILED" >&2
    exit 1
fi
status=0
echo "fuzz: passed"
