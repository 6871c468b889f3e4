#!/usr/bin/env bash
# Builds and runs the DKIM signing benchmark with short settings (about 3 minutes on 2 cores).
# Extra arguments go to JMH, e.g. ./run.sh -p alg=ED25519_SHA256 or ./run.sh -rf json.
set -euo pipefail
cd "$(dirname "$0")"
../../mvnw -q -B package
exec java -jar target/benchmarks.jar -f 1 -t 1 -wi 3 -w 1s -i 5 -r 1s "$@"
