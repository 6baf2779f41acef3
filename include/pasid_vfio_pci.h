/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pasid-vfio-pci: interface for PF drivers that cooperate with the PF guard.
 *
 * While VFs of a PF are bound to pasid-vfio-pci (guard=bound) or open by
 * userspace (guard=open), the PF's PASID must stay enabled: the VFs use it.
 * A PF driver (or an IOMMU driver) about to disable it can ask first, or
 * subscribe to the guard's transitions.  The module vetoes disables it sees
 * anyway; asking is the polite way.
 */
#ifndef PASID_VFIO_PCI_H
#define PASID_VFIO_PCI_H

#include <linux/notifier.h>
#include <linux/pci.h>

/* Notifier events; the data argument is the PF's struct pci_dev */
enum pasid_vfio_pci_event {
	PASID_VFIO_PCI_GUARD_HELD = 1,	/* the PF's PASID must stay enabled */
	PASID_VFIO_PCI_GUARD_RELEASED,	/* it may be disabled again */
};

/**
 * pasid_vfio_pci_pasid_in_use - do VFs depend on the PF's PASID now?
 * @pf: the physical function
 *
 * Return: true while the guard holds @pf (or, with guard=off, while a VF of
 * @pf is open with PASID exposed); the caller should then not disable the
 * PF's PASID.
 */
bool pasid_vfio_pci_pasid_in_use(struct pci_dev *pf);

/**
 * pasid_vfio_pci_register_notifier - follow the guard's transitions
 * @nb: notifier block
 *
 * Callbacks run in process context on an ordered workqueue of the module,
 * one transition at a time, in the order the transitions happened, with no
 * device lock held: they may sleep and may take the PF's device lock.  They
 * run shortly after the transition, not within it (a VF's probe or remove
 * may hold its own or its PF's device lock, and the PF's sriov_configure()
 * holds the PF's); pasid_vfio_pci_pasid_in_use() called from a callback
 * tells the state at that moment, which may already have moved on.
 * Transitions still queued are delivered before the module unloads.
 *
 * Return: 0 or a negative errno.
 */
int pasid_vfio_pci_register_notifier(struct notifier_block *nb);
int pasid_vfio_pci_unregister_notifier(struct notifier_block *nb);

#endif /* PASID_VFIO_PCI_H */
