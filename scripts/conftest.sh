#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Feature probes for pasid-vfio-pci, in the style of openzfs's kernel-*.m4
# and NVIDIA's conftest.sh: one tiny kbuild object per kernel API, compiled
# against the target kernel; the ones that compile define PVP_HAVE_* in one
# generated header.  Probes are independent of each other.
#
# usage: conftest.sh <kernel build dir> <output header>
set -euo pipefail

kdir=$1
out=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/pvp-conftest.XXXXXX")
trap 'rm -rf "$work"' EXIT

declare -A desc

# probe NAME "DESCRIPTION" <<< C body (after the common includes)
probe() {
	desc[$1]=$2
	{
		echo '#include <linux/module.h>'
		echo '#include <linux/pci.h>'
		echo '#include <linux/vfio.h>'
		echo '#include <linux/vfio_pci_core.h>'
		cat
	} > "$work/$1.c"
}

probe vfio_alloc_device \
"v6.1, cb9ff3f3b84c (vfio: Add helpers for unifying vfio_device life cycle):
 vfio_alloc_device() with vfio_device_ops .init/.release.  Required." <<'C'
struct pvp_probe { struct vfio_device vdev; };
static const struct vfio_device_ops ops = {
	.init = vfio_pci_core_init_dev,
	.release = vfio_pci_core_release_dev,
};
void *pvp_probe_fn(struct device *dev);
void *pvp_probe_fn(struct device *dev)
{
	return vfio_alloc_device(pvp_probe, vdev, dev, &ops);
}
C

probe ops_bind_iommufd \
"v6.2, a4d1f91db502 (vfio-iommufd: Support iommufd for physical VFIO devices):
 vfio_device_ops .bind_iommufd/.unbind_iommufd/.attach_ioas, with the
 vfio_iommufd_physical_* helpers (NULL when CONFIG_IOMMUFD is off)." <<'C'
const struct vfio_device_ops pvp_probe_ops = {
	.bind_iommufd = vfio_iommufd_physical_bind,
	.unbind_iommufd = vfio_iommufd_physical_unbind,
	.attach_ioas = vfio_iommufd_physical_attach_ioas,
};
C

probe ops_detach_ioas \
"v6.6, 9048c7341c4d (vfio-iommufd: Add detach_ioas support for physical VFIO devices):
 vfio_device_ops .detach_ioas." <<'C'
const struct vfio_device_ops pvp_probe_ops = {
	.detach_ioas = vfio_iommufd_physical_detach_ioas,
};
C

probe ops_pasid_ioas \
"v6.15, 70c6dc1b8bd3 (vfio: VFIO_DEVICE_[AT|DE]TACH_IOMMUFD_PT support pasid):
 vfio_device_ops .pasid_attach_ioas/.pasid_detach_ioas." <<'C'
const struct vfio_device_ops pvp_probe_ops = {
	.pasid_attach_ioas = vfio_iommufd_physical_pasid_attach_ioas,
	.pasid_detach_ioas = vfio_iommufd_physical_pasid_detach_ioas,
};
C

probe ops_match_token_uuid \
"v6.17, 86624ba3b522 (vfio/pci: Do vf_token checks for VFIO_DEVICE_BIND_IOMMUFD):
 vfio_device_ops .match_token_uuid = vfio_pci_core_match_token_uuid." <<'C'
const struct vfio_device_ops pvp_probe_ops = {
	.match_token_uuid = vfio_pci_core_match_token_uuid,
};
C

probe ops_get_region_info_caps \
"v6.19, (vfio: Add get_region_info_caps op): VFIO_DEVICE_GET_REGION_INFO
 moved out of .ioctl; vfio-pci sets .get_region_info_caps." <<'C'
const struct vfio_device_ops pvp_probe_ops = {
	.get_region_info_caps = vfio_pci_ioctl_get_region_info,
};
C

probe vfio_pci_device_ops \
"v6.19, 5d74781ebc86 (vfio/pci: Add dma-buf export support for MMIO regions):
 vfio_pci_core_device.pci_ops; VFIO_DEVICE_FEATURE_DMA_BUF exports a BAR
 only where .get_dmabuf_phys is set (vfio-pci sets the core's)." <<'C'
static const struct vfio_pci_device_ops pvp_probe_pci_ops = {
	.get_dmabuf_phys = vfio_pci_core_get_dmabuf_phys,
};
void pvp_probe_fn(struct vfio_pci_core_device *vdev);
void pvp_probe_fn(struct vfio_pci_core_device *vdev)
{
	vdev->pci_ops = &pvp_probe_pci_ops;
}
C

probe vfio_device_cdev_opened \
"v6.6, 5fcc26969a16 (vfio: Add VFIO_DEVICE_BIND_IOMMUFD):
 vfio_device_cdev_opened(), true once a VFIO device cdev bound to iommufd
 opened the device (set after .open_device returns)." <<'C'
bool pvp_probe_fn(struct vfio_device *vdev);
bool pvp_probe_fn(struct vfio_device *vdev)
{
	return vfio_device_cdev_opened(vdev);
}
C

probe pci_eetlp_prefix_max \
"v6.14 (PCI: Store # of supported End-End TLP Prefixes, Ilpo Jarvinen):
 pci_dev.eetlp_prefix_path, a flag, became eetlp_prefix_max, a count." <<'C'
unsigned int pvp_probe_fn(struct pci_dev *pdev);
unsigned int pvp_probe_fn(struct pci_dev *pdev)
{
	return pdev->eetlp_prefix_max;
}
C

probe dev_iommu_max_pasids \
"v6.3 (iommu: Add max_pasids field in struct dev_iommu, Lu Baolu):
 dev->iommu->max_pasids, the PASIDs the IOMMU driver lets a device use
 (what iommufd's IOMMU_GET_HW_INFO reports as out_max_pasid_log2)." <<'C'
#include <linux/iommu.h>
u32 pvp_probe_fn(struct device *dev);
u32 pvp_probe_fn(struct device *dev)
{
	return dev->iommu ? dev->iommu->max_pasids : 0;
}
C

probe ftrace_ipmodify \
"v5.11, d19ad0775dcd (ftrace: Have the callbacks receive a struct ftrace_regs
 instead of pt_regs) with ftrace_get_regs(), and DYNAMIC_FTRACE_WITH_REGS:
 an ftrace_ops that saves registers and modifies the IP (as livepatch does),
 which the PF guard needs to redirect pci_disable_pasid()." <<'C'
#include <linux/ftrace.h>
#include <linux/pci-ats.h>
static void notrace pvp_probe_cb(unsigned long ip, unsigned long pip,
				 struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);

	if (regs && regs_get_kernel_argument(regs, 0))
		instruction_pointer_set(regs, ip);
}
static struct ftrace_ops pvp_probe_ops = {
	.func = pvp_probe_cb,
	.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY |
		 FTRACE_OPS_FL_RECURSION,
};
int pvp_probe_fn(void);
int pvp_probe_fn(void)
{
	int ret = ftrace_set_filter_ip(&pvp_probe_ops,
				       (unsigned long)pci_disable_pasid, 0, 0);

	synchronize_rcu_tasks();
	return ret ?: register_ftrace_function(&pvp_probe_ops);
}
#ifndef CONFIG_DYNAMIC_FTRACE_WITH_REGS
#error "no DYNAMIC_FTRACE_WITH_REGS"
#endif
C

cat > "$work/Makefile" <<MK
obj-m := $(cd "$work" && ls ./*.c | sed 's|^\./||; s|\.c$|.o|' | tr '\n' ' ')
ccflags-y := -Werror
MK

# One kbuild run compiles every probe object; -k keeps going past failures.
objs=$(cd "$work" && ls ./*.c | sed 's|^\./||; s|\.c$|.o|')
# shellcheck disable=SC2086
make -k -s -C "$kdir" M="$work" W= C= $objs > "$work/probe.log" 2>&1 || true

{
	echo "/* SPDX-License-Identifier: GPL-2.0 */"
	echo "/* Generated by scripts/conftest.sh for $kdir: do not edit. */"
	echo "#ifndef PVP_CONFTEST_H"
	echo "#define PVP_CONFTEST_H"
	for name in $(printf '%s\n' "${!desc[@]}" | sort); do
		macro="PVP_HAVE_$(echo "$name" | tr '[:lower:]' '[:upper:]')"
		echo
		echo "/*"
		echo "${desc[$name]}" | sed 's/^/ * /'
		echo " */"
		if [ -f "$work/$name.o" ]; then
			echo "#define $macro 1"
		else
			echo "/* #undef $macro */"
		fi
	done
	echo
	echo "#endif /* PVP_CONFTEST_H */"
} > "$work/conftest.h"

if [ ! -f "$work/vfio_alloc_device.o" ]; then
	echo "pasid-vfio-pci: the kernel at $kdir lacks the vfio_alloc_device() lifecycle (Linux 6.1+ is required)." >&2
	echo "pasid-vfio-pci: probe log:" >&2
	sed 's/^/  /' "$work/probe.log" | head -40 >&2
	exit 1
fi

mkdir -p "$(dirname "$out")"
if ! cmp -s "$work/conftest.h" "$out"; then
	cp "$work/conftest.h" "$out"
fi
