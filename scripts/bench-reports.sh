#!/usr/bin/env bash
# The reports at scale (issue 16): fills a company with a year of history (`seed-history`,
# about 100 000 visits), then times every report through the REST API as its admin — through
# Row-Level Security as the runtime role — over the last 30 days by day and over the whole year
# by month. Prints p50/p95 per report and fails when a p95 is above the floor (200 ms).
#
#   scripts/bench-reports.sh        # release server on a fresh database
#
# VISITS_PER_DAY (default 300), MONTHS (default 12), ROUNDS (requests per report and period,
# default 20), P95_FLOOR_MS (default 200).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

VISITS_PER_DAY="${VISITS_PER_DAY:-300}"
MONTHS="${MONTHS:-12}"
ROUNDS="${ROUNDS:-20}"
P95_FLOOR_MS="${P95_FLOOR_MS:-200}"

ensure_test_postgres
use_shared_target_dir
log "building the release server"
cargo build --release -p server --quiet
server_bin="$(target_dir)/release/server"
start_bench_server "$server_bin" ac_bench_reports
log "seed-history: $MONTHS months, $VISITS_PER_DAY visits a day"
DATABASE_URL="$db_url" ENVIRONMENT=production "$server_bin" seed-history \
  --months "$MONTHS" --visits-per-day "$VISITS_PER_DAY"
psql "$db_url" -qAt -c "ANALYZE"
psql "$db_url" -qAt -c "SELECT 'visits in the database: ' || count(*) FROM appointments a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = 'istoriya'"
token=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/login/access-token" \
  -d "username=admin@istoriya.demo&password=demo-password" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

today=$(date -u +%F)
month_ago=$(date -u -d '29 days ago' +%F)
year_ago=$(date -u -d '365 days ago' +%F)
failed=0
printf '%-10s %-22s %9s %9s\n' report period p50_ms p95_ms
for report in revenue load funnel no_shows services sources; do
  for period in "from=$month_ago&to=$today&group=day" "from=$year_ago&to=$today&group=month"; do
    url="http://127.0.0.1:$port/api/v1/reports/$report?$period"
    curl -fs -o /dev/null -H "Authorization: Bearer $token" "$url"   # warm-up
    times=$(for _ in $(seq "$ROUNDS"); do
      curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $token" "$url"
    done)
    if echo "$times" | awk '$1 != 200 { bad = 1 } END { exit !bad }'; then
      echo "$report $period: some requests failed" >&2
      exit 1
    fi
    label=$([[ $period == *month ]] && echo "365 days by month" || echo "30 days by day")
    echo "$times" | awk '{ print $2 * 1000 }' | sort -n | awk -v r="$report" -v p="$label" -v floor="$P95_FLOOR_MS" '
      { ms[NR] = $1 }
      END {
        p50 = ms[int(NR * 0.50 + 0.999999)]; p95 = ms[int(NR * 0.95 + 0.999999)]
        printf "%-10s %-22s %9.1f %9.1f\n", r, p, p50, p95
        exit (p95 > floor)
      }' || failed=1
  done
done
echo "floor: p95 <= $P95_FLOOR_MS ms"
exit "$failed"
