#!/usr/bin/env bash
# tests/run.sh - every test (what `make test` runs after building):
# unit tests (build/test_*), the source checks (tests/lint/), the fuzz
# corpus replay (tests/fuzz/), the RT guard self-test, the integration and
# browser tests with node's test runner, then the system tests
# (tests/system/: `make run` on a fresh Debian 12).
# Exits non-zero when anything failed.
set -uo pipefail

cd "$(dirname "$0")/.."

failed=()

for src in tests/unit/test_*.c; do
	[ -e "$src" ] || continue
	t=build/$(basename "$src" .c)
	echo "== $t"
	if [ ! -x "$t" ]; then
		echo "missing $t (not built)"
		failed+=("$t")
	elif ! "$t"; then
		failed+=("$t")
	fi
done

for lint in tests/lint/*.sh; do
	echo "== $lint"
	bash "$lint" || failed+=("$lint")
done

# The fuzz targets over their kept corpus: no new fuzzing (make fuzz does).
echo "== tests/fuzz/replay.sh"
bash tests/fuzz/replay.sh || failed+=(tests/fuzz/replay.sh)

if [ -f tests/rtguard/selftest.sh ]; then
	echo "== tests/rtguard/selftest.sh"
	bash tests/rtguard/selftest.sh || failed+=(tests/rtguard/selftest.sh)
fi

shopt -s nullglob
files=(tests/integration/*.test.js tests/browser/*.test.js)
shopt -u nullglob

# The sum of a TAP summary field ("# pass N") over a log.
tap_count() {
	awk -v k="# $2" '$1 " " $2 == k { n += $3 } END { print n + 0 }' "$1"
}

node_rc=0
if [ "${#failed[@]}" -gt 0 ]; then
	echo "FAILED before the node tests: ${failed[*]}"
fi
if [ "${#files[@]}" -gt 0 ]; then
	log=$(mktemp)
	echo "== node --test ${files[*]}"
	node --test --test-concurrency=1 "${files[@]}" 2>&1 | tee "$log"
	node_rc=${PIPESTATUS[0]}
	total=$(tap_count "$log" tests)
	skipped=$(tap_count "$log" skipped)
	fails=$(tap_count "$log" fail)
	# No file is run twice: a test may retake a measurement only when it
	# has evidence that an xrun touched the window it measures, and says so
	# ("[looper] ... hit by an xrun"); the retakes are counted below.
	retakes=$(grep -c 'hit by an xrun\|taken again' "$log")
	rm -f "$log"
	echo "tests: $((total - skipped - fails)) passed, $fails failed, $skipped skipped; $retakes retakes of xrun-hit measurements"
else
	echo "no integration or browser tests found"
fi

# System tests: whole-machine checks (a fresh Debian 12 root, cached).
for sys in tests/system/*.sh; do
	[ -e "$sys" ] || continue
	echo "== $sys"
	bash "$sys" || failed+=("$sys")
done

if [ "${#failed[@]}" -gt 0 ]; then
	echo "FAILED: ${failed[*]}"
	exit 1
fi
exit "$node_rc"
