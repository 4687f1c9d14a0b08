#!/usr/bin/env bash
# run.sh - start the appliance in the foreground: JACK (only when no server
# of the configured name is running), the engine, the control server, then
# print the join URL with the access token and its QR code (deploy/join.sh).
# Ctrl-C stops them in reverse order and cleans up what this script started.
#
# Flags override the environment, which overrides config/stagebox.json:
#   --config FILE      STAGEBOX_CONFIG   (config/stagebox.json)
#   --instance NAME    STAGEBOX_INSTANCE
#   --jack-server NAME JACK_SERVER
#   --http-port N      HTTP_PORT
#   --ws-port N        WS_PORT
#   --bind ADDR        BIND
#   --data-dir DIR     DATA_DIR
set -euo pipefail

cd "$(dirname "$0")/.."

BUILD=${STAGEBOX_BUILD:-build}
CONFIG=${STAGEBOX_CONFIG:-config/stagebox.json}
INSTANCE=${STAGEBOX_INSTANCE:-}
JSERVER=${JACK_SERVER:-}
HTTP_PORT=${HTTP_PORT:-}
WS_PORT=${WS_PORT:-}
BIND=${BIND:-}
DATA_DIR=${DATA_DIR:-}

usage() {
	sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
}

die() { echo "run.sh: $*" >&2; exit 2; }

need_val() { [ "$#" -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }

while [ "$#" -gt 0 ]; do
	case "$1" in
	--config) need_val "$@"; CONFIG=$2; shift ;;
	--instance) need_val "$@"; INSTANCE=$2; shift ;;
	--jack-server) need_val "$@"; JSERVER=$2; shift ;;
	--http-port) need_val "$@"; HTTP_PORT=$2; shift ;;
	--ws-port) need_val "$@"; WS_PORT=$2; shift ;;
	--bind) need_val "$@"; BIND=$2; shift ;;
	--data-dir) need_val "$@"; DATA_DIR=$2; shift ;;
	-h|--help) usage; exit 0 ;;
	*) die "unknown flag '$1' (try --help)" ;;
	esac
	shift
done

for b in stagebox-rt stagebox-server; do
	[ -x "$BUILD/$b" ] || die "$BUILD/$b is missing: run 'make' first"
done

ENGINE_FLAGS=(--config "$CONFIG")
[ -n "$INSTANCE" ] && ENGINE_FLAGS+=(--instance "$INSTANCE")
[ -n "$JSERVER" ] && ENGINE_FLAGS+=(--jack-server "$JSERVER")

# The effective config, as the engine sees it.
declare -A CFG
while IFS='=' read -r k v; do
	[ -n "$k" ] && CFG[$k]=$v
done < <("$BUILD/stagebox-rt" "${ENGINE_FLAGS[@]}" --dump-config) ||
	die "cannot read the config $CONFIG"

JNAME=${CFG[jack.server]}
INSTANCE=${CFG[instance]}
PORT=${HTTP_PORT:-${CFG[server.http_port]}}
WSPORT=${WS_PORT:-${CFG[server.ws_port]}}

SERVER_FLAGS=(--config "$CONFIG" --instance "$INSTANCE")
[ -n "$HTTP_PORT" ] && SERVER_FLAGS+=(--http-port "$HTTP_PORT")
[ -n "$WS_PORT" ] && SERVER_FLAGS+=(--ws-port "$WS_PORT")
[ -n "$BIND" ] && SERVER_FLAGS+=(--bind "$BIND")
[ -n "$DATA_DIR" ] && SERVER_FLAGS+=(--data-dir "$DATA_DIR")

export JACK_NO_START_SERVER=1
export JACK_DEFAULT_SERVER=$JNAME

LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/stagebox-run.XXXXXX")
JACKD_PID=
ENGINE_PID=
SERVER_PID=

jack_up() {
	jack_lsp >/dev/null 2>&1
}

# Remove what a dead jackd of our name left in /dev/shm.
clean_jack_shm() {
	rm -rf "/dev/shm/jack_${JNAME}_"* "/dev/shm/jack_sem."*"_${JNAME}_"*
}

jackd_args() {
	local drv=${CFG[jack.driver]}
	local r=${CFG[jack.rate]} p=${CFG[jack.period]} n=${CFG[jack.nperiods]}
	case "$drv" in
	dummy) echo "-d dummy -r $r -p $p" ;;
	alsa) echo "-d alsa -d ${CFG[jack.device]} -r $r -p $p -n $n" ;;
	*) die "jack.driver '$drv' is not supported by run.sh (dummy, alsa)" ;;
	esac
}

# Start jackd with mode (-R or --no-realtime); 0 once it answers.
try_jackd() {
	local mode=$1 i
	# shellcheck disable=SC2046
	jackd "$mode" -n "$JNAME" $(jackd_args) >"$LOGDIR/jackd.log" 2>&1 &
	JACKD_PID=$!
	for i in $(seq 100); do
		if ! kill -0 "$JACKD_PID" 2>/dev/null; then
			wait "$JACKD_PID" 2>/dev/null || true
			JACKD_PID=
			return 1
		fi
		if jack_up; then
			if [ "$mode" = -R ] &&
			   grep -q 'Cannot use real-time' "$LOGDIR/jackd.log"; then
				stop_pid "$JACKD_PID"
				JACKD_PID=
				clean_jack_shm
				return 1
			fi
			return 0
		fi
		sleep 0.05
	done
	stop_pid "$JACKD_PID"
	JACKD_PID=
	return 1
}

start_jackd() {
	if jack_up; then
		echo "run.sh: using the running JACK server '$JNAME'" >&2
		return 0
	fi
	clean_jack_shm
	if try_jackd -R; then
		echo "run.sh: started jackd '$JNAME' (realtime)" >&2
	elif try_jackd --no-realtime; then
		echo "run.sh: started jackd '$JNAME' (no realtime: see deploy/PI.md)" >&2
	else
		cat "$LOGDIR/jackd.log" >&2
		die "could not start jackd '$JNAME'"
	fi
}

# SIGTERM and wait (SIGKILL after 5 s).
stop_pid() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	trap - INT TERM EXIT
	echo "run.sh: stopping" >&2
	stop_pid "$SERVER_PID"
	stop_pid "$ENGINE_PID"
	if [ -n "$JACKD_PID" ]; then
		stop_pid "$JACKD_PID"
		clean_jack_shm
	fi
	if [ -e "/dev/shm/stagebox-$INSTANCE" ]; then
		echo "run.sh: warning: /dev/shm/stagebox-$INSTANCE is still there" >&2
	fi
	rm -rf "$LOGDIR"
}
trap cleanup EXIT
# Ctrl-C (or SIGTERM to this script or to `make run`) is how one stops the
# box: a normal end, status 0.
trap 'exit 0' INT TERM

# Something accepts connections on port $1 (of this machine).
listening() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

port_hint() {
	echo "run.sh: choose free ports, e.g. make run HTTP_PORT=8090 WS_PORT=8091" >&2
	echo "        (or bash deploy/run.sh --http-port 8090 --ws-port 8091)" >&2
}

# Refuse before starting anything when a port is already taken.
check_ports() {
	local p
	for p in "$PORT" "$WSPORT"; do
		if listening "$p"; then
			echo "run.sh: port $p is already in use (another Stagebox, or a web server?)" >&2
			port_hint
			exit 1
		fi
	done
}

# Both ports answer: only then is the server really listening.
wait_http() {
	local i
	for i in $(seq 200); do
		kill -0 "$SERVER_PID" 2>/dev/null || return 1
		listening "$PORT" && listening "$WSPORT" && return 0
		sleep 0.05
	done
	return 1
}

wait_engine() {
	local i
	for i in $(seq 100); do
		kill -0 "$ENGINE_PID" 2>/dev/null || return 1
		[ -e "/dev/shm/stagebox-$INSTANCE" ] && return 0
		sleep 0.05
	done
	return 1
}

check_ports
start_jackd

"$BUILD/stagebox-rt" "${ENGINE_FLAGS[@]}" &
ENGINE_PID=$!
wait_engine || die "the engine did not start"

"$BUILD/stagebox-server" "${SERVER_FLAGS[@]}" &
SERVER_PID=$!
if ! wait_http; then
	echo "run.sh: the server did not start listening on ports $PORT and $WSPORT" >&2
	port_hint
	exit 1
fi

# The join URL (token in the fragment) and its QR code for a phone.
JOIN_FLAGS=(--config "$CONFIG" --http-port "$PORT")
[ -n "$DATA_DIR" ] && JOIN_FLAGS+=(--data-dir "$DATA_DIR")
[ -n "$BIND" ] && JOIN_FLAGS+=(--bind "$BIND")
bash deploy/join.sh "${JOIN_FLAGS[@]}" ||
	echo "run.sh: could not print the join URL (deploy/join.sh)" >&2
echo "Stagebox is running (Ctrl-C stops it)"

# Return as soon as either process ends; the EXIT trap stops the rest.
set +e
wait -n "$ENGINE_PID" "$SERVER_PID"
rc=$?
echo "run.sh: a Stagebox process exited (status $rc)" >&2
exit "$rc"
