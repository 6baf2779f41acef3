// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for pvp_chain_tail() and pvp_emu_link(): the last header of the
 * extended chain as userspace sees it, and the splice of the emulated
 * capabilities into that chain.
 */
#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/pci_regs.h>
#include <linux/string.h>

#include "ecap.h"
#include "fake_cfg.h"

static void expect_tail(struct kunit *test, struct pvp_fake_cfg *f,
			u16 want_tail)
{
	u32 hdr = 0xdeadbeef;
	u16 tail = 0;

	KUNIT_ASSERT_EQ(test, pvp_chain_tail(pvp_fake_read32, f, &tail, &hdr),
			0);
	KUNIT_EXPECT_EQ(test, tail, want_tail);
	KUNIT_EXPECT_EQ(test, hdr, pvp_fake_get32(f, want_tail));
}

static void pvp_chain_tail_zero_header(struct kunit *test)
{
	expect_tail(test, pvp_fake_new(test), 0x100);
}

static void pvp_chain_tail_single_cap(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);

	pvp_fake_put32(f, 0x100, PVP_HDR(PCI_EXT_CAP_ID_ERR, 2, 0));
	expect_tail(test, f, 0x100);
}

static void pvp_chain_tail_out_of_order(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);

	pvp_fake_cap(f, 0x100, PCI_EXT_CAP_ID_ERR, 0x300);
	pvp_fake_cap(f, 0x300, PCI_EXT_CAP_ID_ARI, 0x148);
	pvp_fake_cap(f, 0x148, PCI_EXT_CAP_ID_ATS, 0);
	expect_tail(test, f, 0x148);
}

/* vfio-pci hides the first capability as ID 0, version 0, keeping Next */
static void pvp_chain_tail_hidden_first(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);

	pvp_fake_put32(f, 0x100, PVP_HDR(0, 0, 0x200));
	pvp_fake_cap(f, 0x200, PCI_EXT_CAP_ID_ARI, 0x250);
	pvp_fake_cap(f, 0x250, PCI_EXT_CAP_ID_ATS, 0);
	expect_tail(test, f, 0x250);
}

static void pvp_chain_tail_next_below_base_ends(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);

	pvp_fake_cap(f, 0x100, PCI_EXT_CAP_ID_ERR, 0x200);
	pvp_fake_cap(f, 0x200, PCI_EXT_CAP_ID_ARI, 0x0fc);
	expect_tail(test, f, 0x200);
}

static void pvp_chain_tail_next_ignores_low_bits(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);

	pvp_fake_cap(f, 0x100, PCI_EXT_CAP_ID_ERR, 0x203);
	pvp_fake_cap(f, 0x200, PCI_EXT_CAP_ID_ARI, 0x003);
	expect_tail(test, f, 0x200);
}

static void pvp_chain_tail_self_loop_fails(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);
	u16 tail;
	u32 hdr;

	pvp_fake_cap(f, 0x100, PCI_EXT_CAP_ID_ERR, 0x200);
	pvp_fake_cap(f, 0x200, PCI_EXT_CAP_ID_ARI, 0x200);
	KUNIT_EXPECT_EQ(test, pvp_chain_tail(pvp_fake_read32, f, &tail, &hdr),
			-ELOOP);
}

static void pvp_chain_tail_back_loop_fails(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);
	u16 tail;
	u32 hdr;

	pvp_fake_cap(f, 0x100, PCI_EXT_CAP_ID_ERR, 0x200);
	pvp_fake_cap(f, 0x200, PCI_EXT_CAP_ID_ARI, 0x300);
	pvp_fake_cap(f, 0x300, PCI_EXT_CAP_ID_ATS, 0x100);
	KUNIT_EXPECT_EQ(test, pvp_chain_tail(pvp_fake_read32, f, &tail, &hdr),
			-ELOOP);
}

/* 0x100 -> 0x104 -> ... -> 0xffc -> 0x100: every dword, then a loop */
static void pvp_chain_tail_longest_loop_fails(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);
	unsigned int off;
	u16 tail;
	u32 hdr;

	for (off = 0x100; off < 0x1000; off += 4)
		pvp_fake_cap(f, off, 0x2a, off + 4 < 0x1000 ? off + 4 : 0x100);
	KUNIT_EXPECT_EQ(test, pvp_chain_tail(pvp_fake_read32, f, &tail, &hdr),
			-ELOOP);
}

static void pvp_chain_tail_longest_chain(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);
	unsigned int off;

	for (off = 0x100; off < 0x1000; off += 4)
		pvp_fake_cap(f, off, 0x2a, off + 4 < 0x1000 ? off + 4 : 0);
	expect_tail(test, f, 0xffc);
}

struct err_param {
	const char *desc;
	u16 off;
	int err;
};

static const struct err_param err_params[] = {
	{ "first-eio", 0x100, -EIO },
	{ "first-enodev", 0x100, -ENODEV },
	{ "middle", 0x300, -EIO },
	{ "tail", 0x148, -ENXIO },
};

static void err_param_desc(const struct err_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(err, err_params, err_param_desc);

static void pvp_chain_tail_read_error_propagates(struct kunit *test)
{
	const struct err_param *p = test->param_value;
	struct pvp_fake_cfg *f = pvp_fake_new(test);
	u16 tail;
	u32 hdr;

	pvp_fake_cap(f, 0x100, PCI_EXT_CAP_ID_ERR, 0x300);
	pvp_fake_cap(f, 0x300, PCI_EXT_CAP_ID_ARI, 0x148);
	pvp_fake_cap(f, 0x148, PCI_EXT_CAP_ID_ATS, 0);
	pvp_fake_fail_at(f, p->off, p->err);
	KUNIT_EXPECT_EQ(test, pvp_chain_tail(pvp_fake_read32, f, &tail, &hdr),
			p->err);
}

static struct pvp_emu *new_emu(struct kunit *test, u16 off0, u16 off1)
{
	struct pvp_emu *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, e);
	pvp_pasid_init(&e->cap[0], off0, PCI_PASID_CAP_EXEC);
	e->nr = 1;
	if (off1) {
		pvp_pasid_init(&e->cap[1], off1, PCI_PASID_CAP_PRIV);
		e->nr = 2;
	}
	return e;
}

static u32 hdr_of(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

/* Next of cap @i, as read and after reset: both must be @next */
static void expect_next(struct kunit *test, const struct pvp_emu *e,
			unsigned int i, u16 next)
{
	KUNIT_EXPECT_EQ(test, hdr_of(e->cap[i].val),
			PVP_HDR(PCI_EXT_CAP_ID_PASID, 1, next));
	KUNIT_EXPECT_EQ(test, hdr_of(e->cap[i].rst),
			PVP_HDR(PCI_EXT_CAP_ID_PASID, 1, next));
}

static void expect_link(struct kunit *test, const struct pvp_emu *e,
			u16 link, u32 hdr)
{
	KUNIT_EXPECT_EQ(test, e->link, link);
	KUNIT_EXPECT_EQ(test, e->link_hi[0], (u8)(hdr >> 16));
	KUNIT_EXPECT_EQ(test, e->link_hi[1], (u8)(hdr >> 24));
}

#define AER_TO_TAIL	PVP_HDR(PCI_EXT_CAP_ID_ERR, 2, 0x148)
#define ARI_TAIL	PVP_HDR(PCI_EXT_CAP_ID_ARI, 1, 0)
#define HIDDEN_TO_200	PVP_HDR(0, 0, 0x200)

static void pvp_emu_link_tail_points_at_cap(struct kunit *test)
{
	struct pvp_emu *e = new_emu(test, 0x800, 0);

	KUNIT_ASSERT_EQ(test, pvp_emu_link(e, AER_TO_TAIL, 0x148, ARI_TAIL), 0);
	expect_link(test, e, 0x148, PVP_HDR(PCI_EXT_CAP_ID_ARI, 1, 0x800));
}

static void pvp_emu_link_tail_cap_ends_chain(struct kunit *test)
{
	struct pvp_emu *e = new_emu(test, 0x800, 0);

	KUNIT_ASSERT_EQ(test, pvp_emu_link(e, AER_TO_TAIL, 0x148, ARI_TAIL), 0);
	expect_next(test, e, 0, 0);
}

static void pvp_emu_link_tail_two_caps(struct kunit *test)
{
	struct pvp_emu *e = new_emu(test, 0x800, 0x400);

	KUNIT_ASSERT_EQ(test, pvp_emu_link(e, AER_TO_TAIL, 0x148, ARI_TAIL), 0);
	expect_link(test, e, 0x148, PVP_HDR(PCI_EXT_CAP_ID_ARI, 1, 0x800));
	expect_next(test, e, 0, 0x400);
	expect_next(test, e, 1, 0);
}

static void pvp_emu_link_tail_after_hidden_first(struct kunit *test)
{
	struct pvp_emu *e = new_emu(test, 0x800, 0);

	KUNIT_ASSERT_EQ(test, pvp_emu_link(e, HIDDEN_TO_200, 0x250, ARI_TAIL),
			0);
	expect_link(test, e, 0x250, PVP_HDR(PCI_EXT_CAP_ID_ARI, 1, 0x800));
	expect_next(test, e, 0, 0);
}

/* The tail is the only header: it is at 0x100 and the cap goes elsewhere */
static void pvp_emu_link_tail_at_base(struct kunit *test)
{
	struct pvp_emu *e = new_emu(test, 0xff8, 0);

	KUNIT_ASSERT_EQ(test, pvp_emu_link(e, ARI_TAIL, 0x100, ARI_TAIL), 0);
	expect_link(test, e, 0x100, PVP_HDR(PCI_EXT_CAP_ID_ARI, 1, 0xff8));
	expect_next(test, e, 0, 0);
}

struct hi_param {
	const char *desc;
	u32 tail_hdr;
	u16 cap;
	u8 hi[2];
};

static const struct hi_param hi_params[] = {
	{ "ari-v1-0x800", PVP_HDR(0x0e, 1, 0), 0x800, { 0x01, 0x80 } },
	{ "v2-0xff8", PVP_HDR(0x0e, 2, 0), 0xff8, { 0x82, 0xff } },
	{ "v15-0x104", PVP_HDR(0x0e, 15, 0), 0x104, { 0x4f, 0x10 } },
	{ "v0-0x7fc", PVP_HDR(0x01, 0, 0), 0x7fc, { 0xc0, 0x7f } },
	{ "stale-next-0xf0", PVP_HDR(0x0e, 1, 0x0f0), 0x800, { 0x01, 0x80 } },
	{ "stale-next-low-bits", PVP_HDR(0x0e, 3, 0x003), 0x800, { 0x03, 0x80 } },
	{ "id-bits-kept-out", 0x000fffff, 0x208, { 0x8f, 0x20 } },
};

static void hi_param_desc(const struct hi_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(hi, hi_params, hi_param_desc);

static void pvp_emu_link_tail_link_bytes(struct kunit *test)
{
	const struct hi_param *p = test->param_value;
	struct pvp_emu *e = new_emu(test, p->cap, 0);

	KUNIT_ASSERT_EQ(test, pvp_emu_link(e, AER_TO_TAIL, 0x148, p->tail_hdr),
			0);
	KUNIT_EXPECT_EQ(test, e->link_hi[0], p->hi[0]);
	KUNIT_EXPECT_EQ(test, e->link_hi[1], p->hi[1]);
}

/* No extended caps: userspace sees 0 at 0x100, which is also the tail */
static void pvp_emu_link_head_alone(struct kunit *test)
{
	struct pvp_emu *e = new_emu(test, 0x100, 0);

	KUNIT_ASSERT_EQ(test, pvp_emu_link(e, 0, 0x100, 0), 0);
	KUNIT_EXPECT_EQ(test, e->link, 0);
	expect_next(test, e, 0, 0);
}

static void pvp_emu_link_head_two_caps(struct kunit *test)
{
	struct pvp_emu *e = new_emu(test, 0x100, 0x900);

	KUNIT_ASSERT_EQ(test, pvp_emu_link(e, 0, 0x100, 0), 0);
	KUNIT_EXPECT_EQ(test, e->link, 0);
	expect_next(test, e, 0, 0x900);
	expect_next(test, e, 1, 0);
}

static void pvp_emu_link_head_continues_chain(struct kunit *test)
{
	struct pvp_emu *e = new_emu(test, 0x100, 0);

	KUNIT_ASSERT_EQ(test, pvp_emu_link(e, HIDDEN_TO_200, 0x250, ARI_TAIL),
			0);
	KUNIT_EXPECT_EQ(test, e->link, 0);
	expect_next(test, e, 0, 0x200);
}

static void pvp_emu_link_head_continues_two_caps(struct kunit *test)
{
	struct pvp_emu *e = new_emu(test, 0x100, 0x900);

	KUNIT_ASSERT_EQ(test, pvp_emu_link(e, HIDDEN_TO_200, 0x250, ARI_TAIL),
			0);
	expect_next(test, e, 0, 0x200);
	expect_link(test, e, 0x250, PVP_HDR(PCI_EXT_CAP_ID_ARI, 1, 0x900));
	expect_next(test, e, 1, 0);
}

static void pvp_emu_link_bounds_emulated_bytes(struct kunit *test)
{
	struct pvp_emu *e = new_emu(test, 0x800, 0x400);

	KUNIT_ASSERT_EQ(test, pvp_emu_link(e, AER_TO_TAIL, 0x148, ARI_TAIL), 0);
	KUNIT_EXPECT_LE(test, e->lo, 0x14a);
	KUNIT_EXPECT_GE(test, e->hi, 0x808);
}

static void pvp_emu_link_bounds_tight(struct kunit *test)
{
	struct pvp_emu *e = new_emu(test, 0x800, 0x400);

	KUNIT_ASSERT_EQ(test, pvp_emu_link(e, AER_TO_TAIL, 0x148, ARI_TAIL), 0);
	KUNIT_EXPECT_EQ(test, e->lo, 0x14a);
	KUNIT_EXPECT_EQ(test, e->hi, 0x808);
}

static void pvp_emu_link_head_bounds_tight(struct kunit *test)
{
	struct pvp_emu *e = new_emu(test, 0x100, 0);

	KUNIT_ASSERT_EQ(test, pvp_emu_link(e, 0, 0x100, 0), 0);
	KUNIT_EXPECT_EQ(test, e->lo, 0x100);
	KUNIT_EXPECT_EQ(test, e->hi, 0x108);
}

static void pvp_emu_link_no_caps_fails(struct kunit *test)
{
	struct pvp_emu *e = new_emu(test, 0x800, 0);

	e->nr = 0;
	KUNIT_EXPECT_EQ(test, pvp_emu_link(e, AER_TO_TAIL, 0x148, ARI_TAIL),
			-EINVAL);
}

struct clash_param {
	const char *desc;
	u16 cap0;
	u16 cap1;
	u16 tail;
};

static const struct clash_param clash_params[] = {
	{ "caps-same", 0x800, 0x800, 0x148 },
	{ "caps-overlap", 0x800, 0x804, 0x148 },
	{ "caps-overlap-below", 0x804, 0x800, 0x148 },
	{ "cap-on-tail", 0x148, 0, 0x148 },
	{ "cap-ends-in-link", 0x144, 0, 0x148 },
	{ "tail-inside-cap", 0x800, 0, 0x804 },
	{ "second-cap-on-tail", 0x800, 0x148, 0x148 },
};

static void clash_param_desc(const struct clash_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(clash, clash_params, clash_param_desc);

static void pvp_emu_link_overlap_fails(struct kunit *test)
{
	const struct clash_param *p = test->param_value;
	struct pvp_emu *e = new_emu(test, p->cap0, p->cap1);

	KUNIT_EXPECT_EQ(test, pvp_emu_link(e, AER_TO_TAIL, p->tail, ARI_TAIL),
			-EINVAL);
}

/* Link bytes right below and right above a cap are fine */
static void pvp_emu_link_adjacent_ok(struct kunit *test)
{
	struct pvp_emu *e = new_emu(test, 0x800, 0x7f4);

	KUNIT_EXPECT_EQ(test, pvp_emu_link(e, AER_TO_TAIL, 0x7fc, ARI_TAIL), 0);
}

static struct kunit_case pvp_chain_cases[] = {
	KUNIT_CASE(pvp_chain_tail_zero_header),
	KUNIT_CASE(pvp_chain_tail_single_cap),
	KUNIT_CASE(pvp_chain_tail_out_of_order),
	KUNIT_CASE(pvp_chain_tail_hidden_first),
	KUNIT_CASE(pvp_chain_tail_next_below_base_ends),
	KUNIT_CASE(pvp_chain_tail_next_ignores_low_bits),
	KUNIT_CASE(pvp_chain_tail_self_loop_fails),
	KUNIT_CASE(pvp_chain_tail_back_loop_fails),
	KUNIT_CASE(pvp_chain_tail_longest_loop_fails),
	KUNIT_CASE(pvp_chain_tail_longest_chain),
	KUNIT_CASE_PARAM(pvp_chain_tail_read_error_propagates, err_gen_params),
	KUNIT_CASE(pvp_emu_link_tail_points_at_cap),
	KUNIT_CASE(pvp_emu_link_tail_cap_ends_chain),
	KUNIT_CASE(pvp_emu_link_tail_two_caps),
	KUNIT_CASE(pvp_emu_link_tail_after_hidden_first),
	KUNIT_CASE(pvp_emu_link_tail_at_base),
	KUNIT_CASE_PARAM(pvp_emu_link_tail_link_bytes, hi_gen_params),
	KUNIT_CASE(pvp_emu_link_head_alone),
	KUNIT_CASE(pvp_emu_link_head_two_caps),
	KUNIT_CASE(pvp_emu_link_head_continues_chain),
	KUNIT_CASE(pvp_emu_link_head_continues_two_caps),
	KUNIT_CASE(pvp_emu_link_bounds_emulated_bytes),
	KUNIT_CASE(pvp_emu_link_bounds_tight),
	KUNIT_CASE(pvp_emu_link_head_bounds_tight),
	KUNIT_CASE(pvp_emu_link_no_caps_fails),
	KUNIT_CASE_PARAM(pvp_emu_link_overlap_fails, clash_gen_params),
	KUNIT_CASE(pvp_emu_link_adjacent_ok),
	{}
};

static struct kunit_suite pvp_chain_suite = {
	.name = "pasid_vfio_pci_chain",
	.test_cases = pvp_chain_cases,
};

kunit_test_suites(&pvp_chain_suite);
