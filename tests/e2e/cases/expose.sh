# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Case expose: which VFIO users are shown the PASID capability (expose=).
#
# The igb PF gets PASID at 0x1c0 (fixture).  With expose=auto (the default)
# a VF opened through the type1 container gets no PASID capability (its
# bytes are exactly vfio-pci's), pasid_vfio/exposed stays 0, the PF guard
# does not hold for it, and each open logs one line saying why and naming
# expose=always.  The parameter is writable at runtime: "always" shows the
# capability at the next open, a malformed value is refused and changes
# nothing.  The iommufd open (cdev) SKIPs where the kernel has no iommufd.
# Every other case of the suite runs with expose=always on such kernels
# (setup writes it to /etc/modprobe.d).
#
# Runs in the default IOMMU mode only (SKIP in the others); kernel command
# line: pvp.expose_modes=default,scalable.

case_expose() {
	CASE=expose
	in_modes expose expose_modes default || return
	_o=0x1c0
	_pm=/sys/module/pasid_vfio_pci/parameters
	fx_load bdf="$IGB" offset=$_o width=20 exec=1 enable=1 || return
	vfs "$IGB" 1
	_v=$(vf "$IGB" 0)
	bind "$_v" vfio-pci && dump_ok expose/stock-dump "$_v" /tmp/ex-stock
	unbind "$_v"

	if pvp_load expose=auto && pvp_bind expose/auto "$_v"; then
		eq expose/param-auto "$(cat $_pm/expose)" auto
		dmark
		dump_ok expose/auto-dump "$_v" /tmp/ex-auto
		vc expose/auto-same-as-vfio-pci diff /tmp/ex-stock /tmp/ex-auto --same
		eq expose/auto-no-pasid "$(ecaps "$_v" | grep -c 'ecap 0x001b')" 0
		vfio-client run "$_v" "sh cat $(dev "$_v")/pasid_vfio/exposed >/tmp/ex-exposed" >/dev/null
		eq expose/auto-exposed-0 "$(cat /tmp/ex-exposed)" 0
		ok expose/auto-logged "no line naming type1 and expose=always: $(dsince | tail -n 2 | tr '\n' ' ')" \
			dlogged "not exposed: opened through a VFIO container (type1).*expose=always"
		# one line per open: dump_ok, ecaps and run opened it once each
		eq expose/auto-one-line-per-open \
			"$(dsince | grep -c 'not exposed: opened through a VFIO container')" 3
		ok expose/auto-no-guard-hold "the guard holds $IGB for a VF it does not expose" \
			dunlogged "PASID disable vetoed"
		# The cdev user: without iommufd, one SKIP line.  With it, this
		# mode's vIOMMU (legacy) gives the VF no PASID, so auto shows
		# nothing to the cdev user either, and says why (case iommufd
		# covers the scalable mode, where it is shown)
		if [ -e /dev/iommu ]; then
			dmark
			eq expose/cdev-no-host-pasid "$(ecaps "$_v" -i | grep -c 'ecap 0x001b')" 0
			ok expose/cdev-logged "no 'gives the device no PASID' line: $(dsince | tail -n 2 | tr '\n' ' ')" \
				dlogged "not exposed: the host IOMMU gives the device no PASID"
		else
			vc expose/iommufd -i open "$_v"
		fi
		# runtime: malformed refused, "always" applies at the next open
		if (echo never >$_pm/expose) 2>/dev/null; then
			fail expose/runtime-malformed "expose took 'never'"
		else
			eq expose/runtime-malformed "$(cat $_pm/expose)" auto
		fi
		echo always >$_pm/expose
		eq expose/runtime-always "$(cat $_pm/expose)" always
		vc expose/always pasid-check "$_v" --offset $_o --width 20 --exec 1 --priv 0
		echo auto >$_pm/expose
		eq expose/runtime-auto-again "$(ecaps "$_v" | grep -c 'ecap 0x001b')" 0
	fi
	unbind "$_v"
	vfs "$IGB" 0
	fx_unload
	pvp_load
}
