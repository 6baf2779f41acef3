# SPDX-License-Identifier: GPL-2.0
#
# isolation: one VF's emulated capability is its own (sourced by guest.sh).
#
# igb PF with PASID at 0x1c0 (Exec supported, Priv not: Control mask 0x3),
# 4 VFs on pasid-vfio-pci, all open at once in one vfio-fuzz process.
# Random writes (1/2/4/8 bytes, any alignment inside the capability, all
# ones or random values; one in eight to the rewritten Next field of ARI)
# go to one VF at a time; after each, every VF's Control must read what its
# own writes made of it (so no write leaks to another VF), the PF's real
# PASID Control (sysfs) must not change, and the config space of every PCI
# device (sysfs, the VFs' own included) must be unchanged, bytes seen to
# change by themselves excepted (reported).  Then VFIO_DEVICE_RESET and
# close+reopen of one VF must clear only its own Control.
#
# All of it runs through the type1 container, then again on the same VFs
# with every open (the reopen included) through the VF's VFIO cdev, each
# bound to a /dev/iommu of its own (vfio-fuzz -i), where the kernel has
# them (tag 7.3-iommufd; checks isolation/cdev/..., one SKIP line
# elsewhere): a few seconds more.
#
# Runs in the default IOMMU mode only (the emulation does not depend on it;
# SKIP in the others).  Kernel command line: pvp.isolate_rounds=R (default
# 400), pvp.isolate_modes=default,scalable.

# is_run <name> [vfio-fuzz options]: isolate on the VFs in $is_all (the
# options, -i: through the VFIO cdev, go to vfio-fuzz)
is_run() {
	is_n=$1
	shift
	is_t0=$(date +%s)
	is_pf0=$(sysrd $IGB 0x1c6 2)
	# shellcheck disable=SC2086 # a list of devices
	vfz $is_n "$@" isolate --pasid $OFF --pf $IGB --rounds $IS_ROUNDS \
		--seed "$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')" $is_all
	eq $is_n/pf-real-control-after "$(sysrd $IGB 0x1c6 2)" "$is_pf0"
	info "$is_n: $(($(date +%s) - is_t0)) s"
}

case_isolation() {
	CASE=isolation
	in_modes isolation isolate_modes default || return
	IS_ROUNDS=$(karg isolate_rounds 400)
	OFF=0x1c0
	have_pvp || pvp_load
	fx_load bdf=$IGB offset=$OFF width=20 exec=1 priv=0 enable=1 || return
	pvp_vfs isolation $IGB 4
	is_all=$VFS_ALL
	is_run isolation
	# the same through the VFs' cdevs bound to iommufd, where they exist
	V0=$(vf $IGB 0)
	if have_cdev $V0; then
		is_run isolation/cdev -i
	else
		skip isolation/cdev "no VFIO cdev with iommufd on $KV: $(why_no_cdev $V0)"
	fi
	for v in $is_all; do unbind $v; done
	vfs $IGB 0
	fx_unload
}
