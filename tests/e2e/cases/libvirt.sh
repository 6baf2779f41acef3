# SPDX-License-Identifier: GPL-2.0
#
# libvirt: the real daemon picks the driver (sourced by guest.sh).
#
# bookworm-backports' libvirt 11 (libvirtd with its qemu and nodedev
# drivers, virsh; run.sh build_libvirt) runs in the guest with the host's
# QEMU 10 (as in cases/qemu.sh): no systemd, dbus, polkit or cgroups, so
# qemu.conf runs QEMU as root without cgroups, namespaces, a security
# driver or virtlogd, and libvirtd.conf lets root's virsh in without
# authentication.  igb PF with PASID at 0x1c0 (fixture), one VF, first on
# igbvf (the driver an admin's host would have on it):
#
#    (the PF's sriov_drivers_autoprobe on, as the kernel's default: libvirt
#    gives a VF back by reprobing it)
#  - a managed <hostdev> with <driver name='vfio' model='pasid-vfio-pci'/>:
#    "virsh start --paused" binds the VF to pasid-vfio-pci and starts the
#    domain; QEMU's view of the VF (its monitor, as cases/qemu.sh reads it)
#    has the driver's PASID at 0x1c0; exposed is 1 meanwhile; "virsh
#    destroy" gives the VF back to igbvf
#  - the same without model=: libvirt binds vfio-pci although
#    pasid-vfio-pci is loaded (the module has no modules.alias line for
#    libvirt's variant search), QEMU's view has no PASID; back to igbvf
#  - managed='no' with the VF bound to pasid-vfio-pci by hand: the domain
#    starts (libvirt takes the vfio-dev/ driver as VFIO) and leaves the
#    binding alone
#  - "virsh nodedev-detach --driver pasid-vfio-pci" binds the driver,
#    "nodedev-reattach" gives the VF back to igbvf; without --driver,
#    nodedev-detach binds vfio-pci
#
# The time libvirt takes to probe QEMU's capabilities (TCG in TCG) is
# printed as an INFO line.  Runs in the default IOMMU mode only
# (pvp.libvirt_modes=default,scalable).

LV_LOG=/var/log/libvirt
LV_DOM=pvp

# lv <virsh args...>: virsh on qemu:///system, output in /tmp/lv.out
lv() { timeout 300 /usr/bin/virsh -c qemu:///system "$@" >/tmp/lv.out 2>&1; }
lv_out() { grep -v '^$' /tmp/lv.out | tr '\n' ' ' | cut -c1-300; }
# lv_ok <check> <virsh args...>: PASS when virsh succeeds
lv_ok() {
	_lk=$1
	shift
	if lv "$@"; then pass "$_lk"; return 0; fi
	fail "$_lk" "virsh $*: $(lv_out)"
	lv_why
	return 1
}
# lv_why: the tails of libvirtd's and QEMU's logs, for a failure
lv_why() {
	tail -n 8 $LV_LOG/libvirtd.log 2>/dev/null | sed 's/^/INFO libvirtd: /'
	tail -n 5 $LV_LOG/qemu/$LV_DOM.log 2>/dev/null | sed 's/^/INFO qemu: /'
}
uptime_s() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }'; }

# lv_setup: configuration and directories, then libvirtd; 0 when its
# socket answers
lv_setup() {
	mkdir -p /run/libvirt /var/lib/libvirt/qemu /var/cache/libvirt/qemu \
		$LV_LOG/qemu /etc/libvirt
	[ -e /var/run ] || ln -s /run /var/run
	# Debian's libvirt looks its build-time QEMU user up whatever
	# qemu.conf says ("Failed to parse user 'libvirt-qemu'" without it)
	grep -q '^root:' /etc/passwd 2>/dev/null || echo 'root:x:0:0:root:/root:/bin/sh' >>/etc/passwd
	grep -q '^root:' /etc/group 2>/dev/null || echo 'root:x:0:' >>/etc/group
	grep -q '^libvirt-qemu:' /etc/passwd ||
		echo 'libvirt-qemu:x:64055:64055::/var/lib/libvirt:/bin/false' >>/etc/passwd
	grep -q '^libvirt-qemu:' /etc/group || echo 'libvirt-qemu:x:64055:' >>/etc/group
	cat >/etc/libvirt/libvirtd.conf <<-EOF
		auth_unix_ro = "none"
		auth_unix_rw = "none"
		log_filters = "1:util.pci 1:hypervisor 1:qemu.qemu_hostdev 1:node_device"
		log_outputs = "2:file:$LV_LOG/libvirtd.log"
	EOF
	cat >/etc/libvirt/qemu.conf <<-'EOF'
		user = "root"
		group = "root"
		security_driver = "none"
		remember_owner = 0
		namespaces = [ ]
		cgroup_controllers = [ ]
		stdio_handler = "file"
	EOF
	/usr/sbin/libvirtd --daemon >/tmp/libvirtd.out 2>&1
	# its socket, or its exit (the pid file goes with it)
	wait_for 120 sh -c '[ -S /run/libvirt/libvirt-sock ] || ! kill -0 "$(cat /run/libvirtd.pid 2>/dev/null)" 2>/dev/null'
	[ -S /run/libvirt/libvirt-sock ] && lv version
}

lv_stop() {
	[ -f /run/libvirtd.pid ] || return 0
	_lp=$(cat /run/libvirtd.pid)
	kill "$_lp" 2>/dev/null
	wait_for 30 sh -c "! kill -0 $_lp 2>/dev/null"
}

# lv_xml <file> <managed> <driver element>: a paused-only q35 domain
# (TCG, no disks, no USB, no balloon) with the VF
lv_xml() {
	_lb=$(echo "$V0" | cut -d: -f2)
	_ls=$(echo "$V0" | cut -d: -f3 | cut -d. -f1)
	_lf=${V0##*.}
	cat >"$1" <<-EOF
		<domain type='qemu'>
		  <name>$LV_DOM</name>
		  <memory unit='MiB'>64</memory>
		  <vcpu>1</vcpu>
		  <os><type arch='x86_64' machine='q35'>hvm</type></os>
		  <features><tcg><tb-cache unit='MiB'>16</tb-cache></tcg></features>
		  <devices>
		    <emulator>$QM_BIN</emulator>
		    <controller type='usb' model='none'/>
		    <memballoon model='none'/>
		    <hostdev mode='subsystem' type='pci' managed='$2'>
		      $3
		      <source><address domain='0x0000' bus='0x$_lb' slot='0x$_ls' function='0x$_lf'/></source>
		      <rom bar='off'/>
		    </hostdev>
		  </devices>
		</domain>
	EOF
}

# lv_view <out>: QEMU's guest view of the running domain's VF, as
# qm_config writes it (cases/qemu.sh): the root port libvirt put the VF
# behind, from the live XML, gets the bus numbers, then "xp" through the
# q35 ECAM window; 0 when all 1024 dwords came back
lv_view() {
	lv dumpxml $LV_DOM || return 1
	cp /tmp/lv.out /tmp/lv-live.xml	# one element a line
	# the hostdev's guest address: the <address type='pci'> after its <source>
	_la=$(awk '/<hostdev /{h=1} h && /<\/source>/{s=1; next} h && s && /<address type=.pci./{print; exit}' /tmp/lv-live.xml)
	_gb=$(($(echo "$_la" | sed -n "s/.* bus='\([^']*\)'.*/\1/p")))
	_gs=$(($(echo "$_la" | sed -n "s/.* slot='\([^']*\)'.*/\1/p")))
	_gf=$(($(echo "$_la" | sed -n "s/.* function='\([^']*\)'.*/\1/p")))
	# the controller of that index (a pcie-root-port on pcie.0)
	_lr=$(awk -v i="$_gb" '$0 ~ "<controller type=.pci. index=." i "." {c=1; next} c && /<address /{print; exit}' /tmp/lv-live.xml)
	_rs=$(($(echo "$_lr" | sed -n "s/.* slot='\([^']*\)'.*/\1/p")))
	_rf=$(($(echo "$_lr" | sed -n "s/.* function='\([^']*\)'.*/\1/p")))
	info "libvirt put $V0 at guest $(printf '%02x:%02x.%x' $_gb $_gs $_gf) behind the root port at 00:$(printf '%02x.%x' $_rs $_rf)"
	_qb=$((QM_ECAM + (_gb << 20) + (_gs << 15) + (_gf << 12)))
	: >"$1.raw"
	for _c in "o /w 0xcf8 0x80000060" "$(printf 'o /w 0xcfc 0x%x' $((QM_ECAM | 1)))" \
		"$(printf 'o /w 0xcf8 0x%x' $((0x80000018 | (_rs << 11) | (_rf << 8))))" \
		"$(printf 'o /w 0xcfc 0x%06x' $(((_gb << 16) | (_gb << 8))))" \
		"$(printf 'xp /1024wx 0x%x' $_qb)"; do
		lv qemu-monitor-command $LV_DOM --hmp "$_c" || return 1
		cat /tmp/lv.out >>"$1.raw"
	done
	qm_parse $_qb <"$1.raw" >"$1"
	[ "$(wc -l <"$1")" = 1024 ]
}

# lv_run <check> <xml>: define and start paused; 0 when it runs
lv_run() {
	lv undefine $LV_DOM >/dev/null 2>&1
	lv_ok "$1-define" define "$2" || return 1
	_lt=$(uptime_s)
	lv_ok "$1-start" start --paused $LV_DOM || return 1
	info "libvirt: virsh start --paused took $(since "$_lt") s"
	lv domstate $LV_DOM
	eq "$1-paused" "$(head -n 1 /tmp/lv.out)" paused
}

# lv_end <check> <want driver>: virsh destroy, the VF's driver after it
lv_end() {
	lv_ok "$1-destroy" destroy $LV_DOM
	eq "$1-given-back" "$(drv $V0)" "$2"
	lv undefine $LV_DOM
}

case_libvirt() {
	CASE=libvirt
	in_modes libvirt libvirt_modes default || return
	if [ ! -x /usr/sbin/libvirtd ] || [ ! -x /usr/bin/virsh ] || [ ! -f /cases/qemu.sh ]; then
		fail libvirt/tools "libvirt is not in the initramfs (see the host/libvirt line)"
		return
	fi
	. /cases/qemu.sh	# QM_BIN, QM_ECAM, qm_dw, qm_chain
	if [ ! -x $QM_BIN ]; then
		fail libvirt/tools "QEMU is not in the initramfs (see the host/userland line)"
		return
	fi
	OFF=0x1c0
	have_pvp || pvp_load
	fx_load bdf=$IGB offset=$OFF width=20 exec=1 priv=0 enable=1 || return
	vfs $IGB 1
	V0=$(vf $IGB 0)
	ND=pci_$(echo "$V0" | tr ':.' '__')
	# the driver the VF has before libvirt takes it
	PREV=none
	if modprobe igbvf && bind $V0 igbvf; then PREV=igbvf; fi
	echo >"$(dev $V0)/driver_override"
	# as on a host, where the VF driver took the VF when it appeared: a VF
	# that libvirt gives back is probed only with the PF's autoprobe on
	echo 1 >"$(dev $IGB)/sriov_drivers_autoprobe"
	info "libvirt: $V0 starts on $(drv $V0)"
	eq libvirt/prev-driver "$PREV" igbvf

	_lt=$(uptime_s)
	if ! lv_setup; then
		fail libvirt/daemon "libvirtd did not answer: $(lv_out) $(tr '\n' ' ' </tmp/libvirtd.out | cut -c1-200)"
		lv_why
		vfs $IGB 0
		fx_unload
		return
	fi
	pass libvirt/daemon
	lv version
	info "libvirt: $(tr '\n' ' ' </tmp/lv.out) (libvirtd up in $(since "$_lt") s)"
	# This libvirt has no iommufd backend for a <hostdev> (its domain schema
	# names none): on any kernel its QEMU opens the VF through the VFIO
	# type1 container, where expose=auto shows no PASID (case expose)
	ok libvirt/no-iommufd-backend "libvirt's domain schema names iommufd: test libvirt's iommufd backend" \
		sh -c "! grep -qi iommufd /usr/share/libvirt/schemas/domaincommon.rng"
	_lt=$(uptime_s)
	lv_ok libvirt/domcapabilities domcapabilities --virttype qemu --emulatorbin $QM_BIN --machine q35
	info "libvirt: probing QEMU's capabilities (domcapabilities) took $(since "$_lt") s"
	grep -q "<value>vfio</value>" /tmp/lv.out || info "libvirt: domcapabilities lists no vfio hostdev backend: $(grep -A3 pciBackend /tmp/lv.out | tr -d '\n ' | cut -c1-200)"

	# 1. managed, model='pasid-vfio-pci'
	lv_xml /tmp/lv-pvp.xml yes "<driver name='vfio' model='$PVP'/>"
	if lv_run libvirt/model /tmp/lv-pvp.xml; then
		eq libvirt/model-bound "$(drv $V0)" $PVP
		eq libvirt/model-exposed "$(attr $V0 exposed)" 1
		if lv_view /tmp/lv-view-pvp; then
			pass libvirt/model-view
			_c=$(qm_chain /tmp/lv-view-pvp)
			info "QEMU's extended chain of $V0 under libvirt, model=$PVP: $_c"
			eq libvirt/model-vendor-device "$(qm_dw /tmp/lv-view-pvp 0)" 0x10ca8086
			ok libvirt/model-pasid "no PASID at $OFF in '$_c'" \
				sh -c "echo '$_c' | grep -q '0x001b@$OFF\$'"
			eq libvirt/model-pasid-header "$(qm_dw /tmp/lv-view-pvp $OFF)" 0x0001001b
			eq libvirt/model-pasid-cap-ctrl "$(qm_dw /tmp/lv-view-pvp $((OFF + 4)))" 0x00001402
		else
			fail libvirt/model-view "QEMU's monitor: $(wc -l </tmp/lv-view-pvp) dwords; $(lv_out)"
		fi
		lv_end libvirt/model "$PREV"
		eq libvirt/model-closed "$(attr $V0 exposed)" missing
		eq libvirt/model-override-cleared "$(cat "$(dev $V0)/driver_override")" "(null)"
	fi
	lv undefine $LV_DOM

	# 2. managed, no model: vfio-pci, although pasid-vfio-pci is loaded
	ok libvirt/nomodel-pvp-loaded "$PVP is not loaded" have_pvp
	lv_xml /tmp/lv-stock.xml yes "<driver name='vfio'/>"
	if lv_run libvirt/nomodel /tmp/lv-stock.xml; then
		eq libvirt/nomodel-bound "$(drv $V0)" vfio-pci
		if lv_view /tmp/lv-view-stock; then
			_c=$(qm_chain /tmp/lv-view-stock)
			info "QEMU's extended chain of $V0 under libvirt, no model: $_c"
			ok libvirt/nomodel-no-pasid "PASID in '$_c'" \
				sh -c "! echo '$_c' | grep -q 0x001b@"
		else
			fail libvirt/nomodel-view "QEMU's monitor: $(wc -l </tmp/lv-view-stock) dwords; $(lv_out)"
		fi
		lv_end libvirt/nomodel "$PREV"
	fi

	# 3. managed='no', bound by hand: libvirt leaves the binding alone
	if pvp_bind libvirt/unmanaged $V0; then
		echo >"$(dev $V0)/driver_override"	# as driverctl --nosave leaves it: bound
		lv_xml /tmp/lv-unmanaged.xml no ""
		if lv_run libvirt/unmanaged /tmp/lv-unmanaged.xml; then
			eq libvirt/unmanaged-bound "$(drv $V0)" $PVP
			eq libvirt/unmanaged-exposed "$(attr $V0 exposed)" 1
			lv_end libvirt/unmanaged $PVP
		fi
	fi
	unbind $V0
	[ $PREV = none ] || bind $V0 $PREV
	echo >"$(dev $V0)/driver_override"

	# 4. virsh nodedev-detach / nodedev-reattach
	if lv_ok libvirt/nodedev-detach nodedev-detach $ND --driver $PVP; then
		eq libvirt/nodedev-detach-bound "$(drv $V0)" $PVP
		lv_ok libvirt/nodedev-reattach nodedev-reattach $ND
		eq libvirt/nodedev-reattach-given-back "$(drv $V0)" "$PREV"
	fi
	if lv_ok libvirt/nodedev-detach-default nodedev-detach $ND; then
		eq libvirt/nodedev-detach-default-bound "$(drv $V0)" vfio-pci
		lv_ok libvirt/nodedev-reattach-default nodedev-reattach $ND
		eq libvirt/nodedev-reattach-default-given-back "$(drv $V0)" "$PREV"
	fi

	lv undefine $LV_DOM
	lv_stop || fail libvirt/daemon-stop "libvirtd did not exit"
	unbind $V0
	vfs $IGB 0
	modprobe -r igbvf 2>/dev/null
	fx_unload
}
