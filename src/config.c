// SPDX-License-Identifier: GPL-2.0
/*
 * pasid-vfio-pci: placement of the emulated PASID capability and
 * interception of the VFIO config region.
 *
 * vfio-pci passes every config byte outside its visible capabilities raw to
 * the device, so the injected capability and the rewritten Next field are
 * served here and never reach the core; every other byte goes to the core
 * unchanged.
 */
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/pci.h>
#include <linux/uaccess.h>
#include <linux/vfio_pci_core.h>

#include "pvp.h"

static int pvp_read_phys(void *ctx, u16 off, u32 *val)
{
	return pcibios_err_to_errno(pci_read_config_dword(ctx, off, val));
}

/* Config space as vfio presents it: its headers come from vconfig */
static int pvp_read_view(void *ctx, u16 off, u32 *val)
{
	struct vfio_pci_core_device *vdev = ctx;

	if (off + 4 > vdev->pdev->cfg_size)
		return -EINVAL;
	*val = le32_to_cpup((__le32 *)&vdev->vconfig[off]);
	return 0;
}

static int pvp_find_override(const char *spec, struct pci_dev *pdev,
			     u16 *off)
{
	return pvp_override_find(spec, pci_domain_nr(pdev->bus),
				 pdev->bus->number, pdev->devfn, off);
}

/*
 * Place PRI beside PASID in a VF whose PF has both, with shared_caps=pri;
 * the same rules as PASID, in the layout PASID already took its room from.
 */
static int pvp_config_probe_pri(struct pvp_device *pvdev,
				struct pvp_layout *layout)
{
	struct pci_dev *pdev = pvdev->core_device.pdev;
	struct pci_dev *pf = pvdev->pf;
	u16 override = 0;
	int ret;

	pvdev->pri_how = PVP_PLACE_NONE;
	if (!(pvp_shared_caps & PVP_SHARED_PRI))
		return 0;
	ret = pvp_find_override(pvp_pri_offset, pdev, &override);
	if (ret && ret != -ENOENT)
		return ret;
	pvdev->pf_pri = pci_find_ext_capability(pf, PCI_EXT_CAP_ID_PRI);
	if (!pvdev->pf_pri) {
		if (override) {
			pci_err(pdev, "pri_offset=%#x given, but %s has no PRI capability\n",
				override, pci_name(pf));
			return -EINVAL;
		}
		return 0;
	}
	ret = pci_read_config_word(pf, pvdev->pf_pri + PCI_PRI_STATUS,
				   &pvdev->pri_status);
	if (!ret)
		ret = pci_read_config_dword(pf, pvdev->pf_pri + PCI_PRI_MAX_REQ,
					    &pvdev->pri_capacity);
	if (ret)
		return pcibios_err_to_errno(ret);

	ret = pvp_layout_add(layout, pvdev->off, PCI_EXT_CAP_PASID_SIZEOF);
	if (!ret)
		ret = pvp_place(layout, PCI_EXT_CAP_PRI_SIZEOF, pvdev->pf_pri,
				override, &pvdev->pri_off, &pvdev->pri_how);
	if (ret && override) {
		pci_err(pdev, "pri_offset=%#x %s; refusing to bind\n", override,
			ret == -EBUSY ? "overlaps a capability of this device or its PASID" :
			"is outside extended config space or misaligned");
		return ret;
	}
	if (ret)
		pci_warn(pdev, "no free 16-byte range in extended config space; PRI capability not exposed\n");
	return 0;
}

/**
 * pvp_config_probe - decide whether and where the PASID capability goes
 * @pvdev: device being bound
 *
 * A PF with PASID shows its own capability where it is.  A VF mirrors its
 * PF's and gets a place by the rule of pvp_place().  A device with neither
 * is passed through as vfio-pci would.
 *
 * Return: 0, or a negative errno when the admin's override cannot be
 * honoured, so that the device is not bound with a configuration the admin
 * did not ask for.
 */
int pvp_config_probe(struct pvp_device *pvdev)
{
	struct pci_dev *pdev = pvdev->core_device.pdev;
	struct pci_dev *pf = pci_physfn(pdev);
	struct pvp_layout *layout;
	u16 override = 0;
	int ret;

	spin_lock_init(&pvdev->lock);
	pvdev->how = PVP_PLACE_NONE;

	ret = pvp_find_override(pvp_pasid_offset, pdev, &override);
	if (ret && ret != -ENOENT)
		return ret;

	pvdev->pf_pasid = pci_find_ext_capability(pf, PCI_EXT_CAP_ID_PASID);
	if (!pvdev->pf_pasid || pdev->cfg_size <= PCI_CFG_SPACE_SIZE) {
		pvdev->place_err = pvdev->pf_pasid ? -EOPNOTSUPP : -ENODEV;
		if (override) {
			pci_err(pdev, "pasid_offset=%#x given, but %s\n",
				override, pvdev->pf_pasid ?
				"the device has no extended config space" :
				"no PASID capability to expose");
			return -EINVAL;
		}
		return 0;
	}
	ret = pci_read_config_word(pf, pvdev->pf_pasid + PCI_PASID_CAP,
				   &pvdev->pf_cap);
	if (ret)
		return pcibios_err_to_errno(ret);
	ret = pvp_pasid_cap_check(pvdev->pf_cap);
	if (ret) {
		pci_warn(pdev, "PASID Capability register of %s reads %#06x (%s); PASID not exposed\n",
			 pci_name(pf), pvdev->pf_cap, ret == -EIO ?
			 "all ones: the PF is gone or powered off" :
			 "Max PASID Width above 20");
		pvdev->place_err = ret;
		if (override)
			return -EINVAL;
		return 0;
	}
	pvdev->pf = pf;

	if (pf == pdev) {
		if (override && override != pvdev->pf_pasid) {
			pci_err(pdev, "pasid_offset=%#x given, but the device's own PASID capability is at %#x\n",
				override, pvdev->pf_pasid);
			return -EINVAL;
		}
		pvdev->off = pvdev->pf_pasid;
		pvdev->how = PVP_PLACE_OWN;
		return 0;
	}

	layout = kzalloc(sizeof(*layout), GFP_KERNEL);
	if (!layout)
		return -ENOMEM;
	ret = pvp_layout_scan(layout, pvp_read_phys, pdev);
	if (ret) {
		pci_warn(pdev, "cannot walk extended capabilities (%d); PASID not exposed\n",
			 ret);
		pvdev->place_err = ret;
		goto out_free_layout;
	}
	ret = pvp_place(layout, PCI_EXT_CAP_PASID_SIZEOF, pvdev->pf_pasid,
			override, &pvdev->off, &pvdev->how);
	if (ret && override) {
		pci_err(pdev, "pasid_offset=%#x %s; refusing to bind\n",
			override, ret == -EBUSY ?
			"overlaps a capability of this device" :
			"is outside extended config space or misaligned (this device has no extended capability: only 0x100 works)");
		goto out_free_layout;
	}
	if (ret) {
		pci_warn(pdev, "no free 8-byte range in extended config space; PASID capability not exposed\n");
		pvdev->place_err = ret;
		ret = 0;
		goto out_free_layout;
	}
	ret = pvp_config_probe_pri(pvdev, layout);

out_free_layout:
	kfree(layout);
	return ret;
}

/* The PF's PASID Control register, from hardware; 0 when unreadable */
static u16 pvp_pf_pasid_ctrl(struct pvp_device *pvdev)
{
	u16 ctrl;

	if (pci_read_config_word(pvdev->pf, pvdev->pf_pasid + PCI_PASID_CTRL,
				 &ctrl) || ctrl == 0xffff)
		return 0;
	return ctrl;
}

/**
 * pvp_host_pasid_width - PASIDs the host IOMMU lets the device use
 * @pvdev: device
 *
 * Return: log2 of dev->iommu->max_pasids (what iommufd's
 * IOMMU_GET_HW_INFO reports), PVP_HOST_NO_PASID when the IOMMU gives it no
 * PASID, PVP_HOST_UNKNOWN when the kernel does not say (before 6.3).
 */
int pvp_host_pasid_width(struct pvp_device *pvdev)
{
#ifdef PVP_HAVE_DEV_IOMMU_MAX_PASIDS
	struct device *dev = &pvdev->core_device.pdev->dev;

	if (!dev->iommu || !dev->iommu->max_pasids)
		return PVP_HOST_NO_PASID;
	return ilog2(dev->iommu->max_pasids);
#else
	return PVP_HOST_UNKNOWN;
#endif
}

/**
 * pvp_config_cap - the Capability register the device shows
 * @pvdev: device with a PASID capability (how is not NONE)
 *
 * Fixed while the device is open; otherwise what an open would show now.
 */
u16 pvp_config_cap(struct pvp_device *pvdev)
{
	if (READ_ONCE(pvdev->active))
		return pvdev->vf_cap;
	if (pvdev->how == PVP_PLACE_OWN)
		return pvdev->pf_cap & (PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV |
					PVP_PASID_CAP_WIDTH);
	return pvp_pasid_vf_cap(pvdev->pf_cap, pvp_pf_pasid_ctrl(pvdev),
				pvp_host_pasid_width(pvdev));
}

/*
 * The PF's PASID works for its VFs: enabled, or recorded as disabled by the
 * PCI core while the guard keeps it enabled in hardware.  In the second
 * case only the hardware knows: a PF reset (FLR, bus reset, error
 * recovery, D3hot) clears Enable and the PCI core, which believes it off,
 * does not restore it.
 */
bool pvp_pf_pasid_enabled(struct pvp_device *pvdev)
{
	if (!pvdev->pf)
		return false;
	if (pvdev->pf->pasid_enabled)
		return true;
	return pvp_guard_vetoed(pvdev) &&
	       (pvp_pf_pasid_ctrl(pvdev) & PCI_PASID_CTRL_ENABLE);
}

/* PRI has no guard (see README): the PCI core's state is the truth */
bool pvp_pf_pri_enabled(struct pvp_device *pvdev)
{
	return pvdev->pf && pvdev->pf->pri_enabled;
}

/* Make the Enable bits follow the PF; called with the lock held */
static void pvp_config_sync_pf(struct pvp_device *pvdev)
{
	struct pvp_ecap *c = &pvdev->emu.cap[0];
	bool on = pvp_pf_pasid_enabled(pvdev);

	lockdep_assert_held(&pvdev->lock);
	if (!on && (c->val[PCI_PASID_CTRL] & PCI_PASID_CTRL_ENABLE) &&
	    !pvdev->warned_pf_off) {
		pvdev->warned_pf_off = true;
		pci_warn(pvdev->core_device.pdev,
			 "PASID of %s was disabled under the open device; PASID Enable now reads 0\n",
			 pci_name(pvdev->pf));
	}
	pvp_ecap_set_pf_enabled(c, on);
	if (pvdev->pri_active)
		pvp_ecap_set_pf_enabled(&pvdev->emu.cap[1],
					pvp_pf_pri_enabled(pvdev));
}

/*
 * How userspace reached the device.  vfio binds an iommufd user before
 * .open_device, but marks a cdev open only after it: a device bound to
 * iommufd is settled as cdev or compat at its first config access.
 */
static enum pvp_backend pvp_backend_at_open(struct pvp_device *pvdev)
{
#if IS_ENABLED(CONFIG_IOMMUFD)
	if (pvdev->core_device.vdev.iommufd_device)
		return PVP_BACKEND_COMPAT;
#endif
	return PVP_BACKEND_CONTAINER;
}

/* Whether a VFIO device cdev opened the device; false before 6.6 */
static bool pvp_cdev_opened(struct pvp_device *pvdev)
{
#ifdef PVP_HAVE_VFIO_DEVICE_CDEV_OPENED
	return vfio_device_cdev_opened(&pvdev->core_device.vdev);
#else
	return false;
#endif
}

#ifdef PVP_HAVE_OPS_PASID_IOAS
#define PVP_PASID_ATTACH	IS_ENABLED(CONFIG_VFIO_DEVICE_CDEV)
#else
#define PVP_PASID_ATTACH	false
#endif

/* Whether a cdev user could attach PASIDs of this device */
static bool pvp_pasid_attach(struct pvp_device *pvdev)
{
	return PVP_PASID_ATTACH &&
	       pvp_host_pasid_width(pvdev) != PVP_HOST_NO_PASID;
}

static void pvp_config_refuse(struct pvp_device *pvdev,
			      enum pvp_backend backend)
{
	struct pci_dev *pdev = pvdev->core_device.pdev;

	if (backend != PVP_BACKEND_CDEV)
		pci_info(pdev, "PASID capability not exposed: opened through %s, which cannot attach PASIDs%s (expose=auto; expose=always shows it anyway)\n",
			 pvp_backend_name(backend), PVP_PASID_ATTACH ? "" :
			 ", and this kernel has no VFIO PASID attach");
	else
		pci_info(pdev, "PASID capability not exposed: %s (expose=auto; expose=always shows it anyway)\n",
			 PVP_PASID_ATTACH ?
			 "the host IOMMU gives the device no PASID" :
			 "this kernel has no VFIO PASID attach");
}

/**
 * pvp_config_settle - settle expose=auto for a device bound to iommufd
 * @pvdev: device, active with expose_pending set
 *
 * Called on the config access path before any emulated byte is served.
 *
 * Return: whether the emulation stays active.
 */
static bool pvp_config_settle(struct pvp_device *pvdev)
{
	enum pvp_backend backend = pvp_cdev_opened(pvdev) ? PVP_BACKEND_CDEV :
				   PVP_BACKEND_COMPAT;
	bool refuse = false;

	spin_lock(&pvdev->lock);
	if (pvdev->expose_pending) {
		pvdev->expose_pending = false;
		if (!pvp_expose_allows(pvp_expose, backend,
				       pvp_pasid_attach(pvdev))) {
			WRITE_ONCE(pvdev->active, false);
			pvdev->pri_active = false;
			refuse = true;
		}
	}
	spin_unlock(&pvdev->lock);
	if (refuse)
		pvp_config_refuse(pvdev, backend);
	return READ_ONCE(pvdev->active);
}

/* Read hdr0 and the tail of the chain vfio shows, as pvp_emu_link() wants */
static int pvp_config_chain(struct pvp_device *pvdev, u32 *hdr0, u16 *tail,
			    u32 *tail_hdr)
{
	struct vfio_pci_core_device *vdev = &pvdev->core_device;
	int ret;

	/*
	 * A device without extended capabilities: vfio never writes its
	 * vconfig beyond 0x100 (vfio_ecap_init() returns at once), so that
	 * memory is not read; the chain is empty.
	 */
	if (pvdev->how == PVP_PLACE_HEAD) {
		*hdr0 = 0;
		*tail = PVP_ECAP_BASE;
		*tail_hdr = 0;
		return 0;
	}
	ret = pvp_read_view(vdev, PVP_ECAP_BASE, hdr0);
	if (!ret)
		ret = pvp_chain_tail(pvp_read_view, vdev, tail, tail_hdr);
	return ret;
}

/*
 * Show the PF's End-End TLP Prefix support on a VF whose DEVCAP2 lacks it
 * (pvp_devcap2_eetlp()), so that a guest kernel will enable PASID on it.
 */
static void pvp_config_eetlp(struct pvp_device *pvdev)
{
	struct pci_dev *pdev = pvdev->core_device.pdev;
	int pos = pci_pcie_cap(pdev), pf_pos = pci_pcie_cap(pvdev->pf);
	u32 vf2, pf2, bits;

	if (!pos || !pf_pos ||
	    pci_read_config_dword(pdev, pos + PCI_EXP_DEVCAP2, &vf2) ||
	    pci_read_config_dword(pvdev->pf, pf_pos + PCI_EXP_DEVCAP2, &pf2))
		return;
	bits = pvp_devcap2_eetlp(vf2, pf2, pvp_eetlp_path(pvdev->pf));
	pvp_emu_set_patch(&pvdev->emu, pos + PCI_EXP_DEVCAP2, bits);
	if (bits)
		pci_info(pdev, "DEVCAP2 shows %s's End-End TLP Prefix support (%#x), which the VF lacks\n",
			 pci_name(pvdev->pf), bits);
}

/**
 * pvp_config_open - build the emulated state once vfio's vconfig exists
 * @pvdev: device being opened, after vfio_pci_core_enable()
 */
void pvp_config_open(struct pvp_device *pvdev)
{
	struct vfio_pci_core_device *vdev = &pvdev->core_device;
	struct pci_dev *pdev = vdev->pdev;
	struct pvp_emu *emu = &pvdev->emu;
	enum pvp_backend backend;
	u32 hdr0, tail_hdr;
	u16 tail, cap;
	int ret;

	pvdev->active = false;
	pvdev->pri_active = false;
	pvdev->expose_pending = false;
	if (pvdev->how == PVP_PLACE_NONE)
		return;
	backend = pvp_backend_at_open(pvdev);
	if (backend == PVP_BACKEND_CONTAINER &&
	    !pvp_expose_allows(pvp_expose, backend, PVP_PASID_ATTACH)) {
		pvp_config_refuse(pvdev, backend);
		return;
	}
	if (pvp_require_pf_enabled && !pvp_pf_pasid_enabled(pvdev)) {
		pci_info(pdev, "PASID of %s is not enabled by the host; capability not exposed (require_pf_enabled=1)\n",
			 pci_name(pvdev->pf));
		return;
	}

	/* A VF may use the Exec/Priv modes its PF has enabled, no others */
	cap = pvp_config_cap(pvdev);
	pvdev->vf_cap = cap;

	memset(emu, 0, sizeof(*emu));
	pvp_pasid_init(&emu->cap[0], pvdev->off, cap);
	emu->nr = 1;
	if (pvdev->pri_how != PVP_PLACE_NONE &&
	    (!pvp_require_pf_enabled || pvp_pf_pri_enabled(pvdev))) {
		pvp_pri_init(&emu->cap[1], pvdev->pri_off, pvdev->pri_status,
			     pvdev->pri_capacity);
		emu->nr = 2;
		pvdev->pri_active = true;
	}
	ret = pvp_config_chain(pvdev, &hdr0, &tail, &tail_hdr);
	if (!ret)
		ret = pvp_emu_link(emu, hdr0, tail, tail_hdr);
	if (!ret && pvdev->how != PVP_PLACE_OWN)
		pvp_config_eetlp(pvdev);
	if (ret) {
		pci_warn(pdev, "cannot splice PASID capability into the chain (%d); not exposed\n",
			 ret);
		pvdev->pri_active = false;
		return;
	}

	spin_lock(&pvdev->lock);
	pvdev->warned_pf_off = false;
	pvp_config_sync_pf(pvdev);
	pvdev->expose_pending = backend == PVP_BACKEND_COMPAT &&
				pvp_expose != PVP_EXPOSE_ALWAYS;
	spin_unlock(&pvdev->lock);
	pvdev->active = true;

	pci_info(pdev, "PASID capability at %#x (%s), mirrors %s: cap %#06x, PF PASID %s\n",
		 pvdev->off, pvp_placement_name(pvdev->how),
		 pci_name(pvdev->pf), cap,
		 pvp_pf_pasid_enabled(pvdev) ? "enabled" : "disabled");
	if (pvdev->pri_active)
		pci_info(pdev, "PRI capability at %#x (%s), mirrors %s: capacity %u, PF PRI %s\n",
			 pvdev->pri_off, pvp_placement_name(pvdev->pri_how),
			 pci_name(pvdev->pf), pvdev->pri_capacity,
			 pvp_pf_pri_enabled(pvdev) ? "enabled" : "disabled");
}

void pvp_config_reset(struct pvp_device *pvdev)
{
	spin_lock(&pvdev->lock);
	pvp_emu_reset(&pvdev->emu);
	spin_unlock(&pvdev->lock);
}

void pvp_config_close(struct pvp_device *pvdev)
{
	pvp_config_reset(pvdev);
	pvdev->active = false;
	pvdev->pri_active = false;
}

/*
 * Serve one run of emulated bytes.  The model is only touched under the
 * lock, and user memory only outside it.
 */
static int pvp_config_emu_rw(struct pvp_device *pvdev, char __user *buf,
			     unsigned int pos, unsigned int count,
			     bool iswrite)
{
	u8 tmp[PVP_MAX_ECAPS * PVP_CAP_MAX_LEN + 2];

	if (WARN_ON_ONCE(count > sizeof(tmp)))
		return -EINVAL;

	if (iswrite) {
		if (copy_from_user(tmp, buf, count))
			return -EFAULT;
		spin_lock(&pvdev->lock);
		pvp_config_sync_pf(pvdev);
		pvp_emu_write(&pvdev->emu, pos, tmp, count);
		spin_unlock(&pvdev->lock);
		return 0;
	}

	spin_lock(&pvdev->lock);
	pvp_config_sync_pf(pvdev);
	pvp_emu_read(&pvdev->emu, pos, tmp, count);
	spin_unlock(&pvdev->lock);
	return copy_to_user(buf, tmp, count) ? -EFAULT : 0;
}

/* Add the patched bits (pvp_emu_set_patch()) to bytes the core read */
static int pvp_config_patch(struct pvp_device *pvdev, char __user *buf,
			    unsigned int pos, unsigned int count)
{
	const struct pvp_emu *e = &pvdev->emu;
	unsigned int lo, hi;
	u8 tmp[4];

	if (!e->patch || !pvp_overlaps(pos, count, e->patch, 4))
		return 0;
	lo = max_t(unsigned int, pos, e->patch);
	hi = min(pos + count, e->patch + 4u);
	if (copy_from_user(tmp, buf + (lo - pos), hi - lo))
		return -EFAULT;
	pvp_emu_patch_read(e, lo, tmp, hi - lo);
	return copy_to_user(buf + (lo - pos), tmp, hi - lo) ? -EFAULT : 0;
}

/**
 * pvp_config_rw - a config region access that touches emulated bytes
 * @pvdev: device
 * @buf: user buffer
 * @count: length, inside config space (pvp_config_hit())
 * @ppos: region offset
 * @iswrite: direction
 *
 * The access is cut into runs of emulated and non-emulated bytes, served in
 * order; the non-emulated runs go to the core as separate accesses, which
 * it chops into aligned chunks as it does any access.
 *
 * Return: @count or the first error, as the core returns.
 */
ssize_t pvp_config_rw(struct pvp_device *pvdev, char __user *buf,
		      size_t count, loff_t *ppos, bool iswrite)
{
	struct vfio_device *core_vdev = &pvdev->core_device.vdev;
	unsigned int pos = *ppos & VFIO_PCI_OFFSET_MASK;
	size_t done = 0;

	if (unlikely(READ_ONCE(pvdev->expose_pending)) &&
	    !pvp_config_settle(pvdev))
		return iswrite ? vfio_pci_core_write(core_vdev, buf, count, ppos) :
				 vfio_pci_core_read(core_vdev, buf, count, ppos);

	while (done < count) {
		loff_t p = *ppos + done;
		bool emulated;
		unsigned int n;
		ssize_t ret;

		n = pvp_emu_run(&pvdev->emu, pos + done, count - done,
				&emulated);
		if (emulated) {
			ret = pvp_config_emu_rw(pvdev, buf + done, pos + done,
						n, iswrite);
			if (ret)
				return ret;
		} else {
			ret = iswrite ?
			      vfio_pci_core_write(core_vdev, buf + done, n, &p) :
			      vfio_pci_core_read(core_vdev, buf + done, n, &p);
			if (ret < 0)
				return ret;
			if (!iswrite && ret > 0) {
				int err = pvp_config_patch(pvdev, buf + done,
							   pos + done, ret);

				if (err)
					return err;
			}
			if (ret != n)
				return done + ret;
		}
		done += n;
	}
	*ppos += done;
	return done;
}
