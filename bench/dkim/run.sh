#!/usr/bin/env bash
# Builds and runs the DKIM signing benchmark with short settings (about 3 minutes on 2 cores),
# then prints mean and best iteration per case and the sign/raw ratios (summarize.py).
# Extra arguments go to JMH, e.g. ./run.sh -p alg=ED25519_SHA256
set -euo pipefail
cd "$(dirname "$0")"
../../mvnw -q -B package
java -jar target/benchmarks.jar -f 1 -t 1 -wi 3 -w 1s -i 8 -r 1s -rf json -rff target/result.json "$@"
/usr/bin/python3 summarize.py target/result.json
# The sign/raw ratio with alternating blocks in thread CPU time: robust on a shared machine.
java -cp target/benchmarks.jar io.postwire.dkim.PairedRatio
