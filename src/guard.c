// SPDX-License-Identifier: GPL-2.0
/*
 * pasid-vfio-pci: the PF guard.
 *
 * A VF can use PASID only while its PF's PASID is enabled, but IOMMU drivers
 * disable a PF's PASID on domain changes with no regard for its VFs.
 * pci_disable_pasid() returns void and has no hook, so the guard redirects
 * it with ftrace (FTRACE_OPS_FL_IPMODIFY, the mechanism livepatch uses), for
 * guarded PFs only: the PCI core's software state records the disable as
 * usual (so a later pci_enable_pasid() works), but the hardware keeps PASID
 * enabled until the last VF holding the PF lets go; the disable is applied
 * then.  Where the hook cannot be installed the module works without it and
 * says so.
 *
 * The owed disable is serialised with pci_enable_pasid(), the path that
 * enables a PF's PASID again (an IOMMU driver attaching a new domain): the
 * guard redirects it too, for guarded PFs, to count the call in flight
 * around the real one.  The owed write is decided and done under
 * pvp_guard_lock, never while an enable is in flight: an enable that
 * succeeds cancels it, one that fails leaves it owed.  And it is never
 * written while the PF's ATS is enabled (pvp_hold_apply_check()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/pci-ats.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "pvp.h"
#include "../include/pasid_vfio_pci.h"

/* One PF that VFs bound to this driver mirror */
struct pvp_guard_pf {
	struct list_head node;
	struct pci_dev *pf;		/* reference held */
	u16 pasid;			/* PASID capability offset */
	struct pvp_hold hold;
	struct list_head vfs;		/* pvp_device.guard_node */
	struct work_struct free_work;	/* freed from pvp_guard_enable_pasid() */
};

/*
 * Guards pvp_guard_pfs, every pvp_guard_pf and pvp_device.guard_node.  Taken
 * on bind, open, close, unbind and when a PF's PASID disable or enable is
 * intercepted; never on the config access path, never held across a call
 * out but one: the owed disable's PASID Control write (and the ATS Control
 * read before it), which must not interleave with pci_enable_pasid()'s.  A
 * config access is fine there: where the architecture has no lockless
 * config access the PCI core makes it under pci_lock, itself a raw
 * spinlock taken with interrupts off (drivers/pci/access.c), so pci_ops
 * never sleep, PREEMPT_RT included.  Raw: the ftrace callback takes it with
 * preemption disabled, where PREEMPT_RT's sleeping spinlock_t must not be
 * taken.  What it covers is short: list walks bounded by the number of
 * guarded PFs and their VFs, and at most two config accesses.
 */
static DEFINE_RAW_SPINLOCK(pvp_guard_lock);
static LIST_HEAD(pvp_guard_pfs);
static BLOCKING_NOTIFIER_HEAD(pvp_guard_chain);

/*
 * Transitions reach the notifier chain from here, in the order they
 * happened and with no device lock held: pvp_remove() runs inside the PF
 * driver's sriov_configure() with the PF's lock held, and a VF's probe
 * with the VF's (VF before PF, against pci_disable_sriov()'s PF before
 * VF), so a callback that takes its PF's lock would deadlock if called
 * there.
 */
static struct workqueue_struct *pvp_guard_wq;

struct pvp_guard_event {
	struct work_struct work;
	struct pci_dev *pf;		/* reference held */
	unsigned long event;		/* enum pasid_vfio_pci_event */
};

static enum pvp_scope pvp_scope = PVP_SCOPE_BOUND;
static const char *pvp_guard_status = "off";

static int pvp_guard_param_set(const char *val, const struct kernel_param *kp)
{
	return pvp_scope_parse(val, &pvp_scope);
}

static int pvp_guard_param_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", pvp_scope_name(pvp_scope));
}

static const struct kernel_param_ops pvp_guard_param_ops = {
	.set = pvp_guard_param_set,
	.get = pvp_guard_param_get,
};
module_param_cb(guard, &pvp_guard_param_ops, NULL, 0444);
MODULE_PARM_DESC(guard,
		 "Keep a PF's PASID enabled while its VFs are: bound (default), open, or off");

const char *pvp_guard_state(void)
{
	return pvp_guard_status;
}

static struct pvp_guard_pf *pvp_guard_find(struct pci_dev *pf)
{
	struct pvp_guard_pf *g;

	lockdep_assert_held(&pvp_guard_lock);
	list_for_each_entry(g, &pvp_guard_pfs, node)
		if (g->pf == pf)
			return g;
	return NULL;
}

static void pvp_guard_event_fn(struct work_struct *work)
{
	struct pvp_guard_event *ev = container_of(work, struct pvp_guard_event,
						  work);

	blocking_notifier_call_chain(&pvp_guard_chain, ev->event, ev->pf);
	pci_dev_put(ev->pf);
	kfree(ev);
}

/* Queue one transition for the cooperating drivers (pvp_guard_wq) */
static void pvp_guard_notify(struct pci_dev *pf, unsigned long event)
{
	struct pvp_guard_event *ev = kmalloc(sizeof(*ev), GFP_KERNEL);

	if (!ev)
		return;	/* the allocator warned; cooperating drivers miss it */
	INIT_WORK(&ev->work, pvp_guard_event_fn);
	ev->pf = pci_dev_get(pf);
	ev->event = event;
	queue_work(pvp_guard_wq, &ev->work);
}

/* Is the PF's ATS enabled, to the PCI core or in hardware?  Lock held. */
static bool pvp_guard_ats_enabled(struct pci_dev *pf)
{
	u16 ctrl = 0;

	if (pf->ats_enabled)
		return true;
#ifdef CONFIG_PCI_ATS
	if (pf->ats_cap)
		pci_read_config_word(pf, pf->ats_cap + PCI_ATS_CTRL, &ctrl);
#endif
	return ctrl & PCI_ATS_CTRL_ENABLE;
}

/*
 * Apply the owed disable of @g's PF if @act says it is due: decided and
 * written under pvp_guard_lock, so that no pci_enable_pasid() of the PF
 * runs in between (pvp_guard_enable_pasid() holds it off while one is in
 * flight).  The write is skipped when the PF is gone, when the PCI core has
 * its PASID enabled again, or when its ATS is enabled: PCIe Base 4.0 r1.0
 * sec 10.5.1.3 (ATS Control Register, ATS Enable): "Behavior is undefined
 * if this bit is Set and the value of the PASID Enable, Execute Requested
 * Enable, or Privileged Mode Requested bits are changed" (an IOMMU driver
 * may enable ATS alone on the PF, as AMD's does for a v1 domain).  The
 * owed write is then dropped, not kept: nothing would tell the guard when
 * ATS goes off, and PASID Enable stays 1 as the veto left it; the next
 * pci_enable_pasid() makes core and hardware agree again.
 */
static enum pvp_hold_apply pvp_guard_apply(struct pvp_guard_pf *g,
					   enum pvp_hold_action act)
{
	struct pci_dev *pf = g->pf;
	enum pvp_hold_apply res;
	bool present;

	lockdep_assert_held(&pvp_guard_lock);
	if (act != PVP_HOLD_APPLY)
		return PVP_APPLY_NONE;
	/* A removed PF's config space is not its own: not even a read */
	present = device_is_registered(&pf->dev);
	res = pvp_hold_apply_check(present, pf->pasid_enabled,
				   present && pvp_guard_ats_enabled(pf));
	if (res == PVP_APPLY_WRITE)
		pci_write_config_word(pf, g->pasid + PCI_PASID_CTRL, 0);
	return res;
}

/* Say what pvp_guard_apply() did, outside the lock */
static void pvp_guard_applied(struct pci_dev *pf, enum pvp_hold_apply res)
{
	switch (res) {
	case PVP_APPLY_WRITE:
		pci_info(pf, "applying the PASID disable vetoed while its VFs needed it\n");
		break;
	case PVP_APPLY_ATS:
		pci_warn(pf, "not applying the PASID disable vetoed while its VFs needed it: ATS is enabled, and PASID Enable must not change under ATS Enable (PCIe Base 4.0 sec 10.5.1.3); PASID stays enabled in hardware\n");
		break;
	default:
		break;
	}
}

/*
 * Act on a transition of the guard of @pf, outside the lock: report the
 * owed disable that pvp_guard_apply() handled, tell the cooperating drivers.
 */
static void pvp_guard_act(struct pci_dev *pf, enum pvp_hold_action act,
			  enum pvp_hold_apply res)
{
	pvp_guard_applied(pf, res);
	switch (act) {
	case PVP_HOLD_HELD:
		pvp_guard_notify(pf, PASID_VFIO_PCI_GUARD_HELD);
		break;
	case PVP_HOLD_APPLY:
	case PVP_HOLD_RELEASED:
		pvp_guard_notify(pf, PASID_VFIO_PCI_GUARD_RELEASED);
		break;
	case PVP_HOLD_NOTHING:
		break;
	}
}

static void pvp_guard_free(struct pvp_guard_pf *g)
{
	pci_dev_put(g->pf);
	kfree(g);
}

static void pvp_guard_free_fn(struct work_struct *work)
{
	pvp_guard_free(container_of(work, struct pvp_guard_pf, free_work));
}

/**
 * pvp_guard_bind - a VF mirroring its PF's PASID was bound
 * @pvdev: the VF
 *
 * Return: 0 or -ENOMEM.
 */
int pvp_guard_bind(struct pvp_device *pvdev)
{
	struct pci_dev *pf = pvdev->pf;
	struct pvp_guard_pf *g, *new;
	enum pvp_hold_action act;
	unsigned long flags;

	if (!pf || pf == pvdev->core_device.pdev)
		return 0;

	new = kzalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;

	raw_spin_lock_irqsave(&pvp_guard_lock, flags);
	g = pvp_guard_find(pf);
	if (!g) {
		g = new;
		new = NULL;
		g->pf = pci_dev_get(pf);
		g->pasid = pvdev->pf_pasid;
		INIT_LIST_HEAD(&g->vfs);
		INIT_WORK(&g->free_work, pvp_guard_free_fn);
		list_add(&g->node, &pvp_guard_pfs);
	}
	list_add_tail(&pvdev->guard_node, &g->vfs);
	pvdev->guard = g;
	act = pvp_hold_bind(&g->hold, pvp_scope);
	raw_spin_unlock_irqrestore(&pvp_guard_lock, flags);

	kfree(new);
	pvp_guard_act(pf, act, PVP_APPLY_NONE);	/* bind never applies */
	return 0;
}

/**
 * pvp_guard_unbind - the VF is going away
 * @pvdev: the VF, already closed
 */
void pvp_guard_unbind(struct pvp_device *pvdev)
{
	struct pvp_guard_pf *g = pvdev->guard, *gone = NULL;
	enum pvp_hold_apply res;
	enum pvp_hold_action act;
	unsigned long flags;
	struct pci_dev *pf;

	if (!g)
		return;

	raw_spin_lock_irqsave(&pvp_guard_lock, flags);
	list_del(&pvdev->guard_node);
	pvdev->guard = NULL;
	act = pvp_hold_unbind(&g->hold, pvp_scope);
	res = pvp_guard_apply(g, act);
	/* Once unlocked, @g may go with another VF's unbind */
	pf = pci_dev_get(g->pf);
	if (pvp_hold_idle(&g->hold)) {
		list_del(&g->node);
		gone = g;
	}
	raw_spin_unlock_irqrestore(&pvp_guard_lock, flags);

	pvp_guard_act(pf, act, res);
	pci_dev_put(pf);
	if (gone)
		pvp_guard_free(gone);
}

/**
 * pvp_guard_open - the VF was opened with its PASID capability exposed
 * @pvdev: the VF
 */
void pvp_guard_open(struct pvp_device *pvdev)
{
	struct pvp_guard_pf *g = pvdev->guard;
	enum pvp_hold_action act;
	unsigned long flags;

	if (!g)
		return;

	raw_spin_lock_irqsave(&pvp_guard_lock, flags);
	pvdev->guard_open = true;
	act = pvp_hold_open(&g->hold, pvp_scope);
	raw_spin_unlock_irqrestore(&pvp_guard_lock, flags);

	pvp_guard_act(g->pf, act, PVP_APPLY_NONE);	/* open never applies */
}

/**
 * pvp_guard_close - the VF opened by pvp_guard_open() was closed
 * @pvdev: the VF
 */
void pvp_guard_close(struct pvp_device *pvdev)
{
	struct pvp_guard_pf *g = pvdev->guard;
	enum pvp_hold_apply res;
	enum pvp_hold_action act;
	unsigned long flags;

	if (!g || !pvdev->guard_open)
		return;

	raw_spin_lock_irqsave(&pvp_guard_lock, flags);
	pvdev->guard_open = false;
	act = pvp_hold_close(&g->hold, pvp_scope);
	res = pvp_guard_apply(g, act);
	raw_spin_unlock_irqrestore(&pvp_guard_lock, flags);

	pvp_guard_act(g->pf, act, res);
}

/**
 * pvp_guard_vetoed - is a disable of the VF's PF pending?
 * @pvdev: the VF
 *
 * Lockless: read on the config access path.  The PF's PASID is then still
 * enabled in hardware although the PCI core records it as disabled.
 */
bool pvp_guard_vetoed(struct pvp_device *pvdev)
{
	struct pvp_guard_pf *g = pvdev->guard;

	return g && READ_ONCE(g->hold.vetoed);
}

bool pasid_vfio_pci_pasid_in_use(struct pci_dev *pf)
{
	enum pvp_scope scope = pvp_scope == PVP_SCOPE_OFF ? PVP_SCOPE_OPEN :
			       pvp_scope;
	struct pvp_guard_pf *g;
	unsigned long flags;
	bool used;

	raw_spin_lock_irqsave(&pvp_guard_lock, flags);
	g = pvp_guard_find(pf);
	used = g && pvp_hold_active(&g->hold, scope);
	raw_spin_unlock_irqrestore(&pvp_guard_lock, flags);
	return used;
}
EXPORT_SYMBOL_GPL(pasid_vfio_pci_pasid_in_use);

int pasid_vfio_pci_register_notifier(struct notifier_block *nb)
{
	return blocking_notifier_chain_register(&pvp_guard_chain, nb);
}
EXPORT_SYMBOL_GPL(pasid_vfio_pci_register_notifier);

int pasid_vfio_pci_unregister_notifier(struct notifier_block *nb)
{
	return blocking_notifier_chain_unregister(&pvp_guard_chain, nb);
}
EXPORT_SYMBOL_GPL(pasid_vfio_pci_unregister_notifier);

#ifdef PVP_HAVE_FTRACE_IPMODIFY

/* Names of the VFs holding @g, for a warning; called with the lock held */
static void pvp_guard_names(struct pvp_guard_pf *g, char *buf, size_t size)
{
	struct pvp_device *pvdev;
	size_t n = 0;

	buf[0] = '\0';
	list_for_each_entry(pvdev, &g->vfs, guard_node) {
		if (pvp_scope == PVP_SCOPE_OPEN && !pvdev->guard_open)
			continue;
		n += scnprintf(buf + n, size - n, "%s%s", n ? " " : "",
			       pci_name(pvdev->core_device.pdev));
	}
}

/*
 * pci_disable_pasid() of a guarded PF lands here instead, with the same
 * argument.  It records the disable in the PCI core's software state as
 * pci_disable_pasid() would, keeps the hardware enabled, and owes the
 * hardware write until the guard lifts.  Runs in the caller's context and
 * never sleeps (see pvp_guard_exit()).
 */
static void pvp_guard_disable_pasid(struct pci_dev *pdev)
{
	struct pvp_guard_pf *g;
	unsigned long flags;
	char names[160];
	bool vetoed;

	raw_spin_lock_irqsave(&pvp_guard_lock, flags);
	g = pvp_guard_find(pdev);
	vetoed = g && pvp_hold_veto(&g->hold, pvp_scope, pdev->pasid_enabled);
	if (vetoed) {
		pvp_guard_names(g, names, sizeof(names));
		pdev->pasid_enabled = 0;
	}
	raw_spin_unlock_irqrestore(&pvp_guard_lock, flags);

	if (!vetoed) {
		/* The guard lifted since the hook looked: disable for real */
		pci_disable_pasid(pdev);
		return;
	}
	dev_warn_ratelimited(&pdev->dev, "PASID disable vetoed: VFs %s use it (guard=%s); applied when they let go\n",
			     names, pvp_scope_name(pvp_scope));
}

static void notrace pvp_guard_ftrace(unsigned long ip, unsigned long parent_ip,
				     struct ftrace_ops *op,
				     struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);
	struct pvp_guard_pf *g;
	struct pci_dev *pdev;
	unsigned long flags;
	bool held;

	if (!regs)
		return;
	pdev = (struct pci_dev *)regs_get_kernel_argument(regs, 0);
	if (!pdev || pdev->is_virtfn || !pdev->pasid_enabled)
		return;

	raw_spin_lock_irqsave(&pvp_guard_lock, flags);
	g = pvp_guard_find(pdev);
	held = g && pvp_hold_active(&g->hold, pvp_scope);
	raw_spin_unlock_irqrestore(&pvp_guard_lock, flags);
	if (held)
		instruction_pointer_set(regs,
					(unsigned long)pvp_guard_disable_pasid);
}

/*
 * pci_enable_pasid() of a guarded PF lands here instead, with the same
 * arguments, and runs the real one (not redirected again: called from this
 * module) with the call counted in flight, so that the owed disable is not
 * written under it.  Its outcome settles the owed disable: cancelled if the
 * enable succeeded (it wrote PASID Control itself), applied now if it
 * failed and the guard lifted meanwhile.  Runs in the caller's context and
 * never sleeps, as pci_enable_pasid(); the bookkeeping of a PF whose last
 * VF went meanwhile is freed from the guard's workqueue.
 */
static int pvp_guard_enable_pasid(struct pci_dev *pdev, int features)
{
	enum pvp_hold_apply res = PVP_APPLY_NONE;
	struct pvp_guard_pf *g;
	unsigned long flags;
	bool gone = false;
	int ret;

	raw_spin_lock_irqsave(&pvp_guard_lock, flags);
	g = pvp_guard_find(pdev);
	if (g)
		pvp_hold_enable_begin(&g->hold);
	raw_spin_unlock_irqrestore(&pvp_guard_lock, flags);

	ret = pci_enable_pasid(pdev, features);
	if (!g)
		return ret;

	raw_spin_lock_irqsave(&pvp_guard_lock, flags);
	res = pvp_guard_apply(g, pvp_hold_enable_end(&g->hold, pvp_scope, !ret));
	if (pvp_hold_idle(&g->hold)) {
		list_del(&g->node);
		gone = true;
	}
	raw_spin_unlock_irqrestore(&pvp_guard_lock, flags);

	pvp_guard_applied(pdev, res);
	if (gone)
		queue_work(pvp_guard_wq, &g->free_work);
	return ret;
}

/*
 * Redirect pci_enable_pasid() of a guarded PF to pvp_guard_enable_pasid(),
 * except its own call: the return address tells (it is no tail call).
 */
static void notrace pvp_guard_enable_ftrace(unsigned long ip,
					    unsigned long parent_ip,
					    struct ftrace_ops *op,
					    struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);
	struct pci_dev *pdev;
	unsigned long flags;
	bool guarded;

	if (!regs || within_module(parent_ip, THIS_MODULE))
		return;
	pdev = (struct pci_dev *)regs_get_kernel_argument(regs, 0);
	if (!pdev || pdev->is_virtfn)
		return;

	raw_spin_lock_irqsave(&pvp_guard_lock, flags);
	guarded = pvp_guard_find(pdev);
	raw_spin_unlock_irqrestore(&pvp_guard_lock, flags);
	if (guarded)
		instruction_pointer_set(regs,
					(unsigned long)pvp_guard_enable_pasid);
}

/*
 * PERMANENT (v5.5, 7162431dcf72 "ftrace: Introduce PERMANENT ftrace_ops
 * flag"), as livepatch sets it: while the hook is registered, sysctl
 * kernel.ftrace_enabled=0 is refused instead of silently turning the guard
 * into a no-op, and registration fails while ftrace is disabled.
 */
static struct ftrace_ops pvp_guard_ops = {
	.func	= pvp_guard_ftrace,
	.flags	= FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY |
		  FTRACE_OPS_FL_RECURSION | FTRACE_OPS_FL_PERMANENT,
};

static struct ftrace_ops pvp_guard_enable_ops = {
	.func	= pvp_guard_enable_ftrace,
	.flags	= FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY |
		  FTRACE_OPS_FL_RECURSION | FTRACE_OPS_FL_PERMANENT,
};

static bool pvp_guard_installed;

/* -EBUSY from ftrace: it is disabled (PERMANENT ops refused) or taken */
static const char pvp_guard_busy[] =
	"unavailable: ftrace refused the hook (kernel.ftrace_enabled=0, or another IPMODIFY user)";

/* Hook @ip with @ops; all or nothing */
static int pvp_guard_hook(struct ftrace_ops *ops, unsigned long ip)
{
	int ret = ftrace_set_filter_ip(ops, ip, 0, 0);

	if (ret)
		return ret;
	ret = register_ftrace_function(ops);
	if (ret)
		ftrace_set_filter_ip(ops, ip, 1, 0);
	return ret;
}

static void pvp_guard_unhook(struct ftrace_ops *ops, unsigned long ip)
{
	unregister_ftrace_function(ops);
	ftrace_set_filter_ip(ops, ip, 1, 0);
}

/*
 * Install the hooks on pci_disable_pasid() and pci_enable_pasid().  Never
 * fails the module: without them, emulation works unguarded.  Installation
 * is all or nothing: without the enable hook an owed disable could not be
 * serialised with a re-enable, so the guard does not veto either.
 */
static void pvp_guard_hook_init(void)
{
	int ret;

	if (pvp_scope == PVP_SCOPE_OFF) {
		pvp_guard_status = "off";
		return;
	}

	ret = pvp_guard_hook(&pvp_guard_enable_ops,
			     (unsigned long)pci_enable_pasid);
	if (ret)
		goto out_unavailable;
	ret = pvp_guard_hook(&pvp_guard_ops, (unsigned long)pci_disable_pasid);
	if (ret)
		goto out_unhook_enable;

	pvp_guard_installed = true;
	pvp_guard_status = "active";
	return;

out_unhook_enable:
	pvp_guard_unhook(&pvp_guard_enable_ops,
			 (unsigned long)pci_enable_pasid);
	/* A caller may still be in pvp_guard_enable_pasid() */
	synchronize_rcu_tasks();
out_unavailable:
	pvp_guard_status = ret == -EBUSY ? pvp_guard_busy :
		"unavailable: cannot hook pci_disable_pasid with ftrace";
	pr_warn("PF guard %s (%d); PASID emulation works, but a PF's PASID can be disabled under its VFs\n",
		pvp_guard_status, ret);
}

static void pvp_guard_hook_exit(void)
{
	if (!pvp_guard_installed)
		return;
	pvp_guard_unhook(&pvp_guard_ops, (unsigned long)pci_disable_pasid);
	pvp_guard_unhook(&pvp_guard_enable_ops,
			 (unsigned long)pci_enable_pasid);
	/*
	 * A caller redirected just before the unregistration may still be
	 * running pvp_guard_disable_pasid() or pvp_guard_enable_pasid(),
	 * which never sleep: once every task has passed a voluntary schedule,
	 * none is.
	 */
	synchronize_rcu_tasks();
	pvp_guard_installed = false;
}

#else /* !PVP_HAVE_FTRACE_IPMODIFY */

static void pvp_guard_hook_init(void)
{
	pvp_guard_status = pvp_scope == PVP_SCOPE_OFF ? "off" :
		"unavailable: kernel lacks ftrace with IP modification";
	if (pvp_scope != PVP_SCOPE_OFF)
		pr_warn("PF guard %s; PASID emulation works, but a PF's PASID can be disabled under its VFs\n",
			pvp_guard_status);
}

static void pvp_guard_hook_exit(void)
{
}

#endif /* PVP_HAVE_FTRACE_IPMODIFY */

/**
 * pvp_guard_init - set up the guard at module load
 *
 * Return: 0, or -ENOMEM without the notification queue.
 */
int pvp_guard_init(void)
{
	pvp_guard_wq = alloc_ordered_workqueue("pasid_vfio_pci_guard", 0);
	if (!pvp_guard_wq)
		return -ENOMEM;
	pvp_guard_hook_init();
	return 0;
}

/**
 * pvp_guard_exit - take the guard down, after the driver is unregistered
 *
 * Delivers the notifications still queued (the last VFs' releases).
 */
void pvp_guard_exit(void)
{
	pvp_guard_hook_exit();
	destroy_workqueue(pvp_guard_wq);
}
