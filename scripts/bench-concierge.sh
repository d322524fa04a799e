#!/usr/bin/env bash
# Latency of POST /api/v1/concierge/analyze with the rules engine, request after request, over
# the messages of the shared evaluation set (each is one customer message of the bot). Prints
# p50/p99 and fails when p99 is above the floor: 5 ms on 2 cores (issue 17).
#
#   scripts/bench-concierge.sh                 # release server on a fresh demo database
#   BASE=http://127.0.0.1:3000 scripts/bench-concierge.sh   # a running demo server instead
#
# ROUNDS (passes over the set, default 20), SET (labelled JSONL, default
# app/data/concierge-eval.jsonl, a copy of shared/eval/concierge.jsonl), P99_FLOOR_MS (default 5). curl times each request itself
# (time_total), so the loop's own overhead is not counted.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ROUNDS="${ROUNDS:-20}"
SET="${SET:-app/data/concierge-eval.jsonl}"
P99_FLOOR_MS="${P99_FLOOR_MS:-5}"

work=$(mktemp -d)
cleanup=("rm -rf '$work'")
trap 'for c in "${cleanup[@]}"; do eval "$c"; done' EXIT

if [ -z "${BASE:-}" ]; then
  ensure_test_postgres
  log "building the release server"
  cargo build --release -p server --quiet
  server_bin="$(target_dir)/release/server"
  db=ac_bench_concierge
  admin_url="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
  db_url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
  psql "$admin_url" -qAt -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  cleanup+=("psql '$admin_url' -qAt -c 'DROP DATABASE IF EXISTS $db WITH (FORCE)' >/dev/null")
  export SECRET_KEY="bench-secret-key-bench-secret-key-0123"
  export ENCRYPTION_KEY="cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
  DATABASE_URL="$db_url" ENVIRONMENT=production "$server_bin" seed-demo >/dev/null
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # No AI_PROVIDER: the rules engine is what is measured.
  env -u AI_PROVIDER DATABASE_URL="$db_url" ENVIRONMENT=production RUST_LOG=warn \
    LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site \
    "$server_bin" serve >"$work/server.log" 2>&1 &
  pid=$!
  cleanup=("kill $pid 2>/dev/null; wait $pid 2>/dev/null" "${cleanup[@]}")
  BASE="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do curl -fs "$BASE/health" >/dev/null && break; sleep 0.2; done
fi

token=$(curl -fs -X POST "$BASE/api/v1/login/access-token" \
  -d "username=admin@sever.demo&password=demo-password" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

# One request body per message: only {"text": ...}, the endpoint refuses unknown fields.
python3 - "$SET" "$work" <<'PY'
import json, sys
src, out = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8") as f:
    lines = [l for l in f if l.strip()]
for i, line in enumerate(lines):
    with open(f"{out}/{i:04d}.json", "w", encoding="utf-8") as b:
        json.dump({"text": json.loads(line)["text"]}, b, ensure_ascii=False)
PY

ask() {
  curl -s -o "$work/answer" -w '%{http_code} %{time_total}\n' \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data-binary "@$1" "$BASE/api/v1/concierge/analyze"
}

# Warm-up (builds the cached catalogue), and a check that the rules engine is the one measured.
ask "$work/0000.json" >/dev/null
grep -q '"engine":"rules"' "$work/answer" || {
  echo "the server does not answer with the rules engine (AI_PROVIDER set?): $(cat "$work/answer")" >&2
  exit 1
}

log "POST /api/v1/concierge/analyze: $ROUNDS rounds over $(ls "$work"/*.json | wc -l) messages"
for _ in $(seq "$ROUNDS"); do
  for body in "$work"/*.json; do
    ask "$body"
  done
done >"$work/times"

if awk '$1 != 200 { bad = 1 } END { exit !bad }' "$work/times"; then
  echo "some requests failed:" >&2
  awk '$1 != 200' "$work/times" | sort | uniq -c >&2
  exit 1
fi

awk '{ print $2 * 1000 }' "$work/times" | sort -n | awk -v floor="$P99_FLOOR_MS" '
  { ms[NR] = $1 }
  END {
    # Nearest-rank percentiles.
    p50 = ms[int(NR * 0.50 + 0.999999)]; p99 = ms[int(NR * 0.99 + 0.999999)]
    printf "requests: %d\np50: %.2f ms\np99: %.2f ms (floor %d ms)\n", NR, p50, p99, floor
    exit (p99 > floor)
  }'
