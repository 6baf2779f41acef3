#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Exercise Debian's dkms with the module against every installed
# linux-headers (/lib/modules/*/build): add, build, install, status, remove.
#   tests/dkms.sh [srcdir]        srcdir defaults to the repository root
# Prints PASS/FAIL dkms/<step>/<version> lines; needs root.  Everything it
# adds to the system is removed again, also on failure.
set -euo pipefail

top=${1:-$(dirname "$0")/..}
top=$(cd "$top" && pwd)
[ "$(id -u)" = 0 ] || { echo "FAIL dkms/setup: needs root"; exit 1; }
command -v dkms >/dev/null || { echo "FAIL dkms/setup: dkms is not installed"; exit 1; }
unset MAKEFLAGS MAKELEVEL MFLAGS MAKEOVERRIDES

# conf <key>: a plain KEY="value" from dkms.conf.
conf() {
	sed -n "s/^$1=[\"']\{0,1\}\([^\"']*\)[\"']\{0,1\}[[:space:]]*\$/\1/p" "$top/dkms.conf" | head -n 1
}
[ -f "$top/dkms.conf" ] || { echo "FAIL dkms/setup: no $top/dkms.conf"; exit 1; }
name=$(conf PACKAGE_NAME)
ver=$(conf PACKAGE_VERSION)
mod=$(conf 'BUILT_MODULE_NAME\[0\]')
mod=${mod:-$name}
if [ -z "$name" ] || [ -z "$ver" ]; then
	echo "FAIL dkms/setup: dkms.conf lacks PACKAGE_NAME/PACKAGE_VERSION"
	exit 1
fi
usrsrc=/usr/src/$name-$ver

pass=0 fail=0
tail_log() { sed 's/^/    /' "$1" | tail -n "${2:-25}" >&2; }
ok() { echo "PASS dkms/$1"; pass=$((pass + 1)); }
ko() {
	echo "FAIL dkms/$1${2:+: $2}"
	fail=$((fail + 1))
}

# Kernels with installed headers.
kvers() {
	local b
	for b in /lib/modules/*/build; do
		[ -f "$b/Makefile" ] && basename "$(dirname "$b")"
	done
	return 0
}

# No headers at all: install bookworm's and bookworm-backports' 6.12.
install_headers() {
	echo "dkms.sh: no kernel headers installed; installing them" >&2
	export DEBIAN_FRONTEND=noninteractive
	local bpo hdr alog
	alog=$(mktemp)
	apt-get -q update >"$alog" 2>&1 || { tail_log "$alog"; return 1; }
	bpo=$(apt-cache madison linux-headers-amd64 |
		awk -F'|' '$3 ~ /bookworm-backports/ { gsub(/ /, "", $2); print $2; exit }')
	hdr=$(apt-cache show "linux-headers-amd64=$bpo" | sed -n 's/^Depends: //p' |
		grep -o 'linux-headers-6\.12[^ ,]*-amd64' | head -n 1)
	if ! apt-get -qy install --no-install-recommends linux-headers-amd64 \
		"$hdr/bookworm-backports" >>"$alog" 2>&1; then
		tail_log "$alog"
		return 1
	fi
	rm -f "$alog"
}

# What /lib/modules/<kver> held before, to undo depmod's files afterwards.
declare -A before
snapshot() {
	local k
	for k in "$@"; do
		before[$k]=$(find "/lib/modules/$k" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort)
	done
}

cleanup() {
	set +e
	dkms remove "$name/$ver" --all >/dev/null 2>&1
	rm -rf "$usrsrc" "/var/lib/dkms/$name/$ver"
	rmdir "/var/lib/dkms/$name" 2>/dev/null
	local k f
	for k in "${!before[@]}"; do
		rm -f "/lib/modules/$k/updates/dkms/$mod".ko*
		rmdir "/lib/modules/$k/updates/dkms" "/lib/modules/$k/updates" 2>/dev/null
		# depmod's index files where there were none before.
		find "/lib/modules/$k" -mindepth 1 -maxdepth 1 -name 'modules.*' -printf '%f\n' |
			while read -r f; do
				grep -qxF "$f" <<<"${before[$k]}" || rm -f "/lib/modules/$k/$f"
			done
	done
	# dkms makes a signing key on first use; drop it if this run made it.
	[ -n "$had_mok" ] || rm -f /var/lib/dkms/mok.key /var/lib/dkms/mok.pub
}

mapfile -t ks < <(kvers)
if [ ${#ks[@]} -eq 0 ]; then
	install_headers || { echo "FAIL dkms/setup: installing kernel headers"; exit 1; }
	mapfile -t ks < <(kvers)
fi
[ ${#ks[@]} -gt 0 ] || { echo "FAIL dkms/setup: no kernel headers"; exit 1; }

# A leftover of an earlier run would make "dkms add" fail.
if [ -e "$usrsrc" ] || [ -e "/var/lib/dkms/$name/$ver" ]; then
	echo "dkms.sh: removing an existing $name/$ver first" >&2
	dkms remove "$name/$ver" --all >/dev/null 2>&1 || true
	rm -rf "$usrsrc" "/var/lib/dkms/$name/$ver"
fi
snapshot "${ks[@]}"
had_mok=$(ls /var/lib/dkms/mok.key 2>/dev/null || true)
trap cleanup EXIT

# Copy the sources only (git's view when $top is a work tree).
mkdir -p "$usrsrc"
if [ "$(git -C "$top" rev-parse --show-toplevel 2>/dev/null)" = "$top" ]; then
	git -C "$top" ls-files -z -co --exclude-standard |
		(cd "$top" && while IFS= read -r -d '' f; do
			[ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"
		done) | tar -C "$top" --null -T - -cf -
else
	tar -C "$top" --exclude=.git --exclude='*.o' --exclude='*.ko' \
		--exclude='.*.cmd' --exclude='*.mod' --exclude='*.mod.c' \
		--exclude=Module.symvers --exclude=modules.order --exclude='.build-*' -cf - .
fi | tar -C "$usrsrc" -xf -

log=$(mktemp)
trap 'cleanup; rm -f "$log"' EXIT

if dkms add "$name/$ver" >"$log" 2>&1; then ok "add/$ver"; else ko "add/$ver"; tail_log "$log"; fi

for k in "${ks[@]}"; do
	if dkms build "$name/$ver" -k "$k" >"$log" 2>&1; then
		ok "build/$k"
	else
		ko "build/$k"
		tail_log "$log" 10
		mk=/var/lib/dkms/$name/$ver/build/make.log
		[ ! -f "$mk" ] || tail_log "$mk"
		continue
	fi
	if dkms install "$name/$ver" -k "$k" >"$log" 2>&1; then
		f=$(find "/lib/modules/$k/updates/dkms" -name "$mod.ko*" 2>/dev/null | head -n 1)
		vm=$( [ -z "$f" ] || modinfo -F vermagic "$f" 2>/dev/null | cut -d' ' -f1)
		if [ -z "$f" ]; then
			ko "install/$k" "no $mod.ko* in /lib/modules/$k/updates/dkms"
		elif [ "$vm" != "$k" ]; then
			ko "install/$k" "vermagic of ${f##*/} is '$vm'"
		else
			ok "install/$k"
		fi
	else
		ko "install/$k"
		tail_log "$log"
	fi
	st=$(dkms status "$name/$ver" -k "$k" 2>&1 || true)
	if grep -q ': installed' <<<"$st"; then ok "status/$k"; else ko "status/$k" "$st"; fi
done

if dkms remove "$name/$ver" --all >"$log" 2>&1; then
	left=$(
		dkms status "$name" 2>/dev/null
		find /lib/modules/*/updates -name "$mod.ko*" 2>/dev/null
		[ ! -e "/var/lib/dkms/$name/$ver" ] || echo "/var/lib/dkms/$name/$ver"
	)
	if [ -z "$left" ]; then ok "remove/$ver"; else ko "remove/$ver" "left: $(echo "$left" | tr '\n' ' ')"; fi
else
	ko "remove/$ver"
	tail_log "$log"
fi

echo "dkms: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
