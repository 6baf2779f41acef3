// SPDX-License-Identifier: GPL-2.0
/*
 * Capability model of pasid-vfio-pci.  See ecap.h and the README's
 * "Placement" and "Emulated registers" sections for the rules encoded here.
 */
#include <linux/align.h>
#include <linux/bitfield.h>
#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/pci_regs.h>
#include <linux/string.h>

#include "ecap.h"

#define PVP_MAX_HEADERS		((PVP_ECAP_END - PVP_ECAP_BASE) / 4)
#define PVP_LEN_UNKNOWN		0

/* Config space is little-endian; the model keeps it as bytes */
static u32 pvp_get_le32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static void pvp_put_le32(u32 v, u8 *p)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void pvp_put_le16(u16 v, u8 *p)
{
	p[0] = v;
	p[1] = v >> 8;
}

static u16 pvp_hdr_next(u32 hdr)
{
	return (hdr >> 20) & 0xffc;
}

/* Length of fixed-size capabilities, from the PCIe Base Specification */
static const u8 pvp_fixed_len[] = {
	[0x00]				= 4,	/* null capability */
	[PCI_EXT_CAP_ID_ERR]		= 0x48,
	[PCI_EXT_CAP_ID_DSN]		= 0x0c,
	[PCI_EXT_CAP_ID_PWR]		= 0x10,
	[PCI_EXT_CAP_ID_ARI]		= 8,
	[PCI_EXT_CAP_ID_ATS]		= 8,
	[PCI_EXT_CAP_ID_SRIOV]		= 0x40,
	[PCI_EXT_CAP_ID_MCAST]		= 0x30,
	[PCI_EXT_CAP_ID_PRI]		= 0x10,
	[PCI_EXT_CAP_ID_LTR]		= 8,
	[PCI_EXT_CAP_ID_PASID]		= 8,
	[PCI_EXT_CAP_ID_L1SS]		= 0x10,
	[PCI_EXT_CAP_ID_PTM]		= 0x0c,
	[0x25]				= 0x0c,	/* Data Link Feature */
};

/*
 * Real length of the capability at @pos, or PVP_LEN_UNKNOWN when it cannot
 * be derived from its own registers.
 */
static int pvp_cap_len(pvp_read32_t rd, void *ctx, u16 pos, u32 hdr)
{
	u16 id = hdr & 0xffff;
	unsigned int n;
	u32 dw;
	int ret;

	/* Registers a length would come from must be inside config space */
	switch (id) {
	case PCI_EXT_CAP_ID_ACS:
	case PCI_EXT_CAP_ID_VNDR:
	case PCI_EXT_CAP_ID_DVSEC:
		if (pos + 8 > PVP_ECAP_END)
			return PVP_LEN_UNKNOWN;
		break;
	case PCI_EXT_CAP_ID_REBAR:
	case PVP_EXT_CAP_ID_VF_REBAR:
		if (pos + 12 > PVP_ECAP_END)
			return PVP_LEN_UNKNOWN;
		break;
	}

	switch (id) {
	case PCI_EXT_CAP_ID_ACS:
		ret = rd(ctx, pos + 4, &dw);
		if (ret)
			return ret;
		/* An Egress Control Vector follows: its size is not tracked */
		return (dw & PCI_ACS_EC) ? PVP_LEN_UNKNOWN : 8;
	case PCI_EXT_CAP_ID_VNDR:
	case PCI_EXT_CAP_ID_DVSEC:
		ret = rd(ctx, pos + 4, &dw);
		if (ret)
			return ret;
		n = dw >> 20;
		return n < 8 ? PVP_LEN_UNKNOWN : n;
	case PCI_EXT_CAP_ID_REBAR:
	case PVP_EXT_CAP_ID_VF_REBAR:
		ret = rd(ctx, pos + 8, &dw);
		if (ret)
			return ret;
		n = (dw >> 5) & 7;
		return (n == 0 || n > 6) ? PVP_LEN_UNKNOWN : 4 + 8 * n;
	}
	if (id < ARRAY_SIZE(pvp_fixed_len) && pvp_fixed_len[id])
		return pvp_fixed_len[id];
	return PVP_LEN_UNKNOWN;
}

static bool pvp_hdr_absent(u32 hdr)
{
	return hdr == 0 || hdr == ~0U;
}

/**
 * pvp_layout_scan - record what the device occupies in extended config space
 * @l: layout to fill
 * @rd: reads the device's physical config space
 * @ctx: argument of @rd
 *
 * Walks the physical extended capability chain, hidden capabilities
 * included, and records each capability with its real length.  A capability
 * whose length cannot be known is taken to reach the next capability above
 * it, or the end of config space, so nothing the device has is ever treated
 * as free.
 *
 * Return: 0, -ELOOP for a looping chain, -E2BIG for too many capabilities,
 * or the error of @rd.
 */
int pvp_layout_scan(struct pvp_layout *l, pvp_read32_t rd, void *ctx)
{
	u16 pos = PVP_ECAP_BASE;
	unsigned int i, j, steps = 0;
	u32 hdr;
	int ret;

	l->nr = 0;
	while (pos >= PVP_ECAP_BASE) {
		ret = rd(ctx, pos, &hdr);
		if (ret)
			return ret;
		if (pvp_hdr_absent(hdr))
			break;
		if (++steps > PVP_MAX_HEADERS)
			return -ELOOP;
		for (i = 0; i < l->nr; i++)
			if (l->r[i].start == pos)
				return -ELOOP;
		if (l->nr == PVP_MAX_RANGES)
			return -E2BIG;
		ret = pvp_cap_len(rd, ctx, pos, hdr);
		if (ret < 0)
			return ret;
		l->r[l->nr].start = pos;
		l->r[l->nr].len = ret;
		l->nr++;
		pos = pvp_hdr_next(hdr);
	}

	for (i = 0; i < l->nr; i++) {
		struct pvp_range *r = &l->r[i];
		unsigned int end = PVP_ECAP_END;

		if (r->len == PVP_LEN_UNKNOWN) {
			for (j = 0; j < l->nr; j++)
				if (l->r[j].start > r->start &&
				    l->r[j].start < end)
					end = l->r[j].start;
			r->len = end - r->start;
		}
		r->len = min_t(unsigned int, r->len, PVP_ECAP_END - r->start);
	}
	return 0;
}

/**
 * pvp_layout_free - is a range free to hold an emulated capability?
 * @l: layout of the device
 * @off: start of the range
 * @len: length of the range
 *
 * Return: true if the range is dword aligned, inside extended config space
 * and overlaps nothing recorded in @l.
 */
bool pvp_layout_free(const struct pvp_layout *l, unsigned int off,
		     unsigned int len)
{
	unsigned int i;

	if (off % 4 || off < PVP_ECAP_BASE || !len ||
	    off + len > PVP_ECAP_END)
		return false;
	for (i = 0; i < l->nr; i++)
		if (off < l->r[i].start + l->r[i].len &&
		    l->r[i].start < off + len)
			return false;
	return true;
}

/**
 * pvp_layout_add - record a range as used
 * @l: layout
 * @off: start
 * @len: length
 *
 * Return: 0 or -E2BIG when @l is full.
 */
int pvp_layout_add(struct pvp_layout *l, u16 off, u16 len)
{
	if (l->nr == PVP_MAX_RANGES)
		return -E2BIG;
	l->r[l->nr].start = off;
	l->r[l->nr].len = len;
	l->nr++;
	return 0;
}

static const char * const pvp_placement_names[] = {
	[PVP_PLACE_NONE]	= "none",
	[PVP_PLACE_HEAD]	= "head",
	[PVP_PLACE_OVERRIDE]	= "override",
	[PVP_PLACE_PF_OFFSET]	= "pf-offset",
	[PVP_PLACE_FREE]	= "free-space",
	[PVP_PLACE_OWN]		= "own",
};

const char *pvp_placement_name(enum pvp_placement how)
{
	if ((unsigned int)how >= ARRAY_SIZE(pvp_placement_names))
		return "invalid";
	return pvp_placement_names[how];
}

/**
 * pvp_place - choose where an emulated capability goes
 * @l: layout of the device (pvp_layout_scan() plus earlier placements)
 * @len: length of the capability
 * @pf_off: offset of the capability on the PF, 0 if unknown
 * @override: offset the admin asked for, 0 for none
 * @off: chosen offset
 * @how: why there
 *
 * The rule, in order: a device without extended capabilities gets it as the
 * head of the chain at 0x100; an admin override is taken if it is free; the
 * PF's offset is taken if it is free (the PF's layout is often the VF's
 * template); otherwise the highest free dword-aligned range, scanning down
 * from the end of config space (where QEMU places its own synthesized PASID
 * capability).
 *
 * Return: 0, -EINVAL for an override outside config space or misaligned,
 * -EBUSY for an override overlapping the device, -ENOSPC for no room.
 */
int pvp_place(const struct pvp_layout *l, u16 len, u16 pf_off, u16 override,
	      u16 *off, enum pvp_placement *how)
{
	int o;

	*off = 0;
	*how = PVP_PLACE_NONE;

	if (!l->nr) {
		if (override && override != PVP_ECAP_BASE)
			return -EINVAL;
		if (!pvp_layout_free(l, PVP_ECAP_BASE, len))
			return -ENOSPC;
		*off = PVP_ECAP_BASE;
		*how = PVP_PLACE_HEAD;
		return 0;
	}

	if (override) {
		if (override % 4 || override < PVP_ECAP_BASE ||
		    override + len > PVP_ECAP_END)
			return -EINVAL;
		if (!pvp_layout_free(l, override, len))
			return -EBUSY;
		*off = override;
		*how = PVP_PLACE_OVERRIDE;
		return 0;
	}

	if (pf_off && pvp_layout_free(l, pf_off, len)) {
		*off = pf_off;
		*how = PVP_PLACE_PF_OFFSET;
		return 0;
	}

	for (o = ALIGN_DOWN(PVP_ECAP_END - len, 4); o >= PVP_ECAP_BASE; o -= 4) {
		if (pvp_layout_free(l, o, len)) {
			*off = o;
			*how = PVP_PLACE_FREE;
			return 0;
		}
	}
	return -ENOSPC;
}

/* Parse one hex field of at most @max; advance *@s past it */
static int pvp_parse_hex(const char **s, unsigned int max, unsigned int *val)
{
	const char *p = *s;
	unsigned int v = 0;
	int digits = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	while (isxdigit(*p)) {
		v = v * 16 + (isdigit(*p) ? *p - '0' : tolower(*p) - 'a' + 10);
		p++;
		if (v > max || ++digits > 8)
			return -EINVAL;
	}
	if (!digits)
		return -EINVAL;
	*val = v;
	*s = p;
	return 0;
}

struct pvp_override {
	unsigned int domain, bus, dev, fn, off;
};

/* Parse "[DDDD:]BB:DD.F=OFF" at *@s; advance past it */
static int pvp_parse_entry(const char **s, struct pvp_override *o)
{
	unsigned int a, b;

	/* Linux numbers PCI domains in 32 bits (VMD's start at 0x10000) */
	if (pvp_parse_hex(s, U32_MAX, &a) || *(*s)++ != ':' ||
	    pvp_parse_hex(s, 0xffff, &b))
		return -EINVAL;
	if (**s == ':') {
		(*s)++;
		o->domain = a;
		o->bus = b;
		if (pvp_parse_hex(s, 0x1f, &o->dev))
			return -EINVAL;
	} else {
		o->domain = 0;
		o->bus = a;
		o->dev = b;
	}
	if (o->bus > 0xff || o->dev > 0x1f || *(*s)++ != '.' ||
	    pvp_parse_hex(s, 7, &o->fn) || *(*s)++ != '=' ||
	    pvp_parse_hex(s, 0xffff, &o->off))
		return -EINVAL;
	if (o->off % 4 || o->off < PVP_ECAP_BASE ||
	    o->off > PVP_ECAP_END - 8)
		return -EINVAL;
	return 0;
}

static bool pvp_same_dev(const struct pvp_override *a,
			 const struct pvp_override *b)
{
	return a->domain == b->domain && a->bus == b->bus &&
	       a->dev == b->dev && a->fn == b->fn;
}

/* Is the device of @o named by an entry of @spec before @end? */
static bool pvp_override_dup(const char *spec, const char *end,
			     const struct pvp_override *o)
{
	struct pvp_override p;
	const char *s = spec;

	while (s < end) {
		if (pvp_parse_entry(&s, &p))
			return false;
		if (s < end && pvp_same_dev(&p, o))
			return true;
		s++;	/* the comma */
	}
	return false;
}

/*
 * Walk the whole spec; with @want set, report its offset.  Any malformed
 * entry or a device named twice invalidates the whole spec, so an admin's
 * typo never applies half a configuration.
 */
static int pvp_override_walk(const char *spec, const struct pvp_override *want,
			     u16 *off)
{
	struct pvp_override o;
	const char *s = spec, *entry;
	bool found = false;

	if (!s || !*s || (s[0] == '\n' && !s[1]))
		return want ? -ENOENT : 0;

	for (;;) {
		entry = s;
		if (pvp_parse_entry(&s, &o) ||
		    pvp_override_dup(spec, entry, &o))
			return -EINVAL;
		if (want && pvp_same_dev(want, &o)) {
			*off = o.off;
			found = true;
		}
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s == '\n')
			s++;
		if (*s)
			return -EINVAL;
		break;
	}
	if (!want)
		return 0;
	return found ? 0 : -ENOENT;
}

/**
 * pvp_override_find - look up a device in a pasid_offset= spec
 * @spec: comma-separated "[DDDD:]BB:DD.F=OFF" entries, hex
 * @domain: PCI domain of the device
 * @bus: bus number
 * @devfn: PCI_DEVFN() of the device
 * @off: the offset asked for
 *
 * Return: 0, -ENOENT if the device is not listed, -EINVAL if @spec is
 * malformed anywhere.
 */
int pvp_override_find(const char *spec, u32 domain, u8 bus, u8 devfn,
		      u16 *off)
{
	struct pvp_override want = {
		.domain = domain, .bus = bus,
		.dev = devfn >> 3, .fn = devfn & 7,
	};

	return pvp_override_walk(spec, &want, off);
}

/**
 * pvp_override_check - validate a pasid_offset= spec
 * @spec: the spec
 *
 * Return: 0 or -EINVAL.
 */
int pvp_override_check(const char *spec)
{
	return pvp_override_walk(spec, NULL, NULL);
}

/**
 * pvp_shared_caps_parse - parse the shared_caps= module parameter
 * @s: "pasid" or "pasid,pri" (in any order), a trailing newline tolerated
 * @caps: PVP_SHARED_* bits
 *
 * PRI is only offered beside PASID: it serves shared virtual addressing,
 * which needs both, and it then always follows PASID in the chain.
 *
 * Return: 0 or -EINVAL.
 */
int pvp_shared_caps_parse(const char *s, unsigned int *caps)
{
	unsigned int c = 0, bit;
	size_t n;

	if (!s)
		return -EINVAL;
	while (*s && *s != '\n') {
		n = strcspn(s, ",\n");
		if (n == 5 && !strncmp(s, "pasid", 5))
			bit = PVP_SHARED_PASID;
		else if (n == 3 && !strncmp(s, "pri", 3))
			bit = PVP_SHARED_PRI;
		else
			return -EINVAL;
		if (c & bit)
			return -EINVAL;
		c |= bit;
		s += n;
		if (*s == ',' && (*++s == '\0' || *s == '\n'))
			return -EINVAL;
	}
	if (*s == '\n' && s[1])
		return -EINVAL;
	if (!(c & PVP_SHARED_PASID))
		return -EINVAL;
	*caps = c;
	return 0;
}

/**
 * pvp_chain_tail - find the last header of the chain userspace sees
 * @rd: reads config space as userspace sees it
 * @ctx: argument of @rd
 * @tail: offset of the last header
 * @tail_hdr: its value
 *
 * Return: 0, -ELOOP or the error of @rd.
 */
int pvp_chain_tail(pvp_read32_t rd, void *ctx, u16 *tail, u32 *tail_hdr)
{
	unsigned int steps = 0;
	u16 pos = PVP_ECAP_BASE;
	u32 hdr;
	int ret;

	for (;;) {
		ret = rd(ctx, pos, &hdr);
		if (ret)
			return ret;
		if (pvp_hdr_next(hdr) < PVP_ECAP_BASE)
			break;
		if (++steps > PVP_MAX_HEADERS)
			return -ELOOP;
		pos = pvp_hdr_next(hdr);
	}
	*tail = pos;
	*tail_hdr = hdr;
	return 0;
}

/**
 * pvp_expose_parse - parse the expose= module parameter
 * @s: "auto" or "always", a trailing newline tolerated
 * @expose: the value
 *
 * Return: 0 or -EINVAL.
 */
int pvp_expose_parse(const char *s, enum pvp_expose *expose)
{
	if (!s)
		return -EINVAL;
	if (sysfs_streq(s, "auto"))
		*expose = PVP_EXPOSE_AUTO;
	else if (sysfs_streq(s, "always"))
		*expose = PVP_EXPOSE_ALWAYS;
	else
		return -EINVAL;
	return 0;
}

const char *pvp_expose_name(enum pvp_expose expose)
{
	return expose == PVP_EXPOSE_ALWAYS ? "always" : "auto";
}

const char *pvp_backend_name(enum pvp_backend backend)
{
	switch (backend) {
	case PVP_BACKEND_CONTAINER:
		return "a VFIO container (type1)";
	case PVP_BACKEND_COMPAT:
		return "iommufd's compat container";
	case PVP_BACKEND_CDEV:
		return "the VFIO device cdev";
	}
	return "?";
}

/**
 * pvp_expose_allows - may a VF's PASID capability be shown to this user?
 * @expose: the policy
 * @backend: how the device was opened
 * @pasid_attach: the kernel can attach page tables to a device's PASIDs
 *	(VFIO_DEVICE_ATTACH_IOMMUFD_PT with a PASID)
 *
 * A guest's PASID-tagged DMA is translated only where the host attached
 * its PASIDs: a type1 or compat container attaches the RID alone, so under
 * "auto" the capability is shown only through the device cdev of a kernel
 * with PASID attach.  "always" shows it on any backend.
 */
bool pvp_expose_allows(enum pvp_expose expose, enum pvp_backend backend,
		       bool pasid_attach)
{
	if (expose == PVP_EXPOSE_ALWAYS)
		return true;
	return backend == PVP_BACKEND_CDEV && pasid_attach;
}

/**
 * pvp_pasid_cap_check - can a PF's PASID Capability register be mirrored?
 * @pf_cap: the register as read
 *
 * All ones is what a read of a device that is gone or in D3cold returns;
 * a Max PASID Width above 20 is outside the specification (PASIDs are 20
 * bits).  Neither describes a PASID a VF can use.
 *
 * Return: 0, -EIO for all ones, -ERANGE for a width above 20.
 */
int pvp_pasid_cap_check(u16 pf_cap)
{
	if (pf_cap == 0xffff)
		return -EIO;
	if (FIELD_GET(PVP_PASID_CAP_WIDTH, pf_cap) > PVP_PASID_WIDTH_MAX)
		return -ERANGE;
	return 0;
}

/**
 * pvp_pasid_vf_cap - the Capability register a VF of this PF shows
 * @pf_cap: the PF's PASID Capability register
 * @pf_ctrl: the PF's PASID Control register, from hardware
 * @host_width: log2 of the PASIDs the host IOMMU lets the VF use; negative
 *	when unknown or none (then the PF's width stands)
 *
 * A VF's PASID traffic obeys its PF's Control register: the Execute and
 * Privileged Mode it may use are those the PF has enabled, not merely
 * supports (AMD's IOMMU driver enables neither).  Max PASID Width is the
 * PF's, but no more than the host IOMMU translates for the VF: a guest
 * using a PASID above that gets no attach and faults.  An all-ones Control
 * (the PF is gone) enables nothing.
 */
u16 pvp_pasid_vf_cap(u16 pf_cap, u16 pf_ctrl, int host_width)
{
	u16 cap = pf_cap & (PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV |
			    PVP_PASID_CAP_WIDTH);

	if (host_width >= 0 &&
	    host_width < (int)FIELD_GET(PVP_PASID_CAP_WIDTH, cap))
		cap = (cap & ~PVP_PASID_CAP_WIDTH) |
		      FIELD_PREP(PVP_PASID_CAP_WIDTH, host_width);

	if (pf_ctrl == 0xffff)
		pf_ctrl = 0;
	if (!(pf_ctrl & PCI_PASID_CTRL_EXEC))
		cap &= ~PCI_PASID_CAP_EXEC;
	if (!(pf_ctrl & PCI_PASID_CTRL_PRIV))
		cap &= ~PCI_PASID_CAP_PRIV;
	return cap;
}

/**
 * pvp_pasid_init - build the PASID capability mirroring a PF
 * @c: capability to initialise
 * @off: where it lives
 * @pf_cap: the PF's PASID Capability register
 *
 * The Capability register carries the PF's Exec, Privileged and Max PASID
 * Width fields, read-only.  In the Control register, PASID Enable is
 * writable, Exec and Privileged Mode Enable only where the PF supports
 * them; everything else is read-only zero.
 */
void pvp_pasid_init(struct pvp_ecap *c, u16 off, u16 pf_cap)
{
	u16 cap = pf_cap & (PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV |
			    PVP_PASID_CAP_WIDTH);
	u16 ctrl = PCI_PASID_CTRL_ENABLE;

	if (pf_cap & PCI_PASID_CAP_EXEC)
		ctrl |= PCI_PASID_CTRL_EXEC;
	if (pf_cap & PCI_PASID_CAP_PRIV)
		ctrl |= PCI_PASID_CTRL_PRIV;

	memset(c, 0, sizeof(*c));
	c->off = off;
	c->len = PCI_EXT_CAP_PASID_SIZEOF;
	c->kind = PVP_ECAP_PASID;
	pvp_put_le32(PCI_EXT_CAP_ID_PASID | 1 << 16, &c->val[0]);
	pvp_put_le16(cap, &c->val[PCI_PASID_CAP]);
	pvp_put_le16(ctrl, &c->rw[PCI_PASID_CTRL]);
	memcpy(c->rst, c->val, sizeof(c->rst));
}

/**
 * pvp_pri_init - build the Page Request Interface capability mirroring a PF
 * @c: capability to initialise
 * @off: where it lives
 * @pf_status: the PF's PRI Status register
 * @pf_capacity: the PF's Outstanding Page Request Capacity
 *
 * Capacity and PRG Response PASID Required mirror the PF, read-only.  Enable
 * and the Outstanding Page Request Allocation are the VF's own, the latter
 * kept within the PF's capacity.  Response Failure and Unexpected PRG Index
 * are write-1-to-clear.  Reset reads 0: the outstanding requests it would
 * discard belong to the PF's shared state, which one VF must not reset.
 * Stopped reads 1 exactly while the VF's Enable is clear.
 */
void pvp_pri_init(struct pvp_ecap *c, u16 off, u16 pf_status, u32 pf_capacity)
{
	u16 status = PCI_PRI_STATUS_STOPPED | (pf_status & PCI_PRI_STATUS_PASID);

	memset(c, 0, sizeof(*c));
	c->off = off;
	c->len = PCI_EXT_CAP_PRI_SIZEOF;
	c->kind = PVP_ECAP_PRI;
	pvp_put_le32(PCI_EXT_CAP_ID_PRI | 1 << 16, &c->val[0]);
	pvp_put_le16(status, &c->val[PCI_PRI_STATUS]);
	pvp_put_le32(pf_capacity, &c->val[PCI_PRI_MAX_REQ]);
	pvp_put_le16(PCI_PRI_CTRL_ENABLE, &c->rw[PCI_PRI_CTRL]);
	pvp_put_le32(~0U, &c->rw[PCI_PRI_ALLOC_REQ]);
	pvp_put_le16(PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI,
		     &c->rw1c[PCI_PRI_STATUS]);
	memcpy(c->rst, c->val, sizeof(c->rst));
}

/* Registers derived from others, after every change */
static void pvp_ecap_fixup(struct pvp_ecap *c)
{
	u32 cap, alloc;

	if (c->kind != PVP_ECAP_PRI)
		return;
	if (c->val[PCI_PRI_CTRL] & PCI_PRI_CTRL_ENABLE)
		c->val[PCI_PRI_STATUS + 1] &= ~(PCI_PRI_STATUS_STOPPED >> 8);
	else
		c->val[PCI_PRI_STATUS + 1] |= PCI_PRI_STATUS_STOPPED >> 8;
	cap = pvp_get_le32(&c->val[PCI_PRI_MAX_REQ]);
	alloc = pvp_get_le32(&c->val[PCI_PRI_ALLOC_REQ]);
	if (alloc > cap)
		pvp_put_le32(cap, &c->val[PCI_PRI_ALLOC_REQ]);
}

/* Offset of the Enable bit (bit 0 of its byte) of a shared capability */
static int pvp_ecap_enable_byte(const struct pvp_ecap *c)
{
	switch (c->kind) {
	case PVP_ECAP_PASID:
		return PCI_PASID_CTRL;
	case PVP_ECAP_PRI:
		return PCI_PRI_CTRL;
	default:
		return -1;
	}
}

/**
 * pvp_ecap_set_pf_enabled - follow the PF's Enable of a shared capability
 * @c: PASID or PRI capability
 * @enabled: whether the PF's capability is enabled
 *
 * A VF can use PASID or PRI only while its PF's is enabled.  While it is
 * not, the guest's Enable does not latch and reads 0, so a guest that reads
 * it back is never told the feature works.
 */
void pvp_ecap_set_pf_enabled(struct pvp_ecap *c, bool enabled)
{
	int b = pvp_ecap_enable_byte(c);

	if (b < 0)
		return;
	if (enabled) {
		c->rw[b] |= 1;
	} else {
		c->rw[b] &= ~1;
		c->val[b] &= ~1;
		pvp_ecap_fixup(c);
	}
}

static void pvp_ecap_set_next(struct pvp_ecap *c, u16 next)
{
	u32 hdr = pvp_get_le32(&c->val[0]);

	hdr = (hdr & 0xfffff) | (u32)next << 20;
	pvp_put_le32(hdr, &c->val[0]);
	pvp_put_le32(hdr, &c->rst[0]);
}

/**
 * pvp_emu_link - splice the emulated capabilities into the chain
 * @e: state with its capabilities initialised, in chain order
 * @hdr0: header at 0x100 as userspace sees it
 * @tail: last header of the chain userspace sees (pvp_chain_tail())
 * @tail_hdr: its value
 *
 * A capability at 0x100 replaces the header there (free, or vfio's anchor
 * for a hidden first capability) and keeps its continuation; the others are
 * appended after @tail, whose Next field is then emulated too.
 *
 * Return: 0 or -EINVAL for an inconsistent layout.
 */
int pvp_emu_link(struct pvp_emu *e, u32 hdr0, u16 tail, u32 tail_hdr)
{
	unsigned int i, j, first = 0;
	u16 link = 0;
	u32 link_hdr;

	if (!e->nr || e->nr > PVP_MAX_ECAPS)
		return -EINVAL;

	/* Where the chain is entered: a head cap, and/or after @tail */
	if (e->cap[0].off == PVP_ECAP_BASE)
		first = 1;
	if (first < e->nr && !(first && tail == PVP_ECAP_BASE))
		link = tail;

	/* Check everything before changing anything */
	for (i = 0; i < e->nr; i++) {
		for (j = 0; j < i; j++)
			if (pvp_overlaps(e->cap[i].off, e->cap[i].len,
					 e->cap[j].off, e->cap[j].len))
				return -EINVAL;
		if (link && pvp_overlaps(e->cap[i].off, e->cap[i].len,
					 link + 2, 2))
			return -EINVAL;
	}

	for (i = 0; i < e->nr; i++)
		pvp_ecap_set_next(&e->cap[i], i + 1 < e->nr ?
				  e->cap[i + 1].off : 0);
	/* A head cap in front of visible caps keeps their chain */
	if (first && tail != PVP_ECAP_BASE)
		pvp_ecap_set_next(&e->cap[0], pvp_hdr_next(hdr0));

	e->link = link;
	if (link) {
		link_hdr = (tail_hdr & 0xfffff) | (u32)e->cap[first].off << 20;
		e->link_hi[0] = link_hdr >> 16;
		e->link_hi[1] = link_hdr >> 24;
	}

	e->lo = PVP_ECAP_END;
	e->hi = 0;
	for (i = 0; i < e->nr; i++) {
		e->lo = min_t(u16, e->lo, e->cap[i].off);
		e->hi = max_t(u16, e->hi, e->cap[i].off + e->cap[i].len);
	}
	if (link) {
		e->lo = min_t(u16, e->lo, link + 2);
		e->hi = max_t(u16, e->hi, link + 4);
	}
	return 0;
}

/* The capability holding byte @pos, or NULL */
static struct pvp_ecap *pvp_emu_cap(const struct pvp_emu *e, unsigned int pos)
{
	unsigned int i;

	for (i = 0; i < e->nr; i++)
		if (pos >= e->cap[i].off && pos < e->cap[i].off + e->cap[i].len)
			return (struct pvp_ecap *)&e->cap[i];
	return NULL;
}

static bool pvp_emu_is_link(const struct pvp_emu *e, unsigned int pos)
{
	return e->link && pos >= e->link + 2u && pos < e->link + 4u;
}

static bool pvp_emu_owns(const struct pvp_emu *e, unsigned int pos)
{
	return pvp_emu_is_link(e, pos) || pvp_emu_cap(e, pos);
}

/**
 * pvp_emu_run - length of the run of bytes with the same emulation status
 * @e: state
 * @pos: first byte
 * @count: length of the access, at least 1
 * @emulated: set to whether byte @pos is emulated
 *
 * Return: number of bytes from @pos, at most @count, that are all emulated
 * or all not.
 */
unsigned int pvp_emu_run(const struct pvp_emu *e, unsigned int pos,
			 unsigned int count, bool *emulated)
{
	unsigned int n = 1;

	*emulated = pvp_emu_owns(e, pos);
	while (n < count && pvp_emu_owns(e, pos + n) == *emulated)
		n++;
	return n;
}

/**
 * pvp_emu_read - overlay emulated bytes on a read
 * @e: state
 * @pos: config offset of @buf[0]
 * @buf: bytes read; emulated ones are replaced
 * @count: length
 */
void pvp_emu_read(const struct pvp_emu *e, unsigned int pos, u8 *buf,
		  unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		unsigned int p = pos + i;
		const struct pvp_ecap *c = pvp_emu_cap(e, p);

		if (c)
			buf[i] = c->val[p - c->off];
		else if (pvp_emu_is_link(e, p))
			buf[i] = e->link_hi[p - e->link - 2];
	}
}

/**
 * pvp_emu_write - apply a write to emulated bytes
 * @e: state
 * @pos: config offset of @buf[0]
 * @buf: bytes written
 * @count: length
 *
 * Only emulated capability bytes change, bit by bit as their masks say,
 * then registers derived from others follow; everything else, the
 * rewritten Next field included, is read-only here.
 */
void pvp_emu_write(struct pvp_emu *e, unsigned int pos, const u8 *buf,
		   unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		struct pvp_ecap *c = pvp_emu_cap(e, pos + i);
		unsigned int o;
		u8 v;

		if (!c)
			continue;
		o = pos + i - c->off;
		v = (c->val[o] & ~c->rw[o]) | (buf[i] & c->rw[o]);
		c->val[o] = v & ~(buf[i] & c->rw1c[o]);
	}
	for (i = 0; i < e->nr; i++)
		pvp_ecap_fixup(&e->cap[i]);
}

/**
 * pvp_emu_reset - return every emulated register to its reset value
 * @e: state
 */
void pvp_emu_reset(struct pvp_emu *e)
{
	unsigned int i;

	for (i = 0; i < e->nr; i++)
		memcpy(e->cap[i].val, e->cap[i].rst, sizeof(e->cap[i].val));
}

/**
 * pvp_emu_set_patch - OR bits into reads of one hardware-backed dword
 * @e: state, after pvp_emu_link()
 * @off: the dword, 4-byte aligned, outside every emulated byte
 * @or_bits: bits reads show set on top of what the core returns; 0 clears
 *
 * The dword stays the core's: writes go to it unchanged, and reads are the
 * core's bytes with @or_bits added (pvp_emu_patch_read()).  Its accesses
 * take the slow path (pvp_emu_hit()) but are never pvp_emu_run()'s
 * emulated runs.
 */
void pvp_emu_set_patch(struct pvp_emu *e, u16 off, u32 or_bits)
{
	if (!or_bits || off % 4 || off > PVP_ECAP_END - 4) {
		e->patch = 0;
		return;
	}
	e->patch = off;
	pvp_put_le32(or_bits, e->patch_or);
	e->lo = min_t(u16, e->lo, off);
	e->hi = max_t(u16, e->hi, off + 4);
}

/**
 * pvp_emu_patch_read - add the patched bits to bytes the core read
 * @e: state
 * @pos: config offset of @buf[0]
 * @buf: bytes as the core returned them
 * @count: their number
 */
void pvp_emu_patch_read(const struct pvp_emu *e, unsigned int pos, u8 *buf,
			unsigned int count)
{
	unsigned int i;

	if (!e->patch)
		return;
	for (i = 0; i < count; i++)
		if (pos + i >= e->patch && pos + i < e->patch + 4u)
			buf[i] |= e->patch_or[pos + i - e->patch];
}

/**
 * pvp_devcap2_eetlp - End-End TLP Prefix bits a VF shows on top of its own
 * @vf_devcap2: the VF's Device Capabilities 2 register
 * @pf_devcap2: its PF's
 * @pf_path: the PCI core found prefixes supported on the PF and every
 *	port above it (pci_dev.eetlp_prefix_path, or eetlp_prefix_max > 0)
 *
 * A guest kernel enables PASID on a device only where DEVCAP2 End-End TLP
 * Prefix Supported is set on it and on every port above it.  A VF's
 * prefixed requests go out through its PF's link, so the PF's support is
 * what counts; yet vendors differ on whether a VF implements the bit, and
 * vfio-pci passes it raw.  Where the VF's bit reads 0 and the PF's path
 * supports prefixes, the VF shows the PF's Supported bit and Max End-End
 * TLP Prefixes.
 *
 * Return: the bits to OR into the VF's register, or 0.
 */
u32 pvp_devcap2_eetlp(u32 vf_devcap2, u32 pf_devcap2, bool pf_path)
{
	if (!pf_path || vf_devcap2 == ~0U || pf_devcap2 == ~0U ||
	    (vf_devcap2 & PVP_DEVCAP2_EE_PREFIX) ||
	    !(pf_devcap2 & PVP_DEVCAP2_EE_PREFIX))
		return 0;
	return pf_devcap2 & (PVP_DEVCAP2_EE_PREFIX | PVP_DEVCAP2_EE_PREFIX_MAX);
}
