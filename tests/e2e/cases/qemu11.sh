# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# qemu11: QEMU 11.1 as the VMM, through iommufd (sourced by guest.sh).
#
# QEMU 11.1 synthesizes a PASID capability for a vfio-pci device bound to
# iommufd ("-object iommufd" + "iommufd=") when its vIOMMU declares PASID
# support: at the end of config space (0xff8; x-vpasid-cap-offset moves
# it), fully emulated, its Capability register built from
# IOMMU_GET_HW_INFO (Max PASID Width = out_max_pasid_log2, Exec/Priv =
# IOMMU_HW_CAP_PCI_PASID_EXEC/PRIV).  Where the VFIO config region already
# has a PASID capability it passes that one through and adds none.  Type1
# never synthesizes.  11.1's intel-iommu options: scalable-mode (10's
# x-scalable-mode), pasid-bits (10's x-pasid-mode, now a width) and fsts
# (10.2's x-flts: the first stage on the host, nested, "accelerated").
#
# trixie-backports' qemu-system-x86 11.1 (kernels.sh qemu11: a tree with
# its own ld.so and libraries, /opt/qemu11 in the initramfs of a kernel
# with CONFIG_IOMMUFD) runs inside the guest as cases/qemu.sh runs QEMU
# 10: -S, a monitor on stdio that enables the q35 ECAM window and reads
# the VF's config space as QEMU's guest sees it.  The VF sits on pcie.0 at
# 00:02.0 (fsts=on refuses a device behind a bridge); QEMU's trace event
# vfio_pci_synthesize_pasid_cap tells when it synthesized.
#
# igb PF with PASID at 0x1c0 (fixture: width 20, Exec, enabled), one VF;
# the module with expose=auto (pvp_load expose=auto over the rig's
# expose=always); intel-iommu scalable-mode=on,pasid-bits=<the host's
# out_max_pasid_log2> (fsts=on refuses more):
#  stock-fsts  vfio-pci + iommufd + fsts=on: the VF's own chain plus PASID
#              at 0xff8, synthesized, its Capability register as built
#              from IOMMU_GET_HW_INFO, Control 0.  In the rig QEMU refuses
#              the VF: fsts=on allocates a nesting-parent HWPT, which the
#              rig's host IOMMU (QEMU 10's emulated VT-d: no nested
#              translation) does not give ("Failed to allocate hwpt:
#              Operation not supported"): SKIP with that reason
#  stock       vfio-pci + iommufd, fsts=off: runs; 11.1 synthesizes no
#              PASID without fsts (measured), the chain is the VF's own
#  type1       pasid-vfio-pci through the container (no -object iommufd;
#              fsts=on needs iommufd): no PASID at all, neither the
#              driver's (expose=auto, the log says why) nor a synthesized
#  pvp         pasid-vfio-pci + iommufd (the VFIO cdev), fsts=off: the
#              VF's own chain plus exactly one PASID, the driver's at
#              0x1c0, last, nothing synthesized; header, Capability (sysfs
#              "cap") and Control (0) the driver's; its Capability register
#              is what QEMU builds its own from: out_max_pasid_log2 << 8 |
#              Exec << 1 | Priv << 2 (cap-as-qemu-builds)
#  pvp-fsts    where stock-fsts ran: the same with fsts=on, no second
#              PASID, and the Capability register equal to the synthesized
# and for every run: QEMU printed no error or warning (dma-buf checked on
# its own: -dma-buf), exposed is 0 after QEMU quits.
#
# Needs /dev/iommu and the VFIO cdev (tag 7.3-iommufd; one SKIP line
# elsewhere) and scalable mode (pvp.qemu11_modes=).

Q11_BIN=/opt/qemu11/bin/qemu-system-x86_64
Q11_OFF=0x1c0
Q11_ECAM=0xb0000000
Q11_DEV=2	# QEMU's guest sees the VF at 00:02.0: ECAM + (2 << 15)
Q11_IOMMU=intel-iommu,intremap=on,caching-mode=on,scalable-mode=on
Q11_DMABUF='dma-buf unavailable'

# q11_config <bdf> <out> <intel-iommu options> <vfio-pci options> [QEMU
# options]: QEMU's guest view of <bdf>'s config space, one "offset value"
# line per dword (decimal offset, 0x%08x value), in <out>; QEMU's messages
# and trace lines in <out>.err.  Returns QEMU's status.
q11_config() {
	_qb=$((Q11_ECAM + (Q11_DEV << 15)))
	_qd=$1 _qf=$2 _qi=$3 _qv=$4
	shift 4
	{
		echo "o /w 0xcf8 0x80000060"	# q35 MCH PCIEXBAR: 256 MB at Q11_ECAM
		printf 'o /w 0xcfc 0x%x\n' $((Q11_ECAM | 1))
		printf 'xp /1024wx 0x%x\n' $_qb
		echo quit
	} | timeout 120 $Q11_BIN -machine q35 -accel tcg,tb-size=16 -S -m 64 \
		-nodefaults -display none -monitor stdio \
		-trace vfio_pci_synthesize_pasid_cap "$@" \
		-device "$Q11_IOMMU$_qi" \
		-device vfio-pci,host="$_qd",bus=pcie.0,addr=$Q11_DEV.0,rombar=0"$_qv" \
		>"$_qf.raw" 2>"$_qf.err"
	_qr=$?
	qm_parse $_qb <"$_qf.raw" >"$_qf"
	grep -v 'vfio_pci_synthesize_pasid_cap' "$_qf.err" >"$_qf.msg"
	return $_qr
}

# q11_checks <check> <bdf> <out> <status>: PASS <check> when QEMU ran
# cleanly and returned all 1024 dwords; -no-errors: it said nothing (but
# trace lines and the dma-buf fallback); -dma-buf: it got the BARs as
# dma-buf; -closed: exposed is 0 after (pasid-vfio-pci)
q11_checks() {
	_qn=$(wc -l <"$3")
	if [ "$4" = 0 ] && [ "$_qn" = 1024 ]; then
		pass "$1"
	else
		fail "$1" "QEMU exit $4, $_qn dwords: $(grep -v '^$' "$3.msg" | head -n 3 | tr '\n' ' ')"
	fi
	ok "$1-no-errors" "QEMU said: $(grep -v "$Q11_DMABUF" "$3.msg" | head -n 3 | tr '\n' ' ')" \
		sh -c "! grep -v '$Q11_DMABUF' '$3.msg' | grep -q ."
	if [ "$(drv "$2")" = "$PVP" ]; then
		ok "$1-dma-buf" "QEMU: '$(grep -m1 "$Q11_DMABUF" "$3.msg")': VFIO_DEVICE_FEATURE_DMA_BUF fails where vfio-pci gives it (the driver's vfio_pci_device_ops.get_dmabuf_phys, Linux 6.19+: probe vfio_pci_device_ops): QEMU maps the BARs without dma-buf and peer-to-peer DMA to them does not work" \
			sh -c "! grep -q '$Q11_DMABUF' '$3.msg'"
		eq "$1-closed" "$(attr "$2" exposed)" 0
	else
		ok "$1-dma-buf" "QEMU: $(grep -m1 "$Q11_DMABUF" "$3.msg")" \
			sh -c "! grep -q '$Q11_DMABUF' '$3.msg'"
	fi
}

# q11_run <check> <bdf> <out> <intel-iommu options> <vfio-pci options>
# [QEMU options]: q11_config and q11_checks
q11_run() {
	_qc=$1
	shift
	q11_config "$@"
	q11_checks "$_qc" "$1" "$2" $?
}

# q11_synth <out>: the offset QEMU's trace says it synthesized PASID at
q11_synth() { sed -n 's/.*vfio_pci_synthesize_pasid_cap.* offset: \(0x[0-9a-f]*\).*/\1/p' "$1.err"; }
# q11_cap <out> <offset>: the Capability register (0x%04x) at <offset>
q11_cap() { printf '0x%04x' $(($(qm_dw "$1" $(($2 + 4))) & 0xffff)); }
# q11_ctrl <out> <offset>: the Control register (decimal)
q11_ctrl() { echo $((($(qm_dw "$1" $(($2 + 4))) >> 16) & 0xffff)); }

case_qemu11() {
	# shellcheck disable=SC2034 # guest.sh's helpers name failures by it
	CASE=qemu11
	if [ ! -e /dev/iommu ]; then
		skip qemu11 "no /dev/iommu: kernel $KV has no CONFIG_IOMMUFD (QEMU 11 synthesizes PASID only for iommufd-backed devices)"
		return
	fi
	in_modes qemu11 qemu11_modes scalable || return
	if [ ! -x $Q11_BIN ]; then
		fail qemu11/tools "QEMU 11 is not in the initramfs (see the host/qemu11 line)"
		return
	fi
	# shellcheck source=/dev/null # qm_dw, qm_chain
	command -v qm_chain >/dev/null || . /cases/qemu.sh
	info "$($Q11_BIN -version | head -n 1)"
	fx_load bdf="$IGB" offset=$Q11_OFF width=20 exec=1 priv=0 enable=1 || return
	vfs "$IGB" 1
	_v=$(vf "$IGB" 0)
	if ! bind "$_v" vfio-pci; then
		fail qemu11/bind "$_v not bound to vfio-pci"
	elif [ ! -d "$(dev "$_v")/vfio-dev" ]; then
		skip qemu11/cdev "no $(dev "$_v")/vfio-dev: $KV has CONFIG_IOMMUFD but no CONFIG_VFIO_DEVICE_CDEV"
	else
		q11_main "$_v"
	fi
	unbind "$_v"
	vfs "$IGB" 0
	fx_unload
	pvp_load
}

q11_main() {
	_v=$1
	_ifd="-object iommufd,id=iommufd0"
	_fd=",iommufd=iommufd0"

	# what QEMU builds its capability from
	vc qemu11/hwinfo -i hwinfo "$_v"
	_hw=$(sed -n 's/^hwinfo //p' /tmp/checks.out)
	_lg=$(echo "$_hw" | sed -n 's/.*max_pasid_log2=\([0-9]*\).*/\1/p')
	_ex=$(echo "$_hw" | sed -n 's/.*exec=\([01]\).*/\1/p')
	_pr=$(echo "$_hw" | sed -n 's/.*priv=\([01]\).*/\1/p')
	if [ -z "$_lg" ] || [ -z "$_ex" ] || [ -z "$_pr" ] || [ "$_lg" = 0 ]; then
		fail qemu11/hwinfo-pasid "IOMMU_GET_HW_INFO gives no PASIDs for $_v: '$_hw'"
		return
	fi
	_hc=$(printf '0x%04x' $(((_lg << 8) | (_ex << 1) | (_pr << 2))))
	_pb=",pasid-bits=$_lg"
	info "VF $_v: IOMMU_GET_HW_INFO $_hw: QEMU 11 would build Capability $_hc; intel-iommu$_pb"

	# stock vfio-pci, iommufd, fsts=on: QEMU synthesizes PASID
	# shellcheck disable=SC2086 # _ifd: two words
	q11_config "$_v" /tmp/q11-acc ",fsts=on$_pb" "$_fd" $_ifd
	_qr=$?
	_sc=
	if [ $_qr != 0 ] && grep -q 'Failed to allocate hwpt: Operation not supported' /tmp/q11-acc.msg; then
		skip qemu11/stock-fsts "QEMU 11.1 refuses the VF with intel-iommu fsts=on ($(grep -m1 hwpt /tmp/q11-acc.msg)): fsts=on allocates a nesting-parent HWPT, which this host's IOMMU (in the rig QEMU 10's emulated VT-d, without nested translation) does not give; no synthesized PASID to compare with"
	else
		q11_checks qemu11/stock-fsts "$_v" /tmp/q11-acc $_qr
		_sa=$(qm_chain /tmp/q11-acc)
		info "QEMU 11's extended chain of $_v on vfio-pci (iommufd, fsts=on): $_sa"
		eq qemu11/stock-fsts-synthesized "$(q11_synth /tmp/q11-acc)" 0xff8
		eq qemu11/stock-fsts-pasid-last "${_sa##* }" 0x001b@0xff8
		eq qemu11/stock-fsts-pasid-header "$(qm_dw /tmp/q11-acc 0xff8)" 0x0001001b
		_sc=$(q11_cap /tmp/q11-acc 0xff8)
		eq qemu11/stock-fsts-pasid-cap "$_sc" "$_hc"
		eq qemu11/stock-fsts-pasid-control "$(q11_ctrl /tmp/q11-acc 0xff8)" 0
	fi

	# stock vfio-pci, iommufd, fsts=off
	# shellcheck disable=SC2086 # _ifd: two words
	q11_run qemu11/stock "$_v" /tmp/q11-stock "$_pb" "$_fd" $_ifd
	_ss=$(qm_chain /tmp/q11-stock)
	info "QEMU 11's extended chain of $_v on vfio-pci (iommufd, fsts=off): $_ss; synthesized at '$(q11_synth /tmp/q11-stock)'"
	eq qemu11/stock-fsts-off-not-synthesized "$(q11_synth /tmp/q11-stock)" ""
	eq qemu11/stock-fsts-off-no-pasid "$(echo "$_ss" | grep -c 0x001b@)" 0

	if ! pvp_load expose=auto || ! pvp_bind qemu11 "$_v"; then
		return
	fi
	eq qemu11/param-expose-auto "$(cat /sys/module/pasid_vfio_pci/parameters/expose)" auto
	_dc=$(attr "$_v" cap)
	info "driver: $_v placement $(attr "$_v" placement) offset $(attr "$_v" offset) cap $_dc host_width $(attr "$_v" host_width)"

	# type1 (the container), expose=auto: no PASID at all
	dmark
	q11_run qemu11/type1 "$_v" /tmp/q11-type1 "$_pb" ""
	_ts=$(qm_chain /tmp/q11-type1)
	info "QEMU 11's extended chain of $_v on $PVP (type1): $_ts"
	eq qemu11/type1-no-pasid "$(echo "$_ts" | grep -c 0x001b@)" 0
	eq qemu11/type1-not-synthesized "$(q11_synth /tmp/q11-type1)" ""
	ok qemu11/type1-logged "no 'not exposed: opened through' line: $(dsince | tail -n 2 | tr '\n' ' ')" \
		dlogged "not exposed: opened through"
	eq qemu11/type1-chain-as-stock "$_ts" "$_ss"

	# pasid-vfio-pci through iommufd (the cdev), fsts=off
	dmark
	# shellcheck disable=SC2086 # _ifd: two words
	q11_run qemu11/pvp "$_v" /tmp/q11-pvp "$_pb" "$_fd" $_ifd
	_ps=$(qm_chain /tmp/q11-pvp)
	info "QEMU 11's extended chain of $_v on $PVP (iommufd, fsts=off): $_ps"
	eq qemu11/pvp-chain "$_ps" "${_ss:+$_ss }0x001b@$Q11_OFF"
	eq qemu11/pvp-one-pasid "$(echo "$_ps" | tr ' ' '\n' | grep -c 0x001b@)" 1
	eq qemu11/pvp-not-synthesized "$(q11_synth /tmp/q11-pvp)" ""
	eq qemu11/pvp-pasid-header "$(qm_dw /tmp/q11-pvp $Q11_OFF)" 0x0001001b
	eq qemu11/pvp-pasid-cap "$(q11_cap /tmp/q11-pvp $Q11_OFF)" "$_dc"
	eq qemu11/pvp-pasid-control "$(q11_ctrl /tmp/q11-pvp $Q11_OFF)" 0
	ok qemu11/pvp-driver-log "no '$PVP $_v: PASID capability at $Q11_OFF' in dmesg" \
		dlogged "$PVP $_v: PASID capability at $Q11_OFF"
	eq qemu11/cap-as-qemu-builds "$(q11_cap /tmp/q11-pvp $Q11_OFF)" "$_hc"

	q11_nested "$_v" "$_pb"

	# ... and fsts=on, where QEMU takes the VF so
	[ -n "$_sc" ] || return
	# shellcheck disable=SC2086 # _ifd: two words
	q11_run qemu11/pvp-fsts "$_v" /tmp/q11-pacc ",fsts=on$_pb" "$_fd" $_ifd
	_pa=$(qm_chain /tmp/q11-pacc)
	info "QEMU 11's extended chain of $_v on $PVP (iommufd, fsts=on): $_pa"
	eq qemu11/pvp-fsts-not-synthesized "$(q11_synth /tmp/q11-pacc)" ""
	_so=$(echo "$_sa" | sed 's/ *0x001b@0xff8$//')
	eq qemu11/pvp-fsts-chain "$_pa" "${_so:+$_so }0x001b@$Q11_OFF"
	eq qemu11/pvp-fsts-cap-agrees "$(q11_cap /tmp/q11-pacc $Q11_OFF)" "$_sc"
}

# q11_nested <vf> <pasid-bits option>: how far a guest's PASID gets under
# QEMU 11.1.  The nested guest of cases/nested.sh boots with the VF through
# iommufd (fsts=off: fsts=on is refused here, qemu11/stock-fsts) on
# pcie.0, as a root-complex integrated endpoint; it lists the driver's
# PASID and its intel-iommu enables it (Control read in the nested guest).
# Meanwhile the rig traces the driver's .pasid_attach_ioas
# (vfio_iommufd_physical_pasid_attach_ioas, which VFIO_DEVICE_ATTACH_IOMMUFD_PT
# with a PASID reaches; a PASID attach of vfio-client's after the boot is
# the tracer's positive control): QEMU 11.1 attaches a guest's PASID only
# through fsts=on's nested translation, so none arrives, and the case says
# so.
q11_nested() {
	_tr=/sys/kernel/tracing
	command -v nq_boot >/dev/null || . /cases/nested.sh
	if [ ! -f /nested/vmlinux ]; then
		fail qemu11/nested/tools "no nested guest in the initramfs (see the host/nested line)"
		return
	fi
	[ -e $_tr/set_ftrace_filter ] || mount -t tracefs tracefs $_tr 2>/dev/null
	_traced=0
	if echo vfio_iommufd_physical_pasid_attach_ioas >$_tr/set_ftrace_filter 2>/dev/null; then
		echo function >$_tr/current_tracer
		: >$_tr/trace
		echo 1 >$_tr/tracing_on
		_traced=1
	fi
	_nb=$NQ_BIN _np=$NQ_PORT _na=$NQ_AT _nf=$NQ_BDF _nq=$NQ_QEMU_ARGS _nv=$NQ_VFIO_ARGS
	NQ_BIN=$Q11_BIN NQ_PORT= NQ_AT="bus=pcie.0,addr=$Q11_DEV.0" NQ_BDF=$((Q11_DEV << 3))
	NQ_QEMU_ARGS="-object iommufd,id=iommufd0" NQ_VFIO_ARGS=",iommufd=iommufd0"
	if nq_boot "$1" /tmp/q11-nested "$Q11_IOMMU$2,fsts=off"; then
		pass qemu11/nested/boot
	else
		fail qemu11/nested/boot "no lspci from the nested guest: $(tail -n 3 /tmp/q11-nested/serial | tr '\n' ' ') QEMU: $(head -n 2 /tmp/q11-nested/err | tr '\n' ' ')"
	fi
	NQ_BIN=$_nb NQ_PORT=$_np NQ_AT=$_na NQ_BDF=$_nf NQ_QEMU_ARGS=$_nq NQ_VFIO_ARGS=$_nv
	_n=0 _nc=0
	if [ $_traced = 1 ]; then
		_n=$(grep -c 'vfio_iommufd_physical_pasid_attach_ioas' $_tr/trace)
		# The tracer's positive control: a PASID attach of our own
		vc qemu11/nested/trace-control -i pasid-attach "$1" --pasids 1
		_nc=$(grep -c 'vfio_iommufd_physical_pasid_attach_ioas' $_tr/trace)
		echo 0 >$_tr/tracing_on
		echo nop >$_tr/current_tracer
		echo >$_tr/set_ftrace_filter
	fi
	nq_view /tmp/q11-nested | sed 's/^/INFO nested guest (QEMU 11.1): /'
	ok qemu11/nested/listed "nested guest's lspci: no 'Capabilities: [${Q11_OFF#0x} v1] Process Address Space ID'" \
		grep -q "Capabilities: \[${Q11_OFF#0x} v1\] Process Address Space ID" /tmp/q11-nested/serial
	ok qemu11/nested/enabled "nested guest's lspci: no 'PASIDCtl: Enable+'" \
		grep -q 'PASIDCtl: Enable+' /tmp/q11-nested/serial
	eq qemu11/nested/driver-exposed "$(cat /tmp/q11-nested/exposed 2>/dev/null)" 1
	if [ $_traced = 0 ]; then
		skip qemu11/nested/pasid-attach "cannot trace vfio_iommufd_physical_pasid_attach_ioas (no tracefs or no such function)"
	else
		info "QEMU 11.1 (fsts=off) made $_n PASID attach(es) of $1 while the nested guest ran; the tracer saw $((_nc - _n)) of vfio-client's"
		ok qemu11/nested/trace-sees-attach "the tracer saw no PASID attach of vfio-client's" \
			[ "$_nc" -gt "$_n" ]
		eq qemu11/nested/no-pasid-attach-without-fsts "$_n" 0
	fi
}
