#!/usr/bin/env bash
# Memory budgets under hostile input: the packaged service with the README's JVM flags (256 MB
# heap, exit on OutOfMemoryError) and MALLOC_ARENA_MAX=2, NSD on loopback as its DNS server,
# smtp-sink as every MX. Four attacks, one after the other, each reporting RSS (VmRSS) before and
# after, the peak so far (VmHWM), the answers, and whether the service is still alive:
#   1. raw header flood: POST /v1/messages/raw with 1.5 million "a:b" header lines (about 6 MB),
#      FLOODS times;
#   2. one message of about 10 MB (a 7 MB attachment) to 50 recipient domains, in MX mode: 50
#      transactions of the same signed bytes;
#   3. DNS flood: SPF checks (POST /v1/tools/spf) of NAMES random names under a wildcard that
#      answers an 8 KB TXT record each, against the byte-bounded DNS cache;
#   4. SPF macro expansion: a 122 KB local part (refused), then 200 checks of a record with
#      exists:%{l} eight times for a 64-octet local part.
# Usage: bench/reliability/budgets.sh [floods=5] [names=3000]
source "$(dirname "$0")/lib.sh"
FLOODS=${1:-5}
NAMES=${2:-3000}
HTTP=18290
DNS_PORT=${DNS_PORT:-15353}
README_JVM_FLAGS="-XX:+UseSerialGC -Xms64m -Xmx256m -XX:MinHeapFreeRatio=30 -XX:MaxHeapFreeRatio=50 -XX:TrimNativeHeapInterval=5000 -XX:+ExitOnOutOfMemoryError"
[ -x /usr/sbin/nsd ] || { log "/usr/sbin/nsd missing (apt-get install nsd)"; exit 1; }
mkdir -p "$WORK"
package
fresh_database

# ---- NSD: 50 recipient domains with an MX on 127.0.0.1, a wildcard of big TXT records, SPF ----
NSD_DIR="$WORK/nsd"
rm -rf "$NSD_DIR" && mkdir -p "$NSD_DIR"
soa() { printf '$TTL 300\n@ SOA ns.%s. hostmaster.%s. 1 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\n' "$1" "$1"; }
{
  soa budget.test
  echo "mx A 127.0.0.1"
  for i in $(seq 1 50); do echo "d$i MX 10 mx.budget.test."; done
  # 8 KB of TXT: 32 strings of 250 characters
  big=$(for _ in $(seq 1 32); do printf '"%s" ' "$(head -c 250 /dev/zero | tr '\0' 'x')"; done)
  echo "*.flood TXT $big"
  echo "macro TXT \"v=spf1 exists:%{l}.a.budget.test exists:%{l}.b.budget.test exists:%{l}.c.budget.test exists:%{l}.d.budget.test exists:%{l}.e.budget.test exists:%{l}.f.budget.test exists:%{l}.g.budget.test exists:%{l}.h.budget.test -all\""
} | sed "1i \$ORIGIN budget.test." >"$NSD_DIR/budget.test.zone"
cat >"$NSD_DIR/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$DNS_PORT
  port: $DNS_PORT
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "$NSD_DIR"
  database: ""
  pidfile: "$NSD_DIR/nsd.pid"
  xfrdfile: "$NSD_DIR/xfrd.state"
  zonelistfile: "$NSD_DIR/zone.list"
  logfile: "$NSD_DIR/nsd.log"
  server-count: 1
  verbosity: 1
remote-control:
  control-enable: no
zone:
  name: "budget.test"
  zonefile: "$NSD_DIR/budget.test.zone"
CONF
/usr/sbin/nsd -d -c "$NSD_DIR/nsd.conf" >"$NSD_DIR/nsd.out" 2>&1 &
PIDS+=($!)
sleep 2
kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$NSD_DIR/nsd.out" "$NSD_DIR/nsd.log" >&2; exit 1; }

start_sink "$WORK/budgets-sink"
JVM_OPTS="$README_JVM_FLAGS" start_service $HTTP "$WORK/budgets-service.log" \
  MALLOC_ARENA_MAX=2 POSTWIRE_DELIVERY_MODE=mx POSTWIRE_DELIVERY_SMTP_PORT="$SINK_PORT" \
  POSTWIRE_DNS_SERVERS="127.0.0.1:$DNS_PORT" POSTWIRE_DELIVERY_MTA_STS_ENABLED=false
DOMAIN=sender.budget.test
register_domain $HTTP $DOMAIN

kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$SERVICE_PID/status"; }
alive() { kill -0 "$SERVICE_PID" 2>/dev/null && echo yes || echo NO; }
report() { echo "budgets $1: rss_before_mb=$(($2 / 1024)) rss_after_mb=$(( $(kib VmRSS) / 1024 )) rss_peak_mb=$(( $(kib VmHWM) / 1024 )) alive=$(alive) $3"; }
api() { curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 -H "Authorization: Bearer $ADMIN_KEY" \
  -H 'Content-Type: application/json' "$@"; }
sleep 3

# ---- 1. raw header flood --------------------------------------------------------------------
python3 - "$WORK/flood.json" "$DOMAIN" <<'PY'
import base64, json, sys
raw = b"From: a@" + sys.argv[2].encode() + b"\r\n" + b"a:b\r\n" * 1_500_000 + b"\r\nbody\r\n"
json.dump({"mailFrom": "a@" + sys.argv[2], "rcptTo": ["r@d1.budget.test"],
           "raw": base64.b64encode(raw).decode()}, open(sys.argv[1], "w"))
PY
before=$(kib VmRSS)
codes=$(for _ in $(seq 1 "$FLOODS"); do api --data-binary @"$WORK/flood.json" "http://127.0.0.1:$HTTP/v1/messages/raw"; done | sort | uniq -c | tr '\n' ' ')
report raw-header-flood "$before" "sends=$FLOODS answers: $codes"

# ---- 2. one 10 MB message to 50 domains -----------------------------------------------------
python3 - "$WORK/big.json" "$DOMAIN" <<'PY'
import base64, json, os, sys
to = ["r@d%d.budget.test" % i for i in range(1, 51)]
json.dump({"from": "a@" + sys.argv[2], "to": to, "subject": "big", "text": "see the attachment\n",
           "attachments": [{"filename": "big.bin", "contentType": "application/octet-stream",
                            "content": base64.b64encode(os.urandom(7 * 1024 * 1024)).decode()}]},
          open(sys.argv[1], "w"))
PY
before=$(kib VmRSS)
code=$(api --data-binary @"$WORK/big.json" "http://127.0.0.1:$HTTP/v1/messages")
delivered=0
for _ in $(seq 1 120); do
  delivered=$(sql "select count(*) from delivery d join message m on m.id = d.message_id where m.subject = 'big' and d.status = 'delivered'")
  [ "$delivered" -ge 50 ] && break
  [ "$(alive)" = yes ] || break
  sleep 1
done
report ten-mb-to-50-domains "$before" "answer=$code delivered=$delivered/50"

# ---- 3. DNS flood ---------------------------------------------------------------------------
before=$(kib VmRSS)
codes=$(seq 1 "$NAMES" | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 \
  -H "Authorization: Bearer $ADMIN_KEY" -H 'Content-Type: application/json' \
  -d '{"ip":"192.0.2.10","sender":"a@n{}-'"$RANDOM"'.flood.budget.test"}' \
  "http://127.0.0.1:$HTTP/v1/tools/spf" | sort | uniq -c | tr '\n' ' ')
report dns-flood "$before" "names=$NAMES answers: $codes"

# ---- 4. SPF macro expansion -----------------------------------------------------------------
before=$(kib VmRSS)
long=$(python3 -c 'print(".".join(["x" * 60] * 2000))')
refused=$(api -d "{\"ip\":\"192.0.2.10\",\"sender\":\"$long@macro.budget.test\"}" "http://127.0.0.1:$HTTP/v1/tools/spf")
local64=$(python3 -c 'print(".".join(["y" * 15] * 4))')
t0=$(date +%s%N)
codes=$(for _ in $(seq 1 200); do api -d "{\"ip\":\"192.0.2.10\",\"sender\":\"$local64@macro.budget.test\"}" "http://127.0.0.1:$HTTP/v1/tools/spf"; done | sort | uniq -c | tr '\n' ' ')
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
report spf-expansion "$before" "122KB_local_part=$refused checks=200 in ${ms}ms answers: $codes"

[ "$(alive)" = yes ]
