#!/usr/bin/env bash
# Runs every benchmark in turn and keeps their RESULT lines in bench/results/<date>.txt.
# --smoke: tiny sizes, only checks that the scripts still work (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
ARG="${1:-}"
mkdir -p bench/results
OUT="bench/results/$(date -u +%Y%m%dT%H%M%SZ)${ARG:+-smoke}.txt"
{
  echo "# $(date -u) $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ {printf "%d MiB", $2/1024}' /proc/meminfo)"
  echo "# $(java -version 2>&1 | head -1); load $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT"
for script in enqueue e2e submission webhooks queue-scale startup-memory; do
  echo "## bench/$script.sh $ARG" | tee -a "$OUT"
  bench/$script.sh $ARG 2> >(grep -v '^Nov\|^[A-Z][a-z][a-z] [ 0-9][0-9] ' >&2) | grep '^RESULT' | tee -a "$OUT"
done
echo "results in $OUT"
