#!/usr/bin/env bash
# make bench: the benchmark tables. Timings are printed, never asserted.
# bench.js: the foundation's figures; looper-bench.js: the looper's;
# patch-bench.js: the patch engine's (DSP throughput next to scsynth and
# Pd, swap cost, callback cost).
set -euo pipefail
cd "$(dirname "$0")/.."
node bench/bench.js "$@"
node bench/looper-bench.js
exec node bench/patch-bench.js
