#!/usr/bin/env bash
# A hostile relay that answers EHLO with "250-" lines that never end: the service must close each
# such connection and defer the delivery, with its memory flat. Reports RSS (VmRSS) before and
# after, the peak (VmHWM), how many connections the peer saw and how many bytes it got written.
# Runs the packaged service with the README's JVM flags and MALLOC_ARENA_MAX=2; retries are set to
# seconds, so every message goes back to the peer again and again during the run.
# Usage: bench/reliability/endless-reply.sh [messages=200] [seconds=60]
source "$(dirname "$0")/lib.sh"
N=${1:-200}
SECONDS_UNDER_ATTACK=${2:-60}
HTTP=18190
PEER_PORT=${PEER_PORT:-2526}
README_JVM_FLAGS="-XX:+UseSerialGC -Xms64m -Xmx256m -XX:MinHeapFreeRatio=30 -XX:MaxHeapFreeRatio=50 -XX:TrimNativeHeapInterval=5000 -XX:+ExitOnOutOfMemoryError"
mkdir -p "$WORK"
package
fresh_database

java "$ROOT/bench/reliability/HostilePeer.java" "$PEER_PORT" >"$WORK/endless-peer.log" 2>&1 &
PIDS+=($!)
PEER_PID=$!
for _ in $(seq 1 60); do
  grep -q '^listening' "$WORK/endless-peer.log" 2>/dev/null && break
  kill -0 "$PEER_PID" 2>/dev/null || { cat "$WORK/endless-peer.log" >&2; exit 1; }
  sleep 0.5
done

kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

SINK_PORT=$PEER_PORT JVM_OPTS="$README_JVM_FLAGS" start_service $HTTP "$WORK/endless-service.log" \
  MALLOC_ARENA_MAX=2 POSTWIRE_DELIVERY_RETRY_INITIAL=2s POSTWIRE_DELIVERY_RETRY_MAX=5s
DOMAIN=endless.example.com
register_domain $HTTP $DOMAIN
sleep 5
RSS_BEFORE=$(kib "$SERVICE_PID" VmRSS)
log "RSS before: $((RSS_BEFORE / 1024)) MB; posting $N messages"
post_messages $HTTP $DOMAIN "$N" endless 8 >&2
t0=$(date +%s)
while [ $(( $(date +%s) - t0 )) -lt "$SECONDS_UNDER_ATTACK" ]; do
  kill -0 "$SERVICE_PID" 2>/dev/null || { log "the service died"; tail -20 "$WORK/endless-service.log" >&2; exit 1; }
  sleep 5
  log "RSS $(( $(kib "$SERVICE_PID" VmRSS) / 1024 )) MB; peer: $(tail -1 "$WORK/endless-peer.log")"
done
RSS_AFTER=$(kib "$SERVICE_PID" VmRSS)
RSS_PEAK=$(kib "$SERVICE_PID" VmHWM)
DEFERRED=$(sql "select count(*) from delivery where status = 'deferred' and last_text like 'protocol error%'")
ATTEMPTS=$(sql "select coalesce(sum(attempts), 0) from delivery")
OTHER=$(sql "select count(*) from delivery where status not in ('deferred', 'queued')")
echo "endless-reply: messages=$N seconds=$SECONDS_UNDER_ATTACK rss_before_mb=$((RSS_BEFORE / 1024)) rss_after_mb=$((RSS_AFTER / 1024)) rss_peak_mb=$((RSS_PEAK / 1024)) attempts=$ATTEMPTS deferred_by_protocol_error=$DEFERRED not_deferred=$OTHER peer: $(tail -1 "$WORK/endless-peer.log")"
[ "$OTHER" -eq 0 ] && [ "$DEFERRED" -gt 0 ]
