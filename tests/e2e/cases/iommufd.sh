# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Case iommufd: a VF on pasid-vfio-pci through the VFIO device cdev and
# /dev/iommu, with PASIDs attached through the driver
# (VFIO_DEVICE_ATTACH_IOMMUFD_PT + VFIO_DEVICE_ATTACH_PASID).
#
# Needs a kernel with CONFIG_IOMMUFD and CONFIG_VFIO_DEVICE_CDEV (the tag
# 7.3-iommufd; every Debian kernel SKIPs it with one line) and the
# scalable-mode vIOMMU (x-scalable-mode, x-pasid-mode): only then does
# intel-iommu enable the PF's PASID at probe and attach PASIDs.
#
# The igb PF gets PASID at 0x1c0 (fixture: width 20, Exec); one VF, the
# module loaded with expose=auto (the e2e default, expose=always from
# /etc/modprobe.d, is overridden for this case):
#  type1     the group/container open shows no PASID capability and logs
#            why ("not exposed: opened through a VFIO container (type1)")
#  cdev      the cdev open shows it: pasid-check (0x1c0, Exec, Max PASID
#            Width 20 or the host's out_max_pasid_log2 where smaller: QEMU
#            10.0's vIOMMU has 2 PASIDs, 1 bit)
#  hwinfo    IOMMU_GET_HW_INFO on the VF agrees with the capability: Max
#            PASID Width == out_max_pasid_log2 (a smaller host value is a
#            FAIL named width-within-host: the guest is promised PASIDs the
#            host cannot attach), Exec/Priv == IOMMU_HW_CAP_PCI_PASID_*
#  attach    PASIDs 1, 2 and 0x400 where the host has them: each on its own
#            IOAS with a mapped page and a PASID-compatible HWPT (the RID
#            moved onto one first), attached, held (IOMMU_DESTROY of the
#            HWPT: EBUSY), detached (HWPT and IOAS then destroyed); the
#            PASIDs beyond 2^out_max_pasid_log2 fail with EINVAL; an IOAS
#            attached to a PASID directly fails with EINVAL (iommufd's
#            automatic domains are not PASID-compatible: uAPI
#            IOMMU_HWPT_ALLOC_PASID)
#  vfio-pci  the same attaches on stock vfio-pci: the same results
#  guard     guard=bound holds the PF: a PASID attached on the open VF
#            stays attached across the fixture's pci_disable_pasid() (the
#            veto keeps the PF's PASID Control at Enable|Exec), hwinfo still
#            reports Exec, detach works
#  pf-off    the PF's PASID disabled (nothing holds it): a cdev open of the
#            VF on pasid-vfio-pci shows no capability (require_pf_enabled)
#            and says why; the PASID attach on vfio-pci and on
#            pasid-vfio-pci: IFD_PF_OFF_ATTACH (7.3: attached, no errno:
#            neither iommufd nor intel-iommu's set_dev_pasid looks at the
#            PF's PASID Enable; the VF cannot emit PASID TLPs meanwhile)
#
# Never calls IOMMU_GET_HW_INFO while the PF's PASID is really disabled:
# iommufd_get_hw_info() WARNs then (7.3: WARN_ON_ONCE on the PF's Control),
# which fails the boot.  Kernel command line: pvp.iommufd_modes=.

IFD_OFF=0x1c0
# What VFIO_DEVICE_ATTACH_IOMMUFD_PT(PASID) does with the PF's PASID
# disabled: "ok" (attached) or an errno name
IFD_PF_OFF_ATTACH=ok

# ifd_results <file> <name>: the check lines of a vfio-client run under
# <name>, without the name and object ids, to compare two runs
ifd_results() {
	grep -E '^(PASS|FAIL|SKIP) ' "$1" | sed "s|$P/iommufd/$2/||" |
		sed -E 's/(HWPT|IOAS|dev_id) [0-9]+/\1 N/g'
}

# ifd_attaches <name> <vf> <in> <out>: attach PASIDs <in> (<name>/host:
# attach, held, detach), then <out> (<name>/beyond: EINVAL), then PASID 1
# to an IOAS (<name>/ioas: EINVAL); the check lines in /tmp/ifd-<name>
ifd_attaches() {
	: >"/tmp/ifd-$1"
	vc "iommufd/$1/host" -i pasid-attach "$2" --pasids "$3"
	cat /tmp/checks.out >>"/tmp/ifd-$1"
	vc "iommufd/$1/beyond" -i pasid-attach "$2" --pasids "$4" --expect-errno EINVAL
	cat /tmp/checks.out >>"/tmp/ifd-$1"
	vc "iommufd/$1/ioas" -i pasid-attach "$2" --pasids 1 --pt ioas --expect-errno EINVAL
	cat /tmp/checks.out >>"/tmp/ifd-$1"
}

# ifd_pf_off <name> <vf>: PASID 1 attached with the PF's PASID disabled,
# as IFD_PF_OFF_ATTACH says
ifd_pf_off() {
	if [ "$IFD_PF_OFF_ATTACH" = ok ]; then
		vc "iommufd/pf-off/$1" -i pasid-attach "$2" --pasids 1
	else
		vc "iommufd/pf-off/$1" -i pasid-attach "$2" --pasids 1 \
			--expect-errno "$IFD_PF_OFF_ATTACH"
	fi
	cp /tmp/checks.out "/tmp/ifd-pf-off-$1"
}

case_iommufd() {
	CASE=iommufd
	if [ ! -e /dev/iommu ]; then
		skip iommufd "no /dev/iommu: kernel $KV has no CONFIG_IOMMUFD (nothing to attach PASIDs through)"
		return
	fi
	in_modes iommufd iommufd_modes scalable || return
	_pm=/sys/module/pasid_vfio_pci/parameters
	_ga=/sys/bus/pci/drivers/$PVP/guard
	fx_load bdf="$IGB" offset=$IFD_OFF width=20 exec=1 enable=1 || return
	eq iommufd/fixture-pf-enabled "$(fx_state pasid_enabled)" 1
	vfs "$IGB" 1
	_v=$(vf "$IGB" 0)
	# the type1 open of a kernel that has iommufd: vfio's own container
	# unless CONFIG_IOMMUFD_VFIO_CONTAINER replaced it
	_t1="a VFIO container (type1)"
	grep -q '^vfio_iommu_type1 ' /proc/modules || _t1="iommufd's compat container"

	if pvp_load expose=auto && pvp_bind iommufd "$_v"; then
		eq iommufd/param-expose-auto "$(cat $_pm/expose)" auto
		if [ ! -d "$(dev "$_v")/vfio-dev" ]; then
			skip iommufd/cdev "no $(dev "$_v")/vfio-dev: $KV has CONFIG_IOMMUFD but no CONFIG_VFIO_DEVICE_CDEV"
		else
			ifd_main "$_v"
		fi
	fi
	unbind "$_v"
	# whatever happened above, the PF's PASID back on for fx_unload
	# (intel-iommu's release_device disables it: WARN if already off)
	[ "$(fx_state pasid_enabled)" = 1 ] || echo 1 >$FX/enable
	eq iommufd/fixture-reenabled "$(fx_state pasid_enabled)" 1
	vfs "$IGB" 0
	fx_unload
	pvp_load
}

ifd_main() {
	_v=$1
	# type1: not shown under expose=auto, and said why
	dmark
	eq iommufd/type1-no-pasid "$(ecaps "$_v" | grep -c 'ecap 0x001b')" 0
	ok iommufd/type1-logged "no 'not exposed: opened through $_t1' line: $(dsince | tail -n 2 | tr '\n' ' ')" \
		dlogged "not exposed: opened through $_t1"

	# cdev: shown, as the PF's
	dmark
	eq iommufd/cdev-pasid "$(ecaps "$_v" -i | grep -c "ecap 0x001b.*@$IFD_OFF")" 1
	ok iommufd/cdev-logged "no 'PASID capability at $IFD_OFF' line: $(dsince | tail -n 2 | tr '\n' ' ')" \
		dlogged "PASID capability at $IFD_OFF"
	vfio-client -i run "$_v" "rd 0 4" "sh cat $(dev "$_v")/pasid_vfio/exposed >/tmp/ifd-exposed" >/dev/null
	eq iommufd/cdev-exposed "$(cat /tmp/ifd-exposed)" 1

	# hwinfo against the capability the cdev user sees
	vc iommufd/cdev -i hwinfo "$_v"
	_hw=$(sed -n 's/^hwinfo //p' /tmp/checks.out)
	_capr=$(vfio-client -i rd "$_v" $((IFD_OFF + 4)) 2)
	info "VF $_v: IOMMU_GET_HW_INFO: $_hw; PASID Capability register through the cdev: $_capr"
	_lg=$(echo "$_hw" | sed -n 's/.*max_pasid_log2=\([0-9]*\).*/\1/p')
	if [ -z "$_lg" ] || [ -z "$_capr" ]; then
		fail iommufd/hwinfo "no hwinfo line ('$_hw') or Capability register ('$_capr')"
		return
	fi
	# the PF's width (20), or the host's where it has fewer PASIDs
	_ww=$((_lg < 20 ? _lg : 20))
	vc iommufd/cdev -i pasid-check "$_v" --offset $IFD_OFF --width $_ww --exec 1 --priv 0
	_w=$(((_capr >> 8) & 0x1f))
	if [ "$_lg" -lt "$_w" ]; then
		fail iommufd/width-within-host "the capability shows Max PASID Width $_w, the host attaches PASIDs below 2^$_lg only (IOMMU_GET_HW_INFO out_max_pasid_log2=$_lg): the guest may use PASIDs the host refuses"
	else
		pass iommufd/width-within-host
		eq iommufd/hwinfo-width "$_lg" "$_w"
	fi
	eq iommufd/hwinfo-exec "$(echo "$_hw" | sed -n 's/.*exec=\([01]\).*/\1/p')" $(((_capr >> 1) & 1))
	eq iommufd/hwinfo-priv "$(echo "$_hw" | sed -n 's/.*priv=\([01]\).*/\1/p')" $(((_capr >> 2) & 1))

	# PASIDs 1, 2, 0x400 where the host has them; beyond: EINVAL
	_max=$((1 << _lg))
	_in='' _out=''
	for _p in 1 2 0x400; do
		if [ $((_p)) -lt $_max ]; then _in="$_in,$_p"; else _out="$_out,$_p"; fi
	done
	# and the first PASID past the host's range
	case ",$_out," in
	*",$_max,"* | *",$(printf '%#x' $_max),"*) ;;
	*) _out="$_out,$(printf '%#x' $_max)" ;;
	esac
	_in=${_in#,} _out=${_out#,}
	info "PASIDs the host attaches (below 2^$_lg): $_in; beyond: $_out"
	if [ -z "$_in" ]; then
		fail iommufd/attach "out_max_pasid_log2=$_lg: not even PASID 1 can be attached"
	else
		ifd_attaches pvp "$_v" "$_in" "$_out"
	fi

	# the differential: stock vfio-pci, the same attaches
	if [ -n "$_in" ] && bind "$_v" vfio-pci; then
		ifd_attaches vfio-pci "$_v" "$_in" "$_out"
		ifd_results /tmp/ifd-pvp pvp >/tmp/ifd-pvp.res
		ifd_results /tmp/ifd-vfio-pci vfio-pci >/tmp/ifd-vfio-pci.res
		if cmp -s /tmp/ifd-pvp.res /tmp/ifd-vfio-pci.res; then
			pass iommufd/attach-same-as-vfio-pci
		else
			fail iommufd/attach-same-as-vfio-pci "$(diff /tmp/ifd-pvp.res /tmp/ifd-vfio-pci.res | grep '^[<>]' | head -n 4 | tr '\n' ' ')"
		fi
	elif [ -n "$_in" ]; then
		fail iommufd/vfio-pci-bind "$_v not bound to vfio-pci"
	fi
	[ -n "$_in" ] && ifd_guard "$_v"
	ifd_pf_off_all "$_v"
}

# guard=bound: a PASID attached on the open VF across a vetoed disable
ifd_guard() {
	_v=$1
	if ! bind "$_v" $PVP; then
		fail iommufd/guard-bind "$_v not bound to $PVP"
		return
	fi
	if [ "$(cat "$_ga")" != active ]; then
		skip iommufd/guard "the PF guard reads '$(cat "$_ga")', not active: no veto to test"
		return
	fi
	_g=$P/iommufd/guard
	dmark
	vc iommufd/guard -i run "$_v" "pasid-attach 1 attach" \
		"sh echo 1 > $FX/disable" \
		"sh c=\$(sysrd $IGB $((IFD_OFF + 6)) 2); [ \$c = 0x0003 ] && echo PASS $_g/pf-hw-kept || echo FAIL $_g/pf-hw-kept: PF PASID Control \$c after the vetoed disable, expected 0x0003" \
		"pasid-held 1 attach-stays" \
		"hwinfo hwinfo-after-disable" \
		"pasid-detach 1 detach"
	eq iommufd/guard/hwinfo-exec-kept "$(sed -n 's/^hwinfo .*exec=\([01]\).*/\1/p' /tmp/checks.out)" 1
	ok iommufd/guard/vetoed "no 'vetoed' line: $(dsince | tail -n 2 | tr '\n' ' ')" dlogged "vetoed"
	# the owed disable is written when the VF lets go
	unbind "$_v"
	eq iommufd/guard/applied-at-unbind "$(sysrd "$IGB" $((IFD_OFF + 6)) 2)" 0x0000
}

# The PF's PASID disabled in hardware, nothing holding it
ifd_pf_off_all() {
	_v=$1
	unbind "$_v"
	[ "$(fx_state pasid_enabled)" = 0 ] || echo 1 >$FX/disable
	eq iommufd/pf-off/hw-disabled "$(sysrd "$IGB" $((IFD_OFF + 6)) 2)" 0x0000
	if bind "$_v" vfio-pci; then
		ifd_pf_off vfio-pci "$_v"
	else
		fail iommufd/pf-off/vfio-pci-bind "$_v not bound to vfio-pci"
	fi
	if pvp_bind iommufd/pf-off "$_v"; then
		dmark
		eq iommufd/pf-off/cdev-no-pasid "$(ecaps "$_v" -i | grep -c 'ecap 0x001b')" 0
		ok iommufd/pf-off/cdev-logged "no 'is not enabled by the host' line: $(dsince | tail -n 2 | tr '\n' ' ')" \
			dlogged "PASID of $IGB is not enabled by the host"
		ifd_pf_off pvp "$_v"
		ifd_results /tmp/ifd-pf-off-pvp pf-off/pvp >/tmp/ifd-pf-off-pvp.res
		ifd_results /tmp/ifd-pf-off-vfio-pci pf-off/vfio-pci >/tmp/ifd-pf-off-vfio-pci.res
		if cmp -s /tmp/ifd-pf-off-pvp.res /tmp/ifd-pf-off-vfio-pci.res; then
			pass iommufd/pf-off/same-as-vfio-pci
		else
			fail iommufd/pf-off/same-as-vfio-pci "$(diff /tmp/ifd-pf-off-pvp.res /tmp/ifd-pf-off-vfio-pci.res | grep '^[<>]' | head -n 4 | tr '\n' ' ')"
		fi
	fi
	unbind "$_v"
	echo 1 >$FX/enable
}
