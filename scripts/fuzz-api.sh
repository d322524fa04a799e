#!/usr/bin/env bash
# Schema fuzzing: schemathesis (PyPI, in a virtualenv under ~/.cache) generates requests from the
# served OpenAPI document and checks every answer: no 5xx, and each response matches the
# documented schema. It runs as the admin of a freshly registered company on a fresh database
# (fuzzing changes data, so never the demo companies).
#
#   scripts/fuzz-api.sh              # EXAMPLES=25 per operation; scripts/test.sh runs it in CI
#   EXAMPLES=200 scripts/fuzz-api.sh # a longer run
cd "$(dirname "$0")/.."
source scripts/lib.sh

EXAMPLES="${EXAMPLES:-25}"
SCHEMATHESIS_VERSION=4.32.5
ensure_test_postgres
venv="${XDG_CACHE_HOME:-$HOME/.cache}/auto-concierge/schemathesis-$SCHEMATHESIS_VERSION"
if [ ! -x "$venv/bin/st" ]; then
  log "installing schemathesis $SCHEMATHESIS_VERSION (one-time)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi

server_bin="${SERVER_BIN:-$(target_dir)/debug/server}"
[ -x "$server_bin" ] || cargo build -p server --quiet

admin_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
db="ac_fuzz_$$"
db_url="${admin_url%/*}/$db?sslmode=disable"
psql "$admin_url" -qAt -c "CREATE DATABASE $db"
work=$(mktemp -d)
cleanup() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  psql "$admin_url" -qAt -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

export DATABASE_URL="$db_url" ENVIRONMENT=production RUST_LOG=warn \
  SECRET_KEY="fuzz-secret-key-fuzz-secret-key-0123" ENCRYPTION_KEY="cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=" \
  TELEGRAM_API_URL="http://127.0.0.1:9"
"$server_bin" migrate >/dev/null
echo "fuzzing-password-1" | "$server_bin" tenant create --name "Фаззинг" --slug "fuzz-$$" \
  --admin-email "admin@fuzz.example" >/dev/null 2>&1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site "$server_bin" serve --web-only \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
token=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/login/access-token" \
  -d "username=admin@fuzz.example&password=fuzzing-password-1" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

log "schemathesis: $EXAMPLES examples per operation"
# Left out: the live streams (they never end), the login (its rate limit is the point), and
# connecting a bot (it calls Telegram, which is not there: 502 is the right answer).
status=0
"$venv/bin/st" run "http://127.0.0.1:$port/api/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance \
  --exclude-path /api/v1/events --exclude-path /api/v1/ws \
  --exclude-path /api/v1/login/access-token --exclude-path /api/v1/tenant/telegram \
  --max-examples "$EXAMPLES" --workers 2 --seed 1 --no-color \
  --suppress-health-check all --warnings off || status=$?
if grep -q "panicked" "$work/server.log"; then
  echo "the server panicked:" >&2
  grep -A5 "panicked" "$work/server.log" >&2
  status=1
fi
exit $status
