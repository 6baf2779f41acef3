// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the PF guard's bookkeeping (src/hold.c): when the guard
 * holds a PF for each scope, when a disable is vetoed, when a vetoed
 * disable is owed back, how a pci_enable_pasid() in flight settles it, and
 * when the owed write may happen.
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

/* A successful re-enable while the guard holds cancels the owed disable */
static void pvp_hold_enable_cancels_owed(struct kunit *test)
{
	struct pvp_hold h = {};

	pvp_hold_bind(&h, PVP_SCOPE_BOUND);
	KUNIT_EXPECT_TRUE(test, pvp_hold_veto(&h, PVP_SCOPE_BOUND, true));
	pvp_hold_enable_begin(&h);
	KUNIT_EXPECT_EQ(test, pvp_hold_enable_end(&h, PVP_SCOPE_BOUND, true),
			PVP_HOLD_NOTHING);
	KUNIT_EXPECT_FALSE(test, h.vetoed);
	KUNIT_EXPECT_EQ(test, pvp_hold_unbind(&h, PVP_SCOPE_BOUND),
			PVP_HOLD_RELEASED);
	KUNIT_EXPECT_TRUE(test, pvp_hold_idle(&h));
}

/* A failed re-enable wrote nothing: the disable stays owed */
static void pvp_hold_failed_enable_keeps_owed(struct kunit *test)
{
	struct pvp_hold h = {};

	pvp_hold_bind(&h, PVP_SCOPE_BOUND);
	KUNIT_EXPECT_TRUE(test, pvp_hold_veto(&h, PVP_SCOPE_BOUND, true));
	pvp_hold_enable_begin(&h);
	KUNIT_EXPECT_EQ(test, pvp_hold_enable_end(&h, PVP_SCOPE_BOUND, false),
			PVP_HOLD_NOTHING);
	KUNIT_EXPECT_TRUE(test, h.vetoed);
	KUNIT_EXPECT_EQ(test, pvp_hold_unbind(&h, PVP_SCOPE_BOUND),
			PVP_HOLD_APPLY);
	KUNIT_EXPECT_FALSE(test, h.vetoed);
}

/*
 * The last VF goes while an enable is in flight: no write now, the bookkeeping
 * stays until the enable returns; its success cancels the disable
 */
static void pvp_hold_lift_during_enable_success(struct kunit *test)
{
	struct pvp_hold h = {};

	pvp_hold_bind(&h, PVP_SCOPE_BOUND);
	KUNIT_EXPECT_TRUE(test, pvp_hold_veto(&h, PVP_SCOPE_BOUND, true));
	pvp_hold_enable_begin(&h);
	KUNIT_EXPECT_EQ(test, pvp_hold_unbind(&h, PVP_SCOPE_BOUND),
			PVP_HOLD_RELEASED);
	KUNIT_EXPECT_TRUE(test, h.vetoed);
	KUNIT_EXPECT_FALSE(test, pvp_hold_idle(&h));
	KUNIT_EXPECT_EQ(test, pvp_hold_enable_end(&h, PVP_SCOPE_BOUND, true),
			PVP_HOLD_NOTHING);
	KUNIT_EXPECT_FALSE(test, h.vetoed);
	KUNIT_EXPECT_TRUE(test, pvp_hold_idle(&h));
}

/* ... and its failure makes the owed disable due when it returns */
static void pvp_hold_lift_during_enable_failure(struct kunit *test)
{
	struct pvp_hold h = {};

	pvp_hold_bind(&h, PVP_SCOPE_OPEN);
	pvp_hold_open(&h, PVP_SCOPE_OPEN);
	KUNIT_EXPECT_TRUE(test, pvp_hold_veto(&h, PVP_SCOPE_OPEN, true));
	pvp_hold_enable_begin(&h);
	KUNIT_EXPECT_EQ(test, pvp_hold_close(&h, PVP_SCOPE_OPEN),
			PVP_HOLD_RELEASED);
	KUNIT_EXPECT_TRUE(test, h.vetoed);
	KUNIT_EXPECT_EQ(test, pvp_hold_enable_end(&h, PVP_SCOPE_OPEN, false),
			PVP_HOLD_APPLY);
	KUNIT_EXPECT_FALSE(test, h.vetoed);
	KUNIT_EXPECT_FALSE(test, pvp_hold_idle(&h));	/* still bound */
	KUNIT_EXPECT_EQ(test, pvp_hold_unbind(&h, PVP_SCOPE_OPEN),
			PVP_HOLD_NOTHING);
	KUNIT_EXPECT_TRUE(test, pvp_hold_idle(&h));
}

/* Two enables in flight: the owed disable waits for the last */
static void pvp_hold_two_enables_in_flight(struct kunit *test)
{
	struct pvp_hold h = {};

	pvp_hold_bind(&h, PVP_SCOPE_BOUND);
	KUNIT_EXPECT_TRUE(test, pvp_hold_veto(&h, PVP_SCOPE_BOUND, true));
	pvp_hold_enable_begin(&h);
	pvp_hold_enable_begin(&h);
	KUNIT_EXPECT_EQ(test, pvp_hold_unbind(&h, PVP_SCOPE_BOUND),
			PVP_HOLD_RELEASED);
	KUNIT_EXPECT_EQ(test, pvp_hold_enable_end(&h, PVP_SCOPE_BOUND, false),
			PVP_HOLD_NOTHING);
	KUNIT_EXPECT_TRUE(test, h.vetoed);
	KUNIT_EXPECT_FALSE(test, pvp_hold_idle(&h));
	KUNIT_EXPECT_EQ(test, pvp_hold_enable_end(&h, PVP_SCOPE_BOUND, false),
			PVP_HOLD_APPLY);
	KUNIT_EXPECT_TRUE(test, pvp_hold_idle(&h));
}

/* An enable with nothing owed, and an unbalanced end, change nothing */
static void pvp_hold_enable_without_veto(struct kunit *test)
{
	struct pvp_hold h = {};

	KUNIT_EXPECT_EQ(test, pvp_hold_enable_end(&h, PVP_SCOPE_BOUND, false),
			PVP_HOLD_NOTHING);
	KUNIT_EXPECT_EQ(test, h.enabling, 0U);
	pvp_hold_bind(&h, PVP_SCOPE_BOUND);
	pvp_hold_enable_begin(&h);
	KUNIT_EXPECT_EQ(test, pvp_hold_unbind(&h, PVP_SCOPE_BOUND),
			PVP_HOLD_RELEASED);
	KUNIT_EXPECT_EQ(test, pvp_hold_enable_end(&h, PVP_SCOPE_BOUND, false),
			PVP_HOLD_NOTHING);
	KUNIT_EXPECT_TRUE(test, pvp_hold_idle(&h));
}

struct pvp_apply_case {
	bool present, pf_enabled, ats;
	enum pvp_hold_apply want;
};

/* Gone beats re-enabled beats ATS: each reason alone, then combined */
static const struct pvp_apply_case pvp_apply_cases[] = {
	{ true,  false, false, PVP_APPLY_WRITE },
	{ false, false, false, PVP_APPLY_GONE },
	{ true,  true,  false, PVP_APPLY_REENABLED },
	{ true,  false, true,  PVP_APPLY_ATS },
	{ false, true,  true,  PVP_APPLY_GONE },
	{ true,  true,  true,  PVP_APPLY_REENABLED },
};

static void pvp_hold_apply_check_table(struct kunit *test)
{
	const struct pvp_apply_case *c;

	for (c = pvp_apply_cases; c < pvp_apply_cases + ARRAY_SIZE(pvp_apply_cases); c++)
		KUNIT_EXPECT_EQ_MSG(test, pvp_hold_apply_check(c->present,
							       c->pf_enabled,
							       c->ats),
				    c->want, "present=%d enabled=%d ats=%d",
				    c->present, c->pf_enabled, c->ats);
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
	KUNIT_CASE(pvp_hold_enable_cancels_owed),
	KUNIT_CASE(pvp_hold_failed_enable_keeps_owed),
	KUNIT_CASE(pvp_hold_lift_during_enable_success),
	KUNIT_CASE(pvp_hold_lift_during_enable_failure),
	KUNIT_CASE(pvp_hold_two_enables_in_flight),
	KUNIT_CASE(pvp_hold_enable_without_veto),
	KUNIT_CASE(pvp_hold_apply_check_table),
	{}
};

static struct kunit_suite pvp_hold_suite = {
	.name = "pasid_vfio_pci_hold",
	.test_cases = pvp_hold_cases,
};

kunit_test_suites(&pvp_hold_suite);
