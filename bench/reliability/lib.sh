# Shared helpers for the reliability scripts: loopback only, every wait bounded.
# Needs: a JDK, curl, psql, PostgreSQL 15 (pg_createcluster / pg_ctlcluster; a cluster "reliability" on port 54329), Postfix's smtp-sink.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-/tmp/postwire-reliability}
DB=${PW_DB:-postwire_rel}
DB_USER=${PW_DB_USER:-postwire_rel}
DB_PASS=${PW_DB_PASS:-postwire_rel}
# a cluster of our own, so stopping it (db-outage.sh) disturbs nobody else's database
PG_CLUSTER=${PG_CLUSTER:-reliability}
PG_PORT=${PG_PORT:-54329}
SINK_PORT=${SINK_PORT:-2525}
ADMIN_KEY=pw_reliability_admin_key_0123456789
MASTER_KEY=cG9zdHdpcmUtZGV2LW1hc3Rlci1rZXktMzItYnl0ZXM=
PIDS=()

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

cleanup() {
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  # the cluster is the scripts' own: stop it so nothing is left running
  if [ -n "${PG_STARTED:-}" ]; then
    pg_ctlcluster --skip-systemctl-redirect 15 "$PG_CLUSTER" stop -m fast 2>/dev/null || true
  fi
}
trap cleanup EXIT

pg() { su postgres -c "psql -qAt -p $PG_PORT $*"; }

fresh_database() {
  if ! pg_lsclusters -h | awk '{print $2}' | grep -qx "$PG_CLUSTER"; then
    pg_createcluster -p "$PG_PORT" 15 "$PG_CLUSTER" >/dev/null
  fi
  pg_ctlcluster --skip-systemctl-redirect 15 "$PG_CLUSTER" start 2>/dev/null || true
  PG_STARTED=1
  for _ in $(seq 1 30); do pg -c "'select 1'" >/dev/null 2>&1 && break; sleep 1; done
  pg -c "\"drop database if exists $DB\""
  pg -c "\"do \\\$\\\$ begin if not exists (select from pg_roles where rolname='$DB_USER') then create role $DB_USER login password '$DB_PASS'; end if; end \\\$\\\$\""
  pg -c "\"create database $DB owner $DB_USER\""
}

sql() { PGPASSWORD=$DB_PASS psql -qAt -h 127.0.0.1 -p "$PG_PORT" -U "$DB_USER" "$DB" -c "$1"; }

package() {
  if [ ! -f "$ROOT/target/quarkus-app/quarkus-run.jar" ] || [ -n "${REBUILD:-}" ]; then
    (cd "$ROOT" && ./mvnw -q -B package -DskipTests)
  fi
}

# start_sink <dump dir> [delay before answering DATA, seconds]
start_sink() {
  rm -rf "$1" && mkdir -p "$1" && chown postfix "$1"
  local delay=()
  # smtp-sink refuses -w 0
  [ "${2:-0}" != 0 ] && delay=(-w "$2")
  smtp-sink -u postfix -d "$1/%Y%m%d%H/%M." "${delay[@]}" -m 500 "127.0.0.1:$SINK_PORT" 1000 &
  PIDS+=($!)
  SINK_PID=$!
  sleep 0.5
  kill -0 "$SINK_PID" 2>/dev/null || { log "smtp-sink did not start"; return 1; }
}

# The management port (health, metrics) of the service whose HTTP port is $1: the packaged (prod)
# service serves /q/health there, not on its HTTP port.
mgmt_port() { echo $(($1 + 1000)); }

# start_service <http port> <log file> [extra env...]: sets SERVICE_PID (JVM_OPTS: JVM flags, default -Xmx512m)
start_service() {
  local port=$1 logfile=$2
  shift 2
  env PORT="$port" QUARKUS_HTTP_HOST=127.0.0.1 \
    QUARKUS_MANAGEMENT_PORT="$(mgmt_port "$port")" QUARKUS_MANAGEMENT_HOST=127.0.0.1 \
    QUARKUS_DATASOURCE_REACTIVE_URL="postgresql://127.0.0.1:$PG_PORT/$DB" \
    QUARKUS_DATASOURCE_USERNAME="$DB_USER" QUARKUS_DATASOURCE_PASSWORD="$DB_PASS" \
    POSTWIRE_API_BOOTSTRAP_KEY="$ADMIN_KEY" POSTWIRE_DKIM_MASTER_KEY="$MASTER_KEY" \
    POSTWIRE_DELIVERY_MODE=relay POSTWIRE_RELAY_HOST=127.0.0.1 POSTWIRE_RELAY_PORT="$SINK_PORT" \
    POSTWIRE_RELAY_STARTTLS=disabled POSTWIRE_DELIVERY_EHLO_NAME=postwire.test \
    POSTWIRE_DNS_SERVERS=127.0.0.1:5353 POSTWIRE_AUDIT_INTERVAL=24h \
    POSTWIRE_EGRESS_ALLOW=127.0.0.0/8,::1/128 \
    POSTWIRE_DELIVERY_LEASE="${LEASE:-5s}" POSTWIRE_DELIVERY_POLL_INTERVAL=1s \
    POSTWIRE_DELIVERY_CONCURRENCY="${CONCURRENCY:-32}" \
    "$@" java ${JVM_OPTS:--Xmx512m} -jar "$ROOT/target/quarkus-app/quarkus-run.jar" >"$logfile" 2>&1 &
  SERVICE_PID=$!
  PIDS+=($SERVICE_PID)
  for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$(mgmt_port "$port")/q/health/ready" >/dev/null 2>&1 && return 0
    kill -0 "$SERVICE_PID" 2>/dev/null || { tail -30 "$logfile" >&2; return 1; }
    sleep 0.5
  done
  log "service on $port not ready in 60 s"; tail -30 "$logfile" >&2; return 1
}

register_domain() {
  curl -fs -o /dev/null -H "Authorization: Bearer $ADMIN_KEY" -H 'Content-Type: application/json' \
    -d "{\"name\":\"$2\"}" "http://127.0.0.1:$1/v1/domains"
}

# message_bodies <dir> <count> <domain> <prefix>: writes <dir>/<prefix>-<i>.json, i = 1..count, the
# POST /v1/messages bodies of realistic messages (bench/LoadClient.java json mode: multi-line text
# with an html alternative, non-ASCII in one in three, a 20-100 KB PDF in one in five) from
# a@<domain> to r<i>@example.org, subject "<prefix>-<i> ..." (what sink_counts looks for)
message_bodies() {
  rm -rf "$1"
  java -XX:+UseSerialGC -Xmx256m "$ROOT/bench/LoadClient.java" json "$1" "$2" "$3" "$4" >&2
}

# post_messages <ports (space separated)> <domain> <count> <prefix> <parallelism>: prints 202 count
post_messages() {
  local ports=($1) domain=$2 count=$3 prefix=$4 par=${5:-8} bodies="$WORK/$4-bodies"
  message_bodies "$bodies" "$count" "$domain" "$prefix"
  seq 1 "$count" | xargs -P "$par" -I{} sh -c '
    ports="$1"; set -- $ports; n=$#; i={}; idx=$(( i % n + 1 )); eval port=\${$idx}
    curl -s -o /dev/null -w "%{http_code}\n" --max-time 10 -H "Authorization: Bearer '"$ADMIN_KEY"'" \
      -H "Content-Type: application/json" --data-binary @"'"$bodies/$prefix"'-{}.json" \
      "http://127.0.0.1:$port/v1/messages"' _ "${ports[*]}" | sort | uniq -c
  rm -rf "$bodies"
}

# sink_counts <dump dir> <prefix>: "<unique subjects> <total messages>"
sink_counts() {
  local subjects
  subjects=$(grep -rhoa "^Subject: $2-[0-9]*" "$1" 2>/dev/null || true)
  echo "$(printf '%s\n' "$subjects" | grep -c . | tr -d ' ') $(printf '%s\n' "$subjects" | sort -u | grep -c .)" |
    awk '{print $2, $1}'
}
