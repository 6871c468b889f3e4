#!/usr/bin/env bash
# Profiles the service with JFR while it enqueues (delivery off) or enqueues and delivers to
# smtp-sink (e2e); prints the hottest methods and allocation sites (jfr view, JDK 25's jfr tool).
# submission: the same over the SMTP submission port (LoadClient smtp mode, 20 sessions, AUTH PLAIN).
# Usage: bench/profile.sh enqueue|e2e|submission [N]   the recording stays in bench/results/<mode>.jfr
set -euo pipefail
source "$(dirname "$0")/lib.sh"
MODE="${1:-enqueue}"; N="${2:-3000}"
JFR_TOOL="${JFR_TOOL:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/jfr}"
mkdir -p "$BENCH_ROOT/bench/results"
REC="$BENCH_ROOT/bench/results/$MODE.jfr"
start_pg
start_sink
if [[ $MODE == submission ]]; then SUBMISSION_PORT="$(free_port)"; fi
BENCH_EXTRA_JVM_OPTS="-XX:StartFlightRecording=filename=$BENCH_DIR/rec.jfr,settings=profile,dumponexit=true" \
  start_app POSTWIRE_DELIVERY_ENABLED=$([[ $MODE == enqueue ]] && echo false || echo true) \
  ${SUBMISSION_PORT:+POSTWIRE_SUBMISSION_HOST=127.0.0.1 POSTWIRE_SUBMISSION_PORT=$SUBMISSION_PORT} \
  ${SUBMISSION_PORT:+POSTWIRE_SUBMISSION_ALLOW_PLAINTEXT_AUTH=true POSTWIRE_SUBMISSION_MAX_CONNECTIONS_PER_IP=1000}
create_domain
if [[ $MODE == e2e ]]; then
  postwire_deliver "$N" 900
elif [[ $MODE == submission ]]; then
  base="$(sink_count)"
  BENCH_SMTP_KEY="$BENCH_KEY" load_client smtp "127.0.0.1:$SUBMISSION_PORT" "$N" 20 \
    bench@bench.test rcpt@sink.test
  wait_sink $((base + N)) 900 >/dev/null
else
  load_client count "$APP_URL" "$BENCH_KEY" 1 "$N" 16
fi
stop_app 60
cp "$BENCH_DIR/rec.jfr" "$REC"
"$JFR_TOOL" view --width 160 hot-methods "$REC" | head -40
"$JFR_TOOL" view --width 160 allocation-by-site "$REC" | head -25
