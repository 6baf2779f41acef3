# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# lifecycle: the PF guard and the device lifecycle around an open VF
# (sourced by guest.sh; its helpers are used as they are).
#
# The igb PF gets a PASID capability from pasid_fixture (0x1c0, width 20,
# exec).  The fixture's PASID Control register is the PF's "hardware": it
# is read from sysfs config (sysrd) while the PF exists and from the
# fixture's state once the PF is removed.  A VF is kept open by a
# background vfio-client (lc_open/lc_close).  Test-only modules
# (tests/e2e/modules/): pvp_coop (a PF driver using include/pasid_vfio_pci.h:
# notifier, pasid_vfio_pci_pasid_in_use(), polite disable), pvp_squatter
# (an IPMODIFY ftrace_ops on pci_disable_pasid that takes the guard's slot)
# and pvp_enabler (pci_enable_pasid() of the PF at chosen moments, as an
# IOMMU driver attaching a new domain; an ATS fault injection).
#
#  veto       fixture's pci_disable_pasid() under open VFs: guard=bound keeps
#             the PF's PASID enabled past close until the last unbind,
#             guard=open until the last close (two VFs each); a re-enable
#             meanwhile cancels the owed disable; guard=off never vetoes;
#             pvp_coop sees HELD/RELEASED in order, pasid_in_use() true/false
#             at each step, and its polite disable is refused while in use
#  enable     pci_enable_pasid() of the PF against the owed disable:
#             veto, enable (0, no WARN), last unbind: Control stays
#             enabled; an enable that fails (-EINVAL) leaves the disable
#             owed and it is applied; an enable injected (hard irq_work)
#             at the guard's Control write of 0: the write cannot overtake
#             it, core and hardware agree; with the PF's ATS enabled the
#             owed disable is not written (PCIe 4.0 sec 10.5.1.3); a
#             kthread alternating enable/disable while VFs bind and unbind:
#             core and hardware agree at the end
#  sriov      echo 0 > sriov_numvfs refused while a VF is open (igb checks
#             pci_vfs_assigned()), works after close; with VFs bound, a
#             pvp_coop callback that takes the PF's device lock (lock_pf=1)
#             does not deadlock igb's sriov_configure(0), which holds it
#             while the VFs are removed (notifications come from an ordered
#             workqueue)
#  pfunbind   igb unbound from the PF under an open VF (it keeps the VFs);
#             the PF's default domain changed (iommu_group/type): on 6.1
#             intel-iommu's attach calls pci_disable_pasid() (real path):
#             vetoed; igb bound again
#  rmmod      rmmod refused while a VF is open; after close it unbinds the
#             bound VFs and applies the owed disable
#  squatter   guard installation fails half way (pvp_squatter holds the
#             IPMODIFY slot): the module loads, guard says unavailable,
#             emulation works unguarded, cooperation still works; both
#             unload; then the guard installs and keeps the slot
#  vfunbind   the VF's driver unbound while it is open: waits for the close,
#             then releases the guard and applies the owed disable
#  pfremove   PF removed under an open VF: intel-iommu's release_device
#             calls pci_disable_pasid() (real path): vetoed; rescan brings
#             a new PF; releasing the old VF must not touch the new PF
#  vfremove   the VF's slot hot-removed while the VF is open: the removal
#             waits for the close; rescan
# veto, enable and sriov run in both intel-iommu modes; the rest in scalable mode
# only (see case_lifecycle).  Real paths are traced with ftrace (function
# tracer with func_stack_trace on pci_disable_pasid): the callers are in
# the log.  After each step lc_sane checks that a fresh bind works and sysfs
# is sane; run.sh checks the whole kernel log.
#
# The steps where a VMM holds a VF open while something goes away run again
# with the VMM on the VF's VFIO cdev bound to iommufd (vfio-client -i:
# open_device runs in VFIO_DEVICE_BIND_IOMMUFD, not at the open of the fd),
# where the kernel has them (tag 7.3-iommufd; checks lifecycle/cdev/...,
# one SKIP line elsewhere): veto (the guard holds the PF for a cdev user,
# guard=open from its bind to its close) and sriov in both modes, pfunbind,
# rmmod, vfunbind and pfremove in scalable mode; their parts without an
# open VF (veto's polite disable, sriov's PF lock in the callback) run
# once, through type1.  About 10 s more in the default mode, 20 s in
# scalable mode.

LC_TR=/sys/kernel/tracing
LC_CO=/sys/module/pvp_coop/parameters
LC_SQ=/sys/module/pvp_squatter/parameters
LC_EN=/sys/module/pvp_enabler/parameters
LC_GA=/sys/bus/pci/drivers/pasid-vfio-pci/guard
LC_OFF=0x1c0
LC_CTRL=0x1c6

# ---------------------------------------------------------------- helpers
# The PF's PASID Control as the hardware has it, and the PCI core's view
lc_hw() { fx_state ctrl; }
lc_sw() { fx_state pasid_enabled; }
lc_sys() { sysrd "$IGB" $LC_CTRL 2; }	# sysfs config of the PF (present)

# lc_wait <tenths> <command...>: poll until the command succeeds
lc_wait() {
	lc_nw=$1
	shift
	while ! "$@"; do
		[ "$lc_nw" -gt 0 ] || return 1
		lc_nw=$((lc_nw - 1))
		sleep 0.1
	done
}

# lc_vfs: two VFs of the igb PF, none bound (SR-IOV is only recycled when
# the count differs: a disable costs igb and the PCI core 1.6 s)
lc_vfs() {
	if [ "$(cat "$(dev "$IGB")/sriov_numvfs")" = 2 ]; then
		for lc_v in $(vflist "$IGB"); do unbind "$lc_v"; done
	else
		vfs "$IGB" 2
	fi
	V0=$(vf "$IGB" 0)
	V1=$(vf "$IGB" 1)
}

# lc_open <bdf> <tag>: a background vfio-client keeps <bdf> open until
# lc_close <tag>; through the VF's cdev and iommufd when LC_VIA is -i
lc_open() {
	rm -f "/tmp/lc.$2.open" "/tmp/lc.$2.release"
	# shellcheck disable=SC2086 # LC_VIA: empty or -i
	vfio-client $LC_VIA run "$1" "sh touch /tmp/lc.$2.open" \
		"sh while [ ! -e /tmp/lc.$2.release ]; do sleep 0.1; done" \
		>"/tmp/lc.$2.out" 2>&1 &
	eval "LC_PID_$2=$!"
	if ! lc_wait 100 test -e "/tmp/lc.$2.open"; then
		fail "$LC/$2-open" "vfio-client did not open $1: $(tr '\n' ' ' <"/tmp/lc.$2.out" | cut -c1-200)"
		return 1
	fi
}
lc_close() {
	touch "/tmp/lc.$1.release"
	eval "wait \$LC_PID_$1"
}

# lc_pvp [params]: (re)load pasid-vfio-pci and, when built, pvp_coop on it
lc_pvp() {
	rmmod pvp_coop 2>/dev/null
	pvp_load "$@" || { fail "$LC/load" "modprobe pasid-vfio-pci $*: $(cat /tmp/modprobe.err)"; return 1; }
	[ "$LC_COOP" = 1 ] || return 0
	modprobe pvp_coop pf="$IGB" || fail "$LC/coop-load" "modprobe pvp_coop failed"
}
lc_events() { cat $LC_CO/events 2>/dev/null || echo no-pvp_coop; }
lc_in_use() { cat $LC_CO/in_use 2>/dev/null || echo no-pvp_coop; }
lc_clear() { echo 1 >$LC_CO/clear 2>/dev/null; }
# lc_coop_eq <check> <got> <want>: eq, or SKIP without pvp_coop
lc_coop_eq() {
	if [ "$LC_COOP" = 1 ]; then eq "$@"; else skip "$1" "pvp_coop.ko not built"; fi
}
# lc_events_eq <check> <want>: the notifications pvp_coop received, once
# delivered (they come from pasid-vfio-pci's ordered workqueue, shortly
# after the transition: wait up to 5 s for them)
lc_events_eq() {
	[ "$LC_COOP" != 1 ] || wait_for 5 [ "$(lc_events)" = "$2" ]
	lc_coop_eq "$1" "$(lc_events)" "$2"
}
lc_dmesg() { dsince | grep -q "$1"; }
lc_dmesg_ok() { ok "$1" "no '$2' in dmesg" lc_dmesg "$2"; }

# lc_fx_enable: the fixture enables the PF's PASID again (the PCI core must
# record it enabled before the IOMMU's own disable at release)
lc_fx_enable() {
	[ "$(lc_sw)" = 1 ] || echo 1 >$FX/enable
	eq "$LC/$1/reenabled" "$(lc_sw)/$(lc_hw)" 1/0x0003
}

# lc_trace_on / lc_trace_off: function tracer on pci_disable_pasid with
# the caller's stack; lc_calls: calls recorded
lc_trace_on() {
	[ -e $LC_TR/set_ftrace_filter ] || mount -t tracefs tracefs $LC_TR 2>/dev/null
	[ -e $LC_TR/set_ftrace_filter ] || return 1
	echo 0 >$LC_TR/tracing_on
	echo pci_disable_pasid >$LC_TR/set_ftrace_filter || return 1
	echo function >$LC_TR/current_tracer || return 1
	echo 1 >$LC_TR/options/func_stack_trace
	echo >$LC_TR/trace
	echo 1 >$LC_TR/tracing_on
}
lc_trace_off() {
	echo 0 >$LC_TR/tracing_on
	# before the tracer changes: that empties the buffer
	grep -v '^#' $LC_TR/trace >/tmp/lc.trace
	echo 0 >$LC_TR/options/func_stack_trace
	echo nop >$LC_TR/current_tracer
	echo >$LC_TR/set_ftrace_filter
	sed 's/^/INFO trace: /' /tmp/lc.trace | head -n 40
}
lc_calls() { grep -c ' pci_disable_pasid <-' /tmp/lc.trace; }

# lc_sane <step>: state after a step: the PF has igb, the module is loaded
# with an active guard, a fresh bind of VF 0 shows the capability
lc_sane() {
	lc_s=$LC/$1/sane
	eq "$lc_s-pf-driver" "$(drv "$IGB")" igb
	eq "$lc_s-guard" "$(cat $LC_GA 2>/dev/null)" active
	lc_vfs
	lc_v=$V0
	if [ -z "$lc_v" ] || ! bind "$lc_v" $PVP; then
		fail "$lc_s-bind" "VF '$lc_v' not bound: $(dmesg | tail -n 2 | tr '\n' ' ')"
		return
	fi
	eq "$lc_s-sysfs" "$(attr "$lc_v" offset) $(attr "$lc_v" pf) $(attr "$lc_v" pf_enabled) $(attr "$lc_v" exposed)" \
		"$LC_OFF $IGB 1 0"
	# shellcheck disable=SC2086 # LC_VIA: empty or -i
	vc "$lc_s" $LC_VIA run "$lc_v" "expect $LC_OFF 4 0x1001b cap" "wr $LC_CTRL 2 1" \
		"expect $LC_CTRL 2 1 enable-latches"
	unbind "$lc_v"
}

# ---------------------------------------------------------------- steps
# 1 and 5: vetoes under open VFs, with the cooperating driver watching
lc_veto() {
	LCS=$LC/veto
	lc_vfs

	# guard=bound, two VFs: held from the first bind to the last unbind
	lc_pvp || return
	lc_clear
	pvp_bind "$LCS/bound" "$V0" || return
	bind "$V1" $PVP
	lc_coop_eq "$LCS/bound/in-use-bound" "$(lc_in_use)" 1
	lc_open "$V0" v0 || return
	dmark
	echo 1 >$FX/disable
	eq "$LCS/bound/sysfs-ctrl-kept-while-open" "$(lc_sys)" 0x0003
	eq "$LCS/bound/pci-core-recorded-disable" "$(lc_sw)" 0
	eq "$LCS/bound/vf-pf-enabled" "$(attr "$V0" pf_enabled)" 1
	lc_dmesg_ok "$LCS/bound/veto-names-vfs" "PASID disable vetoed: VFs $V0 $V1 use it (guard=bound)"
	lc_close v0
	eq "$LCS/bound/kept-after-close" "$(lc_sys)" 0x0003
	unbind "$V0"
	eq "$LCS/bound/kept-while-one-bound" "$(lc_sys)" 0x0003
	lc_coop_eq "$LCS/bound/in-use-one-bound" "$(lc_in_use)" 1
	unbind "$V1"
	eq "$LCS/bound/applied-at-last-unbind" "$(lc_sys)" 0x0000
	lc_dmesg_ok "$LCS/bound/apply-message" "applying the PASID disable vetoed"
	lc_coop_eq "$LCS/bound/in-use-unbound" "$(lc_in_use)" 0
	lc_events_eq "$LCS/bound/events" "HELD:$IGB:1 RELEASED:$IGB:0"
	lc_fx_enable veto/bound

	# a re-enable while vetoed cancels the owed disable
	bind "$V0" $PVP
	lc_open "$V0" v0 || return
	dmark
	echo 1 >$FX/disable
	echo 1 >$FX/enable
	eq "$LCS/reenable/pci-core" "$(lc_sw)" 1
	lc_close v0
	unbind "$V0"
	eq "$LCS/reenable/not-applied" "$(lc_sys)" 0x0003
	ok "$LCS/reenable/no-apply-message" "the owed disable was applied" \
		dunlogged "applying the PASID disable"

	# the polite way: ask first (no VF open: once, through type1)
	if [ "$LC_COOP" = 1 ] && [ -z "$LC_VIA" ]; then
		bind "$V0" $PVP
		dmark
		if echo 1 >$LC_CO/disable 2>/dev/null; then
			fail "$LCS/polite/refused-in-use" "pvp_coop disabled the PF's PASID under a bound VF"
		else
			pass "$LCS/polite/refused-in-use"
		fi
		ok "$LCS/polite/no-veto-needed" "the guard had to veto" \
			dunlogged "vetoed"
		eq "$LCS/polite/kept" "$(lc_sys)" 0x0003
		unbind "$V0"
		echo 1 >$LC_CO/disable
		eq "$LCS/polite/disabled-when-unused" "$(lc_sys)/$(lc_sw)" 0x0000/0
		lc_fx_enable veto/polite
	fi

	# guard=open, two VFs: held from the first open to the last close
	lc_pvp guard=open || return
	pvp_bind "$LCS/open" "$V0" || return
	bind "$V1" $PVP
	lc_clear
	lc_coop_eq "$LCS/open/in-use-bound" "$(lc_in_use)" 0
	lc_open "$V0" v0 || return
	lc_coop_eq "$LCS/open/in-use-open" "$(lc_in_use)" 1
	lc_open "$V1" v1 || return
	dmark
	echo 1 >$FX/disable
	eq "$LCS/open/kept-while-open" "$(lc_sys)" 0x0003
	lc_close v0
	eq "$LCS/open/kept-while-one-open" "$(lc_sys)" 0x0003
	lc_coop_eq "$LCS/open/in-use-one-open" "$(lc_in_use)" 1
	lc_close v1
	eq "$LCS/open/applied-at-last-close" "$(lc_sys)" 0x0000
	lc_coop_eq "$LCS/open/in-use-closed" "$(lc_in_use)" 0
	lc_events_eq "$LCS/open/events" "HELD:$IGB:1 RELEASED:$IGB:0"
	lc_fx_enable veto/open
	unbind "$V0"
	unbind "$V1"

	# guard=off: no veto, no events; in_use still tells an open VF
	lc_pvp guard=off || return
	pvp_bind "$LCS/off" "$V0" || return
	lc_clear
	lc_open "$V0" v0 || return
	lc_coop_eq "$LCS/off/in-use-open" "$(lc_in_use)" 1
	echo 1 >$FX/disable
	eq "$LCS/off/not-vetoed" "$(lc_sys)" 0x0000
	lc_close v0
	lc_coop_eq "$LCS/off/in-use-closed" "$(lc_in_use)" 0
	sleep 0.5	# none to wait for
	lc_coop_eq "$LCS/off/no-events" "$(lc_events)" ""
	lc_fx_enable veto/off
	unbind "$V0"
	lc_pvp
}

# lc_en_owe <check>: both VFs bound to the driver, the fixture's disable
# vetoed: the PCI core has the PF's PASID off, the hardware on
lc_en_owe() {
	bind "$V0" $PVP
	bind "$V1" $PVP
	echo 1 >$FX/disable
	eq "$1/vetoed" "$(lc_sw)/$(lc_sys)" 0/0x0003
}

# lc_en_consistent <check>: the PCI core's pasid_enabled matches the
# hardware's PASID Enable
lc_en_consistent() {
	lc_ec=$(lc_sys)
	lc_eb=$((lc_ec & 1))
	eq "$1" "$(lc_sw)" "$lc_eb"
	info "$1: pasid_enabled $(lc_sw), Control $lc_ec"
}

# pci_enable_pasid() of the PF (pvp_enabler), as an IOMMU driver attaching
# a new domain, against the disable the guard owes
lc_enable() {
	LCS=$LC/enable
	if [ "$LC_EN_OK" != 1 ]; then
		fail "$LCS/module" "pvp_enabler.ko not built or not loaded"
		return
	fi
	lc_vfs
	lc_pvp || return
	lc_feat=$(fx_state features)
	# the guard redirects pci_enable_pasid() (IPMODIFY, with regs)
	[ -e $LC_TR/enabled_functions ] || mount -t tracefs tracefs $LC_TR 2>/dev/null
	lc_ef=$(grep '^pci_enable_pasid ' $LC_TR/enabled_functions 2>/dev/null)
	info "enabled_functions: $lc_ef"
	case "$lc_ef" in
	*" R I"*) pass "$LCS/enable-hooked" ;;
	*) fail "$LCS/enable-hooked" "pci_enable_pasid is not hooked with IPMODIFY: '$lc_ef'" ;;
	esac

	# veto, enable, last unbind: the enable cancelled the owed disable
	dmark
	lc_en_owe "$LCS/seq"
	if echo "$lc_feat" >$LC_EN/enable 2>/dev/null; then
		pass "$LCS/seq/enable-succeeds"
	else
		fail "$LCS/seq/enable-succeeds" "pci_enable_pasid($lc_feat) = $(cat $LC_EN/enable)"
	fi
	eq "$LCS/seq/enabled" "$(lc_sw)/$(lc_sys)" 1/0x0003
	unbind "$V0"
	unbind "$V1"
	eq "$LCS/seq/kept-at-last-unbind" "$(lc_sw)/$(lc_sys)" 1/0x0003
	ok "$LCS/seq/no-apply" "the cancelled disable was applied" \
		dunlogged "applying the PASID disable"
	ok "$LCS/seq/no-warning" "$(dsince | grep -m1 -A3 WARNING)" \
		dunlogged "WARNING:"

	# an enable that fails wrote nothing: the disable stays owed
	dmark
	lc_en_owe "$LCS/failed"
	if echo 0x4 >$LC_EN/enable 2>/dev/null; then
		fail "$LCS/failed/enable-fails" "pci_enable_pasid(PRIV) succeeded on a PF without Privileged Mode Supported"
	else
		pass "$LCS/failed/enable-fails"
	fi
	eq "$LCS/failed/still-owed" "$(cat $LC_EN/enable) $(lc_sw)/$(lc_sys)" "-22 0/0x0003"
	unbind "$V0"
	unbind "$V1"
	eq "$LCS/failed/applied" "$(lc_sw)/$(lc_sys)" 0/0x0000
	lc_dmesg_ok "$LCS/failed/apply-message" "applying the PASID disable vetoed"
	lc_fx_enable enable/failed

	# the last unbind applies the owed disable while an enable comes in
	# (a hard irq_work queued when the Control write of 0 starts): the
	# write must not land after the enable's
	lc_en_owe "$LCS/race"
	echo 1 >$LC_EN/race
	unbind "$V0"
	eq "$LCS/race/armed-while-one-bound" "$(cat $LC_EN/race)" armed
	unbind "$V1"
	wait_for 5 grep -q fired $LC_EN/race
	lc_r=$(cat $LC_EN/race)
	info "race: $lc_r"
	eq "$LCS/race/enable-ret" "$(echo "$lc_r" | sed -n 's/.*ret=\([^ ]*\).*/\1/p')" 0
	eq "$LCS/race/core-and-hw-enabled" "$(lc_sw)/$(lc_sys)" 1/0x0003
	echo 0 >$LC_EN/race

	# ATS enabled on the PF (the PCI core's flag: QEMU's igb has no ATS
	# capability): the owed disable must not change PASID Enable
	dmark
	lc_en_owe "$LCS/ats"
	echo 1 >$LC_EN/ats
	unbind "$V0"
	unbind "$V1"
	eq "$LCS/ats/not-written" "$(lc_sw)/$(lc_sys)" 0/0x0003
	lc_dmesg_ok "$LCS/ats/message" "not applying the PASID disable vetoed while its VFs needed it: ATS is enabled"
	echo 0 >$LC_EN/ats
	lc_fx_enable enable/ats

	# stress: a kthread alternates enable and disable of the PF while the
	# VFs bind and unbind
	dmark
	echo 3000 >$LC_EN/stress
	lc_n=0
	while grep -q running $LC_EN/stress && [ $lc_n -lt 200 ]; do
		bind "$V0" $PVP
		bind "$V1" $PVP
		unbind "$V0"
		unbind "$V1"
		lc_n=$((lc_n + 1))
	done
	wait_for 30 grep -q done $LC_EN/stress
	lc_st=$(cat $LC_EN/stress)
	info "stress: $lc_st, $lc_n bind/unbind cycles of 2 VFs"
	eq "$LCS/stress/done" "$(echo "$lc_st" | sed 's/ enables=.* errors=/ errors=/')" "done errors=0"
	lc_en_consistent "$LCS/stress/core-matches-hw"
	ok "$LCS/stress/no-warning" "$(dsince | grep -m1 -A3 WARNING)" \
		dunlogged "WARNING:"
	lc_fx_enable enable/stress
	lc_sane enable
}

# 3: SR-IOV cannot be disabled under an open VF (igb checks
# pci_vfs_assigned()); it can after close
lc_sriov() {
	LCS=$LC/sriov
	lc_vfs
	pvp_bind "$LCS" "$V0" || return
	lc_clear
	lc_open "$V0" v0 || return
	dmark
	if echo 0 >"$(dev "$IGB")/sriov_numvfs" 2>/dev/null; then
		fail "$LCS/refused-while-open" "sriov_numvfs accepted 0 under an open VF"
	else
		pass "$LCS/refused-while-open"
	fi
	eq "$LCS/numvfs-kept" "$(cat "$(dev "$IGB")/sriov_numvfs") $(drv "$V0")" "2 $PVP"
	lc_dmesg_ok "$LCS/igb-message" "while they are assigned"
	lc_close v0
	if echo 0 >"$(dev "$IGB")/sriov_numvfs"; then
		pass "$LCS/works-after-close"
	else
		fail "$LCS/works-after-close" "sriov_numvfs refused 0 after close"
	fi
	ok "$LCS/vf-gone" "$V0 still exists" [ ! -e "$(dev "$V0")" ]
	lc_events_eq "$LCS/events" "RELEASED:$IGB:0"
	lc_coop_eq "$LCS/in-use" "$(lc_in_use)" 0
	lc_sane sriov

	# The notification of the last VF's removal inside igb's
	# sriov_configure(0), which holds the PF's device lock, reaches a
	# callback that takes that lock: delivered after it, no deadlock (no
	# VF open: once, through type1)
	if [ "$LC_COOP" = 1 ] && [ -z "$LC_VIA" ]; then
		lc_vfs
		lc_clear
		bind "$V0" $PVP
		bind "$V1" $PVP
		echo 1 >$LC_CO/lock_pf
		dmark
		(echo 0 >"$(dev "$IGB")/sriov_numvfs"; echo "rc=$?" >/tmp/lc-numvfs.done) &
		if wait_for 20 [ -f /tmp/lc-numvfs.done ]; then
			pass "$LCS/pf-lock-in-callback/no-deadlock"
		else
			fail "$LCS/pf-lock-in-callback/no-deadlock" "sriov_numvfs=0 still blocked after 20 s (callback under the PF's lock?)"
		fi
		eq "$LCS/pf-lock-in-callback/numvfs-0" "$(cat /tmp/lc-numvfs.done 2>/dev/null)" rc=0
		lc_events_eq "$LCS/pf-lock-in-callback/events" "HELD:$IGB:1 RELEASED:$IGB:0"
		lc_dmesg_ok "$LCS/pf-lock-in-callback/took-lock" "RELEASED $IGB: took the PF's device lock"
		echo 0 >$LC_CO/lock_pf
		rm -f /tmp/lc-numvfs.done
		lc_sane sriov-pf-lock
	fi
}

# 4 (PF driver unbind) and 2 (domain change): igb unbound under an open VF
lc_pfunbind() {
	LCS=$LC/pfunbind
	lc_vfs
	pvp_bind "$LCS" "$V0" || return
	lc_open "$V0" v0 || return
	dmark
	echo "$IGB" >/sys/bus/pci/drivers/igb/unbind
	eq "$LCS/pf-unbound" "$(drv "$IGB") $(cat "$(dev "$IGB")/sriov_numvfs") $(drv "$V0")" "none 2 $PVP"
	lc_dmesg_ok "$LCS/igb-keeps-vfs" "while they are assigned"
	eq "$LCS/pf-ctrl" "$(lc_sys)" 0x0003

	# Real path: a new default domain for the PF (no driver bound)
	lc_type=$(dev "$IGB")/iommu_group/type
	lc_was=$(cat "$lc_type")
	lc_new=identity
	[ "$lc_was" != identity ] || lc_new=DMA
	lc_trace_on || fail "$LCS/trace" "no tracefs"
	dmark
	if echo $lc_new >"$lc_type" 2>/tmp/lc.type.err; then
		info "$IGB iommu_group type $lc_was -> $(cat "$lc_type")"
	else
		info "$IGB iommu_group type $lc_was -> $lc_new refused: $(cat /tmp/lc.type.err)"
	fi
	lc_trace_off
	lc_real "$LCS/domain-change" "a default domain change of $IGB"
	eq "$LCS/domain-change/pf-ctrl" "$(lc_sys)" 0x0003
	echo "$lc_was" >"$lc_type" 2>/dev/null
	eq "$LCS/domain-restored" "$(cat "$lc_type")" "$lc_was"

	echo "$IGB" >/sys/bus/pci/drivers_probe
	eq "$LCS/pf-rebound" "$(drv "$IGB") $(drv "$V0")" "igb $PVP"
	lc_close v0
	unbind "$V0"
	eq "$LCS/after-unbind" "$(lc_sw)/$(lc_sys)" 1/0x0003
	# igb does not adopt the VFs it finds at probe (igb_enable_sriov()
	# returns before its "pre-allocated VFs" branch with max_vfs=0), so its
	# sriov_numvfs=0 does nothing now: pci-pf-stub tears them down
	echo 0 >"$(dev "$IGB")/sriov_numvfs"
	info "igb rebound with a VF left: sriov_numvfs=0 leaves $(cat "$(dev "$IGB")/sriov_numvfs") VF(s)"
	lc_vf_teardown pfunbind
	lc_sane pfunbind
}

# lc_vf_teardown <step>: remove the igb PF's VFs through pci-pf-stub
# (pci_sriov_configure_simple()), then give the PF back to igb
lc_vf_teardown() {
	unbind "$IGB"
	bind "$IGB" pci-pf-stub && echo 0 >"$(dev "$IGB")/sriov_numvfs"
	native "$IGB"
	eq "$LC/$1/vfs-torn-down" "$(cat "$(dev "$IGB")/sriov_numvfs") $(drv "$IGB")" "0 igb"
}

# lc_real <check> <what>: judge a traced real path (lc_trace_off ran)
lc_real() {
	lc_cnt=$(lc_calls)
	if [ "$lc_cnt" = 0 ]; then
		if [ "$MODE" = scalable ]; then
			skip "$1" "no pci_disable_pasid() on $2 on this kernel: since 6.12 intel-iommu enables PASID in probe_device and disables it only in release_device"
		else
			skip "$1" "no pci_disable_pasid() on $2: intel-iommu in legacy mode never enables PASID, so it never disables it"
		fi
		return 1
	fi
	info "$2: pci_disable_pasid() called $lc_cnt time(s), from: $(sed -n '/=> pci_disable_pasid$/,$p' /tmp/lc.trace | sed -n '2,7s/.*=> //p' | tr '\n' ' ')"
	pass "$1/pci_disable_pasid-called"
	lc_dmesg_ok "$1/vetoed" "PASID disable vetoed"
	return 0
}

# 4: rmmod with devices bound and one open
lc_rmmod() {
	LCS=$LC/rmmod
	lc_vfs
	pvp_bind "$LCS" "$V0" || return
	bind "$V1" $PVP
	lc_open "$V0" v0 || return
	echo 1 >$FX/disable
	eq "$LCS/vetoed" "$(lc_sys)" 0x0003
	rmmod pvp_coop 2>/dev/null
	if rmmod pasid_vfio_pci 2>/tmp/lc.rmmod.err; then
		fail "$LCS/refused-while-open" "rmmod succeeded under an open VF"
	else
		pass "$LCS/refused-while-open"
	fi
	eq "$LCS/still-bound" "$(drv "$V0") $(drv "$V1") $(lc_sys)" "$PVP $PVP 0x0003"
	lc_close v0
	dmark
	if rmmod pasid_vfio_pci 2>/tmp/lc.rmmod.err; then
		pass "$LCS/works-after-close"
	else
		fail "$LCS/works-after-close" "$(cat /tmp/lc.rmmod.err)"
	fi
	eq "$LCS/unbound" "$(drv "$V0") $(drv "$V1")" "none none"
	eq "$LCS/applied" "$(lc_sys)" 0x0000
	lc_dmesg_ok "$LCS/apply-message" "applying the PASID disable vetoed"
	lc_fx_enable rmmod
	unbind "$V0"
	unbind "$V1"
	lc_pvp
	lc_sane rmmod
}

# 4: the guard cannot install (another IPMODIFY user): the module works
# without it; both unload cleanly
lc_squatter() {
	LCS=$LC/squatter
	if [ ! -f "/lib/modules/$KV/extra/pvp_squatter.ko" ]; then
		fail "$LCS" "pvp_squatter.ko not built"
		return
	fi
	rmmod pvp_coop 2>/dev/null
	modprobe -r pasid-vfio-pci 2>/dev/null
	ok "$LCS/module-unloaded-first" "pasid_vfio_pci still loaded" sh -c "! grep -q '^pasid_vfio_pci ' /proc/modules"
	ok "$LCS/squatter-load" "modprobe pvp_squatter: $(dmesg | tail -n 1)" modprobe pvp_squatter
	dmark
	ok "$LCS/module-loads" "modprobe pasid-vfio-pci failed with the slot taken" \
		modprobe pasid-vfio-pci
	eq "$LCS/guard-unavailable" "$(cat $LC_GA 2>/dev/null)" \
		"unavailable: ftrace refused the hook (kernel.ftrace_enabled=0, or another IPMODIFY user)"
	lc_dmesg_ok "$LCS/warning" "PF guard unavailable"
	[ "$LC_COOP" = 0 ] || modprobe pvp_coop pf="$IGB"
	lc_vfs
	if pvp_bind "$LCS" "$V0"; then
		# cooperation needs no hook
		lc_coop_eq "$LCS/in-use" "$(lc_in_use)" 1
		lc_h0=$(cat $LC_SQ/hits)
		vc "$LCS" run "$V0" "expect $LC_OFF 4 0x1001b cap-exposed" \
			"wr $LC_CTRL 2 1" "expect $LC_CTRL 2 1 enable-latches" \
			"sh echo 1 > $FX/disable" \
			"expect $LC_CTRL 2 0 enable-drops-unguarded"
		eq "$LCS/not-vetoed" "$(lc_sys)" 0x0000
		ok "$LCS/squatter-saw-call" "hits $lc_h0 -> $(cat $LC_SQ/hits)" \
			[ "$(cat $LC_SQ/hits)" -gt "$lc_h0" ]
		lc_fx_enable squatter
		unbind "$V0"
		lc_coop_eq "$LCS/events" "$(lc_events)" "HELD:$IGB:1 RELEASED:$IGB:0"
	fi
	rmmod pvp_coop 2>/dev/null
	ok "$LCS/squatter-unload" "rmmod pvp_squatter failed" rmmod pvp_squatter
	ok "$LCS/module-unload" "rmmod pasid_vfio_pci failed" rmmod pasid_vfio_pci
	# the failed installation left nothing behind: the guard installs now
	lc_pvp
	eq "$LCS/guard-installs-after" "$(cat $LC_GA 2>/dev/null)" active
	if insmod "/lib/modules/$KV/extra/pvp_squatter.ko" 2>/dev/null; then
		fail "$LCS/slot-kept" "pvp_squatter loaded although the guard holds the IPMODIFY slot"
		rmmod pvp_squatter
	else
		pass "$LCS/slot-kept"
	fi
	lc_sane squatter
}

# 4: the VF's driver goes (unbind; device removal takes the same path
# through the driver) while the VF is open: it waits for the close, then
# releases the guard and applies the owed disable
lc_vfunbind() {
	LCS=$LC/vfunbind
	lc_vfs
	pvp_bind "$LCS" "$V0" || return
	lc_open "$V0" v0 || return
	echo 1 >$FX/disable
	lc_clear
	dmark
	rm -f /tmp/lc.unbind.done
	(echo "$V0" >/sys/bus/pci/drivers/$PVP/unbind; touch /tmp/lc.unbind.done) &
	lc_p=$!
	sleep 0.5
	ok "$LCS/waits-for-close" "the unbind finished under an open fd" [ ! -e /tmp/lc.unbind.done ]
	eq "$LCS/kept-while-waiting" "$(lc_sys)" 0x0003
	lc_close v0
	lc_wait 100 test -e /tmp/lc.unbind.done
	ok "$LCS/done-after-close" "the unbind did not finish after close" [ -e /tmp/lc.unbind.done ]
	wait $lc_p
	eq "$LCS/unbound" "$(drv "$V0")" none
	eq "$LCS/applied" "$(lc_sys)" 0x0000
	lc_coop_eq "$LCS/events" "$(lc_events)" "RELEASED:$IGB:0"
	lc_fx_enable vfunbind
	unbind "$V0"
	lc_sane vfunbind
}

# lc_rp_cycle <step> [background]: remove the igb PF's root port (the
# whole slot, as a hot unplug) and rescan; the PCI core removes a bus's VFs
# before its PF.  The fixture must be unloaded: it holds the PF's bus.
lc_rp_cycle() {
	rm -f /tmp/lc.rp.done
	(echo 1 >"$(dev "$LC_RP")/remove"; touch /tmp/lc.rp.done) &
	lc_rpp=$!
	[ -z "${2:-}" ] || return 0
	lc_rp_rescan "$1"
}
lc_rp_rescan() {
	lc_wait 100 test -e /tmp/lc.rp.done
	ok "$LC/$1/slot-removed" "removing $LC_RP did not finish" [ -e /tmp/lc.rp.done ]
	wait $lc_rpp
	ok "$LC/$1/slot-gone" "$LC_RP or $IGB still exists" \
		[ ! -e "$(dev "$LC_RP")" ] && [ ! -e "$(dev "$IGB")" ]
	echo 1 >/sys/bus/pci/rescan
	lc_wait 100 test "$(drv "$IGB")" = igb
	eq "$LC/$1/slot-back" "$(drv "$LC_RP") $(drv "$IGB") $(cat "$(dev "$IGB")/sriov_numvfs")" "pcieport igb 0"
}

# lc_refixture <step>: a fresh PF with the fixture's PASID
lc_refixture() {
	vfs "$IGB" 0 2>/dev/null
	fx_load bdf="$IGB" offset=$LC_OFF width=20 exec=1 priv=0 enable=1 ||
		return 1
	eq "$LC/$1/refixture" "$(fx_state pasid_cap) $(lc_sw)" "$LC_OFF 1"
}

# 4 (PF removal, rescan) and 2 (release_device): the PF goes under an
# open VF
lc_pfremove() {
	LCS=$LC/pfremove
	lc_vfs
	pvp_bind "$LCS" "$V0" || return
	lc_open "$V0" v0 || return
	lc_trace_on || fail "$LCS/trace" "no tracefs"
	dmark
	echo 1 >"$(dev "$IGB")/remove"
	lc_trace_off
	ok "$LCS/pf-gone" "$IGB still exists" [ ! -e "$(dev "$IGB")" ]
	eq "$LCS/vf-kept" "$(drv "$V0")" $PVP
	lc_dmesg_ok "$LCS/igb-keeps-vfs" "while they are assigned"
	if lc_real "$LCS/release" "the PF's removal"; then
		eq "$LCS/release/hw-kept" "$(lc_hw)/$(lc_sw)" 0x0003/0
	fi
	lc_close v0
	eq "$LCS/kept-after-close" "$(lc_hw)" 0x0003
	# rescan with the old VF still bound: a new PF at the same address
	echo 1 >/sys/bus/pci/rescan
	lc_wait 100 test "$(drv "$IGB")" = igb
	eq "$LCS/pf-back" "$(drv "$IGB")" igb
	lc_pfnew=$(lc_sys)
	info "new PF $IGB: PASID control $lc_pfnew"
	unbind "$V0"
	eq "$LCS/old-vf-release-spares-new-pf" "$(lc_sys)" "$lc_pfnew"
	# The old VF stays on the bus (VFs have no remove attribute; its PF is
	# gone): only removing the slot takes it away
	fx_unload
	lc_rp_cycle pfremove
	ok "$LCS/old-vf-gone" "$V0 still exists" [ ! -e "$(dev "$V0")" ]
}

# 4: a VF removed while open (hot unplug of its slot): the removal waits
# for the close.  Without the fixture (it holds the bus): placement none.
lc_vfremove() {
	LCS=$LC/vfremove
	fx_unload
	lc_vfs
	pvp_bind "$LCS" "$V0" || return
	eq "$LCS/placement" "$(attr "$V0" placement)" none
	lc_open "$V0" v0 || return
	lc_rp_cycle vfremove background
	sleep 0.5
	ok "$LCS/waits-for-close" "the removal finished under an open fd" [ ! -e /tmp/lc.rp.done ]
	lc_close v0
	lc_rp_rescan vfremove
	lc_refixture vfremove
	lc_sane vfremove
}

# ---------------------------------------------------------------- case
# lc_run <step...>: run and time each step
lc_run() {
	for lc_step in "$@"; do
		lc_ts=$(cut -d. -f1 /proc/uptime)
		"lc_$lc_step"
		info "$LC $lc_step took $(($(cut -d. -f1 /proc/uptime) - lc_ts)) s"
	done
}

# lc_cdev: the steps where a VF is held open while something goes away,
# again with the VMM on the VF's VFIO cdev bound to iommufd, where the
# kernel has them (a VF must be bound to show its vfio-dev)
lc_cdev() {
	lc_vfs
	if ! bind "$V0" $PVP; then
		fail "$LC/cdev/bind" "$V0 not bound: $(dmesg | tail -n 2 | tr '\n' ' ')"
		return
	fi
	if ! have_cdev "$V0"; then
		skip "$LC/cdev" "no VFIO cdev with iommufd on $KV: $(why_no_cdev "$V0")"
		unbind "$V0"
		return
	fi
	unbind "$V0"
	lc_cs="veto sriov"
	[ "$MODE" != scalable ] || lc_cs="$lc_cs pfunbind rmmod vfunbind pfremove"
	LC=lifecycle/cdev LC_VIA=-i
	# shellcheck disable=SC2086 # a list of steps
	lc_run $lc_cs
	LC=lifecycle LC_VIA=
}

case_lifecycle() {
	CASE=lifecycle
	LC=lifecycle
	LC_VIA=
	LC_COOP=0
	[ -f "/lib/modules/$KV/extra/pvp_coop.ko" ] && LC_COOP=1
	[ $LC_COOP = 1 ] || fail "$LC/coop" "pvp_coop.ko not built: API checks skipped"
	LC_EN_OK=0
	modprobe pvp_enabler pf="$IGB" 2>/dev/null && LC_EN_OK=1
	if ! have_pvp; then
		fail "$LC/module" "pasid-vfio-pci is not loaded"
		return
	fi
	modprobe pci-pf-stub || fail "$LC/pf-stub" "modprobe pci-pf-stub failed"
	LC_RP=$(basename "$(dirname "$(readlink -f "$(dev "$IGB")")")")
	fx_load bdf="$IGB" offset=$LC_OFF width=20 exec=1 priv=0 enable=1 || return
	lc_pvp || return
	# veto, enable and sriov run in both modes: who enabled the PF's PASID (the
	# fixture, or intel-iommu in scalable mode) changes what they test.
	# The rest runs in scalable mode only: there intel-iommu owns the PF's
	# PASID as on real hardware, which the real paths need.
	lc_steps="veto enable sriov"
	if [ "$MODE" = scalable ]; then
		lc_steps="$lc_steps pfunbind rmmod squatter vfunbind pfremove vfremove"
	else
		skip "$LC/real-paths" "intel-iommu in legacy mode never enables a device's PASID (info->pasid_supported needs sm_supported(), i.e. x-scalable-mode), so no kernel path disables it; see scalable mode"
		skip "$LC/pf-lifecycle" "pfunbind rmmod squatter vfunbind pfremove vfremove run in scalable mode only"
	fi
	lc_t0=$(cut -d. -f1 /proc/uptime)
	# shellcheck disable=SC2086 # a list of steps
	lc_run $lc_steps
	lc_t1=$(cut -d. -f1 /proc/uptime)
	lc_cdev
	info "lifecycle took $((lc_t1 - lc_t0)) s, through the cdev $(($(cut -d. -f1 /proc/uptime) - lc_t1)) s"
	vfs "$IGB" 0
	fx_unload
	# the module unloads after all that, and loads again for later cases
	rmmod pvp_enabler 2>/dev/null
	rmmod pvp_coop 2>/dev/null
	modprobe -r pasid-vfio-pci 2>/dev/null
	ok "$LC/final/module-unloads" "pasid_vfio_pci still loaded" sh -c "! grep -q '^pasid_vfio_pci ' /proc/modules"
	pvp_load
}
