// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for pvp_override_find() and pvp_override_check(): the
 * pasid_offset= list "[DDDD:]BB:DD.F=OFF[,...]".
 */
#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/pci.h>
#include <linux/string.h>

#include "ecap.h"

struct find_param {
	const char *spec;
	u32 domain;
	u8 bus;
	u8 dev;
	u8 fn;
	u16 off;
};

static const struct find_param good_params[] = {
	{ "0000:01:00.1=0x200", 0, 0x01, 0x00, 1, 0x200 },
	{ "0000:01:00.1=200", 0, 0x01, 0x00, 1, 0x200 },
	{ "01:00.1=0x200", 0, 0x01, 0x00, 1, 0x200 },
	{ "0000:01:00.1=0x200\n", 0, 0x01, 0x00, 1, 0x200 },
	{ "0000:00:00.0=0x100", 0, 0x00, 0x00, 0, 0x100 },
	{ "ffff:ff:1f.7=0xff8", 0xffff, 0xff, 0x1f, 7, 0xff8 },
	{ "0000:0a:1f.7=ff8", 0, 0x0a, 0x1f, 7, 0xff8 },
	{ "0000:0A:1F.7=0xFF8", 0, 0x0a, 0x1f, 7, 0xff8 },
	{ "0001:02:03.4=0x104", 1, 0x02, 0x03, 4, 0x104 },
	/* 32-bit domains: VMD numbers its domains from 0x10000 */
	{ "10000:01:10.0=0x200", 0x10000, 0x01, 0x10, 0, 0x200 },
	{ "ffffffff:ff:1f.7=0xff8", 0xffffffff, 0xff, 0x1f, 7, 0xff8 },
	{ "0000:01:00.1=0x200,10000:01:00.1=0x300", 0x10000, 0x01, 0x00, 1, 0x300 },
	{ "0000:01:00.1=0x200,0000:01:00.2=0x300", 0, 0x01, 0x00, 2, 0x300 },
	{ "0000:01:00.1=0x200,0001:01:00.1=0x300", 1, 0x01, 0x00, 1, 0x300 },
	{ "0000:01:00.1=0x200,0000:02:00.1=0x300", 0, 0x01, 0x00, 1, 0x200 },
	{ "0000:01:00.1=0x200,0000:02:00.1=0x300\n", 0, 0x02, 0x00, 1, 0x300 },
	{ "0000:01:00.1=0x200,02:00.1=0x300,0000:03:00.1=0x400",
	  0, 0x02, 0x00, 1, 0x300 },
};

static void find_param_desc(const struct find_param *p, char *desc)
{
	unsigned int i;

	/* Spell the newline so the KTAP line stays intact */
	for (i = 0; p->spec[i] && i < KUNIT_PARAM_DESC_SIZE - 3; i++)
		desc[i] = p->spec[i] == '\n' ? '$' : p->spec[i];
	desc[i] = '\0';
}

KUNIT_ARRAY_PARAM(good, good_params, find_param_desc);

static void pvp_override_find_listed(struct kunit *test)
{
	const struct find_param *p = test->param_value;
	u16 off = 0;

	KUNIT_ASSERT_EQ(test, pvp_override_find(p->spec, p->domain, p->bus,
						PCI_DEVFN(p->dev, p->fn), &off),
			0);
	KUNIT_EXPECT_EQ(test, off, p->off);
}

static void pvp_override_check_good(struct kunit *test)
{
	const struct find_param *p = test->param_value;

	KUNIT_EXPECT_EQ(test, pvp_override_check(p->spec), 0);
}

static const struct find_param absent_params[] = {
	{ "0000:01:00.1=0x200", 0, 0x01, 0x00, 2 },
	{ "0000:01:00.1=0x200", 0, 0x01, 0x01, 1 },
	{ "0000:01:00.1=0x200", 0, 0x02, 0x00, 1 },
	{ "0000:01:00.1=0x200", 1, 0x01, 0x00, 1 },
	{ "0001:01:00.1=0x200", 0, 0x01, 0x00, 1 },
	{ "0000:01:00.1=0x200,0000:01:00.2=0x300", 0, 0x01, 0x00, 3 },
	{ "0000:01:00.1=0x200\n", 0, 0x01, 0x00, 0 },
};

KUNIT_ARRAY_PARAM(absent, absent_params, find_param_desc);

static void pvp_override_find_not_listed(struct kunit *test)
{
	const struct find_param *p = test->param_value;
	u16 off = 0x1234;

	KUNIT_EXPECT_EQ(test, pvp_override_find(p->spec, p->domain, p->bus,
						PCI_DEVFN(p->dev, p->fn), &off),
			-ENOENT);
}

static void pvp_override_find_null_spec(struct kunit *test)
{
	u16 off;

	KUNIT_EXPECT_EQ(test, pvp_override_find(NULL, 0, 1, PCI_DEVFN(0, 1),
						&off),
			-ENOENT);
}

static void pvp_override_find_empty_spec(struct kunit *test)
{
	u16 off;

	KUNIT_EXPECT_EQ(test, pvp_override_find("", 0, 1, PCI_DEVFN(0, 1),
						&off),
			-ENOENT);
}

static void pvp_override_check_null_spec(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, pvp_override_check(NULL), 0);
}

static void pvp_override_check_empty_spec(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, pvp_override_check(""), 0);
}

static void pvp_override_find_newline_spec(struct kunit *test)
{
	u16 off;

	KUNIT_EXPECT_EQ(test, pvp_override_find("\n", 0, 1, PCI_DEVFN(0, 1),
						&off),
			-ENOENT);
}

static void pvp_override_check_newline_spec(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, pvp_override_check("\n"), 0);
}

/* "0000:00:00.0=0x100,0000:00:00.1=0x104,..." for devices 0 to @n - 1 */
static char *many(struct kunit *test, unsigned int n)
{
	char *spec = kunit_kzalloc(test, n * 20 + 1, GFP_KERNEL);
	unsigned int i, len = 0;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, spec);
	for (i = 0; i < n; i++)
		len += scnprintf(spec + len, n * 20 + 1 - len,
				 "%s0000:%02x:%02x.%x=%#x", i ? "," : "",
				 i >> 8, i >> 3 & 0x1f, i & 7, 0x100 + 4 * i);
	return spec;
}

/* The spec sets no limit on the number of entries: take 33 */
static void pvp_override_find_many_entries(struct kunit *test)
{
	u16 off = 0;

	KUNIT_ASSERT_EQ(test, pvp_override_find(many(test, 33), 0, 0,
						PCI_DEVFN(4, 0), &off),
			0);
	KUNIT_EXPECT_EQ(test, off, 0x100 + 4 * 32);
}

struct bad_param {
	const char *desc;
	const char *spec;
};

/* Each spec lists 0000:01:00.1 validly, then spoils the whole spec */
static const struct bad_param bad_params[] = {
	{ "garbage", "0000:01:00.1=0x200,garbage" },
	{ "no-offset", "0000:01:00.1=0x200,0000:02:00.1" },
	{ "empty-offset", "0000:01:00.1=0x200,0000:02:00.1=" },
	{ "no-device", "0000:01:00.1=0x200,=0x300" },
	{ "no-function", "0000:01:00.1=0x200,0000:02:00=0x300" },
	{ "dot-for-colon", "0000:01:00.1=0x200,0000.02.00.1=0x300" },
	{ "bad-hex-offset", "0000:01:00.1=0x200,0000:02:00.1=0x2zz" },
	{ "trailing-space", "0000:01:00.1=0x200,0000:02:00.1=0x300 " },
	{ "bad-hex-bus", "0000:01:00.1=0x200,0000:0g:00.1=0x300" },
	{ "domain-range", "0000:01:00.1=0x200,100000000:02:00.1=0x300" },
	{ "bus-range", "0000:01:00.1=0x200,0000:100:00.1=0x300" },
	{ "device-range", "0000:01:00.1=0x200,0000:02:20.1=0x300" },
	{ "function-range", "0000:01:00.1=0x200,0000:02:00.8=0x300" },
	{ "offset-below", "0000:01:00.1=0x200,0000:02:00.1=0xfc" },
	{ "offset-zero", "0000:01:00.1=0x200,0000:02:00.1=0" },
	{ "offset-above", "0000:01:00.1=0x200,0000:02:00.1=0xffc" },
	{ "offset-end", "0000:01:00.1=0x200,0000:02:00.1=0x1000" },
	{ "offset-huge", "0000:01:00.1=0x200,0000:02:00.1=0x10200" },
	{ "misaligned-1", "0000:01:00.1=0x200,0000:02:00.1=0x201" },
	{ "misaligned-2", "0000:01:00.1=0x200,0000:02:00.1=0x202" },
	{ "misaligned-3", "0000:01:00.1=0x200,0000:02:00.1=0x203" },
	{ "bad-first", "0000:01:00.1=0x20g,0000:02:00.1=0x300" },
	{ "bus-range-no-domain", "0000:01:00.1=0x200,100:00.1=0x300" },
	{ "device-range-no-domain", "0000:01:00.1=0x200,02:20.1=0x300" },
	{ "function-range-no-domain", "0000:01:00.1=0x200,02:00.8=0x300" },
	{ "duplicate", "0000:01:00.1=0x200,0000:01:00.1=0x300" },
	{ "duplicate-same-off", "0000:01:00.1=0x200,0000:01:00.1=0x200" },
	{ "duplicate-no-domain", "0000:01:00.1=0x200,01:00.1=0x300" },
	{ "duplicate-later", "0000:01:00.1=0x200,0000:02:00.1=0x300,0000:02:00.1=0x400" },
};

static void bad_param_desc(const struct bad_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bad, bad_params, bad_param_desc);

static void pvp_override_check_bad(struct kunit *test)
{
	const struct bad_param *p = test->param_value;

	KUNIT_EXPECT_EQ(test, pvp_override_check(p->spec), -EINVAL);
}

static void pvp_override_find_bad(struct kunit *test)
{
	const struct bad_param *p = test->param_value;
	u16 off;

	KUNIT_EXPECT_EQ(test, pvp_override_find(p->spec, 0, 1, PCI_DEVFN(0, 1),
						&off),
			-EINVAL);
}

static struct kunit_case pvp_override_cases[] = {
	KUNIT_CASE_PARAM(pvp_override_find_listed, good_gen_params),
	KUNIT_CASE_PARAM(pvp_override_check_good, good_gen_params),
	KUNIT_CASE_PARAM(pvp_override_find_not_listed, absent_gen_params),
	KUNIT_CASE(pvp_override_find_null_spec),
	KUNIT_CASE(pvp_override_find_empty_spec),
	KUNIT_CASE(pvp_override_check_null_spec),
	KUNIT_CASE(pvp_override_check_empty_spec),
	KUNIT_CASE(pvp_override_find_newline_spec),
	KUNIT_CASE(pvp_override_check_newline_spec),
	KUNIT_CASE(pvp_override_find_many_entries),
	KUNIT_CASE_PARAM(pvp_override_check_bad, bad_gen_params),
	KUNIT_CASE_PARAM(pvp_override_find_bad, bad_gen_params),
	{}
};

static struct kunit_suite pvp_override_suite = {
	.name = "pasid_vfio_pci_override",
	.test_cases = pvp_override_cases,
};

kunit_test_suites(&pvp_override_suite);
