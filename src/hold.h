/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PF guard bookkeeping of pasid-vfio-pci: how many VFs of one PF are bound
 * and open, whether the guard holds the PF's PASID enabled for them, and
 * whether a disable was vetoed and is owed when the guard lifts.  Pure
 * logic: the locking, the PFs and the ftrace hook live in guard.c.
 */
#ifndef PVP_HOLD_H
#define PVP_HOLD_H

#include <linux/types.h>

enum pvp_scope {
	PVP_SCOPE_OFF,		/* never veto */
	PVP_SCOPE_BOUND,	/* while any VF of the PF is bound */
	PVP_SCOPE_OPEN,		/* while any VF of the PF is open */
};

struct pvp_hold {
	unsigned int bound;	/* VFs bound with a PASID capability */
	unsigned int open;	/* of those, open by userspace */
	unsigned int enabling;	/* pci_enable_pasid() calls in flight */
	bool vetoed;		/* a disable was vetoed and not yet applied */
};

/* What the caller must do after an event */
enum pvp_hold_action {
	PVP_HOLD_NOTHING,
	PVP_HOLD_HELD,		/* the guard started holding */
	PVP_HOLD_RELEASED,	/* the guard stopped holding */
	PVP_HOLD_APPLY,		/* stopped, and the vetoed disable is owed */
};

/* What applying an owed disable comes to, decided with the guard's lock held */
enum pvp_hold_apply {
	PVP_APPLY_NONE,		/* nothing was owed */
	PVP_APPLY_WRITE,	/* write PASID Control = 0 */
	PVP_APPLY_GONE,		/* the PF was removed: not this pci_dev's to write */
	PVP_APPLY_REENABLED,	/* the PCI core has the PASID enabled again */
	PVP_APPLY_ATS,		/* ATS is enabled: PASID Enable must not change */
};

int pvp_scope_parse(const char *s, enum pvp_scope *scope);
const char *pvp_scope_name(enum pvp_scope scope);

bool pvp_hold_active(const struct pvp_hold *h, enum pvp_scope scope);
bool pvp_hold_idle(const struct pvp_hold *h);
enum pvp_hold_action pvp_hold_bind(struct pvp_hold *h, enum pvp_scope scope);
enum pvp_hold_action pvp_hold_unbind(struct pvp_hold *h, enum pvp_scope scope);
enum pvp_hold_action pvp_hold_open(struct pvp_hold *h, enum pvp_scope scope);
enum pvp_hold_action pvp_hold_close(struct pvp_hold *h, enum pvp_scope scope);
bool pvp_hold_veto(struct pvp_hold *h, enum pvp_scope scope, bool pf_enabled);
void pvp_hold_enable_begin(struct pvp_hold *h);
enum pvp_hold_action pvp_hold_enable_end(struct pvp_hold *h,
					 enum pvp_scope scope, bool enabled);
enum pvp_hold_apply pvp_hold_apply_check(bool present, bool pf_enabled,
					 bool ats_enabled);

#endif /* PVP_HOLD_H */
