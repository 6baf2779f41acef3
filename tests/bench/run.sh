#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks of pasid-vfio-pci against stock vfio-pci (issue 6, make bench).
#
#   tests/bench/run.sh            every kernel in ${PVP_KERNELS:-6.1 6.12 7.3}
#   tests/bench/run.sh --report   the tables again, from the last run's logs
#
# One QEMU boot of the e2e rig per kernel (tests/e2e/run.sh with
# PVP_CASES=bench PVP_MODES=default): the guest case tests/e2e/cases/bench.sh
# runs tests/e2e/vfio-bench.c, which alternates vfio-pci and pasid-vfio-pci
# on the same VFs.  Prints per kernel the tables of tests/bench/README.md
# with each figure's target and whether it is met; targets are reported,
# never asserted.  Exit status 1 only on errors (a build, boot or
# measurement that failed), 2 on usage errors.
#
# Environment: PVP_KERNELS, PVP_CACHE, PVP_BENCH_CACHE (default
# $PVP_CACHE/bench: the e2e work directories of the bench, so that a bench
# and an e2e run never share build directories or logs; downloaded kernels,
# roots and apt lists are shared with $PVP_CACHE through symlinks),
# PVP_BOOT_TIMEOUT (s per boot, default 400).
set -uo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH/../.." && pwd)
PVP_CACHE=${PVP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pasid-vfio-pci}
BC=${PVP_BENCH_CACHE:-$PVP_CACHE/bench}
KERNELS=${PVP_KERNELS:-6.1 6.12 7.3}

msg() { printf '%s\n' "bench: $*" >&2; }

report_only=0
case ${1:-} in
--report) report_only=1 ;;
"") ;;
*) sed -n '4,21s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac

mkdir -p "$BC" "$PVP_CACHE"
for d in k roots apt; do
	mkdir -p "$PVP_CACHE/$d"
	[ -e "$BC/$d" ] || ln -s "$PVP_CACHE/$d" "$BC/$d"
done

# shellcheck disable=SC1091 # the host's os-release
host="$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores, $(. /etc/os-release && echo "$PRETTY_NAME")"
tree=$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)
qemu=$(qemu-system-x86_64 --version 2>/dev/null | sed -n '1s/.*version \([^ ]*\).*/\1/p')

# report <tag>: the tables from $BC/e2e/<tag>/default.log (the tree named is
# the one at report time)
report() {
	local tag=$1 w=$BC/e2e/$1 ko sz_pvp='' sz_core='' stripped=0 t=0 d=0 b=0
	ko=$w/module/pasid-vfio-pci.ko
	if [ -f "$ko" ]; then
		sz_pvp=$(pahole -C pvp_device "$ko" 2>/dev/null | sed -n 's|.*/\* size: \([0-9]*\),.*|\1|p' | tail -n 1)
		sz_core=$(pahole -C vfio_pci_core_device "$ko" 2>/dev/null | sed -n 's|.*/\* size: \([0-9]*\),.*|\1|p' | tail -n 1)
		strip --strip-debug -o "$w/stripped.ko" "$ko" 2>/dev/null &&
			stripped=$(stat -c %s "$w/stripped.ko")
		read -r t d b _ < <(size "$ko" | tail -n 1)
	fi
	grep '^BENCH ' "$w/default.log" | awk -v tag="$tag" -v host="$host" -v qemu="$qemu" -v tree="$tree" \
		-v ko_file="$(stat -c %s "$ko" 2>/dev/null || echo 0)" -v ko_stripped="$stripped" \
		-v ko_text="$t" -v ko_data="$d" -v ko_bss="$b" -v sz_pvp="$sz_pvp" -v sz_core="$sz_core" \
		-f "$BENCH/report.awk"
}

errors=0 met=0 missed=0
T0=$SECONDS
for tag in $KERNELS; do
	w=$BC/e2e/$tag
	if [ $report_only = 0 ]; then
		t0=$SECONDS
		mkdir -p "$w"
		rm -f "$w/default.log"
		msg "$tag: booting the e2e rig with PVP_CASES=bench (about 2 minutes)"
		PVP_CACHE=$BC PVP_KERNELS=$tag PVP_MODES=default PVP_CASES=bench \
			PVP_BOOT_TIMEOUT=${PVP_BOOT_TIMEOUT:-400} \
			"$TOP/tests/e2e/run.sh" >"$BC/e2e-$tag.out" 2>&1
		# Every failure is an error but the lifecycle test modules' build,
		# which the bench does not use.
		if grep '^FAIL ' "$BC/e2e-$tag.out" | grep -v "/host/build-testmods"; then
			msg "$tag: errors above; e2e output: $BC/e2e-$tag.out, guest log: $w/default.log"
			errors=$((errors + 1))
		fi
		msg "$tag: took $((SECONDS - t0)) s"
	fi
	if ! grep -q '^BENCH done' "$w/default.log" 2>/dev/null; then
		echo "== kernel $tag: no benchmark results (see $BC/e2e-$tag.out and $w/default.log)"
		errors=$((errors + 1))
		continue
	fi
	report "$tag" | tee "$w/report.txt" | grep -v '^TARGETS '
	read -r _ _ m x < <(grep '^TARGETS ' "$w/report.txt")
	met=$((met + m)) missed=$((missed + x))
	echo
done
[ $report_only = 1 ] || echo "bench took $((SECONDS - T0)) s"
echo "targets: $met met, $missed missed (reported, not asserted); errors: $errors"
[ $errors = 0 ]
