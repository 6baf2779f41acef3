#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch Debian kernels into a private cache and build out-of-tree modules
# against them, without touching the system's apt sources.
#
#   kernels.sh fetch <tag>      tag: 6.1 | 6.12 | 7.3, or 6.1-rt | 6.12-rt | 7.3-rt
#                               (Debian's PREEMPT_RT flavour, linux-image-rt-amd64),
#                               or 7.3-iommufd (built here, see below)
#   kernels.sh build [--strict] <tag> <srcdir> [make args...]
#   kernels.sh env <tag>                          print the env file's path
#   kernels.sh unpack <package>                   a bookworm package, unpacked
#   kernels.sh unpack-closure <package>...        bookworm-backports' packages
#                                                 and their dependency closure,
#                                                 unpacked into one tree
#   kernels.sh qemu11                             trixie-backports' QEMU 11, a
#                                                 self-contained tree (see qemu11)
#
# fetch writes $PVP_CACHE/k/<tag>/env (KVER KDIR VMLINUZ MODROOT CHROOT
# CHROOT_KDIR KCONFIG).  7.3 is built inside a debootstrapped trixie root.
# 7.3-iommufd is Debian's 7.3 rebuilt there from linux-source-7.3 with the
# 7.3 tag's config plus IOMMUFD and VFIO_DEVICE_CDEV, trimmed to the e2e
# guest's modules (KVER <version>-iommufd; about 20 min cold on 2 cores,
# log in $PVP_CACHE/k/7.3-iommufd/build.log, then cached).  PVP_BUILD_NICE
# is the niceness of its compiler (default 0); its other steps run at the
# caller's, so that the locks they hold are never held by a starved process.
# unpack prints the directory it unpacked <package> into
# ($PVP_CACHE/pkgs/<package>/root), for tools the host does not install.
# build runs "make -C <srcdir> KDIR=... W=1" when <srcdir>/Makefile sets KDIR
# (a wrapper with steps of its own), else "make -C KDIR M=<srcdir> W=1";
# --strict fails on any warning.  The log goes to <srcdir>/.build-<tag>.log.
set -euo pipefail

PVP_CACHE=${PVP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pasid-vfio-pci}
mkdir -p "$PVP_CACHE"
PVP_CACHE=$(cd "$PVP_CACHE" && pwd)
MIRROR=${PVP_MIRROR:-http://deb.debian.org/debian}
SEC_MIRROR=${PVP_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
TRIXIE_ROOT=$PVP_CACHE/roots/trixie
# What kbuild needs in the trixie root to build (and sign/strip) modules.
TRIXIE_PKGS=make,gcc-14,libc6-dev,binutils,libelf1t64,libssl3t64,pahole,kmod,xz-utils,zstd
# What building a kernel (7.3-iommufd) adds; gcc gives the "gcc" its
# config records and module builds then use.  Its stamp is kept inside the
# root, so that copies of kernels.sh from before this list (an e2e run
# uses a snapshot) still take the root as theirs and do not rebuild it.
TRIXIE_KBUILD_PKGS=gcc,bc,bison,flex,libelf-dev,libssl-dev,perl

msg() { printf '%s\n' "kernels.sh: $*" >&2; }
die() { msg "error: $*"; exit 1; }

usage() {
	sed -n '4,29s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

# ---------------------------------------------------------------------------
# Private apt: one configuration per distribution under $PVP_CACHE/apt/<dist>.

apt_dir() { echo "$PVP_CACHE/apt/$1"; }

# apt_setup <dist>: write sources and apt.conf for <dist>.
apt_setup() {
	local dist=$1 d
	d=$(apt_dir "$dist")
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/empty" "$d/state"
	: >>"$d/status"
	local sb="[signed-by=$KEYRING]"
	case $dist in
	bookworm)
		cat >"$d/sources.list" <<-EOF
			deb $sb $MIRROR bookworm main
			deb $sb $MIRROR bookworm-updates main
			deb $sb $MIRROR bookworm-backports main
			deb $sb $SEC_MIRROR bookworm-security main
		EOF
		;;
	trixie)
		cat >"$d/sources.list" <<-EOF
			deb $sb $MIRROR trixie-backports main
		EOF
		;;
	trixie-qemu)	# qemu11: trixie-backports' QEMU and its closure
		cat >"$d/sources.list" <<-EOF
			deb $sb $MIRROR trixie main
			deb $sb $MIRROR trixie-updates main
			deb $sb $MIRROR trixie-backports main
			deb $sb $SEC_MIRROR trixie-security main
		EOF
		;;
	*) die "unknown distribution $dist" ;;
	esac
	# Settings from /etc/apt/apt.conf.d (e.g. proxies) still apply; every
	# path apt reads or writes is redirected here.
	cat >"$d/apt.conf" <<-EOF
		Dir::Etc::SourceList "$d/sources.list";
		Dir::Etc::SourceParts "$d/empty";
		Dir::Etc::Preferences "$d/empty/none";
		Dir::Etc::PreferencesParts "$d/empty";
		Dir::State "$d/state";
		Dir::State::Lists "$d/lists";
		Dir::State::status "$d/status";
		Dir::Cache "$d/cache";
		Dir::Cache::archives "$d/cache/archives";
		Dir::Cache::pkgcache "";
		Dir::Cache::srcpkgcache "";
		APT::Architecture "amd64";
		#clear APT::Architectures;
		APT::Architectures { "amd64"; };
		Acquire::Languages "none";
		APT::Sandbox::User "$(id -un)";
		#clear APT::Update::Post-Invoke-Success;
		#clear APT::Update::Post-Invoke;
	EOF
}

papt_get() { local d; d=$(apt_dir "$1"); shift; apt-get -c "$d/apt.conf" "$@"; }
papt_cache() { local d; d=$(apt_dir "$1"); shift; apt-cache -c "$d/apt.conf" "$@"; }

# apt_update <dist>: refresh the private lists (once per fetch that needs it).
apt_update() {
	local dist=$1 d
	d=$(apt_dir "$dist")
	apt_setup "$dist"
	msg "updating private $dist package lists"
	papt_get "$dist" -q update >"$d/update.log" 2>&1 ||
		{ tail -n 20 "$d/update.log" >&2; die "apt-get update ($dist) failed"; }
}

# pkgver <dist> <pkg>: candidate version, empty if unknown.
pkgver() {
	papt_cache "$1" show --no-all-versions "$2" 2>/dev/null |
		sed -n 's/^Version: //p' | head -n 1
}

# matching <dist> <regex>: package names matching <regex>, sorted (sort -V)
# so that the choice depends only on the lists' contents.
matching() { papt_cache "$1" pkgnames | grep -E "$2" | sort -V || true; }

# ---------------------------------------------------------------------------
# Resolution: set PKGS (name=version ...), KVER, DIST for a tag.

# base_tag <tag>: the kernel version of a tag (7.3-rt -> 7.3)
base_tag() { echo "${1%-rt}"; }

resolve() {
	local tag=$1 abi cand img hdr com kb v flav=amd64 crt=''
	PKGS=()
	# The rt flavour: -rt-amd64 packages; 6.x split their common headers
	case $tag in *-rt) flav=rt-amd64 crt=-rt ;; esac
	case $(base_tag "$tag") in
	6.1 | 6.12)
		DIST=bookworm
		if [ "$(base_tag "$tag")" = 6.1 ]; then
			cand=$(matching bookworm "^linux-image-6\\.1\\.0-[0-9]+-$flav\$")
		else
			cand=$(matching bookworm "^linux-image-6\\.12\\.[0-9]+\\+deb12(\\.[0-9]+)?-$flav\$")
		fi
		# Newest ABI that has an image, headers, common headers and kbuild.
		for img in $(printf '%s\n' "$cand" | tac); do
			abi=${img#linux-image-}
			abi=${abi%-"$flav"}
			hdr=linux-headers-$abi-$flav
			com=linux-headers-$abi-common$crt
			if [ "$(base_tag "$tag")" = 6.1 ]; then kb=linux-kbuild-6.1; else kb=linux-kbuild-$abi; fi
			v=$(pkgver bookworm "$hdr")
			[ -n "$v" ] || continue
			[ "$(pkgver bookworm "$com")" = "$v" ] || continue
			# kbuild comes from the same source upload as the headers.
			papt_cache bookworm show "$kb=$v" >/dev/null 2>&1 || continue
			KVER=$abi-$flav
			PKGS=("$img=$(pkgver bookworm "$img")" "$hdr=$v" "$com=$v" "$kb=$v")
			return 0
		done
		;;
	7.3)
		DIST=trixie
		# linux-binary-<abi>-amd64 has vmlinuz, linux-modules-<abi>-amd64
		# the modules; the headers split as for older kernels.
		cand=$(matching trixie "^linux-binary-7\\.3\\.[0-9]+\\+[a-z0-9.~+]*-$flav\$")
		for img in $(printf '%s\n' "$cand" | tac); do
			abi=${img#linux-binary-}
			abi=${abi%-"$flav"}
			v=$(pkgver trixie "$img")
			local mods=linux-modules-$abi-$flav
			hdr=linux-headers-$abi-$flav
			com=linux-headers-$abi-common
			kb=
			for kb in "linux-kbuild-$abi" linux-kbuild-7.3; do
				papt_cache trixie show "$kb=$v" >/dev/null 2>&1 && break
				kb=
			done
			[ -n "$kb" ] || continue
			[ "$(pkgver trixie "$mods")" = "$v" ] || continue
			[ "$(pkgver trixie "$hdr")" = "$v" ] || continue
			[ "$(pkgver trixie "$com")" = "$v" ] || continue
			KVER=$abi-$flav
			PKGS=("$img=$v" "$mods=$v" "$hdr=$v" "$com=$v" "$kb=$v")
			# linux-base-<abi> has the config and System.map, if it exists.
			[ "$(pkgver trixie "linux-base-$abi-$flav")" != "$v" ] ||
				PKGS+=("linux-base-$abi-$flav=$v")
			return 0
		done
		;;
	*) die "unknown kernel tag '$tag' (6.1, 6.12, 7.3, each with -rt)" ;;
	esac
	die "no complete kernel package set found for $tag"
}

# ---------------------------------------------------------------------------
# trixie root for 7.3 builds (debootstrap, cached by a stamp).

trixie_ok() {
	[ "$(cat "$TRIXIE_ROOT.stamp" 2>/dev/null)" = "$TRIXIE_PKGS" ] &&
		[ "$(cat "$TRIXIE_ROOT/.kbuild.stamp" 2>/dev/null)" = "$TRIXIE_KBUILD_PKGS" ]
}

trixie_root() {
	local stamp=$TRIXIE_ROOT.stamp
	trixie_ok && return 0
	[ "$(id -u)" = 0 ] || die "building the trixie root needs root"
	command -v debootstrap >/dev/null || die "debootstrap is not installed"
	msg "debootstrapping trixie into $TRIXIE_ROOT (about a minute)"
	# not under a module build (build_chroot)
	exec 8>"$TRIXIE_ROOT.build.lock"
	flock 8
	rm -rf "$TRIXIE_ROOT" "$stamp"
	mkdir -p "$(dirname "$TRIXIE_ROOT")"
	local t0=$SECONDS log=$TRIXIE_ROOT.log
	if ! debootstrap --variant=minbase --keyring="$KEYRING" \
		--include="$TRIXIE_PKGS,$TRIXIE_KBUILD_PKGS" trixie "$TRIXIE_ROOT" "$MIRROR" >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		die "debootstrap failed (log: $log)"
	fi
	rm -rf "$TRIXIE_ROOT/var/cache/apt/archives/"*.deb
	echo "$TRIXIE_KBUILD_PKGS" >"$TRIXIE_ROOT/.kbuild.stamp"
	echo "$TRIXIE_PKGS" >"$stamp"
	exec 8>&-
	msg "trixie root ready in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------------------
# fetch

kdir_of() { echo "$PVP_CACHE/k/$1"; }

# fetch_cached <tag> <kdir> [repair]: print the env file if the tag is
# fetched; with "repair", (re)build the trixie root and its headers.
fetch_cached() {
	local tag=$1 k=$2
	[ -f "$k/.stamp" ] && [ -f "$k/env" ] || return 1
	case $tag in
	7.3*)
		if [ -n "${3:-}" ]; then trixie_root; else trixie_ok || return 1; fi
		if [ ! -f "$(sed -n 's/^KDIR=//p' "$k/env")/Makefile" ]; then
			[ -n "${3:-}" ] || return 1
			install_headers_in_root "$k/root"
		fi
		;;
	esac
	echo "$k/env"
}

fetch() {
	local tag=$1 k
	k=$(kdir_of "$tag")
	case $tag in
	6.1 | 6.12 | 7.3 | 6.1-rt | 6.12-rt | 7.3-rt) ;;
	7.3-iommufd) fetch_built "$tag" "$k"; return ;;
	*) die "unknown kernel tag '$tag' (6.1, 6.12, 7.3, each with -rt, or 7.3-iommufd)" ;;
	esac
	fetch_cached "$tag" "$k" && return 0
	# One fetch at a time (they share apt lists and the trixie root).
	mkdir -p "$k"
	exec 9>"$PVP_CACHE/.fetch.lock"
	flock 9
	fetch_cached "$tag" "$k" repair && return 0
	local t0=$SECONDS
	resolve_fresh "$tag"
	msg "$tag: $KVER from ${PKGS[*]}"

	rm -rf "$k/debs" "$k/root" "$k/root.tmp" "$k/env"
	mkdir -p "$k/debs" "$k/root.tmp"
	(cd "$k/debs" && papt_get "$DIST" -q download "${PKGS[@]}") >"$k/download.log" 2>&1 ||
		{ tail -n 20 "$k/download.log" >&2; die "apt-get download failed"; }
	local deb
	for deb in "$k"/debs/*.deb; do
		dpkg -x "$deb" "$k/root.tmp"
	done

	if [ "$(base_tag "$tag")" = 7.3 ]; then
		trixie_root
		install_headers_in_root "$k/root.tmp"
	fi
	mv "$k/root.tmp" "$k/root"
	fix_headers "$k/root"
	write_env "$tag" "$k"
	rm -rf "$k/debs"
	printf '%s\n' "${PKGS[@]}" >"$k/.stamp"
	msg "$tag: fetched in $((SECONDS - t0)) s"
	echo "$k/env"
}

# unpack <package>: bookworm's <package> (its candidate version, no
# dependencies) unpacked into $PVP_CACHE/pkgs/<package>/root, once.
unpack() {
	local p=$1 d=$PVP_CACHE/pkgs/$1
	[[ $p =~ ^[a-z0-9][a-z0-9.+-]+$ ]] || die "bad package name '$p'"
	if [ ! -f "$d/.stamp" ]; then
		exec 9>"$PVP_CACHE/.fetch.lock"
		flock 9
	fi
	if [ ! -f "$d/.stamp" ]; then
		apt_update bookworm
		rm -rf "$d"
		mkdir -p "$d/debs" "$d/root"
		(cd "$d/debs" && papt_get bookworm -q download "$p") >"$d/download.log" 2>&1 ||
			{ tail -n 20 "$d/download.log" >&2; die "apt-get download $p failed"; }
		dpkg -x "$d"/debs/*.deb "$d/root"
		(cd "$d/debs" && ls) >"$d/.stamp"
		rm -rf "$d/debs"
		msg "unpacked $(cat "$d/.stamp") into $d/root"
	fi
	echo "$d/root"
}

# unpack-closure <package>...: bookworm-backports' <packages> (-t
# bookworm-backports: the backports' version where there is one, bookworm's
# for the rest) and their whole dependency closure (Depends and
# Pre-Depends, no Recommends), as the private apt state, which has nothing
# installed, resolves it; downloaded and unpacked into one tree,
# $PVP_CACHE/pkgs/<first package>+/root (nothing is installed anywhere).
# Made once (the stamp lists the request, then the packages; remove the
# directory to refresh it); prints the tree's path.  For tools with many
# libraries the host does not have (libvirt, cases/libvirt.sh).
unpack_closure() {
	local p d=$PVP_CACHE/pkgs/$1+ deb arch
	for p in "$@"; do
		[[ $p =~ ^[a-z0-9][a-z0-9.+-]+$ ]] || die "bad package name '$p'"
	done
	if [ "$(head -n 1 "$d/.stamp" 2>/dev/null)" != "$*" ]; then
		exec 9>"$PVP_CACHE/.fetch.lock"
		flock 9
	fi
	if [ "$(head -n 1 "$d/.stamp" 2>/dev/null)" != "$*" ]; then
		local t0=$SECONDS
		apt_update bookworm
		rm -rf "$d"
		mkdir -p "$d/debs" "$d/root.tmp"
		arch=$(apt_dir bookworm)/cache/archives
		rm -f "$arch"/*.deb
		papt_get bookworm -q -y -t bookworm-backports --no-install-recommends \
			install --download-only "$@" >"$d/download.log" 2>&1 ||
			{ tail -n 20 "$d/download.log" >&2; die "apt-get install --download-only $* failed"; }
		mv "$arch"/*.deb "$d/debs/"
		for deb in "$d"/debs/*.deb; do
			dpkg -x "$deb" "$d/root.tmp"
		done
		mv "$d/root.tmp" "$d/root"
		{ echo "$*"; (cd "$d/debs" && ls); } >"$d/.stamp"
		rm -rf "$d/debs"
		msg "unpack-closure: $* and $(($(wc -l <"$d/.stamp") - 1 - $#)) more packages, $(du -sh "$d/root" | cut -f1) in $d/root ($((SECONDS - t0)) s)"
	fi
	echo "$d/root"
}

# ---------------------------------------------------------------------------
# qemu11: trixie-backports' QEMU 11 for the e2e guest (cases/qemu11.sh),
# which bookworm cannot install (trixie's glibc).  Its packages and their
# whole dependency closure are downloaded with a private apt state that
# has nothing installed, unpacked (nothing is installed anywhere, the
# trixie root is not touched), and the binary, the firmware a q35 machine
# loads and every library the binary links (trixie's ld.so and libc among
# them) copied into $PVP_CACHE/qemu11/tree: bin/qemu-system-x86_64 (a
# wrapper that runs the binary through the tree's ld.so and library path,
# with -L at the tree's firmware), libexec/, lib/, lib64/, share/qemu/.
# It runs from wherever it is copied to, beside any other glibc.  Made
# once (the stamp lists the packages; remove $PVP_CACHE/qemu11 to refresh
# it); prints the tree's path.

# Firmware: SeaBIOS and the option ROMs a q35 machine with -nodefaults
# and -kernel loads (VFIO devices get rombar=0, no NIC ROM is needed).
QEMU11_FW="bios-256k.bin kvmvapic.bin pvh.bin linuxboot_dma.bin"

qemu11() {
	local d=$PVP_CACHE/qemu11 x t v deb lib ldso lp f
	if [ ! -f "$d/.stamp" ]; then
		exec 9>"$PVP_CACHE/.fetch.lock"
		flock 9
	fi
	if [ -f "$d/.stamp" ]; then
		echo "$d/tree"
		return 0
	fi
	local t0=$SECONDS
	apt_update trixie-qemu
	rm -rf "$d"
	mkdir -p "$d/debs"
	x=$d/x t=$d/tree.tmp
	# Nothing is installed in the private state: the download is the
	# whole closure.  -t: the backports' QEMU (and what it needs from there).
	rm -f "$(apt_dir trixie-qemu)"/cache/archives/*.deb
	papt_get trixie-qemu -q -y -t trixie-backports --no-install-recommends \
		install --download-only qemu-system-x86 seabios >"$d/download.log" 2>&1 ||
		{ tail -n 20 "$d/download.log" >&2; die "apt-get install --download-only qemu-system-x86 failed"; }
	mv "$(apt_dir trixie-qemu)"/cache/archives/*.deb "$d/debs/"
	v=$(dpkg-deb -f "$d"/debs/qemu-system-x86_*.deb Version)
	case $v in *:11.* | 11.*) ;; *) die "trixie-backports has qemu-system-x86 $v, not 11" ;; esac
	msg "qemu11: qemu-system-x86 $v and $(($(find "$d/debs" -name '*.deb' | wc -l) - 1)) more packages"
	for deb in "$d"/debs/*.deb; do
		dpkg -x "$deb" "$x"
	done
	mkdir -p "$t/bin" "$t/libexec" "$t/lib" "$t/lib64" "$t/share/qemu"
	cp "$x/usr/bin/qemu-system-x86_64" "$t/libexec/"
	for ldso in "$x/usr/lib64/ld-linux-x86-64.so.2" "$x/lib64/ld-linux-x86-64.so.2" ""; do
		[ -z "$ldso" ] || [ -e "$ldso" ] && break
	done
	[ -n "$ldso" ] || die "qemu11: no ld-linux-x86-64.so.2 in the packages"
	lp=$x/usr/lib/x86_64-linux-gnu:$x/lib/x86_64-linux-gnu
	# the libraries as trixie's ld.so resolves them in the unpacked tree
	"$ldso" --library-path "$lp" --list "$t/libexec/qemu-system-x86_64" >"$d/ldd" 2>&1 ||
		{ cat "$d/ldd" >&2; die "qemu11: ld.so --list failed"; }
	! grep 'not found' "$d/ldd" >&2 || die "qemu11: libraries missing from the packages"
	while read -r lib; do
		case $lib in "$x"/*) ;; *) die "qemu11: $lib resolved outside the packages" ;; esac
		cp -L "$lib" "$t/lib/"
	done < <(awk '$2 == "=>" && $3 ~ /^\// && $1 !~ /ld-linux/ { print $3 }' "$d/ldd")
	cp -L "$ldso" "$t/lib64/ld-linux-x86-64.so.2"
	for f in $QEMU11_FW; do
		# Debian's QEMU looks in seabios' directory too (--firmwarepath)
		lib=$x/usr/share/qemu/$f
		[ -e "$lib" ] || [ -L "$lib" ] || lib=$x/usr/share/seabios/$f
		while [ -L "$lib" ]; do
			case $(readlink "$lib") in
			/*) lib=$x$(readlink "$lib") ;;
			*) lib=$(dirname "$lib")/$(readlink "$lib") ;;
			esac
		done
		cp "$lib" "$t/share/qemu/$f" || die "qemu11: no $f in the packages"
	done
	cat >"$t/bin/qemu-system-x86_64" <<-'EOS'
		#!/bin/sh
		# trixie-backports' QEMU with its own ld.so, libraries and firmware
		p=$(cd "$(dirname "$0")/.." && pwd)
		exec "$p/lib64/ld-linux-x86-64.so.2" --library-path "$p/lib" \
			"$p/libexec/qemu-system-x86_64" -L "$p/share/qemu" "$@"
	EOS
	chmod +x "$t/bin/qemu-system-x86_64"
	"$t/bin/qemu-system-x86_64" -version >"$d/version" 2>&1 ||
		{ cat "$d/version" >&2; die "qemu11: the tree's QEMU does not start"; }
	mv "$t" "$d/tree"
	(cd "$d/debs" && ls) >"$d/.stamp"
	rm -rf "$x" "$d/debs"
	msg "qemu11: $(head -n 1 "$d/version"), $(du -sh "$d/tree" | cut -f1) in $d/tree ($((SECONDS - t0)) s)"
	echo "$d/tree"
}

# resolve_fresh <tag>: refresh the tag's private lists, then resolve.
resolve_fresh() {
	case $1 in 7.3*) apt_update trixie ;; *) apt_update bookworm ;; esac
	resolve "$1"
}

# Point the headers' absolute /usr/src paths into the unpacked tree.
fix_headers() {
	local root=$1 mk
	# "include /usr/src/...-common/Makefile"; 7.x also sets KBUILD_OUTPUT.
	for mk in "$root"/usr/src/linux-headers-*/Makefile; do
		[ -f "$mk" ] || continue
		sed -E -i "s#^(include |KBUILD_OUTPUT=)/usr/src/#\1$root/usr/src/#" "$mk"
		! grep -q '/usr/src/' <(grep -v "$root" "$mk") ||
			die "unexpected absolute path left in $mk"
	done
	# lib/modules/<kver>/{build,source} are absolute links to /usr/src up
	# to 6.12, relative ones (fine as they are) from 7.x.
	local l t
	for l in "$root"/lib/modules/*/build "$root"/lib/modules/*/source \
		"$root"/usr/lib/modules/*/build "$root"/usr/lib/modules/*/source; do
		[ -L "$l" ] || continue
		t=$(readlink "$l")
		case $t in /*) ln -sfn "$root$t" "$l" ;; esac
	done
}

# 7.3: copy the headers into the trixie root so its tools run there.
install_headers_in_root() {
	local root=$1 d
	mkdir -p "$TRIXIE_ROOT/usr/src" "$TRIXIE_ROOT/usr/lib"
	for d in "$root"/usr/src/linux-headers-*; do
		[ -d "$d" ] || continue
		rm -rf "$TRIXIE_ROOT/usr/src/${d##*/}"
		cp -a "$d" "$TRIXIE_ROOT/usr/src/"
		# A copy of headers fix_headers() pointed at $root (the repair
		# path of fetch_cached) must point at the root's own /usr/src.
		[ ! -f "$TRIXIE_ROOT/usr/src/${d##*/}/Makefile" ] ||
			sed -i "s#$root/usr/src/#/usr/src/#g" "$TRIXIE_ROOT/usr/src/${d##*/}/Makefile"
	done
	for d in "$root"/usr/lib/linux-kbuild-*; do
		[ -d "$d" ] || continue	# none in a kernel built here
		rm -rf "$TRIXIE_ROOT/usr/lib/${d##*/}"
		cp -a "$d" "$TRIXIE_ROOT/usr/lib/"
	done
}

write_env() {
	local tag=$1 k=$2 root=$2/root modroot vmlinuz kconfig kdir chroot='' chroot_kdir=''
	if [ -d "$root/lib/modules/$KVER" ] && [ ! -L "$root/lib" ]; then
		modroot=$root
	elif [ -d "$root/usr/lib/modules/$KVER" ]; then
		modroot=$root/usr
	else
		die "no lib/modules/$KVER in the unpacked packages"
	fi
	for vmlinuz in "$root/boot/vmlinuz-$KVER" "$modroot/lib/modules/$KVER/vmlinuz" ""; do
		[ -z "$vmlinuz" ] || [ -f "$vmlinuz" ] && break
	done
	[ -n "$vmlinuz" ] || die "no vmlinuz for $KVER"
	for kconfig in "$root/boot/config-$KVER" "$modroot/lib/modules/$KVER/config" \
		"$root/usr/src/linux-headers-$KVER/.config" ""; do
		[ -z "$kconfig" ] || [ -f "$kconfig" ] && break
	done
	[ -n "$kconfig" ] || die "no kernel config for $KVER"
	kdir=$root/usr/src/linux-headers-$KVER
	[ -f "$kdir/Makefile" ] || die "no headers at $kdir"
	case $tag in
	7.3*)
		chroot=$TRIXIE_ROOT
		chroot_kdir=/usr/src/linux-headers-$KVER
		kdir=$TRIXIE_ROOT$chroot_kdir
		;;
	esac
	cat >"$k/env.tmp" <<-EOF
		# Generated by scripts/kernels.sh fetch $tag
		KVER=$KVER
		KDIR=$kdir
		VMLINUZ=$vmlinuz
		MODROOT=$modroot
		CHROOT=$chroot
		CHROOT_KDIR=$chroot_kdir
		KCONFIG=$kconfig
	EOF
	mv "$k/env.tmp" "$k/env"
}

# ---------------------------------------------------------------------------
# 7.3-iommufd: Debian's 7.3 rebuilt from linux-source-7.3 with the 7.3
# tag's config plus iommufd and the VFIO device cdev (no Debian kernel has
# them), built in the trixie root and cached by a stamp of the source
# version and a hash of the base config and the two lists below.

# Modules the e2e guest loads (tests/e2e/run.sh STOCK_MODS) and their
# dependencies (modinfo on 7.3): "make localmodconfig" drops every other
# module.  The guest's other needs (intel-iommu, the 8250 console, devtmpfs,
# tracefs) are built into Debian's kernel, which localmodconfig keeps.
BUILT_LSMOD=(vfio vfio_iommu_type1 irqbypass vfio_pci_core vfio_pci iommufd
	igb dca i2c_algo_bit igbvf nvme nvme_core nvme_auth nvme_keyring pci_pf_stub)
# scripts/config arguments, applied before and after localmodconfig, and
# checked in the final config.
BUILT_CONFIG=(
	# What the tag is for: /dev/iommu and /dev/vfio/devices/vfioN beside
	# the type1 container (/dev/vfio/vfio).  iommufd is a module, as in
	# RHEL's and Fedora's kernels.  IOMMUFD_VFIO_CONTAINER (iommufd serving
	# /dev/vfio/vfio itself) depends on !VFIO_CONTAINER: it replaces
	# vfio_iommu_type1, so it stays off.
	--module IOMMUFD --enable VFIO_DEVICE_CDEV
	--enable VFIO_CONTAINER --module VFIO_IOMMU_TYPE1
	--disable IOMMUFD_VFIO_CONTAINER
	# KVER <version>-iommufd
	--set-str LOCALVERSION -iommufd --disable LOCALVERSION_AUTO
	# Build time only: no debug info, the largest cost after the module
	# count, and BTF (a pahole pass per object) goes with it.
	--disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT --enable DEBUG_INFO_NONE
	# No module signing key (no openssl CLI needed, nothing signed):
	# MODULE_SIG itself stays, as SECURITY_LOCKDOWN_LSM selects it, so an
	# unsigned module loads with taint E as on Debian's 7.3 (no
	# MODULE_SIG_FORCE, no lockdown).
	--disable MODULE_SIG_ALL --set-str MODULE_SIG_KEY ""
	# Built-in parts the e2e guest cannot use, about a fifth of the
	# objects left after localmodconfig.  The guest is QEMU/TCG q35 booted
	# with -kernel by SeaBIOS (no UEFI), on neither Xen nor Hyper-V, with
	# no confidential computing (TDX, SEV) or SGX, no TPM or CXL device,
	# no network (IPv6, MPTCP), no BPF user, no LSM policy in its
	# initramfs, a serial console (no framebuffer), no FUSE or DAMON user.
	--disable EFI --disable XEN --disable HYPERV
	--disable INTEL_TDX_GUEST --disable AMD_MEM_ENCRYPT --disable X86_SGX
	--disable TCG_TPM --disable CXL_BUS --disable IPV6 --disable MPTCP
	--disable BPF_SYSCALL --disable SECURITY_SELINUX --disable SECURITY_APPARMOR
	--disable SECURITY_TOMOYO --disable SECURITY_LANDLOCK --disable SECURITY_IPE
	--disable IMA --disable EVM --disable FB --disable FUSE_FS --disable DAMON
)
# Where the trixie root sees the source (read-only) and $PVP_CACHE/k/<tag>.
BUILT_SRC=/pvp/src
BUILT_K=/pvp/k

# kernel_source <ver> <debver>: Debian's linux-source-<ver> at <debver>
# unpacked once into $PVP_CACHE/src/linux-source-<ver>_<debver>; prints it.
kernel_source() {
	local p=linux-source-$1 v=$2 d tmp
	d=$PVP_CACHE/src/${p}_${v//[~:]/_}
	if [ ! -d "$d" ]; then
		tmp=$PVP_CACHE/src/.tmp-$p
		rm -rf "$tmp"
		mkdir -p "$tmp/debs"
		(cd "$tmp/debs" && papt_get trixie -q download "$p=$v") >"$tmp/download.log" 2>&1 ||
			{ tail -n 20 "$tmp/download.log" >&2; die "apt-get download $p=$v failed"; }
		if ! { dpkg -x "$tmp"/debs/*.deb "$tmp/deb" &&
			tar -C "$tmp" -xf "$tmp/deb/usr/src/$p.tar.xz" && mv "$tmp/$p" "$d"; }; then
			die "unpacking $p failed"
		fi
		rm -rf "$tmp"
	fi
	echo "$d"
}

# built_run <src> <k> <command...>: <command> in the trixie root, with
# <src> at $BUILT_SRC, <k> at $BUILT_K and /proc mounted in a private mount
# namespace (nothing stays mounted).
built_run() {
	local src=$1 k=$2
	shift 2
	mkdir -p "$TRIXIE_ROOT$BUILT_SRC" "$TRIXIE_ROOT$BUILT_K"
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare --mount --propagation private -- /bin/sh -c '
		r=$1 && mount -t proc proc "$r/proc" &&
		mount --bind "$2" "$r$4" && mount -o remount,bind,ro "$r$4" &&
		mount --bind "$3" "$r$5" && shift 5 && exec chroot "$r" "$@"' \
		sh "$TRIXIE_ROOT" "$src" "$k" "$BUILT_SRC" "$BUILT_K" \
		/usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LANG=C.UTF-8 CCACHE_DIR="$BUILT_K/ccache" "$@"
}

# config_check <.config>: every BUILT_CONFIG setting took (olddefconfig
# drops what its dependencies do not allow).
config_check() {
	local f=$1 i=0 o n want
	while [ $i -lt ${#BUILT_CONFIG[@]} ]; do
		o=${BUILT_CONFIG[$i]} n=CONFIG_${BUILT_CONFIG[$((i + 1))]}
		i=$((i + 2))
		case $o in
		--enable) want="$n=y" ;;
		--module) want="$n=m" ;;
		--set-str) want="$n=\"${BUILT_CONFIG[$i]}\"" i=$((i + 1)) ;;
		--disable)
			! grep -q "^$n=" "$f" || die "$n is still set in $f"
			continue
			;;
		*) die "config_check: unknown option $o" ;;
		esac
		grep -qxF "$want" "$f" || die "$want did not take in $f"
	done
}

# fetch_built <tag> <kdir>: print the env file, building the kernel first
# unless the stamp matches.
fetch_built() {
	local tag=$1 k=$2 base kconfig key
	# The base config is the 7.3 tag's (fetched under its own lock).
	base=$(fetch 7.3) || die "$tag needs 7.3"
	kconfig=$(sed -n 's/^KCONFIG=//p' "$base")
	[ -f "$kconfig" ] || die "no 7.3 config ($base)"
	key=$({ printf '%s\n' "${BUILT_CONFIG[@]}" "${BUILT_LSMOD[@]}"; cat "$kconfig"; } |
		sha256sum | cut -d' ' -f1)
	built_cached "$tag" "$k" "$key" && return 0
	mkdir -p "$k"
	# One build of <tag> at a time, under a lock of its own: other fetches
	# go on meanwhile (tests/e2e/run.sh builds it in the background while
	# other kernels boot).  .fetch.lock is held only around what the
	# fetches share: apt's lists, the source tree, the trixie root.
	exec 7>"$k.build.lock"
	flock 7
	exec 9>"$PVP_CACHE/.fetch.lock"
	flock 9
	built_cached "$tag" "$k" "$key" repair && return 0
	local t0=$SECONDS v src b=$k/build log=$k/build.log
	trixie_root
	apt_update trixie
	# Same upload as the 7.3 tag if the archive still has it.
	v=$(sed -n 's/^linux-binary-[^=]*=//p' "$(kdir_of 7.3)/.stamp")
	if [ -z "$v" ] || ! papt_cache trixie show "linux-source-7.3=$v" >/dev/null 2>&1; then
		v=$(pkgver trixie linux-source-7.3)
		[ -n "$v" ] || die "no linux-source-7.3 in trixie-backports"
		msg "$tag: using linux-source-7.3 $v, not the 7.3 tag's version"
	fi
	src=$(kernel_source 7.3 "$v") || exit 1
	exec 9>&-
	msg "$tag: building from $src (linux-source-7.3 $v), log: $log"

	# A build tree of another key is not reused.
	[ "$(cat "$b/.pvp-key" 2>/dev/null)" = "$key" ] || rm -rf "$b"
	rm -rf "$k/root" "$k/root.tmp" "$k/env" "$k/.stamp"
	mkdir -p "$b" "$k/root.tmp/boot"
	echo "$key" >"$b/.pvp-key"
	local mk=(make -C "$BUILT_SRC" O="$BUILT_K/build" LOCALVERSION= -j2)
	if [ -x "$TRIXIE_ROOT/usr/bin/ccache" ]; then
		mk+=(CC="ccache gcc" HOSTCC="ccache gcc")
	fi
	: >"$log"
	cp "$kconfig" "$b/.config" || die "cannot copy $kconfig"
	{ echo 'Module Size Used by'; printf '%s 0 0\n' "${BUILT_LSMOD[@]}"; } >"$k/lsmod"
	"$src/scripts/config" --file "$b/.config" "${BUILT_CONFIG[@]}" || die "scripts/config failed"
	built_step "${mk[@]}" olddefconfig
	built_step "${mk[@]}" localmodconfig LSMOD="$BUILT_K/lsmod"
	"$src/scripts/config" --file "$b/.config" "${BUILT_CONFIG[@]}" || die "scripts/config failed"
	built_step "${mk[@]}" olddefconfig
	config_check "$b/.config"
	local tb=$SECONDS
	msg "$tag: building bzImage and modules (-j2; load now: $(cut -d' ' -f1-3 /proc/loadavg))"
	built_step nice -n "${PVP_BUILD_NICE:-0}" "${mk[@]}" bzImage modules
	msg "$tag: bzImage and modules built in $((SECONDS - tb)) s (load now: $(cut -d' ' -f1-3 /proc/loadavg))"
	built_step "${mk[@]}" modules_install INSTALL_MOD_PATH="$BUILT_K/root.tmp" INSTALL_MOD_STRIP=1
	KVER=$(cat "$b/include/config/kernel.release")
	case $KVER in *-iommufd) ;; *) die "unexpected kernel release '$KVER'" ;; esac
	# Headers for out-of-tree modules, the subset Debian's packages hold
	# (make bindeb-pkg's script); KDIR and CHROOT_KDIR point at the copy
	# install_headers_in_root puts into the root.
	local hdr=usr/src/linux-headers-$KVER
	# shellcheck disable=SC2016 # $(srctree) is make's
	built_step "${mk[@]}" run-command \
		KBUILD_RUN_COMMAND='$(srctree)/scripts/package/install-extmod-build '"$BUILT_K/root.tmp/$hdr"
	if ! { cp "$b/.config" "$k/root.tmp/$hdr/.config" &&
		cp "$b/arch/x86/boot/bzImage" "$k/root.tmp/boot/vmlinuz-$KVER" &&
		cp "$b/.config" "$k/root.tmp/boot/config-$KVER" &&
		cp "$b/System.map" "$k/root.tmp/boot/System.map-$KVER" &&
		rm -f "$k/root.tmp/lib/modules/$KVER/build" "$k/root.tmp/lib/modules/$KVER/source" &&
		ln -s "../../../$hdr" "$k/root.tmp/lib/modules/$KVER/build" &&
		mv "$k/root.tmp" "$k/root"; }; then
		die "$tag: installing into $k/root failed"
	fi
	exec 9>"$PVP_CACHE/.fetch.lock"
	flock 9
	install_headers_in_root "$k/root"
	write_env "$tag" "$k"
	printf '%s\n' "linux-source-7.3=$v" "config=$key" >"$k/.stamp"
	msg "$tag: $KVER built in $((SECONDS - t0)) s"
	echo "$k/env"
}

# built_step <command...>: one step of fetch_built (its tag, src, k and log)
# in the trixie root, output to the log.
built_step() {
	echo "# $*" >>"$log"
	built_run "$src" "$k" "$@" >>"$log" 2>&1 </dev/null ||
		{ tail -n 30 "$log" >&2; die "$tag: '$*' failed (log: $log)"; }
}

# built_cached <tag> <kdir> <key> [repair]: fetch_cached, for a stamp of <key>
built_cached() {
	[ "$(sed -n 's/^config=//p' "$2/.stamp" 2>/dev/null)" = "$3" ] || return 1
	fetch_cached "$1" "$2" ${4:+"$4"}
}

# ---------------------------------------------------------------------------
# build

# order_kos <dir> [prefix]: .ko paths, relative to <dir>, that kbuild's
# modules.order lists (6.1 lists /abs/x.ko, 6.12 /abs/x.o, 7.x x.o).
order_kos() {
	[ -f "$1/modules.order" ] || return 0
	sed -e "s|^${2:-$1}/||" -e 's|^\./||' -e 's|\.o$|.ko|' "$1/modules.order"
}

# build_mode <src>: "wrapper" when <src>/Makefile is a wrapper honouring KDIR=
# (it may run steps of its own, e.g. feature probes, before kbuild), else
# "kbuild".  PVP_BUILD_MODE overrides.
build_mode() {
	if [ -n "${PVP_BUILD_MODE:-}" ]; then
		echo "$PVP_BUILD_MODE"
	elif grep -qE '^[[:space:]]*KDIR[[:space:]]*[?:]?=' "$1/Makefile" 2>/dev/null; then
		echo wrapper
	else
		echo kbuild
	fi
}

# build [--strict] <tag> <src> [make args]: exit 1 if make failed, 3 if no
# .ko was produced, 4 if --strict and the log has warnings.
build() {
	local strict=0
	if [ "${1:-}" = --strict ]; then strict=1; shift; fi
	[ $# -ge 2 ] || usage
	local tag=$1 src
	src=$(cd "$2" && pwd)
	shift 2
	local envf log=$src/.build-$tag.log rc=0 ko KDIR='' CHROOT='' CHROOT_KDIR='' KVER=''
	envf=$(fetch "$tag")
	# shellcheck source=/dev/null
	. "$envf"
	# Make variables from a calling make (make matrix) must not leak in.
	unset MAKEFLAGS MAKELEVEL MFLAGS MAKEOVERRIDES
	# A .ko left by another kernel's build would not be relinked: drop it.
	{ order_kos "$src"; find "$src" -maxdepth 1 -name '*.ko' -printf '%f\n'; } |
		sort -u | while read -r ko; do
			case $ko in /* | *../*) ;; *) rm -f "${src:?}/$ko" ;; esac
		done
	: >"$log"
	local t0
	t0=$(mktemp)
	# shellcheck disable=SC2064 # t0 is fixed from here on
	trap "rm -f '$t0'" EXIT
	if [ -n "$CHROOT" ]; then
		build_chroot "$src" "$log" "$@" || rc=$?
	else
		local cmd
		if [ "$(build_mode "$src")" = wrapper ]; then
			cmd=(make -C "$src" KDIR="$KDIR" KVER="$KVER" W=1 "$@")
		else
			cmd=(make -C "$KDIR" M="$src" W=1 "$@")
		fi
		{
			echo "# ${cmd[*]}"
			"${cmd[@]}" 2>&1
		} >>"$log" 2>&1 || rc=$?
	fi
	if [ $rc -ne 0 ]; then
		tail -n 30 "$log" >&2
		msg "build $tag failed (exit $rc, log: $log)"
		return 1
	fi
	# Every module kbuild meant to link must be there and new.
	local kos=0 missing=0
	while read -r ko; do
		if [ -f "$src/$ko" ] && ! [ "$t0" -nt "$src/$ko" ]; then
			kos=$((kos + 1))
		else
			missing=$((missing + 1))
		fi
	done < <(if [ -n "$CHROOT" ]; then order_kos "$CHROOT/build/${src##*/}" "/build/${src##*/}"; else order_kos "$src"; fi)
	if [ $kos -eq 0 ] || [ $missing -ne 0 ]; then
		tail -n 30 "$log" >&2
		msg "build $tag produced no .ko ($missing missing; log: $log)"
		return 3
	fi
	if [ $strict = 1 ] && grep -qE 'warning:|^WARNING:' "$log"; then
		grep -E 'warning:|^WARNING:' "$log" | head -n 30 >&2
		msg "build $tag has warnings (log: $log)"
		return 4
	fi
	msg "build $tag ($KVER): $kos module(s), log: $log"
}

# Build a copy of <src> inside the trixie root; copy back the .ko files.
build_chroot() {
	local src=$1 log=$2 name
	shift 2
	[ "$(id -u)" = 0 ] || die "chroot builds need root"
	exec 8>"$CHROOT.build.lock"
	flock 8
	name=${src##*/}
	local cdir=/build/$name
	rm -rf "${CHROOT:?}$cdir"
	mkdir -p "$CHROOT$cdir"
	# Only sources: from git when <src> is a work tree (tracked and
	# untracked, not ignored), else everything but kbuild's outputs.
	if [ "$(git -C "$src" rev-parse --show-toplevel 2>/dev/null)" = "$src" ]; then
		git -C "$src" ls-files -z -co --exclude-standard |
			(cd "$src" && while IFS= read -r -d '' f; do
				[ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"
			done) | tar -C "$src" --null -T - -cf -
	else
		tar -C "$src" --exclude=.git --exclude='.build-*.log' --exclude='*.o' \
			--exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
			--exclude='.*.cmd' --exclude=Module.symvers --exclude=modules.order \
			-cf - .
	fi | tar -C "$CHROOT$cdir" -xf -
	local rc=0 cmd
	if [ "$(build_mode "$src")" = wrapper ]; then
		cmd=(make -C "$cdir" KDIR="$CHROOT_KDIR" KVER="$KVER" W=1 "$@")
	else
		cmd=(make -C "$CHROOT_KDIR" M="$cdir" W=1 "$@")
	fi
	{
		echo "# chroot $CHROOT ${cmd[*]}"
		# objtool reads /proc: mount it in a private mount namespace so
		# nothing stays mounted in the root afterwards.
		# shellcheck disable=SC2016 # expanded by the inner shell
		unshare --mount --propagation private -- /bin/sh -c \
			'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$CHROOT" \
			/usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			LANG=C.UTF-8 "${cmd[@]}" 2>&1
	} >>"$log" 2>&1 || rc=$?
	# Same relative paths; the copies belong to the caller, not the chroot.
	order_kos "$CHROOT$cdir" "$cdir" | while read -r ko; do
		[ ! -f "$CHROOT$cdir/$ko" ] || cp "$CHROOT$cdir/$ko" "$src/$ko"
	done
	return $rc
}

# ---------------------------------------------------------------------------

case ${1:-} in
fetch) [ $# -eq 2 ] || usage; fetch "$2" ;;
env) [ $# -eq 2 ] || usage; f=$(kdir_of "$2")/env; [ -f "$f" ] || die "run: $0 fetch $2"; echo "$f" ;;
build) shift; build "$@" ;;
unpack) [ $# -eq 2 ] || usage; unpack "$2" ;;
unpack-closure) [ $# -ge 2 ] || usage; shift; unpack_closure "$@" ;;
qemu11) [ $# -eq 1 ] || usage; qemu11 ;;
*) usage ;;
esac
