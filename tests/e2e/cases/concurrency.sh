# SPDX-License-Identifier: GPL-2.0
#
# concurrency: a hostile multi-threaded VMM (sourced by guest.sh).
#
# igb PF with PASID at 0x1c0 (Exec and Priv supported: Control mask 0x7), 7
# VFs on pasid-vfio-pci.  vfio-fuzz stress opens VF0 and runs 4 threads on
# it: two write Control (as a word, a byte, Capability+Control, the whole
# capability) with all-zero or all-one values only, so a read may only ever
# see 0 or 0x7; one reads Control at every size plus bulk reads across the
# linking header; one reads/writes other registers (command, the link, a raw
# neighbour) and issues VFIO_DEVICE_RESET.  Meanwhile one thread per other
# VF (6) runs open / write / VFIO_DEVICE_RESET / close cycles.  Afterwards
# everything must be released: module refcount 0, nothing exposed, the VFs
# unbind, SR-IOV can be disabled (no VF left marked assigned) and the
# module unloads.  Memory itself is not checked: kmemleak is off in the
# stock Debian kernels, and /proc/slabinfo would only show the shared
# kmalloc caches the module allocates from.
#
# The guest has one vCPU (run.sh: -smp 1): threads interleave by preemption
# and by yielding at random points (sched_yield), at syscall granularity,
# not in parallel; the PASS line counts how often the reader saw Control
# change, and a reader that never does FAILs.
#
# All of it runs through the type1 container, then again (from new VFs and
# a fresh module) with every open through the VFs' VFIO cdevs bound to
# iommufd (vfio-fuzz -i: VF0's and each cycle's: bind, IOAS, attach; close
# releases them), where the kernel has them (tag 7.3-iommufd; checks
# concurrency/cdev/..., one SKIP line elsewhere): about 10 s more.
#
# Runs in scalable mode only (where every open and close also attaches and
# detaches a PASID-capable domain; SKIP in the default mode).  Kernel command
# line: pvp.stress_iters=N (per thread, default 20000), pvp.stress_cycles=C
# (per VF, default 20), pvp.stress_modes=default,scalable.

# cc_run <name> [vfio-fuzz options]: 7 VFs on pasid-vfio-pci, the stress
# (the options, -i: through the VFIO cdev, go to vfio-fuzz), then
# everything released: SR-IOV disabled, the module unloaded and loaded
# again.  cc_why: why VF0 has no cdev, empty when it has one.
cc_run() {
	cc_n=$1
	shift
	cc_t0=$(date +%s)
	pvp_vfs $cc_n $IGB 7
	cc_all=$VFS_ALL
	V0=$(vf $IGB 0)
	cc_why=
	have_cdev $V0 || cc_why=$(why_no_cdev $V0)
	cc_cyc=$(echo "$cc_all" | grep -v "^$V0\$" | tr '\n' ',' | sed 's/,$//')
	info "$cc_n: $V0 under stress, cycles on $cc_cyc; groups: $(for v in $cc_all; do basename "$(readlink "$(dev $v)/iommu_group")"; done | tr '\n' ' ')"
	t0=$(date +%s)
	# the VFs' Max PASID Width is no more than the host IOMMU's
	_hw=$(host_width)
	case $_hw in unknown | none) _hw= ;; *) _hw="--host-width $_hw" ;; esac
	# shellcheck disable=SC2086 # an optional option
	vfz $cc_n "$@" stress $V0 --pasid $OFF --pf $IGB --threads 4 $_hw \
		--iters $CC_ITERS --cycle "$cc_cyc" --cycles $CC_CYCLES
	info "$cc_n: $(($(date +%s) - t0)) s"

	# everything released
	eq $cc_n/refcnt-after "$(cat /sys/module/pasid_vfio_pci/refcnt 2>/dev/null)" 0
	cc_exp=0
	for v in $cc_all; do
		[ "$(attr $v exposed)" = 0 ] || cc_exp=$((cc_exp + 1))
	done
	eq $cc_n/none-exposed "$cc_exp" 0
	cc_left=0
	for v in $cc_all; do
		unbind $v
		[ "$(drv $v)" = none ] || cc_left=$((cc_left + 1))
	done
	eq $cc_n/unbound "$cc_left" 0
	echo 0 >"$(dev $IGB)/sriov_numvfs" 2>/tmp/cc.err
	eq $cc_n/sriov-disabled "$(cat "$(dev $IGB)/sriov_numvfs")" 0
	modprobe -r pasid-vfio-pci 2>/dev/null
	if have_pvp; then
		fail $cc_n/unload "pasid_vfio_pci still loaded (refcnt $(cat /sys/module/pasid_vfio_pci/refcnt))"
	else
		pass $cc_n/unload
	fi
	pvp_load || fail $cc_n/reload "modprobe pasid-vfio-pci: $(cat /tmp/modprobe.err)"
	info "$cc_n: $(($(date +%s) - cc_t0)) s with the VFs' setup and release"
}

case_concurrency() {
	CASE=concurrency
	in_modes concurrency stress_modes scalable || return
	CC_ITERS=$(karg stress_iters 20000)
	CC_CYCLES=$(karg stress_cycles 20)
	OFF=0x1c0
	have_pvp || pvp_load
	fx_load bdf=$IGB offset=$OFF width=20 exec=1 priv=1 enable=1 || return
	cc_run concurrency
	# the same through the VFs' cdevs bound to iommufd, where they exist
	if [ -z "$cc_why" ]; then
		cc_run concurrency/cdev -i
	else
		skip concurrency/cdev "no VFIO cdev with iommufd on $KV: $cc_why"
	fi
	fx_unload
}
