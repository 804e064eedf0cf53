#!/usr/bin/env bash
# Runs every test: the whole workspace on SQLite, then again on PostgreSQL.
# PostgreSQL comes from TEST_DATABASE_URL (default: the local server, user postgres);
# scripts/ensure-postgres.sh starts or installs it when needed.
set -euo pipefail
cd "$(dirname "$0")/.."

export TEST_PG_URL="${TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}"
unset TEST_DATABASE_URL

echo "==> tests on SQLite"
cargo test --workspace --locked

echo "==> tests on PostgreSQL ($TEST_PG_URL)"
bash scripts/ensure-postgres.sh
drop_test_databases() {
  psql "$TEST_PG_URL" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'autoprov_test_%'" |
    while read -r db; do psql "$TEST_PG_URL" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null; done
}
drop_test_databases
TEST_DATABASE_URL="$TEST_PG_URL" cargo test --workspace --locked
drop_test_databases
