# Shared by scripts/start.sh and scripts/test.sh: installs what is missing, quickly skips what
# is there. Source it from the repository root.

set -euo pipefail

CARGO_LEPTOS_VERSION=0.3.11
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

apt_install() {
  log "installing $* (apt)"
  if [ ! -f /tmp/.auto-concierge-apt-updated ]; then
    $SUDO apt-get update -qq && touch /tmp/.auto-concierge-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock
}

ensure_build_tools() {
  command -v cargo >/dev/null || { echo "Rust is required: https://rustup.rs" >&2; exit 1; }
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    # --ignore-rust-version: one of its pinned dependencies asks for a newer rustc than needed.
    log "installing cargo-leptos $CARGO_LEPTOS_VERSION (one-time, ~18 minutes on 2 cores)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --ignore-rust-version
  fi
  local want
  want=$(wasm_bindgen_version)
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    # Not --locked: its lockfile names a crate the registry no longer has.
    log "installing wasm-bindgen-cli $want (one-time, ~3 minutes)"
    cargo install wasm-bindgen-cli --version "$want"
  fi
  command -v npm >/dev/null || apt_install nodejs npm
  # Tailwind, wasm-opt (binaryen; never Debian's old one) and playwright-core, from the lock file.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing npm packages"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

ensure_nextest() {
  if ! cargo nextest --version >/dev/null 2>&1; then
    log "installing cargo-nextest (one-time)"
    cargo install cargo-nextest --locked
  fi
}

# sqlx-cli, the version of Cargo.lock's sqlx: regenerates and checks `.sqlx/`, the query data
# that lets `query!` be checked at compile time without a database (scripts/sqlx-prepare.sh).
ensure_sqlx_cli() {
  local want
  want=$(awk '/^name = "sqlx"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
  if ! cargo sqlx --version 2>/dev/null | grep -q " $want$"; then
    log "installing sqlx-cli $want (one-time, ~5 minutes on 2 cores)"
    cargo install sqlx-cli --version "$want" --locked --no-default-features --features postgres,native-tls
  fi
}

# PostgreSQL server binaries (initdb, pg_ctl) for the project-local development cluster.
ensure_postgres_binaries() {
  if ! command -v pg_ctl >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    apt_install postgresql
  fi
}

# redis-server: the API tests start private Redis servers (fan-out across processes, outages).
ensure_redis_server() {
  command -v redis-server >/dev/null || apt_install redis-server
}

# aiosmtpd: the real SMTP server the tests send letters to (server/tests/fakes/smtp_sink.py).
ensure_smtp_sink() {
  if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
    log "installing aiosmtpd (pip)"
    python3 -m pip install --quiet --disable-pip-version-check aiosmtpd==1.4.6 2>/dev/null ||
      python3 -m pip install --quiet --disable-pip-version-check --user --break-system-packages aiosmtpd==1.4.6
  fi
}

ensure_chromium() {
  if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    apt_install chromium
  fi
}

# The PostgreSQL server the tests use (the machine's own, 127.0.0.1:5432 by default).
ensure_test_postgres() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if command -v pg_ctlcluster >/dev/null; then
      log "starting PostgreSQL"
      $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
    fi
  fi
  pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not reachable on 127.0.0.1:5432 (set TEST_DATABASE_URL)" >&2; exit 1; }
}

# CI reuses one target directory outside the clone, so a fresh checkout does not rebuild every
# dependency. A newcomer's machine keeps ./target.
use_shared_target_dir() {
  if [ -z "${CARGO_TARGET_DIR:-}" ] && [ -n "${CI:-}" ]; then
    export CARGO_TARGET_DIR="$HOME/.cache/auto-concierge/target"
    mkdir -p "$CARGO_TARGET_DIR"
  fi
}

target_dir() {
  echo "${CARGO_TARGET_DIR:-$PWD/target}"
}

# Benchmarks: starts the release server ($1) on a free port against a fresh database ($2) with
# the demo data, and logs in as the demo admin. Sets: port, pid, db_url, token. Cleans up on exit.
start_bench_server() {
  local server_bin=$1
  db=$2
  bench_admin_url="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
  db_url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
  psql "$bench_admin_url" -qAt -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" 2>/dev/null
  export SECRET_KEY="bench-secret-key-bench-secret-key-0123"
  export ENCRYPTION_KEY="cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
  DATABASE_URL="$db_url" ENVIRONMENT=production "$server_bin" seed-demo >/dev/null
  # Statistics, as autovacuum would gather them on a live database a minute later.
  psql "$db_url" -qAt -c "ANALYZE"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # The server reaches PostgreSQL over its Unix socket, as pgbench (the ceiling) does: loopback
  # TCP would cost both sides kernel time the comparison is not about.
  DATABASE_URL="postgres://postgres@localhost/$db?host=/var/run/postgresql" ENVIRONMENT=production RUST_LOG=warn LEPTOS_SITE_ADDR="127.0.0.1:$port" \
    LEPTOS_SITE_ROOT=target/site "$server_bin" serve >"/tmp/$db-server.log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null; psql "$bench_admin_url" -qAt -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
  token=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/login/access-token" \
    -d "username=admin@sever.demo&password=demo-password" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
}

# Queries checked at compile time (`sqlx::query!`) read their types from `.sqlx/`, committed with
# the code: builds never need a database. scripts/sqlx-prepare.sh regenerates it.
export SQLX_OFFLINE=true
