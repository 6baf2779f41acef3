// SPDX-License-Identifier: GPL-2.0
/*
 * pvp_enabler - TEST-ONLY guest module for the pasid-vfio-pci e2e rig: it
 * enables a PF's PASID with pci_enable_pasid() the way an IOMMU driver
 * attaching a new domain does, at the moments that race the PF guard's
 * owed disable (cases/lifecycle.sh, step enable).
 *
 * Parameters:
 *   pf=DDDD:BB:DD.F    the PF (writable; looked up at each use)
 *   enable=FEATURES    write: pci_enable_pasid(pf, FEATURES) now; the write
 *                      fails with its error.  Read: the last result
 *   race (write 1)     arm: the next write of 0 to the PF's PASID Control,
 *                      by anyone (the guard applying an owed disable), queues
 *                      a hard irq_work that calls pci_enable_pasid(pf, the
 *                      PF's pasid_features) and waits up to 20 ms for it
 *                      while interrupts are on: a writer that checked
 *                      pasid_enabled without a lock shared with
 *                      pci_enable_pasid() then writes its 0 after the
 *                      enable.  Read: "idle", "armed", or
 *                      "fired ret=N during_write=0|1"
 *   ats (0|1)          set the PCI core's ats_enabled flag of the PF (the
 *                      rig's igb has no ATS capability): fault injection for
 *                      "ATS is enabled"; write 0 before unloading
 *   stress=N           write: a kthread alternates pci_enable_pasid() and
 *                      pci_disable_pasid() on the PF N times (1-3 ms apart).
 *                      Read: "idle", "running I/N", or
 *                      "done enables=E disables=D errors=X"
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/ftrace.h>
#include <linux/irq_work.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>

static char *pf;
module_param(pf, charp, 0644);
MODULE_PARM_DESC(pf, "the PF: DDDD:BB:DD.F");

static DEFINE_MUTEX(en_lock);		/* the parameters' actions */

/* The device pf names, with a reference, or NULL */
static struct pci_dev *en_get_pf(void)
{
	unsigned int dom, bus, dev, fn;

	if (!pf || sscanf(pf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return NULL;
	return pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(dev, fn));
}

/* ------------------------------------------------------------ enable= */
static int en_last = -ENODATA;

static int en_enable_set(const char *val, const struct kernel_param *kp)
{
	struct pci_dev *pdev;
	int features, ret;

	ret = kstrtoint(val, 0, &features);
	if (ret)
		return ret;
	pdev = en_get_pf();
	if (!pdev)
		return -ENODEV;
	mutex_lock(&en_lock);
	ret = pci_enable_pasid(pdev, features);
	en_last = ret;
	mutex_unlock(&en_lock);
	pr_info("%s: pci_enable_pasid(0x%x) = %d\n", pci_name(pdev), features,
		ret);
	pci_dev_put(pdev);
	return ret;
}

static int en_enable_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", en_last);
}

static const struct kernel_param_ops en_enable_ops = {
	.set = en_enable_set,
	.get = en_enable_get,
};
module_param_cb(enable, &en_enable_ops, NULL, 0644);
MODULE_PARM_DESC(enable, "write FEATURES: pci_enable_pasid() on the PF; read: its result");

/* ------------------------------------------------------------ race */
enum { RACE_IDLE, RACE_ARMED, RACE_QUEUED, RACE_FIRED };

static struct pci_dev *race_pf;		/* reference held while set */
static int race_state = RACE_IDLE;
static int race_features;
static int race_ret;
static bool race_during;

static void en_race_fn(struct irq_work *work)
{
	WRITE_ONCE(race_ret, pci_enable_pasid(race_pf, race_features));
	/* race_ret before the state that says it is there */
	smp_store_release(&race_state, RACE_FIRED);
}

static bool en_race_fired(void)
{
	/* pairs with en_race_fn()'s release */
	return smp_load_acquire(&race_state) == RACE_FIRED;
}

static struct irq_work en_race_work = IRQ_WORK_INIT_HARD(en_race_fn);

static void notrace en_write_ftrace(unsigned long ip, unsigned long parent_ip,
				    struct ftrace_ops *op,
				    struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);
	struct pci_dev *pdev;
	int i;

	if (!regs || READ_ONCE(race_state) != RACE_ARMED)
		return;
	pdev = (struct pci_dev *)regs_get_kernel_argument(regs, 0);
	if (pdev != race_pf || !pdev->pasid_cap ||
	    (int)regs_get_kernel_argument(regs, 1) !=
	    pdev->pasid_cap + PCI_PASID_CTRL ||
	    (u16)regs_get_kernel_argument(regs, 2) != 0)
		return;
	if (cmpxchg(&race_state, RACE_ARMED, RACE_QUEUED) != RACE_ARMED)
		return;
	irq_work_queue(&en_race_work);
	/* With interrupts off the enable cannot run before this write */
	for (i = 0; i < 20000 && !irqs_disabled() && !en_race_fired(); i++)
		udelay(1);
	WRITE_ONCE(race_during, en_race_fired());
}

static struct ftrace_ops en_write_ops = {
	.func	= en_write_ftrace,
	.flags	= FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_RECURSION,
};

static void en_race_reset(void)
{
	WRITE_ONCE(race_state, RACE_IDLE);
	irq_work_sync(&en_race_work);
	pci_dev_put(race_pf);
	race_pf = NULL;
}

static int en_race_set(const char *val, const struct kernel_param *kp)
{
	struct pci_dev *pdev;
	bool on;
	int ret;

	ret = kstrtobool(val, &on);
	if (ret)
		return ret;
	pdev = on ? en_get_pf() : NULL;
	if (on && !pdev)
		return -ENODEV;
	mutex_lock(&en_lock);
	en_race_reset();
	if (on) {
		race_pf = pdev;
		race_features = pdev->pasid_features;
		race_during = false;
		race_ret = -ENODATA;
		/* the fields above before the hook can see it armed */
		smp_store_release(&race_state, RACE_ARMED);
	}
	mutex_unlock(&en_lock);
	return 0;
}

static int en_race_get(char *buf, const struct kernel_param *kp)
{
	/* pairs with en_race_fn()'s release: race_ret is there when FIRED */
	switch (smp_load_acquire(&race_state)) {
	case RACE_ARMED:
		return sysfs_emit(buf, "armed\n");
	case RACE_QUEUED:
		return sysfs_emit(buf, "queued\n");
	case RACE_FIRED:
		return sysfs_emit(buf, "fired ret=%d during_write=%d\n",
				  READ_ONCE(race_ret), READ_ONCE(race_during));
	default:
		return sysfs_emit(buf, "idle\n");
	}
}

static const struct kernel_param_ops en_race_ops = {
	.set = en_race_set,
	.get = en_race_get,
};
module_param_cb(race, &en_race_ops, NULL, 0644);
MODULE_PARM_DESC(race, "write 1: enable the PF's PASID from an irq_work at the next write of 0 to its PASID Control");

/* ------------------------------------------------------------ ats */
static int en_ats_set(const char *val, const struct kernel_param *kp)
{
	struct pci_dev *pdev;
	bool on;
	int ret;

	ret = kstrtobool(val, &on);
	if (ret)
		return ret;
	pdev = en_get_pf();
	if (!pdev)
		return -ENODEV;
	pdev->ats_enabled = on;
	pr_info("%s: ats_enabled flag set to %d (fault injection)\n",
		pci_name(pdev), on);
	pci_dev_put(pdev);
	return 0;
}

static int en_ats_get(char *buf, const struct kernel_param *kp)
{
	struct pci_dev *pdev = en_get_pf();
	int n;

	if (!pdev)
		return sysfs_emit(buf, "nodev\n");
	n = sysfs_emit(buf, "%d\n", pdev->ats_enabled);
	pci_dev_put(pdev);
	return n;
}

static const struct kernel_param_ops en_ats_ops = {
	.set = en_ats_set,
	.get = en_ats_get,
};
module_param_cb(ats, &en_ats_ops, NULL, 0644);
MODULE_PARM_DESC(ats, "set the PF's ats_enabled flag (fault injection)");

/* ------------------------------------------------------------ stress */
static struct task_struct *stress_task;	/* reference held */
static struct pci_dev *stress_pf;
static unsigned int stress_n, stress_i, stress_en, stress_dis, stress_err;
static bool stress_done;

static int en_stress_fn(void *arg)
{
	int features = stress_pf->pasid_features;
	unsigned int i;

	for (i = 0; i < stress_n && !kthread_should_stop(); i++) {
		if (stress_pf->pasid_enabled) {
			pci_disable_pasid(stress_pf);
			WRITE_ONCE(stress_dis, stress_dis + 1);
		} else if (pci_enable_pasid(stress_pf, features)) {
			WRITE_ONCE(stress_err, stress_err + 1);
		} else {
			WRITE_ONCE(stress_en, stress_en + 1);
		}
		WRITE_ONCE(stress_i, i + 1);
		usleep_range(1000, 3000);
	}
	WRITE_ONCE(stress_done, true);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

static void en_stress_stop(void)
{
	if (!stress_task)
		return;
	kthread_stop(stress_task);
	put_task_struct(stress_task);
	stress_task = NULL;
	pci_dev_put(stress_pf);
	stress_pf = NULL;
}

static int en_stress_set(const char *val, const struct kernel_param *kp)
{
	struct task_struct *t;
	struct pci_dev *pdev;
	unsigned int n;
	int ret;

	ret = kstrtouint(val, 0, &n);
	if (ret)
		return ret;
	pdev = en_get_pf();
	if (!pdev)
		return -ENODEV;
	mutex_lock(&en_lock);
	en_stress_stop();
	stress_pf = pdev;
	stress_n = n;
	stress_i = 0;
	stress_en = 0;
	stress_dis = 0;
	stress_err = 0;
	stress_done = false;
	t = kthread_create(en_stress_fn, NULL, "pvp_enabler");
	if (IS_ERR(t)) {
		pci_dev_put(pdev);
		stress_pf = NULL;
		mutex_unlock(&en_lock);
		return PTR_ERR(t);
	}
	get_task_struct(t);
	stress_task = t;
	wake_up_process(t);
	mutex_unlock(&en_lock);
	return 0;
}

static int en_stress_get(char *buf, const struct kernel_param *kp)
{
	if (!READ_ONCE(stress_task))
		return sysfs_emit(buf, "idle\n");
	if (!READ_ONCE(stress_done))
		return sysfs_emit(buf, "running %u/%u\n", READ_ONCE(stress_i),
				  stress_n);
	return sysfs_emit(buf, "done enables=%u disables=%u errors=%u\n",
			  stress_en, stress_dis, stress_err);
}

static const struct kernel_param_ops en_stress_ops = {
	.set = en_stress_set,
	.get = en_stress_get,
};
module_param_cb(stress, &en_stress_ops, NULL, 0644);
MODULE_PARM_DESC(stress, "write N: a kthread alternates pci_enable_pasid()/pci_disable_pasid() on the PF N times");

/* ------------------------------------------------------------ module */
static int __init en_init(void)
{
	unsigned long ip = (unsigned long)pci_write_config_word;
	int ret;

	ret = ftrace_set_filter_ip(&en_write_ops, ip, 0, 0);
	if (ret)
		return ret;
	ret = register_ftrace_function(&en_write_ops);
	if (ret) {
		ftrace_set_filter_ip(&en_write_ops, ip, 1, 0);
		pr_err("cannot hook pci_write_config_word (%d)\n", ret);
	}
	return ret;
}

static void __exit en_exit(void)
{
	unregister_ftrace_function(&en_write_ops);
	ftrace_set_filter_ip(&en_write_ops,
			     (unsigned long)pci_write_config_word, 1, 0);
	mutex_lock(&en_lock);
	en_stress_stop();
	en_race_reset();
	mutex_unlock(&en_lock);
}

module_init(en_init);
module_exit(en_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("TEST ONLY: enable a PF's PASID at the moments that race the PF guard");
