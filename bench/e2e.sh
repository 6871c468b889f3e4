#!/usr/bin/env bash
# End to end: N messages (1 KB, one recipient) posted to Postwire → DKIM rsa-sha256 (2048) →
# relayed to smtp-sink on loopback; messages/s from the first POST until the sink counted N.
# Then the same N messages of the same size pushed by smtp-source through a private Postfix to the
# same sink, once plain and once with OpenDKIM (rsa-sha256, 2048) as a milter. Prints the ratios.
# Postwire is measured warm: WARM messages (default 10,000) go through the same path first, so the
# JIT compilers have finished (their threads took a quarter of the CPU in the first seconds).
# Usage: bench/e2e.sh [--smoke]    env: N (default 5000), WARM (default 10000), SOURCE_SESSIONS (default 20)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
N="${N:-5000}"; SOURCE_SESSIONS="${SOURCE_SESSIONS:-20}"
WARM="${WARM:-10000}"
[[ "${1:-}" == "--smoke" ]] && N=100 && WARM=100
for p in /usr/sbin/smtp-sink /usr/sbin/smtp-source /usr/sbin/postfix /usr/sbin/opendkim; do
  [[ -x "$p" ]] || { echo "$p missing (apt-get install postfix opendkim opendkim-tools)" >&2; exit 1; }
done

start_pg
start_sink
start_app POSTWIRE_DELIVERY_ENABLED=true
create_domain
WARM=$(( (WARM + 99) / 100 * 100 ))
log "warm-up: $WARM messages"
postwire_deliver "$WARM" 600 >/dev/null
app0="$(proc_cpu_ms "$APP_PID")"; pg0="$(pg_cpu_ms)"
read -r PW_RATE PW_MS PW_SIGNED < <(postwire_deliver "$N" 900)
[[ -n "${PW_RATE:-}" ]] || { log "Postwire did not deliver all $N messages"; exit 1; }
app1="$(proc_cpu_ms "$APP_PID")"; pg1="$(pg_cpu_ms)"
echo "RESULT e2e postwire: $N messages in $PW_MS ms = $PW_RATE msg/s ($PW_SIGNED DKIM-signed at the sink), CPU $(( (app1 - app0 + pg1 - pg0) * 1000 / N )) us/msg (service $(( (app1 - app0) * 1000 / N )) + PostgreSQL $(( (pg1 - pg0) * 1000 / N ))), load $(load_avg)"
stop_app

opendkim_cpu() { if [[ -n "${OPENDKIM_PID:-}" ]]; then tree_cpu_ms "$OPENDKIM_PID"; else echo 0; fi; }
postfix_run() { # postfix_run LABEL [milter socket] → prints its RESULT line, sets RUN_RATE
  start_postfix "${2:-}"
  local base signed0 t0 end
  base="$(sink_count)"; signed0="$(sink_signed)"
  local cpu0 cpu1
  cpu0=$(( $(tree_cpu_ms "$POSTFIX_PID") + $(opendkim_cpu) ))
  t0="$(now_ms)"
  timeout 900 /usr/sbin/smtp-source -s "$SOURCE_SESSIONS" -m "$N" -l 1000 \
    -f bench@bench.test -t rcpt@sink.test "127.0.0.1:$POSTFIX_PORT"
  end="$(wait_sink $((base + N)) 900)"
  RUN_RATE=$((N * 1000 / (end - t0)))
  cpu1=$(( $(tree_cpu_ms "$POSTFIX_PID") + $(opendkim_cpu) ))
  echo "RESULT e2e $1: $N messages in $((end - t0)) ms = $RUN_RATE msg/s ($(( $(sink_signed) - signed0 )) DKIM-signed at the sink), CPU $(( (cpu1 - cpu0) * 1000 / N )) us/msg (Postfix${OPENDKIM_PID:+ + OpenDKIM}), load $(load_avg)"
  stop_postfix
}
postfix_run "postfix plain"; PF_RATE="$RUN_RATE"
start_opendkim
postfix_run "postfix+opendkim" "$OPENDKIM_SOCK"; PFD_RATE="$RUN_RATE"
awk -v a="$PW_RATE" -v b="$PFD_RATE" -v c="$PF_RATE" 'BEGIN {
  printf "RESULT e2e ratio postwire / postfix+opendkim = %.2f (target >= 2)\n", a / b
  printf "RESULT e2e ratio postwire / postfix plain    = %.2f (stretch >= 1)\n", a / c }'
