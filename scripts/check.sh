#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The project's test command (make check): runs every suite, echoes its
# PASS/FAIL/SKIP lines and closes with one "N passed, N failed, N skipped"
# line.  A suite that exits non-zero without saying FAIL counts as a failure.
#
# PVP_SUITES selects suites (default: all); PVP_KERNELS selects kernels.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${PVP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pasid-vfio-pci}
logdir=$cache/check-logs
mkdir -p "$logdir"

declare -A cmd=(
	[style]="$top/scripts/style.sh"
	[matrix]="$top/scripts/matrix.sh"
	[kunit]="$top/scripts/kunit.sh"
	[dkms]="$top/tests/dkms.sh"
	[pkg]="$top/tests/pkg.sh"
	[e2e]="$top/tests/e2e/run.sh"
)
order="matrix kunit style dkms pkg e2e"
suites=${PVP_SUITES:-$order}

pass=0 fail=0 skip=0
for s in $suites; do
	c=${cmd[$s]:-}
	log=$logdir/$s.log
	echo "=== $s"
	if [ -z "$c" ] || [ ! -x "$c" ]; then
		echo "FAIL $s: suite does not exist yet"
		fail=$((fail + 1))
		continue
	fi
	start=$SECONDS
	"$c" > >(tee "$log") 2>&1
	rc=$?
	wait
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	k=$(grep -c '^SKIP ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $s: exited $rc without a FAIL line (log: $log)"
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + k))
	echo "--- $s: $p passed, $f failed, $k skipped in $((SECONDS - start)) s (log: $log)"
done

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
