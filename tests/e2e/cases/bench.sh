# SPDX-License-Identifier: GPL-2.0
#
# bench: what pasid-vfio-pci costs next to stock vfio-pci (issue 6).
# Sourced by guest.sh; runs only when named (PVP_CASES=bench), normally
# through tests/bench/run.sh, which turns the BENCH lines into tables and
# judges them against the targets.  Here nothing is judged: a check FAILs
# only when a measurement could not be made (bind, open, access errors).
#
# Setup: PASID grafted onto the igb PF (fixture, 0x1c0, enabled), every VF
# the rig's PFs offer (igb 7, nvme sriov_max_vfs = 2 in run.sh), the module
# loaded with its defaults (guard=bound, require_pf_enabled=Y).  Each
# measurement alternates vfio-pci and pasid-vfio-pci on the same VF(s):
#   access     config region latency, igb VF 0 (vfio-bench access)
#   lifecycle  bind + open + close + unbind, 1..all VFs of each PF
#   mem        kernel memory kept per bound VF (ftrace kmem events)
#   modules    sizes from /proc/modules
# Iterations can be changed from the kernel command line:
# pvp.bench.rounds= .batches= .ops= .life= .bind= .mem= (defaults below).
# shellcheck disable=SC2034 # read by guest.sh, which sources this file
CASE_DEFAULT=no

# bench_run <check> <vfio-bench args...>: PASS, or FAIL with its ERROR line
bench_run() {
	_c=$1
	shift
	vfio-bench "$@" >/tmp/bench.out 2>&1
	_rc=$?
	cat /tmp/bench.out
	if [ $_rc = 0 ] && grep -q '^BENCH ' /tmp/bench.out; then
		pass "bench/$_c"
	else
		fail "bench/$_c" "vfio-bench $1 exit $_rc: $(grep -m1 -E '^ERROR|usage' /tmp/bench.out || tail -n 1 /tmp/bench.out)"
	fi
}

case_bench() {
	# shellcheck disable=SC2034 # guest.sh's helpers name failures by it
	CASE=bench
	_rounds=$(karg bench.rounds 16)
	_batches=$(karg bench.batches 40)
	_ops=$(karg bench.ops 50)
	_life=$(karg bench.life 3)
	_bind=$(karg bench.bind 20)
	_mem=$(karg bench.mem 3)
	if ! have_pvp; then
		fail bench/module "pasid-vfio-pci is not loaded"
		return
	fi
	echo "BENCH info kernel=$KV clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource) cpus=$(grep -c '^processor' /proc/cpuinfo) cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1 | tr ' ' _) mem_kb=$(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo)"
	[ -e /sys/kernel/tracing/trace ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null

	fx_load bdf="$IGB" offset=0x1c0 width=20 exec=1 priv=0 enable=1 || return
	_ni=$(cat "$(dev "$IGB")/sriov_totalvfs")
	_nn=$(cat "$(dev "$NVME")/sriov_totalvfs")
	vfs "$IGB" "$_ni"
	vfs "$NVME" "$_nn"
	_iv=$(vflist "$IGB")
	_nv=$(vflist "$NVME")
	_v0=$(vf "$IGB" 0)
	echo "BENCH info igb_pf=$IGB igb_vfs=$(echo "$_iv" | wc -w) nvme_pf=$NVME nvme_vfs=$(echo "$_nv" | wc -w)"
	eq bench/igb-vfs "$(echo "$_iv" | wc -w)" "$_ni"

	_t=$(date +%s)
	bench_run access access -r "$_rounds" -m "$_batches" -k "$_ops" -p 0x1c0 \
		"$_v0" vfio-pci "$PVP"
	# 1, 2, 4 and all VFs of the igb PF; 1 and all of the nvme PF
	_l=1
	for _n in 2 4; do [ "$_n" -lt "$_ni" ] && _l=$_l,$_n; done
	[ "$_ni" -gt 1 ] && _l=$_l,$_ni
	# shellcheck disable=SC2086 # lists of BDFs
	bench_run lifecycle-igb lifecycle -s igb -b "$_bind" "$_life" "$_l" vfio-pci $PVP $_iv
	_l=1
	[ "$_nn" -gt 1 ] && _l=$_l,$_nn
	# shellcheck disable=SC2086
	bench_run lifecycle-nvme lifecycle -s nvme -b "$_bind" "$_life" "$_l" vfio-pci $PVP $_nv
	# shellcheck disable=SC2086
	bench_run mem-igb mem -s igb "$_mem" "1,$_ni" vfio-pci $PVP $_iv
	# shellcheck disable=SC2086
	bench_run mem-nvme mem -s nvme "$_mem" "1,$_nn" vfio-pci $PVP $_nv
	for m in pasid_vfio_pci vfio_pci vfio_pci_core; do
		sed -n "s/^$m \([0-9]*\) .*/BENCH module name=$m size=\1/p" /proc/modules
	done
	echo "BENCH done secs=$(($(date +%s) - _t))"

	for _v in $_iv $_nv; do unbind "$_v"; done
	vfs "$IGB" 0
	vfs "$NVME" 0
	fx_unload
}
