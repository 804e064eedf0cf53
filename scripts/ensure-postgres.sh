#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 for user postgres:
# installs it from Debian's packages if absent, starts the cluster if stopped, and sets the
# postgres password to `postgres` when the server does not trust local TCP connections.
set -euo pipefail

url="${TEST_PG_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}"
sudo_pg() { if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else sudo -u postgres sh -c "$*"; fi; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if psql "$url" -Atc 'SELECT 1' >/dev/null 2>&1; then exit 0; fi

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "installing PostgreSQL from Debian's packages"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql postgresql-client >/dev/null
fi

version=$(ls /etc/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $4}' | grep -q online; then
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
fi

for _ in $(seq 1 30); do
  if psql "$url" -Atc 'SELECT 1' >/dev/null 2>&1; then exit 0; fi
  # A fresh install asks for a password over TCP: give postgres the one in the URL.
  sudo_pg "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null 2>&1 || true
  sleep 1
done
echo "PostgreSQL is not reachable at $url" >&2
exit 1
