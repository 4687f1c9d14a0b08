#!/usr/bin/env bash
# fresh-debian.sh - `make run` on a fresh Debian 12, as a new user meets it.
#
# A minimal Debian 12 root (debootstrap --variant=minbase, from the Debian
# package registry) is built once and cached in $SB_FRESH_CACHE; every run
# mounts a throw-away overlay on it, copies this checkout in (the working
# tree, committed or not), and inside a chroot runs `make run` with free
# ports (after installing `make` itself, the one thing the README asks a
# user to install by hand).  It passes when the URL is printed, GET /api/v1/status answers with
# the engine connected, and SIGINT ends `make run` with status 0.  Downloaded
# packages are cached too, so a repeated run installs without downloading.
#
# Needs root (chroot, mounts).  Takes a few minutes the first time (the
# debootstrap), about two on later runs.
set -uo pipefail
cd "$(dirname "$0")/../.."

CACHE=${SB_FRESH_CACHE:-/var/cache/stagebox-test}
BASE=$CACHE/bookworm
DEBS=$CACHE/apt-archives
MIRROR=${SB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
WAIT_URL_S=${SB_FRESH_WAIT:-900}

log() { echo "fresh-debian: $*"; }
fail() { log "FAIL: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (chroot and mounts)"

# The cached pristine root; built into a temporary name, then renamed, so
# an interrupted debootstrap never leaves a half root behind.
make_base() {
	[ -x "$BASE/bin/bash" ] && return 0
	command -v debootstrap >/dev/null ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null ||
		fail "cannot install debootstrap"
	log "building the cached Debian 12 root (once): $BASE"
	rm -rf "$BASE.new"
	mkdir -p "$CACHE"
	debootstrap --variant=minbase bookworm "$BASE.new" "$MIRROR" \
		>"$CACHE/debootstrap.log" 2>&1 ||
		fail "debootstrap failed, see $CACHE/debootstrap.log"
	mv "$BASE.new" "$BASE"
}

RUN=$(mktemp -d /tmp/sb-fresh.XXXXXX)
ROOT=$RUN/root
MAKE_PID=

# Every process whose root is the chroot: killed, so the mounts can go.
kill_inside() {
	local p r
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		[ "$r" = "$ROOT" ] && kill -9 "${p#/proc/}" 2>/dev/null
	done
	sleep 0.3
}

cleanup() {
	kill_inside
	for m in dev/shm dev/pts dev proc sys var/cache/apt/archives; do
		mountpoint -q "$ROOT/$m" && umount -l "$ROOT/$m"
	done
	mountpoint -q "$ROOT" && umount -l "$ROOT"
	rm -rf "$RUN"
}
trap cleanup EXIT

make_base
mkdir -p "$RUN/upper" "$RUN/work" "$ROOT" "$DEBS"
mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$RUN/upper,workdir=$RUN/work" "$ROOT" ||
	fail "cannot mount the overlay"
mount -t proc proc "$ROOT/proc"
mount -t sysfs sys "$ROOT/sys"
mount --bind /dev "$ROOT/dev"
mount -t devpts devpts "$ROOT/dev/pts" -o newinstance,ptmxmode=0666 2>/dev/null ||
	mount --bind /dev/pts "$ROOT/dev/pts"
mount -t tmpfs -o mode=1777 shm "$ROOT/dev/shm"
mkdir -p "$ROOT/var/cache/apt/archives"
mount --bind "$DEBS" "$ROOT/var/cache/apt/archives"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"

# The checkout as it is now (tracked and new files, not ignored ones).
mkdir -p "$ROOT/root/stagebox"
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$ROOT/root/stagebox"

port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
HP=$(port)
WP=$(port)
while [ "$WP" = "$HP" ]; do WP=$(port); done

log "make run in a fresh Debian 12 chroot (HTTP $HP, WS $WP)"
OUT=$RUN/make-run.log
# setsid: the chroot's make is a group of its own, so SIGINT reaches it
# (and only it) the way Ctrl-C would.
setsid chroot "$ROOT" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	TERM=dumb LANG=C.UTF-8 /bin/bash -c \
	"apt-get update -qq && apt-get install -y -qq make >/dev/null &&
	 cd /root/stagebox && exec make run HTTP_PORT=$HP WS_PORT=$WP" >"$OUT" 2>&1 &
MAKE_PID=$!

deadline=$((SECONDS + WAIT_URL_S))
until grep -q "http://[^ ]*:$HP/" "$OUT"; do
	if ! kill -0 "$MAKE_PID" 2>/dev/null; then
		tail -40 "$OUT"
		fail "make run exited before printing the URL"
	fi
	[ "$SECONDS" -lt "$deadline" ] || { tail -40 "$OUT"; fail "no URL within $WAIT_URL_S s"; }
	sleep 2
done
log "URL printed after $SECONDS s: $(grep -o "http://[^ ]*:$HP/[^ ]*" "$OUT" | head -1)"

# The token, when the server made one (auth on): read from the chroot.
TOKEN=
for f in "$ROOT/root/stagebox/data/token"; do
	[ -r "$f" ] && TOKEN=$(cat "$f")
done
AUTH=()
[ -n "$TOKEN" ] && AUTH=(-H "Authorization: Bearer $TOKEN")
st=
for _ in $(seq 50); do
	st=$(curl -s "${AUTH[@]}" "http://127.0.0.1:$HP/api/v1/status") &&
		echo "$st" | grep -q '"connected":true' && break
	sleep 0.2
done
echo "$st" | grep -q '"connected":true' || { tail -40 "$OUT"; fail "status does not show the engine connected: $st"; }
log "GET /api/v1/status: engine connected"

kill -INT -- "-$MAKE_PID"
rc=0
for _ in $(seq 100); do
	kill -0 "$MAKE_PID" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$MAKE_PID" 2>/dev/null; then
	tail -20 "$OUT"
	fail "make run did not stop within 10 s of SIGINT"
fi
wait "$MAKE_PID"
rc=$?
[ "$rc" -eq 0 ] || { tail -20 "$OUT"; fail "make run ended with status $rc after SIGINT (want 0)"; }
if grep -q 'Error 130' "$OUT"; then
	fail "make printed 'Error 130' on SIGINT"
fi
log "ok: SIGINT ended make run with status 0"
