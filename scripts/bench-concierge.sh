#!/usr/bin/env bash
# Latency of POST /api/v1/concierge/analyze with the rules engine, over the messages of the
# shared evaluation set: prints p50/p99 and fails when p99 is above the floor (20 ms).
#
# Needs a running server with the demo data and no AI_PROVIDER, e.g. scripts/start.sh, or
# `server seed-demo && server serve` on a database of your own. Settings (environment):
#   BASE      server URL                      default http://127.0.0.1:3000
#   ROUNDS    passes over the message set     default 20
#   SET       labelled JSONL set              default ../shared/eval/concierge.jsonl
#   EMAIL, PASSWORD                           default admin@sever.demo / demo-password
#   P99_FLOOR_MS                              default 20
# curl measures each request itself (time_total), so the loop's own overhead is not counted.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BASE=${BASE:-http://127.0.0.1:3000}
ROUNDS=${ROUNDS:-20}
SET=${SET:-$here/../../shared/eval/concierge.jsonl}
EMAIL=${EMAIL:-admin@sever.demo}
PASSWORD=${PASSWORD:-demo-password}
P99_FLOOR_MS=${P99_FLOOR_MS:-20}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

token=$(curl -sf --data-urlencode "username=$EMAIL" --data-urlencode "password=$PASSWORD" \
  "$BASE/api/v1/login/access-token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "login as $EMAIL at $BASE failed" >&2; exit 1; }

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

# Warm-up, and a check that the rules engine is the one measured.
ask "$work/0000.json" >/dev/null
grep -q '"engine":"rules"' "$work/answer" || {
  echo "the server does not answer with the rules engine (AI_PROVIDER set?): $(cat "$work/answer")" >&2
  exit 1
}

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
