#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Exercise Debian's dkms with the module against the Debian kernels that
# scripts/kernels.sh fetches into the project cache (never the host's
# headers): add, build (signed), install, status, remove.
#   tests/dkms.sh [srcdir]        srcdir defaults to the repository root
# PVP_DKMS_KERNELS: kernels.sh tags to use (default "6.1 6.12").
# Prints PASS/FAIL dkms/<step>/<version> lines; needs root (dkms install).
#
# The host is left alone: dkms runs on private trees in a scratch directory
# (--dkmstree, --sourcetree, --installtree), builds against the cached
# headers (--kernelsourcedir), signs with a scratch key (sign_file,
# mok_signing_key, mok_certificate from the environment) and runs no
# depmod (--no-depmod).  Nothing goes to /usr/src, /var/lib/dkms or
# /lib/modules, as the last check (dkms/host-untouched) confirms.  Installing
# into the real /lib/modules, depmod and purging are tested by tests/pkg.sh,
# in a clean bookworm root.
set -euo pipefail

top=${1:-$(dirname "$0")/..}
top=$(cd "$top" && pwd)
kernels=$(cd "$(dirname "$0")/.." && pwd)/scripts/kernels.sh
tags=${PVP_DKMS_KERNELS:-6.1 6.12}
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
dest=$(conf 'DEST_MODULE_LOCATION\[0\]')
if [ -z "$name" ] || [ -z "$ver" ]; then
	echo "FAIL dkms/setup: dkms.conf lacks PACKAGE_NAME/PACKAGE_VERSION"
	exit 1
fi

pass=0 fail=0
tail_log() { sed 's/^/    /' "$1" | tail -n "${2:-25}" >&2; }
# ok <step> [detail]
ok() {
	echo "PASS dkms/$1${2:+ ($2)}"
	pass=$((pass + 1))
}
ko() {
	echo "FAIL dkms/$1${2:+: $2}"
	fail=$((fail + 1))
}

# What of the host dkms could touch: its trees, the module directories
# (depmod's files among them) and the default signing key.
host_state() {
	find /usr/src /var/lib/dkms /lib/modules -maxdepth 2 -printf '%p %y %s %T@\n' 2>/dev/null | sort
	find /lib/modules -name "$mod.ko*" 2>/dev/null
}
host_before=$(host_state)

# Private trees.  mok.key/mok.pub: dkms makes them (openssl) on first use.
w=$(mktemp -d "${TMPDIR:-/tmp}/pvp-dkms.XXXXXX")
trap 'rm -rf --one-file-system "$w"' EXIT
mkdir -p "$w/src/$name-$ver" "$w/dkms" "$w/modules" "$w/tmp"
log=$w/log
D=(dkms --dkmstree "$w/dkms" --sourcetree "$w/src" --installtree "$w/modules")
export TMPDIR=$w/tmp
# Not set by /etc/dkms/framework.conf on Debian; dkms takes them from here.
export mok_signing_key=$w/mok.key mok_certificate=$w/mok.pub

# Copy the sources only (git's view when $top is a work tree).
if [ "$(git -C "$top" rev-parse --show-toplevel 2>/dev/null)" = "$top" ]; then
	git -C "$top" ls-files -z -co --exclude-standard |
		(cd "$top" && while IFS= read -r -d '' f; do
			[ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"
		done) | tar -C "$top" --null -T - -cf -
else
	tar -C "$top" --exclude=.git --exclude='*.o' --exclude='*.ko' \
		--exclude='.*.cmd' --exclude='*.mod' --exclude='*.mod.c' \
		--exclude=Module.symvers --exclude=modules.order --exclude='.build-*' -cf - .
fi | tar -C "$w/src/$name-$ver" -xf -

# The kernels: KVER and KDIR of each tag, from the cache.
kvers=() kdirs=() ktags=()
for tag in $tags; do
	if ! envf=$("$kernels" fetch "$tag" 2>"$log"); then
		ko "fetch/$tag" "scripts/kernels.sh fetch $tag failed"
		tail_log "$log" 10
		continue
	fi
	kv=$(sed -n 's/^KVER=//p' "$envf")
	kd=$(sed -n 's/^KDIR=//p' "$envf")
	if [ -n "$(sed -n 's/^CHROOT=//p' "$envf")" ] || [ ! -f "$kd/Makefile" ]; then
		ko "fetch/$tag" "no headers usable from the host in $envf"
		continue
	fi
	kvers+=("$kv") kdirs+=("$kd") ktags+=("$tag")
done
[ ${#kvers[@]} -gt 0 ] || { echo "dkms: $pass passed, $((fail + 1)) failed"; echo "FAIL dkms/setup: no kernel"; exit 1; }

if "${D[@]}" add "$name/$ver" >"$log" 2>&1; then ok "add/$ver"; else ko "add/$ver"; tail_log "$log"; fi

for i in "${!kvers[@]}"; do
	k=${kvers[$i]} kd=${kdirs[$i]} tag=${ktags[$i]}
	kopt=(-k "$k" --kernelsourcedir "$kd")
	# The kernel's own sign-file (headers' scripts/ -> linux-kbuild).
	export sign_file=$kd/scripts/sign-file
	if "${D[@]}" build "$name/$ver" "${kopt[@]}" >"$log" 2>&1; then
		ok "build/$k" "$tag, ${kd/#"$HOME"/\~}"
	else
		ko "build/$k"
		tail_log "$log" 10
		mk=$w/dkms/$name/$ver/build/make.log
		[ ! -f "$mk" ] || tail_log "$mk"
		continue
	fi
	mkdir -p "$w/modules/$k"
	if "${D[@]}" install "$name/$ver" "${kopt[@]}" --no-depmod >"$log" 2>&1; then
		f=$(find "$w/modules/$k$dest" -name "$mod.ko*" 2>/dev/null | head -n 1)
		mi() { modinfo -F "$1" "$f" 2>/dev/null | paste -sd' ' -; }
		why=()
		if [ -z "$f" ]; then
			why+=("no $mod.ko* in <installtree>/$k$dest")
		else
			[ "$(mi vermagic | cut -d' ' -f1)" = "$k" ] || why+=("vermagic of ${f##*/} is '$(mi vermagic)'")
			[ "$(mi signer)" = "DKMS module signing key" ] || why+=("signer of ${f##*/} is '$(mi signer)' (sign-file: $sign_file)")
		fi
		if [ ${#why[@]} -eq 0 ]; then
			ok "install/$k" "$dest/${f##*/}, signed, $(mi sig_hashalgo)"
		else
			ko "install/$k" "$(IFS=';'; echo "${why[*]}")"
		fi
	else
		ko "install/$k"
		tail_log "$log"
	fi
	st=$("${D[@]}" status "$name/$ver" -k "$k" 2>&1 || true)
	if grep -q ': installed' <<<"$st"; then ok "status/$k"; else ko "status/$k" "$st"; fi
done

if "${D[@]}" remove "$name/$ver" --all --no-depmod >"$log" 2>&1; then
	left=$(
		"${D[@]}" status "$name" 2>/dev/null
		find "$w/modules" -name "$mod.ko*" 2>/dev/null
		[ ! -e "$w/dkms/$name/$ver" ] || echo "<dkmstree>/$name/$ver"
	)
	if [ -z "$left" ]; then ok "remove/$ver"; else ko "remove/$ver" "left: $(echo "$left" | tr '\n' ' ')"; fi
else
	ko "remove/$ver"
	tail_log "$log"
fi

changed=$(diff <(echo "$host_before") <(host_state) | grep '^[<>]' | head -n 5 || true)
if [ -z "$changed" ]; then
	ok host-untouched "/usr/src, /var/lib/dkms, /lib/modules as before"
else
	ko host-untouched "$(echo "$changed" | tr '\n' ' ')"
fi

echo "dkms: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
