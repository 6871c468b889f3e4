#!/usr/bin/env bash
# Start-up time (exec → /q/health/ready = 200) and RSS after start: plain JVM 17, AppCDS (JDK 17,
# -XX:ArchiveClassesAtExit then -XX:SharedArchiveFile), JDK 25 plain and JDK 25 AOT cache
# (-XX:AOTCacheOutput then -XX:AOTCache). Then peak RSS under sustained load (enqueue + delivery to
# smtp-sink) with the README's flags and environment (BENCH_JVM_OPTS, MALLOC_ARENA_MAX=2), and with
# the flags it recommended before (-XX:MaxRAMPercentage=75 -XX:+UseSerialGC) for comparison.
# Usage: bench/startup-memory.sh [--smoke]   env: REPEAT (default 3), LOAD_SECONDS (60), LOAD_RATE (300 msg/s),
#        ONLY_LOAD=1 (only the two RSS-under-load runs), LOAD_NMT=1 (the load runs also print the JVM's
#        native memory summary, taken 3 s before the load ends; NMT itself costs about 10 MB of RSS)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
REPEAT="${REPEAT:-3}"; LOAD_SECONDS="${LOAD_SECONDS:-60}"; LOAD_RATE="${LOAD_RATE:-300}"
JDK25="${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}"
SMOKE=""
if [[ "${1:-}" == "--smoke" ]]; then SMOKE=1; REPEAT=1; LOAD_SECONDS=3; LOAD_RATE=20; fi
BASE_OPTS="$BENCH_JVM_OPTS"
# The README's environment for the service: glibc's malloc keeps up to 8 arenas per core, one per
# busy thread, and the worker pool has ~100 threads under load; two arenas cost it nothing measurable.
APP_ENV=(MALLOC_ARENA_MAX=2)
OLD_OPTS="-XX:MaxRAMPercentage=75 -XX:+UseSerialGC"

start_pg
start_sink
ensure_jar

measure() { # measure LABEL JAVA EXTRA_OPTS → REPEAT starts, prints each and the best
  local label="$1" best=999999 all=""
  for _ in $(seq "$REPEAT"); do
    BENCH_JAVA="$2" BENCH_EXTRA_JVM_OPTS="$3" start_app "${APP_ENV[@]}"
    sleep 2
    local rss; rss="$(rss_mb "$APP_PID")"
    stop_app
    all+="${APP_READY_MS}ms/${rss}MB "
    ((APP_READY_MS < best)) && best="$APP_READY_MS"
  done
  echo "RESULT start-up $label: best ${best} ms to ready; each run ready/RSS-after-2s: $all; load $(load_avg)"
}
train() { # train JAVA OPTS: one start, a little traffic, clean stop (the archive is written at exit)
  BENCH_JAVA="$1" BENCH_EXTRA_JVM_OPTS="$2" start_app "${APP_ENV[@]}"
  create_domain 2>/dev/null || true
  load_client rate "$APP_URL" "$BENCH_KEY" 1 20 2 >/dev/null
  stop_app 180 # JDK 25 assembles the AOT cache in a child JVM at exit
}

nmt_line() { # one line: committed MB per NMT category (and total), from jcmd VM.native_memory summary
  jcmd "$1" VM.native_memory summary 2>/dev/null | awk '
    /^Total:/ { match($0, /committed=[0-9]+/); t = substr($0, RSTART + 10, RLENGTH - 10) }
    /^-/ { name = $0; sub(/^- */, "", name); sub(/ *\(.*/, "", name)
           match($0, /committed=[0-9]+/); kb = substr($0, RSTART + 10, RLENGTH - 10)
           if (kb + 0 >= 1024) out = out sprintf("%s %d, ", name, kb / 1024) }
    END { printf "NMT committed MB: %stotal %d", out, t / 1024 }'
}
under_load() { # under_load JVM_OPTS [NAME=VALUE...]: peak RSS while LOAD_RATE msg/s are posted and delivered
  local opts="$1"; shift
  BENCH_JVM_OPTS="$opts" BENCH_EXTRA_JVM_OPTS="${LOAD_NMT:+-XX:NativeMemoryTracking=summary}" start_app "$@"
  create_domain 2>/dev/null || true
  local peak=0 rss out sink0 t0 nmt=""; sink0="$(sink_count)"; t0="$(date +%s)"
  load_client rate "$APP_URL" "$BENCH_KEY" 1 "$LOAD_RATE" "$LOAD_SECONDS" >"$BENCH_DIR/load.out" &
  local client=$!
  BENCH_PIDS+=($client)
  while kill -0 "$client" 2>/dev/null; do
    rss="$(rss_mb "$APP_PID")"; ((rss > peak)) && peak="$rss"
    if [[ -n "${LOAD_NMT:-}" && -z "$nmt" ]] && (($(date +%s) - t0 >= LOAD_SECONDS - 3)); then
      nmt="$(nmt_line "$APP_PID"); RSS then $(rss_mb "$APP_PID") MB"
    fi
    sleep 0.5
  done
  out="$(head -1 "$BENCH_DIR/load.out")"
  local delivered=$(( $(sink_count) - sink0 ))
  echo "RESULT RSS under load (${*:+$* }$opts): peak ${peak} MB, end $(rss_mb "$APP_PID") MB; load: $out; delivered meanwhile $delivered; load avg $(load_avg)"
  [[ -z "$nmt" ]] || echo "RESULT   $nmt"
  stop_app
}
if [[ -n "${ONLY_LOAD:-}" ]]; then under_load "$BASE_OPTS" "${APP_ENV[@]}"; BENCH_MALLOC_ARENA_MAX= under_load "$OLD_OPTS"; exit 0; fi
measure "JDK 17 plain" java ""
if [[ -n "$SMOKE" ]]; then under_load "$BASE_OPTS" "${APP_ENV[@]}"; exit 0; fi # the smoke run checks the two paths only
train java "-XX:ArchiveClassesAtExit=$BENCH_DIR/app-17.jsa"
[[ -f "$BENCH_DIR/app-17.jsa" ]] || log "AppCDS archive was not written"
measure "JDK 17 AppCDS" java "-XX:SharedArchiveFile=$BENCH_DIR/app-17.jsa -Xshare:auto"
if [[ -x "$JDK25/bin/java" ]]; then
  measure "JDK 25 plain" "$JDK25/bin/java" ""
  train "$JDK25/bin/java" "-XX:AOTCacheOutput=$BENCH_DIR/app-25.aot"
  [[ -f "$BENCH_DIR/app-25.aot" ]] || log "AOT cache was not written"
  measure "JDK 25 AOT cache" "$JDK25/bin/java" "-XX:AOTCache=$BENCH_DIR/app-25.aot"
else
  log "no JDK 25 at $JDK25: skipping its rows"
fi

under_load "$BASE_OPTS" "${APP_ENV[@]}"
BENCH_MALLOC_ARENA_MAX= under_load "$OLD_OPTS"
