#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Style checks, one line per result:
#   PASS|FAIL style/checkpatch/<file>        src/ include/ kunit/
#   PASS|FAIL style/checkpatch-e2e/<file>    tests/e2e/ (helper-owned code)
#   PASS|FAIL style/sparse/6.1               the module, C=2 W=1, 6.1 headers
#   PASS|FAIL|SKIP style/sparse/kunit-um     kunit/ in the KUnit UML tree
#
#   scripts/style.sh [checkpatch] [sparse]      (default: both)
#
# checkpatch.pl --strict comes from Debian's linux-source-6.1, unpacked by
# scripts/kunit.sh (or, failing that, extracted on its own).  sparse builds
# a copy of the sources, so the checkout gets no objects; any warning or
# error, from sparse or from gcc's W=1, fails.
#
# Environment:
#   PVP_CACHE   cache root (default ${XDG_CACHE_HOME:-~/.cache}/pasid-vfio-pci)
#   KDIR        6.1 kernel build directory for sparse (default: Debian's
#               6.1 headers in the project cache, scripts/kernels.sh fetch
#               6.1; the host's headers are not used)
#   PVP_STYLE_E2E=0   skip tests/e2e
set -uo pipefail

PVP_CACHE=${PVP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pasid-vfio-pci}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC61=$PVP_CACHE/src/linux-source-6.1
WORK=$PVP_CACHE/style
rc=0

msg() { printf '%s\n' "style.sh: $*" >&2; }

# Indent a tool's output under its FAIL line
indent() { sed 's/^/    /'; }

# Source files of the checkout below the given directories, generated
# files left out
sources() {
	local f
	if git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$REPO" && git ls-files -co --exclude-standard -- "$@")
	else
		(cd "$REPO" && find "$@" -type f 2>/dev/null)
	fi | grep -E '\.[ch]$' | grep -v '\.mod\.c$' | sort -u |
		while read -r f; do
			[ -f "$REPO/$f" ] || continue
			head -n 3 "$REPO/$f" | grep -qi 'generated.*do not edit' && continue
			echo "$f"
		done
}

# ---------------------------------------------------------------------------
# checkpatch

find_checkpatch() {
	local dir=$WORK/checkpatch-6.1 tarball=/usr/src/linux-source-6.1.tar.xz

	if [ -f "$SRC61/scripts/checkpatch.pl" ]; then
		echo "$SRC61/scripts/checkpatch.pl"
		return
	fi
	if [ ! -f "$dir/scripts/checkpatch.pl" ]; then
		if [ ! -f "$tarball" ]; then
			[ "$(id -u)" = 0 ] || return 1
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				--no-install-recommends linux-source-6.1 >&2 || return 1
		fi
		msg "extracting checkpatch.pl from $tarball"
		mkdir -p "$dir"
		tar -C "$dir" --strip-components=1 -xf "$tarball" \
			linux-source-6.1/scripts/checkpatch.pl \
			linux-source-6.1/scripts/spelling.txt \
			linux-source-6.1/scripts/const_structs.checkpatch || return 1
	fi
	echo "$dir/scripts/checkpatch.pl"
}

# checkpatch_files <label> <files...>
checkpatch_files() {
	local label=$1 cp f out ignore
	shift
	cp=$(find_checkpatch) || {
		echo "FAIL style/$label: no checkpatch.pl (linux-source-6.1)"
		rc=1
		return
	}
	for f in "$@"; do
		# Userspace programs (tests/e2e) have no kernel types or macros
		ignore=()
		grep -q '^#include <linux/module.h>' "$REPO/$f" ||
		[[ $f != tests/* ]] ||
			ignore=(--ignore "PREFER_KERNEL_TYPES,PREFER_DEFINED_ATTRIBUTE_MACRO")
		out=$(cd "$REPO" && perl "$cp" --strict --no-tree --no-color \
			--show-types "${ignore[@]}" -f "$f" 2>&1)
		if grep -q '^total: 0 errors, 0 warnings, 0 checks' <<<"$out"; then
			echo "PASS style/$label/$f"
		else
			echo "FAIL style/$label/$f: $(grep '^total:' <<<"$out")"
			grep -v '^total:\|^NOTE:\|^$' <<<"$out" | indent
			rc=1
		fi
	done
}

run_checkpatch() {
	local files

	mapfile -t files < <(sources src include kunit)
	if [ ${#files[@]} = 0 ]; then
		echo "FAIL style/checkpatch: no source files found"
		rc=1
	else
		checkpatch_files checkpatch "${files[@]}"
	fi
	[ "${PVP_STYLE_E2E:-1}" = 0 ] && return
	mapfile -t files < <(sources tests/e2e)
	[ ${#files[@]} = 0 ] || checkpatch_files checkpatch-e2e "${files[@]}"
}

# ---------------------------------------------------------------------------
# sparse

find_kdir() {
	local envf d

	if [ -n "${KDIR:-}" ]; then
		echo "$KDIR"
		return
	fi
	# Fetched once (the build matrix fetches it too), then cached.
	envf=$("$REPO/scripts/kernels.sh" fetch 6.1) && [ -f "$envf" ] || return 1
	d=$(sed -n 's/^KDIR=//p' "$envf")
	[ -n "$d" ] && [ -f "$d/Makefile" ] || return 1
	echo "$d"
}

# Count warnings and errors in a build log; print them
diagnostics() {
	grep -E '(^|[^a-z])(warning|error):' "$1" |
		grep -v '^make\(\[[0-9]*\]\)\?: \*\*\*' || true
}

run_sparse_module() {
	local kdir copy=$WORK/sparse-6.1 log=$WORK/sparse-6.1.log diags

	command -v sparse >/dev/null || {
		echo "FAIL style/sparse/6.1: sparse is not installed"
		rc=1
		return
	}
	kdir=$(find_kdir) || {
		echo "FAIL style/sparse/6.1: no 6.1 kernel headers (scripts/kernels.sh fetch 6.1 failed; or set KDIR)"
		rc=1
		return
	}
	# Build a copy: the checkout stays clean and other builds in it are
	# not disturbed.
	rm -rf "$copy"
	mkdir -p "$copy"
	if git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$REPO" && git ls-files -co --exclude-standard -- \
			Makefile Kbuild src include scripts) |
			(cd "$REPO" && tar -cf - -T -) | tar -C "$copy" -xf -
	else
		(cd "$REPO" && tar -cf - --exclude='*.o' --exclude='.*.cmd' \
			Makefile Kbuild src include scripts) | tar -C "$copy" -xf -
	fi
	msg "sparse: $kdir"
	if [ -f "$copy/Makefile" ]; then
		make -C "$copy" KDIR="$kdir" C=2 W=1 >"$log" 2>&1
	else
		make -C "$kdir" M="$copy" C=2 W=1 modules >"$log" 2>&1
	fi
	local mrc=$?
	diags=$(diagnostics "$log" | sed "s|$copy/||g")
	if [ "$mrc" = 0 ] && [ -z "$diags" ]; then
		if grep -q 'CHECK' "$log"; then
			echo "PASS style/sparse/6.1"
		else
			echo "FAIL style/sparse/6.1: sparse did not run (log: $log)"
			rc=1
		fi
		return
	fi
	echo "FAIL style/sparse/6.1: make exited $mrc, $(grep -c . <<<"$diags") diagnostics (log: $log)"
	if [ -n "$diags" ]; then echo "$diags"; else tail -20 "$log"; fi | indent
	rc=1
}

# kunit/ and ecap.c as built for UML by scripts/kunit.sh
run_sparse_kunit() {
	local build=$PVP_CACHE/kunit/6.1-um log=$WORK/sparse-kunit-um.log diags
	local cc=()

	if [ ! -f "$build/.config" ] || [ ! -d "$SRC61/drivers/misc/pasid_vfio_pci" ] ||
	   ! grep -q '^CONFIG_PASID_VFIO_PCI_KUNIT_TEST=y' "$build/.config"; then
		echo "SKIP style/sparse/kunit-um: run scripts/kunit.sh first"
		return
	fi
	# The same CC as kunit.sh, so that nothing else is rebuilt
	command -v ccache >/dev/null && [ "${PVP_KUNIT_CCACHE:-auto}" != 0 ] &&
		cc=("CC=ccache gcc")
	(
		flock 9
		make -C "$SRC61" ARCH=um O="$build" "${cc[@]}" C=2 W=1 \
			drivers/misc/pasid_vfio_pci/
	) 9>"$PVP_CACHE/kunit/6.1.lock" >"$log" 2>&1
	local mrc=$?
	diags=$(diagnostics "$log" | grep 'pasid_vfio_pci/')
	if [ "$mrc" = 0 ] && [ -z "$diags" ] && grep -q 'CHECK' "$log"; then
		echo "PASS style/sparse/kunit-um"
		return
	fi
	echo "FAIL style/sparse/kunit-um: make exited $mrc (log: $log)"
	if [ -n "$diags" ]; then echo "$diags"; else tail -20 "$log"; fi | indent
	rc=1
}

mkdir -p "$WORK"
what=${*:-checkpatch sparse}
for w in $what; do
	case $w in
	checkpatch) run_checkpatch ;;
	sparse) run_sparse_module; run_sparse_kunit ;;
	*) msg "unknown check $w (checkpatch, sparse)"; exit 2 ;;
	esac
done
exit "$rc"
