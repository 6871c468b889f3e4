#!/usr/bin/env bash
# Queue scale: end-to-end delivery rate of N fresh messages (posted → signed → relayed to
# smtp-sink) on an empty queue, then again after 1,000,000 deferred delivery rows (next attempt a
# day away) were inserted with generate_series. Target: within 10% of the empty-queue rate.
# Measured warm, as bench/e2e.sh: WARM messages (default 10,000) go through first.
# Usage: bench/queue-scale.sh [--smoke]   env: N (default 3000), ROWS (default 1000000), WARM (default 10000)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
N="${N:-3000}"; ROWS="${ROWS:-1000000}"; WARM="${WARM:-10000}"
[[ "${1:-}" == "--smoke" ]] && { N=100; ROWS=10000; WARM=100; }

start_pg
start_sink
start_app POSTWIRE_DELIVERY_ENABLED=true
create_domain
WARM=$(( (WARM + 99) / 100 * 100 ))
log "warm-up: $WARM messages"
postwire_deliver "$WARM" 600 >/dev/null
read -r EMPTY_RATE EMPTY_MS _ < <(postwire_deliver "$N" 900)
[[ -n "${EMPTY_RATE:-}" ]] || { log "Postwire did not deliver all $N messages"; exit 1; }
echo "RESULT queue empty: $N messages in $EMPTY_MS ms = $EMPTY_RATE msg/s, load $(load_avg)"

log "inserting $ROWS deferred delivery rows"
t0="$(now_ms)"
psql_app <<SQL
insert into message (id, domain, mail_from, from_header, subject, message_id, content, size_bytes, expires_at)
values ('00000000-0000-0000-0000-00000000beef', 'bench.test', 'bench@bench.test', 'bench@bench.test',
        'parked', '<parked@bench.test>', convert_to('Subject: parked', 'UTF8'), 15, now() + interval '5 days');
insert into delivery (message_id, recipient, recipient_domain, status, attempts, next_attempt_at)
select '00000000-0000-0000-0000-00000000beef', 'r' || g || '@parked.test', 'parked.test', 'deferred', 1,
       now() + interval '1 day'
from generate_series(1, $ROWS) g;
analyze delivery;
SQL
log "inserted in $(( $(now_ms) - t0 )) ms; delivery rows: $(psql_app -c 'select count(*) from delivery')"
read -r FULL_RATE FULL_MS _ < <(postwire_deliver "$N" 900)
[[ -n "${FULL_RATE:-}" ]] || { log "Postwire did not deliver all $N messages"; exit 1; }
echo "RESULT queue with $ROWS deferred rows: $N messages in $FULL_MS ms = $FULL_RATE msg/s, load $(load_avg)"
awk -v a="$FULL_RATE" -v b="$EMPTY_RATE" 'BEGIN { printf "RESULT queue scale ratio = %.2f (target >= 0.90)\n", a / b }'
