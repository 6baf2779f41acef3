// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for pvp_pri_init() and the PRI capability's registers, alone
 * and beside the PASID capability in a crowded layout.
 */
#include <kunit/test.h>
#include <linux/pci_regs.h>

#include "ecap.h"
#include "fake_cfg.h"

#define PRI	0xf00
#define TAIL	0x140
#define CAPACITY 0x200

static struct pvp_emu *pri_emu(struct kunit *test, u16 pf_status)
{
	struct pvp_emu *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, e);
	pvp_pri_init(&e->cap[0], PRI, pf_status, CAPACITY);
	e->nr = 1;
	KUNIT_ASSERT_EQ(test, pvp_emu_link(e, PVP_HDR(PCI_EXT_CAP_ID_ERR, 2, TAIL),
					   TAIL, PVP_HDR(PCI_EXT_CAP_ID_ARI, 1, 0)),
			0);
	return e;
}

static u32 rd(struct pvp_emu *e, unsigned int pos, unsigned int n)
{
	u8 b[4] = {};
	u32 v = 0;
	int i;

	pvp_emu_read(e, pos, b, n);
	for (i = n - 1; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static void wr(struct pvp_emu *e, unsigned int pos, unsigned int n, u32 v)
{
	u8 b[4] = { v, v >> 8, v >> 16, v >> 24 };

	pvp_emu_write(e, pos, b, n);
}

static void pvp_pri_init_mirrors_pf(struct kunit *test)
{
	struct pvp_emu *e = pri_emu(test, PCI_PRI_STATUS_PASID |
				    PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI);

	KUNIT_EXPECT_EQ(test, rd(e, PRI, 4), PVP_HDR(PCI_EXT_CAP_ID_PRI, 1, 0));
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_CTRL, 2), 0U);
	/* PASID Required from the PF, Stopped while disabled, no errors */
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_STATUS, 2),
			(u32)(PCI_PRI_STATUS_PASID | PCI_PRI_STATUS_STOPPED));
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_MAX_REQ, 4), (u32)CAPACITY);
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_ALLOC_REQ, 4), 0U);
}

static void pvp_pri_enable_clears_stopped(struct kunit *test)
{
	struct pvp_emu *e = pri_emu(test, 0);

	wr(e, PRI + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE);
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_CTRL, 2),
			(u32)PCI_PRI_CTRL_ENABLE);
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_STATUS, 2), 0U);
	wr(e, PRI + PCI_PRI_CTRL, 1, 0);
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_STATUS, 2),
			(u32)PCI_PRI_STATUS_STOPPED);
}

static void pvp_pri_reset_and_reserved_read_zero(struct kunit *test)
{
	struct pvp_emu *e = pri_emu(test, 0);

	wr(e, PRI + PCI_PRI_CTRL, 2, 0xffff);
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_CTRL, 2),
			(u32)PCI_PRI_CTRL_ENABLE);
	wr(e, PRI + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_RESET);
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_CTRL, 2), 0U);
}

static void pvp_pri_status_errors_rw1c(struct kunit *test)
{
	struct pvp_emu *e = pri_emu(test, 0);
	u8 *st = &e->cap[0].val[PCI_PRI_STATUS];

	/* Nothing sets them but hardware; stand in for it */
	*st |= PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI;
	wr(e, PRI + PCI_PRI_STATUS, 2, 0);
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_STATUS, 1),
			(u32)(PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI));
	wr(e, PRI + PCI_PRI_STATUS, 1, PCI_PRI_STATUS_RF);
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_STATUS, 1),
			(u32)PCI_PRI_STATUS_UPRGI);
	/* Stopped and PASID Required are read-only */
	wr(e, PRI + PCI_PRI_STATUS, 2, 0xffff);
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_STATUS, 2),
			(u32)PCI_PRI_STATUS_STOPPED);
}

static void pvp_pri_capacity_read_only(struct kunit *test)
{
	struct pvp_emu *e = pri_emu(test, 0);

	wr(e, PRI + PCI_PRI_MAX_REQ, 4, 0x12345678);
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_MAX_REQ, 4), (u32)CAPACITY);
}

static void pvp_pri_alloc_within_capacity(struct kunit *test)
{
	struct pvp_emu *e = pri_emu(test, 0);

	wr(e, PRI + PCI_PRI_ALLOC_REQ, 4, 0x80);
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_ALLOC_REQ, 4), 0x80U);
	wr(e, PRI + PCI_PRI_ALLOC_REQ + 1, 1, 0xff);
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_ALLOC_REQ, 4), (u32)CAPACITY);
	wr(e, PRI + PCI_PRI_ALLOC_REQ, 2, 0x1ff);
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_ALLOC_REQ, 4), 0x1ffU);
}

static void pvp_pri_pf_disabled_enable_reads_zero(struct kunit *test)
{
	struct pvp_emu *e = pri_emu(test, 0);

	wr(e, PRI + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE);
	pvp_ecap_set_pf_enabled(&e->cap[0], false);
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_CTRL, 2), 0U);
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_STATUS, 2),
			(u32)PCI_PRI_STATUS_STOPPED);
	wr(e, PRI + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE);
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_CTRL, 2), 0U);
	pvp_ecap_set_pf_enabled(&e->cap[0], true);
	wr(e, PRI + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE);
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_CTRL, 2),
			(u32)PCI_PRI_CTRL_ENABLE);
}

static void pvp_pri_reset_restores(struct kunit *test)
{
	struct pvp_emu *e = pri_emu(test, PCI_PRI_STATUS_PASID);

	wr(e, PRI + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE);
	wr(e, PRI + PCI_PRI_ALLOC_REQ, 4, 7);
	pvp_emu_reset(e);
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_CTRL, 4),
			(u32)(PCI_PRI_STATUS_PASID | PCI_PRI_STATUS_STOPPED) << 16);
	KUNIT_EXPECT_EQ(test, rd(e, PRI + PCI_PRI_ALLOC_REQ, 4), 0U);
}

/*
 * A crowded VF: AER at 0x100, ARI at 0x148, a VSEC filling 0x150-0xff7.
 * The PF has PASID at 0x150 and PRI at 0x160, both taken; PASID goes to
 * the only hole, 0xff8, and PRI finds no room.  With the VSEC 8 bytes
 * shorter, PASID keeps 0xff8 and PRI takes the highest 16 bytes below it,
 * 0xfe8.
 */
static void pvp_pri_beside_pasid_crowded(struct kunit *test)
{
	struct pvp_fake_cfg *f = pvp_fake_new(test);
	struct pvp_layout *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	enum pvp_placement how;
	u16 pasid, pri;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, l);
	pvp_fake_cap(f, 0x100, PCI_EXT_CAP_ID_ERR, 0x148);
	pvp_fake_cap(f, 0x148, PCI_EXT_CAP_ID_ARI, 0x150);
	pvp_fake_cap(f, 0x150, PCI_EXT_CAP_ID_VNDR, 0);
	pvp_fake_put32(f, 0x154, (0xff8 - 0x150) << 20);
	KUNIT_ASSERT_EQ(test, pvp_layout_scan(l, pvp_fake_read32, f), 0);
	KUNIT_EXPECT_EQ(test, pvp_place(l, 8, 0x150, 0, &pasid, &how), 0);
	KUNIT_EXPECT_EQ(test, pasid, 0xff8);
	KUNIT_ASSERT_EQ(test, pvp_layout_add(l, pasid, 8), 0);
	KUNIT_EXPECT_EQ(test, pvp_place(l, 16, 0x160, 0, &pri, &how),
			-ENOSPC);

	pvp_fake_put32(f, 0x154, (0xfe0 - 0x150) << 20);
	KUNIT_ASSERT_EQ(test, pvp_layout_scan(l, pvp_fake_read32, f), 0);
	KUNIT_EXPECT_EQ(test, pvp_place(l, 8, 0x150, 0, &pasid, &how), 0);
	KUNIT_ASSERT_EQ(test, pvp_layout_add(l, pasid, 8), 0);
	KUNIT_EXPECT_EQ(test, pvp_place(l, 16, 0x160, 0, &pri, &how), 0);
	KUNIT_EXPECT_EQ(test, pasid, 0xff8);
	KUNIT_EXPECT_EQ(test, pri, 0xfe8);
	KUNIT_EXPECT_EQ(test, how, PVP_PLACE_FREE);
}

/* Both linked after the tail: tail -> PASID -> PRI -> end, each served */
static void pvp_pri_beside_pasid_chain(struct kunit *test)
{
	struct pvp_emu *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, e);
	pvp_pasid_init(&e->cap[0], 0xff8, PCI_PASID_CAP_EXEC | 0x1400);
	pvp_pri_init(&e->cap[1], 0xfe8, 0, CAPACITY);
	e->nr = 2;
	KUNIT_ASSERT_EQ(test, pvp_emu_link(e, PVP_HDR(PCI_EXT_CAP_ID_ERR, 2, TAIL),
					   TAIL, PVP_HDR(PCI_EXT_CAP_ID_ARI, 1, 0)),
			0);
	KUNIT_EXPECT_EQ(test, rd(e, TAIL + 2, 2) >> 4, 0xff8U);
	KUNIT_EXPECT_EQ(test, rd(e, 0xff8, 4),
			PVP_HDR(PCI_EXT_CAP_ID_PASID, 1, 0xfe8));
	KUNIT_EXPECT_EQ(test, rd(e, 0xfe8, 4), PVP_HDR(PCI_EXT_CAP_ID_PRI, 1, 0));
	/* One write spanning PRI's allocation and the gap before PASID */
	wr(e, 0xff4, 4, 0xffffffff);
	KUNIT_EXPECT_EQ(test, rd(e, 0xff4, 4), (u32)CAPACITY);
	wr(e, 0xffc, 4, 0x00070000);
	KUNIT_EXPECT_EQ(test, rd(e, 0xffe, 2),
			(u32)(PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC));
	KUNIT_EXPECT_EQ(test, rd(e, 0xfe8 + PCI_PRI_CTRL, 2), 0U);
}

static void pvp_shared_caps_parse_valid(struct kunit *test)
{
	unsigned int caps = 0;

	KUNIT_EXPECT_EQ(test, pvp_shared_caps_parse("pasid", &caps), 0);
	KUNIT_EXPECT_EQ(test, caps, (unsigned int)PVP_SHARED_PASID);
	KUNIT_EXPECT_EQ(test, pvp_shared_caps_parse("pasid,pri\n", &caps), 0);
	KUNIT_EXPECT_EQ(test, caps,
			(unsigned int)(PVP_SHARED_PASID | PVP_SHARED_PRI));
	KUNIT_EXPECT_EQ(test, pvp_shared_caps_parse("pri,pasid", &caps), 0);
	KUNIT_EXPECT_EQ(test, caps,
			(unsigned int)(PVP_SHARED_PASID | PVP_SHARED_PRI));
}

static void pvp_shared_caps_parse_invalid(struct kunit *test)
{
	static const char * const bad[] = {
		"", "\n", "pri", "pasid,", "pasid,\n", ",pasid", "pasid,pasid",
		"pasid pri", "PASID", "pasid,ats", "pasid\n\n",
	};
	unsigned int caps = 0x55, i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ_MSG(test, pvp_shared_caps_parse(bad[i], &caps),
				    -EINVAL, "\"%s\"", bad[i]);
	KUNIT_EXPECT_EQ(test, pvp_shared_caps_parse(NULL, &caps), -EINVAL);
	KUNIT_EXPECT_EQ(test, caps, 0x55U);
}

static struct kunit_case pvp_pri_cases[] = {
	KUNIT_CASE(pvp_pri_init_mirrors_pf),
	KUNIT_CASE(pvp_pri_enable_clears_stopped),
	KUNIT_CASE(pvp_pri_reset_and_reserved_read_zero),
	KUNIT_CASE(pvp_pri_status_errors_rw1c),
	KUNIT_CASE(pvp_pri_capacity_read_only),
	KUNIT_CASE(pvp_pri_alloc_within_capacity),
	KUNIT_CASE(pvp_pri_pf_disabled_enable_reads_zero),
	KUNIT_CASE(pvp_pri_reset_restores),
	KUNIT_CASE(pvp_pri_beside_pasid_crowded),
	KUNIT_CASE(pvp_pri_beside_pasid_chain),
	KUNIT_CASE(pvp_shared_caps_parse_valid),
	KUNIT_CASE(pvp_shared_caps_parse_invalid),
	{}
};

static struct kunit_suite pvp_pri_suite = {
	.name = "pasid_vfio_pci_pri",
	.test_cases = pvp_pri_cases,
};

kunit_test_suites(&pvp_pri_suite);
