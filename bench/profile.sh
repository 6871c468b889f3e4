#!/usr/bin/env bash
# Profiles the service with JFR while it enqueues (delivery off) or enqueues and delivers to
# smtp-sink (e2e); prints the hottest methods and allocation sites (jfr view, JDK 25's jfr tool).
# Usage: bench/profile.sh enqueue|e2e [N]      the recording stays in bench/results/<mode>.jfr
set -euo pipefail
source "$(dirname "$0")/lib.sh"
MODE="${1:-enqueue}"; N="${2:-3000}"
JFR_TOOL="${JFR_TOOL:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/jfr}"
mkdir -p "$BENCH_ROOT/bench/results"
REC="$BENCH_ROOT/bench/results/$MODE.jfr"
start_pg
start_sink
BENCH_EXTRA_JVM_OPTS="-XX:StartFlightRecording=filename=$BENCH_DIR/rec.jfr,settings=profile,dumponexit=true" \
  start_app POSTWIRE_DELIVERY_ENABLED=$([[ $MODE == e2e ]] && echo true || echo false)
create_domain
if [[ $MODE == e2e ]]; then
  postwire_deliver "$N" 900
else
  load_client count "$APP_URL" "$BENCH_KEY" 1 "$N" 16
fi
stop_app 60
cp "$BENCH_DIR/rec.jfr" "$REC"
"$JFR_TOOL" view --width 160 hot-methods "$REC" | head -40
"$JFR_TOOL" view --width 160 allocation-by-site "$REC" | head -25
