# SPDX-License-Identifier: GPL-2.0
#
# driverctl: the admin's binding tools, for real (sourced by guest.sh).
#
# bookworm's driverctl (the host's /usr/sbin/driverctl, run by bash) and
# systemd-udevd from bookworm's udev package, with driverctl's own udev
# rule and unit and the project's udev/90-pasid-vfio-pci.rules, all copied
# into the initramfs by run.sh (build_userland).  igb PF with PASID at
# 0x1c0 (fixture), its VFs:
#
#  - set-override with the module and vfio-pci-core unloaded: driverctl's
#    modprobe loads them (dependencies from modules.dep), binds the VF,
#    saves /etc/driverctl.d/pci-<VF>; list-overrides shows it; a VFIO
#    client sees the capability; the kernel log names the device
#  - --nosave binds without saving
#  - VF re-creation (sriov_numvfs 0, then 2) with udevd running: driverctl's
#    rule asks systemd for driverctl@pci-<VF>.service for the saved VF only;
#    the unit, started as systemd would (no systemd in the guest: its
#    Condition and ExecStart are replayed from the unit file), binds it
#  - boot (coldplug, "udevadm trigger --action=add"): the same
#  - unset-override where no other driver can take the VF fails and keeps
#    the saved file (the caveat docs/admin-guide.md tells of);
#    --noprobe unset-override forgets it; with igbvf loaded and the PF's
#    sriov_drivers_autoprobe on, unset-override hands the VF to igbvf
#  - the project's udev rule: every VF of the listed PF (3, PF autoprobe
#    on, igbvf loaded, so igbvf claims each VF as it is added) lands on
#    pasid-vfio-pci without a saved override, a VF of another
#    PF is left alone, and "udevadm trigger" does not unbind a VF a client
#    holds open
#
# Runs in the default IOMMU mode only (binding does not depend on it; SKIP
# in the others; pvp.driverctl_modes=default,scalable).

DC_UNIT=/lib/systemd/system/driverctl@.service

dc() { /usr/sbin/driverctl "$@" >/tmp/dc.out 2>&1; }
dc_out() { tr '\n' ' ' </tmp/dc.out | cut -c1-200; }
# dc_ok <check> <driverctl args...>: PASS when driverctl succeeds
dc_ok() {
	_dk=$1
	shift
	if dc "$@"; then pass "$_dk"; else fail "$_dk" "driverctl $*: $(dc_out)"; fi
}
mods_loaded() { for _m in "$@"; do grep -q "^$_m " /proc/modules || return 1; done; }
ovr() { cat "$(dev "$1")/driver_override"; }
saved() { cat "/etc/driverctl.d/pci-$1" 2>/dev/null || echo none; }
# dc_monitor_start / dc_monitor_stop: record the events udev has
# processed, with their properties, as systemd receives them
dc_monitor_start() {
	rm -f /tmp/dc-mon.out
	udevadm monitor --udev --property --subsystem-match=pci >/tmp/dc-mon.out 2>&1 &
	mp=$!
	wait_for 10 grep -q '^UDEV - ' /tmp/dc-mon.out
}
dc_monitor_stop() {
	dc_settle
	kill "$mp" 2>/dev/null
	wait "$mp" 2>/dev/null
}
# dc_wants <bdf> <action>: the unit udev asked systemd for in its last
# <action> event of <bdf> (systemd reads it from that event: a later
# "change" event, as the kernel sends one for a new VF, does not carry it)
dc_wants() {
	awk -v dev="$1" -v act="$2" '
	/^UDEV / { cur = ($3 == act && $4 ~ ("/" dev "$")); if (cur) w = ""; next }
	cur && /^SYSTEMD_WANTS=/ { w = substr($0, 15) }
	END { print w }' /tmp/dc-mon.out
}

# dc_start_unit <unit>: what systemd does for SYSTEMD_WANTS=<unit>, from
# the unit file: skip unless ConditionPathExists holds, else run ExecStart
# with %i (the instance) and %I (the instance unescaped: "-" is "/").
# Returns ExecStart's status, or 200 when the unit is not driverctl's, 201
# when the condition fails.
dc_start_unit() {
	_inst=${1#driverctl@}
	_inst=${_inst%.service}
	[ "driverctl@$_inst.service" = "$1" ] || return 200
	_uninst=$(echo "$_inst" | tr - /)
	_cond=$(sed -n 's/^ConditionPathExists=//p' $DC_UNIT | sed "s|%i|$_inst|g")
	[ -e "$_cond" ] || return 201
	_exec=$(sed -n 's/^ExecStart=//p' $DC_UNIT | sed "s|%I|$_uninst|g; s|%i|$_inst|g")
	# shellcheck disable=SC2086 # a command line
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin $_exec >/tmp/dc-unit.out 2>&1
}

dc_udevd_start() {
	mkdir -p /run/udev /etc/udev/rules.d
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		/lib/systemd/systemd-udevd --daemon --resolve-names=never >/tmp/udevd.out 2>&1
	wait_for 10 test -S /run/udev/control
}
dc_udevd_stop() {
	udevadm control --exit 2>/dev/null
	wait_for 10 sh -c '! pidof systemd-udevd >/dev/null'
	rm -f /etc/udev/rules.d/90-pasid-vfio-pci.rules
}
# dc_settle: udev has seen and handled every event sent so far
dc_settle() { udevadm settle -t 15; }

case_driverctl() {
	CASE=driverctl
	in_modes driverctl driverctl_modes default || return
	for f in /bin/bash /usr/sbin/driverctl /bin/udevadm $DC_UNIT \
		/lib/udev/rules.d/05-driverctl.rules /usr/share/pasid-vfio-pci/90-pasid-vfio-pci.rules; do
		if [ ! -e "$f" ]; then
			fail driverctl/tools "$f is not in the initramfs (see the host/userland line)"
			return
		fi
	done
	pass driverctl/tools
	OFF=0x1c0
	fx_load bdf=$IGB offset=$OFF width=20 exec=1 priv=0 enable=1 || return
	# driverctl runs /sbin/modprobe; only while this case runs, so that
	# the kernel's module autoloading stays off for the other cases
	ln -sf /bin/busybox /sbin/modprobe
	mkdir -p /etc/driverctl.d
	vfs $IGB 2
	V0=$(vf $IGB 0)
	V1=$(vf $IGB 1)

	# set-override loads the module with its dependencies
	modprobe -r pasid-vfio-pci 2>/dev/null
	modprobe -r vfio_pci 2>/dev/null
	if mods_loaded pasid_vfio_pci || mods_loaded vfio_pci_core; then
		fail driverctl/unloaded "pasid_vfio_pci or vfio_pci_core still loaded"
	else
		pass driverctl/unloaded
	fi
	dmark
	dc_ok driverctl/set-override set-override "$V0" $PVP
	eq driverctl/set-override-driver "$(drv $V0)" $PVP
	ok driverctl/set-override-modprobe "pasid_vfio_pci or vfio_pci_core not loaded" \
		mods_loaded pasid_vfio_pci vfio_pci_core vfio
	eq driverctl/set-override-saved "$(saved $V0)" $PVP
	eq driverctl/set-override-sysfs "$(ovr $V0)" $PVP
	dc list-overrides
	ok driverctl/list-overrides "'$(dc_out)' does not list $V0 $PVP" \
		grep -qx "$V0 $PVP" /tmp/dc.out
	eq driverctl/placement "$(attr $V0 placement)" pf-offset
	vc driverctl/set-override pasid-check $V0 --offset $OFF --width 20 --exec 1 --priv 0
	ok driverctl/log-names-device "no '$PVP $V0: PASID capability at $OFF' in dmesg" \
		dlogged "$PVP $V0: PASID capability at $OFF (pf-offset), mirrors $IGB"

	# --nosave
	dc_ok driverctl/nosave --nosave set-override "$V1" $PVP
	eq driverctl/nosave-driver "$(drv $V1)" $PVP
	eq driverctl/nosave-not-saved "$(saved $V1)" none

	# VF re-creation: driverctl's udev rule and unit bind the saved VF again
	if ! dc_udevd_start; then
		fail driverctl/udevd "systemd-udevd did not start: $(tr '\n' ' ' </tmp/udevd.out | cut -c1-200)"
		dc_cleanup
		return
	fi
	pass driverctl/udevd
	vfs $IGB 0
	dc_monitor_start
	echo 2 >"$(dev $IGB)/sriov_numvfs"
	dc_monitor_stop
	eq driverctl/recreate-same-address "$(vf $IGB 0)" "$V0"
	eq driverctl/recreate-unbound "$(drv $V0) $(ovr $V0)" "none (null)"
	eq driverctl/recreate-wants "$(dc_wants $V0 add)" "driverctl@pci-$V0.service"
	eq driverctl/recreate-nosave-no-wants "$(dc_wants $V1 add)" ""
	dc_start_unit "$(dc_wants $V0 add)"
	eq driverctl/recreate-unit-status "$?" 0
	eq driverctl/recreate-driver "$(drv $V0)" $PVP
	eq driverctl/recreate-nosave-driver "$(drv $V1)" none
	vc driverctl/recreate run $V0 "expect $OFF 4 0x1001b pasid-header"

	# boot: the device comes up without an override, coldplug replays "add"
	unbind $V0
	dc_monitor_start
	udevadm trigger --action=add "$(dev $V0)"
	dc_monitor_stop
	eq driverctl/coldplug-wants "$(dc_wants $V0 add)" "driverctl@pci-$V0.service"
	dc_start_unit "$(dc_wants $V0 add)"
	eq driverctl/coldplug-unit-status "$?" 0
	eq driverctl/coldplug-driver "$(drv $V0)" $PVP

	# unset-override: no other driver for an igb VF in the guest
	dc unset-override "$V0"
	eq driverctl/unset-no-driver-fails "$?:$(drv $V0)" "1:none"
	ok driverctl/unset-no-driver-message "'$(dc_out)'" grep -q 'failed to bind' /tmp/dc.out
	eq driverctl/unset-no-driver-keeps-file "$(saved $V0)" $PVP
	dc_ok driverctl/unset-noprobe --noprobe unset-override "$V0"
	eq driverctl/unset-noprobe-forgets "$(saved $V0)" none
	eq driverctl/unset-noprobe-sysfs "$(drv $V0) $(ovr $V0)" "none (null)"
	dc_start_unit "driverctl@pci-$V0.service"
	eq driverctl/unset-unit-skipped "$?" 201
	dc list-overrides
	ok driverctl/list-overrides-empty "'$(dc_out)'" sh -c "! grep -q '$PVP' /tmp/dc.out"
	# with the VF driver loaded and the PF's VFs probed (a VF without
	# driver_override is probed only then), unset-override hands the
	# VF over to it
	if modprobe igbvf; then
		echo 1 >"$(dev $IGB)/sriov_drivers_autoprobe"
		dc set-override "$V0" $PVP
		eq driverctl/set-override-again "$?:$(drv $V0)" "0:$PVP"
		dc unset-override "$V0"
		eq driverctl/unset-to-vf-driver "$?:$(drv $V0):$(saved $V0)" "0:igbvf:none"
		echo 0 >"$(dev $IGB)/sriov_drivers_autoprobe"
	else
		fail driverctl/unset-to-vf-driver "modprobe igbvf failed"
	fi

	# the project's rule: every VF of $IGB, none of $NVME; igbvf (loaded)
	# claims each VF of $IGB when it is added, the rule takes it back
	sed "s|^  RESULT==.*|  RESULT==\"*/$IGB\", \\\\|" \
		/usr/share/pasid-vfio-pci/90-pasid-vfio-pci.rules >/etc/udev/rules.d/90-pasid-vfio-pci.rules
	udevadm control --reload
	vfs $IGB 0
	echo 1 >"$(dev $IGB)/sriov_drivers_autoprobe"
	dmark
	echo 3 >"$(dev $IGB)/sriov_numvfs"
	dc_settle
	n=0 c=0
	for v in $(vflist $IGB); do
		[ "$(drv $v)" = $PVP ] && n=$((n + 1))
		dsince | grep -q "igbvf $v: " && c=$((c + 1))
	done
	eq driverctl/rule-binds-all-vfs "$n/$(vflist $IGB | wc -l)" "3/3"
	eq driverctl/rule-vf-driver-had-claimed "$c" 3
	eq driverctl/rule-nosave "$(ls /etc/driverctl.d)" ""
	V2=$(vf $IGB 2)
	vc driverctl/rule run $V2 "expect $OFF 4 0x1001b pasid-header"
	# (nvme's autoprobe stays off: the nvme driver would wait for a VF
	# without resources)
	vfs $NVME 1
	dc_settle
	N0=$(vf $NVME 0)
	eq driverctl/rule-other-pf "$(drv $N0) $(ovr $N0)" "none (null)"
	vfs $NVME 0
	# a client holds V2 open (request eventfd armed), as a VMM would:
	# a trigger of every PCI device must not try to unbind it
	rm -f /tmp/dc-hold.out
	vfio-client hold "$V2" --req --secs 6 >/tmp/dc-hold.out 2>&1 &
	hp=$!
	if wait_for 10 grep -q "^HOLDING $V2" /tmp/dc-hold.out; then
		udevadm trigger --action=change --subsystem-match=pci
		dc_settle
		wait $hp
		eq driverctl/rule-trigger-leaves-open-vf "$?:$(grep -c REQUEST /tmp/dc-hold.out)" "3:0"
		eq driverctl/rule-trigger-driver "$(drv $V2)" $PVP
	else
		fail driverctl/rule-trigger "client did not open $V2: $(cat /tmp/dc-hold.out)"
		wait $hp
	fi
	dc_cleanup
}

dc_cleanup() {
	dc_udevd_stop
	for v in $(vflist $IGB); do
		[ "$(saved "$v")" = none ] || dc --noprobe unset-override "$v"
	done
	vfs $IGB 0
	echo 0 >"$(dev $IGB)/sriov_drivers_autoprobe"
	rm -f /sbin/modprobe
	modprobe -r igbvf 2>/dev/null
	have_pvp || pvp_load
	grep -q '^vfio_pci ' /proc/modules || modprobe vfio_pci
	fx_unload
}
