// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for what a VF is shown and to whom: the expose= policy
 * (pvp_expose_parse(), pvp_expose_allows()), the Capability register
 * derived from the PF's (pvp_pasid_cap_check(), pvp_pasid_vf_cap()), and
 * the PF's End-End TLP Prefix support shown in a VF's DEVCAP2
 * (pvp_devcap2_eetlp(), pvp_emu_set_patch(), pvp_emu_patch_read()).
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

	KUNIT_EXPECT_EQ(test, pvp_pasid_vf_cap(p->pf_cap, p->pf_ctrl, -1),
			p->want);
}

/* Max PASID Width: the PF's, no more than the host IOMMU's */
static void pvp_pasid_vf_cap_host_width(struct kunit *test)
{
	int host;

	for (host = -2; host <= 24; host++) {
		u16 want = host >= 0 && host < 20 ? host : 20;

		KUNIT_EXPECT_EQ_MSG(test, pvp_pasid_vf_cap(0x1406, 0x0007, host),
				    want << 8 | 0x06, "host width %d", host);
	}
	/* a narrower PF stays as it is */
	KUNIT_EXPECT_EQ(test, pvp_pasid_vf_cap(0x0502, 0x0003, 8), 0x0502);
	/* one PASID (width 0) is a limit, not "unknown" */
	KUNIT_EXPECT_EQ(test, pvp_pasid_vf_cap(0x1402, 0x0003, 0), 0x0002);
}

/* What the VF shows becomes the writable Control bits of the capability */
static void pvp_pasid_vf_cap_limits_ctrl(struct kunit *test)
{
	struct pvp_ecap c;

	pvp_pasid_init(&c, 0x1c0, pvp_pasid_vf_cap(0x1406, 0x0003, -1));
	KUNIT_EXPECT_EQ(test, c.rw[PCI_PASID_CTRL], PCI_PASID_CTRL_ENABLE |
			PCI_PASID_CTRL_EXEC);
	KUNIT_EXPECT_EQ(test, c.val[PCI_PASID_CAP], PCI_PASID_CAP_EXEC);
}

struct eetlp_param {
	const char *desc;
	u32 vf, pf;
	bool path;
	u32 want;
};

static const struct eetlp_param eetlp_params[] = {
	/* the VF lacks it, the PF and its path have it: the PF's fields */
	{ "vf-lacks-pf-has", 0x00000010, 0x00e00010, true, 0x00e00000 },
	{ "vf-lacks-pf-has-max-1", 0x0, 0x00600000, true, 0x00600000 },
	{ "vf-lacks-pf-has-max-0", 0x0, 0x00200000, true, 0x00200000 },
	/* the VF has its own: untouched */
	{ "vf-has-own", 0x00200000, 0x00e00000, true, 0 },
	{ "vf-has-own-max", 0x00a00000, 0x00e00000, true, 0 },
	/* no support on the path or on the PF: nothing */
	{ "path-without-prefixes", 0x0, 0x00e00000, false, 0 },
	{ "pf-without-prefixes", 0x0, 0x00c00000, true, 0 },
	{ "pf-without-anything", 0x0, 0x0, true, 0 },
	/* a device that is gone */
	{ "vf-all-ones", 0xffffffff, 0x00e00000, true, 0 },
	{ "pf-all-ones", 0x0, 0xffffffff, true, 0 },
	/* only the prefix fields are taken from the PF */
	{ "other-pf-bits-ignored", 0x0, 0xff3fffff | 0x00200000, true, 0x00200000 },
};

static void eetlp_desc(const struct eetlp_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(eetlp, eetlp_params, eetlp_desc);

static void pvp_devcap2_eetlp_table(struct kunit *test)
{
	const struct eetlp_param *p = test->param_value;

	KUNIT_EXPECT_EQ(test, pvp_devcap2_eetlp(p->vf, p->pf, p->path), p->want);
}

/* An emulated PASID capability at 0x1c0 and a patch of DEVCAP2 at 0xc4 */
static void pvp_patch_setup(struct kunit *test, struct pvp_emu *e)
{
	memset(e, 0, sizeof(*e));
	pvp_pasid_init(&e->cap[0], 0x1c0, 0x1402);
	e->nr = 1;
	KUNIT_ASSERT_EQ(test, pvp_emu_link(e, 0x10001, 0x100, 0x00010001), 0);
	pvp_emu_set_patch(e, 0xc4, 0x00e00000);
}

static void pvp_emu_patch_hit_not_emulated(struct kunit *test)
{
	struct pvp_emu e;
	unsigned int pos;
	bool emulated;

	pvp_patch_setup(test, &e);
	KUNIT_EXPECT_EQ(test, e.patch, 0xc4);
	KUNIT_EXPECT_LE(test, e.lo, 0xc4);
	for (pos = 0xc0; pos < 0xcc; pos++)
		KUNIT_EXPECT_EQ_MSG(test, pvp_emu_hit(&e, pos, 1),
				    pos >= 0xc4 && pos < 0xc8, "pos %#x", pos);
	KUNIT_EXPECT_TRUE(test, pvp_emu_hit(&e, 0xc0, 8));
	/* the core serves those bytes: never an emulated run */
	KUNIT_EXPECT_EQ(test, pvp_emu_run(&e, 0xc4, 4, &emulated), 4U);
	KUNIT_EXPECT_FALSE(test, emulated);
	/* the capability still is */
	KUNIT_EXPECT_TRUE(test, pvp_emu_hit(&e, 0x1c0, 4));
}

static void pvp_emu_patch_read_ors(struct kunit *test)
{
	struct pvp_emu e;
	u8 buf[8] = { 0x11, 0x22, 0x33, 0x44, 0x10, 0x00, 0x10, 0x00 };
	u8 one;

	pvp_patch_setup(test, &e);
	/* bytes 0xc0..0xc7: only 0xc6 (bits 23:16 of DEVCAP2) changes */
	pvp_emu_patch_read(&e, 0xc0, buf, sizeof(buf));
	KUNIT_EXPECT_EQ(test, buf[0], 0x11);
	KUNIT_EXPECT_EQ(test, buf[4], 0x10);
	KUNIT_EXPECT_EQ(test, buf[5], 0x00);
	KUNIT_EXPECT_EQ(test, buf[6], 0xf0);
	KUNIT_EXPECT_EQ(test, buf[7], 0x00);
	/* a single byte read at the patched byte */
	one = 0;
	pvp_emu_patch_read(&e, 0xc6, &one, 1);
	KUNIT_EXPECT_EQ(test, one, 0xe0);
	/* a read elsewhere is untouched */
	one = 0;
	pvp_emu_patch_read(&e, 0xc8, &one, 1);
	KUNIT_EXPECT_EQ(test, one, 0);
}

static void pvp_emu_patch_zero_or_misaligned(struct kunit *test)
{
	struct pvp_emu e;

	pvp_patch_setup(test, &e);
	pvp_emu_set_patch(&e, 0xc4, 0);
	KUNIT_EXPECT_EQ(test, e.patch, 0);
	KUNIT_EXPECT_FALSE(test, pvp_emu_hit(&e, 0xc4, 4));
	pvp_emu_set_patch(&e, 0xc6, 0x00200000);
	KUNIT_EXPECT_EQ(test, e.patch, 0);
	pvp_emu_set_patch(&e, 0xffe, 0x00200000);
	KUNIT_EXPECT_EQ(test, e.patch, 0);
}

/* A reset restores the capability, never the patch */
static void pvp_emu_patch_survives_reset(struct kunit *test)
{
	struct pvp_emu e;

	pvp_patch_setup(test, &e);
	pvp_emu_reset(&e);
	KUNIT_EXPECT_EQ(test, e.patch, 0xc4);
	KUNIT_EXPECT_TRUE(test, pvp_emu_hit(&e, 0xc4, 4));
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
	KUNIT_CASE(pvp_pasid_vf_cap_host_width),
	KUNIT_CASE_PARAM(pvp_devcap2_eetlp_table, eetlp_gen_params),
	KUNIT_CASE(pvp_emu_patch_hit_not_emulated),
	KUNIT_CASE(pvp_emu_patch_read_ors),
	KUNIT_CASE(pvp_emu_patch_zero_or_misaligned),
	KUNIT_CASE(pvp_emu_patch_survives_reset),
	{}
};

static struct kunit_suite pvp_policy_suite = {
	.name = "pasid_vfio_pci_policy",
	.test_cases = pvp_policy_cases,
};

kunit_test_suites(&pvp_policy_suite);
