#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what a fresh Debian 12 (bookworm) machine needs for the whole test
# suite.  Idempotent; quick when everything is there already.  Only bookworm
# and bookworm-backports are used: packages of newer suites would pull in a
# newer glibc and break the system.
#   scripts/ci-deps.sh [--force]     --force: update and install regardless
# Log: $CI_DEPS_LOG (default /tmp/pasid-vfio-pci-ci-deps.log).
set -euo pipefail

log=${CI_DEPS_LOG:-/tmp/pasid-vfio-pci-ci-deps.log}
export DEBIAN_FRONTEND=noninteractive
PKGS=(build-essential dkms sparse dwarves debootstrap busybox-static driverctl
	flex bison bc libelf-dev libssl-dev ccache cpio xz-utils zstd kmod pciutils
	python3 linux-source-6.1 linux-headers-amd64 debhelper dh-dkms)
BPO_SOURCES=/etc/apt/sources.list.d/bookworm-backports.sources
t0=$SECONDS

die() {
	echo "ci-deps: FAILED: $* (log: $log)"
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root"
# shellcheck source=/dev/null
. /etc/os-release
[ "${VERSION_CODENAME:-}" = bookworm ] || die "not Debian bookworm (${PRETTY_NAME:-?})"
: >"$log"

installed() {
	[ "$(dpkg-query -W -f '${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]
}

# Everything present, 6.12 headers and QEMU from bookworm-backports included?
all_there() {
	local p
	for p in "${PKGS[@]}"; do installed "$p" || return 1; done
	dpkg-query -W -f '${Package} ${db:Status-Abbrev}\n' 'linux-headers-6.12.*-amd64' 2>/dev/null |
		grep -q ' ii' || return 1
	installed qemu-system-x86 &&
		dpkg --compare-versions "$(dpkg-query -W -f '${Version}' qemu-system-x86)" ge 1:10
}

if [ "${1:-}" != --force ] && all_there; then
	echo "ci-deps: all ${#PKGS[@]}+2 packages already installed ($((SECONDS - t0)) s)"
	exit 0
fi

# bookworm-backports in the system sources, if no source has it yet.
if ! grep -Eqs '^[^#]*bookworm-backports' /etc/apt/sources.list \
	/etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; then
	cat >"$BPO_SOURCES" <<-EOF
		Types: deb
		URIs: http://deb.debian.org/debian
		Suites: bookworm-backports
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	echo "ci-deps: enabled bookworm-backports in $BPO_SOURCES" >>"$log"
fi

apt-get -q update >>"$log" 2>&1 || die "apt-get update"

# The 6.12 headers that bookworm-backports' linux-headers-amd64 points to.
bpo=$(apt-cache madison linux-headers-amd64 |
	awk -F'|' '$3 ~ /bookworm-backports/ { gsub(/ /, "", $2); print $2; exit }')
[ -n "$bpo" ] || die "no linux-headers-amd64 in bookworm-backports"
hdr612=$(apt-cache show "linux-headers-amd64=$bpo" | sed -n 's/^Depends: //p' |
	grep -o 'linux-headers-6\.12[^ ,]*-amd64' | head -n 1)
[ -n "$hdr612" ] || die "cannot resolve the 6.12 headers package"

# Refuse a transaction that would take any package from outside bookworm
# (bookworm, -updates, -security, -backports): look each one up in madison.
check_sim() {
	local out inst bad
	out=$(apt-get -s -q install --no-install-recommends "$@" 2>&1) ||
		{ echo "$out" >>"$log"; die "apt-get -s install $*"; }
	echo "$out" >>"$log"
	inst=$(sed -n 's/^Inst \([^ :]*\)[^ ]* \(\[[^]]*\] \)\{0,1\}(\([^ ]*\) .*/\1 \3/p' <<<"$out")
	[ -n "$inst" ] || return 0
	# shellcheck disable=SC2046 # one word per package name
	bad=$(apt-cache madison $(cut -d' ' -f1 <<<"$inst") | awk -F'|' -v list="$inst" '
		function trim(s) { gsub(/^ +| +$/, "", s); return s }
		BEGIN { n = split(list, l, "\n"); for (i = 1; i <= n; i++) { split(l[i], f, " "); want[f[1]] = f[2] } }
		want[trim($1)] == trim($2) && $3 ~ / bookworm(-[a-z]+)?\// { ok[trim($1)] = 1 }
		END { for (p in want) if (!(p in ok)) print p "=" want[p] }')
	if [ -n "$bad" ]; then
		echo "not from bookworm: $bad" >>"$log"
		die "apt would install from outside bookworm: $(echo "$bad" | head -n 5 | tr '\n' ' ')"
	fi
}
check_sim "${PKGS[@]}" "$hdr612/bookworm-backports"
check_sim -t bookworm-backports qemu-system-x86

n0=$(dpkg-query -W -f '${db:Status-Abbrev}\n' | grep -c '^ii' || true)
apt-get -q -y install --no-install-recommends "${PKGS[@]}" "$hdr612/bookworm-backports" \
	>>"$log" 2>&1 || die "apt-get install"
apt-get -q -y install --no-install-recommends -t bookworm-backports qemu-system-x86 \
	>>"$log" 2>&1 || die "apt-get install qemu-system-x86 (bookworm-backports)"
n1=$(dpkg-query -W -f '${db:Status-Abbrev}\n' | grep -c '^ii' || true)

all_there || die "packages still missing after installing"
echo "ci-deps: ok, $((n1 - n0)) packages newly installed, $hdr612, qemu-system-x86" \
	"$(dpkg-query -W -f '${Version}' qemu-system-x86) ($((SECONDS - t0)) s)"
