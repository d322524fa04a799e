#!/usr/bin/env bash
# Benchmark: GET /api/v1/appointments returning 50 rows (authenticated, RLS on, as the runtime
# role) at concurrency 64 against the release server, beside pgbench running the same SQL on
# the same database as the ceiling. Prints requests/s, p50/p99 latency, the server's peak RSS
# and the ratio to the ceiling. Floor: >= 50% of the ceiling and p99 < 25 ms on 2 cores.
#
#   scripts/bench-api.sh            # DURATION=15 CONCURRENCY=64 by default
cd "$(dirname "$0")/.."
source scripts/lib.sh

DURATION="${DURATION:-15}"
CONCURRENCY="${CONCURRENCY:-64}"
command -v wrk >/dev/null || apt_install wrk
command -v pgbench >/dev/null || apt_install postgresql-contrib
ensure_test_postgres

log "building the release server"
cargo build --release -p server --quiet
server_bin="$(target_dir)/release/server"

start_bench_server "$server_bin" ac_bench
from=$(TZ=Europe/Moscow date -d '-3 days' +%F)
to=$(TZ=Europe/Moscow date -d '+3 days' +%F)
url="http://127.0.0.1:$port/api/v1/appointments/?date_from=$from&date_to=$to&limit=50"
rows=$(curl -fs -H "Authorization: Bearer $token" "$url" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$rows" = 50 ] || { echo "expected 50 rows, got $rows" >&2; exit 1; }

# The same statements the handler runs, in one read-only transaction as the runtime role: the
# user check that also scopes the transaction to the tenant (app/src/domain/auth.rs:
# `scope_to_user`), then app/src/domain/booking.rs: `list`. The request ends its transaction with
# the ROLLBACK that goes out with the pool's release check (app/src/domain/db.rs: `ReadTx`).
user_id=$(psql "$db_url" -qAt -c "SELECT id FROM users WHERE email = 'admin@sever.demo'")
ids=$(curl -fs -H "Authorization: Bearer $token" "$url" | python3 -c 'import json,sys; print(",".join(str(a["id"]) for a in json.load(sys.stdin)))')
sql=$(mktemp --suffix=.sql)
cat >"$sql" <<SQL
BEGIN READ ONLY;
SELECT id, email, full_name, role, tenant_id, is_active, tenant_active,
       set_config('app.current_tenant_id', coalesce(tenant_id::text, ''), true) AS scope
  FROM platform_user($user_id);
SELECT a.id, a.tenant_id, a.shop_id, a.client_id, c.full_name AS client_full_name, c.phone AS client_phone,
       a.vehicle_id, a.bay, a.start_time, a.end_time, a.status, a.source, a.customer_note, a.ai_summary,
       a.ai_analysis, a.total_price, a.cancel_reason, a.created_at, a.updated_at, s.timezone
  FROM appointments a JOIN clients c ON c.id = a.client_id JOIN shops s ON s.id = a.shop_id
 WHERE true
   AND a.start_time >= '$from 00:00'::timestamp - interval '14 hours'
   AND a.start_time >= ('$from 00:00'::timestamp AT TIME ZONE s.timezone)
   AND a.start_time < '$to 00:00'::timestamp + interval '1 day 12 hours'
   AND a.start_time < (('$to 00:00'::timestamp + interval '1 day') AT TIME ZONE s.timezone)
 ORDER BY a.start_time, a.id OFFSET 0 LIMIT 50;
SELECT x.appointment_id, x.service_id AS id, s.name, x.price, x.duration_minutes
  FROM appointment_services x JOIN services s ON s.id = x.service_id
 WHERE x.appointment_id = ANY('{$ids}'::bigint[])
 ORDER BY x.appointment_id, x.service_id;
ROLLBACK;
SQL

log "warm-up"
wrk -t2 -c"$CONCURRENCY" -d3s -H "Authorization: Bearer $token" "$url" >/dev/null
# CPU seconds (user + system) of the server and of the PostgreSQL backends serving its database:
# what one request costs, whatever else the machine is doing.
ticks() { awk '{ s += $14 + $15 } END { print s + 0 }' "$@" 2>/dev/null; }
pg_ticks() { ticks $(pgrep -f "^postgres: .* $db " | sed 's#.*#/proc/&/stat#'); }
hz=$(getconf CLK_TCK)
log "API: wrk -c$CONCURRENCY -d${DURATION}s"
server_before=$(ticks "/proc/$pid/stat"); pg_before=$(pg_ticks)
api=$(wrk -t2 -c"$CONCURRENCY" -d"${DURATION}s" --latency -H "Authorization: Bearer $token" "$url")
server_after=$(ticks "/proc/$pid/stat"); pg_after=$(pg_ticks)
log "ceiling: pgbench -c$CONCURRENCY -T$DURATION (same SQL, prepared like sqlx, runtime role, Unix socket)"
pglog=$(mktemp -d)
ceiling=$(PGOPTIONS="-c role=auto_concierge_app" pgbench -n -M prepared -h /var/run/postgresql -U postgres \
  -c "$CONCURRENCY" -j 2 -T "$DURATION" -f "$sql" --log --log-prefix="$pglog/tx" "$db" 2>&1)
# pgbench's own latency percentiles (per-transaction log, µs in the third column): what the same
# SQL at the same concurrency takes with no HTTP server at all.
pg_latency=$(cat "$pglog"/tx.* | awk '{print $3}' | sort -n |
  awk '{ a[NR] = $1 } END { if (NR) printf "p50 %.2fms   p99 %.2fms", a[int(NR * 0.5)] / 1000, a[int(NR * 0.99)] / 1000 }')
rm -rf "$sql" "$pglog"

rps=$(awk '/Requests\/sec/ {print $2}' <<<"$api")
p50=$(awk '$1 == "50%" {print $2}' <<<"$api")
p99=$(awk '$1 == "99%" {print $2}' <<<"$api")
errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$api")
tps=$(awk '/^tps/ {print $3; exit}' <<<"$ceiling")
rss=$(awk '/VmHWM/ {print $2, $3}' "/proc/$pid/status")

echo
echo "GET /api/v1/appointments (50 rows), concurrency $CONCURRENCY, ${DURATION}s, release build"
printf '  API        %10.0f req/s   p50 %s   p99 %s\n' "$rps" "$p50" "$p99"
printf '  pgbench    %10.0f tx/s    %s   (ceiling: same SQL, same database)\n' "$tps" "$pg_latency"
printf '  ratio      %10.0f %%\n' "$(python3 -c "print(100 * $rps / $tps)")"
echo "  peak RSS   $rss"
requests=$(python3 -c "print($rps * $DURATION)")
python3 -c "r = $requests; print(f'  CPU/request  server {($server_after - $server_before) / $hz / r * 1e6:.0f} µs   PostgreSQL {($pg_after - $pg_before) / $hz / r * 1e6:.0f} µs')"
[ -z "$errors" ] || echo "  errors: $errors"
