// SPDX-License-Identifier: GPL-2.0
/*
 * pvp_squatter - TEST-ONLY guest module for the pasid-vfio-pci e2e rig.
 *
 * Registers an ftrace_ops with FTRACE_OPS_FL_IPMODIFY on pci_disable_pasid(),
 * as a livepatch of that function would.  ftrace allows one IPMODIFY user
 * per function, so:
 *
 *   loaded first   pasid-vfio-pci's PF guard cannot install its hook
 *                  (register_ftrace_function() fails with -EBUSY after the
 *                  filter was set): the module must still load and emulate,
 *                  and report "unavailable: ..." in its guard attribute;
 *   loaded second  this module's init fails with -EBUSY, as the guard owns
 *                  the function.
 *
 * The callback never modifies the IP: it counts calls only.
 *
 * Parameters (read only):
 *   hits     calls of pci_disable_pasid() seen
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/ftrace.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>

static atomic_t sq_hits = ATOMIC_INIT(0);

static int sq_hits_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&sq_hits));
}

static const struct kernel_param_ops sq_hits_ops = {
	.get = sq_hits_get,
};
module_param_cb(hits, &sq_hits_ops, NULL, 0444);
MODULE_PARM_DESC(hits, "calls of pci_disable_pasid() seen");

static void notrace sq_ftrace(unsigned long ip, unsigned long parent_ip,
			      struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	atomic_inc(&sq_hits);
}

static struct ftrace_ops sq_ops = {
	.func	= sq_ftrace,
	.flags	= FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY |
		  FTRACE_OPS_FL_RECURSION,
};

static int __init sq_init(void)
{
	unsigned long ip = (unsigned long)pci_disable_pasid;
	int ret;

	ret = ftrace_set_filter_ip(&sq_ops, ip, 0, 0);
	if (ret) {
		pr_err("cannot filter pci_disable_pasid (%d)\n", ret);
		return ret;
	}
	ret = register_ftrace_function(&sq_ops);
	if (ret) {
		ftrace_set_filter_ip(&sq_ops, ip, 1, 0);
		pr_err("cannot hook pci_disable_pasid (%d)\n", ret);
		return ret;
	}
	pr_info("IPMODIFY hook on pci_disable_pasid installed\n");
	return 0;
}

static void __exit sq_exit(void)
{
	unregister_ftrace_function(&sq_ops);
	ftrace_set_filter_ip(&sq_ops, (unsigned long)pci_disable_pasid, 1, 0);
	pr_info("IPMODIFY hook removed (%d calls seen)\n",
		atomic_read(&sq_hits));
}

module_init(sq_init);
module_exit(sq_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("TEST ONLY: occupy the ftrace IPMODIFY slot of pci_disable_pasid");
