#!/usr/bin/env bash
# Live streams at scale: one release server process holding 10,000 SSE streams of one company,
# then one change through the API. Prints the streams held, the server's RSS, and the time
# until all of them received the event (p50/p99). Floor: 10k held, RSS <= 300 MB, p99 <= 1 s.
#
#   scripts/bench-streams.sh          # STREAMS=10000 by default
cd "$(dirname "$0")/.."
source scripts/lib.sh

STREAMS="${STREAMS:-10000}"
ensure_test_postgres
# A descriptor per stream on both sides.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt "$((STREAMS + 1000))" ] || { echo "raise the open-file limit above $((STREAMS + 1000))" >&2; exit 1; }

log "building the release server"
cargo build --release -p server --quiet
server_bin="$(target_dir)/release/server"
export STREAMS_PER_USER=$((STREAMS + 100)) STREAMS_PER_COMPANY=$((STREAMS + 100))
# As the Docker image runs it: mimalloc commits its arenas lazily (eager: ~310 MB here, lazy ~190).
export MIMALLOC_ARENA_EAGER_COMMIT="${MIMALLOC_ARENA_EAGER_COMMIT:-0}"
start_bench_server "$server_bin" ac_bench_streams
log "$STREAMS streams of one company, then one change"
python3 scripts/bench/streams.py "http://127.0.0.1:$port" "$token" "$STREAMS" "$pid"
