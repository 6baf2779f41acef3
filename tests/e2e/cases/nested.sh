# SPDX-License-Identifier: GPL-2.0
#
# nested: a guest enables PASID on the VF (sourced by guest.sh).
#
# The rig guest's QEMU (bookworm-backports' 10, as in cases/qemu.sh) boots a
# nested Linux guest (6.1 built by nested/build.sh, one CPU, PVH) with the
# VF assigned: "-device vfio-pci,host=<VF>" behind a generic pcie-root-port
# (it has ACS, which Linux >= 6.2 wants on the path), intel-iommu in
# scalable mode with PASID, the nested kernel booted intel_iommu=on,sm_on
# (and no_timer_check: under QEMU in QEMU the IO-APIC timer check can time
# out and panic, as for the rig guest).
# The nested guest's /init (nested/init) prints its own "lspci -vvv -xxxx"
# of the VF (igb VF 8086:10ca, wherever it is), then waits; the rig guest reads the VF through QEMU's monitor
# (xp at the VF's ECAM address, which QEMU serves from its vfio-pci config
# handlers, i.e. from pasid-vfio-pci) and quits QEMU.
#
#  - on: the nested guest lists PASID at the driver's offset with the
#    driver's Capability, and its intel-iommu enabled it (PASIDCtl Enable+,
#    Control bit 0 in its raw dump); the driver had the capability exposed
#    and QEMU reads Enable from it; no kernel warning in the nested guest
#  - off (negative control): the same without the vIOMMU's scalable/PASID
#    mode: the capability is listed, Enable stays 0, and the nested kernel
#    said why
#
# igb PF with PASID at 0x1c0 (fixture: width 20, Exec enabled), one VF.
# A boot of the nested guest takes one to two minutes under QEMU in QEMU.
# Runs in the scalable IOMMU mode only, where the host IOMMU gives the VF
# PASIDs (pvp.nested_modes=).

NQ_BIN=/usr/bin/qemu-system-x86_64
NQ_ECAM=0xb0000000	# SeaBIOS's q35 MMCONFIG base
# Where the VF sits: behind a root port (its secondary bus, for the
# monitor's ECAM read) by default; cases/qemu11.sh changes these, and the
# QEMU, for QEMU 11.1
NQ_PORT="-device pcie-root-port,id=rp,chassis=1,bus=pcie.0,addr=1.0"
NQ_AT=bus=rp
NQ_BDF=0x100		# bus 1, device 0
NQ_QEMU_ARGS=		# more QEMU options (e.g. -object iommufd,...)
NQ_VFIO_ARGS=		# more vfio-pci options (e.g. ,iommufd=...)
NQ_TIMEOUT=400		# s, per nested boot
NQ_IOMMU=intel-iommu,intremap=on,caching-mode=on

# nq_mon <command>: to QEMU's monitor, if QEMU still reads it (a write to
# a FIFO nobody reads would kill this shell with SIGPIPE)
nq_mon() {
	(trap '' PIPE; echo "$1" >&3) 2>/dev/null
	sleep 1
}

# nq_boot <bdf> <dir> <vIOMMU device>: boot the nested guest with
# <bdf> assigned; its serial console in <dir>/serial, QEMU's monitor output
# in <dir>/mon, stderr in <dir>/err.  Once the nested guest printed its
# view, record "exposed" in <dir>/exposed and the VF's PASID dwords as QEMU
# reads them (<dir>/mon), then quit QEMU.  Returns 0 when the nested guest
# got that far.
nq_boot() {
	_nd=$2
	rm -rf "$_nd"
	mkdir -p "$_nd"
	mkfifo "$_nd/in"
	# shellcheck disable=SC2086 # option lists
	timeout $NQ_TIMEOUT $NQ_BIN -machine q35 -accel tcg,tb-size=64 -m 128 \
		-nodefaults -display none -no-reboot \
		-serial "file:$_nd/serial" -monitor stdio $NQ_QEMU_ARGS \
		-device "$3" $NQ_PORT \
		-device "vfio-pci,host=$1,$NQ_AT,rombar=0$NQ_VFIO_ARGS" \
		-kernel /nested/vmlinux -initrd /nested/initramfs.cpio \
		-append "console=ttyS0 intel_iommu=on,sm_on panic=-1 mitigations=off no_timer_check" \
		<"$_nd/in" >"$_nd/mon" 2>"$_nd/err" &
	_nq=$!
	exec 3>"$_nd/in"
	_nr=1
	# Poll slowly: the rig guest has one CPU, which the nested guest needs
	_nw=0
	while ! grep -q '^=== nested end' "$_nd/serial" 2>/dev/null &&
		kill -0 $_nq 2>/dev/null && [ $_nw -lt $NQ_TIMEOUT ]; do
		sleep 2
		_nw=$((_nw + 2))
	done
	if grep -q '^=== nested end' "$_nd/serial" 2>/dev/null; then
		_nr=0
		attr "$1" exposed >"$_nd/exposed"
		_np=$(nq_pasid "$_nd")
		[ -z "$_np" ] ||
			nq_mon "$(printf 'xp /2wx 0x%x' $((NQ_ECAM + (NQ_BDF << 12) + 0x$_np)))"
	fi
	nq_mon quit
	exec 3>&-
	wait $_nq
	# What went wrong, for the log
	[ $_nr = 0 ] || tail -n 40 "$_nd/serial" | sed 's/^/INFO nested serial: /'
	return $_nr
}

# nq_view <dir>: the nested guest's lspci lines on the VF's PASID
nq_view() {
	sed -n '/^=== nested lspci/,/^=== nested end/p' "$1/serial" | tr -d '\r' |
		grep -A2 'Process Address Space ID'
}

# nq_pasid <dir>: the PASID capability's offset in the nested guest's
# lspci (hex digits), empty without one
nq_pasid() {
	sed -n 's/.*Capabilities: \[\([0-9a-f]*\) v1\] Process Address Space ID.*/\1/p' \
		"$1/serial" | head -n 1
}

# nq_word <dir> <offset>: the 16-bit register at <offset> in the nested
# guest's raw dump ("lspci -xxxx": "off: 16 bytes" lines), as 0x%04x;
# empty when the dump lacks it
nq_word() {
	tr -d '\r' <"$1/serial" | awk -v o=$(($2)) '
	/^[0-9a-f][0-9a-f][0-9a-f]: / {
		a = 0
		h = substr($1, 1, 3)
		for (i = 1; i <= 3; i++)
			a = a * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
		for (i = 2; i <= NF; i++)
			b[a + i - 2] = $i
	}
	END { if ((o in b) && ((o + 1) in b)) print "0x" b[o + 1] b[o] }'
}

# nq_ctrl <dir>: the PASID Control register the nested guest read, as
# 0x%04x; empty without PASID
nq_ctrl() {
	_np=$(nq_pasid "$1")
	[ -z "$_np" ] || nq_word "$1" $((0x$_np + 6))
}

# nq_cap <dir>: the PASID Capability register the nested guest read, as
# 0x%04x (attr cap's format), "none" without PASID
nq_cap() {
	_np=$(nq_pasid "$1")
	_nc=
	[ -z "$_np" ] || _nc=$(nq_word "$1" $((0x$_np + 4)))
	echo "${_nc:-none}"
}

# nq_vmm_ctrl <dir>: Control as QEMU's monitor read it (upper half of the
# second dword of "xp /2wx"), as 0x%04x
nq_vmm_ctrl() {
	_nw=$(tr -d '\r' <"$1/mon" | awk '/^[0-9a-f]+: 0x/ { print $3; exit }')
	[ -z "$_nw" ] || printf '0x%04x\n' $((_nw >> 16))
}

case_nested() {
	CASE=nested
	in_modes nested nested_modes scalable || return
	for _f in $NQ_BIN /nested/vmlinux /nested/initramfs.cpio /usr/share/qemu/pvh.bin; do
		if [ ! -f "$_f" ]; then
			fail nested/tools "$_f is not in the initramfs (see the host/nested line)"
			return
		fi
	done
	OFF=0x1c0
	have_pvp || pvp_load
	fx_load bdf=$IGB offset=$OFF width=20 exec=1 priv=0 enable=1 || return
	vfs $IGB 1
	V0=$(vf $IGB 0)
	if pvp_bind nested $V0; then
		_ncap=$(attr $V0 cap)
		info "nested: $V0 shows Capability $_ncap (host_width $(attr $V0 host_width))"

		dmark
		_t=$(date +%s)
		if nq_boot $V0 /tmp/nq-on "$NQ_IOMMU,x-scalable-mode=on,x-pasid-mode=on"; then
			pass nested/on/boot
		else
			fail nested/on/boot "no lspci from the nested guest: $(tail -n 3 /tmp/nq-on/serial 2>/dev/null | tr '\n' ' ') QEMU: $(head -n 2 /tmp/nq-on/err 2>/dev/null | tr '\n' ' ')"
		fi
		info "nested: scalable boot took $(($(date +%s) - _t)) s"
		nq_view /tmp/nq-on | sed 's/^/INFO nested guest: /'
		ok nested/on/listed "nested guest's lspci: no 'Capabilities: [${OFF#0x} v1] Process Address Space ID'" \
			grep -q "Capabilities: \[${OFF#0x} v1\] Process Address Space ID" /tmp/nq-on/serial
		eq nested/on/cap-matches-driver "$(nq_cap /tmp/nq-on)" "$_ncap"
		ok nested/on/enabled "nested guest's lspci: no 'PASIDCtl: Enable+'" \
			grep -q 'PASIDCtl: Enable+' /tmp/nq-on/serial
		_nc=$(nq_ctrl /tmp/nq-on)
		eq nested/on/raw-enable "$((${_nc:-0} & 1))" 1
		eq nested/on/driver-exposed "$(cat /tmp/nq-on/exposed 2>/dev/null)" 1
		_nv=$(nq_vmm_ctrl /tmp/nq-on)
		info "nested: Control in the nested guest ${_nc:-none}, through QEMU's monitor ${_nv:-none}"
		eq nested/on/vmm-reads-driver "${_nv:-none}" "${_nc:-none}"
		ok nested/on/driver-log "no '$PVP $V0: PASID capability at $OFF' in dmesg" \
			dlogged "$PVP $V0: PASID capability at $OFF"
		ok nested/on/guest-kernel-log "nested guest: $(grep -m1 -E 'BUG:|WARNING:|Oops|Call Trace|Kernel panic' /tmp/nq-on/serial)" \
			sh -c "! grep -qE 'BUG:|WARNING:|Oops|Call Trace|Kernel panic' /tmp/nq-on/serial"
		ok nested/on/qemu-no-errors "QEMU said: $(head -n 3 /tmp/nq-on/err | tr '\n' ' ')" \
			sh -c "! grep -qiE 'error|warn' /tmp/nq-on/err"
		eq nested/on/closed "$(attr $V0 exposed)" 0

		# Negative control: no scalable mode, so no PASID in the vIOMMU
		_t=$(date +%s)
		if nq_boot $V0 /tmp/nq-off "$NQ_IOMMU"; then
			pass nested/off/boot
		else
			fail nested/off/boot "no lspci from the nested guest: $(tail -n 3 /tmp/nq-off/serial 2>/dev/null | tr '\n' ' ') QEMU: $(head -n 2 /tmp/nq-off/err 2>/dev/null | tr '\n' ' ')"
		fi
		info "nested: legacy-mode boot took $(($(date +%s) - _t)) s"
		ok nested/off/listed "nested guest's lspci: no 'Capabilities: [${OFF#0x} v1] Process Address Space ID'" \
			grep -q "Capabilities: \[${OFF#0x} v1\] Process Address Space ID" /tmp/nq-off/serial
		ok nested/off/not-enabled "nested guest's lspci: no 'PASIDCtl: Enable-'" \
			grep -q 'PASIDCtl: Enable-' /tmp/nq-off/serial
		_nc=$(nq_ctrl /tmp/nq-off)
		eq nested/off/raw-enable "$((${_nc:-1} & 1))" 0
		ok nested/off/why "nested kernel did not log 'Scalable Mode not enabled'" \
			grep -q 'Scalable Mode not enabled' /tmp/nq-off/serial
	fi
	unbind $V0
	vfs $IGB 0
	fx_unload
}
