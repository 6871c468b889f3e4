#!/usr/bin/env bash
# SMTP submission: messages per second accepted over SMTP by Postwire's submission port, against
# the same load into Postfix's smtpd (its own queue, the same smtp-sink behind both as relayhost),
# in the same run, with a 1 KB message and with realistic mail; plus CPU per message.
#
# The client: Postfix's smtp-source has no AUTH, and Postwire's submission answers MAIL before
# AUTH with 530 5.7.0 (it has no trusted networks), so smtp-source cannot drive it. Both sides are
# driven by the same client instead, bench/LoadClient.java smtp mode: SOURCE_SESSIONS (default 20)
# sessions, each reused for many messages (EHLO once, MAIL/RCPT/DATA pipelined when offered), no
# TLS on loopback. Towards Postwire each session authenticates once after EHLO (AUTH PLAIN, the
# bootstrap key as the password; postwire.submission.allow-plaintext-auth=true, since there is no
# TLS); towards Postfix it sends no AUTH (loopback is in its mynetworks; a Postfix SASL server would
# need Cyrus's sasldb or Dovecot, neither of which is part of this setup). One AUTH per session of
# hundreds of messages: its cost per message is negligible. As a check that the client is not the
# bottleneck, smtp-source (-s SOURCE_SESSIONS, -d: sessions reused, 1 KB) also runs against Postfix.
#
# Mail: "1 KB" is LoadClient's BENCH_MAIL=small message (one line of about 1 KB of text);
# "realistic" is its default (as bench/e2e.sh: 10-40 lines of prose with an html alternative,
# non-ASCII in one in three, a 20-100 KB PDF in one in five).
#
# Postwire runs with delivery on (relay to the sink, DKIM rsa-sha256 2048 signing), Postfix tuned
# for throughput as bench/lib.sh start_postfix describes (in_flow_delay = 0, destination
# concurrency BENCH_DEST_CONCURRENCY from the start). The rate is the acceptance rate: messages
# answered 250 per second from the client's first MAIL to its last answer. CPU per message is the
# process CPU time (/proc, user + system) from before the measured messages until the sink counted
# them all: Postwire + PostgreSQL, or every Postfix process; the sink and the client are not
# counted. Both are measured warm (WARM messages through Postwire first, PF_WARM through Postfix).
#
# Usage: bench/submission.sh [--smoke]
#   env: N (default 5000), WARM (default 20000), PF_WARM (default 1000), SOURCE_SESSIONS (default 20)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
N="${N:-5000}"; SOURCE_SESSIONS="${SOURCE_SESSIONS:-20}"
WARM="${WARM:-20000}"; PF_WARM="${PF_WARM:-1000}"
[[ "${1:-}" == "--smoke" ]] && N=100 && WARM=100 && PF_WARM=50
for p in /usr/sbin/smtp-sink /usr/sbin/smtp-source /usr/sbin/postfix; do
  [[ -x "$p" ]] || { echo "$p missing (apt-get install postfix)" >&2; exit 1; }
done
MAILS=(small realistic)
label() { [[ "$1" == small ]] && echo "1 KB" || echo "realistic"; }

# submit PORT MESSAGES [KEY]: LoadClient smtp mode, SOURCE_SESSIONS sessions; waits until the sink
# counted them (at most 900 s); prints "<accepted msg/s> <ms first MAIL to last answer> <ms to sink>"
submit() {
  local port="$1" n="$2" key="${3:-}" base out first last ok end
  base="$(sink_count)"
  out="$(BENCH_SMTP_KEY="$key" load_client smtp "127.0.0.1:$port" "$n" "$SOURCE_SESSIONS" \
    bench@bench.test rcpt@sink.test)"
  log "submitted: $out"
  first="$(sed -nE 's/.*first_send_ms=([0-9]+).*/\1/p' <<<"$out")"
  last="$(sed -nE 's/.*last_answer_ms=([0-9]+).*/\1/p' <<<"$out")"
  ok="$(sed -nE 's/.*messages_ok=([0-9]+).*/\1/p' <<<"$out")"
  [[ "$ok" == "$n" ]] || { log "only $ok of $n messages answered 250"; return 1; }
  end="$(wait_sink $((base + n)) 900)" || return 1
  echo "$((n * 1000 / (last - first > 0 ? last - first : 1))) $((last - first)) $((end - first))"
}

start_pg
start_sink
SUBMISSION_PORT="$(free_port)"
# no per-client connection limit, as for Postfix (smtpd_client_connection_count_limit = 0)
start_app POSTWIRE_DELIVERY_ENABLED=true POSTWIRE_SUBMISSION_HOST=127.0.0.1 \
  POSTWIRE_SUBMISSION_PORT="$SUBMISSION_PORT" POSTWIRE_SUBMISSION_ALLOW_PLAINTEXT_AUTH=true \
  POSTWIRE_SUBMISSION_MAX_CONNECTIONS_PER_IP=1000
create_domain
declare -A PW_RATE PF_RATE
for mail in "${MAILS[@]}"; do
  export BENCH_MAIL="$mail"
  log "warm-up: $WARM messages ($(label "$mail")) through Postwire's submission port"
  submit "$SUBMISSION_PORT" "$WARM" "$BENCH_KEY" >/dev/null
  app0="$(proc_cpu_ms "$APP_PID")"; pg0="$(pg_cpu_ms)"
  read -r rate ms sink_ms < <(submit "$SUBMISSION_PORT" "$N" "$BENCH_KEY")
  [[ -n "${rate:-}" ]] || { log "Postwire did not accept and deliver all $N messages"; exit 1; }
  app1="$(proc_cpu_ms "$APP_PID")"; pg1="$(pg_cpu_ms)"
  PW_RATE[$mail]="$rate"
  echo "RESULT submission postwire ($(label "$mail")): $N messages accepted in $ms ms = $rate msg/s, all at the sink after $sink_ms ms, CPU $(( (app1 - app0 + pg1 - pg0) * 1000 / N )) us/msg (service $(( (app1 - app0) * 1000 / N )) + PostgreSQL $(( (pg1 - pg0) * 1000 / N ))), $SOURCE_SESSIONS sessions, load $(load_avg)"
done
stop_app

start_postfix
for mail in "${MAILS[@]}"; do
  export BENCH_MAIL="$mail"
  log "warm-up: $PF_WARM messages ($(label "$mail")) through Postfix"
  submit "$POSTFIX_PORT" "$PF_WARM" >/dev/null
  cpu0="$(tree_cpu_ms "$POSTFIX_PID")"
  read -r rate ms sink_ms < <(submit "$POSTFIX_PORT" "$N")
  [[ -n "${rate:-}" ]] || { log "Postfix did not accept and deliver all $N messages"; exit 1; }
  cpu1="$(tree_cpu_ms "$POSTFIX_PID")"
  PF_RATE[$mail]="$rate"
  echo "RESULT submission postfix ($(label "$mail")): $N messages accepted in $ms ms = $rate msg/s, all at the sink after $sink_ms ms, CPU $(( (cpu1 - cpu0) * 1000 / N )) us/msg (every Postfix process), $SOURCE_SESSIONS sessions, load $(load_avg)"
done
# the client check: smtp-source, 1 KB, the same sessions, against the same Postfix
base="$(sink_count)"; t0="$(now_ms)"
timeout 900 /usr/sbin/smtp-source -d -s "$SOURCE_SESSIONS" -m "$N" -l 1024 -M smtp-source.bench.test \
  -f bench@bench.test -t rcpt@sink.test "127.0.0.1:$POSTFIX_PORT"
t1="$(now_ms)"
end="$(wait_sink $((base + N)) 900)"
echo "RESULT submission postfix (1 KB, smtp-source): $N messages accepted in $((t1 - t0)) ms = $((N * 1000 / (t1 - t0 > 0 ? t1 - t0 : 1))) msg/s (from its start, connections included), all at the sink after $((end - t0)) ms"
stop_postfix
for mail in "${MAILS[@]}"; do
  awk -v a="${PW_RATE[$mail]}" -v b="${PF_RATE[$mail]}" -v l="$(label "$mail")" \
    'BEGIN { printf "RESULT submission ratio postwire / postfix (%s) = %.2f (aim >= 1)\n", l, a / b }'
done
