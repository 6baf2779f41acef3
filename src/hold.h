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
	bool vetoed;		/* a disable was vetoed and not yet applied */
};

/* What the caller must do after an event */
enum pvp_hold_action {
	PVP_HOLD_NOTHING,
	PVP_HOLD_HELD,		/* the guard started holding */
	PVP_HOLD_RELEASED,	/* the guard stopped holding */
	PVP_HOLD_APPLY,		/* stopped, and the vetoed disable is owed */
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

#endif /* PVP_HOLD_H */
