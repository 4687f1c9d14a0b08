#!/usr/bin/env bash
# make bench: the benchmark tables. Timings are printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node bench/bench.js "$@"
