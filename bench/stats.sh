#!/usr/bin/env bash
# Statistics at scale: GET /v1/stats answer time with few events, then after 1,000,000 more were
# inserted (generate_series) and folded into the rollups. The rollup rows grow with hours x
# providers x recipient domains x tags, not with events, so the answer time should not grow.
# Everything runs on loopback: a private PostgreSQL, the packaged service, curl.
#
# The events: ROWS events of one sending domain (bench.test) over the last 24 hours, across 1,000
# messages (tags none, a, b or a+b), 50 recipient domains whose providers are put in the provider
# table first (no DNS is asked), types in about the proportions of real traffic (queued,
# delivered, some deferred, bounced, opened, clicked, complained). They are inserted with their seq,
# as the sequencer would give it. Each measurement is the median of REPEAT requests per query.
# Usage: bench/stats.sh [--smoke]   env: ROWS (default 1000000), FEW (default 10000), REPEAT (default 30)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ROWS="${ROWS:-1000000}"; FEW="${FEW:-10000}"; REPEAT="${REPEAT:-30}"
[[ "${1:-}" == "--smoke" ]] && { ROWS=20000; FEW=1000; REPEAT=5; }

start_pg
start_app POSTWIRE_DELIVERY_ENABLED=false
create_domain

# $1 events inserted with seqs after the current ones.
insert_events() {
  psql_app <<SQL
insert into event (message_id, recipient, type, at, detail, seq)
select ('00000000-0000-0000-0000-' || lpad(to_hex(g % 1000), 12, '0'))::uuid,
       'r' || (g % 5000) || '@rd' || (g % 50) || '.bench.test',
       case when g % 100 < 40 then 'queued' when g % 100 < 75 then 'delivered'
            when g % 100 < 80 then 'deferred' when g % 100 < 83 then 'bounced'
            when g % 100 < 95 then 'opened' when g % 100 < 99 then 'clicked' else 'complained' end,
       now() - (g % 24) * interval '1 hour' - interval '1 minute',
       case when g % 100 between 80 and 81 then '{"bounceCategory":"invalid_recipient"}'::jsonb
            when g % 100 between 83 and 85 then '{"machine":true}'::jsonb else '{}'::jsonb end,
       nextval('event_seq')
from generate_series(1, $1) g;
SQL
}

log "seeding 1,000 messages and 50 recipient domains' providers"
psql_app <<'SQL'
insert into message (id, domain, domain_id, mail_from, from_header, subject, message_id, content,
                     size_bytes, expires_at, tags)
select ('00000000-0000-0000-0000-' || lpad(to_hex(g), 12, '0'))::uuid, 'bench.test',
       (select id from domain where name = 'bench.test'), 'b@bench.test', 'b@bench.test', 's',
       '<' || g || '@bench.test>', null, 1, now() + interval '5 days',
       case g % 4 when 0 then '{}'::text[] when 1 then '{a}' when 2 then '{b}' else '{a,b}' end
from generate_series(0, 999) g;
insert into recipient_provider (domain, provider)
select 'rd' || g || '.bench.test',
       (array['gmail','microsoft','yahoo','apple','other'])[1 + g % 5]
from generate_series(0, 49) g;
SQL

# Waits until the rollups have folded every event; prints the ms it took.
wait_folded() {
  local t0 target
  t0="$(now_ms)"
  target="$(psql_app -c 'select coalesce(max(seq), 0) from event')"
  for _ in $(seq 6000); do
    [[ "$(psql_app -c 'select seq from stats_cursor')" -ge "$target" ]] && { echo $(( $(now_ms) - t0 )); return 0; }
    sleep 0.1
  done
  log "the rollups did not catch up within 600 s"; return 1
}

# Median ms of REPEAT requests of GET /v1/stats?$1.
median_ms() {
  local i
  for ((i = 0; i < REPEAT; i++)); do
    curl -fsS -o /dev/null -w '%{time_total}\n' "$APP_URL/v1/stats?$1" \
      -H "Authorization: Bearer $BENCH_KEY"
  done | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] * 1000 }'
}

QUERIES=("domain=bench.test" "domain=bench.test&groupBy=provider" "domain=bench.test&groupBy=recipientDomain"
         "domain=bench.test&groupBy=tag" "domain=bench.test&interval=day&groupBy=provider" "interval=day")
measure() { # measure LABEL
  local q line="RESULT stats $1:"
  for q in "${QUERIES[@]}"; do line+=" [$q] $(median_ms "$q") ms;"; done
  echo "$line rollup rows $(psql_app -c 'select count(*) from stats_hour'), load $(load_avg)"
}

insert_events "$FEW"
log "folded $FEW events in $(wait_folded) ms"
median_ms "domain=bench.test" >/dev/null # warm-up
measure "after $FEW events"

t0="$(now_ms)"
insert_events "$ROWS"
log "inserted $ROWS events in $(( $(now_ms) - t0 )) ms"
FOLD_MS="$(wait_folded)"
echo "RESULT stats fold: $ROWS events in $FOLD_MS ms = $(( ROWS * 1000 / (FOLD_MS + 1) )) events/s"
log "stats_hour: $(psql_app -c "select n_live_tup || ' live, ' || n_dead_tup || ' dead tuples' from pg_stat_user_tables where relname = 'stats_hour'")"
measure "after $FEW + $ROWS events"
psql_app -c 'vacuum analyze stats_hour' >/dev/null
measure "after $FEW + $ROWS events, stats_hour vacuumed"
echo "RESULT stats totals: $(curl -fsS "$APP_URL/v1/stats?interval=day&domain=bench.test" -H "Authorization: Bearer $BENCH_KEY" | head -c 400)"
