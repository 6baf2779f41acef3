/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pasid-vfio-pci: one shim per kernel API difference, keyed on the feature
 * probes of scripts/conftest.sh (see conftest.h for versions and commits).
 * Each PVP_OPS_* expands to the vfio_device_ops members vfio-pci sets on
 * that kernel, or to nothing.
 */
#ifndef PVP_COMPAT_H
#define PVP_COMPAT_H

#include "conftest.h"

#ifndef PVP_HAVE_VFIO_ALLOC_DEVICE
#error "pasid-vfio-pci needs the vfio_alloc_device() lifecycle of Linux 6.1+"
#endif

/* iommufd binding of a physical device (6.2), detach (6.6) */
#ifdef PVP_HAVE_OPS_BIND_IOMMUFD
#define PVP_OPS_BIND_IOMMUFD					\
	.bind_iommufd	= vfio_iommufd_physical_bind,		\
	.unbind_iommufd	= vfio_iommufd_physical_unbind,		\
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,
#else
#define PVP_OPS_BIND_IOMMUFD
#endif

#ifdef PVP_HAVE_OPS_DETACH_IOAS
#define PVP_OPS_DETACH_IOAS					\
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
#else
#define PVP_OPS_DETACH_IOAS
#endif

/* PASID attach through iommufd (6.15) */
#ifdef PVP_HAVE_OPS_PASID_IOAS
#define PVP_OPS_PASID_IOAS					\
	.pasid_attach_ioas = vfio_iommufd_physical_pasid_attach_ioas, \
	.pasid_detach_ioas = vfio_iommufd_physical_pasid_detach_ioas,
#else
#define PVP_OPS_PASID_IOAS
#endif

/* VF token check on iommufd bind (6.17) */
#ifdef PVP_HAVE_OPS_MATCH_TOKEN_UUID
#define PVP_OPS_MATCH_TOKEN_UUID				\
	.match_token_uuid = vfio_pci_core_match_token_uuid,
#else
#define PVP_OPS_MATCH_TOKEN_UUID
#endif

/* VFIO_DEVICE_GET_REGION_INFO through its own op (6.19) */
#ifdef PVP_HAVE_OPS_GET_REGION_INFO_CAPS
#define PVP_OPS_GET_REGION_INFO_CAPS				\
	.get_region_info_caps = vfio_pci_ioctl_get_region_info,
#else
#define PVP_OPS_GET_REGION_INFO_CAPS
#endif

/*
 * BARs exported as dma-buf (VFIO_DEVICE_FEATURE_DMA_BUF, 6.19): only for a
 * device whose pci_ops give .get_dmabuf_phys, as vfio-pci's do.  Without
 * it QEMU 11 falls back to mmap and P2P DMA to the VF's BARs stops working.
 */
#ifdef PVP_HAVE_VFIO_PCI_DEVICE_OPS
#define pvp_set_pci_ops(core, ops)	((core)->pci_ops = (ops))
#else
#define pvp_set_pci_ops(core, ops)	do { } while (0)
#endif

/* End-End TLP Prefixes supported on a function's path: a count from 6.14 */
#ifdef PVP_HAVE_PCI_EETLP_PREFIX_MAX
#define pvp_eetlp_path(pdev)	((pdev)->eetlp_prefix_max != 0)
#else
#define pvp_eetlp_path(pdev)	((pdev)->eetlp_prefix_path)
#endif

#endif /* PVP_COMPAT_H */
