#!/usr/bin/env bash
# kill -9 while events are being sent to a webhook receiver that fails one call in five; after a
# restart every event has arrived at least once. Reports the duplicates (at-least-once delivery).
# Usage: bench/reliability/webhooks-crash.sh [messages=1000]   (each message makes 2 events: queued,
# delivered; CI: webhooks-crash.sh 100)
source "$(dirname "$0")/lib.sh"
N=${1:-1000}
HTTP=18190
HOOK_PORT=${HOOK_PORT:-18199}
mkdir -p "$WORK"
package
fresh_database
RECEIVED="$WORK/webhooks-received.txt"
: >"$RECEIVED"
# the receiver: appends each webhook-id it answers 2xx to, fails every fifth call with 500
python3 - "$HOOK_PORT" "$RECEIVED" <<'PY' &
import sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, out = int(sys.argv[1]), sys.argv[2]
lock, calls = threading.Lock(), [0]
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with lock:
            calls[0] += 1
            fail = calls[0] % 5 == 0
            if not fail:
                with open(out, 'a') as f:
                    f.write(self.headers['webhook-id'] + '\n')
        self.send_response(500 if fail else 204)
        self.end_headers()
    def log_message(self, *a):
        pass
ThreadingHTTPServer(('127.0.0.1', port), H).serve_forever()
PY
PIDS+=($!)
HOOK_ENV=(POSTWIRE_DELIVERY_MODE=sandbox POSTWIRE_WEBHOOKS_RETRY_SCHEDULE=1s,2s,5s,10s,30s,60s,60s)
start_service $HTTP "$WORK/webhooks-crash-1.log" "${HOOK_ENV[@]}"
DOMAIN=hooks.example.com
register_domain $HTTP $DOMAIN
curl -fs -o /dev/null -H "Authorization: Bearer $ADMIN_KEY" -H 'Content-Type: application/json' \
  -d "{\"url\":\"http://127.0.0.1:$HOOK_PORT/hook\",\"events\":[\"*\"],\"domains\":[\"$DOMAIN\"]}" \
  "http://127.0.0.1:$HTTP/v1/webhooks"
t0=$(date +%s)
log "posting $N messages"
post_messages $HTTP $DOMAIN "$N" hooks 8 | tee "$WORK/webhooks-post.txt" >&2
EXPECTED=$((2 * $(awk '$2==202{print $1}' "$WORK/webhooks-post.txt")))
unique() { sort -u "$RECEIVED" | grep -c . || true; }
# kill when about a quarter has arrived (bounded wait)
for _ in $(seq 1 600); do
  [ "$(unique)" -ge $((EXPECTED / 4)) ] && break
  sleep 0.2
done
LEASED=$(sql "select count(*) from webhook_delivery where lease_owner is not null")
log "kill -9 at $(unique) of $EXPECTED events received, $LEASED leased"
kill -9 "$SERVICE_PID"; wait "$SERVICE_PID" 2>/dev/null || true
start_service $HTTP "$WORK/webhooks-crash-2.log" "${HOOK_ENV[@]}"
for _ in $(seq 1 $((EXPECTED + 600))); do
  [ "$(unique)" -ge "$EXPECTED" ] && break
  sleep 0.5
done
sleep 3
UNIQ=$(unique)
TOTAL=$(grep -c . "$RECEIVED" || true)
EVENTS=$(sql "select count(*) from event where type in ('queued', 'delivered')")
FAILED=$(sql "select count(*) from webhook_delivery where status = 'failed'")
echo "webhooks-crash: events=$EVENTS expected=$EXPECTED received_unique=$UNIQ missing=$((EXPECTED - UNIQ)) duplicates=$((TOTAL - UNIQ)) leased_at_kill=$LEASED failed=$FAILED seconds=$(( $(date +%s) - t0 ))"
[ "$UNIQ" -ge "$EXPECTED" ] && [ "$EVENTS" -eq "$EXPECTED" ]
