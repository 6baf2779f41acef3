// SPDX-License-Identifier: GPL-2.0
/*
 * pasid-vfio-pci: a vfio-pci variant driver that shows a VF the PCIe PASID
 * capability of its PF, which vfio-pci hides.
 *
 * This file is the glue: the PCI driver, its vfio_device_ops (the core's,
 * with config region accesses routed through config.c), module parameters
 * and sysfs.  It binds only through driver_override.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sysfs.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "pvp.h"

#define PVP_DRIVER_NAME	"pasid-vfio-pci"

char *pvp_pasid_offset;
module_param_named(pasid_offset, pvp_pasid_offset, charp, 0444);
MODULE_PARM_DESC(pasid_offset,
		 "Per-device offset of the emulated PASID capability: [DDDD:]BB:DD.F=OFF[,...] (hex)");

char *pvp_pri_offset;
module_param_named(pri_offset, pvp_pri_offset, charp, 0444);
MODULE_PARM_DESC(pri_offset,
		 "Per-device offset of the emulated PRI capability, as pasid_offset");

static char *pvp_shared_caps_param = "pasid";
module_param_named(shared_caps, pvp_shared_caps_param, charp, 0444);
MODULE_PARM_DESC(shared_caps,
		 "Capabilities VFs share with their PF to emulate: pasid (default) or pasid,pri");
unsigned int pvp_shared_caps;

bool pvp_require_pf_enabled = true;
module_param_named(require_pf_enabled, pvp_require_pf_enabled, bool, 0644);
MODULE_PARM_DESC(require_pf_enabled,
		 "Expose PASID only while the PF's PASID is enabled by the host at open (default: Y)");

enum pvp_expose pvp_expose = PVP_EXPOSE_AUTO;

static int pvp_expose_set(const char *val, const struct kernel_param *kp)
{
	return pvp_expose_parse(val, &pvp_expose);
}

static int pvp_expose_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", pvp_expose_name(pvp_expose));
}

static const struct kernel_param_ops pvp_expose_ops = {
	.set = pvp_expose_set,
	.get = pvp_expose_get,
};
module_param_cb(expose, &pvp_expose_ops, NULL, 0644);
MODULE_PARM_DESC(expose,
		 "Show a VF's PASID capability: auto (default: only to a VFIO cdev user on a kernel with PASID attach) or always");

static int pvp_init_dev(struct vfio_device *core_vdev)
{
	return vfio_pci_core_init_dev(core_vdev);
}

static int pvp_open_device(struct vfio_device *core_vdev)
{
	struct pvp_device *pvdev = pvp_from_vdev(core_vdev);
	int ret;

	ret = vfio_pci_core_enable(&pvdev->core_device);
	if (ret)
		return ret;

	pvp_config_open(pvdev);
	/*
	 * A VF whose PASID is exposed is marked assigned, as KVM's and Xen's
	 * device assignment did: PF drivers honouring pci_vfs_assigned() then
	 * refuse to disable SR-IOV, which would take the PF's PASID state
	 * away under the guest.  Any other VF is left as vfio-pci leaves it:
	 * SR-IOV disable or PF removal goes through vfio's device request to
	 * the user.
	 */
	if (pvdev->active) {
		pvp_guard_open(pvdev);
		if (pvdev->core_device.pdev->is_virtfn) {
			pci_set_dev_assigned(pvdev->core_device.pdev);
			pvdev->assigned = true;
		}
	}
	vfio_pci_core_finish_enable(&pvdev->core_device);
	return 0;
}

static void pvp_close_device(struct vfio_device *core_vdev)
{
	struct pvp_device *pvdev = pvp_from_vdev(core_vdev);

	vfio_pci_core_close_device(core_vdev);
	pvp_config_close(pvdev);
	pvp_guard_close(pvdev);
	if (pvdev->assigned) {
		pci_clear_dev_assigned(pvdev->core_device.pdev);
		pvdev->assigned = false;
	}
}

static bool pvp_is_config(loff_t pos)
{
	return VFIO_PCI_OFFSET_TO_INDEX(pos) == VFIO_PCI_CONFIG_REGION_INDEX;
}

/*
 * Which resets clear the emulated registers: those the user asks for on
 * the function (VFIO_DEVICE_RESET, VFIO_DEVICE_PCI_HOT_RESET, an FLR
 * written to its Device Control register), as they clear a real
 * function's PASID Control.  A reset the host does on its own (sysfs
 * "reset", error recovery, a reset of another function that takes this one
 * along) is not the guest's doing: the PCI core restores the function's
 * config registers around it, vfio keeps its virtual ones, and the VF's
 * PASID state, which lives in the PF, is untouched; so is the guest's
 * emulated Control.  reset_done acts only while a user reset is marked.
 */
static void pvp_mark_user_reset(struct pvp_device *pvdev, bool on)
{
	WRITE_ONCE(pvdev->user_reset, on);
}

static const struct vfio_device_ops pvp_ops;

/* Mark every device of ours in @core_vdev's reset set (a hot reset) */
static void pvp_mark_user_reset_set(struct vfio_device *core_vdev, bool on)
{
	struct vfio_device_set *dev_set = core_vdev->dev_set;
	struct vfio_device *cur;

	mutex_lock(&dev_set->lock);
	list_for_each_entry(cur, &dev_set->device_list, dev_set_list)
		if (cur->ops == &pvp_ops)
			pvp_mark_user_reset(pvp_from_vdev(cur), on);
	mutex_unlock(&dev_set->lock);
}

static long pvp_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
		      unsigned long arg)
{
	struct pvp_device *pvdev = pvp_from_vdev(core_vdev);
	long ret;

	switch (cmd) {
	case VFIO_DEVICE_RESET:
		pvp_mark_user_reset(pvdev, true);
		ret = vfio_pci_core_ioctl(core_vdev, cmd, arg);
		pvp_mark_user_reset(pvdev, false);
		return ret;
	case VFIO_DEVICE_PCI_HOT_RESET:
		pvp_mark_user_reset_set(core_vdev, true);
		ret = vfio_pci_core_ioctl(core_vdev, cmd, arg);
		pvp_mark_user_reset_set(core_vdev, false);
		return ret;
	default:
		return vfio_pci_core_ioctl(core_vdev, cmd, arg);
	}
}

/* Does a config write reach Device Control (where an FLR is initiated)? */
static bool pvp_writes_devctl(struct pvp_device *pvdev, loff_t pos,
			      size_t count)
{
	struct pci_dev *pdev = pvdev->core_device.pdev;

	pos &= VFIO_PCI_OFFSET_MASK;
	return pdev->pcie_cap && pos < PCI_CFG_SPACE_EXP_SIZE &&
	       pvp_overlaps(pos, count, pdev->pcie_cap + PCI_EXP_DEVCTL, 2);
}

static ssize_t pvp_read(struct vfio_device *core_vdev, char __user *buf,
			size_t count, loff_t *ppos)
{
	struct pvp_device *pvdev = pvp_from_vdev(core_vdev);

	if (pvp_is_config(*ppos) && pvp_config_hit(pvdev, *ppos, count))
		return pvp_config_rw(pvdev, buf, count, ppos, false);
	return vfio_pci_core_read(core_vdev, buf, count, ppos);
}

static ssize_t pvp_write(struct vfio_device *core_vdev, const char __user *buf,
			 size_t count, loff_t *ppos)
{
	struct pvp_device *pvdev = pvp_from_vdev(core_vdev);
	bool devctl;
	ssize_t ret;

	if (!pvp_is_config(*ppos))
		return vfio_pci_core_write(core_vdev, buf, count, ppos);
	devctl = pvp_writes_devctl(pvdev, *ppos, count);
	if (devctl)
		pvp_mark_user_reset(pvdev, true);
	if (pvp_config_hit(pvdev, *ppos, count))
		ret = pvp_config_rw(pvdev, (char __user *)buf, count, ppos,
				    true);
	else
		ret = vfio_pci_core_write(core_vdev, buf, count, ppos);
	if (devctl)
		pvp_mark_user_reset(pvdev, false);
	return ret;
}

static const struct vfio_device_ops pvp_ops = {
	.name		= PVP_DRIVER_NAME,
	.init		= pvp_init_dev,
	.release	= vfio_pci_core_release_dev,
	.open_device	= pvp_open_device,
	.close_device	= pvp_close_device,
	.ioctl		= pvp_ioctl,
	.device_feature	= vfio_pci_core_ioctl_feature,
	.read		= pvp_read,
	.write		= pvp_write,
	.mmap		= vfio_pci_core_mmap,
	.request	= vfio_pci_core_request,
	.match		= vfio_pci_core_match,
	PVP_OPS_BIND_IOMMUFD
	PVP_OPS_DETACH_IOAS
	PVP_OPS_PASID_IOAS
	PVP_OPS_MATCH_TOKEN_UUID
	PVP_OPS_GET_REGION_INFO_CAPS
};

#ifdef PVP_HAVE_VFIO_PCI_DEVICE_OPS
/* As vfio-pci's: the VF's BARs can be exported as dma-buf (compat.h) */
static const struct vfio_pci_device_ops pvp_pci_ops = {
	.get_dmabuf_phys = vfio_pci_core_get_dmabuf_phys,
};
#endif

static int pvp_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct pvp_device *pvdev;
	int ret;

	pvdev = vfio_alloc_device(pvp_device, core_device.vdev, &pdev->dev,
				  &pvp_ops);
	if (IS_ERR(pvdev))
		return PTR_ERR(pvdev);

	ret = pvp_config_probe(pvdev);
	if (ret)
		goto out_put_vdev;

	if (pvdev->how != PVP_PLACE_NONE) {
		ret = pvp_guard_bind(pvdev);
		if (ret)
			goto out_put_vdev;
	}

	pvp_set_pci_ops(&pvdev->core_device, &pvp_pci_ops);
	dev_set_drvdata(&pdev->dev, &pvdev->core_device);
	ret = vfio_pci_core_register_device(&pvdev->core_device);
	if (ret)
		goto out_guard_unbind;
	return 0;

out_guard_unbind:
	pvp_guard_unbind(pvdev);
out_put_vdev:
	vfio_put_device(&pvdev->core_device.vdev);
	return ret;
}

static void pvp_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core_device = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(core_device);
	pvp_guard_unbind(pvp_from_core(core_device));
	vfio_put_device(&core_device->vdev);
}

/* A reset the user asked for returns the emulated registers to 0 */
static void pvp_reset_done(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core_device = dev_get_drvdata(&pdev->dev);
	struct pvp_device *pvdev;

	/* Not yet, or no longer, ours */
	if (!core_device)
		return;
	pvdev = pvp_from_core(core_device);
	if (READ_ONCE(pvdev->user_reset))
		pvp_config_reset(pvdev);
}

static const struct pci_error_handlers pvp_err_handlers = {
	.error_detected	= vfio_pci_core_aer_err_detected,
	.reset_done	= pvp_reset_done,
};

static struct pvp_device *pvp_from_dev(struct device *dev)
{
	return pvp_from_core(dev_get_drvdata(dev));
}

static ssize_t pvp_show_offset(char *buf, enum pvp_placement how, u16 off)
{
	if (how == PVP_PLACE_NONE)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%#x\n", off);
}

static ssize_t offset_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct pvp_device *pvdev = pvp_from_dev(dev);

	return pvp_show_offset(buf, pvdev->how, pvdev->off);
}
static DEVICE_ATTR_RO(offset);

static ssize_t placement_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  pvp_placement_name(pvp_from_dev(dev)->how));
}
static DEVICE_ATTR_RO(placement);

static ssize_t pf_show(struct device *dev, struct device_attribute *attr,
		       char *buf)
{
	struct pvp_device *pvdev = pvp_from_dev(dev);

	return sysfs_emit(buf, "%s\n",
			  pvdev->pf ? pci_name(pvdev->pf) : "none");
}
static DEVICE_ATTR_RO(pf);

static ssize_t cap_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	struct pvp_device *pvdev = pvp_from_dev(dev);

	if (pvdev->how == PVP_PLACE_NONE)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%#06x\n", pvp_config_cap(pvdev));
}
static DEVICE_ATTR_RO(cap);

static ssize_t host_width_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	int w = pvp_host_pasid_width(pvp_from_dev(dev));

	if (w == PVP_HOST_UNKNOWN)
		return sysfs_emit(buf, "unknown\n");
	if (w == PVP_HOST_NO_PASID)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%d\n", w);
}
static DEVICE_ATTR_RO(host_width);

static ssize_t pf_enabled_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", pvp_pf_pasid_enabled(pvp_from_dev(dev)));
}
static DEVICE_ATTR_RO(pf_enabled);

static ssize_t exposed_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(pvp_from_dev(dev)->active));
}
static DEVICE_ATTR_RO(exposed);

static ssize_t pri_offset_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct pvp_device *pvdev = pvp_from_dev(dev);

	return pvp_show_offset(buf, pvdev->pri_how, pvdev->pri_off);
}
static DEVICE_ATTR_RO(pri_offset);

static ssize_t pri_placement_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  pvp_placement_name(pvp_from_dev(dev)->pri_how));
}
static DEVICE_ATTR_RO(pri_placement);

static ssize_t pri_exposed_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  READ_ONCE(pvp_from_dev(dev)->pri_active));
}
static DEVICE_ATTR_RO(pri_exposed);

static struct attribute *pvp_attrs[] = {
	&dev_attr_offset.attr,
	&dev_attr_placement.attr,
	&dev_attr_pf.attr,
	&dev_attr_cap.attr,
	&dev_attr_host_width.attr,
	&dev_attr_pf_enabled.attr,
	&dev_attr_exposed.attr,
	&dev_attr_pri_offset.attr,
	&dev_attr_pri_placement.attr,
	&dev_attr_pri_exposed.attr,
	NULL,
};

/* PRI's files exist only where PRI can be emulated: each costs a kernfs node */
static umode_t pvp_attr_visible(struct kobject *kobj, struct attribute *attr,
				int n)
{
	if (!(pvp_shared_caps & PVP_SHARED_PRI) &&
	    (attr == &dev_attr_pri_offset.attr ||
	     attr == &dev_attr_pri_placement.attr ||
	     attr == &dev_attr_pri_exposed.attr))
		return 0;
	return attr->mode;
}

static const struct attribute_group pvp_attr_group = {
	.name		= "pasid_vfio",
	.attrs		= pvp_attrs,
	.is_visible	= pvp_attr_visible,
};

static const struct attribute_group *pvp_dev_groups[] = {
	&pvp_attr_group,
	NULL,
};

static ssize_t guard_show(struct device_driver *drv, char *buf)
{
	return sysfs_emit(buf, "%s\n", pvp_guard_state());
}
static DRIVER_ATTR_RO(guard);

static struct attribute *pvp_drv_attrs[] = {
	&driver_attr_guard.attr,
	NULL,
};
ATTRIBUTE_GROUPS(pvp_drv);

/*
 * Matches any device, but only through driver_override.  Deliberately no
 * MODULE_DEVICE_TABLE(): its alias would be vfio_pci:v*d*sv*sd*bc*sc*i*,
 * and libvirt (10.0+) binds a managed <hostdev> without <driver model=>
 * to the best-matching vfio_pci alias in modules.alias.  Where vfio-pci
 * is built in (its alias then is not in modules.alias) that would be this
 * driver, for every device; where it is a module, only depmod's ordering
 * would decide.  Binding by name (driver_override, driverctl, libvirt's
 * model=) needs no alias.
 */
static const struct pci_device_id pvp_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};

static struct pci_driver pvp_driver = {
	.name			= PVP_DRIVER_NAME,
	.id_table		= pvp_table,
	.probe			= pvp_probe,
	.remove			= pvp_remove,
	.err_handler		= &pvp_err_handlers,
	.driver_managed_dma	= true,
	.dev_groups		= pvp_dev_groups,
	.groups			= pvp_drv_groups,
};

static int __init pvp_init(void)
{
	int ret;

	if (pvp_override_check(pvp_pasid_offset)) {
		pr_err("pasid_offset=\"%s\" is malformed: want [DDDD:]BB:DD.F=OFF[,...] in hex, each device once, OFF dword-aligned in 0x100-0xff8\n",
		       pvp_pasid_offset);
		return -EINVAL;
	}
	if (pvp_override_check(pvp_pri_offset)) {
		pr_err("pri_offset=\"%s\" is malformed: want [DDDD:]BB:DD.F=OFF[,...] in hex, each device once, OFF dword-aligned in 0x100-0xff8\n",
		       pvp_pri_offset);
		return -EINVAL;
	}
	if (pvp_shared_caps_parse(pvp_shared_caps_param, &pvp_shared_caps)) {
		pr_err("shared_caps=\"%s\" is malformed: want pasid or pasid,pri\n",
		       pvp_shared_caps_param);
		return -EINVAL;
	}
	if (pvp_pri_offset && *pvp_pri_offset &&
	    !(pvp_shared_caps & PVP_SHARED_PRI)) {
		pr_err("pri_offset=\"%s\" given, but PRI is not emulated: add shared_caps=pasid,pri\n",
		       pvp_pri_offset);
		return -EINVAL;
	}

	ret = pvp_guard_init();
	if (ret)
		return ret;
	ret = pci_register_driver(&pvp_driver);
	if (ret)
		goto out_guard_exit;
	return 0;

out_guard_exit:
	pvp_guard_exit();
	return ret;
}
module_init(pvp_init);

static void __exit pvp_exit(void)
{
	pci_unregister_driver(&pvp_driver);
	pvp_guard_exit();
}
module_exit(pvp_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("pasid-vfio-pci developers");
MODULE_DESCRIPTION("vfio-pci variant driver exposing the PASID capability to VFs");
