#!/usr/bin/env bash
# kill -9 during a stream of SMTP submissions, restart, check: every message answered
# "250 2.0.0 queued as <id>" is delivered, or in the database with its delivery still to come
# (deferred with backoff: reported as pending; none lost), and no message the client got no 250 for is
# counted as accepted. A message committed whose 250 was lost in the crash (the client sent it all,
# the connection broke before the answer) is allowed, at most one per session, and reported.
# The stream (submission_stream.py: Python's smtplib, STARTTLS, AUTH PLAIN with the admin key,
# SESSIONS sessions that reconnect through the restart) is bounded in count and time.
# Usage: bench/reliability/submission-crash.sh [messages=1000]   (CI: submission-crash.sh 200)
#   env: SESSIONS (default 4)
source "$(dirname "$0")/lib.sh"
export LC_ALL=C # one sort order for sort, comm and join
N=${1:-1000}
SESSIONS=${SESSIONS:-4}
HTTP=18182
SUBMISSION=18587
STREAM_SECONDS=$((120 + N / 5))
mkdir -p "$WORK"
package
fresh_database
start_sink "$WORK/subcrash-sink" 1 # 1 s before answering DATA: deliveries stay in flight
TLS="$WORK/subcrash-tls"
rm -rf "$TLS" && mkdir -p "$TLS"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -keyout "$TLS/key.pem" -out "$TLS/cert.pem" 2>/dev/null
SUBMISSION_ENV=(POSTWIRE_SUBMISSION_HOST=127.0.0.1 POSTWIRE_SUBMISSION_PORT=$SUBMISSION POSTWIRE_SUBMISSION_TLS_CERT="$TLS/cert.pem"
  POSTWIRE_SUBMISSION_TLS_KEY="$TLS/key.pem")
start_service $HTTP "$WORK/subcrash-1.log" "${SUBMISSION_ENV[@]}"
DOMAIN=subcrash.example.com
register_domain $HTTP $DOMAIN
RESULTS="$WORK/subcrash-results.txt"
rm -f "$RESULTS" && touch "$RESULTS"
t0=$(date +%s)
log "streaming $N messages over $SESSIONS sessions (at most $STREAM_SECONDS s)"
/usr/bin/python3 "$ROOT/bench/reliability/submission_stream.py" $SUBMISSION "$TLS/cert.pem" \
  "$ADMIN_KEY" $DOMAIN subcrash "$N" "$SESSIONS" "$STREAM_SECONDS" "$RESULTS" &
STREAM_PID=$!
PIDS+=($STREAM_PID)
# kill when about a third has been answered 250 (bounded wait)
for _ in $(seq 1 600); do
  [ "$(awk '$2==250' "$RESULTS" | wc -l)" -ge $((N / 3)) ] && break
  kill -0 $STREAM_PID 2>/dev/null || break
  sleep 0.1
done
AT_KILL=$(awk '$2==250' "$RESULTS" | wc -l)
log "kill -9 after $AT_KILL answered 250"
kill -9 "$SERVICE_PID"; wait "$SERVICE_PID" 2>/dev/null || true
start_service $HTTP "$WORK/subcrash-2.log" "${SUBMISSION_ENV[@]}"
AT_RESTART=$(wc -l <"$RESULTS")
# the stream reconnects and finishes (bounded by its own time limit)
for _ in $(seq 1 $((STREAM_SECONDS * 2 + 120))); do kill -0 $STREAM_PID 2>/dev/null || break; sleep 0.5; done
kill $STREAM_PID 2>/dev/null || true
wait $STREAM_PID 2>/dev/null || true

awk '$2==250 {print $1}' "$RESULTS" | sort -u >"$WORK/subcrash-acked.txt"
ACKED=$(wc -l <"$WORK/subcrash-acked.txt")
sink_indices() { grep -rhoa '^Subject: subcrash-[0-9]*' "$WORK/subcrash-sink" 2>/dev/null | sed 's/.*-//' | sort -u || true; }
# wait until every acknowledged message is at the sink, or nothing is due within a minute (a
# delivery deferred with backoff stays pending, reported below)
for _ in $(seq 1 $((N + 300))); do
  [ "$(comm -23 "$WORK/subcrash-acked.txt" <(sink_indices) | wc -l)" -eq 0 ] && break
  [ "$(sql "select count(*) from delivery where status in ('queued','deferred') and (lease_owner is not null or next_attempt_at is null or next_attempt_at < now() + interval '60 seconds')")" -eq 0 ] && break
  sleep 0.5
done
sleep 3
read -r uniq total < <(sink_counts "$WORK/subcrash-sink" subcrash)
comm -23 "$WORK/subcrash-acked.txt" <(sink_indices) >"$WORK/subcrash-missing.txt"
# not at the sink yet, but in the database with its delivery still to come: pending, not lost
sql "select substring(m.subject from '^subcrash-([0-9]+) ') from message m join delivery d on d.message_id = m.id
     where m.subject like 'subcrash-%' and d.status in ('queued','deferred')" | sort -u >"$WORK/subcrash-pending.txt"
PENDING=$(comm -12 "$WORK/subcrash-missing.txt" "$WORK/subcrash-pending.txt" | wc -l)
LOST=$(comm -23 "$WORK/subcrash-missing.txt" "$WORK/subcrash-pending.txt" | wc -l)
# what the database holds: subject index and id of each message
sql "select substring(subject from '^subcrash-([0-9]+) '), id from message where subject like 'subcrash-%'" |
  tr '|' ' ' | sort -k1,1 >"$WORK/subcrash-db.txt"
cut -d' ' -f1 "$WORK/subcrash-db.txt" | sort -u >"$WORK/subcrash-db-indices.txt"
# accepted without a 250 the client saw: allowed only where the answer was lost in the crash
comm -13 "$WORK/subcrash-acked.txt" "$WORK/subcrash-db-indices.txt" >"$WORK/subcrash-unacked.txt"
awk '$2=="broken" {print $1}' "$RESULTS" | sort -u >"$WORK/subcrash-broken.txt"
REPLY_LOST=$(comm -12 "$WORK/subcrash-unacked.txt" "$WORK/subcrash-broken.txt" | wc -l)
WRONGLY_ACCEPTED=$(comm -23 "$WORK/subcrash-unacked.txt" "$WORK/subcrash-broken.txt" | wc -l)
# every 250 names the message the database holds for it
ID_MISMATCH=$(join <(awk '$2==250 {print $1, $3}' "$RESULTS" | sort -k1,1) "$WORK/subcrash-db.txt" |
  awk '$2 != $3' | wc -l)
ACKED_NOT_IN_DB=$(comm -23 "$WORK/subcrash-acked.txt" "$WORK/subcrash-db-indices.txt" | wc -l)
REFUSED=$(awk '$2 ~ /^[45][0-9][0-9]$/' "$RESULTS" | wc -l)
BROKEN=$(wc -l <"$WORK/subcrash-broken.txt")
UNSENT=$(awk '$2=="unsent"' "$RESULTS" | wc -l)
ACKED_AFTER_RESTART=$(tail -n +$((AT_RESTART + 1)) "$RESULTS" | awk '$2==250' | wc -l)
DB_DELIVERED=$(sql "select count(*) from delivery where status='delivered'")
echo "submission-crash: messages=$N acked_250=$ACKED acked_at_kill=$AT_KILL acked_after_restart=$ACKED_AFTER_RESTART delivered_unique=$uniq pending=$PENDING lost=$LOST duplicates=$((total - uniq)) refused=$REFUSED reply_lost_in_crash=$BROKEN committed_without_250=$REPLY_LOST accepted_without_250_and_not_in_flight=$WRONGLY_ACCEPTED acked_not_in_db=$ACKED_NOT_IN_DB id_mismatch=$ID_MISMATCH unsent=$UNSENT db_delivered=$DB_DELIVERED sessions=$SESSIONS seconds=$(( $(date +%s) - t0 ))"
if [ "$PENDING" -gt 0 ]; then
  log "acknowledged, in the database, delivery still to come (deferred):"
  sql "select substring(m.subject from '^subcrash-([0-9]+) '), d.status, d.next_attempt_at, d.last_text
       from message m join delivery d on d.message_id = m.id
       where m.subject like 'subcrash-%' and d.status in ('queued','deferred')" >&2
fi
if [ "$REPLY_LOST" -gt 0 ]; then
  log "committed, but the 250 was lost in the crash (the client cannot know): message(s) $(comm -12 "$WORK/subcrash-unacked.txt" "$WORK/subcrash-broken.txt" | tr '\n' ' ')"
fi
[ "$LOST" -eq 0 ] && [ "$ACKED_NOT_IN_DB" -eq 0 ] && [ "$ID_MISMATCH" -eq 0 ] &&
  [ "$WRONGLY_ACCEPTED" -eq 0 ] && [ "$REPLY_LOST" -le "$SESSIONS" ] && [ "$ACKED_AFTER_RESTART" -gt 0 ] &&
  [ $((total - uniq)) -le "${CONCURRENCY:-32}" ]
