#!/usr/bin/env bash
# Three replicas on one database deliver N messages: each exactly once at the sink.
# Usage: bench/reliability/replicas.sh [messages=5000]   (CI: replicas.sh 200)
source "$(dirname "$0")/lib.sh"
N=${1:-5000}
mkdir -p "$WORK"
package
fresh_database
start_sink "$WORK/replicas-sink" 0
start_service 18181 "$WORK/replica-1.log"
start_service 18182 "$WORK/replica-2.log"
start_service 18183 "$WORK/replica-3.log"
DOMAIN=replicas.example.com
register_domain 18181 $DOMAIN
t0=$(date +%s)
post_messages "18181 18182 18183" $DOMAIN "$N" rep 12 | tee "$WORK/replicas-post.txt" >&2
ACCEPTED=$(awk '$2==202{print $1}' "$WORK/replicas-post.txt")
for _ in $(seq 1 $((N + 300))); do
  read -r uniq total < <(sink_counts "$WORK/replicas-sink" rep)
  [ "$uniq" -ge "$ACCEPTED" ] && break
  sleep 0.5
done
sleep 3
read -r uniq total < <(sink_counts "$WORK/replicas-sink" rep)
PER_REPLICA=$(sql "select count(*) from event where type='delivered'")
echo "replicas: accepted=$ACCEPTED delivered_unique=$uniq total_at_sink=$total duplicates=$((total - uniq)) lost=$((ACCEPTED - uniq)) delivered_events=$PER_REPLICA seconds=$(( $(date +%s) - t0 ))"
[ "$uniq" -eq "$ACCEPTED" ] && [ "$total" -eq "$uniq" ]
