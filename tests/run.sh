#!/usr/bin/env bash
# tests/run.sh - every test (what `make test` runs after building):
# unit tests (build/test_*), the RT guard self-test, then the integration
# and browser tests with node's test runner, whose summary ends the output.
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

if [ -f tests/rtguard/selftest.sh ]; then
	echo "== tests/rtguard/selftest.sh"
	bash tests/rtguard/selftest.sh || failed+=(tests/rtguard/selftest.sh)
fi

shopt -s nullglob
files=(tests/integration/*.test.js tests/browser/*.test.js)
shopt -u nullglob

node_rc=0
if [ "${#failed[@]}" -gt 0 ]; then
	echo "FAILED before the node tests: ${failed[*]}"
fi
if [ "${#files[@]}" -gt 0 ]; then
	echo "== node --test ${files[*]}"
	node --test --test-concurrency=1 "${files[@]}"
	node_rc=$?
else
	echo "no integration or browser tests found"
fi

if [ "${#failed[@]}" -gt 0 ]; then
	exit 1
fi
exit "$node_rc"
