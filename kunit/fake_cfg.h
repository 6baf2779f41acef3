/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fake PCI Express config space for the pasid-vfio-pci KUnit suites: a
 * little-endian byte array behind a pvp_read32_t, with one injectable read
 * error.
 */
#ifndef PVP_FAKE_CFG_H
#define PVP_FAKE_CFG_H

#include <kunit/test.h>
#include <linux/types.h>

#include "ecap.h"

#define PVP_FAKE_NO_FAIL	0xffffffffU

/* Extended capability header: ID 15:0, version 19:16, next 31:20 */
#define PVP_HDR(id, ver, next) \
	((u32)(id) | ((u32)(ver) << 16) | ((u32)(next) << 20))
#define PVP_HDR_NEXT(hdr)	(((hdr) >> 20) & 0xffc)

struct pvp_fake_cfg {
	struct kunit *test;
	u8 b[PVP_ECAP_END];
	u32 fail_off;		/* reads of this dword fail, or PVP_FAKE_NO_FAIL */
	int fail_err;		/* what the failing read returns */
	unsigned int nreads;
};

struct pvp_fake_cfg *pvp_fake_new(struct kunit *test);
int pvp_fake_read32(void *ctx, u16 off, u32 *val);
void pvp_fake_fail_at(struct pvp_fake_cfg *f, u16 off, int err);
void pvp_fake_put32(struct pvp_fake_cfg *f, u16 off, u32 val);
u32 pvp_fake_get32(const struct pvp_fake_cfg *f, u16 off);
void pvp_fake_cap(struct pvp_fake_cfg *f, u16 off, u16 id, u16 next);

#endif /* PVP_FAKE_CFG_H */
