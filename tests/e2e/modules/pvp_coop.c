// SPDX-License-Identifier: GPL-2.0
/*
 * pvp_coop - TEST-ONLY guest module for the pasid-vfio-pci e2e rig: a PF
 * driver that cooperates with the PF guard through include/pasid_vfio_pci.h.
 *
 * It links against pasid-vfio-pci's exports (KBUILD_EXTRA_SYMBOLS), follows
 * the guard's transitions with a notifier and asks before disabling a PF's
 * PASID, as the header recommends.
 *
 * Parameters:
 *   pf=DDDD:BB:DD.F   the PF that in_use and disable act on (writable;
 *                     looked up at each use, so it survives a rescan)
 *   events (read)     the notifications received since load or the last
 *                     clear, oldest first, space separated, each
 *                     EVENT:PF:N with EVENT HELD or RELEASED and N the value
 *                     of pasid_vfio_pci_pasid_in_use(PF) in the notifier
 *   clear (write 1)   forget the events
 *   in_use (read)     pasid_vfio_pci_pasid_in_use(pf) now: 1, 0, or
 *                     "nodev" when pf names no device
 *   disable (write 1) the polite disable: -EBUSY while the PF's PASID is in
 *                     use by VFs, else pci_disable_pasid() if it is enabled
 *   lock_pf (0|1)     1: each notification takes the PF's device lock, as a
 *                     PF driver serialising with its own sriov_configure()
 *                     would (deadlocks if delivered under that lock)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>

#include "pasid_vfio_pci.h"

#define COOP_LOG_SIZE	2048

static char *pf;
module_param(pf, charp, 0644);
MODULE_PARM_DESC(pf, "PF that in_use and disable act on: DDDD:BB:DD.F");

static bool lock_pf;
module_param(lock_pf, bool, 0644);
MODULE_PARM_DESC(lock_pf, "take the PF's device lock in each notification");

static DEFINE_MUTEX(coop_lock);
static char coop_log[COOP_LOG_SIZE];
static size_t coop_len;
static bool coop_overflow;

/* The device pf names, with a reference, or NULL; param lock held */
static struct pci_dev *coop_get_pf(void)
{
	unsigned int dom, bus, dev, fn;

	if (!pf || sscanf(pf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return NULL;
	return pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(dev, fn));
}

static int coop_event(struct notifier_block *nb, unsigned long event,
		      void *data)
{
	struct pci_dev *pdev = data;
	const char *what;
	bool used;
	int n;

	switch (event) {
	case PASID_VFIO_PCI_GUARD_HELD:
		what = "HELD";
		break;
	case PASID_VFIO_PCI_GUARD_RELEASED:
		what = "RELEASED";
		break;
	default:
		what = "UNKNOWN";
		break;
	}
	if (READ_ONCE(lock_pf)) {
		device_lock(&pdev->dev);
		pr_info("%s %s: took the PF's device lock\n", what,
			pci_name(pdev));
		device_unlock(&pdev->dev);
	}
	used = pasid_vfio_pci_pasid_in_use(pdev);
	pr_info("%s %s (in use: %d)\n", what, pci_name(pdev), used);

	mutex_lock(&coop_lock);
	n = snprintf(coop_log + coop_len, sizeof(coop_log) - coop_len,
		     "%s%s:%s:%d", coop_len ? " " : "", what, pci_name(pdev),
		     used);
	if ((size_t)n >= sizeof(coop_log) - coop_len) {
		coop_overflow = true;
		coop_log[coop_len] = '\0';
	} else {
		coop_len += n;
	}
	mutex_unlock(&coop_lock);
	return NOTIFY_OK;
}

static struct notifier_block coop_nb = {
	.notifier_call = coop_event,
};

static int coop_events_get(char *buf, const struct kernel_param *kp)
{
	int n;

	mutex_lock(&coop_lock);
	n = sysfs_emit(buf, "%s%s\n", coop_log,
		       coop_overflow ? " OVERFLOW" : "");
	mutex_unlock(&coop_lock);
	return n;
}

static const struct kernel_param_ops coop_events_ops = {
	.get = coop_events_get,
};
module_param_cb(events, &coop_events_ops, NULL, 0444);
MODULE_PARM_DESC(events, "notifications received: EVENT:PF:IN_USE ...");

static int coop_clear_set(const char *val, const struct kernel_param *kp)
{
	mutex_lock(&coop_lock);
	coop_len = 0;
	coop_log[0] = '\0';
	coop_overflow = false;
	mutex_unlock(&coop_lock);
	return 0;
}

static const struct kernel_param_ops coop_clear_ops = {
	.set = coop_clear_set,
};
module_param_cb(clear, &coop_clear_ops, NULL, 0200);
MODULE_PARM_DESC(clear, "write 1: forget the events");

static int coop_in_use_get(char *buf, const struct kernel_param *kp)
{
	struct pci_dev *pdev = coop_get_pf();
	int n;

	if (!pdev)
		return sysfs_emit(buf, "nodev\n");
	n = sysfs_emit(buf, "%d\n", pasid_vfio_pci_pasid_in_use(pdev));
	pci_dev_put(pdev);
	return n;
}

static const struct kernel_param_ops coop_in_use_ops = {
	.get = coop_in_use_get,
};
module_param_cb(in_use, &coop_in_use_ops, NULL, 0444);
MODULE_PARM_DESC(in_use, "pasid_vfio_pci_pasid_in_use(pf) now");

static int coop_disable_set(const char *val, const struct kernel_param *kp)
{
	struct pci_dev *pdev = coop_get_pf();
	int ret = 0;

	if (!pdev)
		return -ENODEV;
	if (pasid_vfio_pci_pasid_in_use(pdev)) {
		pci_info(pdev, "PASID in use by VFs: not disabling\n");
		ret = -EBUSY;
	} else if (pdev->pasid_enabled) {
		pci_disable_pasid(pdev);
		pci_info(pdev, "PASID disabled\n");
	}
	pci_dev_put(pdev);
	return ret;
}

static const struct kernel_param_ops coop_disable_ops = {
	.set = coop_disable_set,
};
module_param_cb(disable, &coop_disable_ops, NULL, 0200);
MODULE_PARM_DESC(disable, "write 1: disable the PF's PASID unless VFs use it");

static int __init coop_init(void)
{
	return pasid_vfio_pci_register_notifier(&coop_nb);
}

static void __exit coop_exit(void)
{
	pasid_vfio_pci_unregister_notifier(&coop_nb);
}

module_init(coop_init);
module_exit(coop_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("TEST ONLY: a PF driver cooperating with pasid-vfio-pci's PF guard");
