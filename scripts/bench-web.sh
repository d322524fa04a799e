#!/usr/bin/env bash
# Web admin budget: the release build's WASM + JS + CSS gzipped, and the time to first byte of
# the server-rendered dashboard with the demo data, logged in as the demo admin.
# Floors: WASM + JS <= 400 KB gzipped (the issue's measure; the stylesheet is printed beside it);
# p50 TTFB <= 30 ms on 2 cores. And the company's public booking page (`/b/sever`, no login):
# its own WASM + JS <= 150 KB gzipped (it loads no WASM, only forms.js) and p50 TTFB <= 10 ms.
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
# The loader and the plain forms' script (public/forms.js), both fetched by every page.
js=$(( $(size "$pkg/auto-concierge.js") + $(size target/site/forms.js) ))
css=$(size "$pkg/auto-concierge.css")

# The web session is the same JWT as the API's, in the ac_session cookie.
start_bench_server "$server_bin" ac_bench_web
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Accept: text/html" -b "ac_session=$token" "http://127.0.0.1:$port/")
[ "$status" = 200 ] || { echo "dashboard answered $status" >&2; exit 1; }

for _ in $(seq 1 20); do curl -s -o /dev/null -H "Accept: text/html" -b "ac_session=$token" "http://127.0.0.1:$port/"; done
ttfb=$(for _ in $(seq 1 "$REQUESTS"); do
  curl -s -o /dev/null -w '%{time_starttransfer}\n' -H "Accept: text/html" -b "ac_session=$token" "http://127.0.0.1:$port/"
done | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f %.1f", v[int(NR * 0.5)] * 1000, v[int(NR * 0.99)] * 1000 }')

public_status=$(curl -s -o /dev/null -w '%{http_code}' -H "Accept: text/html" "http://127.0.0.1:$port/b/sever")
[ "$public_status" = 200 ] || { echo "the public page answered $public_status" >&2; exit 1; }
# What the public page's HTML asks the browser to load besides the stylesheet.
public_html=$(curl -s -H "Accept: text/html" "http://127.0.0.1:$port/b/sever")
if grep -q 'auto-concierge.wasm\|type="module"' <<<"$public_html"; then
  echo "the public page loads the WASM" >&2; exit 1
fi
public_js=$(size target/site/forms.js)
for _ in $(seq 1 20); do curl -s -o /dev/null -H "Accept: text/html" "http://127.0.0.1:$port/b/sever"; done
public_ttfb=$(for _ in $(seq 1 "$REQUESTS"); do
  curl -s -o /dev/null -w '%{time_starttransfer}\n' -H "Accept: text/html" "http://127.0.0.1:$port/b/sever"
done | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f %.1f", v[int(NR * 0.5)] * 1000, v[int(NR * 0.99)] * 1000 }')
# The heaviest step: a service, the shop, and a day, whose page lists the days with free time
# (up to three weeks of availability) and that day's free times.
service=$(curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/services/" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
shop=$(curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/shops/" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
step="http://127.0.0.1:$port/b/sever/book?s=$service&shop=$shop"
day=$(curl -s -H "Accept: text/html" "$step" | grep -o 'day=[0-9-]*' | head -1)
step="$step&$day"
for _ in $(seq 1 20); do curl -s -o /dev/null -H "Accept: text/html" "$step"; done
step_ttfb=$(for _ in $(seq 1 "$REQUESTS"); do
  curl -s -o /dev/null -w '%{time_starttransfer}\n' -H "Accept: text/html" "$step"
done | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f %.1f", v[int(NR * 0.5)] * 1000, v[int(NR * 0.99)] * 1000 }')

echo
echo "Web admin budget (release)"
python3 -c "w, j, c = $wasm / 1024, $js / 1024, $css / 1024
print(f'  WASM {w:.1f} KB gz + JS {j:.1f} KB gz = {w + j:.1f} KB (floor 400)   CSS {c:.1f} KB gz   all three {w + j + c:.1f} KB')"
read -r p50 p99 <<<"$ttfb"
echo "  SSR dashboard TTFB over $REQUESTS requests: p50 ${p50} ms, p99 ${p99} ms (floor p50 30)"
read -r public_p50 public_p99 <<<"$public_ttfb"
echo
echo "Public booking page /b/sever (release)"
python3 -c "j = $public_js / 1024
print(f'  WASM 0 KB + JS {j:.1f} KB gz = {j:.1f} KB (floor 150)')"
echo "  SSR TTFB over $REQUESTS requests: p50 ${public_p50} ms, p99 ${public_p99} ms (floor p50 10)"
read -r step_p50 step_p99 <<<"$step_ttfb"
echo "  the booking step with days and times ($day): p50 ${step_p50} ms, p99 ${step_p99} ms"
