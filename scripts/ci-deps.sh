#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the tools a fresh Debian 12 (bookworm) machine needs for the whole
# test suite.  Idempotent; quick when everything is there already.  Only
# bookworm and bookworm-backports are used: packages of newer suites would
# pull in a newer glibc and break the system.
#   scripts/ci-deps.sh [--force]     --force: update and install regardless
# Log: $CI_DEPS_LOG (default /tmp/pasid-vfio-pci-ci-deps.log).
#
# Tools only: no kernel image and no kernel headers.  The suites build
# against Debian kernels that scripts/kernels.sh fetches into the project
# cache (~/.cache/pasid-vfio-pci), never against the host's.  The one
# change besides installing packages: bookworm-backports (QEMU 10) is added
# to the system's apt sources, in $BPO_SOURCES, unless a source has it.
set -euo pipefail

log=${CI_DEPS_LOG:-/tmp/pasid-vfio-pci-ci-deps.log}
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
# linux-source-6.1 is a tarball in /usr/src (KUnit's tree, checkpatch.pl),
# not a kernel: nothing is booted or built from it on the host.  openssl:
# dkms makes its module signing key with it (tests/dkms.sh checks signing).
PKGS=(build-essential dkms sparse dwarves debootstrap busybox-static driverctl
	flex bison bc libelf-dev libssl-dev ccache cpio xz-utils zstd kmod pciutils
	python3 linux-source-6.1 debhelper dh-dkms openssl)
# From bookworm-backports: QEMU >= 10.
BPO_PKGS=(qemu-system-x86)
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

# Installed packages, one "name version" a line.
# shellcheck disable=SC2016 # a dpkg-query format
pkglist() { dpkg-query -W -f '${db:Status-Abbrev} ${binary:Package} ${Version}\n' | sed -n 's/^ii  //p' | sort; }

# Kernel packages that earlier versions of this script pulled in (the 6.12
# headers from bookworm-backports and, through them, the 6.12 image): no
# suite needs them any more.  Said once a run; never removed here.
old_kernel_note() {
	local old
	old=$(pkglist | awk '$1 ~ /^linux-(image|headers|kbuild)-6\.12\.[0-9]+\+deb12/ { print $1 }' | paste -sd' ' -)
	[ -z "$old" ] ||
		echo "ci-deps: note: installed, not needed by the test suites (earlier versions of" \
			"this script pulled them in; check 'uname -r' first): $old"
}

# Everything present, QEMU >= 10 included?
all_there() {
	local p
	for p in "${PKGS[@]}" "${BPO_PKGS[@]}"; do installed "$p" || return 1; done
	dpkg --compare-versions "$(dpkg-query -W -f '${Version}' qemu-system-x86)" ge 1:10
}

if [ "${1:-}" != --force ] && all_there; then
	echo "ci-deps: all $((${#PKGS[@]} + ${#BPO_PKGS[@]})) packages already installed ($((SECONDS - t0)) s)"
	old_kernel_note
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
	echo "ci-deps: changed the apt sources: added $BPO_SOURCES (bookworm-backports," \
		"for ${BPO_PKGS[*]}; apt prefers bookworm over it unless asked)" | tee -a "$log"
fi

apt-get -q update >>"$log" 2>&1 || die "apt-get update"

# Refuse a transaction that would take any package from outside bookworm
# (bookworm, -updates, -security, -backports): look each one up in
# madison; and one that would install a kernel or kernel headers.
check_sim() {
	local out inst bad
	out=$(apt-get -s -q install --no-install-recommends "$@" 2>&1) ||
		{ echo "$out" >>"$log"; die "apt-get -s install $*"; }
	echo "$out" >>"$log"
	inst=$(sed -n 's/^Inst \([^ :]*\)[^ ]* \(\[[^]]*\] \)\{0,1\}(\([^ ]*\) .*/\1 \3/p' <<<"$out")
	[ -n "$inst" ] || return 0
	bad=$(grep -E '^linux-(image|headers)-' <<<"$inst" || true)
	[ -z "$bad" ] || die "apt would install a kernel or kernel headers: $(echo "$bad" | tr '\n' ' ')"
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
check_sim "${PKGS[@]}"
check_sim -t bookworm-backports "${BPO_PKGS[@]}"

before=$(pkglist)
apt-get -q -y install --no-install-recommends "${PKGS[@]}" \
	>>"$log" 2>&1 || die "apt-get install"
apt-get -q -y install --no-install-recommends -t bookworm-backports "${BPO_PKGS[@]}" \
	>>"$log" 2>&1 || die "apt-get install ${BPO_PKGS[*]} (bookworm-backports)"
after=$(pkglist)

all_there || die "packages still missing after installing"
new=$(comm -13 <(cut -d' ' -f1 <<<"$before") <(cut -d' ' -f1 <<<"$after"))
{
	echo "newly installed:"
	echo "$new"
	echo "upgraded:"
	comm -13 <(echo "$before") <(echo "$after") | awk 'NR == FNR { n[$1]; next } !($1 in n)' <(echo "$new") -
} >>"$log"
asked=$(printf '%s\n' "${PKGS[@]}" "${BPO_PKGS[@]}" | grep -xFf <(echo "$new") | paste -sd' ' - || true)
echo "ci-deps: ok, $(grep -c . <<<"$new" || true) packages newly installed" \
	"(${asked:-none of the ${#PKGS[@]}+${#BPO_PKGS[@]} asked for}; all of them in $log)," \
	"qemu-system-x86 $(dpkg-query -W -f '${Version}' qemu-system-x86) ($((SECONDS - t0)) s)"
old_kernel_note
