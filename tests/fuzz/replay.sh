#!/usr/bin/env bash
# tests/fuzz/replay.sh - run every fuzz target once over each file of its
# kept corpus (tests/fuzz/<name>/) and over the reproducers of what the
# fuzzers found (tests/fuzz/repro/, kept whole, never minimised away);
# -runs=0: no new fuzzing, the same sanitizers.  Part of `make test` (tests/run.sh); the targets are
# built by `make fuzzers`.  Exits non-zero if a target is missing or any
# input crashes, hangs, leaks or trips UBSan.
set -uo pipefail

cd "$(dirname "$0")/../.."

rc=0
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	f=build/fuzz/$name
	if [ ! -x "$f" ]; then
		echo "missing $f (make fuzzers)"
		rc=1
		continue
	fi
	log=$(mktemp)
	if "$f" -runs=0 -timeout=10 -rss_limit_mb=2048 "tests/fuzz/$name" \
		tests/fuzz/repro > "$log" 2>&1; then
		echo "ok $name: $(ls "tests/fuzz/$name" tests/fuzz/repro |
			grep -vc ':$\|^$') inputs"
	else
		cat "$log"
		echo "FAIL $name"
		rc=1
	fi
	rm -f "$log"
done
exit "$rc"
