# SPDX-License-Identifier: GPL-2.0
#
# qemu: a real VMM takes the VF (sourced by guest.sh).
#
# The host's QEMU (bookworm-backports' qemu-system-x86_64 10, copied into
# the initramfs by run.sh) runs inside the guest with the documented
# "-device vfio-pci,host=<VF>" behind a PCIe root port of a q35 machine,
# through the VFIO type1 container.  Its guest never runs (-S): QEMU's
# monitor enables the q35 ECAM window and the root port's bus numbers
# with port writes, then reads the VF's config space as its guest would
# see it ("xp", which dispatches to QEMU's vfio-pci config handlers).
# igb PF with PASID at 0x1c0 (fixture: width 20, Exec), one VF:
#
#  - stock vfio-pci: QEMU's extended chain has no PASID (the control)
#  - pasid-vfio-pci: QEMU's chain is the same plus PASID at 0x1c0, last;
#    header, Capability (0x1402) and Control (0) are the driver's; the
#    driver logged the open; QEMU printed no error or warning; after
#    QEMU quits the capability is no longer exposed
#
# Runs in the default IOMMU mode only (pvp.qemu_modes=default,scalable).

QM_BIN=/usr/bin/qemu-system-x86_64
QM_ECAM=0xb0000000
QM_BUS=1	# the root port's secondary bus: ECAM at QM_ECAM + (1 << 20)

# qm_parse <base>: QEMU monitor "xp /Nwx" output on stdin, one "offset
# value" line per dword out (offset from <base>, decimal)
qm_parse() {
	tr -d '\r' | awk -v base="$1" '
	/^[0-9a-f]+: 0x/ {
		a = 0
		h = substr($1, 1, length($1) - 1)
		for (i = 1; i <= length(h); i++)
			a = a * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
		for (i = 2; i <= NF; i++)
			print a - base + 4 * (i - 2), $i
	}'
}

# qm_config <bdf> <out>: QEMU's guest view of <bdf>'s config space, one
# "offset value" line per dword (decimal offset, 0x%08x value), in <out>;
# QEMU's stderr in <out>.err.  Returns QEMU's status.
qm_config() {
	_qb=$(($QM_ECAM + ($QM_BUS << 20)))
	{
		echo "o /w 0xcf8 0x80000060"	# q35 MCH PCIEXBAR: 256 MB at QM_ECAM
		printf 'o /w 0xcfc 0x%x\n' $(($QM_ECAM | 1))
		echo "o /w 0xcf8 0x80000818"	# 00:01.0 bus numbers: 0, 1, 1
		printf 'o /w 0xcfc 0x%06x\n' $((($QM_BUS << 16) | ($QM_BUS << 8)))
		printf 'xp /1024wx 0x%x\n' $_qb
		echo quit
	} | timeout 120 $QM_BIN -machine q35 -accel tcg,tb-size=16 -S -m 64 \
		-nodefaults -display none -monitor stdio \
		-device pcie-root-port,id=rp,chassis=1,bus=pcie.0,addr=1.0 \
		-device vfio-pci,host="$1",bus=rp,rombar=0 >"$2.raw" 2>"$2.err"
	_qr=$?
	qm_parse $_qb <"$2.raw" >"$2"
	return $_qr
}

# qm_dw <file> <offset>: the dword at <offset> in a qm_config file
qm_dw() { awk -v o=$(($2)) '$1 == o { print $2; exit }' "$1"; }

# qm_chain <file>: the extended capabilities, "ID@offset" (ID as 0x%04x)
qm_chain() {
	_qo=256 _qn=0 _qc=
	while [ $_qo -ge 256 ] && [ $_qn -lt 64 ]; do
		_qh=$(qm_dw "$1" $_qo)
		[ -n "$_qh" ] && [ $((_qh)) != 0 ] && [ "$_qh" != 0xffffffff ] || break
		_qc="$_qc $(printf '0x%04x@0x%x' $((_qh & 0xffff)) $_qo)"
		_qo=$(((_qh >> 20) & 0xffc))
		_qn=$((_qn + 1))
	done
	echo "${_qc# }"
}

# qm_run <check> <bdf> <out>: qm_config, PASS when QEMU ran cleanly and
# returned all 1024 dwords
qm_run() {
	qm_config "$2" "$3"
	_qr=$?
	_qd=$(wc -l <"$3")
	if [ $_qr = 0 ] && [ "$_qd" = 1024 ]; then
		pass "$1"
	else
		fail "$1" "QEMU exit $_qr, $_qd dwords: $(grep -v '^$' "$3.err" | head -n 3 | tr '\n' ' ')"
	fi
	ok "$1-no-errors" "QEMU said: $(head -n 3 "$3.err" | tr '\n' ' ')" \
		sh -c "! grep -qiE 'error|warn' '$3.err'"
}

case_qemu() {
	CASE=qemu
	in_modes qemu qemu_modes default || return
	if [ ! -x $QM_BIN ] || [ ! -f /usr/share/seabios/bios-256k.bin ]; then
		fail qemu/tools "QEMU or SeaBIOS is not in the initramfs (see the host/userland line)"
		return
	fi
	OFF=0x1c0
	have_pvp || pvp_load
	fx_load bdf=$IGB offset=$OFF width=20 exec=1 priv=0 enable=1 || return
	vfs $IGB 1
	V0=$(vf $IGB 0)

	if bind $V0 vfio-pci; then
		qm_run qemu/stock $V0 /tmp/qm-stock
		qm_stock=$(qm_chain /tmp/qm-stock)
		info "QEMU's extended chain of $V0 on vfio-pci: $qm_stock"
		eq qemu/stock-vendor-device "$(qm_dw /tmp/qm-stock 0)" 0x10ca8086
		ok qemu/stock-no-pasid "PASID in '$qm_stock'" \
			sh -c "! echo '$qm_stock' | grep -q 0x001b@"
	else
		fail qemu/stock "$V0 not bound to vfio-pci"
	fi
	unbind $V0

	if pvp_bind qemu $V0; then
		dmark
		qm_run qemu/pvp $V0 /tmp/qm-pvp
		qm_pvp=$(qm_chain /tmp/qm-pvp)
		info "QEMU's extended chain of $V0 on $PVP: $qm_pvp"
		eq qemu/chain "$qm_pvp" "${qm_stock:+$qm_stock }0x001b@$OFF"
		eq qemu/pasid-header "$(qm_dw /tmp/qm-pvp $OFF)" 0x0001001b
		eq qemu/pasid-cap-ctrl "$(qm_dw /tmp/qm-pvp $((OFF + 4)))" 0x00001402
		ok qemu/driver-log "no '$PVP $V0: PASID capability at $OFF' in dmesg" \
			dlogged "$PVP $V0: PASID capability at $OFF"
		eq qemu/closed "$(attr $V0 exposed)" 0
	fi
	unbind $V0
	vfs $IGB 0
	fx_unload
}
