# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Case pri: PRI beside PASID.  The fixture grafts PASID at 0x1c0 and PRI at
# 0x1c8 onto the igb PF; with shared_caps=pasid,pri a VF shows both, linked
# PASID -> PRI, with PRI's per-VF semantics (README "PRI"); with the default
# shared_caps it shows PASID only.

case_pri() {
	CASE=pri
	_o=0x1c0
	_p=0x1c8
	fx_load bdf="$IGB" offset=$_o width=20 exec=1 enable=1 pri=1 \
		pri_capacity=0x80 pri_pasid=1 pri_enable=1 || return
	eq pri/fixture-pri-enabled "$(fx_state pri_enabled)" 1
	vfs "$IGB" 1
	_v=$(vf "$IGB" 0)

	if pvp_load && pvp_bind pri/default "$_v"; then
		eq pri/default-no-pri-files "$(attr "$_v" pri_placement)" missing
		eq pri/default-chain "$(ecaps "$_v" | grep -c 'ecap 0x0013')" 0
	fi
	unbind "$_v"

	if pvp_load shared_caps=pasid,pri && pvp_bind pri "$_v"; then
		eq pri/sysfs-offset "$(attr "$_v" pri_offset)" $_p
		eq pri/sysfs-placement "$(attr "$_v" pri_placement)" pf-offset
		# what the VF itself has under the emulated PRI, before and after
		_raw=$(sysrd "$_v" $((_p + 4)) 4)
		vc pri run "$_v" \
			"expect $_o 4 0x1c81001b pri/pasid-next-is-pri" \
			"expect $_p 4 0x00010013 pri/header" \
			"expect $((_p + 4)) 4 0x81000000 pri/stopped-pasid-required" \
			"expect $((_p + 8)) 4 0x80 pri/capacity-mirrored" \
			"expect $((_p + 12)) 4 0 pri/alloc-zero" \
			"sh [ \"\$(cat /sys/bus/pci/devices/$_v/pasid_vfio/pri_exposed)\" = 1 ] || echo FAIL $P/pri/sysfs-exposed" \
			"wr $((_p + 4)) 2 0xffff" \
			"expect $((_p + 4)) 4 0x80000001 pri/enable-clears-stopped" \
			"wr $((_p + 6)) 2 0xffff" \
			"expect $((_p + 4)) 4 0x80000001 pri/status-read-only" \
			"wr $((_p + 8)) 4 0x1234" \
			"expect $((_p + 8)) 4 0x80 pri/capacity-read-only" \
			"wr $((_p + 12)) 4 0xffffffff" \
			"expect $((_p + 12)) 4 0x80 pri/alloc-within-capacity"
		# the client takes at most 15 steps a run
		vc pri run "$_v" \
			"wr $((_p + 12)) 1 0x10" \
			"expect $((_p + 12)) 4 0x10 pri/alloc-written" \
			"wr $((_p + 4)) 2 1" \
			reset \
			"expect $((_p + 4)) 4 0x81000000 pri/reset-control" \
			"expect $((_p + 12)) 4 0 pri/reset-alloc" \
			"sh echo 0 > $FX/pri_enable" \
			"wr $((_p + 4)) 2 1" \
			"expect $((_p + 4)) 4 0x81000000 pri/pf-disabled-enable-reads-0"
		eq pri/vf-config-untouched "$(sysrd "$_v" $((_p + 4)) 4)" "$_raw"
		# Not exposed at the next open while the PF's PRI is off
		eq pri/pf-disabled-not-exposed "$(ecaps "$_v" | grep -c 'ecap 0x0013')" 0
		eq pri/pf-disabled-pasid-kept "$(ecaps "$_v" | grep -c 'ecap 0x001b')" 1
	fi
	unbind "$_v"
	vfs "$IGB" 0
	fx_unload
	pvp_load
}
