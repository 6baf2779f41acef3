// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for pvp_place() and pvp_placement_name(): where the emulated
 * capability goes in a VF's extended config space.
 */
#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/pci_regs.h>
#include <linux/string.h>

#include "ecap.h"
#include "fake_cfg.h"

#define PASID_LEN	8

static struct pvp_layout *new_layout(struct kunit *test)
{
	struct pvp_layout *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, l);
	return l;
}

/* AER at 0x100 and an SR-IOV capability at 0x200: [0x100, 0x148) [0x200, 0x240) */
static struct pvp_layout *aer_sriov(struct kunit *test)
{
	struct pvp_layout *l = new_layout(test);

	KUNIT_ASSERT_EQ(test, pvp_layout_add(l, 0x100, 0x48), 0);
	KUNIT_ASSERT_EQ(test, pvp_layout_add(l, 0x200, 0x40), 0);
	return l;
}

static void expect_place(struct kunit *test, const struct pvp_layout *l,
			 u16 len, u16 pf_off, u16 override, int ret,
			 u16 want_off, enum pvp_placement want_how)
{
	enum pvp_placement how = PVP_PLACE_OWN;
	u16 off = 0xbeef;

	KUNIT_ASSERT_EQ(test, pvp_place(l, len, pf_off, override, &off, &how),
			ret);
	if (ret && ret != -ENOSPC)
		return;
	KUNIT_EXPECT_EQ(test, how, want_how);
	if (!ret)
		KUNIT_EXPECT_EQ(test, off, want_off);
}

static void pvp_place_empty_at_head(struct kunit *test)
{
	expect_place(test, new_layout(test), PASID_LEN, 0, 0, 0, 0x100,
		     PVP_PLACE_HEAD);
}

static void pvp_place_empty_ignores_pf_offset(struct kunit *test)
{
	expect_place(test, new_layout(test), PASID_LEN, 0x200, 0, 0, 0x100,
		     PVP_PLACE_HEAD);
}

static void pvp_place_empty_override_head(struct kunit *test)
{
	expect_place(test, new_layout(test), PASID_LEN, 0x200, 0x100, 0, 0x100,
		     PVP_PLACE_HEAD);
}

static void pvp_place_empty_override_elsewhere_fails(struct kunit *test)
{
	expect_place(test, new_layout(test), PASID_LEN, 0, 0x200, -EINVAL, 0,
		     PVP_PLACE_NONE);
}

static void pvp_place_override_wins(struct kunit *test)
{
	expect_place(test, aer_sriov(test), PASID_LEN, 0x300, 0x400, 0, 0x400,
		     PVP_PLACE_OVERRIDE);
}

struct ovr_param {
	const char *desc;
	u16 len;
	u16 override;
	int ret;
};

static const struct ovr_param ovr_params[] = {
	{ "after-aer", 8, 0x148, 0 },
	{ "before-sriov", 8, 0x1f8, 0 },
	{ "last-8", 8, 0xff8, 0 },
	{ "last-16", 16, 0xff0, 0 },
	{ "past-end-8", 8, 0xffc, -EINVAL },
	{ "past-end-16", 16, 0xff8, -EINVAL },
	{ "below-base", 8, 0xf8, -EINVAL },
	{ "misaligned-2", 8, 0x14a, -EINVAL },
	{ "misaligned-1", 8, 0x801, -EINVAL },
	{ "misaligned-3", 8, 0x803, -EINVAL },
	{ "on-aer", 8, 0x100, -EBUSY },
	{ "into-aer-end", 8, 0x144, -EBUSY },
	{ "into-sriov-start", 8, 0x1fc, -EBUSY },
	{ "inside-sriov", 8, 0x220, -EBUSY },
	{ "16-into-sriov", 16, 0x1f4, -EBUSY },
};

static void ovr_param_desc(const struct ovr_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ovr, ovr_params, ovr_param_desc);

static void pvp_place_override_checked(struct kunit *test)
{
	const struct ovr_param *p = test->param_value;

	expect_place(test, aer_sriov(test), p->len, 0, p->override, p->ret,
		     p->override, PVP_PLACE_OVERRIDE);
}

static void pvp_place_pf_offset_free(struct kunit *test)
{
	expect_place(test, aer_sriov(test), PASID_LEN, 0x148, 0, 0, 0x148,
		     PVP_PLACE_PF_OFFSET);
}

struct pf_param {
	const char *desc;
	u16 pf_off;
};

static const struct pf_param pf_taken_params[] = {
	{ "on-aer", 0x100 },
	{ "into-aer-end", 0x144 },
	{ "into-sriov", 0x1fc },
	{ "misaligned", 0x14a },
	{ "below-base", 0xf8 },
	{ "past-end", 0xffc },
};

static void pf_param_desc(const struct pf_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pf_taken, pf_taken_params, pf_param_desc);

static void pvp_place_pf_offset_taken_uses_free(struct kunit *test)
{
	const struct pf_param *p = test->param_value;

	expect_place(test, aer_sriov(test), PASID_LEN, p->pf_off, 0, 0, 0xff8,
		     PVP_PLACE_FREE);
}

struct len_param {
	const char *desc;
	u16 len;
	u16 off;
};

static const struct len_param free_len_params[] = {
	{ "4", 4, 0xffc },
	{ "5", 5, 0xff8 },
	{ "6", 6, 0xff8 },
	{ "8", 8, 0xff8 },
	{ "9", 9, 0xff4 },
	{ "12", 12, 0xff4 },
	{ "16", 16, 0xff0 },
};

static void len_param_desc(const struct len_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(free_len, free_len_params, len_param_desc);

static void pvp_place_free_highest(struct kunit *test)
{
	const struct len_param *p = test->param_value;

	expect_place(test, aer_sriov(test), p->len, 0, 0, 0, p->off,
		     PVP_PLACE_FREE);
}

/* Everything from 0x100 is taken but for a hole [0x400, 0x40c) */
static struct pvp_layout *one_hole(struct kunit *test)
{
	struct pvp_layout *l = new_layout(test);

	KUNIT_ASSERT_EQ(test, pvp_layout_add(l, 0x100, 0x300), 0);
	KUNIT_ASSERT_EQ(test, pvp_layout_add(l, 0x40c, 0xbf4), 0);
	return l;
}

static void pvp_place_crowded_finds_hole(struct kunit *test)
{
	expect_place(test, one_hole(test), PASID_LEN, 0, 0, 0, 0x404,
		     PVP_PLACE_FREE);
}

static void pvp_place_crowded_pf_offset_in_hole(struct kunit *test)
{
	expect_place(test, one_hole(test), PASID_LEN, 0x400, 0, 0, 0x400,
		     PVP_PLACE_PF_OFFSET);
}

static void pvp_place_hole_too_small_fails(struct kunit *test)
{
	expect_place(test, one_hole(test), 16, 0, 0, -ENOSPC, 0,
		     PVP_PLACE_NONE);
}

static void pvp_place_full_fails(struct kunit *test)
{
	struct pvp_layout *l = new_layout(test);

	KUNIT_ASSERT_EQ(test, pvp_layout_add(l, 0x100, 0xf00), 0);
	expect_place(test, l, 4, 0x100, 0, -ENOSPC, 0, PVP_PLACE_NONE);
}

/* 8-byte caps with 4-byte gaps between them: no 8-byte slot is left */
static void pvp_place_fragmented_fails(struct kunit *test)
{
	struct pvp_layout *l = new_layout(test);
	unsigned int off;

	KUNIT_ASSERT_EQ(test, pvp_layout_add(l, 0x100, 0xc00), 0);
	for (off = 0xd00; off < 0x1000; off += 12)
		KUNIT_ASSERT_EQ(test, pvp_layout_add(l, off, 8), 0);
	expect_place(test, l, 8, 0, 0, -ENOSPC, 0, PVP_PLACE_NONE);
}

/*
 * A scanned layout of variable-length capabilities:
 *   0x100 SR-IOV [0x100, 0x140)
 *   0x140 VSEC, length 0x80 [0x140, 0x1c0)
 *   0x1c0 Resizable BAR, 2 BARs [0x1c0, 0x1d4)
 *   0x200 unknown ID, up to the next header above [0x200, 0xe00)
 *   0xe00 DVSEC, length 0x200 [0xe00, 0x1000)
 * Free: [0x1d4, 0x200).
 */
static struct pvp_layout *scanned(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);
	struct pvp_layout *l = new_layout(test);

	pvp_fake_cap(f, 0x100, PCI_EXT_CAP_ID_SRIOV, 0x140);
	pvp_fake_cap(f, 0x140, PCI_EXT_CAP_ID_VNDR, 0x1c0);
	pvp_fake_put32(f, 0x144, 0x08000001);
	pvp_fake_cap(f, 0x1c0, PCI_EXT_CAP_ID_REBAR, 0xe00);
	pvp_fake_put32(f, 0x1c8, 0x00000040);
	pvp_fake_cap(f, 0xe00, 0x23, 0x200);
	pvp_fake_put32(f, 0xe04, 0x20000001);
	pvp_fake_cap(f, 0x200, 0x2a, 0);
	KUNIT_ASSERT_EQ(test, pvp_layout_scan(l, pvp_fake_read32, f), 0);
	KUNIT_ASSERT_EQ(test, l->nr, 5U);
	return l;
}

static void pvp_place_scanned_free_between(struct kunit *test)
{
	expect_place(test, scanned(test), PASID_LEN, 0, 0, 0, 0x1f8,
		     PVP_PLACE_FREE);
}

static void pvp_place_scanned_pf_offset_after_rebar(struct kunit *test)
{
	expect_place(test, scanned(test), PASID_LEN, 0x1d4, 0, 0, 0x1d4,
		     PVP_PLACE_PF_OFFSET);
}

static void pvp_place_scanned_pf_offset_in_rebar(struct kunit *test)
{
	expect_place(test, scanned(test), PASID_LEN, 0x1d0, 0, 0, 0x1f8,
		     PVP_PLACE_FREE);
}

static void pvp_place_scanned_pf_offset_in_unknown(struct kunit *test)
{
	expect_place(test, scanned(test), PASID_LEN, 0x800, 0, 0, 0x1f8,
		     PVP_PLACE_FREE);
}

static void pvp_place_scanned_too_long_fails(struct kunit *test)
{
	expect_place(test, scanned(test), 0x30, 0, 0, -ENOSPC, 0,
		     PVP_PLACE_NONE);
}

struct name_param {
	enum pvp_placement how;
	const char *name;
};

static const struct name_param name_params[] = {
	{ PVP_PLACE_NONE, "none" },
	{ PVP_PLACE_HEAD, "head" },
	{ PVP_PLACE_OVERRIDE, "override" },
	{ PVP_PLACE_PF_OFFSET, "pf-offset" },
	{ PVP_PLACE_FREE, "free-space" },
	{ PVP_PLACE_OWN, "own" },
};

static void name_param_desc(const struct name_param *p, char *desc)
{
	strscpy(desc, p->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(name, name_params, name_param_desc);

static void pvp_placement_name_each(struct kunit *test)
{
	const struct name_param *p = test->param_value;

	KUNIT_EXPECT_STREQ(test, pvp_placement_name(p->how), p->name);
}

static struct kunit_case pvp_place_cases[] = {
	KUNIT_CASE(pvp_place_empty_at_head),
	KUNIT_CASE(pvp_place_empty_ignores_pf_offset),
	KUNIT_CASE(pvp_place_empty_override_head),
	KUNIT_CASE(pvp_place_empty_override_elsewhere_fails),
	KUNIT_CASE(pvp_place_override_wins),
	KUNIT_CASE_PARAM(pvp_place_override_checked, ovr_gen_params),
	KUNIT_CASE(pvp_place_pf_offset_free),
	KUNIT_CASE_PARAM(pvp_place_pf_offset_taken_uses_free,
			 pf_taken_gen_params),
	KUNIT_CASE_PARAM(pvp_place_free_highest, free_len_gen_params),
	KUNIT_CASE(pvp_place_crowded_finds_hole),
	KUNIT_CASE(pvp_place_crowded_pf_offset_in_hole),
	KUNIT_CASE(pvp_place_hole_too_small_fails),
	KUNIT_CASE(pvp_place_full_fails),
	KUNIT_CASE(pvp_place_fragmented_fails),
	KUNIT_CASE(pvp_place_scanned_free_between),
	KUNIT_CASE(pvp_place_scanned_pf_offset_after_rebar),
	KUNIT_CASE(pvp_place_scanned_pf_offset_in_rebar),
	KUNIT_CASE(pvp_place_scanned_pf_offset_in_unknown),
	KUNIT_CASE(pvp_place_scanned_too_long_fails),
	KUNIT_CASE_PARAM(pvp_placement_name_each, name_gen_params),
	{}
};

static struct kunit_suite pvp_place_suite = {
	.name = "pasid_vfio_pci_place",
	.test_cases = pvp_place_cases,
};

kunit_test_suites(&pvp_place_suite);
