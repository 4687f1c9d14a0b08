#!/usr/bin/env bash
# selftest.sh - proves the RT guard works, on a private jackd:
#   1. sb-badclient (malloc+free in its callback) under the guard must show
#      cycles > 0 and malloc/free violations in the report;
#   2. sb-player --tone (a clean client) must show cycles > 0, wrapped and
#      no violations;
#   3. without RTGUARD_REPORT, the guard's summary goes to stderr.
# Exits 0 when all hold, 1 otherwise.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${BUILD:-$ROOT/build}
GUARD=$B/librtguard.so
JACK=rtg_$$_$RANDOM
TMP=$(mktemp -d /tmp/rtguard-selftest.XXXXXX)
JACKD_PID=
FAILED=0

export JACK_NO_START_SERVER=1

cleanup() {
	if [ -n "$JACKD_PID" ]; then
		kill "$JACKD_PID" 2>/dev/null
		wait "$JACKD_PID" 2>/dev/null
	fi
	rm -rf /dev/shm/jack_"$JACK"* /dev/shm/jack_sem.*_"$JACK"_* "$TMP"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	FAILED=1
}

build() {
	if ! make -s -C "$ROOT" build/librtguard.so build/sb-badclient \
		build/sb-player >/dev/null; then
		echo "FAIL: build failed" >&2
		exit 1
	fi
}

start_jackd() {
	local i
	jackd --no-realtime -n "$JACK" -d dummy -r 48000 -p 256 \
		>"$TMP/jackd.log" 2>&1 &
	JACKD_PID=$!
	for i in $(seq 50); do
		jack_lsp -s "$JACK" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "FAIL: jackd $JACK did not start" >&2
	cat "$TMP/jackd.log" >&2
	exit 1
}

# run_guarded TAG REPORT CMD...: start CMD under the guard, wait for "ready",
# let it run a while, stop it with SIGTERM, expect exit status 0.
run_guarded() {
	local tag=$1 report=$2 pid i
	shift 2
	if [ -n "$report" ]; then
		LD_PRELOAD=$GUARD RTGUARD_REPORT=$report "$@" \
			>"$TMP/$tag.out" 2>"$TMP/$tag.err" &
	else
		LD_PRELOAD=$GUARD "$@" >"$TMP/$tag.out" 2>"$TMP/$tag.err" &
	fi
	pid=$!
	for i in $(seq 50); do
		grep -qx ready "$TMP/$tag.out" && break
		sleep 0.1
	done
	grep -qx ready "$TMP/$tag.out" || fail "$tag never printed ready"
	sleep 0.3
	kill -TERM "$pid"
	wait "$pid" || fail "$tag exited with status $?"
}

# field REPORT KEY: a top-level number/boolean from the one-line JSON report
field() {
	sed -n "s/.*\"$2\":\([a-z0-9]*\).*/\1/p" "$1"
}

check_bad() {
	local r=$TMP/bad.json
	run_guarded bad "$r" "$B/sb-badclient" --server "$JACK" --name bad
	[ -s "$r" ] || { fail "no report from sb-badclient"; return; }
	echo "sb-badclient: $(cat "$r")"
	[ "$(field "$r" wrapped)" = true ] || fail "bad client not wrapped"
	[ "$(field "$r" cycles)" -gt 0 ] 2>/dev/null ||
		fail "bad client ran no cycles"
	grep -q '"violations":{.*"malloc":[1-9]' "$r" ||
		fail "malloc in the callback was not caught"
	grep -q '"violations":{.*"free":[1-9]' "$r" ||
		fail "free in the callback was not caught"
}

check_clean() {
	local r=$TMP/clean.json
	run_guarded clean "$r" "$B/sb-player" --server "$JACK" --name clean \
		--tone 440 --amp 0.1 --connect system:playback_1
	[ -s "$r" ] || { fail "no report from sb-player"; return; }
	echo "sb-player: $(cat "$r")"
	[ "$(field "$r" wrapped)" = true ] || fail "clean client not wrapped"
	[ "$(field "$r" cycles)" -gt 0 ] 2>/dev/null ||
		fail "clean client ran no cycles"
	grep -q '"violations":{}' "$r" ||
		fail "clean client reported violations"
}

check_stderr_summary() {
	run_guarded summary "" "$B/sb-badclient" --server "$JACK" --name bad2
	grep -q '^rtguard: .*"malloc":[1-9]' "$TMP/summary.err" ||
		fail "no stderr summary without RTGUARD_REPORT"
}

build
start_jackd
check_bad
check_clean
check_stderr_summary
if [ "$FAILED" = 0 ]; then
	echo "rtguard selftest: PASS"
else
	echo "rtguard selftest: FAIL" >&2
fi
exit "$FAILED"
