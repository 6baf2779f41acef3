// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for pvp_pasid_init() and pvp_ecap_set_pf_enabled(): the
 * emulated PASID capability a VF shares with its PF.
 */
#include <kunit/test.h>
#include <linux/pci_regs.h>
#include <linux/string.h>

#include "ecap.h"
#include "fake_cfg.h"

#define CAP_BITS	(PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV | \
			 PVP_PASID_CAP_WIDTH)

static u16 le16_at(const u8 *p, unsigned int off)
{
	return p[off] | p[off + 1] << 8;
}

static u32 le32_at(const u8 *p, unsigned int off)
{
	return le16_at(p, off) | (u32)le16_at(p, off + 2) << 16;
}

static struct pvp_ecap *new_pasid(struct kunit *test, u16 off, u16 pf_cap)
{
	struct pvp_ecap *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c);
	memset(c, 0xa5, sizeof(*c));
	pvp_pasid_init(c, off, pf_cap);
	return c;
}

struct pf_param {
	const char *desc;
	u16 pf_cap;
	u16 cap;	/* expected PASID Capability register */
	u16 rw;		/* expected writable bits of PASID Control */
};

#define WIDTH(n)	((n) << 8)
#define EN		PCI_PASID_CTRL_ENABLE
#define EXEC		PCI_PASID_CAP_EXEC
#define PRIV		PCI_PASID_CAP_PRIV

static const struct pf_param pf_params[] = {
	{ "width-0", 0, 0, EN },
	{ "width-5", WIDTH(5), WIDTH(5), EN },
	{ "width-20", WIDTH(20), WIDTH(20), EN },
	{ "width-31", WIDTH(31), WIDTH(31), EN },
	{ "exec", EXEC, EXEC, EN | EXEC },
	{ "priv", PRIV, PRIV, EN | PRIV },
	{ "exec-priv", EXEC | PRIV, EXEC | PRIV, EN | EXEC | PRIV },
	{ "width-5-exec", WIDTH(5) | EXEC, WIDTH(5) | EXEC, EN | EXEC },
	{ "width-20-priv", WIDTH(20) | PRIV, WIDTH(20) | PRIV, EN | PRIV },
	{ "width-20-exec-priv", WIDTH(20) | EXEC | PRIV,
	  WIDTH(20) | EXEC | PRIV, EN | EXEC | PRIV },
	{ "junk-bit0", 0x0001, 0, EN },
	{ "junk-high", 0xe000, 0, EN },
	{ "junk-all", 0xffff, CAP_BITS, EN | EXEC | PRIV },
	{ "junk-around-width-5", 0xe0f9 | WIDTH(5), WIDTH(5), EN },
};

static void pf_param_desc(const struct pf_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pf, pf_params, pf_param_desc);

static void pvp_pasid_init_position(struct kunit *test)
{
	struct pvp_ecap *c = new_pasid(test, 0x248, 0);

	KUNIT_EXPECT_EQ(test, c->off, 0x248);
	KUNIT_EXPECT_EQ(test, c->len, PCI_EXT_CAP_PASID_SIZEOF);
}

static void pvp_pasid_init_header(struct kunit *test)
{
	const struct pf_param *p = test->param_value;
	struct pvp_ecap *c = new_pasid(test, 0x248, p->pf_cap);

	KUNIT_EXPECT_EQ(test, le32_at(c->val, 0),
			PVP_HDR(PCI_EXT_CAP_ID_PASID, 1, 0));
}

static void pvp_pasid_init_cap_register(struct kunit *test)
{
	const struct pf_param *p = test->param_value;
	struct pvp_ecap *c = new_pasid(test, 0x248, p->pf_cap);

	KUNIT_EXPECT_EQ(test, le16_at(c->val, PCI_PASID_CAP), p->cap);
}

static void pvp_pasid_init_ctrl_clear(struct kunit *test)
{
	const struct pf_param *p = test->param_value;
	struct pvp_ecap *c = new_pasid(test, 0x248, p->pf_cap);

	KUNIT_EXPECT_EQ(test, le16_at(c->val, PCI_PASID_CTRL), 0);
}

static void pvp_pasid_init_reset_matches(struct kunit *test)
{
	const struct pf_param *p = test->param_value;
	struct pvp_ecap *c = new_pasid(test, 0x248, p->pf_cap);

	KUNIT_EXPECT_EQ(test, memcmp(c->val, c->rst, c->len), 0);
}

static void pvp_pasid_init_ctrl_writable(struct kunit *test)
{
	const struct pf_param *p = test->param_value;
	struct pvp_ecap *c = new_pasid(test, 0x248, p->pf_cap);

	KUNIT_EXPECT_EQ(test, le16_at(c->rw, PCI_PASID_CTRL), p->rw);
}

static void pvp_pasid_init_rest_read_only(struct kunit *test)
{
	const struct pf_param *p = test->param_value;
	struct pvp_ecap *c = new_pasid(test, 0x248, p->pf_cap);

	KUNIT_EXPECT_EQ(test, le32_at(c->rw, 0), 0U);
	KUNIT_EXPECT_EQ(test, le16_at(c->rw, PCI_PASID_CAP), 0);
}

static void pvp_pasid_init_no_rw1c(struct kunit *test)
{
	const struct pf_param *p = test->param_value;
	struct pvp_ecap *c = new_pasid(test, 0x248, p->pf_cap);

	KUNIT_EXPECT_EQ(test, le32_at(c->rw1c, 0), 0U);
	KUNIT_EXPECT_EQ(test, le32_at(c->rw1c, 4), 0U);
}

static void pvp_ecap_set_pf_enabled_false_locks_enable(struct kunit *test)
{
	struct pvp_ecap *c = new_pasid(test, 0x248, EXEC | PRIV);

	pvp_ecap_set_pf_enabled(c, false);
	KUNIT_EXPECT_EQ(test, le16_at(c->rw, PCI_PASID_CTRL), EXEC | PRIV);
}

static void pvp_ecap_set_pf_enabled_false_clears_enable(struct kunit *test)
{
	struct pvp_ecap *c = new_pasid(test, 0x248, EXEC | PRIV);

	c->val[PCI_PASID_CTRL] = EN | PRIV;
	pvp_ecap_set_pf_enabled(c, false);
	KUNIT_EXPECT_EQ(test, le16_at(c->val, PCI_PASID_CTRL), PRIV);
}

static void pvp_ecap_set_pf_enabled_true_unlocks_enable(struct kunit *test)
{
	struct pvp_ecap *c = new_pasid(test, 0x248, PRIV);

	pvp_ecap_set_pf_enabled(c, false);
	pvp_ecap_set_pf_enabled(c, true);
	KUNIT_EXPECT_EQ(test, le16_at(c->rw, PCI_PASID_CTRL), EN | PRIV);
}

static void pvp_ecap_set_pf_enabled_true_keeps_value(struct kunit *test)
{
	struct pvp_ecap *c = new_pasid(test, 0x248, PRIV);

	c->val[PCI_PASID_CTRL] = PRIV;
	pvp_ecap_set_pf_enabled(c, false);
	pvp_ecap_set_pf_enabled(c, true);
	KUNIT_EXPECT_EQ(test, le16_at(c->val, PCI_PASID_CTRL), PRIV);
}

static struct kunit_case pvp_pasid_cases[] = {
	KUNIT_CASE(pvp_pasid_init_position),
	KUNIT_CASE_PARAM(pvp_pasid_init_header, pf_gen_params),
	KUNIT_CASE_PARAM(pvp_pasid_init_cap_register, pf_gen_params),
	KUNIT_CASE_PARAM(pvp_pasid_init_ctrl_clear, pf_gen_params),
	KUNIT_CASE_PARAM(pvp_pasid_init_reset_matches, pf_gen_params),
	KUNIT_CASE_PARAM(pvp_pasid_init_ctrl_writable, pf_gen_params),
	KUNIT_CASE_PARAM(pvp_pasid_init_rest_read_only, pf_gen_params),
	KUNIT_CASE_PARAM(pvp_pasid_init_no_rw1c, pf_gen_params),
	KUNIT_CASE(pvp_ecap_set_pf_enabled_false_locks_enable),
	KUNIT_CASE(pvp_ecap_set_pf_enabled_false_clears_enable),
	KUNIT_CASE(pvp_ecap_set_pf_enabled_true_unlocks_enable),
	KUNIT_CASE(pvp_ecap_set_pf_enabled_true_keeps_value),
	{}
};

static struct kunit_suite pvp_pasid_suite = {
	.name = "pasid_vfio_pci_pasid",
	.test_cases = pvp_pasid_cases,
};

kunit_test_suites(&pvp_pasid_suite);
