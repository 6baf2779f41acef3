// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for what a VF is shown and to whom: the expose= policy
 * (pvp_expose_parse(), pvp_expose_allows()) and the Capability register
 * derived from the PF's (pvp_pasid_cap_check(), pvp_pasid_vf_cap()).
 */
#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/pci_regs.h>
#include <linux/string.h>

#include "ecap.h"

static void pvp_expose_parse_values(struct kunit *test)
{
	enum pvp_expose e = PVP_EXPOSE_ALWAYS;

	KUNIT_EXPECT_EQ(test, pvp_expose_parse("auto", &e), 0);
	KUNIT_EXPECT_EQ(test, e, PVP_EXPOSE_AUTO);
	KUNIT_EXPECT_EQ(test, pvp_expose_parse("always\n", &e), 0);
	KUNIT_EXPECT_EQ(test, e, PVP_EXPOSE_ALWAYS);
	KUNIT_EXPECT_EQ(test, pvp_expose_parse("auto\n", &e), 0);
	KUNIT_EXPECT_EQ(test, e, PVP_EXPOSE_AUTO);
}

static void pvp_expose_parse_malformed(struct kunit *test)
{
	static const char * const bad[] = {
		"", "\n", "Auto", "ALWAYS", "never", "1", "y", "auto,always",
		"always ", " auto", "auto\n\n", "alway", "alwayss",
	};
	enum pvp_expose e = PVP_EXPOSE_ALWAYS;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		KUNIT_EXPECT_EQ_MSG(test, pvp_expose_parse(bad[i], &e), -EINVAL,
				    "'%s'", bad[i]);
		KUNIT_EXPECT_EQ_MSG(test, e, PVP_EXPOSE_ALWAYS,
				    "'%s' changed the value", bad[i]);
	}
	KUNIT_EXPECT_EQ(test, pvp_expose_parse(NULL, &e), -EINVAL);
}

static void pvp_expose_name_round_trip(struct kunit *test)
{
	enum pvp_expose e;

	KUNIT_EXPECT_STREQ(test, pvp_expose_name(PVP_EXPOSE_AUTO), "auto");
	KUNIT_EXPECT_STREQ(test, pvp_expose_name(PVP_EXPOSE_ALWAYS), "always");
	KUNIT_ASSERT_EQ(test, pvp_expose_parse(pvp_expose_name(PVP_EXPOSE_ALWAYS), &e), 0);
	KUNIT_EXPECT_EQ(test, e, PVP_EXPOSE_ALWAYS);
}

/* Only a cdev user of a kernel with PASID attach gets it under auto */
static void pvp_expose_allows_auto(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, pvp_expose_allows(PVP_EXPOSE_AUTO,
						  PVP_BACKEND_CDEV, true));
	KUNIT_EXPECT_FALSE(test, pvp_expose_allows(PVP_EXPOSE_AUTO,
						   PVP_BACKEND_CDEV, false));
	KUNIT_EXPECT_FALSE(test, pvp_expose_allows(PVP_EXPOSE_AUTO,
						   PVP_BACKEND_CONTAINER, true));
	KUNIT_EXPECT_FALSE(test, pvp_expose_allows(PVP_EXPOSE_AUTO,
						   PVP_BACKEND_CONTAINER, false));
	KUNIT_EXPECT_FALSE(test, pvp_expose_allows(PVP_EXPOSE_AUTO,
						   PVP_BACKEND_COMPAT, true));
	KUNIT_EXPECT_FALSE(test, pvp_expose_allows(PVP_EXPOSE_AUTO,
						   PVP_BACKEND_COMPAT, false));
}

static void pvp_expose_allows_always(struct kunit *test)
{
	enum pvp_backend b;

	for (b = PVP_BACKEND_CONTAINER; b <= PVP_BACKEND_CDEV; b++) {
		KUNIT_EXPECT_TRUE(test, pvp_expose_allows(PVP_EXPOSE_ALWAYS,
							  b, false));
		KUNIT_EXPECT_TRUE(test, pvp_expose_allows(PVP_EXPOSE_ALWAYS,
							  b, true));
	}
}

/* The log line names the backend */
static void pvp_backend_name_distinct(struct kunit *test)
{
	KUNIT_EXPECT_NOT_NULL(test, strstr(pvp_backend_name(PVP_BACKEND_CONTAINER),
					   "type1"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(pvp_backend_name(PVP_BACKEND_COMPAT),
					   "compat"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(pvp_backend_name(PVP_BACKEND_CDEV),
					   "cdev"));
}

static void pvp_pasid_cap_check_widths(struct kunit *test)
{
	unsigned int w;

	for (w = 0; w <= 0x1f; w++) {
		u16 cap = w << 8 | PCI_PASID_CAP_EXEC;

		KUNIT_EXPECT_EQ_MSG(test, pvp_pasid_cap_check(cap),
				    w <= PVP_PASID_WIDTH_MAX ? 0 : -ERANGE,
				    "width %u", w);
	}
}

static void pvp_pasid_cap_check_all_ones(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, pvp_pasid_cap_check(0xffff), -EIO);
	/* Width 31 without the other ones is out of range, not gone */
	KUNIT_EXPECT_EQ(test, pvp_pasid_cap_check(0x1f00), -ERANGE);
	KUNIT_EXPECT_EQ(test, pvp_pasid_cap_check(0), 0);
	KUNIT_EXPECT_EQ(test, pvp_pasid_cap_check(0x1406), 0);
}

struct vf_cap_param {
	const char *desc;
	u16 pf_cap, pf_ctrl, want;
};

static const struct vf_cap_param vf_cap_params[] = {
	{ "exec-priv-both-enabled", 0x1406, 0x0007, 0x1406 },
	{ "exec-enabled-priv-not", 0x1406, 0x0003, 0x1402 },
	{ "priv-enabled-exec-not", 0x1406, 0x0005, 0x1404 },
	{ "supported-none-enabled", 0x1406, 0x0001, 0x1400 },
	{ "pf-disabled", 0x1406, 0x0000, 0x1400 },
	{ "enable-bits-without-support", 0x1000, 0x0007, 0x1000 },
	{ "pf-gone", 0x1406, 0xffff, 0x1400 },
	{ "reserved-cap-bits-dropped", 0xe0f9 | 0x1406, 0x0007, 0x1406 },
	{ "width-zero", 0x0002, 0x0003, 0x0002 },
	{ "width-20", 0x1402, 0x0003, 0x1402 },
};

static void vf_cap_desc(const struct vf_cap_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vf_cap, vf_cap_params, vf_cap_desc);

static void pvp_pasid_vf_cap_masks(struct kunit *test)
{
	const struct vf_cap_param *p = test->param_value;

	KUNIT_EXPECT_EQ(test, pvp_pasid_vf_cap(p->pf_cap, p->pf_ctrl), p->want);
}

/* What the VF shows becomes the writable Control bits of the capability */
static void pvp_pasid_vf_cap_limits_ctrl(struct kunit *test)
{
	struct pvp_ecap c;

	pvp_pasid_init(&c, 0x1c0, pvp_pasid_vf_cap(0x1406, 0x0003));
	KUNIT_EXPECT_EQ(test, c.rw[PCI_PASID_CTRL], PCI_PASID_CTRL_ENABLE |
			PCI_PASID_CTRL_EXEC);
	KUNIT_EXPECT_EQ(test, c.val[PCI_PASID_CAP], PCI_PASID_CAP_EXEC);
}

static struct kunit_case pvp_policy_cases[] = {
	KUNIT_CASE(pvp_expose_parse_values),
	KUNIT_CASE(pvp_expose_parse_malformed),
	KUNIT_CASE(pvp_expose_name_round_trip),
	KUNIT_CASE(pvp_expose_allows_auto),
	KUNIT_CASE(pvp_expose_allows_always),
	KUNIT_CASE(pvp_backend_name_distinct),
	KUNIT_CASE(pvp_pasid_cap_check_widths),
	KUNIT_CASE(pvp_pasid_cap_check_all_ones),
	KUNIT_CASE_PARAM(pvp_pasid_vf_cap_masks, vf_cap_gen_params),
	KUNIT_CASE(pvp_pasid_vf_cap_limits_ctrl),
	{}
};

static struct kunit_suite pvp_policy_suite = {
	.name = "pasid_vfio_pci_policy",
	.test_cases = pvp_policy_cases,
};

kunit_test_suites(&pvp_policy_suite);
