// SPDX-License-Identifier: GPL-2.0
/*
 * PF guard bookkeeping of pasid-vfio-pci; see hold.h.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "hold.h"

static const char * const pvp_scope_names[] = {
	[PVP_SCOPE_OFF]		= "off",
	[PVP_SCOPE_BOUND]	= "bound",
	[PVP_SCOPE_OPEN]	= "open",
};

/**
 * pvp_scope_parse - parse the guard= module parameter
 * @s: "off", "bound" or "open", a trailing newline tolerated
 * @scope: result
 *
 * Return: 0 or -EINVAL.
 */
int pvp_scope_parse(const char *s, enum pvp_scope *scope)
{
	int i;

	if (!s)
		return -EINVAL;
	i = sysfs_match_string(pvp_scope_names, s);
	if (i < 0)
		return -EINVAL;
	*scope = i;
	return 0;
}

const char *pvp_scope_name(enum pvp_scope scope)
{
	if ((unsigned int)scope >= ARRAY_SIZE(pvp_scope_names))
		return "invalid";
	return pvp_scope_names[scope];
}

/**
 * pvp_hold_active - does the guard hold the PF's PASID enabled?
 * @h: bookkeeping of the PF
 * @scope: the guard's scope
 */
bool pvp_hold_active(const struct pvp_hold *h, enum pvp_scope scope)
{
	switch (scope) {
	case PVP_SCOPE_BOUND:
		return h->bound > 0;
	case PVP_SCOPE_OPEN:
		return h->open > 0;
	default:
		return false;
	}
}

/*
 * Nothing refers to the PF any more: its bookkeeping can go.  Not while a
 * pci_enable_pasid() of the PF is in flight: pvp_hold_enable_end() settles
 * the owed disable with it.
 */
bool pvp_hold_idle(const struct pvp_hold *h)
{
	return !h->bound && !h->open && !h->enabling;
}

/* Compare the guard before and after an event */
static enum pvp_hold_action pvp_hold_edge(struct pvp_hold *h,
					  enum pvp_scope scope, bool was)
{
	bool now = pvp_hold_active(h, scope);

	if (!was && now)
		return PVP_HOLD_HELD;
	if (was && !now) {
		/*
		 * With a pci_enable_pasid() in flight the disable stays owed:
		 * the enable's outcome decides (pvp_hold_enable_end())
		 */
		if (h->vetoed && !h->enabling) {
			h->vetoed = false;
			return PVP_HOLD_APPLY;
		}
		return PVP_HOLD_RELEASED;
	}
	return PVP_HOLD_NOTHING;
}

/**
 * pvp_hold_bind - a VF of the PF was bound
 * @h: bookkeeping of the PF
 * @scope: the guard's scope
 */
enum pvp_hold_action pvp_hold_bind(struct pvp_hold *h, enum pvp_scope scope)
{
	bool was = pvp_hold_active(h, scope);

	h->bound++;
	return pvp_hold_edge(h, scope, was);
}

/**
 * pvp_hold_unbind - a VF of the PF was unbound
 * @h: bookkeeping of the PF
 * @scope: the guard's scope
 *
 * An unbalanced call changes nothing.
 */
enum pvp_hold_action pvp_hold_unbind(struct pvp_hold *h, enum pvp_scope scope)
{
	bool was = pvp_hold_active(h, scope);

	if (!h->bound || h->open > h->bound - 1)
		return PVP_HOLD_NOTHING;
	h->bound--;
	return pvp_hold_edge(h, scope, was);
}

/**
 * pvp_hold_open - a bound VF of the PF was opened
 * @h: bookkeeping of the PF
 * @scope: the guard's scope
 */
enum pvp_hold_action pvp_hold_open(struct pvp_hold *h, enum pvp_scope scope)
{
	bool was = pvp_hold_active(h, scope);

	if (h->open >= h->bound)
		return PVP_HOLD_NOTHING;
	h->open++;
	return pvp_hold_edge(h, scope, was);
}

/**
 * pvp_hold_close - an open VF of the PF was closed
 * @h: bookkeeping of the PF
 * @scope: the guard's scope
 */
enum pvp_hold_action pvp_hold_close(struct pvp_hold *h, enum pvp_scope scope)
{
	bool was = pvp_hold_active(h, scope);

	if (!h->open)
		return PVP_HOLD_NOTHING;
	h->open--;
	return pvp_hold_edge(h, scope, was);
}

/**
 * pvp_hold_veto - a disable of the PF's PASID was requested
 * @h: bookkeeping of the PF
 * @scope: the guard's scope
 * @pf_enabled: the PF's PASID is enabled (a disable of a disabled PASID is
 *	the caller's bug and is left to the kernel to report)
 *
 * Return: true if the disable must not reach the hardware now; it is then
 * owed, and pvp_hold_unbind()/pvp_hold_close() return PVP_HOLD_APPLY when
 * the guard lifts.
 */
bool pvp_hold_veto(struct pvp_hold *h, enum pvp_scope scope, bool pf_enabled)
{
	if (!pf_enabled || !pvp_hold_active(h, scope))
		return false;
	h->vetoed = true;
	return true;
}

/**
 * pvp_hold_enable_begin - pci_enable_pasid() of the PF starts
 * @h: bookkeeping of the PF
 *
 * Until the matching pvp_hold_enable_end(), an owed disable is not applied:
 * the enable writes PASID Control itself, and a disable written meanwhile
 * would leave the hardware disabled under a PCI core and an IOMMU driver
 * that believe it enabled.
 */
void pvp_hold_enable_begin(struct pvp_hold *h)
{
	h->enabling++;
}

/**
 * pvp_hold_enable_end - pci_enable_pasid() of the PF returned
 * @h: bookkeeping of the PF
 * @scope: the guard's scope
 * @enabled: it returned 0: the PF's PASID is enabled, hardware and core
 *
 * An enable that succeeded cancels the owed disable.  One that failed did
 * not write PASID Control: the disable stays owed, and is due now if the
 * guard lifted while the enable was in flight.  An unbalanced call changes
 * nothing.
 *
 * Return: PVP_HOLD_APPLY when the owed disable is due now (the guard's
 * RELEASED was already reported when it lifted), else PVP_HOLD_NOTHING.
 */
enum pvp_hold_action pvp_hold_enable_end(struct pvp_hold *h,
					 enum pvp_scope scope, bool enabled)
{
	if (!h->enabling)
		return PVP_HOLD_NOTHING;
	h->enabling--;
	if (enabled) {
		h->vetoed = false;
		return PVP_HOLD_NOTHING;
	}
	if (h->vetoed && !h->enabling && !pvp_hold_active(h, scope)) {
		h->vetoed = false;
		return PVP_HOLD_APPLY;
	}
	return PVP_HOLD_NOTHING;
}

/**
 * pvp_hold_apply_check - may an owed disable be written now?
 * @present: the PF is still registered (a PF removed and rescanned at its
 *	address is another pci_dev, whose config space this one must not write)
 * @pf_enabled: the PCI core records the PF's PASID as enabled
 * @ats_enabled: the PF's ATS is enabled (the core's flag or the hardware's
 *	ATS Control Enable bit)
 *
 * Return: PVP_APPLY_WRITE, or why the write must not happen.  For ATS: the
 * PCIe Base Specification (4.0 r1.0, sec 10.5.1.3, ATS Control Register,
 * ATS Enable) says "Behavior is undefined if this bit is Set and the value
 * of the PASID Enable, Execute Requested Enable, or Privileged Mode
 * Requested bits are changed".
 */
enum pvp_hold_apply pvp_hold_apply_check(bool present, bool pf_enabled,
					 bool ats_enabled)
{
	if (!present)
		return PVP_APPLY_GONE;
	if (pf_enabled)
		return PVP_APPLY_REENABLED;
	if (ats_enabled)
		return PVP_APPLY_ATS;
	return PVP_APPLY_WRITE;
}
