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
# The matrix runs last: its 7.3-iommufd is a kernel built from source,
# which e2e builds in the background while the other kernels boot.
order="kunit style dkms pkg e2e matrix"
suites=${PVP_SUITES:-$order}

# The 7.3-iommufd kernel (e2e and matrix) is built from Debian's source and
# config, about 20 minutes of both cores cold.  Its build starts now, in a
# process group of its own, its compiler at the lowest CPU priority: it takes
# the CPU the suites leave idle (a TCG guest uses one core), and e2e, which
# boots it last, waits for it (kernels.sh fetch takes its lock).  Cached, it
# takes a second.
prefetch=
case " $suites " in *" e2e "* | *" matrix "*)
	case " ${PVP_KERNELS:-7.3-iommufd} " in *" 7.3-iommufd "*)
		echo "check.sh: fetching 7.3-iommufd in the background, built unless cached (log: $logdir/prefetch.log)"
		PVP_BUILD_NICE=19 setsid "$top/scripts/kernels.sh" fetch 7.3-iommufd \
			>/dev/null 2>"$logdir/prefetch.log" &
		prefetch=$!
		trap 'kill -- -$prefetch 2>/dev/null' EXIT
		;;
	esac
	;;
esac

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
	# A pipeline, not "> >(tee)" and a wait: a bare wait waits for the
	# prefetch too, and so does "wait $!" (an external command sets its
	# process substitution up in its own child: $! stays the prefetch's).
	"$c" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
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

# Its outcome is the suites' (a failed build fails their fetch): only reaped.
[ -z "$prefetch" ] || wait "$prefetch"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
