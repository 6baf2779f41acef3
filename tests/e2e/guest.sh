#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the pasid-vfio-pci e2e rig; /init runs it in a busybox
# initramfs built by run.sh.  Kernel command line: pvp.kernel=<tag>
# pvp.mode=<default|scalable> pvp.cases=<all|letters, e.g. "s,a,b"> pvp.demo=1.
#
# Prints "PASS|FAIL|SKIP <kernel>/<mode>/<case>/<check>[: why]" lines, then
# the kernel log and the results again between markers for run.sh.
#
# Devices (run.sh): igb PF (8086:10c9) and nvme PF (1b36:0010) behind PCIe
# root ports, both SR-IOV.  pasid_fixture.ko grafts PASID onto one PF.
#
# Cases:
#  s  stock vfio-pci on VFs: type1 open, iommufd open (SKIP without
#     CONFIG_IOMMUFD), dumps without errors and stable
#  a  VF of a PASID PF bound to pasid-vfio-pci: the capability, its values,
#     Control semantics, VFIO_DEVICE_RESET, close/reopen, PF enable tracking
#  b  all 4096 bytes equal vfio-pci's view but the injected cap and one Next
#  c  VF of the PF without PASID: nothing injected, identical to vfio-pci
#  d  PF bound to pasid-vfio-pci: its own capability; Control writes do not
#     reach the PF's real register
#  e  placement: PF offset, free space when a VF cap collides, head when the
#     VF has no extended cap, pasid_offset= override, overlapping override
#  f  bind/unbind cycles, rmmod while open, modprobe -r, bad parameter
#  g  the VF's PASID Enable follows the PF (guard=off); the PF guard keeps
#     the PF's PASID enabled in hardware while VFs are bound (guard=bound)
#     or open (guard=open) and applies a vetoed disable when they let go

KTAG=unknown MODE=unknown CASES=all DEMO=0
for a in $(cat /proc/cmdline); do
	case $a in
	pvp.kernel=*) KTAG=${a#*=} ;;
	pvp.mode=*) MODE=${a#*=} ;;
	pvp.cases=*) CASES=${a#*=} ;;
	pvp.demo=*) DEMO=${a#*=} ;;
	esac
done
P=$KTAG/$MODE
RES=/tmp/results
KV=$(uname -r)
FIXKO=/lib/modules/$KV/extra/pasid_fixture.ko
FX=/sys/module/pasid_fixture/parameters
PVP=pasid-vfio-pci
: >$RES

# ---------------------------------------------------------------- reporting
pass() { echo "PASS $P/$1" | tee -a $RES; }
fail() { echo "FAIL $P/$1: $2" | tee -a $RES; }
skip() { echo "SKIP $P/$1: $2" | tee -a $RES; }
info() { echo "INFO $*"; }
# ok <check> <why-if-false> <command...>
ok() {
	_c=$1 _w=$2
	shift 2
	if "$@"; then pass "$_c"; else fail "$_c" "$_w"; fi
}
# eq <check> <got> <want>
eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', expected '$3'"; fi
}
want() { [ "$CASES" = all ] || echo ",$CASES," | grep -q ",$1,"; }
# karg <name> <default>: the value of pvp.<name>= on the kernel command line
karg() {
	_kv=$2
	for _ka in $(cat /proc/cmdline); do
		case $_ka in "pvp.$1="*) _kv=${_ka#*=} ;; esac
	done
	echo "$_kv"
}
# in_modes <case> <karg> <modes>: 0 when this boot's IOMMU mode is one of
# <modes> (comma-separated; pvp.<karg>= overrides them), else a SKIP line
# that says why
in_modes() {
	_im=$(karg "$2" "$3" | tr , ' ')
	echo " $_im " | grep -q " $MODE " && return 0
	skip "$1/mode" "runs in IOMMU mode(s) '$_im' only (pvp.$2=)"
	return 1
}
# wait_for <secs> <command...>: poll every 0.1 s until the command succeeds
wait_for() {
	_ws=$1
	shift
	_wi=0
	while ! "$@"; do
		_wi=$((_wi + 1))
		[ $_wi -lt $((_ws * 10)) ] || return 1
		sleep 0.1
	done
}
# dmesg without clearing it (run.sh scans all of it): dmark, then dsince
dmark() { DMARK=$(dmesg | wc -l); }
dsince() { dmesg | tail -n +$((DMARK + 1)); }
# dlogged [grep options] <pattern>: 0 when a line since dmark matches;
# dunlogged: 0 when none does (both for "ok")
dlogged() { dsince | grep -q "$@"; }
dunlogged() { ! dlogged "$@"; }

# checks <tool> <case> <args>: run a test tool (vfio-client, vfio-fuzz),
# keep its check lines
checks() {
	_ck_t=$1 _ck_n=$2
	shift 2
	"$_ck_t" -n "$P/$_ck_n" "$@" >/tmp/checks.out 2>&1
	_rc=$?
	cat /tmp/checks.out
	grep -E '^(PASS|FAIL|SKIP) ' /tmp/checks.out >>$RES
	return $_rc
}
vc() { checks vfio-client "$@"; }
vfz() { checks vfio-fuzz "$@"; }

# ---------------------------------------------------------------- PCI helpers
dev() { echo /sys/bus/pci/devices/$1; }
drv() { _l=$(readlink "$(dev "$1")/driver" 2>/dev/null) && basename "$_l" || echo none; }
unbind() {
	[ "$(drv "$1")" = none ] || echo "$1" >"$(dev "$1")/driver/unbind"
	echo >"$(dev "$1")/driver_override"
}
# bind <bdf> <driver>: driver_override + drivers_probe; 0 when bound
bind() {
	unbind "$1"
	echo "$2" >"$(dev "$1")/driver_override"
	echo "$1" >/sys/bus/pci/drivers_probe 2>/dev/null
	[ "$(drv "$1")" = "$2" ]
}
# native <bdf>: back to the driver the kernel picks
native() {
	unbind "$1"
	echo "$1" >/sys/bus/pci/drivers_probe 2>/dev/null
}
# vfs <pf> <n>: n VFs, not probed by anyone
vfs() {
	echo 0 >"$(dev "$1")/sriov_drivers_autoprobe"
	_cur=$(cat "$(dev "$1")/sriov_numvfs")
	if [ "$_cur" != 0 ]; then
		for _v in $(vflist "$1"); do unbind "$_v"; done
		echo 0 >"$(dev "$1")/sriov_numvfs"
	fi
	[ "$2" = 0 ] || echo "$2" >"$(dev "$1")/sriov_numvfs"
}
vflist() { for _l in "$(dev "$1")"/virtfn*; do [ -e "$_l" ] && basename "$(readlink "$_l")"; done; }
vf() { basename "$(readlink "$(dev "$1")/virtfn$2")"; }
find_pf() {
	for _d in /sys/bus/pci/devices/*; do
		[ "$(cat "$_d/vendor"):$(cat "$_d/device")" = "$1" ] && [ ! -e "$_d/physfn" ] &&
			basename "$_d" && return
	done
}
# sysrd <bdf> <off> <size>: the host's view of a register, straight from
# sysfs with dd/od (no VFIO, no vfio-client), as 0x%0<2*size>x.  A command,
# so that vfio-client's "sh" steps can run it while a device is open.
cat >/bin/sysrd <<'EOF'
#!/bin/sh
dd if="/sys/bus/pci/devices/$1/config" bs=1 skip=$(($2)) count="$3" 2>/dev/null |
	od -An -tx1 | awk '{ for (i = NF; i >= 1; i--) v = v $i } END { print "0x" v }'
EOF
chmod +x /bin/sysrd
attr() { cat "$(dev "$1")/pasid_vfio/$2" 2>/dev/null || echo missing; }
# have_cdev <bdf>: 0 when <bdf> can be opened through its VFIO device cdev
# bound to iommufd (CONFIG_IOMMUFD and CONFIG_VFIO_DEVICE_CDEV); why_no_cdev
# says what is missing
have_cdev() { [ -e /dev/iommu ] && [ -d "$(dev "$1")/vfio-dev" ]; }
why_no_cdev() {
	if [ ! -e /dev/iommu ]; then
		echo "no /dev/iommu (CONFIG_IOMMUFD)"
	else
		echo "no $(dev "$1")/vfio-dev (CONFIG_VFIO_DEVICE_CDEV)"
	fi
}

# The PASIDs the host IOMMU gives a device, as log2, from the hardware's
# side: the vIOMMU's VT-d ECAP (PASID bit 40, PASID Size Supported bits
# 39:35 = width - 1), in scalable mode only (legacy mode does no PASID).
# "unknown" where the kernel does not tell drivers (dev_iommu.max_pasids,
# 6.3+: Debian's 6.1).
host_width() {
	case $KV in 6.1.* | 6.2.*) echo unknown; return ;; esac
	_ec=$(cat /sys/class/iommu/dmar0/intel-iommu/ecap 2>/dev/null)
	if [ "$MODE" != scalable ] || [ -z "$_ec" ] || [ $((0x$_ec >> 40 & 1)) = 0 ]; then
		echo none
	else
		echo $(((0x$_ec >> 35 & 0x1f) + 1))
	fi
}
# vf_width <pf width>: the Max PASID Width a VF shows: the PF's, no more
# than the host IOMMU's
vf_width() {
	_hw=$(host_width)
	case $_hw in
	unknown | none) echo "$1" ;;
	*) [ "$_hw" -lt "$1" ] && echo "$_hw" || echo "$1" ;;
	esac
}
# ecaps <bdf> [client options]: the extended capabilities seen (VFIO or -S)
ecaps() {
	_b=$1
	shift
	vfio-client "$@" caps "$_b" 2>&1 | grep '^ecap'
}

# ---------------------------------------------------------------- fixture
# fx_load <args>: graft PASID onto a PF (VFs of that PF must be gone)
fx_load() {
	fx_unload
	if ! insmod "$FIXKO" "$@"; then
		fail "$CASE/fixture-load" "insmod pasid_fixture $*: $(dmesg | grep pasid_fixture | tail -n 1)"
		return 1
	fi
	info "fixture: $(cat $FX/state)"
}
fx_unload() {
	grep -q '^pasid_fixture ' /proc/modules || return 0
	rmmod pasid_fixture || fail "$CASE/fixture-unload" "rmmod pasid_fixture failed"
}
fx_state() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" $FX/state; }

# ---------------------------------------------------------------- module
have_pvp() { grep -q '^pasid_vfio_pci ' /proc/modules; }
pvp_load() {
	modprobe -r pasid-vfio-pci 2>/dev/null
	modprobe pasid-vfio-pci "$@" 2>/tmp/modprobe.err
}

# pvp_bind <case> <bdf>: bind to pasid-vfio-pci, FAIL when impossible
pvp_bind() {
	if ! have_pvp; then
		fail "$1/bind" "pasid-vfio-pci is not loaded (module missing or failed to load)"
		return 1
	fi
	if bind "$2" $PVP; then
		pass "$1/bind"
		return 0
	fi
	fail "$1/bind" "$2 not bound: $(dmesg | tail -n 2 | tr '\n' ' ')"
	return 1
}

# pvp_vfs <case> <pf> <n>: n VFs of <pf>, all bound to pasid-vfio-pci
# (checked as <case>/bound); their addresses in $VFS_ALL
pvp_vfs() {
	vfs "$2" "$3"
	VFS_ALL=$(vflist "$2")
	_pn=0
	for _pv in $VFS_ALL; do
		bind "$_pv" $PVP && _pn=$((_pn + 1))
	done
	eq "$1/bound" "$_pn" "$3"
}

# dump_ok <case> <bdf> <file> [client args]: dump without dword errors
dump_ok() {
	_c=$1 _b=$2 _f=$3
	shift 3
	vfio-client "$@" dump "$_b" "$_f" >/tmp/dump.out 2>&1
	if grep -q ' 0 dword errors' /tmp/dump.out; then
		pass "$_c"
	else
		fail "$_c" "$(tr '\n' ' ' </tmp/dump.out | cut -c1-300)"
	fi
}

# ---------------------------------------------------------------- setup
setup() {
	CASE=setup
	_ok=1
	for m in vfio vfio_iommu_type1 vfio_pci igb nvme; do
		modprobe $m || { fail setup/modprobe-$m "modprobe $m failed"; _ok=0; }
	done
	[ $_ok = 1 ] && pass setup/stock-modules
	IGB=$(find_pf 0x8086:0x10c9)
	NVME=$(find_pf 0x1b36:0x0010)
	info "igb PF $IGB, nvme PF $NVME, kernel $KV, iommu: $(ls /sys/class/iommu 2>/dev/null | tr '\n' ' ')"
	[ -n "$IGB" ] && [ -n "$NVME" ] || { fail setup/devices "igb or nvme PF missing"; return 1; }
	# expose=auto shows PASID only to a VFIO cdev user of a kernel with
	# PASID attach (iommufd).  Without one (every Debian kernel), the cases
	# that look at the capability through type1 load with expose=always,
	# as an admin would: modprobe.d reaches every modprobe, udev's too.
	# cases/expose.sh tests auto.
	mkdir -p /etc/modprobe.d
	echo "options pasid-vfio-pci expose=always" >/etc/modprobe.d/pasid-vfio-pci-e2e.conf
	info "the type1 cases load with expose=always (/etc/modprobe.d); iommufd: $([ -e /dev/iommu ] && echo yes || echo "no, not in $KV")"
	if [ ! -f /lib/modules/$KV/extra/pasid-vfio-pci.ko ]; then
		fail setup/module "pasid-vfio-pci.ko is not in the initramfs (it did not build)"
	elif pvp_load; then
		pass setup/module-load
		eq setup/expose-always "$(cat /sys/module/pasid_vfio_pci/parameters/expose)" always
	else
		fail setup/module-load "modprobe pasid-vfio-pci: $(cat /tmp/modprobe.err)"
	fi
	# the PFs' drivers must be bound for sriov_numvfs
	for pf in $IGB $NVME; do
		[ "$(drv $pf)" != none ] || fail setup/pf-driver "$pf has no driver"
	done
}

# ---------------------------------------------------------------- cases
# s: stock vfio-pci on one VF of each PF
case_s() {
	CASE=s
	for pf in $IGB $NVME; do
		vfs $pf 2
		v=$(vf $pf 0)
		n=$([ $pf = $IGB ] && echo igb || echo nvme)
		if ! bind $v vfio-pci; then
			fail s/$n-bind "$v not bound to vfio-pci"
			continue
		fi
		vc s/$n-type1 open $v
		[ $pf = $IGB ] && vc s/$n-iommufd -i open $v
		dump_ok s/$n-dump $v /tmp/stock-$n-1
		dump_ok s/$n-dump-again $v /tmp/stock-$n-2
		vc s/$n-stable diff /tmp/stock-$n-1 /tmp/stock-$n-2 --same
		# the checker is not vacuous: no PASID through stock vfio-pci
		if vfio-client pasid-check $v >/tmp/neg.out 2>&1; then
			fail s/$n-pasid-check-negative "pasid-check passed on stock vfio-pci"
		else
			ok s/$n-pasid-check-negative "$(head -n 1 /tmp/neg.out)" grep -q '^FAIL present' /tmp/neg.out
		fi
		# the view through vfio-pci matches the kernel's where it passes through
		info "$v through vfio-pci:"
		vfio-client caps $v
		unbind $v
	done
	# ... and diff sees differences: igb VF vs nvme VF
	if vfio-client diff /tmp/stock-igb-1 /tmp/stock-nvme-1 --same >/tmp/neg.out 2>&1; then
		fail s/diff-negative "diff --same passed on two different devices"
	else
		pass s/diff-negative
	fi
	vfs $IGB 0
	vfs $NVME 0
}

# a, b, c, e(pf-offset), f: PASID grafted onto the igb PF at a free offset
case_igb() {
	CASE=a
	OFF=0x1c0
	fx_load bdf=$IGB offset=$OFF width=20 exec=1 priv=0 enable=1 || return
	eq a/fixture-pasid-cap "$(fx_state pasid_cap)" $OFF
	eq a/fixture-pf-enabled "$(fx_state pasid_enabled)" 1
	vfs $IGB 2
	V0=$(vf $IGB 0)
	V1=$(vf $IGB 1)
	# the stock view of the VF, for (b)
	bind $V0 vfio-pci && dump_ok b/stock-dump $V0 /tmp/igb-stock
	ecaps $V0 >/tmp/igb-stock.caps
	unbind $V0
	if want a && pvp_bind a $V0; then
		eq a/sysfs-offset "$(attr $V0 offset)" $OFF
		eq a/sysfs-placement "$(attr $V0 placement)" pf-offset
		eq a/sysfs-pf "$(attr $V0 pf)" $IGB
		W=$(vf_width 20)
		info "host IOMMU PASID width for the VF: $(host_width); the VF shows width $W"
		eq a/sysfs-host-width "$(attr $V0 host_width)" "$(host_width)"
		eq a/sysfs-cap "$(attr $V0 cap)" "$(printf '0x%04x' $((W << 8 | 2)))"
		eq a/sysfs-pf-enabled "$(attr $V0 pf_enabled)" 1
		vc a pasid-check $V0 --offset $OFF --width "$W" --exec 1 --priv 0
		vc a/iommufd -i open $V0
		# The same through the VFIO cdev and iommufd, where the kernel has them
		if have_cdev $V0; then
			vc a/cdev -i pasid-check $V0 --offset $OFF --width "$W" --exec 1 --priv 0
		else
			skip a/cdev "no VFIO cdev with iommufd on $KV: $(why_no_cdev $V0)"
		fi
		# Which resets clear the guest's Control: the user's (VFIO reset,
		# an FLR written through VFIO) do, the host's (sysfs reset) not
		vc a/resets run $V0 "wr $((OFF + 6)) 2 1" "sh echo 1 > $(dev $V0)/reset" \
			"expect $((OFF + 6)) 2 1 host-reset-keeps-control" reset \
			"expect $((OFF + 6)) 2 0 vfio-reset-clears-control"
		_pc=$(vfio-client -S caps $V0 | sed -n 's/^cap 0x10 @\(0x[0-9a-f]*\).*/\1/p')
		if [ -z "$_pc" ]; then
			fail a/flr "no PCIe capability on $V0"
		elif [ $(($(sysrd $V0 $((_pc + 4)) 4) & 0x10000000)) = 0 ]; then
			skip a/flr "$V0 has no Function Level Reset (DEVCAP)"
		else
			vc a/flr run $V0 "wr $((OFF + 6)) 2 1" \
				"wr $((_pc + 8)) 2 $(($(sysrd $V0 $((_pc + 8)) 2) | 0x8000))" \
				"expect $((OFF + 6)) 2 0 guest-flr-clears-control"
		fi
	fi
	# (b) binds the VF itself when (a) did not run (PVP_ALONE, pvp.cases=b)
	if want b; then
		CASE=b
		if [ "$(drv $V0)" = $PVP ] || pvp_bind b $V0; then
			dump_ok b/pvp-dump $V0 /tmp/igb-pvp
			vc b diff /tmp/igb-stock /tmp/igb-pvp --inject $OFF
			# through the cdev and iommufd, the same bytes
			if have_cdev $V0; then
				dump_ok b/cdev/pvp-dump $V0 /tmp/igb-pvp-cdev -i
				vc b/cdev diff /tmp/igb-stock /tmp/igb-pvp-cdev --inject $OFF
			else
				skip b/cdev "no VFIO cdev with iommufd on $KV: $(why_no_cdev $V0)"
			fi
		fi
	fi
	unbind $V0
	if want c; then
		CASE=c
		# the nvme PF has no PASID: its VF gets nothing
		vfs $NVME 1
		N0=$(vf $NVME 0)
		bind $N0 vfio-pci && dump_ok c/stock-dump $N0 /tmp/nvme-stock
		if pvp_bind c $N0; then
			eq c/sysfs-placement "$(attr $N0 placement)" none
			eq c/sysfs-offset "$(attr $N0 offset)" none
			dump_ok c/pvp-dump $N0 /tmp/nvme-pvp
			vc c diff /tmp/nvme-stock /tmp/nvme-pvp --same
		fi
		unbind $N0
		vfs $NVME 0
	fi
	if want e; then
		CASE=e
		# override: VF1 at 0x200 (free), then at ARI's offset (taken)
		if pvp_load pasid_offset=$V1=0x200; then
			pass e/override-load
			if pvp_bind e/override $V1; then
				eq e/override-placement "$(attr $V1 placement)" override
				eq e/override-offset "$(attr $V1 offset)" 0x200
				vc e/override pasid-check $V1 --offset 0x200 --width "$(vf_width 20)" --exec 1 --priv 0
			fi
			# V0 keeps the PF offset
			if pvp_bind e/pf-offset $V0; then
				eq e/pf-offset-placement "$(attr $V0 placement)" pf-offset
				unbind $V0
			fi
			unbind $V1
		else
			fail e/override-load "modprobe pasid_offset=$V1=0x200: $(cat /tmp/modprobe.err)"
		fi
		ari=$(ecaps $V1 -S | sed -n 's/.*ARI *v1 @\(0x[0-9a-f]*\).*/\1/p')
		if [ -n "$ari" ] && pvp_load pasid_offset=$V1=$ari; then
			dmark
			bind $V1 $PVP
			if [ "$(drv $V1)" = none ]; then
				pass e/override-overlap-refused
			else
				fail e/override-overlap-refused "$V1 bound to $(drv $V1) with pasid_offset at ARI ($ari)"
			fi
			dsince | grep -i 'pasid_offset' | head -n 2
			ok e/override-overlap-message "no dmesg line naming pasid_offset" \
				dlogged -i "pasid_offset.*overlap"
			unbind $V1
		else
			fail e/override-overlap-load "no ARI offset ('$ari') or modprobe failed: $(cat /tmp/modprobe.err)"
		fi
		pvp_load
	fi
	if want f; then
		CASE=f
		have_pvp || pvp_load
		i=1
		while [ $i -le 3 ]; do
			bind $V0 $PVP && ecaps $V0 | grep -q "0x001b.*@$OFF"
			r1=$?
			bind $V0 vfio-pci && ! ecaps $V0 | grep -q 0x001b
			r2=$?
			if [ $r1 = 0 ] && [ $r2 = 0 ]; then
				pass f/cycle-$i
			else
				fail f/cycle-$i "pasid-vfio-pci view ok=$((!r1)), vfio-pci view ok=$((!r2)), driver $(drv $V0)"
			fi
			i=$((i + 1))
		done
		unbind $V0
		if pvp_bind f/rmmod-while-open $V0; then
			# vfio pins the driver's module while a device is open
			vfio-client run $V0 "sh rmmod pasid_vfio_pci && echo RMMOD-OK; grep pasid_vfio /proc/modules" >/tmp/rm.out 2>&1
			if grep -q RMMOD-OK /tmp/rm.out; then
				fail f/rmmod-while-open "rmmod succeeded while a device fd was open: $(tr '\n' ' ' </tmp/rm.out)"
			else
				pass f/rmmod-while-open
			fi
			info "rmmod while open: $(tr '\n' ' ' </tmp/rm.out)"
		fi
		have_pvp || pvp_load
		bind $V0 $PVP
		unbind $V0
		# busybox modprobe -r also tries the (busy) dependencies and
		# then exits 1: judge by the module being gone
		modprobe -r pasid-vfio-pci 2>/tmp/mr.err
		if ! have_pvp; then
			pass f/modprobe-r
		else
			fail f/modprobe-r "pasid_vfio_pci still loaded: $(cat /tmp/mr.err)"
		fi
		dmark
		if [ ! -f /lib/modules/$KV/extra/pasid-vfio-pci.ko ]; then
			fail f/bad-param "pasid-vfio-pci.ko is missing"
		elif modprobe pasid-vfio-pci pasid_offset=garbage 2>/dev/null; then
			fail f/bad-param "pasid_offset=garbage was accepted"
			modprobe -r pasid-vfio-pci
		else
			pass f/bad-param
		fi
		dsince | grep pasid | head -n 2
		ok f/bad-param-message "no dmesg line naming pasid_offset" \
			dlogged "pasid_offset=.*garbage"
		pvp_load
	fi
	vfs $IGB 0
	fx_unload
}

# g: the PF's PASID Enable as a VF sees it, and the PF guard (guard=off,
# bound, open): a disable of the PF's PASID while VFs need it is vetoed in
# hardware until they let go
case_guard() {
	CASE=g
	OFF=0x1c0
	fx_load bdf=$IGB offset=$OFF width=20 exec=1 priv=0 enable=1 flr=1 || return
	vfs $IGB 1
	V0=$(vf $IGB 0)
	GA=/sys/bus/pci/drivers/$PVP/guard
	hw() { sysrd $IGB 0x1c6 2; }	# the PF's real control

	# guard=off: Enable follows the PF; require_pf_enabled hides the cap
	if pvp_load guard=off; then
		eq g/off/status "$(cat $GA 2>/dev/null)" off
		if pvp_bind g/off $V0; then
			vc g/off run $V0 "wr 0x1c6 2 3" "expect 0x1c6 2 3 enable-latched" \
				"sh echo 1 > $FX/disable" "expect 0x1c6 2 2 enable-follows-pf-off" \
				"wr 0x1c6 2 1" "expect 0x1c6 2 0 enable-does-not-latch" \
				"sh echo 1 > $FX/enable" "wr 0x1c6 2 1" "expect 0x1c6 2 1 enable-latches-again"
			echo 1 >$FX/disable
			eq g/off/hw-disabled "$(hw)" 0x0000
			if ecaps $V0 | grep -q 0x001b; then
				fail g/off/require-pf-enabled "PASID shown although the PF's PASID is disabled"
			else
				pass g/off/require-pf-enabled
			fi
			if echo N >/sys/module/pasid_vfio_pci/parameters/require_pf_enabled; then
				vc g/off/require-off run $V0 "expect 0x1c0 4 0x1001b cap-shown" \
					"wr 0x1c6 2 1" "expect 0x1c6 2 0 enable-does-not-latch"
				echo Y >/sys/module/pasid_vfio_pci/parameters/require_pf_enabled
			else
				fail g/off/require-off "require_pf_enabled is not writable"
			fi
			echo 1 >$FX/enable
			unbind $V0
		fi
	else
		fail g/off/load "modprobe pasid-vfio-pci guard=off: $(cat /tmp/modprobe.err)"
	fi
	eq g/off/fixture-reenabled "$(fx_state pasid_enabled)" 1

	# guard=bound (default): held from bind to unbind
	pvp_load
	eq g/bound/status "$(cat $GA 2>/dev/null)" active
	guard_ftrace

	if pvp_bind g/bound $V0; then
		dmark
		echo 1 >$FX/disable
		eq g/bound/hw-kept "$(hw)" 0x0003
		ok g/bound/veto-message "no 'vetoed' line in dmesg" dlogged "vetoed"
		vc g/bound run $V0 "expect 0x1c0 4 0x1001b cap-exposed" \
			"wr 0x1c6 2 1" "expect 0x1c6 2 1 enable-latches"
		eq g/bound/hw-kept-after-close "$(hw)" 0x0003
		# A PF reset while vetoed (an FLR, which the fixture models)
		# clears Enable in hardware, and the PCI core, believing it
		# off, does not restore it: the VF must follow the hardware
		vc g/bound/pf-reset run $V0 "wr 0x1c6 2 1" "expect 0x1c6 2 1 enable-latched" \
			"sh echo 1 > $(dev $IGB)/reset" \
			"expect 0x1c6 2 0 enable-gone-after-pf-reset" \
			"wr 0x1c6 2 1" "expect 0x1c6 2 0 enable-does-not-latch"
		eq g/bound/pf-reset-hw "$(hw)" 0x0000
		eq g/bound/pf-reset-pf-enabled "$(attr $V0 pf_enabled)" 0
		ok g/bound/pf-reset-was-flr "no FLR seen by the fixture" dlogged "FLR of the PF"
		unbind $V0
		eq g/bound/hw-applied-at-unbind "$(hw)" 0x0000
		echo 1 >$FX/enable
		eq g/bound/fixture-reenabled "$(fx_state pasid_enabled)" 1
	fi

	# guard=open: held only while a VF is open
	if pvp_load guard=open && pvp_bind g/open $V0; then
		echo 1 >$FX/disable
		eq g/open/hw-not-held-when-closed "$(hw)" 0x0000
		echo 1 >$FX/enable
		vc g/open run $V0 "wr 0x1c6 2 1" "sh echo 1 > $FX/disable" \
			"expect 0x1c6 2 1 enable-kept-while-open" \
			"sh vfio-client -S -n $P/g/open run $IGB 'expect 0x1c6 2 3 hw-held-while-open'"
		eq g/open/hw-applied-at-close "$(hw)" 0x0000
		echo 1 >$FX/enable
		unbind $V0
	elif ! have_pvp; then
		fail g/open/load "modprobe pasid-vfio-pci guard=open: $(cat /tmp/modprobe.err)"
	fi
	eq g/fixture-reenabled "$(fx_state pasid_enabled)" 1
	pvp_load
	vfs $IGB 0
	fx_unload
}

# g: the hook cannot be switched off behind the guard's back: with the
# guard active, sysctl kernel.ftrace_enabled=0 is refused (the ops are
# FTRACE_OPS_FL_PERMANENT); loaded while it is 0, the guard says it is
# unavailable and why
guard_ftrace() {
	_fe=/proc/sys/kernel/ftrace_enabled
	if [ ! -f $_fe ]; then
		skip g/ftrace "$KV has no $_fe (no function tracer)"
		return
	fi
	if (echo 0 >$_fe) 2>/dev/null; then
		fail g/ftrace/disable-refused "kernel.ftrace_enabled=0 accepted while the guard is active"
		echo 1 >$_fe
	else
		pass g/ftrace/disable-refused
	fi
	eq g/ftrace/still-enabled "$(cat $_fe)" 1
	eq g/ftrace/still-active "$(cat $GA)" active
	modprobe -r pasid-vfio-pci
	if ! (echo 0 >$_fe) 2>/dev/null &&
		dmesg | grep -q "ftrace_enabled file is deprecated"; then
		# 7.x: the sysctl no longer disables ftrace at all
		skip g/ftrace/unavailable-when-disabled "kernel.ftrace_enabled=0 cannot disable ftrace on $KV (deprecated: always refused), so the guard cannot be loaded under it"
	elif (echo 0 >$_fe) 2>/dev/null; then
		dmark
		if pvp_load; then
			case "$(cat $GA)" in
			"unavailable: ftrace refused the hook (kernel.ftrace_enabled=0"*)
				pass g/ftrace/unavailable-when-disabled ;;
			*) fail g/ftrace/unavailable-when-disabled "guard reads '$(cat $GA)'" ;;
			esac
			ok g/ftrace/unavailable-logged "no 'PF guard unavailable' line" \
				dlogged "PF guard unavailable"
		else
			fail g/ftrace/load-when-disabled "modprobe failed: $(cat /tmp/modprobe.err)"
		fi
		modprobe -r pasid-vfio-pci
		echo 1 >$_fe
	else
		fail g/ftrace/disable-when-unloaded "kernel.ftrace_enabled=0 refused with the module unloaded"
	fi
	pvp_load
	eq g/ftrace/active-again "$(cat $GA)" active
}

# e: a VF capability where the PF has PASID: free-space placement
case_collide() {
	CASE=e
	OFF=0x1c0
	fx_load bdf=$IGB offset=$OFF vf_cap=$OFF width=8 exec=0 priv=1 enable=1 || return
	vfs $IGB 1
	V0=$(vf $IGB 0)
	bind $V0 vfio-pci && dump_ok e/collide-stock-dump $V0 /tmp/col-stock
	ok e/collide-vf-has-vsec "the fixture's VSEC is not in the VF's chain" \
		sh -c "vfio-client caps $V0 | grep -q '0x000b.*@$OFF'"
	if pvp_bind e/collide $V0; then
		eq e/collide-placement "$(attr $V0 placement)" free-space
		eq e/collide-offset "$(attr $V0 offset)" 0xff8
		vc e/collide pasid-check $V0 --offset 0xff8 --width "$(vf_width 8)" --exec 0 --priv 1
		dump_ok e/collide-pvp-dump $V0 /tmp/col-pvp
		vc e/collide diff /tmp/col-stock /tmp/col-pvp --inject 0xff8
	fi
	unbind $V0
	vfs $IGB 0
	fx_unload
}

# e (head) and d: PASID on the nvme PF, its VFs without extended caps
case_nvme() {
	CASE=e
	OFF=0x200
	fx_load bdf=$NVME offset=$OFF vf_ecaps=0 width=5 exec=0 priv=0 enable=1 || return
	if want e; then
		vfs $NVME 1
		N0=$(vf $NVME 0)
		bind $N0 vfio-pci && dump_ok e/head-stock-dump $N0 /tmp/head-stock
		# vfio's vconfig beyond 0x100 is uninitialised here: with this
		# boot's poisoning it is not 0, so a read of it would show
		ok e/head-poisoned "no init_on_alloc=0 and slub_debug=P on kmalloc-4k: $(cat /proc/cmdline)" \
			sh -c 'grep -q "init_on_alloc=0" /proc/cmdline && grep -qx 1 /sys/kernel/slab/kmalloc-4k/poison'
		if pvp_bind e/head $N0; then
			eq e/head-placement "$(attr $N0 placement)" head
			eq e/head-offset "$(attr $N0 offset)" 0x100
			vc e/head pasid-check $N0 --offset 0x100 --width "$(vf_width 5)" --exec 0 --priv 0
			dump_ok e/head-pvp-dump $N0 /tmp/head-pvp
			vc e/head diff /tmp/head-stock /tmp/head-pvp --inject 0x100
		fi
		unbind $N0
		vfs $NVME 0
	fi
	if want d; then
		CASE=d
		real0=$(sysrd $NVME 0x206 2)
		info "nvme PF $NVME real PASID control before: $real0 (fixture: $(cat $FX/state))"
		# stock vfio-pci hides the PF's PASID
		if bind $NVME vfio-pci; then
			if ecaps $NVME | grep -q 0x001b; then
				info "vfio-pci shows the PF's PASID (kernel exposes it)"
			fi
		fi
		if pvp_bind d $NVME; then
			eq d/sysfs-placement "$(attr $NVME placement)" own
			eq d/sysfs-offset "$(attr $NVME offset)" $OFF
			real1=$(sysrd $NVME 0x206 2)
			info "real control after bind: $real1, pf_enabled $(attr $NVME pf_enabled)"
			vc d pasid-check $NVME --offset $OFF --width 5 --exec 0 --priv 0
			real2=$(sysrd $NVME 0x206 2)
			# while the PF is open, write its Control through VFIO and
			# read the real register from sysfs
			vfio-client run $NVME "wr 0x206 2 0" "sh sysrd $NVME 0x206 2 >/tmp/real-0" \
				"wr 0x206 2 7" "sh sysrd $NVME 0x206 2 >/tmp/real-7" >/dev/null 2>&1
			eq d/real-ctrl-unchanged-by-0 "$(cat /tmp/real-0)" "$real2"
			eq d/real-ctrl-unchanged-by-7 "$(cat /tmp/real-7)" "$real2"
		fi
		native $NVME
		ok d/pf-back-to-nvme "nvme PF not rebound to nvme ($(drv $NVME))" [ "$(drv $NVME)" = nvme ]
	fi
	fx_unload
}

# ---------------------------------------------------------------- demo
demo() {
	echo "=== demo ==="
	echo "# Guest kernel $KV, two SR-IOV physical functions (PFs): igb $IGB, nvme $NVME."
	echo "# No QEMU device has a PCIe PASID capability, so a test-only module"
	echo "# (pasid_fixture) grafts one onto the igb PF at 0x1c0 (Max PASID Width 20,"
	echo "# Execute permission supported) and enables it, as an IOMMU driver would."
	insmod "$FIXKO" bdf=$IGB offset=0x1c0 width=20 exec=1 priv=0 enable=1
	echo "# pasid-vfio-pci is loaded with expose=$(cat /sys/module/pasid_vfio_pci/parameters/expose):"
	echo "# this kernel has $([ -e /dev/iommu ] || echo "no ")iommufd, so VFIO is reached through the type1 container,"
	echo "# which cannot attach a VF's PASIDs; the default (expose=auto) then shows the"
	echo "# capability to nobody, since a guest could not use it. expose=always shows it"
	echo "# anyway, for this demonstration (README: \"Which hosts give a guest working PASID\")."
	echo
	echo "## The igb PF's extended capabilities, as the host kernel sees them:"
	vfio-client -S caps $IGB | grep ecap
	echo
	vfs $IGB 2
	V0=$(vf $IGB 0)
	echo "## Create 2 VFs. A VF has no PASID capability of its own: the PCIe spec"
	echo "## makes VFs share their PF's. The host sees VF $V0's own chain:"
	vfio-client -S caps $V0 | grep ecap
	echo
	echo "## Bind VF $V0 to stock vfio-pci and look through VFIO, as a VMM (QEMU) does:"
	bind $V0 vfio-pci
	vfio-client caps $V0 | grep ecap | tee /tmp/demo-stock
	echo "## -> no PASID: the guest cannot know the VF may use PASID."
	tail=$(sed -n '$s/.*@\(0x[0-9a-f]*\).*/\1/p' /tmp/demo-stock)
	regs="$tail 0x1c0 0x1c4"
	for r in $regs; do vfio-client rd $V0 $r 4; done >/tmp/demo-stock-regs
	echo
	echo "## Now bind it to pasid-vfio-pci instead:"
	echo "##   echo $PVP > /sys/bus/pci/devices/$V0/driver_override"
	echo "##   echo $V0 > /sys/bus/pci/drivers_probe"
	unbind $V0
	bind $V0 $PVP || echo "!! bind failed: $(dmesg | tail -n 3)"
	echo "## It reports where it put the capability and why (sysfs pasid_vfio/):"
	for a in offset placement pf cap pf_enabled; do
		echo "##   $a = $(attr $V0 $a)"
	done
	echo "## The same VF through VFIO now:"
	vfio-client caps $V0 | grep ecap | tee /tmp/demo-pvp
	echo
	echo "## Differences (diff vfio-pci pasid-vfio-pci): the last capability's Next"
	echo "## now points at the emulated PASID capability, which ends the chain."
	diff /tmp/demo-stock /tmp/demo-pvp | grep '^[-+]ecap'
	echo
	o=$(sed -n 's/.*PASID.*@\(0x[0-9a-f]*\).*/\1/p' /tmp/demo-pvp)
	for r in $regs; do vfio-client rd $V0 $r 4; done >/tmp/demo-pvp-regs
	echo "## Config dwords through VFIO, side by side:"
	echo "##   offset  vfio-pci    pasid-vfio-pci"
	i=1
	for r in $regs; do
		printf '##   %-6s  %-10s  %s\n' $r "$(sed -n ${i}p /tmp/demo-stock-regs)" "$(sed -n ${i}p /tmp/demo-pvp-regs)"
		i=$((i + 1))
	done
	echo "## $tail: the ARI header, Next field (bits 31:20) now 0x1c0."
	echo "## 0x1c0: PASID header: ID 0x1b, version 1, Next 0."
	echo "## 0x1c4: Capability 0x1402 = Max PASID Width 20 (bits 12:8) | Execute"
	echo "##        supported (bit 1); Control (upper half) starts at 0."
	echo
	echo "## Control is emulated per VF: Enable, and Execute because the PF supports"
	echo "## it, are writable; reserved and unsupported bits read 0:"
	echo "##   write 0xffff to Control -> reads $(vfio-client run $V0 "wr $((o + 6)) 2 0xffff" "rd $((o + 6)) 2" | sed -n 's/.*= //p')"
	echo "##   and VFIO_DEVICE_RESET   -> reads $(vfio-client run $V0 "wr $((o + 6)) 2 1" reset "rd $((o + 6)) 2" | sed -n 's/.*= //p')"
	echo "## The PF's real PASID Control (host, sysfs) is untouched: $(sysrd $IGB $((o + 6)) 2)"
	echo "## (Enable|Execute, as the fixture enabled it)."
	if [ -x /usr/bin/qemu-system-x86_64 ] && [ -f /cases/qemu.sh ]; then
		. /cases/qemu.sh
		echo
		echo "## Last, a real VMM: QEMU 10 with -device vfio-pci,host=$V0 (q35)."
		echo "## The extended capabilities its guest sees (QEMU hides ARI itself):"
		if qm_config $V0 /tmp/demo-qemu; then
			for c in $(qm_chain /tmp/demo-qemu); do echo "##   ID ${c%@*} at ${c#*@}"; done
			_po=$(qm_chain /tmp/demo-qemu | tr ' ' '\n' | sed -n 's/^0x001b@0x//p')
			echo "## 0x001b is PASID: lspci -vvv in that guest would list"
			echo "##   Capabilities: [$_po v1] Process Address Space ID (PASID)"
		else
			echo "!! QEMU failed: $(head -n 2 /tmp/demo-qemu.err)"
		fi
	fi
	if [ -x /usr/bin/qemu-system-x86_64 ] && [ -f /nested/vmlinux ] && [ -f /cases/nested.sh ]; then
		. /cases/nested.sh
		echo
		echo "## And a guest that uses it: QEMU boots a small Linux guest with the VF"
		echo "## behind a pcie-root-port and an intel-iommu in scalable mode with PASID"
		echo "## (x-scalable-mode=on,x-pasid-mode=on; guest intel_iommu=on,sm_on)."
		echo "## QEMU in QEMU: about a minute.  The nested guest's own lspci -vvv:"
		if nq_boot $V0 /tmp/demo-nested "$NQ_IOMMU,x-scalable-mode=on,x-pasid-mode=on"; then
			nq_view /tmp/demo-nested | sed 's/^/##   /'
			echo "## (lspci prints Max PASID Width in hex.)  Its intel-iommu enabled PASID"
			echo "## on the VF (PASIDCtl: Enable+), and"
			echo "## QEMU read Control $(nq_vmm_ctrl /tmp/demo-nested) from pasid-vfio-pci."
		else
			echo "!! the nested guest did not get that far: $(tail -n 2 /tmp/demo-nested/serial | tr '\n' ' ')"
		fi
	fi
	unbind $V0
	vfs $IGB 0
	rmmod pasid_fixture
	echo "=== end demo ==="
}

# ---------------------------------------------------------------- main
dmesg -n 1	# keep kernel messages off the console; dumped at the end
setup
if [ "$DEMO" = 1 ]; then
	demo
else
	want s && case_s
	if want a || want b || want c || want e || want f; then case_igb; fi
	want g && case_guard
	want e && case_collide
	if want d || want e; then case_nvme; fi
	# More cases, one file each: cases/<name>.sh defines case_<name>; one
	# that sets CASE_DEFAULT=no runs only when pvp.cases names it.
	for f in /cases/*.sh; do
		[ -f "$f" ] || continue
		n=$(basename "$f" .sh)
		CASE_DEFAULT=yes
		. "$f"
		if [ "$CASES" = all ]; then
			[ "$CASE_DEFAULT" = no ] || "case_$n"
		elif echo ",$CASES," | grep -q ",$n,"; then
			"case_$n"
		fi
	done
fi
echo "=== dmesg ==="
dmesg
echo "=== end dmesg ==="
echo "=== results ==="
cat $RES
echo "=== end results ==="
grep -q '^FAIL' $RES && exit 1
exit 0
