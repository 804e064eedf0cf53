#!/usr/bin/env bash
# Runs every test: the whole workspace on SQLite, then again on PostgreSQL.
# PostgreSQL comes from TEST_DATABASE_URL (default: the local server, user postgres);
# scripts/ensure-postgres.sh starts or installs it when needed.
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

export TEST_PG_URL="${TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}"
unset TEST_DATABASE_URL

echo "==> tests on SQLite"
cargo test --workspace --locked 2>&1 | tee -a "$log"

echo "==> tests on PostgreSQL ($TEST_PG_URL)"
bash scripts/ensure-postgres.sh
drop_test_databases() {
  psql "$TEST_PG_URL" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'autoprov_test_%'" |
    while read -r db; do psql "$TEST_PG_URL" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null; done
}
drop_test_databases
TEST_DATABASE_URL="$TEST_PG_URL" cargo test --workspace --locked 2>&1 | tee -a "$log"
drop_test_databases

# One closing line over both runs (cargo's own last line is the empty doc-test run).
awk '/^test result:/ { p += $4; f += $6 } END { printf "total: %d passed, %d failed\n", p, f }' "$log"
