#!/usr/bin/env bash
# End to end: N messages posted to Postwire → DKIM rsa-sha256 (2048) → relayed to smtp-sink on
# loopback; messages/s from the first POST until the sink counted N. Then the same N messages
# submitted over SMTP through a private Postfix to the same sink, once plain and once with OpenDKIM
# (rsa-sha256, 2048) as a milter. Prints the ratios.
#
# The mail is realistic (bench/LoadClient.java): one recipient, 10-40 lines of prose (about
# 1-3 KB) with an html alternative carrying the same lines and a link, non-ASCII text (and an
# RFC 2047 subject) in one message of three, a 20-100 KB PDF attachment in one of five; a pool
# of 50 such messages is cycled. Postwire gets them as JSON (text, html, attachments) and renders
# the MIME itself; Postfix gets the same messages already rendered as MIME (multipart/alternative,
# quoted-printable UTF-8, multipart/mixed with the base64 attachment) from LoadClient's smtp mode:
# SOURCE_SESSIONS SMTP sessions, each reused for many messages. BENCH_MAIL=small brings back the
# earlier 1 KB one-line messages on both sides.
#
# Postfix is tuned as an operator tuning for throughput would (bench/lib.sh start_postfix):
# in_flow_delay = 0, and the same destination concurrency as Postwire's towards the sink
# (BENCH_DEST_CONCURRENCY, default 10 = Postwire's connections per host), from the start.
#
# Postwire is measured twice, each time on a fresh database: with the README's default JVM flags
# (memory first: about 300 MB of RSS) and with its flags for a replica sized for throughput (a
# fixed 256 MB heap with a 96 MB young generation: about 480 MB), as Postfix is tuned for
# throughput; each run prints the collector's share of the CPU and the service's RSS.
#
# Both are measured warm: WARM messages (default 30,000) go through Postwire's path first, so the
# JIT compilers have finished (after 10,000 realistic messages their threads still took 450-630 us
# of the measured CPU per message; after 30,000, 50-100), and
# PF_WARM messages (default 1,000) through each Postfix run first (its processes started). Each
# rate runs from the first POST (Postwire) or the first MAIL (Postfix) of the measured messages,
# not from the load client's start, until the sink counted them all.
# Usage: bench/e2e.sh [--smoke]
#   env: N (default 5000), WARM (default 30000), PF_WARM (default 1000), SOURCE_SESSIONS (default 20),
#        BENCH_DEST_CONCURRENCY (default 10), BENCH_MAIL (small = the 1 KB one-line messages),
#        PW_ONLY (1 = Postwire's runs only, no Postfix runs), PW_LEAN_ONLY (1 = Postwire with the
#        README's default flags only, not also with its throughput flags)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
N="${N:-5000}"; SOURCE_SESSIONS="${SOURCE_SESSIONS:-20}"
WARM="${WARM:-30000}"; PF_WARM="${PF_WARM:-1000}"
[[ "${1:-}" == "--smoke" ]] && N=100 && WARM=100 && PF_WARM=50
for p in /usr/sbin/smtp-sink /usr/sbin/postfix /usr/sbin/opendkim; do
  [[ -x "$p" ]] || { echo "$p missing (apt-get install postfix opendkim opendkim-tools)" >&2; exit 1; }
done

start_pg
start_sink
WARM=$(( (WARM + 99) / 100 * 100 ))
# postwire_run LABEL: a fresh database and service (with $BENCH_JVM_OPTS), WARM messages, a settled
# database, then the N measured; prints its RESULT lines and sets RUN_RATE.
postwire_run() {
  psql_admin -c "drop database if exists postwire" -c "create database postwire owner postwire" >/dev/null
  start_app POSTWIRE_DELIVERY_ENABLED=true
  create_domain
  log "$1: warm-up, $WARM messages"
  postwire_deliver "$WARM" 600 >/dev/null
  settle
  local app0 pg0 ygc0 fgc0 gct0 app1 pg1 ygc1 fgc1 gct1 rate ms signed
  app0="$(proc_cpu_ms "$APP_PID")"; pg0="$(pg_cpu_ms)"; read -r ygc0 fgc0 gct0 < <(gc_stat "$APP_PID")
  pg_statements_reset
  read -r rate ms signed < <(postwire_deliver "$N" 900)
  [[ -n "${rate:-}" ]] || { log "Postwire did not deliver all $N messages"; exit 1; }
  app1="$(proc_cpu_ms "$APP_PID")"; pg1="$(pg_cpu_ms)"; read -r ygc1 fgc1 gct1 < <(gc_stat "$APP_PID")
  echo "RESULT e2e $1: $N messages in $ms ms = $rate msg/s ($signed DKIM-signed at the sink), CPU $(( (app1 - app0 + pg1 - pg0) * 1000 / N )) us/msg (service $(( (app1 - app0) * 1000 / N )) + PostgreSQL $(( (pg1 - pg0) * 1000 / N ))), collector $(( (gct1 - gct0) * 1000 / N )) us/msg ($((ygc1 - ygc0)) young, $((fgc1 - fgc0)) full), service RSS $(rss_mb "$APP_PID") MB (peak $(peak_rss_mb "$APP_PID") MB), load $(load_avg)"
  pg_statements_top 20 "$N"
  stop_app
  RUN_RATE="$rate"
}
postwire_run "postwire"; PW_RATE="$RUN_RATE"
PW_FAST_RATE=""
if [[ -z "${PW_LEAN_ONLY:-}" ]]; then
  BENCH_JVM_OPTS="$BENCH_JVM_OPTS_THROUGHPUT" postwire_run "postwire (throughput heap)"
  PW_FAST_RATE="$RUN_RATE"
fi
[[ -z "${PW_ONLY:-}" ]] || exit 0

opendkim_cpu() { if [[ -n "${OPENDKIM_PID:-}" ]]; then tree_cpu_ms "$OPENDKIM_PID"; else echo 0; fi; }
# Submits $1 messages to the running Postfix (LoadClient smtp mode, SOURCE_SESSIONS sessions) and
# waits until the sink counted them (at most $2 s); prints "<first MAIL ms> <sink done ms>".
postfix_deliver() {
  local n="$1" base out first end
  base="$(sink_count)"
  out="$(load_client smtp "127.0.0.1:$POSTFIX_PORT" "$n" "$SOURCE_SESSIONS" bench@bench.test rcpt@sink.test)"
  log "submitted: $out"
  first="$(echo "$out" | sed -nE 's/.*first_send_ms=([0-9]+).*/\1/p')"
  end="$(wait_sink $((base + n)) "$2")" || return 1
  echo "$first $end"
}
postfix_run() { # postfix_run LABEL [milter socket] → prints its RESULT line, sets RUN_RATE
  start_postfix "${2:-}"
  local signed0 t0 end
  if ((PF_WARM > 0)); then
    log "warm-up: $PF_WARM messages through $1"
    postfix_deliver "$PF_WARM" 600 >/dev/null
  fi
  signed0="$(sink_signed)"
  local cpu0 cpu1
  cpu0=$(( $(tree_cpu_ms "$POSTFIX_PID") + $(opendkim_cpu) ))
  read -r t0 end < <(postfix_deliver "$N" 900)
  [[ -n "${end:-}" ]] || { log "$1 did not deliver all $N messages"; exit 1; }
  RUN_RATE=$((N * 1000 / (end - t0)))
  cpu1=$(( $(tree_cpu_ms "$POSTFIX_PID") + $(opendkim_cpu) ))
  echo "RESULT e2e $1: $N messages in $((end - t0)) ms = $RUN_RATE msg/s ($(( $(sink_signed) - signed0 )) DKIM-signed at the sink), CPU $(( (cpu1 - cpu0) * 1000 / N )) us/msg (Postfix${OPENDKIM_PID:+ + OpenDKIM}), load $(load_avg)"
  stop_postfix
}
postfix_run "postfix plain"; PF_RATE="$RUN_RATE"
start_opendkim
postfix_run "postfix+opendkim" "$OPENDKIM_SOCK"; PFD_RATE="$RUN_RATE"
awk -v a="$PW_RATE" -v b="$PFD_RATE" -v c="$PF_RATE" -v f="$PW_FAST_RATE" 'BEGIN {
  printf "RESULT e2e ratio postwire / postfix+opendkim = %.2f (target >= 2)\n", a / b
  printf "RESULT e2e ratio postwire / postfix plain    = %.2f (stretch >= 1)\n", a / c
  if (f != "") {
    printf "RESULT e2e ratio postwire (throughput heap) / postfix+opendkim = %.2f (target >= 2)\n", f / b
    printf "RESULT e2e ratio postwire (throughput heap) / postfix plain    = %.2f (stretch >= 1)\n", f / c
  } }'
