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
  rm -rf "$work" ${nginx_dir:+"$nginx_dir"}
}
trap cleanup EXIT

# The demo data, loaded explicitly: the server seeds only its own local cluster by itself.
DATABASE_URL="$db_url" AC_DATA_DIR="$work" ENVIRONMENT=development "$server_bin" seed-demo >/dev/null
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
# database with PUBLIC_PATH_PREFIX, behind nginx, which strips the prefix (end2end/prefix.test.mjs).
# Web only: the first server runs the bots and the worker. (Without Redis, events stay in the
# process that publishes them; a bot polled by this one would announce its messages to streams
# the browser tests do not hold.)
prefixed_port=$(free_port)
proxy_port=$(free_port)
# A metrics token, so that /metrics would answer anyone who reached it: the tests prove nginx
# lets no path through to it.
export METRICS_TOKEN="e2e-metrics-token-0123456789abcdef"
DATABASE_URL="$db_url" AC_DATA_DIR="$work" ENVIRONMENT=development PUBLIC_PATH_PREFIX=/concierge \
  TELEGRAM_API_URL="http://127.0.0.1:$telegram_port" AI_PROVIDER= \
  LEPTOS_SITE_ADDR="127.0.0.1:$prefixed_port" LEPTOS_SITE_ROOT=target/site RUST_LOG=warn \
  "$server_bin" serve --web-only > end2end/artifacts/server-prefixed.log 2>&1 &
prefixed_pid=$!
# The proxy is nginx with deploy/nginx.conf, the file compose.yaml ships, pointed at this server.
command -v nginx >/dev/null || apt_install nginx
# Its own directory: nginx's workers (nobody, when started as root) write their temp files there.
nginx_dir=$(mktemp -d)
mkdir -p "$nginx_dir/temp"
chmod 755 "$nginx_dir"
chmod 777 "$nginx_dir/temp"
nginx_access_log="$PWD/end2end/artifacts/nginx-access.log"
rm -f "$nginx_access_log"
sed -e "s#server web:3000;#server 127.0.0.1:$prefixed_port;#" -e "s#listen 8080;#listen 127.0.0.1:$proxy_port;#" \
  -e "s#/var/log/nginx/access.log#$nginx_access_log#" \
  deploy/nginx.conf > "$nginx_dir/site.conf"
grep -q "127.0.0.1:$prefixed_port" "$nginx_dir/site.conf" && grep -q "listen 127.0.0.1:$proxy_port" "$nginx_dir/site.conf"
cat > "$nginx_dir/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $nginx_dir/nginx.pid;
error_log $PWD/end2end/artifacts/nginx-error.log warn;
events {}
http {
    client_body_temp_path $nginx_dir/temp/body;
    proxy_temp_path $nginx_dir/temp/proxy;
    fastcgi_temp_path $nginx_dir/temp/fastcgi;
    uwsgi_temp_path $nginx_dir/temp/uwsgi;
    scgi_temp_path $nginx_dir/temp/scgi;
    include $nginx_dir/site.conf;
}
NGINX
nginx -p "$nginx_dir" -c "$nginx_dir/nginx.conf" > end2end/artifacts/nginx.log 2>&1 &
proxy_pid=$!
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$proxy_port/concierge/health" >/dev/null 2>&1 && break
  kill -0 "$prefixed_pid" 2>/dev/null || { cat end2end/artifacts/server-prefixed.log; exit 1; }
  sleep 0.5
done

BASE_URL="http://127.0.0.1:$port" PREFIX_URL="http://127.0.0.1:$proxy_port/concierge" NGINX_ACCESS_LOG="$nginx_access_log" \
  PREFIXED_SERVER_URL="http://127.0.0.1:$prefixed_port" FAKE_TELEGRAM_PORT="$telegram_port" node --test --test-concurrency=1 "${@:-end2end/}"
