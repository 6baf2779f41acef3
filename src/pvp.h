/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pasid-vfio-pci: state shared between the driver glue (main.c) and the
 * config space interception (config.c).
 */
#ifndef PVP_H
#define PVP_H

#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/vfio_pci_core.h>

#include "compat.h"
#include "ecap.h"
#include "hold.h"

struct pvp_guard_pf;

struct pvp_device {
	struct vfio_pci_core_device core_device;

	/* Fixed from probe to remove */
	struct pci_dev *pf;		/* device whose PASID is mirrored */
	u16 pf_pasid;			/* PASID capability offset on @pf */
	u16 pf_cap;			/* its Capability register */
	u16 vf_cap;			/* what the device shows, fixed at open */
	u16 off;			/* where the emulated capability goes */
	enum pvp_placement how;
	int place_err;			/* why not injected, when how is NONE */

	/* PRI of a VF, with shared_caps=pasid,pri: fixed from probe to remove */
	u16 pf_pri;			/* PRI capability offset on @pf, or 0 */
	u16 pri_status;			/* its Status register */
	u32 pri_capacity;		/* its Outstanding Page Request Capacity */
	u16 pri_off;
	enum pvp_placement pri_how;

	/* Fixed while the device is open */
	bool active;			/* emulation is live */
	bool pri_active;		/* and includes PRI (as emu.cap[1]) */
	bool assigned;			/* we marked the VF assigned */
	bool expose_pending;		/* expose=auto not settled yet */
	bool user_reset;		/* a reset the user asked for runs */

	/* PF guard (guard.c), under its lock */
	struct pvp_guard_pf *guard;	/* fixed from bind to unbind */
	struct list_head guard_node;
	bool guard_open;

	/*
	 * Guards @emu and @warned_pf_off: taken by config accesses,
	 * reset_done and open/close.  Never held across a call into the core.
	 */
	spinlock_t lock;
	struct pvp_emu emu;
	bool warned_pf_off;
};

static inline struct pvp_device *pvp_from_core(struct vfio_pci_core_device *c)
{
	return container_of(c, struct pvp_device, core_device);
}

static inline struct pvp_device *pvp_from_vdev(struct vfio_device *v)
{
	return pvp_from_core(container_of(v, struct vfio_pci_core_device,
					  vdev));
}

/**
 * pvp_config_hit - does a config region access touch emulated bytes?
 * @pvdev: device
 * @pos: offset in the config region
 * @count: length
 *
 * On every config access, so inline.  Accesses the core rejects (outside
 * config space) are left to the core so they fail exactly as under
 * vfio-pci.
 */
static inline bool pvp_config_hit(struct pvp_device *pvdev, loff_t pos,
				  size_t count)
{
	unsigned int cfg_size = pvdev->core_device.pdev->cfg_size;

	pos &= VFIO_PCI_OFFSET_MASK;
	if (!pvdev->active || pos >= cfg_size || count > cfg_size - pos)
		return false;
	return pvp_emu_hit(&pvdev->emu, pos, count);
}

extern char *pvp_pasid_offset;
extern char *pvp_pri_offset;
extern unsigned int pvp_shared_caps;
extern bool pvp_require_pf_enabled;
extern enum pvp_expose pvp_expose;

int pvp_config_probe(struct pvp_device *pvdev);
void pvp_config_open(struct pvp_device *pvdev);
void pvp_config_close(struct pvp_device *pvdev);
void pvp_config_reset(struct pvp_device *pvdev);
ssize_t pvp_config_rw(struct pvp_device *pvdev, char __user *buf,
		      size_t count, loff_t *ppos, bool iswrite);
bool pvp_pf_pasid_enabled(struct pvp_device *pvdev);
u16 pvp_config_cap(struct pvp_device *pvdev);
#define PVP_HOST_NO_PASID	(-1)
#define PVP_HOST_UNKNOWN	(-2)
int pvp_host_pasid_width(struct pvp_device *pvdev);
bool pvp_pf_pri_enabled(struct pvp_device *pvdev);

int pvp_guard_init(void);
void pvp_guard_exit(void);
const char *pvp_guard_state(void);
int pvp_guard_bind(struct pvp_device *pvdev);
void pvp_guard_unbind(struct pvp_device *pvdev);
void pvp_guard_open(struct pvp_device *pvdev);
void pvp_guard_close(struct pvp_device *pvdev);
bool pvp_guard_vetoed(struct pvp_device *pvdev);

#endif /* PVP_H */
