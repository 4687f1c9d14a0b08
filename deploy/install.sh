#!/usr/bin/env bash
# install.sh [--test] - install what Stagebox needs to build and run
# (and, with --test, to run its tests).  Idempotent and non-interactive:
# only missing Debian packages are installed, apt-get update runs only when
# something is missing, so a second run is instant and needs no network.
set -euo pipefail

cd "$(dirname "$0")/.."

WANT_TEST=0
for a in "$@"; do
	case "$a" in
	--test) WANT_TEST=1 ;;
	-h|--help) echo "usage: deploy/install.sh [--test]"; exit 0 ;;
	*) echo "install.sh: unknown flag '$a'" >&2; exit 2 ;;
	esac
done

export DEBIAN_FRONTEND=noninteractive

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi

# qrencode: the QR code of the join URL that run.sh and the server's unit print.
RUN_PKGS=(build-essential pkg-config jackd2 libjack-jackd2-dev
	libmicrohttpd-dev libwebsockets-dev libjansson-dev libsndfile1-dev
	qrencode)
# sooperlooper: the reference looper the looper benchmark (make bench)
# measures side by side with stagebox-rt; supercollider-server and
# puredata-core: the synths the patch benchmark runs next to
# stagebox-render (scsynth -N, pd -batch; neither pulls X).  clang and
# libclang-rt-14-dev: libFuzzer and the sanitizers for the patch
# compiler's fuzz targets (make fuzzers, make fuzz).
TEST_PKGS=(libcmocka-dev chromium wrk sox valgrind sooperlooper
	supercollider-server puredata-core clang libclang-rt-14-dev)

# Playwright releases whose engines field still allows node 18.
PLAYWRIGHT_NODE18=1.56.1

log() { echo "install.sh: $*" >&2; }

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing_of() {
	local p
	for p in "$@"; do
		installed "$p" || echo "$p"
	done
}

apt_install() {
	[ "$#" -gt 0 ] || return 0
	log "installing: $*"
	# Without this, jackd2's postinst asks whether to enable realtime limits.
	if printf '%s\n' "$@" | grep -qx jackd2; then
		echo 'jackd2 jackd/tweak_rt_limits boolean false' |
			$SUDO debconf-set-selections
	fi
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends "$@"
}

node_major() {
	node -e 'process.stdout.write(process.versions.node.split(".")[0])'
}

install_node() {
	if ! command -v node >/dev/null 2>&1; then
		apt_install nodejs npm
	elif ! command -v npm >/dev/null 2>&1; then
		apt_install npm
	fi
	local major
	major=$(node_major)
	if [ "$major" -lt 18 ]; then
		log "node $(node --version) is too old: the tests need node >= 18"
		exit 1
	fi
}

# npm ci when the lock matches, npm install otherwise; only when needed.
install_node_modules() {
	local major pin
	major=$(node_major)
	export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
	cd tests
	if [ -f node_modules/.package-lock.json ] && [ -f package-lock.json ] &&
	   [ node_modules/.package-lock.json -nt package-lock.json ] &&
	   [ -d node_modules/ws ] && [ -d node_modules/playwright-core ]; then
		cd ..
		return 0
	fi
	if [ -f package-lock.json ]; then
		npm ci --no-audit --no-fund --loglevel=error
	else
		npm install --no-audit --no-fund --loglevel=error
	fi
	if [ "$major" -lt 20 ]; then
		pin=$(node -p 'require("./node_modules/playwright-core/package.json").engines.node')
		case "$pin" in
		*'>=18'*|*'>=16'*) ;;
		*) npm install --no-audit --no-fund --loglevel=error --no-save \
			"playwright-core@$PLAYWRIGHT_NODE18" ;;
		esac
	fi
	cd ..
}

main() {
	local want=("${RUN_PKGS[@]}")
	if [ "$WANT_TEST" = 1 ]; then
		want+=("${TEST_PKGS[@]}")
	fi
	local missing
	mapfile -t missing < <(missing_of "${want[@]}")
	apt_install "${missing[@]}"
	if [ "$WANT_TEST" = 1 ]; then
		install_node
		install_node_modules
	fi
}

main
