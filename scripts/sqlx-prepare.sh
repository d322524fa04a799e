#!/usr/bin/env bash
# Regenerates `.sqlx/`, the data `sqlx::query!` checks queries against at compile time: migrates
# a scratch database of the local PostgreSQL and describes every query in it. Run it after
# changing a query or a migration, and commit `.sqlx/`.
#
#   scripts/sqlx-prepare.sh           # rewrite .sqlx/
#   scripts/sqlx-prepare.sh --check   # fail if .sqlx/ is not what the code and migrations give (CI)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_sqlx_cli
ensure_test_postgres
use_shared_target_dir
admin_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
db="ac_sqlx_prepare_$$"
server_url="${admin_url%%\?*}"
url="${server_url%/*}/$db?sslmode=disable"
psql "$admin_url" -qAt -c "CREATE DATABASE \"$db\""
trap 'psql "$admin_url" -qAt -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"' EXIT
cargo sqlx migrate run --database-url "$url" >/dev/null
SQLX_OFFLINE=false DATABASE_URL="$url" cargo sqlx prepare --workspace ${1:-} -- -p server
