#!/usr/bin/env bash
# Browser tests: starts the built server on a free port against a fresh database with demo
# data, runs end2end/ (node's test runner + playwright-core driving the system Chromium), stops it.
# Arguments, if any, are the test files to run (default: all of end2end/).
cd "$(dirname "$0")/.."
source scripts/lib.sh

server_bin="${SERVER_BIN:-$(target_dir)/debug/server}"
[ -x "$server_bin" ] || { echo "build first: cargo leptos build" >&2; exit 1; }
base_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
db="ac_e2e_$$"
db_url="$(printf '%s' "$base_url" | sed -E "s#/[^/?]+(\?|$)#/$db\1#")"
admin_psql() { psql "$base_url" -qAt -v ON_ERROR_STOP=1 "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
# The fake Telegram Bot API of end2end/settings.test.mjs listens here; the server asks it.
telegram_port=$(free_port)
work=$(mktemp -d)
mkdir -p end2end/artifacts

admin_psql -c "CREATE DATABASE $db"
cleanup() {
  # `|| true`: a killed process's status must not stop the cleanup (set -e).
  for pid in ${proxy_pid:-} ${prefixed_pid:-} ${server_pid:-}; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  admin_psql -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  rm -rf "$work"
}
trap cleanup EXIT

# Development mode loads the demo data into the empty database.
DATABASE_URL="$db_url" AC_DATA_DIR="$work" ENVIRONMENT=development \
  TELEGRAM_API_URL="http://127.0.0.1:$telegram_port" AI_PROVIDER= \
  LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site RUST_LOG=warn \
  "$server_bin" serve > end2end/artifacts/server.log 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat end2end/artifacts/server.log; exit 1; }
  sleep 0.5
done

# The same app published under /concierge/ as v1 was behind nginx: a second server on the same
# database with PUBLIC_PATH_PREFIX, behind a proxy that strips the prefix (end2end/prefix.test.mjs).
prefixed_port=$(free_port)
proxy_port=$(free_port)
DATABASE_URL="$db_url" AC_DATA_DIR="$work" ENVIRONMENT=development PUBLIC_PATH_PREFIX=/concierge \
  TELEGRAM_API_URL="http://127.0.0.1:$telegram_port" AI_PROVIDER= \
  LEPTOS_SITE_ADDR="127.0.0.1:$prefixed_port" LEPTOS_SITE_ROOT=target/site RUST_LOG=warn \
  "$server_bin" serve > end2end/artifacts/server-prefixed.log 2>&1 &
prefixed_pid=$!
node end2end/prefix-proxy.mjs "$proxy_port" "http://127.0.0.1:$prefixed_port" /concierge \
  > end2end/artifacts/prefix-proxy.log 2>&1 &
proxy_pid=$!
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$proxy_port/concierge/health" >/dev/null 2>&1 && break
  kill -0 "$prefixed_pid" 2>/dev/null || { cat end2end/artifacts/server-prefixed.log; exit 1; }
  sleep 0.5
done

BASE_URL="http://127.0.0.1:$port" PREFIX_URL="http://127.0.0.1:$proxy_port/concierge" \
  PREFIXED_SERVER_URL="http://127.0.0.1:$prefixed_port" FAKE_TELEGRAM_PORT="$telegram_port" node --test --test-concurrency=1 "${@:-end2end/}"
