#!/usr/bin/env bash
# join.sh - print how to join this Stagebox: the URL with the access token
# in its fragment (http://<host>:<port>/#token=...) for the box's LAN
# address, its hostname and localhost, and a QR code of the first one, so a
# phone on the same network joins by pointing its camera at the terminal.
# deploy/run.sh calls it once the server is up; on the Pi the server's unit
# runs it (ExecStartPost), so `journalctl -u stagebox-server` shows it.
#
#   --config FILE    STAGEBOX_CONFIG (config/stagebox.json)
#   --data-dir DIR   DATA_DIR  (where the token lives; default: the config's)
#   --http-port N    HTTP_PORT (default: the config's)
#   --bind ADDR      BIND (default: the config's; a loopback bind lists
#                    localhost only, a wildcard the LAN address first)
#
# The token is made on first use (stagebox-server --print-token) and kept in
# DATA/token; anyone with the link controls the box.
set -euo pipefail

cd "$(dirname "$0")/.."

BUILD=${STAGEBOX_BUILD:-build}
CONFIG=${STAGEBOX_CONFIG:-config/stagebox.json}
DATA_DIR=${DATA_DIR:-}
HTTP_PORT=${HTTP_PORT:-}
BIND=${BIND:-}

die() { echo "join.sh: $*" >&2; exit 2; }
need_val() { [ "$#" -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }

while [ "$#" -gt 0 ]; do
	case "$1" in
	--config) need_val "$@"; CONFIG=$2; shift ;;
	--data-dir) need_val "$@"; DATA_DIR=$2; shift ;;
	--http-port) need_val "$@"; HTTP_PORT=$2; shift ;;
	--bind) need_val "$@"; BIND=$2; shift ;;
	-h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown flag '$1' (try --help)" ;;
	esac
	shift
done

[ -x "$BUILD/stagebox-server" ] || die "$BUILD/stagebox-server is missing: run 'make' first"

declare -A CFG
while IFS='=' read -r k v; do
	[ -n "$k" ] && CFG[$k]=$v
done < <("$BUILD/stagebox-rt" --config "$CONFIG" --dump-config) ||
	die "cannot read the config $CONFIG"
PORT=${HTTP_PORT:-${CFG[server.http_port]}}
BIND=${BIND:-${CFG[server.bind]}}

SERVER_FLAGS=(--config "$CONFIG")
[ -n "$DATA_DIR" ] && SERVER_FLAGS+=(--data-dir "$DATA_DIR")

FRAGMENT=
if [ "${CFG[server.auth]}" != off ]; then
	TOKEN=$("$BUILD/stagebox-server" "${SERVER_FLAGS[@]}" --print-token) ||
		die "cannot read or make the access token"
	FRAGMENT="#token=$TOKEN"
fi

# The names a browser can reach the box by; the LAN address first, as the
# one a phone uses.
HOSTS=()
name=$(hostname 2>/dev/null) || true
case "$BIND" in
127.*|::1) ;;
0.0.0.0|::)
	ip=$(hostname -I 2>/dev/null | awk '{print $1}') || true
	[ -n "$ip" ] && HOSTS+=("$ip")
	[ -n "$name" ] && [ "$name" != localhost ] && HOSTS+=("$name.local") ;;
*:*) HOSTS+=("[$BIND]") ;;
*) HOSTS+=("$BIND") ;;
esac
case "$BIND" in
0.0.0.0|::|127.*|::1) HOSTS+=(localhost) ;;
esac

URLS=()
for h in "${HOSTS[@]}"; do
	URLS+=("http://$h:$PORT/$FRAGMENT")
done

echo "Stagebox: join from a phone or laptop on this network with"
for u in "${URLS[@]}"; do
	echo "  $u"
done
if command -v qrencode >/dev/null 2>&1; then
	# colours only on a terminal; the journal gets plain block characters
	if [ -t 1 ]; then type=ANSIUTF8; else type=UTF8; fi
	echo "or scan this with the phone's camera (${URLS[0]%%#*}):"
	qrencode -t "$type" -m 2 "${URLS[0]}"
else
	echo "(install qrencode for a QR code to scan: sudo apt-get install qrencode)"
fi
if [ -n "$FRAGMENT" ]; then
	echo "The link holds the access token: anyone who has it controls the box."
	echo "A new token (logs everyone else out): Settings > Rotate token in the UI."
fi
