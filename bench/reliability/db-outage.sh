#!/usr/bin/env bash
# Stop PostgreSQL for OUTAGE seconds under a bounded POST load; the API must answer 503
# `unavailable` with Retry-After quickly, readiness DOWN, then UP within 10 s of the restart and
# every accepted message delivered.
# Usage: bench/reliability/db-outage.sh [outage seconds=30] [requests per second=10]
source "$(dirname "$0")/lib.sh"
OUTAGE=${1:-30}
RATE=${2:-10}
HTTP=18190
mkdir -p "$WORK"
package
fresh_database
start_sink "$WORK/outage-sink" 0
start_service $HTTP "$WORK/outage.log"
DOMAIN=outage.example.com
register_domain $HTTP $DOMAIN
OUT="$WORK/outage-requests.txt"; : >"$OUT"
BODIES="$WORK/outage-bodies"
message_bodies "$BODIES" $(( (OUTAGE + 30) * RATE )) "$DOMAIN" out
READY="$WORK/outage-ready.txt"; : >"$READY"
# readiness probe every 0.5 s for the whole run
( for i in $(seq 1 $(( (OUTAGE + 40) * 2 ))); do
    echo "$(date +%s.%N) $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:$(mgmt_port $HTTP)/q/health/ready)" >>"$READY"
    sleep 0.5
  done ) &
PROBE=$!; PIDS+=($PROBE)
# bounded load: RATE requests a second for OUTAGE + 30 seconds, each at most 20 s
( for i in $(seq 1 $(( (OUTAGE + 30) * RATE ))); do
    curl -s -D - -o "$WORK/outage-body-$i.json" -w "RESULT $i %{http_code} %{time_total}\n" --max-time 20 \
      -H "Authorization: Bearer $ADMIN_KEY" -H 'Content-Type: application/json' \
      --data-binary @"$BODIES/out-$i.json" \
      "http://127.0.0.1:$HTTP/v1/messages" | grep -E '^RESULT|^[Rr]etry-[Aa]fter' | tr -d '\r' | paste -sd' ' >>"$OUT" &
    sleep "$(awk "BEGIN{print 1/$RATE}")"
  done; wait ) &
LOAD=$!; PIDS+=($LOAD)
sleep 5
STOP=$(date +%s.%N)
log "stopping PostgreSQL for $OUTAGE s"
pg_ctlcluster --skip-systemctl-redirect 15 "$PG_CLUSTER" stop -m fast
sleep "$OUTAGE"
START=$(date +%s.%N)
pg_ctlcluster --skip-systemctl-redirect 15 "$PG_CLUSTER" start
log "PostgreSQL started"
wait $LOAD || true
wait $PROBE || true
# the status is the field after the request number in "RESULT <n> <status> <seconds>"
status_of() { awk '{for(i=1;i<=NF;i++) if($i=="RESULT") print $(i+2)}' "$OUT"; }
ACCEPTED=$(status_of | grep -cx 202 || true)
for _ in $(seq 1 120); do
  read -r uniq total < <(sink_counts "$WORK/outage-sink" out)
  [ "$uniq" -ge "$ACCEPTED" ] && break
  sleep 0.5
done
read -r uniq total < <(sink_counts "$WORK/outage-sink" out)
echo "status histogram:"; awk '{for(i=1;i<=NF;i++) if($i=="RESULT") print $(i+2)}' "$OUT" | sort | uniq -c
echo "max request seconds: $(awk '{for(i=1;i<=NF;i++) if($i=="RESULT") print $(i+3)}' "$OUT" | sort -n | tail -1)"
echo "503 without Retry-After: $(awk '{for(i=1;i<=NF;i++) if($i=="RESULT" && $(i+2)==503) print}' "$OUT" | grep -vic 'retry-after' || true)"
echo "5xx other than 503: $(status_of | grep -c '^5' | awk -v t="$(status_of | grep -cx 503)" '{print $1-t}')"
echo "503 not unavailable: $(grep -l '"status":503' "$WORK"/outage-body-*.json 2>/dev/null | xargs -r grep -L '"code":"unavailable"' | wc -l)"
DOWN_AT=$(awk -v s="$STOP" '$1>s && $2!=200 {print $1-s; exit}' "$READY")
UP_AFTER=$(awk -v s="$START" '$1>s && $2==200 {print $1-s; exit}' "$READY")
echo "readiness DOWN ${DOWN_AT:-never} s after the stop; UP ${UP_AFTER:-never} s after the restart"
echo "outage: accepted=$ACCEPTED delivered_unique=$uniq lost=$((ACCEPTED - uniq)) duplicates=$((total - uniq))"
rm -rf "$WORK"/outage-body-*.json "$BODIES"
