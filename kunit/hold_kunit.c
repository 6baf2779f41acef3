// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the PF guard's bookkeeping (src/hold.c): when the guard
 * holds a PF for each scope, when a disable is vetoed, and when a vetoed
 * disable is owed back.
 */
#include <kunit/test.h>

#include "hold.h"

static void pvp_scope_parse_names(struct kunit *test)
{
	enum pvp_scope s;

	KUNIT_EXPECT_EQ(test, pvp_scope_parse("off", &s), 0);
	KUNIT_EXPECT_EQ(test, s, PVP_SCOPE_OFF);
	KUNIT_EXPECT_EQ(test, pvp_scope_parse("bound\n", &s), 0);
	KUNIT_EXPECT_EQ(test, s, PVP_SCOPE_BOUND);
	KUNIT_EXPECT_EQ(test, pvp_scope_parse("open", &s), 0);
	KUNIT_EXPECT_EQ(test, s, PVP_SCOPE_OPEN);
	KUNIT_EXPECT_STREQ(test, pvp_scope_name(PVP_SCOPE_OPEN), "open");
}

static void pvp_scope_parse_rejects_junk(struct kunit *test)
{
	enum pvp_scope s = PVP_SCOPE_OPEN;

	KUNIT_EXPECT_EQ(test, pvp_scope_parse("", &s), -EINVAL);
	KUNIT_EXPECT_EQ(test, pvp_scope_parse("Bound", &s), -EINVAL);
	KUNIT_EXPECT_EQ(test, pvp_scope_parse("bounds", &s), -EINVAL);
	KUNIT_EXPECT_EQ(test, pvp_scope_parse(NULL, &s), -EINVAL);
	KUNIT_EXPECT_EQ(test, s, PVP_SCOPE_OPEN);
}

static void pvp_hold_bound_holds_from_first_bind(struct kunit *test)
{
	struct pvp_hold h = {};

	KUNIT_EXPECT_FALSE(test, pvp_hold_active(&h, PVP_SCOPE_BOUND));
	KUNIT_EXPECT_EQ(test, pvp_hold_bind(&h, PVP_SCOPE_BOUND), PVP_HOLD_HELD);
	KUNIT_EXPECT_EQ(test, pvp_hold_bind(&h, PVP_SCOPE_BOUND),
			PVP_HOLD_NOTHING);
	KUNIT_EXPECT_TRUE(test, pvp_hold_active(&h, PVP_SCOPE_BOUND));
	KUNIT_EXPECT_EQ(test, pvp_hold_unbind(&h, PVP_SCOPE_BOUND),
			PVP_HOLD_NOTHING);
	KUNIT_EXPECT_EQ(test, pvp_hold_unbind(&h, PVP_SCOPE_BOUND),
			PVP_HOLD_RELEASED);
	KUNIT_EXPECT_TRUE(test, pvp_hold_idle(&h));
}

static void pvp_hold_open_ignores_idle_bound_vfs(struct kunit *test)
{
	struct pvp_hold h = {};

	KUNIT_EXPECT_EQ(test, pvp_hold_bind(&h, PVP_SCOPE_OPEN),
			PVP_HOLD_NOTHING);
	KUNIT_EXPECT_FALSE(test, pvp_hold_active(&h, PVP_SCOPE_OPEN));
	KUNIT_EXPECT_FALSE(test, pvp_hold_veto(&h, PVP_SCOPE_OPEN, true));
	KUNIT_EXPECT_EQ(test, pvp_hold_open(&h, PVP_SCOPE_OPEN), PVP_HOLD_HELD);
	KUNIT_EXPECT_TRUE(test, pvp_hold_veto(&h, PVP_SCOPE_OPEN, true));
	KUNIT_EXPECT_EQ(test, pvp_hold_close(&h, PVP_SCOPE_OPEN),
			PVP_HOLD_APPLY);
	KUNIT_EXPECT_FALSE(test, h.vetoed);
	KUNIT_EXPECT_FALSE(test, pvp_hold_idle(&h));
	KUNIT_EXPECT_EQ(test, pvp_hold_unbind(&h, PVP_SCOPE_OPEN),
			PVP_HOLD_NOTHING);
	KUNIT_EXPECT_TRUE(test, pvp_hold_idle(&h));
}

static void pvp_hold_off_never_vetoes(struct kunit *test)
{
	struct pvp_hold h = {};

	KUNIT_EXPECT_EQ(test, pvp_hold_bind(&h, PVP_SCOPE_OFF),
			PVP_HOLD_NOTHING);
	KUNIT_EXPECT_EQ(test, pvp_hold_open(&h, PVP_SCOPE_OFF),
			PVP_HOLD_NOTHING);
	KUNIT_EXPECT_FALSE(test, pvp_hold_veto(&h, PVP_SCOPE_OFF, true));
	KUNIT_EXPECT_EQ(test, pvp_hold_close(&h, PVP_SCOPE_OFF),
			PVP_HOLD_NOTHING);
	KUNIT_EXPECT_EQ(test, pvp_hold_unbind(&h, PVP_SCOPE_OFF),
			PVP_HOLD_NOTHING);
	KUNIT_EXPECT_TRUE(test, pvp_hold_idle(&h));
}

static void pvp_hold_veto_owed_until_last_unbind(struct kunit *test)
{
	struct pvp_hold h = {};

	pvp_hold_bind(&h, PVP_SCOPE_BOUND);
	pvp_hold_bind(&h, PVP_SCOPE_BOUND);
	KUNIT_EXPECT_TRUE(test, pvp_hold_veto(&h, PVP_SCOPE_BOUND, true));
	KUNIT_EXPECT_TRUE(test, pvp_hold_veto(&h, PVP_SCOPE_BOUND, true));
	KUNIT_EXPECT_EQ(test, pvp_hold_unbind(&h, PVP_SCOPE_BOUND),
			PVP_HOLD_NOTHING);
	KUNIT_EXPECT_TRUE(test, h.vetoed);
	KUNIT_EXPECT_EQ(test, pvp_hold_unbind(&h, PVP_SCOPE_BOUND),
			PVP_HOLD_APPLY);
	KUNIT_EXPECT_FALSE(test, h.vetoed);
}

static void pvp_hold_veto_ignores_disabled_pf(struct kunit *test)
{
	struct pvp_hold h = {};

	pvp_hold_bind(&h, PVP_SCOPE_BOUND);
	KUNIT_EXPECT_FALSE(test, pvp_hold_veto(&h, PVP_SCOPE_BOUND, false));
	KUNIT_EXPECT_EQ(test, pvp_hold_unbind(&h, PVP_SCOPE_BOUND),
			PVP_HOLD_RELEASED);
}

static void pvp_hold_bound_close_keeps_holding(struct kunit *test)
{
	struct pvp_hold h = {};

	pvp_hold_bind(&h, PVP_SCOPE_BOUND);
	pvp_hold_open(&h, PVP_SCOPE_BOUND);
	KUNIT_EXPECT_TRUE(test, pvp_hold_veto(&h, PVP_SCOPE_BOUND, true));
	KUNIT_EXPECT_EQ(test, pvp_hold_close(&h, PVP_SCOPE_BOUND),
			PVP_HOLD_NOTHING);
	KUNIT_EXPECT_TRUE(test, pvp_hold_active(&h, PVP_SCOPE_BOUND));
	KUNIT_EXPECT_EQ(test, pvp_hold_unbind(&h, PVP_SCOPE_BOUND),
			PVP_HOLD_APPLY);
}

static void pvp_hold_unbalanced_calls_change_nothing(struct kunit *test)
{
	struct pvp_hold h = {};

	KUNIT_EXPECT_EQ(test, pvp_hold_unbind(&h, PVP_SCOPE_BOUND),
			PVP_HOLD_NOTHING);
	KUNIT_EXPECT_EQ(test, pvp_hold_close(&h, PVP_SCOPE_OPEN),
			PVP_HOLD_NOTHING);
	/* Opening more VFs than are bound is a caller bug */
	KUNIT_EXPECT_EQ(test, pvp_hold_open(&h, PVP_SCOPE_OPEN),
			PVP_HOLD_NOTHING);
	pvp_hold_bind(&h, PVP_SCOPE_OPEN);
	pvp_hold_open(&h, PVP_SCOPE_OPEN);
	/* Unbinding an open VF is a caller bug too */
	KUNIT_EXPECT_EQ(test, pvp_hold_unbind(&h, PVP_SCOPE_OPEN),
			PVP_HOLD_NOTHING);
	KUNIT_EXPECT_EQ(test, h.bound, 1U);
	KUNIT_EXPECT_EQ(test, h.open, 1U);
}

static struct kunit_case pvp_hold_cases[] = {
	KUNIT_CASE(pvp_scope_parse_names),
	KUNIT_CASE(pvp_scope_parse_rejects_junk),
	KUNIT_CASE(pvp_hold_bound_holds_from_first_bind),
	KUNIT_CASE(pvp_hold_open_ignores_idle_bound_vfs),
	KUNIT_CASE(pvp_hold_off_never_vetoes),
	KUNIT_CASE(pvp_hold_veto_owed_until_last_unbind),
	KUNIT_CASE(pvp_hold_veto_ignores_disabled_pf),
	KUNIT_CASE(pvp_hold_bound_close_keeps_holding),
	KUNIT_CASE(pvp_hold_unbalanced_calls_change_nothing),
	{}
};

static struct kunit_suite pvp_hold_suite = {
	.name = "pasid_vfio_pci_hold",
	.test_cases = pvp_hold_cases,
};

kunit_test_suites(&pvp_hold_suite);
