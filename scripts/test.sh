#!/usr/bin/env bash
# Runs every test: formatting, lints, unit and integration tests against the real PostgreSQL
# (the fault suite included), schema fuzzing of the REST API, and the browser tests in Chromium
# against the running server. Installs what they need.
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_build_tools
ensure_nextest
ensure_chromium
ensure_smtp_sink
ensure_redis_server
ensure_test_postgres
use_shared_target_dir
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"

# Databases left by interrupted test runs (each test drops its own when it finishes).
psql "$TEST_DATABASE_URL" -qAt -c "SELECT datname FROM pg_database WHERE datname ~ '^ac_(test|e2e)_'" |
  while read -r stale; do psql "$TEST_DATABASE_URL" -qAt -c "DROP DATABASE IF EXISTS \"$stale\" WITH (FORCE)"; done

log "cargo fmt --check"
cargo fmt --all --check

log "compile-time SQL: .sqlx/ is what the queries and migrations give"
scripts/sqlx-prepare.sh --check

log "clippy (server side, and the WASM front end)"
cargo clippy -p server --all-targets -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown --features hydrate -- -D warnings

log "building the site (cargo leptos build)"
cargo leptos build

log "unit and integration tests (cargo nextest; .config/nextest.toml)"
cargo nextest run --workspace

log "schema fuzzing (schemathesis against the served OpenAPI)"
SERVER_BIN="$(target_dir)/debug/server" scripts/fuzz-api.sh

log "browser tests"
scripts/e2e.sh
