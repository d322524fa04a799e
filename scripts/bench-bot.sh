#!/usr/bin/env bash
# The Telegram bot end to end with the rules engine: how many updates a second one company's bot
# handles (getUpdates → client and transcript in PostgreSQL → concierge → sendMessage), and then
# p50/p99 of POST /api/v1/concierge/analyze (scripts/bench-concierge.sh).
#
# A small fake Bot API (Python, on 127.0.0.1) holds BATCHES batches of BATCH customer messages
# (the texts of the evaluation set, each from another Telegram user) and hands them out through
# getUpdates; the server's `bot` process polls it like Telegram. The clock runs from the first
# batch handed out to the last answer received.
#
#   scripts/bench-bot.sh                      # release build
#   PROFILE=debug scripts/bench-bot.sh        # the debug binary (no release build needed)
#   BATCHES=10 BATCH=100 scripts/bench-bot.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

PROFILE="${PROFILE:-release}"
BATCHES="${BATCHES:-10}"
BATCH="${BATCH:-100}"
SET="${SET:-app/data/concierge-eval.jsonl}"
TOKEN="123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDbench"

ensure_test_postgres
if [ "$PROFILE" = release ]; then
  log "building the release server"
  cargo build --release -p server --quiet
else
  log "building the debug server"
  cargo build -p server --quiet
fi
server_bin="$(target_dir)/$PROFILE/server"

work=$(mktemp -d)
db=ac_bench_bot
admin_url="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
db_url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  psql "$admin_url" -qAt -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

cat >"$work/fake_telegram.py" <<'PY'
# A fake Bot API: getUpdates hands out the prepared batches (an offset confirms the previous
# one), sendMessage is counted; GET /stats reports the counts and the clock.
import json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, batches, batch, texts_file = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
texts = [json.loads(l)["text"] for l in open(texts_file, encoding="utf-8") if l.strip()]
updates = []
for i in range(batches * batch):
    user = 10_000_000 + i
    updates.append({"update_id": i + 1, "message": {
        "message_id": i + 1, "date": 1764000000, "text": texts[i % len(texts)],
        "chat": {"id": user, "type": "private", "first_name": "Клиент"},
        "from": {"id": user, "is_bot": False, "first_name": "Клиент"}}})
lock = threading.Lock()
state = {"armed": False, "next": 0, "sent": 0, "first": None, "last": None}

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args): pass

    def reply(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.lower().endswith("/getme"):
            return self.do_POST()
        if self.path == "/arm":
            with lock: state["armed"] = True
            return self.reply({"ok": True})
        with lock: return self.reply(dict(state, total=len(updates)))

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        try: body = json.loads(raw or b"{}")
        except ValueError: body = {}
        method = self.path.rsplit("/", 1)[-1].lower()
        if method == "getme":
            return self.reply({"ok": True, "result": {"id": 123456789, "is_bot": True,
                               "first_name": "Bench", "username": "bench_bot"}})
        if method == "getupdates":
            offset = body.get("offset") or 0
            with lock:
                if state["armed"]:
                    # Everything before the offset is confirmed.
                    state["next"] = max(state["next"], offset - 1)
                    start = state["next"]
                    chunk = updates[start:start + batch]
                    if chunk and state["first"] is None:
                        state["first"] = time.time()
                else:
                    chunk = []
            if not chunk:
                time.sleep(0.2)
            return self.reply({"ok": True, "result": chunk})
        if method == "sendmessage":
            with lock:
                state["sent"] += 1
                state["last"] = time.time()
            return self.reply({"ok": True, "result": {"message_id": 1, "date": 1764000000,
                               "chat": {"id": body.get("chat_id"), "type": "private"},
                               "text": body.get("text", "")}})
        return self.reply({"ok": True, "result": True})

ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
PY

fake_port=$(free_port)
python3 "$work/fake_telegram.py" "$fake_port" "$BATCHES" "$BATCH" "$SET" &
pids+=($!)
fake="http://127.0.0.1:$fake_port"

psql "$admin_url" -qAt -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" 2>/dev/null
export SECRET_KEY="bench-secret-key-bench-secret-key-0123"
export ENCRYPTION_KEY="cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
export DATABASE_URL="$db_url" ENVIRONMENT=production RUST_LOG=warn TELEGRAM_API_URL="$fake"
unset AI_PROVIDER
"$server_bin" seed-demo >/dev/null

# Connect Север's bot through the API (checked with getMe at the fake), then stop the server:
# the bots run in a `bot` process of their own, as in production.
port=$(free_port)
LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site "$server_bin" serve >"$work/serve.log" 2>&1 &
serve_pid=$!
pids+=($serve_pid)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
jwt=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/login/access-token" \
  -d "username=admin@sever.demo&password=demo-password" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -fs -X PUT -H "Authorization: Bearer $jwt" -H 'Content-Type: application/json' \
  -d "{\"bot_token\": \"$TOKEN\"}" "http://127.0.0.1:$port/api/v1/tenant/telegram" >/dev/null
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true

"$server_bin" bot >"$work/bot.log" 2>&1 &
pids+=($!)
sleep 4
total=$((BATCHES * BATCH))
log "bot: $total customer messages in $BATCHES batches of $BATCH ($PROFILE build, rules engine)"
curl -fs "$fake/arm" >/dev/null
for _ in $(seq 1 600); do
  sent=$(curl -fs "$fake/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sent"])')
  [ "$sent" -ge "$total" ] && break
  sleep 0.5
done
curl -fs "$fake/stats" | python3 -c "$(cat <<'PY'
import json, sys
s = json.load(sys.stdin)
if s["sent"] < s["total"]:
    sys.exit("only %d of %d answers arrived" % (s["sent"], s["total"]))
elapsed = s["last"] - s["first"]
print("updates: %d, answered: %d, in %.2f s" % (s["total"], s["sent"], elapsed))
print("bot throughput: %.0f updates/s (one company, one poller, sequential)" % (s["total"] / elapsed))
PY
)"
answers=$(psql "$db_url" -qAt -c "SELECT count(*) FROM bot_messages WHERE direction = 'out'")
log "transcript rows of answers in PostgreSQL: $answers"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
pids=()
psql "$admin_url" -qAt -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
unset DATABASE_URL TELEGRAM_API_URL

log "concierge/analyze latency (scripts/bench-concierge.sh)"
if [ "$PROFILE" = release ]; then
  scripts/bench-concierge.sh
else
  echo "(bench-concierge.sh measures the release build; run it without PROFILE=debug)"
fi
