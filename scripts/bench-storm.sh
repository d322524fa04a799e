#!/usr/bin/env bash
# Booking storm: 1,000 concurrent attempts at one free slot of a 3-bay shop against the release
# server (fresh demo database, runtime role, RLS on). Prints the count of each status and p50/p99.
# Floor: exactly 3 × 201 (one per bay), the rest 409, no 5xx.
#
#   scripts/bench-storm.sh          # ATTEMPTS=1000 by default
cd "$(dirname "$0")/.."
source scripts/lib.sh

ATTEMPTS="${ATTEMPTS:-1000}"
ensure_test_postgres
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

log "building the release server"
cargo build --release -p server --quiet
server_bin="$(target_dir)/release/server"
# The server needs a descriptor per connection too, and its pool waits for PostgreSQL in turn.
start_bench_server "$server_bin" ac_bench_storm
auth=(-H "Authorization: Bearer $token")
shop=$(curl -fs "${auth[@]}" "http://127.0.0.1:$port/api/v1/shops/" |
  python3 -c 'import json,sys; print(next(s["id"] for s in json.load(sys.stdin) if s["bays"] == 3))')
service=$(curl -fs "${auth[@]}" "http://127.0.0.1:$port/api/v1/services/" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
# A weekday a month ahead, where the demo week holds nothing: its first free time.
day=$(python3 -c 'import datetime as d; t=d.date.today()+d.timedelta(days=30); t+=d.timedelta(days=(t.weekday()==6)); print(t)')
start=$(curl -fs "${auth[@]}" "http://127.0.0.1:$port/api/v1/shops/$shop/slots?date=$day&service_ids=$service" |
  python3 -c 'import json,sys; s=json.load(sys.stdin)[0]; assert s["free_bays"]==[1,2,3], s; print(s["start_time"])')
log "$ATTEMPTS concurrent bookings of $start in a 3-bay shop"
python3 scripts/bench/storm.py "http://127.0.0.1:$port" "$token" "$shop" "$service" "$start" "$ATTEMPTS"
booked=$(psql "$db_url" -qAt -c "SELECT count(*) FROM appointments WHERE shop_id = $shop AND start_time = '$start'")
echo "visits at that time in the database: $booked"
