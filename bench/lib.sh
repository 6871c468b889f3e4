# Shared helpers for the bench/*.sh scripts (sourced, not run). Everything listens on loopback;
# every process started here is a child whose pid is recorded and stopped by bench_cleanup.
#
# Environment knobs (all optional):
#   BENCH_DIR      scratch directory (default: a fresh mktemp dir, removed at exit)
#   BENCH_JAR      the packaged service (default: target/quarkus-app/quarkus-run.jar, built if absent)
#   BENCH_JAVA     java binary for the service (default: java on PATH)
#   BENCH_JVM_OPTS_THROUGHPUT  the README's flags for a replica sized for throughput (bench/e2e.sh)
#   BENCH_JVM_OPTS JVM flags for the service (default: the README's recommended flags; the service also
#                  gets the README's MALLOC_ARENA_MAX=2 unless BENCH_MALLOC_ARENA_MAX says otherwise; empty = glibc's default)
#   PG_BIN         PostgreSQL server binaries (default: /usr/lib/postgresql/15/bin)
#   BENCH_PG_OPTS  extra postgres -c options, e.g. "-c synchronous_commit=off" (default: none)
#   BENCH_PG_STATEMENTS  1 = load pg_stat_statements; the scripts that support it print the
#                  statements of each measured run by total time (pg_statements_reset/_top)
#   BENCH_APP_ENV  extra NAME=VALUE settings for the service, e.g. POSTWIRE_DELIVERY_POLL_INTERVAL=50ms
#   BENCH_DEST_CONCURRENCY  concurrent SMTP deliveries to the sink, the same for Postwire and Postfix
#                  (default 10: Postwire's postwire.delivery.shaping.default.max-connections)
#   BENCH_MAIL     small = the load client's earlier 1 KB one-line messages (default: realistic mail,
#                  see bench/LoadClient.java)

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
BENCH_JAR="${BENCH_JAR:-$BENCH_ROOT/target/quarkus-app/quarkus-run.jar}"
BENCH_JAVA="${BENCH_JAVA:-java}"
BENCH_JVM_OPTS="${BENCH_JVM_OPTS:--XX:+UseSerialGC -Xms64m -Xmx256m -XX:MinHeapFreeRatio=30 -XX:MaxHeapFreeRatio=50 -XX:TrimNativeHeapInterval=5000 -XX:+ExitOnOutOfMemoryError}"
# The README's flags for a replica sized for throughput ("JVM settings"): a fixed heap with a large
# young generation, so the collector has no old generation to clean at every turn.
BENCH_JVM_OPTS_THROUGHPUT="${BENCH_JVM_OPTS_THROUGHPUT:--XX:+UseSerialGC -Xms256m -Xmx256m -Xmn96m -XX:TrimNativeHeapInterval=5000 -XX:+ExitOnOutOfMemoryError}"
BENCH_KEY="pw_bench_bootstrap_key_0123456789"
BENCH_MALLOC_ARENA_MAX="${BENCH_MALLOC_ARENA_MAX-2}" # the README's; empty = glibc's default
BENCH_PIDS=()
# Concurrent deliveries to the sink, one number for both sides. Postwire runs up to
# postwire.delivery.concurrency (64) transactions, but towards one host (the relay, here the sink) it
# opens at most postwire.delivery.shaping.default.max-connections (10) connections, one transaction
# each; the rest wait for a connection. So its concurrency towards the sink is 10: start_app passes
# it explicitly and start_postfix gives Postfix's smtp client the same destination concurrency.
BENCH_DEST_CONCURRENCY="${BENCH_DEST_CONCURRENCY:-10}"
# One master key per run: every start of the service must open the DKIM keys sealed by the first.
BENCH_MASTER_KEY="${BENCH_MASTER_KEY:-$(openssl rand -base64 32)}"

if [[ -z "${BENCH_DIR:-}" ]]; then
  BENCH_DIR="$(mktemp -d /tmp/postwire-bench.XXXXXX)"
  BENCH_DIR_OWNED=1
fi
chmod 755 "$BENCH_DIR"

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
load_avg() { cut -d' ' -f1-3 /proc/loadavg; }
now_ms() { date +%s%3N; }

# A free TCP port on 127.0.0.1 (asks the kernel, then releases it).
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

bench_cleanup() {
  local pid
  for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do
    pid="${BENCH_PIDS[$i]}"
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${BENCH_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  BENCH_PIDS=()
  if [[ -n "${PG_DATA:-}" && -f "$PG_DATA/postmaster.pid" ]]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [[ -n "${POSTFIX_CONF:-}" && -f "$POSTFIX_CONF/main.cf" ]]; then
    postfix -c "$POSTFIX_CONF" stop >/dev/null 2>&1 || true
  fi
  if [[ -n "${BENCH_DIR_OWNED:-}" && -z "${BENCH_KEEP:-}" ]]; then rm -rf "$BENCH_DIR"; fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

ensure_jar() {
  if [[ ! -f "$BENCH_JAR" ]]; then
    log "building the service (./mvnw package -DskipTests)"
    (cd "$BENCH_ROOT" && ./mvnw -q -B package -DskipTests)
  fi
}

# A private PostgreSQL 15 cluster in $BENCH_DIR/pg on a free loopback port, owned by the
# postgres OS user (initdb refuses root), with database/role postwire/postwire.
start_pg() {
  PG_DATA="$BENCH_DIR/pg"
  PG_PORT="$(free_port)"
  mkdir -p "$PG_DATA" && chown postgres "$PG_DATA"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust >/dev/null
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 60 \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PG_DATA -c max_connections=100 -c shared_buffers=256MB -c max_wal_size=4GB ${BENCH_PG_STATEMENTS:+-c shared_preload_libraries=pg_stat_statements} ${BENCH_PG_OPTS:-}" \
    start >/dev/null
  if [[ -n "${BENCH_PG_STATEMENTS:-}" ]]; then
    psql_admin -d template1 -c "create extension pg_stat_statements" >/dev/null
    psql_admin -c "alter system set pg_stat_statements.track_planning = on" -c "select pg_reload_conf()" >/dev/null
  fi
  psql_admin -c "create role postwire login password 'postwire'" >/dev/null
  psql_admin -c "create database postwire owner postwire" >/dev/null
  log "PostgreSQL 15 on 127.0.0.1:$PG_PORT (data $PG_DATA)"
}
# With BENCH_PG_STATEMENTS: forget the statistics so far / print the top $1 (default 15) statements
# since, by total execution time, per message when $2 (messages) is given.
pg_statements_reset() {
  [[ -n "${BENCH_PG_STATEMENTS:-}" ]] || return 0
  psql_admin -d postwire -c "select pg_stat_statements_reset()" >/dev/null
}
pg_statements_top() {
  [[ -n "${BENCH_PG_STATEMENTS:-}" ]] || return 0
  local per="${2:-1}"
  psql_admin -d postwire -P pager=off -c "select calls, round(total_exec_time::numeric, 0) as total_ms,
    round((total_exec_time * 1000 / $per)::numeric, 0) as us_per_msg,
    round((total_plan_time * 1000 / $per)::numeric, 0) as plan_us_per_msg, rows,
    round((wal_bytes / $per)::numeric, 0) as wal_b_per_msg,
    left(regexp_replace(query, '\s+', ' ', 'g'), 110) as query
    from pg_stat_statements where dbid = (select oid from pg_database where datname = 'postwire')
    order by total_exec_time desc limit ${1:-15}"
}
# A settled database before a measured run, as one benchmarks PostgreSQL: the warm-up wrote tens of
# thousands of rows in a minute, faster than autovacuum (one look a minute) analyzes them, so the
# planner would plan the measured statements with the statistics of near-empty tables, and the
# vacuum and checkpoint those rows are due would land in the middle of the run.
settle() { psql_admin -d postwire -c 'vacuum analyze' >/dev/null; psql_admin -c 'checkpoint' >/dev/null; }
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres "$@"; }
psql_app() { PGPASSWORD=postwire psql -X -q -t -A -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postwire -d postwire "$@"; }

# smtp-sink on a free loopback port; its -c counters go to $SINK_OUT ("sess=N quit=N mesg=N\r").
start_sink() {
  SINK_PORT="$(free_port)"
  SINK_OUT="$BENCH_DIR/sink.$SINK_PORT.out"
  SINK_DUMP="$BENCH_DIR/sink.$SINK_PORT.dump"
  # -D: every message appended to one file, so signatures can be counted afterwards
  /usr/sbin/smtp-sink -c -u root -D "$SINK_DUMP" "127.0.0.1:$SINK_PORT" 1000 >"$SINK_OUT" 2>&1 &
  BENCH_PIDS+=($!)
  SINK_PID=$!
  for _ in $(seq 50); do (echo >"/dev/tcp/127.0.0.1/$SINK_PORT") 2>/dev/null && break; sleep 0.1; done
  log "smtp-sink on 127.0.0.1:$SINK_PORT"
}
sink_signed() { grep -c '^DKIM-Signature:' "$SINK_DUMP" 2>/dev/null || true; }
sink_count() {
  local last
  # the counters are rewritten in place ("\r"): the file grows with every message, so only its end
  # is read (the whole of it cost a few % of the machine's CPU while a run drained)
  last="$(tail -c 256 "$SINK_OUT" | tr '\r' '\n' | grep -o 'mesg=[0-9]*' | tail -1)"
  echo "${last#mesg=}" | sed 's/^$/0/'
}
# Waits until the sink has counted $1 messages (at most $2 seconds); prints the ms timestamp.
wait_sink() {
  local want="$1" deadline=$(($(date +%s) + $2)) n
  while :; do
    n="$(sink_count)"
    if ((n >= want)); then now_ms; return 0; fi
    if (($(date +%s) > deadline)); then log "sink counted only $n of $want"; return 1; fi
    sleep 0.05
  done
}

# Starts the packaged service; extra NAME=VALUE arguments are added to its environment.
# Sets APP_PORT, APP_URL, APP_PID, APP_READY_MS (ms from exec to /q/health/ready = 200), and
# MGMT_URL: the packaged (prod) service serves health and metrics on its management port.
start_app() {
  ensure_jar
  APP_PORT="$(free_port)"
  APP_URL="http://127.0.0.1:$APP_PORT"
  MGMT_PORT="$(free_port)"
  MGMT_URL="http://127.0.0.1:$MGMT_PORT"
  local t0
  t0="$(now_ms)"
  env PORT="$APP_PORT" QUARKUS_HTTP_HOST=127.0.0.1 \
    QUARKUS_MANAGEMENT_PORT="$MGMT_PORT" QUARKUS_MANAGEMENT_HOST=127.0.0.1 ${BENCH_MALLOC_ARENA_MAX:+MALLOC_ARENA_MAX=$BENCH_MALLOC_ARENA_MAX} \
    QUARKUS_DATASOURCE_REACTIVE_URL="postgresql://127.0.0.1:$PG_PORT/postwire" \
    QUARKUS_DATASOURCE_USERNAME=postwire QUARKUS_DATASOURCE_PASSWORD=postwire \
    POSTWIRE_API_BOOTSTRAP_KEY="$BENCH_KEY" \
    POSTWIRE_DKIM_MASTER_KEY="$BENCH_MASTER_KEY" \
    POSTWIRE_DELIVERY_MODE=relay POSTWIRE_RELAY_HOST=127.0.0.1 POSTWIRE_RELAY_PORT="${SINK_PORT:-1}" \
    POSTWIRE_RELAY_STARTTLS=disabled POSTWIRE_DELIVERY_EHLO_NAME=bench.test \
    POSTWIRE_DELIVERY_SHAPING_DEFAULT_MAX_CONNECTIONS="$BENCH_DEST_CONCURRENCY" \
    POSTWIRE_DNS_SERVERS=127.0.0.1:5353 POSTWIRE_AUDIT_INTERVAL=24h \
    POSTWIRE_EGRESS_ALLOW=127.0.0.0/8,::1/128 \
    QUARKUS_LOG_LEVEL="${BENCH_LOG_LEVEL:-WARN}" \
    ${BENCH_APP_ENV:-} "$@" \
    "$BENCH_JAVA" $BENCH_JVM_OPTS ${BENCH_EXTRA_JVM_OPTS:-} -jar "$BENCH_JAR" \
    >"$BENCH_DIR/app.$APP_PORT.log" 2>&1 &
  APP_PID=$!
  BENCH_PIDS+=($APP_PID)
  for _ in $(seq 1200); do
    if curl -fs -o /dev/null "$MGMT_URL/q/health/ready"; then
      APP_READY_MS=$(($(now_ms) - t0))
      log "service ready on $APP_URL in $APP_READY_MS ms (pid $APP_PID)"
      return 0
    fi
    if ! kill -0 "$APP_PID" 2>/dev/null; then
      tail -30 "$BENCH_DIR/app.$APP_PORT.log" >&2
      log "service exited during start"
      return 1
    fi
    sleep 0.05
  done
  log "service not ready within 60 s"
  return 1
}
stop_app() { # stop_app [seconds to wait for a clean exit, default 10]
  kill "$APP_PID" 2>/dev/null || true
  for _ in $(seq $((${1:-10} * 10))); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$APP_PID" 2>/dev/null || true
  wait "$APP_PID" 2>/dev/null || true
}
rss_mb() { awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$1/status"; }
# The service's collector so far: "<young count> <full count> <total ms>" (jstat; zeros without it).
gc_stat() {
  jstat -gcutil "$1" 2>/dev/null | awk 'NR == 2 { printf "%d %d %d\n", $(NF-6), $(NF-4), $NF * 1000 }' || echo "0 0 0"
}
peak_rss_mb() { awk '/VmHWM/ {printf "%d", $2/1024}' "/proc/$1/status"; }

api() { # api METHOD PATH [JSON]
  curl -fsS -X "$1" "$APP_URL$2" -H "Authorization: Bearer $BENCH_KEY" \
    -H 'Content-Type: application/json' ${3:+-d "$3"}
}
# Registers bench.test (RSA-2048 key, the default) so messages from it are DKIM-signed.
create_domain() {
  api POST /v1/domains '{"name":"bench.test"}' >/dev/null
}

# The load client (bench/LoadClient.java, single-file source launch, no dependencies): HTTP to
# Postwire, or (smtp mode) the same messages as MIME over SMTP to Postfix. BENCH_MAIL reaches it
# through the environment.
load_client() { java -XX:+UseSerialGC -Xmx256m "$BENCH_ROOT/bench/LoadClient.java" "$@"; }

# A private Postfix instance (config, queue and data under $BENCH_DIR/postfix-*), smtpd on a free
# loopback port, relayhost = the smtp-sink, no DNS, no chroot; the master runs in the foreground
# as our child (postfix start-fg). $1 = optional milter socket (OpenDKIM).
# Tuned as an operator tuning for throughput would: in_flow_delay = 0 (no pause of the smtpd
# processes when the queue manager falls behind), the sink gets $BENCH_DEST_CONCURRENCY concurrent
# deliveries from the start (Postwire's connections to it, see BENCH_DEST_CONCURRENCY) instead of
# the slow start from initial_destination_concurrency = 5, process limits well above the load
# (SOURCE_SESSIONS smtpd + as many cleanup + the smtp clients), and no per-client connection or rate
# limits for the load client (loopback is already exempt through $mynetworks; set to 0 to be plain).
start_postfix() {
  local milter="${1:-}"
  POSTFIX_CONF="$BENCH_DIR/postfix-etc"
  POSTFIX_PORT="$(free_port)"
  rm -rf "$POSTFIX_CONF" "$BENCH_DIR/postfix-queue" "$BENCH_DIR/postfix-data"
  mkdir -p "$POSTFIX_CONF" "$BENCH_DIR/postfix-data" "$BENCH_DIR/postfix-queue"
  chown postfix "$BENCH_DIR/postfix-data"
  cp /etc/postfix/dynamicmaps.cf "$POSTFIX_CONF/" 2>/dev/null || true
  cp -r /etc/postfix/dynamicmaps.cf.d "$POSTFIX_CONF/" 2>/dev/null || true
  cat >"$POSTFIX_CONF/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $BENCH_DIR/postfix-queue
data_directory = $BENCH_DIR/postfix-data
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.bench.test
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$SINK_PORT
disable_dns_lookups = yes
smtp_dns_support_level = disabled
smtp_tls_security_level = none
smtpd_tls_security_level = none
biff = no
maillog_file = $BENCH_DIR/postfix.log
maillog_file_prefixes = $BENCH_DIR
in_flow_delay = 0
default_destination_concurrency_limit = $BENCH_DEST_CONCURRENCY
smtp_destination_concurrency_limit = $BENCH_DEST_CONCURRENCY
initial_destination_concurrency = $BENCH_DEST_CONCURRENCY
default_process_limit = 200
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_milters = ${milter:+unix:$milter}
milter_default_action = tempfail
CF
  # Debian's master.cf with chroot off (the queue directory is not a prepared chroot) and smtpd
  # moved to 127.0.0.1:$POSTFIX_PORT; postlog added for maillog_file.
  awk -v port="$POSTFIX_PORT" '
    /^smtp[ \t]+inet/ { print "127.0.0.1:" port "  inet  n - n - - smtpd"; next }
    /^[a-z0-9]/ && NF >= 8 { $5 = "n"; print; next }
    { print }' /etc/postfix/master.cf >"$POSTFIX_CONF/master.cf"
  grep -q '^postlog' "$POSTFIX_CONF/master.cf" ||
    echo 'postlog   unix-dgram n  -       n       -       1       postlogd' >>"$POSTFIX_CONF/master.cf"
  script -qec "postfix -c $POSTFIX_CONF check" /dev/null || { log "postfix check failed"; return 1; }
  postfix -c "$POSTFIX_CONF" start-fg >"$BENCH_DIR/postfix-master.out" 2>&1 &
  POSTFIX_PID=$!
  BENCH_PIDS+=($POSTFIX_PID)
  for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$POSTFIX_PORT") 2>/dev/null && break; sleep 0.1; done
  log "Postfix on 127.0.0.1:$POSTFIX_PORT${milter:+ with milter $milter}"
}
stop_postfix() {
  postfix -c "$POSTFIX_CONF" stop >/dev/null 2>&1 || true
  for _ in $(seq 100); do kill -0 "$POSTFIX_PID" 2>/dev/null || break; sleep 0.1; done
  kill "$POSTFIX_PID" 2>/dev/null || true
  wait "$POSTFIX_PID" 2>/dev/null || true
}

# OpenDKIM in signing mode for bench.test (RSA-2048 key from opendkim-genkey), foreground child,
# milter on a unix socket $OPENDKIM_SOCK.
start_opendkim() {
  local dir="$BENCH_DIR/opendkim"
  mkdir -p "$dir"
  opendkim-genkey -b 2048 -d bench.test -s bench -D "$dir"
  OPENDKIM_SOCK="$dir/opendkim.sock"
  cat >"$dir/opendkim.conf" <<CF
Mode                    s
Domain                  bench.test
Selector                bench
KeyFile                 $dir/bench.private
Canonicalization        relaxed/relaxed
SignatureAlgorithm      rsa-sha256
Socket                  local:$OPENDKIM_SOCK
UMask                   000
Syslog                  no
Background              no
PidFile                 $dir/opendkim.pid
RequireSafeKeys         no
CF
  chown -R postfix "$dir"
  opendkim -f -x "$dir/opendkim.conf" -u postfix >"$dir/out.log" 2>&1 &
  BENCH_PIDS+=($!)
  OPENDKIM_PID=$!
  for _ in $(seq 100); do [[ -S "$OPENDKIM_SOCK" ]] && break; sleep 0.1; done
  [[ -S "$OPENDKIM_SOCK" ]] || { cat "$dir/out.log" >&2; log "opendkim did not start"; return 1; }
  log "OpenDKIM milter on $OPENDKIM_SOCK"
}

# Posts $1 messages (batches of 100, 2 requests in flight) to the running service and waits until
# the sink has counted them all (at most $2 s). Prints "<msg/s> <ms> <signed>"; the time runs from
# the first POST until the sink's count reaches the target.
postwire_deliver() {
  local n="$1" limit="${2:-600}" base signed0 first end out batch=100
  ((n % batch == 0)) || batch=1 # every request carries the same number of messages
  base="$(sink_count)"; signed0="$(sink_signed)"
  out="$(load_client count "$APP_URL" "$BENCH_KEY" "$batch" "$n" 2)"
  log "posted: $(echo "$out" | head -1)"
  first="$(echo "$out" | sed -nE 's/.*first_post_ms=([0-9]+).*/\1/p')"
  end="$(wait_sink $((base + n)) "$limit")"
  echo "$(( n * 1000 / (end - first) )) $(( end - first )) $(( $(sink_signed) - signed0 ))"
}

# CPU time (ms, user+system) used so far by a process, and by the PostgreSQL cluster (postmaster,
# its live children, and the children it has reaped). On a shared machine the wall-clock rate
# depends on what else runs; CPU per message does not, so the scripts print both.
proc_cpu_ms() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%d", ($12 + $13) * 1000 / hz }' "/proc/$1/stat" 2>/dev/null || echo 0
}
pg_cpu_ms() {
  local pm total=0 c
  pm="$(head -1 "$PG_DATA/postmaster.pid")"
  total="$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%d", ($12 + $13 + $14 + $15) * 1000 / hz }' "/proc/$pm/stat")"
  for c in $(pgrep -P "$pm"); do total=$((total + $(proc_cpu_ms "$c"))); done
  echo "$total"
}
# CPU ms of a process tree: the process (with the children it has reaped) and its live descendants.
tree_cpu_ms() {
  local total c
  total="$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%d", ($12 + $13 + $14 + $15) * 1000 / hz }' "/proc/$1/stat" 2>/dev/null || echo 0)"
  for c in $(pgrep -P "$1"); do total=$((total + $(tree_cpu_ms "$c"))); done
  echo "$total"
}
