# SPDX-License-Identifier: GPL-2.0
#
# fuzz: differential fuzzing of the VFIO config region (sourced by guest.sh).
#
# Targets (pvp.fuzz_targets; by default igb-pri, in the default IOMMU mode
# only, for time: config space emulation does not depend on the IOMMU mode):
#   igb-pri  an igb VF whose PF has PASID at 0x1c0 and PRI at 0x1c8, the
#            module with shared_caps=pasid,pri: the VF shows both at the PF's
#            offsets, PASID linked from ARI's Next field, PRI from PASID's
#   igb      the same with PASID alone (shared_caps=pasid)
#   nvme     an nvme VF without extended capabilities: PASID at the head
#            (0x100), nothing linked; its PM capability lets the stream
#            change power states
# A seeded stream of random accesses (vfio-fuzz: sizes 1/2/4 and 0, 3, 5-8,
# 9-8192; offsets around the capabilities and the link, anywhere in 0-4095,
# beyond config space, huge and "negative" 40-bit region offsets; reads and
# writes of random values; a few VFIO_DEVICE_RESETs and close+reopens) runs
# once under vfio-pci (recorded) and once under pasid-vfio-pci, each from
# open + VFIO_DEVICE_RESET.  Every result must match: return value, errno
# and each byte read, except the emulated bytes (PASID, PRI, the rewritten
# Next field), which must match vfio-fuzz's own model of the README's
# semantics.  Then two checks of the checker: a prefix of the same stream
# under vfio-pci again must match the record (the rig is deterministic, so a
# mismatch means pasid-vfio-pci), and the pasid-vfio-pci run compared without
# the model must mismatch.
#
# All of that runs through the type1 container, and then again through the
# VF's VFIO cdev bound to iommufd (vfio-fuzz -i: every open and reopen of
# the stream binds the cdev to a /dev/iommu of its own and attaches an IOAS)
# where the kernel has them (CONFIG_IOMMUFD, CONFIG_VFIO_DEVICE_CDEV: tag
# 7.3-iommufd; checks fuzz/<target>/cdev/..., one SKIP line per target
# elsewhere).  The cdev run records vfio-pci through the cdev too, so that
# record and replay compare like with like (vfio-fuzz refuses a record made
# through the other backend), and runs the first half of the same stream
# (pvp.fuzz / 2 accesses, for time: about 3 s per run under TCG).
#
# Nothing is excluded from the stream: writes that reset the device
# (DevCtl Initiate FLR) are modelled (Control returns to 0), and the rest of
# what the stream writes (command, BARs, MSI-X, PM, AER, ...) is virtualized,
# dropped or passed on by vfio's core in both runs alike.  One thing is made
# equal by hand: QEMU's VFs keep what is written to their free config space
# across FLR and close (vfio passes those bytes through), so each replay
# first writes the recorded start values back (reported as "N bytes written
# back"; the start state is then checked byte by byte), and at the end the
# VF's config is restored to what the record found.
#
# Kernel command line (run.sh passes PVP_APPEND):
#   pvp.fuzz=N         accesses per run (default 100000; through the cdev
#                      N / 2)
#   pvp.fuzz_seed=S    the seed (default: random, printed; give it to replay)
#   pvp.fuzz_targets=T igb-pri, igb, nvme, several ("igb-pri,igb,nvme") or
#                      none, for every mode (default: igb-pri in the default
#                      IOMMU mode, none in scalable mode)
# Long mode: PVP_APPEND="pvp.fuzz=1000000 pvp.fuzz_targets=igb-pri,igb,nvme"
# PVP_BOOT_TIMEOUT=1800 tests/e2e/run.sh (about 2 x 65 s per target, and
# 2 x 33 s more through the cdev).

# fz_run <name> <count> [vfio-fuzz options]: <count> accesses of fz_target's
# VF ($_v, bound to vfio-pci; options $_f, $_off, $_rp, $_pf) recorded
# under vfio-pci, replayed under pasid-vfio-pci, the checks of the checker,
# then its config restored; the VF is left on vfio-pci.  The options
# (-i: the VFIO cdev) go to every vfio-fuzz run.
fz_run() {
	fz_n=$1 fz_c=$2
	shift 2
	fz_t0=$(date +%s)
	if [ "$(drv $_v)" = vfio-pci ]; then
		# shellcheck disable=SC2086
		vfz $fz_n/stock "$@" record $_v $_f --count $fz_c --out /tmp/fuzz.rec
	else
		fail $fz_n/stock "$_v not bound to vfio-pci"
	fi
	fz_t1=$(date +%s)
	if [ -s /tmp/fuzz.rec ] && pvp_bind $fz_n $_v; then
		eq $fz_n/offset "$(attr $_v offset)" $_off
		[ "$_pri" = - ] || eq $fz_n/pri-offset "$(attr $_v pri_offset)" $_pri
		# shellcheck disable=SC2086
		vfz $fz_n/pvp "$@" replay $_v $_f --count $fz_c --in /tmp/fuzz.rec \
			--pasid $_off $_rp --pf $_pf
		fz_t2=$(date +%s)
		# the checker is not vacuous: without the model it must object
		# shellcheck disable=SC2086
		if vfio-fuzz "$@" replay $_v $_f --count 2000 --in /tmp/fuzz.rec >/tmp/vfz-neg.out 2>&1; then
			fail $fz_n/negative "2000 accesses under $PVP compared without the model: no mismatch"
		else
			ok $fz_n/negative "$(grep -m1 '^FAIL' /tmp/vfz-neg.out)" \
				grep -q '^FAIL.*mismatches' /tmp/vfz-neg.out
		fi
		# the rig is deterministic: a tenth of the stream under vfio-pci
		# again matches the record
		fz_cn=$((fz_c / 20))
		[ $fz_cn -ge 2000 ] || fz_cn=$fz_c
		if bind $_v vfio-pci; then
			# shellcheck disable=SC2086
			vfz $fz_n/control "$@" replay $_v $_f --count $fz_cn --in /tmp/fuzz.rec
		else
			fail $fz_n/control "$_v not bound to vfio-pci"
		fi
		info "$fz_n: vfio-pci run $((fz_t1 - fz_t0)) s, $PVP run $((fz_t2 - fz_t1)) s, checks $(($(date +%s) - fz_t2)) s"
	fi
	# leave the VF's config as found: later cases read it
	if [ -s /tmp/fuzz.rec ] && bind $_v vfio-pci; then
		vfz $fz_n "$@" restore $_v --in /tmp/fuzz.rec
	fi
	rm -f /tmp/fuzz.rec
}

# fz_target <name> <pf> <PASID offset on the VF> <PRI offset or -> <fixture
# args...>: with a PRI offset, the module runs with shared_caps=pasid,pri
fz_target() {
	_t=$1 _pf=$2 _off=$3 _pri=$4
	shift 4
	fx_load bdf=$_pf "$@" enable=1 || return
	_mp=
	_rp=
	_fp=
	if [ "$_pri" != - ]; then
		_mp=shared_caps=pasid,pri
		_rp="--pri $_pri"
		_fp=",$_pri"
	fi
	pvp_load $_mp || fail fuzz/$_t/load "modprobe pasid-vfio-pci $_mp: $(cat /tmp/modprobe.err)"
	vfs $_pf 1
	_v=$(vf $_pf 0)
	_tail=
	if bind $_v vfio-pci; then
		_tail=$(ecaps $_v | sed -n 's/.* @\(0x[0-9a-f]*\) next=0x000.*/\1/p' | tail -n 1)
	fi
	info "fuzz/$_t: $_v, seed $FZ_SEED, $FZ_N accesses per run, PASID at $_off, PRI at $_pri, stock chain tail ${_tail:-none} ($*)"
	_f="--seed $FZ_SEED --focus $_off,${_tail:-$_off}$_fp"
	fz_run fuzz/$_t "$FZ_N"
	# again through the VF's cdev bound to iommufd, vfio-pci's record too
	[ "$(drv $_v)" = vfio-pci ] || bind $_v vfio-pci
	if have_cdev $_v; then
		fz_run fuzz/$_t/cdev $((FZ_N > 1 ? FZ_N / 2 : FZ_N)) -i
	else
		skip fuzz/$_t/cdev "no VFIO cdev with iommufd on $KV: $(why_no_cdev $_v)"
	fi
	unbind $_v
	vfs $_pf 0
	[ -z "$_mp" ] || pvp_load
	fx_unload
}

case_fuzz() {
	CASE=fuzz
	FZ_N=100000
	FZ_SEED=
	# igb-pri: igb VF with PASID and PRI (shared_caps=pasid,pri) at the
	# PF's offsets, PASID linked from ARI, PRI from PASID; igb: PASID alone,
	# linked from ARI; nvme: nvme VF without extended capabilities, PASID at
	# the head (0x100), nothing linked.  By default igb-pri, in the default
	# IOMMU mode only, to keep the whole run within its time.
	case $MODE in
	default) FZ_TARGETS=igb-pri ;;
	*) FZ_TARGETS=none ;;
	esac
	FZ_N=$(karg fuzz "$FZ_N")
	FZ_SEED=$(karg fuzz_seed "$FZ_SEED")
	FZ_TARGETS=$(karg fuzz_targets "$FZ_TARGETS" | tr , ' ')
	if [ "$FZ_TARGETS" = none ]; then
		skip fuzz/mode "no targets in $MODE mode (pvp.fuzz_targets=igb-pri,igb,nvme)"
		return
	fi
	[ -n "$FZ_SEED" ] || FZ_SEED=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
	FZ_SEED=$(printf '0x%x' "$FZ_SEED")
	for t in $FZ_TARGETS; do
		case $t in
		igb) fz_target igb $IGB 0x1c0 - offset=0x1c0 width=20 exec=1 priv=1 ;;
		igb-pri) fz_target igb-pri $IGB 0x1c0 0x1c8 offset=0x1c0 width=20 exec=1 priv=0 \
			pri=1 pri_capacity=0x80 pri_pasid=1 pri_enable=1 ;;
		nvme) fz_target nvme $NVME 0x100 - offset=0x200 vf_ecaps=0 width=8 exec=0 priv=1 ;;
		none) ;;
		*) fail fuzz/targets "unknown target '$t' (igb, igb-pri, nvme, none)" ;;
		esac
	done
}
