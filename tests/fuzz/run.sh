#!/usr/bin/env bash
# tests/fuzz/run.sh FUZZER... - what `make fuzz` runs: each libFuzzer
# target for FUZZ_SECONDS (default 600), one after another under nice so
# the machine stays usable, starting from its kept corpus tests/fuzz/<name>/;
# then the kept corpus and what the run found are merged (-merge=1) into a
# fresh, minimal corpus that replaces the kept one.  A crash, hang, leak
# or UB report is saved as build/fuzz/<name>-crash-* (or -timeout-,
# -leak-, -oom-) and fails the run; the log is build/fuzz/<name>.log.
# tests/fuzz/repro/ holds the reproducers of fixed bugs: seeds for every
# target, replayed by tests/fuzz/replay.sh, never minimised away (a new
# crash goes there once it is fixed, with a unit test where it fits).
set -uo pipefail

cd "$(dirname "$0")/../.."

secs=${FUZZ_SECONDS:-600}
opts=(-timeout=10 -rss_limit_mb=2048 -max_len=8192
      -dict=tests/fuzz/patch.dict -print_final_stats=1)
rc=0

# Fuzz one target; its exit status.
fuzz_one() {
	local f=$1 name=$2 work=$3
	echo "== $name: $secs s"
	nice -n 10 "$f" "${opts[@]}" -max_total_time="$secs" \
		-artifact_prefix="build/fuzz/$name-" "$work" "tests/fuzz/$name" \
		tests/fuzz/repro \
		> "build/fuzz/$name.log" 2>&1
	local frc=$?
	grep -E '^#[0-9]+ +DONE|^stat::|^(==[0-9]+==)?ERROR|^SUMMARY' \
		"build/fuzz/$name.log"
	return "$frc"
}

# Kept corpus + found inputs -> a minimal kept corpus.
merge_one() {
	local f=$1 name=$2 work=$3 new
	new=$(mktemp -d "build/fuzz/merge-$name.XXXXXX")
	if "$f" "${opts[@]}" -merge=1 "$new" "tests/fuzz/$name" "$work" \
		> "build/fuzz/$name-merge.log" 2>&1; then
		rm -rf "tests/fuzz/$name"
		mv "$new" "tests/fuzz/$name"
		chmod 755 "tests/fuzz/$name"
		echo "   corpus: $(ls "tests/fuzz/$name" | wc -l) files"
	else
		echo "   merge failed: build/fuzz/$name-merge.log"
		rm -rf "$new"
	fi
}

for f in "$@"; do
	name=$(basename "$f")
	work=build/fuzz/corpus-$name
	mkdir -p "$work" "tests/fuzz/$name"
	if ! fuzz_one "$f" "$name" "$work"; then
		echo "   $name FOUND A PROBLEM: see build/fuzz/$name.log"
		rc=1
	fi
	merge_one "$f" "$name" "$work"
done
exit "$rc"
