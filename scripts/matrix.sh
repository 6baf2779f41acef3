#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build matrix: fetch each kernel in
# ${PVP_KERNELS:-6.1 6.12 7.3 6.1-rt 6.12-rt 7.3-rt 7.3-iommufd} and build
# the module with W=1, failing on any warning.  One line per kernel:
#   PASS matrix/<tag> (<KVER>): built with W=1, no warnings
#   FAIL matrix/<tag> (<KVER>): <reason>
# Details of failures go to stderr.  Exits non-zero if any kernel failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
kernels=$here/kernels.sh
# Variables of a calling make (make matrix) must not reach kbuild.
unset MAKEFLAGS MAKELEVEL MFLAGS MAKEOVERRIDES

logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

pass=0 fail=0
# 7.3-iommufd is built from Debian's source and config (kernels.sh), about
# 20 minutes cold: make check runs the matrix after e2e, which builds it.
for tag in ${PVP_KERNELS:-6.1 6.12 7.3 6.1-rt 6.12-rt 7.3-rt 7.3-iommufd}; do
	log=$logdir/$tag.log
	kver='?' reason='' rc=0
	if envf=$("$kernels" fetch "$tag" 2>"$log"); then
		kver=$(sed -n 's/^KVER=//p' "$envf")
		"$kernels" build --strict "$tag" "$top" >>"$log" 2>&1 || rc=$?
		case $rc in
		0) ;;
		3) reason="no .ko produced (log: $top/.build-$tag.log)" ;;
		4) reason="$(grep -cE 'warning:|^WARNING:' "$top/.build-$tag.log") warning(s) (log: $top/.build-$tag.log)" ;;
		*) reason="build failed (log: $top/.build-$tag.log)" ;;
		esac
	else
		reason="fetch failed"
	fi
	if [ -z "$reason" ]; then
		echo "PASS matrix/$tag ($kver): built with W=1, no warnings"
		pass=$((pass + 1))
	else
		echo "FAIL matrix/$tag ($kver): $reason"
		sed 's/^/    /' "$log" | tail -n 40 >&2
		fail=$((fail + 1))
	fi
done
echo "matrix: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
