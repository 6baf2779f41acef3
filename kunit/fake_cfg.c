// SPDX-License-Identifier: GPL-2.0
/*
 * Fake PCI Express config space for the pasid-vfio-pci KUnit suites.
 */
#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/module.h>

#include "fake_cfg.h"

struct pvp_fake_cfg *pvp_fake_new(struct kunit *test)
{
	struct pvp_fake_cfg *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f);
	f->test = test;
	f->fail_off = PVP_FAKE_NO_FAIL;
	return f;
}

/* A pvp_read32_t: the model must only ask for aligned dwords in range */
int pvp_fake_read32(void *ctx, u16 off, u32 *val)
{
	struct pvp_fake_cfg *f = ctx;

	f->nreads++;
	if (off % 4 || off >= PVP_ECAP_END) {
		KUNIT_FAIL(f->test, "read of bad config offset %#x", off);
		return -EINVAL;
	}
	if (off == f->fail_off)
		return f->fail_err;
	*val = pvp_fake_get32(f, off);
	return 0;
}

void pvp_fake_fail_at(struct pvp_fake_cfg *f, u16 off, int err)
{
	f->fail_off = off;
	f->fail_err = err;
}

void pvp_fake_put32(struct pvp_fake_cfg *f, u16 off, u32 val)
{
	f->b[off] = val;
	f->b[off + 1] = val >> 8;
	f->b[off + 2] = val >> 16;
	f->b[off + 3] = val >> 24;
}

u32 pvp_fake_get32(const struct pvp_fake_cfg *f, u16 off)
{
	return f->b[off] | f->b[off + 1] << 8 | f->b[off + 2] << 16 |
	       (u32)f->b[off + 3] << 24;
}

/* Write an extended capability header, version 1 */
void pvp_fake_cap(struct pvp_fake_cfg *f, u16 off, u16 id, u16 next)
{
	pvp_fake_put32(f, off, PVP_HDR(id, 1, next));
}

MODULE_DESCRIPTION("KUnit tests for the pasid-vfio-pci capability model");
MODULE_LICENSE("GPL");
