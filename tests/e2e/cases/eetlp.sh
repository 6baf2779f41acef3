# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Case eetlp: a guest enables PASID on a device only where DEVCAP2 End-End
# TLP Prefix Supported is set on it (and on every port above it); vfio-pci
# passes a VF's DEVCAP2 raw, and vendors differ on whether VFs implement
# the bit.  The fixture (vf_eetlp=0) clears the VF's End-End TLP Prefix
# fields, as on such a VF, while the PF and its path support prefixes:
# through vfio-pci the VF's DEVCAP2 reads raw, through pasid-vfio-pci it
# carries the PF's Supported bit and Max End-End TLP Prefixes, byte reads
# included, writes change nothing, and the log says so once.  A VF that
# has the bits itself is shown them untouched.
#
# Runs in the default IOMMU mode only (SKIP in the others); kernel command
# line: pvp.eetlp_modes=default,scalable.

# eet_devcap2 <bdf>: offset of the device's DEVCAP2 (host view), or nothing
eet_devcap2() {
	_ep=$(vfio-client -S caps "$1" | sed -n 's/^cap 0x10 @\(0x[0-9a-f]*\).*/\1/p')
	[ -n "$_ep" ] && printf '0x%x\n' $((_ep + 0x24))
}

case_eetlp() {
	CASE=eetlp
	in_modes eetlp eetlp_modes default || return
	fx_load bdf="$IGB" offset=0x1c0 width=20 exec=1 enable=1 vf_eetlp=0 || return
	vfs "$IGB" 1
	_v=$(vf "$IGB" 0)
	_d2=$(eet_devcap2 "$_v")
	_p2=$(eet_devcap2 "$IGB")
	if [ -z "$_d2" ] || [ -z "$_p2" ]; then
		fail eetlp/pcie-cap "no PCIe capability on $_v or $IGB"
		vfs "$IGB" 0
		fx_unload
		return
	fi
	_raw=$(sysrd "$_v" "$_d2" 4)
	_pf=$(sysrd "$IGB" "$_p2" 4)
	_pfb=$((_pf & 0x00e00000))
	eq eetlp/vf-raw-lacks-prefixes "$((_raw & 0x00e00000))" 0
	ok eetlp/pf-has-prefixes "the PF's DEVCAP2 $_pf has no End-End TLP Prefix Supported" \
		[ $((_pf & 0x00200000)) -ne 0 ]
	_want=$(printf '0x%08x' $((_raw | _pfb)))

	bind "$_v" vfio-pci && eq eetlp/vfio-pci-raw "$(vfio-client rd "$_v" "$_d2" 4)" "$_raw"
	unbind "$_v"
	if pvp_bind eetlp "$_v"; then
		dmark
		eq eetlp/shows-pf-prefixes "$(vfio-client rd "$_v" "$_d2" 4)" "$_want"
		eq eetlp/byte-read "$(vfio-client rd "$_v" $((_d2 + 2)) 1)" \
			"$(printf '0x%02x' $(((_raw | _pfb) >> 16 & 0xff)))"
		eq eetlp/word-read "$(vfio-client rd "$_v" $((_d2 + 2)) 2)" \
			"$(printf '0x%04x' $(((_raw | _pfb) >> 16)))"
		eq eetlp/low-word-raw "$(vfio-client rd "$_v" "$_d2" 2)" \
			"$(printf '0x%04x' $((_raw & 0xffff)))"
		vc eetlp run "$_v" "wr $_d2 4 0" "expect $_d2 4 $_want devcap2-read-only" \
			"expect 0x1c0 4 0x1001b pasid-still-there"
		eq eetlp/hw-untouched "$(sysrd "$_v" "$_d2" 4)" "$_raw"
		ok eetlp/logged "no DEVCAP2 line in the log" dlogged "End-End TLP Prefix support"
	fi
	unbind "$_v"
	vfs "$IGB" 0

	# A VF with its own bits: shown as they are
	fx_load bdf="$IGB" offset=0x1c0 width=20 exec=1 enable=1 || return
	vfs "$IGB" 1
	_v=$(vf "$IGB" 0)
	_raw=$(sysrd "$_v" "$_d2" 4)
	if [ $((_raw & 0x00200000)) -eq 0 ]; then
		skip eetlp/own-bits "QEMU's igb VF lacks End-End TLP Prefix Supported ($_raw)"
	elif pvp_bind eetlp/own "$_v"; then
		eq eetlp/own-bits-untouched "$(vfio-client rd "$_v" "$_d2" 4)" "$_raw"
	fi
	unbind "$_v"
	vfs "$IGB" 0
	fx_unload
}
