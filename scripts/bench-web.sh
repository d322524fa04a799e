#!/usr/bin/env bash
# Web admin budget: the release build's WASM + JS + CSS gzipped, and the time to first byte of
# the server-rendered dashboard with the demo data, logged in as the demo admin.
# Floors: <= 400 KB gzipped in total; p50 TTFB <= 30 ms on 2 cores.
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_build_tools
ensure_test_postgres
REQUESTS="${REQUESTS:-200}"

log "release build (cargo leptos build --release)"
cargo leptos build --release >/dev/null 2>&1 || cargo leptos build --release
server_bin="$(target_dir)/release/server"
pkg=target/site/pkg

size() { gzip -9 -c "$1" | wc -c; }
wasm=$(size "$pkg/auto-concierge.wasm")
js=$(size "$pkg/auto-concierge.js")
css=$(size "$pkg/auto-concierge.css")

db=ac_bench_web
admin_url="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
db_url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
psql "$admin_url" -qAt -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
export SECRET_KEY="bench-secret-key-bench-secret-key-0123"
export ENCRYPTION_KEY="cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
DATABASE_URL="$db_url" ENVIRONMENT=production "$server_bin" seed-demo >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DATABASE_URL="$db_url" ENVIRONMENT=production RUST_LOG=warn LEPTOS_SITE_ADDR="127.0.0.1:$port" \
  LEPTOS_SITE_ROOT=target/site "$server_bin" serve >/tmp/ac-bench-web.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; psql "$admin_url" -qAt -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done

# The web session is the same JWT as the API's, in the ac_session cookie.
token=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/login/access-token" \
  -d "username=admin@sever.demo&password=demo-password" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Accept: text/html" -b "ac_session=$token" "http://127.0.0.1:$port/")
[ "$status" = 200 ] || { echo "dashboard answered $status" >&2; exit 1; }

for _ in $(seq 1 20); do curl -s -o /dev/null -H "Accept: text/html" -b "ac_session=$token" "http://127.0.0.1:$port/"; done
ttfb=$(for _ in $(seq 1 "$REQUESTS"); do
  curl -s -o /dev/null -w '%{time_starttransfer}\n' -H "Accept: text/html" -b "ac_session=$token" "http://127.0.0.1:$port/"
done | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f %.1f", v[int(NR * 0.5)] * 1000, v[int(NR * 0.99)] * 1000 }')

echo
echo "Web admin budget (release)"
python3 -c "w, j, c = $wasm / 1024, $js / 1024, $css / 1024
print(f'  WASM {w:.1f} KB gz   JS {j:.1f} KB gz   CSS {c:.1f} KB gz   total {w + j + c:.1f} KB (floor 400)')"
read -r p50 p99 <<<"$ttfb"
echo "  SSR dashboard TTFB over $REQUESTS requests: p50 ${p50} ms, p99 ${p99} ms (floor p50 30)"
