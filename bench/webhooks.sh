#!/usr/bin/env bash
# Webhooks: (a) events delivered per second to a local receiver, and (b) the end-to-end message
# rate (as bench/e2e.sh measures it: realistic mail from bench/LoadClient.java posted to Postwire,
# DKIM-signed, relayed to smtp-sink) with one webhook subscribed to every event compared with none,
# in the same run.
#
# The receiver (bench/WebhookReceiver.java) answers every POST 204 and only counts it: what is
# measured is Postwire's sender, not the receiver. It listens on 127.0.0.1 (the egress policy lets
# the service reach loopback here, see bench/lib.sh start_app).
#
# (b): after WARM messages with the webhook subscribed (both paths warmed up), ROUNDS pairs of
# rounds of N messages each, interleaved: none, webhook, none, webhook, ... so that noise from
# whatever else runs on the machine falls on both sides alike. A webhook round subscribes a new
# webhook (events ["*"], every domain) before its first POST and measures, like e2e.sh, from the
# first POST until the sink counted the N messages; then it waits (not measured) until the receiver
# has every event of the round (2 a message: message.queued and message.delivered) and deletes the
# webhook, so nothing of it runs into the next round. Prints the median rate of each side and
# their ratio (aim: webhook >= 0.90 x none).
#
# (a): a webhook is subscribed and replays ({"after": seq}) the last EVENTS events the earlier
# rounds wrote: they are all due at once; the rate runs from the replay request until the receiver
# counted EVENTS POSTs. Postwire's defaults apply: postwire.webhooks.concurrency 16, at most
# postwire.webhooks.per-endpoint (4) POSTs in flight to one webhook; the second line is with
# BENCH_HOOK_PER_ENDPOINT (default 16) in flight to it, the service restarted with that setting.
#
# The mail goes to 50 recipients (BENCH_RCPT=distinct: one per message of LoadClient's pool): events
# reach a webhook in seq order per recipient, so mail to one address has its events sent one at a
# time; BENCH_RCPT=single sends everything to one address, to see that case.
#
# Usage: bench/webhooks.sh [--smoke]
#   env: N (default 2000), WARM (default 5000), ROUNDS (default 3 pairs), EVENTS (default 10000),
#        BENCH_HOOK_PER_ENDPOINT (default 16), and bench/lib.sh's (BENCH_PG_STATEMENTS=1: each
#        round's statements)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
N="${N:-2000}"; WARM="${WARM:-5000}"; ROUNDS="${ROUNDS:-3}"; EVENTS="${EVENTS:-10000}"
PER_ENDPOINT="${BENCH_HOOK_PER_ENDPOINT:-16}"
export BENCH_RCPT="${BENCH_RCPT:-distinct}"
[[ "${1:-}" == "--smoke" ]] && N=100 && WARM=100 && ROUNDS=1 && EVENTS=200
[[ -x /usr/sbin/smtp-sink ]] || { echo "/usr/sbin/smtp-sink missing (apt-get install postfix)" >&2; exit 1; }

HOOK_PORT="$(free_port)"
java -XX:+UseSerialGC -Xmx128m "$BENCH_ROOT/bench/WebhookReceiver.java" "$HOOK_PORT" 4 \
  >"$BENCH_DIR/receiver.out" 2>&1 &
BENCH_PIDS+=($!)
RECEIVER_PID=$!
for _ in $(seq 200); do curl -fs -o /dev/null "http://127.0.0.1:$HOOK_PORT/count" && break; sleep 0.1; done
log "webhook receiver on 127.0.0.1:$HOOK_PORT"
received() { curl -fs "http://127.0.0.1:$HOOK_PORT/count" | cut -d' ' -f1; }
received_last_ms() { curl -fs "http://127.0.0.1:$HOOK_PORT/count" | cut -d' ' -f3; }
# Waits until the receiver counted $1 POSTs (at most $2 s).
wait_received() {
  local want="$1" deadline=$(($(date +%s) + $2)) n
  while :; do
    n="$(received)"
    ((n >= want)) && return 0
    if (($(date +%s) > deadline)); then log "receiver counted only $n of $want"; return 1; fi
    sleep 0.05
  done
}
subscribe() { # prints the new webhook's id
  api POST /v1/webhooks "{\"url\":\"http://127.0.0.1:$HOOK_PORT/hook\",\"events\":[\"*\"]}" |
    sed -nE 's/.*"id":"([^"]+)".*/\1/p'
}
unsubscribe() { api DELETE "/v1/webhooks/$1" >/dev/null; }

start_pg
start_sink
start_app POSTWIRE_DELIVERY_ENABLED=true
create_domain

WARM=$(( (WARM + 99) / 100 * 100 ))
log "warm-up: $WARM messages with a webhook"
r0="$(received)"
HOOK="$(subscribe)"
postwire_deliver "$WARM" 600 >/dev/null
wait_received $((r0 + 2 * WARM)) 600
unsubscribe "$HOOK"

NONE_RATES=(); HOOK_RATES=()
for ((round = 1; round <= ROUNDS; round++)); do
  for side in none webhook; do
    settle
    r0="$(received)"
    [[ "$side" == webhook ]] && HOOK="$(subscribe)"
    app0="$(proc_cpu_ms "$APP_PID")"; pg0="$(pg_cpu_ms)"
    pg_statements_reset
    read -r RATE MS SIGNED < <(postwire_deliver "$N" 900)
    [[ -n "${RATE:-}" ]] || { log "Postwire did not deliver all $N messages"; exit 1; }
    extra=""
    if [[ "$side" == webhook ]]; then
      lag0="$(now_ms)"
      wait_received $((r0 + 2 * N)) 600
      lag=$(( $(received_last_ms) - lag0 ))
      extra=", the receiver had all $((2 * N)) events $(( lag < 0 ? 0 : lag )) ms after the sink had the messages"
      unsubscribe "$HOOK"
    fi
    app1="$(proc_cpu_ms "$APP_PID")"; pg1="$(pg_cpu_ms)"
    echo "RESULT webhooks e2e round $round $side: $N messages in $MS ms = $RATE msg/s, CPU $(( (app1 - app0 + pg1 - pg0) * 1000 / N )) us/msg (service $(( (app1 - app0) * 1000 / N )) + PostgreSQL $(( (pg1 - pg0) * 1000 / N )))$extra, load $(load_avg)"
    pg_statements_top 12 "$N"
    if [[ "$side" == webhook ]]; then HOOK_RATES+=("$RATE"); else NONE_RATES+=("$RATE"); fi
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
awk -v a="$(median "${HOOK_RATES[@]}")" -v b="$(median "${NONE_RATES[@]}")" -v r="$ROUNDS" 'BEGIN {
  printf "RESULT webhooks e2e median of %d rounds: webhook %.0f msg/s, none %.0f msg/s, ratio %.2f (aim >= 0.90)\n", r, a, b, a / b }'

# (a) events per second: a replay of the last EVENTS events, all due at once.
events_rate() { # LABEL
  local after hook r0 t0 app0 pg0 app1 pg1 end
  after="$(psql_app -c "select coalesce(min(seq), 0) - 1 from (select seq from event where seq is not null and type in ('queued', 'delivered') order by seq desc limit $EVENTS) s")"
  settle
  hook="$(subscribe)"
  r0="$(received)"
  app0="$(proc_cpu_ms "$APP_PID")"; pg0="$(pg_cpu_ms)"
  t0="$(now_ms)"
  api POST "/v1/webhooks/$hook/replay" "{\"after\":$after}" >/dev/null
  wait_received $((r0 + EVENTS)) 900
  end="$(received_last_ms)"
  app1="$(proc_cpu_ms "$APP_PID")"; pg1="$(pg_cpu_ms)"
  echo "RESULT webhooks events $1: $EVENTS events in $((end - t0)) ms = $((EVENTS * 1000 / (end - t0))) events/s, CPU $(( (app1 - app0 + pg1 - pg0) * 1000 / EVENTS )) us/event (service $(( (app1 - app0) * 1000 / EVENTS )) + PostgreSQL $(( (pg1 - pg0) * 1000 / EVENTS ))), load $(load_avg)"
  unsubscribe "$hook"
}
events_rate "per-endpoint 4 (default)"
stop_app
start_app POSTWIRE_DELIVERY_ENABLED=true POSTWIRE_WEBHOOKS_PER_ENDPOINT="$PER_ENDPOINT"
events_rate "per-endpoint $PER_ENDPOINT"
stop_app
