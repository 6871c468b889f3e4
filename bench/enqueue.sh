#!/usr/bin/env bash
# Enqueue throughput and latency: POST /v1/messages (one recipient; the realistic messages of
# bench/LoadClient.java, BENCH_MAIL=small for the earlier 1 KB ones) and /v1/messages/batch (100
# per request), delivery disabled so only the enqueue path runs. wrk and the load client send the
# same messages (wrk reads the load client's request bodies).
#   1. maximum: wrk, fixed connection count, DURATION seconds each (closed loop)
#   2. latency: bench/LoadClient.java at a fixed rate of 50% and 90% of that maximum (open loop,
#      latency counted from each request's scheduled start)
# Usage: bench/enqueue.sh [--smoke]     env: DURATION (s, default 20), CONNS (default 32)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
DURATION="${DURATION:-20}"; CONNS="${CONNS:-32}"; BATCH_CONNS="${BATCH_CONNS:-4}"
# Each fixed-rate run starts with RATE_WARMUP seconds (default 5) at the same rate whose requests
# are left out of the latency figures: the load client is a fresh JVM that opens its connections then.
RATE_WARMUP="${RATE_WARMUP:-5}"
if [[ "${1:-}" == "--smoke" ]]; then DURATION=2; CONNS=4; BATCH_CONNS=2; RATE_WARMUP=1; fi
command -v wrk >/dev/null || { echo "wrk missing (apt-get install wrk)" >&2; exit 1; }

start_pg
start_app POSTWIRE_DELIVERY_ENABLED=false
create_domain
export POSTWIRE_KEY="$BENCH_KEY"
LUA="$BENCH_ROOT/bench/wrk/post.lua"
load_client bodies "$BENCH_DIR/bodies.1" 1
load_client bodies "$BENCH_DIR/bodies.100" 100

wrk_run() { # wrk_run BATCH CONNS SECONDS → prints msg/s (and logs the wrk line and CPU/message)
  local out app0 pg0 app1 pg1 n msgs
  app0="$(proc_cpu_ms "$APP_PID")"; pg0="$(pg_cpu_ms)"; n0="$(psql_app -c 'select count(*) from message')"
  out="$(BATCH="$1" BODIES="$BENCH_DIR/bodies.$1" wrk -t1 -c"$2" -d"$3"s --timeout 10s -s "$LUA" "$APP_URL" | grep '^wrk:')"
  app1="$(proc_cpu_ms "$APP_PID")"; pg1="$(pg_cpu_ms)"
  msgs=$(( $(psql_app -c 'select count(*) from message') - n0 ))
  log "batch=$1 conns=$2 ${3}s: $out (load $(load_avg))"
  CPU_LINE="$(awk -v a=$((app1 - app0)) -v p=$((pg1 - pg0)) -v m="$msgs" 'BEGIN { if (m == 0) m = 1
    printf "CPU per message: service %.0f us, PostgreSQL %.0f us -> 2 idle cores would allow about %.0f msg/s", a * 1000 / m, p * 1000 / m, 2e6 / ((a + p) * 1000 / m) }')"
  log "$CPU_LINE"
  echo "$out" | sed -E 's/.*msg\/s=([0-9]+).*/\1/' >"$BENCH_DIR/wrk.rate"
  echo "$CPU_LINE" >"$BENCH_DIR/wrk.cpu"
}

log "warm-up"
wrk_run 1 "$CONNS" "$DURATION"
wrk_run 100 "$BATCH_CONNS" "$DURATION"

wrk_run 1 "$CONNS" "$DURATION"; MAX1="$(cat "$BENCH_DIR/wrk.rate")"
echo "RESULT enqueue single: max $MAX1 msg/s (wrk -t1 -c$CONNS -d${DURATION}s), load $(load_avg); $(cat "$BENCH_DIR/wrk.cpu")"
wrk_run 100 "$BATCH_CONNS" "$DURATION"; MAXB="$(cat "$BENCH_DIR/wrk.rate")"
echo "RESULT enqueue batch100: max $MAXB msg/s = recipients/s (wrk -t1 -c$BATCH_CONNS -d${DURATION}s), load $(load_avg); $(cat "$BENCH_DIR/wrk.cpu")"
# Each fixed-rate run starts from a settled database: the maximum-rate runs insert about a million
# rows in a minute, and the autovacuum and checkpoint they trigger would otherwise land in the
# middle of the next run (at a sustained 50% that maintenance is spread out, not one burst).
for pct in 50 90; do
  r1=$(( MAX1 * pct / 100 )); ((r1 > 0)) || r1=1
  settle
  out="$(load_client rate "$APP_URL" "$BENCH_KEY" 1 "$r1" $((DURATION + RATE_WARMUP)) "$RATE_WARMUP" | head -1)"
  echo "RESULT enqueue single at ${pct}% ($r1 req/s): $out, load $(load_avg)"
  rb=$(( MAXB * pct / 100 / 100 )); ((rb > 0)) || rb=1
  settle
  out="$(load_client rate "$APP_URL" "$BENCH_KEY" 100 "$rb" $((DURATION + RATE_WARMUP)) "$RATE_WARMUP" | head -1)"
  echo "RESULT enqueue batch100 at ${pct}% ($rb req/s): $out, load $(load_avg)"
done
echo "RESULT service RSS after the enqueue runs: $(rss_mb "$APP_PID") MB (JVM opts: $BENCH_JVM_OPTS ${BENCH_EXTRA_JVM_OPTS:-})"
