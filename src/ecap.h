/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capability model of pasid-vfio-pci: the emulated extended capabilities a
 * VF shares with its PF, their placement in config space and the splice into
 * the extended capability chain userspace sees.
 *
 * Nothing in here knows about vfio, struct pci_dev or user memory: config
 * space is reached through a pvp_read32_t callback and accesses are plain
 * byte buffers, so the whole model runs under KUnit without PCI.
 */
#ifndef PVP_ECAP_H
#define PVP_ECAP_H

#include <linux/bits.h>
#include <linux/types.h>

#define PVP_ECAP_BASE		0x100	/* PCI_CFG_SPACE_SIZE */
#define PVP_ECAP_END		0x1000	/* PCI_CFG_SPACE_EXP_SIZE */
#define PVP_MAX_RANGES		96	/* extended capabilities tracked per device */
#define PVP_CAP_MAX_LEN		16	/* largest emulated capability (PRI) */
#define PVP_MAX_ECAPS		2	/* emulated capabilities per device */

/* VF Resizable BAR capability ID (not in 6.1 uapi) */
#define PVP_EXT_CAP_ID_VF_REBAR	0x24

/* Max PASID Width field of the PASID Capability register (not in 6.1 uapi) */
#define PVP_PASID_CAP_WIDTH	0x1f00

/*
 * Read the config dword at dword-aligned @off into @val.  Returns 0 or a
 * negative errno.
 */
typedef int (*pvp_read32_t)(void *ctx, u16 off, u32 *val);

struct pvp_range {
	u16 start;
	u16 len;
};

/* What a device occupies in extended config space (0x100-0xfff) */
struct pvp_layout {
	unsigned int nr;
	struct pvp_range r[PVP_MAX_RANGES];
};

int pvp_layout_scan(struct pvp_layout *l, pvp_read32_t rd, void *ctx);
bool pvp_layout_free(const struct pvp_layout *l, unsigned int off,
		     unsigned int len);
int pvp_layout_add(struct pvp_layout *l, u16 off, u16 len);

enum pvp_placement {
	PVP_PLACE_NONE,		/* not injected */
	PVP_PLACE_HEAD,		/* 0x100, the device has no extended capability */
	PVP_PLACE_OVERRIDE,	/* admin's pasid_offset= */
	PVP_PLACE_PF_OFFSET,	/* same offset as on the PF */
	PVP_PLACE_FREE,		/* highest free dword-aligned range */
	PVP_PLACE_OWN,		/* a PF's own capability, where it is */
};

const char *pvp_placement_name(enum pvp_placement how);
int pvp_place(const struct pvp_layout *l, u16 len, u16 pf_off, u16 override,
	      u16 *off, enum pvp_placement *how);

int pvp_override_find(const char *spec, u32 domain, u8 bus, u8 devfn,
		      u16 *off);
int pvp_override_check(const char *spec);

/* Capabilities a VF shares with its PF that can be emulated (shared_caps=) */
#define PVP_SHARED_PASID	BIT(0)
#define PVP_SHARED_PRI		BIT(1)

int pvp_shared_caps_parse(const char *s, unsigned int *caps);

/* Which backends a VF's PASID capability is shown to (expose=) */
enum pvp_expose {
	PVP_EXPOSE_AUTO,	/* only where the VMM can attach PASIDs */
	PVP_EXPOSE_ALWAYS,	/* on any backend */
};

/* How userspace reached the device, as far as PASID attach is concerned */
enum pvp_backend {
	PVP_BACKEND_CONTAINER,	/* VFIO group + type1 (or other) container */
	PVP_BACKEND_COMPAT,	/* VFIO group + iommufd's compat container */
	PVP_BACKEND_CDEV,	/* VFIO device cdev bound to iommufd */
};

int pvp_expose_parse(const char *s, enum pvp_expose *expose);
const char *pvp_expose_name(enum pvp_expose expose);
const char *pvp_backend_name(enum pvp_backend backend);
bool pvp_expose_allows(enum pvp_expose expose, enum pvp_backend backend,
		       bool pasid_attach);

/* Largest Max PASID Width the PCIe specification allows (PASIDs are 20 bits) */
#define PVP_PASID_WIDTH_MAX	20

int pvp_pasid_cap_check(u16 pf_cap);
u16 pvp_pasid_vf_cap(u16 pf_cap, u16 pf_ctrl, int host_width);

int pvp_chain_tail(pvp_read32_t rd, void *ctx, u16 *tail, u32 *tail_hdr);

/* What an emulated capability is, for the registers masks cannot express */
enum pvp_ecap_kind {
	PVP_ECAP_GENERIC,	/* masks only */
	PVP_ECAP_PASID,
	PVP_ECAP_PRI,
};

/* One emulated capability: current bytes, reset bytes and per-bit semantics */
struct pvp_ecap {
	u16 off;
	u8 len;
	u8 kind;			/* enum pvp_ecap_kind */
	u8 val[PVP_CAP_MAX_LEN];	/* what a read returns */
	u8 rst[PVP_CAP_MAX_LEN];	/* value after open, reset and close */
	u8 rw[PVP_CAP_MAX_LEN];		/* bits a write sets or clears */
	u8 rw1c[PVP_CAP_MAX_LEN];	/* bits a write of 1 clears */
};

/*
 * Emulated state of one device.  @lo and @hi bound every emulated byte so
 * the access path can skip the model for the common case.
 */
struct pvp_emu {
	unsigned int nr;
	struct pvp_ecap cap[PVP_MAX_ECAPS];
	u16 link;		/* header whose Next field is rewritten, or 0 */
	u8 link_hi[2];		/* bytes link + 2 and link + 3 as presented */
	u16 patch;		/* dword whose reads get bits ORed in, or 0 */
	u8 patch_or[4];		/* those bits; the rest comes from the core */
	u16 lo, hi;
};

void pvp_pasid_init(struct pvp_ecap *c, u16 off, u16 pf_cap);
void pvp_pri_init(struct pvp_ecap *c, u16 off, u16 pf_status, u32 pf_capacity);
void pvp_ecap_set_pf_enabled(struct pvp_ecap *c, bool enabled);
int pvp_emu_link(struct pvp_emu *e, u32 hdr0, u16 tail, u32 tail_hdr);

unsigned int pvp_emu_run(const struct pvp_emu *e, unsigned int pos,
			 unsigned int count, bool *emulated);
void pvp_emu_read(const struct pvp_emu *e, unsigned int pos, u8 *buf,
		  unsigned int count);
void pvp_emu_write(struct pvp_emu *e, unsigned int pos, const u8 *buf,
		   unsigned int count);
void pvp_emu_reset(struct pvp_emu *e);
void pvp_emu_set_patch(struct pvp_emu *e, u16 off, u32 or_bits);
void pvp_emu_patch_read(const struct pvp_emu *e, unsigned int pos, u8 *buf,
			unsigned int count);

/* DEVCAP2 End-End TLP Prefix fields (the Max field is not in 6.1's uapi) */
#define PVP_DEVCAP2_EE_PREFIX		0x00200000
#define PVP_DEVCAP2_EE_PREFIX_MAX	0x00c00000

u32 pvp_devcap2_eetlp(u32 vf_devcap2, u32 pf_devcap2, bool pf_path);

static inline bool pvp_overlaps(unsigned int a, unsigned int alen,
				unsigned int b, unsigned int blen)
{
	return a < b + blen && b < a + alen;
}

/**
 * pvp_emu_hit - does an access touch emulated bytes?
 * @e: state
 * @pos: first byte
 * @count: length
 *
 * On every config access, so inline: @lo/@hi dismiss most accesses at
 * once, the exact test spares the others the byte-wise path.
 */
static inline bool pvp_emu_hit(const struct pvp_emu *e, unsigned int pos,
			       unsigned int count)
{
	unsigned int i;

	if (!e->nr || pos >= e->hi || pos + count <= e->lo)
		return false;
	if (e->link && pvp_overlaps(pos, count, e->link + 2, 2))
		return true;
	if (e->patch && pvp_overlaps(pos, count, e->patch, 4))
		return true;
	for (i = 0; i < e->nr; i++)
		if (pvp_overlaps(pos, count, e->cap[i].off, e->cap[i].len))
			return true;
	return false;
}

#endif /* PVP_ECAP_H */
