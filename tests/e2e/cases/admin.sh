# SPDX-License-Identifier: GPL-2.0
#
# admin: a careless admin (sourced by guest.sh).
#
#  - module parameters with bad syntax: modprobe fails, the module is not
#    loaded, and the log names the parameter (20 malformed pasid_offset
#    forms, 3 of pri_offset (one well-formed, but without
#    shared_caps=pasid,pri), 5 of shared_caps, 3 of expose, bad guard= and
#    require_pf_enabled= values); well-formed variants load, a 32-bit PCI
#    domain among them; runtime writes of bad values are refused
#  - pasid_offset naming a device that does not exist: accepted, harmless
#  - overlapping pasid_offset: the bind is refused with a message, and
#    nothing is left half-applied: no driver, no pasid_vfio attributes, the
#    PF guard does not hold the PF, vfio-pci binds and shows exactly the
#    stock view, the module unloads
#  - unbind while a client has the VF open: with a device request eventfd
#    the client is asked, closes and the unbind completes; without one the
#    unbind blocks until the client lets go, then completes
#  - SR-IOV disabled under an open VF with PASID exposed: refused (the VF
#    is marked assigned), the VF keeps working; under an open VF without
#    (nvme PF, no PASID): not assigned, so the disable proceeds through
#    vfio's device request, as under vfio-pci
#  - hot removal of an open VF (its root port: VFs have no sysfs remove):
#    the client is asked through the request eventfd, closes, the removal
#    completes; a rescan brings the PF back and its VF binds and opens
#  - 10 unload/load cycles with 4 VFs bound: they unbind on unload and
#    rebind (driver_override) on load; the guest stays healthy
#
# Runs in the default IOMMU mode only (nothing here depends on it; SKIP in
# the others).  Kernel command line: pvp.admin_cycles=N (load/unload
# cycles, default 10), pvp.admin_modes=default,scalable.

# ad_cap <check> <bdf> <offset>: the capability is there and Control works
# (fixture: Exec supported, Priv not: writable Control bits 0x3)
ad_cap() {
	vc "$1" run "$2" "expect $3 4 0x1001b header" "wr $(($3 + 6)) 2 0xffff" \
		"expect $(($3 + 6)) 2 3 control"
}

# ad_hold <bdf> <hold args...>: a client holding <bdf> open in the
# background (pid in $hp, output in /tmp/ad-hold.out); 0 once it has it open
ad_hold() {
	_hb=$1
	shift
	rm -f /tmp/ad-hold.out
	vfio-client hold "$_hb" "$@" >/tmp/ad-hold.out 2>&1 &
	hp=$!
	wait_for 10 grep -q "^HOLDING $_hb" /tmp/ad-hold.out
}

# ad_badparam <name> <module args...>: modprobe must fail, the module stay
# out, and the log name the parameter
ad_badparam() {
	_bn=$1
	shift
	modprobe -r pasid-vfio-pci 2>/dev/null
	dmark
	if modprobe pasid-vfio-pci "$@" 2>/tmp/ad-modprobe.err; then
		fail admin/bad-param/$_bn "modprobe pasid-vfio-pci $* succeeded"
		modprobe -r pasid-vfio-pci 2>/dev/null
		return
	fi
	_p=${1%%=*}
	if have_pvp; then
		fail admin/bad-param/$_bn "modprobe failed but pasid_vfio_pci is loaded"
	elif ! dsince | grep -q "$_p"; then
		fail admin/bad-param/$_bn "no kernel message naming $_p for '$*': $(dsince | tail -n 2 | tr '\n' ' ')"
	else
		pass admin/bad-param/$_bn
	fi
}

# ad_goodparam <name> <module args...>: modprobe must succeed
ad_goodparam() {
	_bn=$1
	shift
	modprobe -r pasid-vfio-pci 2>/dev/null
	if modprobe pasid-vfio-pci "$@" 2>/tmp/ad-modprobe.err && have_pvp; then
		pass admin/good-param/$_bn
	else
		fail admin/good-param/$_bn "modprobe pasid-vfio-pci $* failed: $(cat /tmp/ad-modprobe.err)"
	fi
}

ad_params() {
	V0=$1 V1=$2
	# malformed pasid_offset values: each must refuse the load
	i=0
	for bad in garbage "$V0" "$V0=" =0x200 "$V0=0x202" "$V0=0xfc" "$V0=0xffc" \
		"$V0=0x1000" "$V0=0x200,$V0=0x300" "$V0=0x200,${V0#0000:0}=0x300" \
		"$V0=0x200," "$V0=0x200,,$V1=0x200" "$V0=0x200;$V1=0x200" \
		"01:20.0=0x200" "01:10.8=0x200" "100:10.0=0x200" "100000000:01:10.0=0x200" \
		"$V0=0x200x" "$V0=-0x200" "1:2:3:4.0=0x200"; do
		i=$((i + 1))
		ad_badparam "pasid_offset-$i" "pasid_offset=$bad"
		[ "$(tail -n 1 $RES | cut -c1-4)" = PASS ] || info "admin: malformed form $i was '$bad'"
	done
	ad_badparam guard guard=sometimes
	ad_badparam require_pf_enabled require_pf_enabled=maybe
	ad_badparam pri_offset-1 pri_offset=garbage
	ad_badparam pri_offset-2 "pri_offset=$V0=0x1c8,$V0=0x200" shared_caps=pasid,pri
	# well-formed, but PRI is not emulated without shared_caps=pasid,pri
	ad_badparam pri_offset-3 "pri_offset=$V0=0x1c8"
	ad_badparam expose-1 expose=never
	ad_badparam expose-2 expose=
	ad_badparam expose-3 expose=auto,always
	ad_badparam shared_caps-1 shared_caps=pri
	ad_badparam shared_caps-2 shared_caps=pasid,bogus
	ad_badparam shared_caps-3 shared_caps=pasid,pasid
	ad_badparam shared_caps-4 shared_caps=pasid,pri,
	ad_badparam shared_caps-5 shared_caps=
	# well-formed: full and short BDF, no 0x, upper case, two devices,
	# empty
	ad_goodparam full "pasid_offset=$V0=0x200"
	ad_goodparam short "pasid_offset=${V0#0000:}=0x200"
	ad_goodparam no-0x "pasid_offset=$V0=200"
	ad_goodparam upper "pasid_offset=$(echo "$V0" | tr a-f A-F)=0X1C4"
	ad_goodparam two "pasid_offset=$V0=0x200,$V1=0x1c4"
	ad_goodparam empty "pasid_offset="
	ad_goodparam shared_caps-any-order shared_caps=pri,pasid
	# 32-bit PCI domains (VMD's start at 0x10000)
	ad_goodparam domain-32bit "pasid_offset=10000:01:10.0=0x200"
	ad_goodparam pri_offset-with-pri "pri_offset=$V0=0x1c8" shared_caps=pasid,pri
	ad_goodparam expose-auto expose=auto
	ad_goodparam expose-always expose=always
	# runtime: pasid_offset is read-only, require_pf_enabled takes booleans
	pvp_load
	_pm=/sys/module/pasid_vfio_pci/parameters
	if (echo "$V0=0x200" >$_pm/pasid_offset) 2>/dev/null; then
		fail admin/runtime-pasid_offset "pasid_offset is writable at runtime"
	else
		eq admin/runtime-pasid_offset "$(cat $_pm/pasid_offset)" "(null)"
	fi
	if (echo maybe >$_pm/require_pf_enabled) 2>/dev/null; then
		fail admin/runtime-require_pf_enabled "require_pf_enabled took 'maybe'"
	else
		eq admin/runtime-require_pf_enabled "$(cat $_pm/require_pf_enabled)" Y
	fi
}

# the unknown device of a pasid_offset= entry is harmless
ad_unknown() {
	V0=$1 V1=$2
	if ! pvp_load "pasid_offset=0000:7f:1f.7=0x200,ffff:ff:1f.7=0x100,$V1=0x1c4"; then
		fail admin/unknown-device "modprobe with an entry for a missing device failed: $(cat /tmp/modprobe.err)"
		return
	fi
	pass admin/unknown-device-load
	if pvp_bind admin/unknown-device $V0; then
		eq admin/unknown-device-placement "$(attr $V0 placement)" pf-offset
		ad_cap admin/unknown-device $V0 0x1c0
	fi
	if pvp_bind admin/unknown-device-other $V1; then
		eq admin/unknown-device-other-placement "$(attr $V1 placement) $(attr $V1 offset)" "override 0x1c4"
		ad_cap admin/unknown-device-other $V1 0x1c4
	fi
	unbind $V0
	unbind $V1
}

# overlapping overrides: refused, nothing half-applied
ad_overlap() {
	V0=$1
	bind $V0 vfio-pci && dump_ok admin/overlap-stock-dump $V0 /tmp/ad-stock
	unbind $V0
	for o in 0x100 0x104 0x150 0x154; do
		n=overlap-$o
		if ! pvp_load "pasid_offset=$V0=$o"; then
			fail admin/$n "modprobe pasid_offset=$V0=$o failed: $(cat /tmp/modprobe.err)"
			continue
		fi
		dmark
		bind $V0 $PVP
		_d=$(drv $V0)
		if [ "$_d" = none ]; then pass admin/$n-refused; else
			fail admin/$n-refused "bound to $_d"; fi
		ok admin/$n-message "no dmesg line naming pasid_offset and the overlap" \
			dlogged "pasid_offset=$o.*overlap"
		ok admin/$n-no-attrs "$(dev $V0)/pasid_vfio exists" [ ! -e "$(dev $V0)/pasid_vfio" ]
		ok admin/$n-no-driver-link "driver lists $V0" [ ! -e /sys/bus/pci/drivers/$PVP/$V0 ]
		# the PF guard does not hold the PF for a device never bound
		echo 1 >$FX/disable
		eq admin/$n-guard-not-held "$(sysrd $IGB 0x1c6 2)" 0x0000
		echo 1 >$FX/enable
		echo >"$(dev $V0)/driver_override"
		if bind $V0 vfio-pci; then
			dump_ok admin/$n-vfio-pci-dump $V0 /tmp/ad-after
			vc admin/$n-vfio-pci diff /tmp/ad-stock /tmp/ad-after --same
		else
			fail admin/$n-vfio-pci "$V0 does not bind to vfio-pci after the refused bind"
		fi
		unbind $V0
		modprobe -r pasid-vfio-pci 2>/dev/null
		ok admin/$n-unload "pasid_vfio_pci still loaded" sh -c '! grep -q "^pasid_vfio_pci " /proc/modules'
	done
	# the first free dword after ARI (0x150, 8 bytes) is taken
	if pvp_load "pasid_offset=$V0=0x158" && pvp_bind admin/adjacent $V0; then
		eq admin/adjacent-placement "$(attr $V0 placement) $(attr $V0 offset)" "override 0x158"
		ad_cap admin/adjacent $V0 0x158
	fi
	unbind $V0
	pvp_load
}

# unbind and remove while a client holds the device open
ad_inuse() {
	V0=$1 V1=$2
	# unbind, client with a request eventfd: asked to close, closes
	if pvp_bind admin/unbind-req $V0; then
		if ad_hold $V0 --req --secs 30; then
			t0=$(date +%s)
			echo $V0 >"$(dev $V0)/driver/unbind"
			t1=$(date +%s)
			wait $hp
			rc=$?
			info "unbind with request: $(tr '\n' ' ' </tmp/ad-hold.out) (unbind took $((t1 - t0)) s)"
			ok admin/unbind-req-asked "client not asked: $(tr '\n' ' ' </tmp/ad-hold.out)" \
				grep -q '^REQUEST' /tmp/ad-hold.out
			eq admin/unbind-req-client-exit $rc 0
			eq admin/unbind-req-unbound "$(drv $V0)" none
			ok admin/unbind-req-quick "unbind took $((t1 - t0)) s" [ $((t1 - t0)) -lt 10 ]
		else
			fail admin/unbind-req "client did not open $V0: $(cat /tmp/ad-hold.out)"
			kill $hp 2>/dev/null
			wait $hp
		fi
	fi
	unbind $V0
	# unbind, client without one: the unbind waits for the close
	if pvp_bind admin/unbind-wait $V0; then
		rm -f /tmp/ad-unbind.done
		if ad_hold $V0 --secs 3; then
			# shellcheck disable=SC2320 # the status of the unbind write
			(echo $V0 >"$(dev $V0)/driver/unbind"; echo $? >/tmp/ad-unbind.done) &
			up=$!
			sleep 1.5
			# (the driver link goes before the driver's remove runs)
			if [ ! -e /tmp/ad-unbind.done ] && kill -0 $hp 2>/dev/null; then
				pass admin/unbind-wait-blocks
			else
				fail admin/unbind-wait-blocks "unbind returned while the client held the device"
			fi
			wait $hp
			wait_for 15 test -e /tmp/ad-unbind.done
			ok admin/unbind-wait-completes "unbind still blocked after the client closed" \
				test -e /tmp/ad-unbind.done
			wait $up
			info "unbind without request: $(tr '\n' ' ' </tmp/ad-hold.out)"
			eq admin/unbind-wait-unbound "$(drv $V0)" none
		else
			fail admin/unbind-wait "client did not open $V0: $(cat /tmp/ad-hold.out)"
			kill $hp 2>/dev/null
			wait $hp
		fi
	fi
	unbind $V0
	# SR-IOV cannot go away under an open VF (it is marked assigned).  The
	# disable runs in the background: were it accepted, it would wait for
	# the client to close.
	if pvp_bind admin/sriov-off $V1; then
		rm -f /tmp/ad-sriov.rc
		vc admin/sriov-off run $V1 "wr 0x1c6 2 1" \
			"sh (echo 0 >$(dev $IGB)/sriov_numvfs; echo \$? >/tmp/ad-sriov.rc) 2>/dev/null & sleep 1" \
			"expect 0x1c0 4 0x1001b header-after" "expect 0x1c6 2 1 control-after"
		wait_for 15 test -s /tmp/ad-sriov.rc
		if [ "$(cat /tmp/ad-sriov.rc 2>/dev/null)" = 0 ]; then
			fail admin/sriov-off-refused "sriov_numvfs 0 accepted under an open VF"
		else
			eq admin/sriov-off-refused "$(cat "$(dev $IGB)/sriov_numvfs")" 4
		fi
	fi
	unbind $V1
}

# SR-IOV disabled under an open VF whose PF has no PASID: nothing exposed,
# so the VF is not marked assigned and behaves as under vfio-pci: the PF's
# sriov_configure (nvme: pci_sriov_configure_simple(), which refuses while
# VFs are assigned) proceeds and vfio asks the client to close
ad_sriov_nopasid() {
	vfs $NVME 1
	_nv=$(vf $NVME 0)
	if ! pvp_bind admin/sriov-nopasid $_nv; then
		vfs $NVME 0
		return
	fi
	eq admin/sriov-nopasid-not-exposed "$(attr $_nv placement)" none
	if ad_hold $_nv --req --secs 30; then
		dmark
		if echo 0 >"$(dev $NVME)/sriov_numvfs" 2>/dev/null; then
			pass admin/sriov-nopasid-disabled
		else
			fail admin/sriov-nopasid-disabled "sriov_numvfs 0 refused: $(dsince | tail -n 1)"
		fi
		wait $hp
		rc=$?
		ok admin/sriov-nopasid-asked "client not asked: $(tr '\n' ' ' </tmp/ad-hold.out)" \
			grep -q '^REQUEST' /tmp/ad-hold.out
		eq admin/sriov-nopasid-client-exit $rc 0
		ok admin/sriov-nopasid-vf-gone "$_nv still present" [ ! -e "$(dev $_nv)" ]
		ok admin/sriov-nopasid-not-assigned "the PF saw an assigned VF" \
			dunlogged "while VFs are assigned"
	else
		fail admin/sriov-nopasid "client did not open $_nv: $(cat /tmp/ad-hold.out)"
		kill $hp 2>/dev/null
		wait $hp
	fi
	vfs $NVME 0
}

# Hot removal of an open VF.  VFs have no sysfs "remove" (the PCI core hides
# it), so the root port above the nvme PF is removed, which removes its VF
# first.  (Not the igb port: pasid_fixture keeps a pointer to that bus.)
# The nvme PF has no PASID: the VF is bound without the capability.
ad_remove() {
	_rp=$(basename "$(dirname "$(readlink -f "$(dev $NVME)")")")
	vfs $NVME 1
	_nv=$(vf $NVME 0)
	if ! pvp_bind admin/remove $_nv; then
		vfs $NVME 0
		return
	fi
	if ad_hold $_nv --req --secs 30; then
		t0=$(date +%s)
		echo 1 >"$(dev $_rp)/remove"
		t1=$(date +%s)
		wait $hp
		rc=$?
		info "remove of $_rp with $_nv open: $(tr '\n' ' ' </tmp/ad-hold.out) (remove took $((t1 - t0)) s)"
		ok admin/remove-asked "client not asked: $(tr '\n' ' ' </tmp/ad-hold.out)" \
			grep -q '^REQUEST' /tmp/ad-hold.out
		eq admin/remove-client-exit $rc 0
		ok admin/remove-gone "$_nv still present" [ ! -e "$(dev $_nv)" ]
	else
		fail admin/remove "client did not open $_nv: $(cat /tmp/ad-hold.out)"
		kill $hp 2>/dev/null
		wait $hp
	fi
	echo 1 >/sys/bus/pci/rescan
	wait_for 10 test -e "$(dev $NVME)/driver"
	eq admin/remove-rescan-pf-driver "$(drv $NVME)" nvme
	vfs $NVME 1
	_nv=$(vf $NVME 0)
	if [ -n "$_nv" ] && pvp_bind admin/remove-rescan-vf $_nv; then
		vc admin/remove-rescan-vf open $_nv
	fi
	[ -z "$_nv" ] || unbind $_nv
	vfs $NVME 0
}

# unload/load cycles with VFs bound
ad_cycles() {
	n=$1
	shift
	pvp_load
	for v in "$@"; do bind $v $PVP; done
	bad=0
	i=1
	while [ $i -le "$n" ]; do
		modprobe -r pasid-vfio-pci 2>/dev/null
		_b=0
		for v in "$@"; do [ "$(drv $v)" = none ] || _b=$((_b + 1)); done
		if have_pvp || [ $_b != 0 ]; then
			fail admin/cycle-$i-unload "module loaded: $(have_pvp && echo yes || echo no), $_b VFs still bound"
			bad=$((bad + 1))
		fi
		modprobe pasid-vfio-pci 2>/tmp/ad-modprobe.err
		_b=0
		for v in "$@"; do [ "$(drv $v)" = $PVP ] && _b=$((_b + 1)); done
		if [ $_b != $# ]; then
			fail admin/cycle-$i-load "$_b of $# VFs rebound: $(cat /tmp/ad-modprobe.err)"
			bad=$((bad + 1))
		fi
		# now and then a client opens one meanwhile
		if [ $((i % 3)) = 0 ] && ! ecaps "$1" | grep -q '0x001b.*@0x1c0'; then
			fail admin/cycle-$i-open "no PASID capability on $1 after reload"
			bad=$((bad + 1))
		fi
		i=$((i + 1))
	done
	[ $bad = 0 ] && pass admin/unload-load-cycles
	info "admin: $n unload/load cycles with $# VFs bound, $bad failures"
	vc admin/after-cycles pasid-check "$1" --offset 0x1c0 --width 20 --exec 1 --priv 0
	eq admin/after-cycles-pf-enabled "$(fx_state pasid_enabled)" 1
	eq admin/after-cycles-refcnt "$(cat /sys/module/pasid_vfio_pci/refcnt 2>/dev/null)" 0
	for v in "$@"; do unbind $v; done
}

case_admin() {
	CASE="admin"
	in_modes admin admin_modes default || return
	AD_CYCLES=$(karg admin_cycles 10)
	if [ ! -f /lib/modules/$KV/extra/pasid-vfio-pci.ko ]; then
		fail admin/module "pasid-vfio-pci.ko is missing"
		return
	fi
	fx_load bdf=$IGB offset=0x1c0 width=20 exec=1 priv=0 enable=1 || return
	vfs $IGB 4
	# shellcheck disable=SC2046 # one word per VF
	set -- $(vflist $IGB)
	_t=$(date +%s)
	ad_params "$1" "$2"
	_t1=$(date +%s)
	ad_unknown "$1" "$2"
	ad_overlap "$1"
	_t2=$(date +%s)
	ad_inuse "$1" "$2"
	ad_sriov_nopasid
	ad_remove
	_t3=$(date +%s)
	# shellcheck disable=SC2046
	set -- $(vflist $IGB)
	ad_cycles "$AD_CYCLES" "$@"
	info "admin: parameters $((_t1 - _t)) s, unknown/overlap $((_t2 - _t1)) s, in use/remove $((_t3 - _t2)) s, cycles $(($(date +%s) - _t3)) s"
	pvp_load
	vfs $IGB 0
	fx_unload
}
