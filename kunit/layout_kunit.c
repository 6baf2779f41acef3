// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for pvp_layout_scan(), pvp_layout_free() and pvp_layout_add():
 * the physical extended capability chain and the ranges it occupies.
 */
#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/pci_regs.h>
#include <linux/string.h>

#include "ecap.h"
#include "fake_cfg.h"

/* Length recorded for the range starting at @start, or -1 */
static int pvp_test_range_len(const struct pvp_layout *l, u16 start)
{
	unsigned int i;

	for (i = 0; i < l->nr; i++)
		if (l->r[i].start == start)
			return l->r[i].len;
	return -1;
}

static struct pvp_layout *scan(struct kunit *test, struct pvp_fake_cfg *f,
			       int want)
{
	struct pvp_layout *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, l);
	KUNIT_ASSERT_EQ(test, pvp_layout_scan(l, pvp_fake_read32, f), want);
	return l;
}

static void pvp_layout_scan_zero_header_is_empty(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);
	struct pvp_layout *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, l);
	l->nr = 5;
	KUNIT_EXPECT_EQ(test, pvp_layout_scan(l, pvp_fake_read32, f), 0);
	KUNIT_EXPECT_EQ(test, l->nr, 0U);
}

static void pvp_layout_scan_all_ones_header_is_empty(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);
	struct pvp_layout *l;

	pvp_fake_put32(f, 0x100, 0xffffffff);
	l = scan(test, f, 0);
	KUNIT_EXPECT_EQ(test, l->nr, 0U);
}

struct len_param {
	const char *desc;
	u16 id;
	u32 dw4;	/* dword at +4 */
	u32 dw8;	/* dword at +8 */
	int len;	/* expected length; the cap is at 0x100, next cap 0x400 */
};

#define UNKNOWN 0x300

static const struct len_param len_params[] = {
	{ "null", 0x00, 0, 0, 4 },
	{ "aer", 0x01, 0, 0, 0x48 },
	{ "dsn", 0x03, 0, 0, 0x0c },
	{ "pwr", 0x04, 0, 0, 0x10 },
	{ "ari", 0x0e, 0, 0, 8 },
	{ "ats", 0x0f, 0, 0, 8 },
	{ "sriov", 0x10, 0, 0, 0x40 },
	{ "mcast", 0x12, 0, 0, 0x30 },
	{ "pri", 0x13, 0, 0, 0x10 },
	{ "ltr", 0x18, 0, 0, 8 },
	{ "pasid", 0x1b, 0, 0, 8 },
	{ "l1ss", 0x1e, 0, 0, 0x10 },
	{ "ptm", 0x1f, 0, 0, 0x0c },
	{ "dlf", 0x25, 0, 0, 0x0c },
	{ "acs-no-egress", 0x0d, 0xffdf001f, 0, 8 },
	{ "acs-egress", 0x0d, 0x00000020, 0, UNKNOWN },
	{ "vsec-0x20", 0x0b, 0x02000001, 0, 0x20 },
	{ "vsec-8", 0x0b, 0x00800001, 0, 8 },
	{ "vsec-0x0a", 0x0b, 0x00a00001, 0, 0x0a },
	{ "vsec-4", 0x0b, 0x00400001, 0, UNKNOWN },
	{ "vsec-0", 0x0b, 0x0000ffff, 0, UNKNOWN },
	{ "dvsec-0x40", 0x23, 0x0401abcd, 0, 0x40 },
	{ "dvsec-7", 0x23, 0x0071abcd, 0, UNKNOWN },
	{ "rebar-1", 0x15, 0, 0x00000020, 12 },
	{ "rebar-6", 0x15, 0, 0xffffffdf, 52 },
	{ "rebar-0", 0x15, 0, 0xffffff1f, UNKNOWN },
	{ "rebar-7", 0x15, 0, 0x000000e0, UNKNOWN },
	{ "vf-rebar-3", 0x24, 0, 0x00000060, 28 },
	{ "vf-rebar-0", 0x24, 0, 0, UNKNOWN },
	{ "id-0x02", 0x02, 0, 0, UNKNOWN },
	{ "id-0x1c", 0x1c, 0, 0, UNKNOWN },
	{ "id-0x2a", 0x2a, 0, 0, UNKNOWN },
	{ "id-0xffff", 0xffff, 0, 0, UNKNOWN },
};

static void len_param_desc(const struct len_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(len, len_params, len_param_desc);

static void pvp_layout_scan_cap_len(struct kunit *test)
{
	const struct len_param *p = test->param_value;
	struct pvp_fake_cfg *f = pvp_fake_new(test);
	struct pvp_layout *l;

	pvp_fake_cap(f, 0x100, p->id, 0x400);
	pvp_fake_put32(f, 0x104, p->dw4);
	pvp_fake_put32(f, 0x108, p->dw8);
	pvp_fake_cap(f, 0x400, PCI_EXT_CAP_ID_ERR, 0);
	l = scan(test, f, 0);
	KUNIT_EXPECT_EQ(test, l->nr, 2U);
	KUNIT_EXPECT_EQ(test, pvp_test_range_len(l, 0x100), p->len);
	KUNIT_EXPECT_EQ(test, pvp_test_range_len(l, 0x400), 0x48);
}

/* An unknown cap ends at the next header above it, not the next in chain */
static void pvp_layout_scan_unknown_ends_at_next_start_above(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);
	struct pvp_layout *l;

	pvp_fake_cap(f, 0x100, 0x2a, 0x800);
	pvp_fake_cap(f, 0x800, PCI_EXT_CAP_ID_ARI, 0x300);
	pvp_fake_cap(f, 0x300, 0x2a, 0x200);
	pvp_fake_cap(f, 0x200, PCI_EXT_CAP_ID_ATS, 0);
	l = scan(test, f, 0);
	KUNIT_EXPECT_EQ(test, l->nr, 4U);
	KUNIT_EXPECT_EQ(test, pvp_test_range_len(l, 0x100), 0x100);
	KUNIT_EXPECT_EQ(test, pvp_test_range_len(l, 0x200), 8);
	KUNIT_EXPECT_EQ(test, pvp_test_range_len(l, 0x300), 0x500);
	KUNIT_EXPECT_EQ(test, pvp_test_range_len(l, 0x800), 8);
}

static void pvp_layout_scan_unknown_last_extends_to_end(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);
	struct pvp_layout *l;

	pvp_fake_cap(f, 0x100, PCI_EXT_CAP_ID_ERR, 0xa00);
	pvp_fake_cap(f, 0xa00, 0x2a, 0x200);
	pvp_fake_cap(f, 0x200, PCI_EXT_CAP_ID_ARI, 0);
	l = scan(test, f, 0);
	KUNIT_EXPECT_EQ(test, pvp_test_range_len(l, 0xa00), 0x600);
}

struct clamp_param {
	const char *desc;
	u16 off;
	u16 id;
	u32 dw4;
	int len;
};

static const struct clamp_param clamp_params[] = {
	{ "aer-at-0xfe0", 0xfe0, 0x01, 0, 0x20 },
	{ "sriov-at-0xffc", 0xffc, 0x10, 0, 4 },
	{ "vsec-0x40-at-0xff0", 0xff0, 0x0b, 0x04000001, 0x10 },
	{ "dvsec-0xfff-at-0x200", 0x200, 0x23, 0xfff00001, 0xe00 },
	{ "pri-at-0xff8", 0xff8, 0x13, 0, 8 },
};

static void clamp_param_desc(const struct clamp_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(clamp, clamp_params, clamp_param_desc);

static void pvp_layout_scan_clamps_to_end(struct kunit *test)
{
	const struct clamp_param *p = test->param_value;
	struct pvp_fake_cfg *f = pvp_fake_new(test);
	struct pvp_layout *l;

	pvp_fake_cap(f, 0x100, PCI_EXT_CAP_ID_ARI, p->off);
	pvp_fake_cap(f, p->off, p->id, 0);
	if (p->off + 4 < PVP_ECAP_END)
		pvp_fake_put32(f, p->off + 4, p->dw4);
	l = scan(test, f, 0);
	KUNIT_EXPECT_EQ(test, l->nr, 2U);
	KUNIT_EXPECT_EQ(test, pvp_test_range_len(l, p->off), p->len);
}

static void pvp_layout_scan_next_below_base_ends(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);
	struct pvp_layout *l;

	pvp_fake_cap(f, 0x100, PCI_EXT_CAP_ID_ARI, 0x0fc);
	pvp_fake_cap(f, 0x0fc, PCI_EXT_CAP_ID_ATS, 0);
	l = scan(test, f, 0);
	KUNIT_EXPECT_EQ(test, l->nr, 1U);
	KUNIT_EXPECT_EQ(test, pvp_test_range_len(l, 0x100), 8);
}

/* The two low bits of the Next field are reserved */
static void pvp_layout_scan_next_ignores_low_bits(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);
	struct pvp_layout *l;

	pvp_fake_cap(f, 0x100, PCI_EXT_CAP_ID_ARI, 0x203);
	pvp_fake_cap(f, 0x200, PCI_EXT_CAP_ID_ATS, 0);
	l = scan(test, f, 0);
	KUNIT_EXPECT_EQ(test, l->nr, 2U);
	KUNIT_EXPECT_EQ(test, pvp_test_range_len(l, 0x200), 8);
}

static void pvp_layout_scan_zero_next_header_ends(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);
	struct pvp_layout *l;

	pvp_fake_cap(f, 0x100, PCI_EXT_CAP_ID_ARI, 0x200);
	l = scan(test, f, 0);
	KUNIT_EXPECT_EQ(test, l->nr, 1U);
	KUNIT_EXPECT_EQ(test, pvp_test_range_len(l, 0x100), 8);
}

static void pvp_layout_scan_all_ones_next_header_ends(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);
	struct pvp_layout *l;

	pvp_fake_cap(f, 0x100, PCI_EXT_CAP_ID_ARI, 0x200);
	pvp_fake_put32(f, 0x200, 0xffffffff);
	l = scan(test, f, 0);
	KUNIT_EXPECT_EQ(test, l->nr, 1U);
	KUNIT_EXPECT_EQ(test, pvp_test_range_len(l, 0x200), -1);
}

static void pvp_layout_scan_self_loop_fails(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);

	pvp_fake_cap(f, 0x100, PCI_EXT_CAP_ID_ARI, 0x100);
	scan(test, f, -ELOOP);
}

static void pvp_layout_scan_back_loop_fails(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);

	pvp_fake_cap(f, 0x100, PCI_EXT_CAP_ID_ARI, 0x200);
	pvp_fake_cap(f, 0x200, PCI_EXT_CAP_ID_ATS, 0x300);
	pvp_fake_cap(f, 0x300, PCI_EXT_CAP_ID_LTR, 0x200);
	scan(test, f, -ELOOP);
}

/* A chain of @n caps of an unknown ID, 0x20 apart from 0x100 */
static void long_chain(struct pvp_fake_cfg *f, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		pvp_fake_cap(f, 0x100 + 0x20 * i, 0x2a,
			     i + 1 < n ? 0x100 + 0x20 * (i + 1) : 0);
}

static void pvp_layout_scan_max_ranges_fits(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);
	struct pvp_layout *l;

	long_chain(f, PVP_MAX_RANGES);
	l = scan(test, f, 0);
	KUNIT_EXPECT_EQ(test, l->nr, (unsigned int)PVP_MAX_RANGES);
	KUNIT_EXPECT_EQ(test, pvp_test_range_len(l, 0x100), 0x20);
	KUNIT_EXPECT_EQ(test, pvp_test_range_len(l, 0x100 + 0x20 * (PVP_MAX_RANGES - 1)),
			0x1000 - 0x100 - 0x20 * (PVP_MAX_RANGES - 1));
}

static void pvp_layout_scan_too_many_caps_fails(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);

	long_chain(f, PVP_MAX_RANGES + 1);
	scan(test, f, -E2BIG);
}

struct err_param {
	const char *desc;
	u16 off;	/* failing dword */
	int err;
};

/* Chain: 0x100 ARI -> 0x200 VSEC (length at 0x204) -> 0x300 REBAR (0x308) */
static const struct err_param err_params[] = {
	{ "first-header-eio", 0x100, -EIO },
	{ "first-header-enodev", 0x100, -ENODEV },
	{ "second-header", 0x200, -EIO },
	{ "vsec-length", 0x204, -ENXIO },
	{ "rebar-control", 0x308, -EIO },
	{ "last-header", 0x300, -ETIMEDOUT },
};

static void err_param_desc(const struct err_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(err, err_params, err_param_desc);

static void pvp_layout_scan_read_error_propagates(struct kunit *test)
{
	const struct err_param *p = test->param_value;
	struct pvp_fake_cfg *f = pvp_fake_new(test);

	pvp_fake_cap(f, 0x100, PCI_EXT_CAP_ID_ARI, 0x200);
	pvp_fake_cap(f, 0x200, PCI_EXT_CAP_ID_VNDR, 0x300);
	pvp_fake_put32(f, 0x204, 0x01000001);
	pvp_fake_cap(f, 0x300, PCI_EXT_CAP_ID_REBAR, 0);
	pvp_fake_put32(f, 0x308, 0x00000020);
	scan(test, f, 0);
	pvp_fake_fail_at(f, p->off, p->err);
	scan(test, f, p->err);
}

/* Ranges: [0x100, 0x148) AER, [0x200, 0x210) PRI, [0x300, 0x305) odd */
static struct pvp_layout *two_ranges(struct kunit *test)
{
	struct pvp_layout *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, l);
	KUNIT_ASSERT_EQ(test, pvp_layout_add(l, 0x100, 0x48), 0);
	KUNIT_ASSERT_EQ(test, pvp_layout_add(l, 0x200, 0x10), 0);
	KUNIT_ASSERT_EQ(test, pvp_layout_add(l, 0x300, 5), 0);
	return l;
}

struct free_param {
	const char *desc;
	unsigned int off;
	unsigned int len;
	bool free;
};

static const struct free_param free_params[] = {
	{ "after-aer", 0x148, 8, true },
	{ "overlaps-aer-end", 0x144, 8, false },
	{ "inside-aer", 0x104, 4, false },
	{ "before-pri", 0x1f8, 8, true },
	{ "overlaps-pri-start", 0x1fc, 8, false },
	{ "inside-pri", 0x204, 4, false },
	{ "covers-pri", 0x1f0, 0x30, false },
	{ "after-pri", 0x210, 8, true },
	{ "last-dword", 0xffc, 4, true },
	{ "last-8", 0xff8, 8, true },
	{ "past-end", 0xffc, 8, false },
	{ "far-past-end", 0xff8, 0x100, false },
	{ "below-base", 0xfc, 4, false },
	{ "zero", 0, 8, false },
	{ "misaligned-1", 0x149, 8, false },
	{ "misaligned-2", 0x14a, 4, false },
	{ "misaligned-3", 0x14b, 4, false },
	{ "zero-len", 0x400, 0, false },
	{ "odd-len", 0x400, 6, true },
	{ "in-odd-range-tail", 0x304, 4, false },
	{ "after-odd-range", 0x308, 4, true },
	{ "odd-len-touching-pri", 0x1fc, 5, false },
};

static void free_param_desc(const struct free_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(free, free_params, free_param_desc);

static void pvp_layout_free_range(struct kunit *test)
{
	const struct free_param *p = test->param_value;
	struct pvp_layout *l = two_ranges(test);

	KUNIT_EXPECT_EQ(test, pvp_layout_free(l, p->off, p->len), p->free);
}

static void pvp_layout_free_empty_layout(struct kunit *test)
{
	struct pvp_layout *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, l);
	KUNIT_EXPECT_TRUE(test, pvp_layout_free(l, 0x100, 0xf00));
	KUNIT_EXPECT_FALSE(test, pvp_layout_free(l, 0x100, 0xf04));
}

static void pvp_layout_add_appends(struct kunit *test)
{
	struct pvp_layout *l = two_ranges(test);

	KUNIT_EXPECT_EQ(test, pvp_layout_add(l, 0x800, 8), 0);
	KUNIT_EXPECT_EQ(test, l->nr, 4U);
	KUNIT_EXPECT_EQ(test, l->r[3].start, 0x800);
	KUNIT_EXPECT_EQ(test, l->r[3].len, 8);
	KUNIT_EXPECT_FALSE(test, pvp_layout_free(l, 0x804, 4));
	KUNIT_EXPECT_TRUE(test, pvp_layout_free(l, 0x808, 4));
}

static void pvp_layout_add_full_fails(struct kunit *test)
{
	struct pvp_layout *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, l);
	for (i = 0; i < PVP_MAX_RANGES; i++)
		KUNIT_ASSERT_EQ(test, pvp_layout_add(l, 0x100 + 8 * i, 8), 0);
	KUNIT_EXPECT_EQ(test, pvp_layout_add(l, 0xff8, 8), -E2BIG);
	KUNIT_EXPECT_EQ(test, l->nr, (unsigned int)PVP_MAX_RANGES);
}

static struct kunit_case pvp_layout_cases[] = {
	KUNIT_CASE(pvp_layout_scan_zero_header_is_empty),
	KUNIT_CASE(pvp_layout_scan_all_ones_header_is_empty),
	KUNIT_CASE_PARAM(pvp_layout_scan_cap_len, len_gen_params),
	KUNIT_CASE(pvp_layout_scan_unknown_ends_at_next_start_above),
	KUNIT_CASE(pvp_layout_scan_unknown_last_extends_to_end),
	KUNIT_CASE_PARAM(pvp_layout_scan_clamps_to_end, clamp_gen_params),
	KUNIT_CASE(pvp_layout_scan_next_below_base_ends),
	KUNIT_CASE(pvp_layout_scan_next_ignores_low_bits),
	KUNIT_CASE(pvp_layout_scan_zero_next_header_ends),
	KUNIT_CASE(pvp_layout_scan_all_ones_next_header_ends),
	KUNIT_CASE(pvp_layout_scan_self_loop_fails),
	KUNIT_CASE(pvp_layout_scan_back_loop_fails),
	KUNIT_CASE(pvp_layout_scan_max_ranges_fits),
	KUNIT_CASE(pvp_layout_scan_too_many_caps_fails),
	KUNIT_CASE_PARAM(pvp_layout_scan_read_error_propagates,
			 err_gen_params),
	KUNIT_CASE_PARAM(pvp_layout_free_range, free_gen_params),
	KUNIT_CASE(pvp_layout_free_empty_layout),
	KUNIT_CASE(pvp_layout_add_appends),
	KUNIT_CASE(pvp_layout_add_full_fails),
	{}
};

static struct kunit_suite pvp_layout_suite = {
	.name = "pasid_vfio_pci_layout",
	.test_cases = pvp_layout_cases,
};

kunit_test_suites(&pvp_layout_suite);
