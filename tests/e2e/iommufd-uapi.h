/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The iommufd and VFIO cdev uAPI the e2e tools use that the build host's
 * headers may lack (bookworm's linux-libc-dev is 6.1): stable ABI, copied
 * by value, each under the #ifndef of its ioctl.  Include after
 * <linux/vfio.h>.
 */
#ifndef PVP_E2E_IOMMUFD_UAPI_H
#define PVP_E2E_IOMMUFD_UAPI_H

#include <stdint.h>
#include <linux/ioctl.h>

#ifndef BIT
#define BIT(n) (1U << (n))
#endif

#ifndef VFIO_DEVICE_BIND_IOMMUFD
struct vfio_device_bind_iommufd {
	uint32_t argsz;
	uint32_t flags;
	int32_t iommufd;
	uint32_t out_devid;
};

#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)
#endif
#ifndef VFIO_DEVICE_ATTACH_IOMMUFD_PT
struct vfio_device_attach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
	uint32_t pt_id;
};

#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)
#endif
#ifndef IOMMU_IOAS_ALLOC
struct iommu_ioas_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t out_ioas_id;
};

#define IOMMU_IOAS_ALLOC _IO(';', 0x81)
#endif
#ifndef IOMMU_DESTROY
struct iommu_destroy {
	uint32_t size;
	uint32_t id;
};

#define IOMMU_DESTROY _IO(';', 0x80)
#endif
#ifndef IOMMU_IOAS_MAP
struct iommu_ioas_map {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	uint32_t __reserved;
	uint64_t user_va;
	uint64_t length;
	uint64_t iova;
};

#define IOMMU_IOAS_MAP_WRITEABLE BIT(1)
#define IOMMU_IOAS_MAP_READABLE BIT(2)
#define IOMMU_IOAS_MAP _IO(';', 0x85)
#endif
#ifndef IOMMU_HWPT_ALLOC
/* 6.11 layout (fault_id); the kernel takes any size from 6.6's on */
struct iommu_hwpt_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pt_id;
	uint32_t out_hwpt_id;
	uint32_t __reserved;
	uint32_t data_type;
	uint32_t data_len;
	uint64_t data_uptr;
	uint32_t fault_id;
	uint32_t __reserved2;
};

#define IOMMU_HWPT_ALLOC _IO(';', 0x89)
#endif
#ifndef IOMMU_HWPT_ALLOC_PASID
#define IOMMU_HWPT_ALLOC_PASID BIT(3)	/* 6.15 */
#endif

#endif /* PVP_E2E_IOMMUFD_UAPI_H */
