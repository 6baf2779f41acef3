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
 * @nb: notifier block; called in process context, may sleep
 *
 * Return: 0 or a negative errno.
 */
int pasid_vfio_pci_register_notifier(struct notifier_block *nb);
int pasid_vfio_pci_unregister_notifier(struct notifier_block *nb);

#endif /* PASID_VFIO_PCI_H */
