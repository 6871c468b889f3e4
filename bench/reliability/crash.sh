#!/usr/bin/env bash
# kill -9 with deliveries in flight, restart, check every accepted message delivered, none lost.
# Usage: bench/reliability/crash.sh [messages=2000]   (CI: crash.sh 200)
source "$(dirname "$0")/lib.sh"
N=${1:-2000}
HTTP=18180
mkdir -p "$WORK"
package
fresh_database
start_sink "$WORK/crash-sink" 1   # 1 s before answering DATA: deliveries stay in flight
start_service $HTTP "$WORK/crash-1.log"
DOMAIN=crash.example.com
register_domain $HTTP $DOMAIN
t0=$(date +%s)
log "posting $N messages"
post_messages $HTTP $DOMAIN "$N" crash 8 | tee "$WORK/crash-post.txt" >&2
ACCEPTED=$(awk '$2==202{print $1}' "$WORK/crash-post.txt")
# kill when about a quarter has reached the sink (bounded wait)
for _ in $(seq 1 600); do
  read -r uniq total < <(sink_counts "$WORK/crash-sink" crash)
  [ "$uniq" -ge $((N / 4)) ] && break
  sleep 0.2
done
INFLIGHT=$(sql "select count(*) from delivery where lease_owner is not null")
log "kill -9 at $uniq delivered, $INFLIGHT leased"
kill -9 "$SERVICE_PID"; wait "$SERVICE_PID" 2>/dev/null || true
start_service $HTTP "$WORK/crash-2.log"
for _ in $(seq 1 $((N + 300))); do
  read -r uniq total < <(sink_counts "$WORK/crash-sink" crash)
  [ "$uniq" -ge "$ACCEPTED" ] && break
  sleep 0.5
done
sleep 3
read -r uniq total < <(sink_counts "$WORK/crash-sink" crash)
DB_DELIVERED=$(sql "select count(*) from delivery where status='delivered'")
echo "crash: accepted=$ACCEPTED delivered_unique=$uniq lost=$((ACCEPTED - uniq)) duplicates=$((total - uniq)) leased_at_kill=$INFLIGHT concurrency=${CONCURRENCY:-32} db_delivered=$DB_DELIVERED seconds=$(( $(date +%s) - t0 ))"
[ "$uniq" -eq "$ACCEPTED" ] && [ $((total - uniq)) -le "${CONCURRENCY:-32}" ]
