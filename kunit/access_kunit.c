// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for pvp_emu_hit(), pvp_emu_run(), pvp_emu_read(),
 * pvp_emu_write() and pvp_emu_reset(): config accesses that touch the
 * emulated bytes.
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/pci_regs.h>
#include <linux/string.h>

#include "ecap.h"
#include "fake_cfg.h"

#define PASID	0x800	/* PASID capability */
#define TAIL	0x148	/* header linking to it: bytes 0x14a, 0x14b emulated */
#define SYN	0x900	/* synthetic capability with RW1C bits */
#define PF_CAP	(PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV | 0x1400)
#define ALL_CTRL (PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC | \
		  PCI_PASID_CTRL_PRIV)

/* What the PASID capability reads as after link, for pf_cap PF_CAP */
static const u8 pasid_rst[8] = { 0x1b, 0x00, 0x01, 0x00, 0x06, 0x14, 0, 0 };
/* ARI header at TAIL with Next = PASID */
static const u8 link_hi[2] = { 0x01, 0x80 };

static struct pvp_emu *pasid_emu(struct kunit *test, u16 pf_cap)
{
	struct pvp_emu *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, e);
	pvp_pasid_init(&e->cap[0], PASID, pf_cap);
	e->nr = 1;
	KUNIT_ASSERT_EQ(test, pvp_emu_link(e, PVP_HDR(PCI_EXT_CAP_ID_ERR, 2, TAIL),
					   TAIL, PVP_HDR(PCI_EXT_CAP_ID_ARI, 1, 0)),
			0);
	return e;
}

/*
 * PASID, then a synthetic capability at SYN, 8 bytes: byte 4 has RW bits
 * 0x0f and RW1C bits 0xf0, byte 5 is RW1C, byte 6 is RW and RW1C at once
 * in bits 0x3c, byte 7 is read-only.
 */
static struct pvp_emu *syn_emu(struct kunit *test)
{
	struct pvp_emu *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct pvp_ecap *c = &e->cap[1];
	static const u8 rst[8] = { 0x2a, 0x00, 0x01, 0x00, 0x5a, 0xff, 0x3c, 0x99 };
	static const u8 rw[8] = { 0, 0, 0, 0, 0x0f, 0x00, 0x3f, 0 };
	static const u8 rw1c[8] = { 0, 0, 0, 0, 0xf0, 0xff, 0x3c, 0 };

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, e);
	pvp_pasid_init(&e->cap[0], PASID, PF_CAP);
	c->off = SYN;
	c->len = 8;
	memcpy(c->val, rst, 8);
	memcpy(c->rst, rst, 8);
	memcpy(c->rw, rw, 8);
	memcpy(c->rw1c, rw1c, 8);
	e->nr = 2;
	KUNIT_ASSERT_EQ(test, pvp_emu_link(e, PVP_HDR(PCI_EXT_CAP_ID_ERR, 2, TAIL),
					   TAIL, PVP_HDR(PCI_EXT_CAP_ID_ARI, 1, 0)),
			0);
	return e;
}

static void write8(struct pvp_emu *e, unsigned int pos, u8 v)
{
	pvp_emu_write(e, pos, &v, 1);
}

static void write16(struct pvp_emu *e, unsigned int pos, u16 v)
{
	u8 b[2] = { v, v >> 8 };

	pvp_emu_write(e, pos, b, 2);
}

static u8 read8(const struct pvp_emu *e, unsigned int pos)
{
	u8 v = 0xee;

	pvp_emu_read(e, pos, &v, 1);
	return v;
}

static u16 read16(const struct pvp_emu *e, unsigned int pos)
{
	u8 b[2] = { 0xee, 0xee };

	pvp_emu_read(e, pos, b, 2);
	return b[0] | b[1] << 8;
}

/* Byte-wise compare with a useful message */
static void expect_bytes(struct kunit *test, const u8 *got, const u8 *want,
			 unsigned int len, unsigned int base)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		KUNIT_EXPECT_EQ_MSG(test, got[i], want[i], "byte %#x", base + i);
}

struct range_param {
	unsigned int pos;
	unsigned int count;
	bool emulated;
	unsigned int run;
};

static void range_param_desc(const struct range_param *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%#x+%u", p->pos, p->count);
}

/* PASID at 0x800 and link bytes 0x14a, 0x14b */
static const struct range_param run_params[] = {
	{ 0x000, 0x100, false, 0x100 },
	{ 0x140, 16, false, 10 },
	{ 0x148, 2, false, 2 },
	{ 0x149, 4, false, 1 },
	{ 0x14a, 8, true, 2 },
	{ 0x14a, 1, true, 1 },
	{ 0x14b, 1, true, 1 },
	{ 0x14b, 4, true, 1 },
	{ 0x14c, 4, false, 4 },
	{ 0x14c, 0x6b4, false, 0x6b4 },
	{ 0x14c, 0x800, false, 0x6b4 },
	{ 0x7fc, 8, false, 4 },
	{ 0x7ff, 2, false, 1 },
	{ 0x800, 8, true, 8 },
	{ 0x800, 4, true, 4 },
	{ 0x800, 0x800, true, 8 },
	{ 0x803, 2, true, 2 },
	{ 0x804, 16, true, 4 },
	{ 0x807, 2, true, 1 },
	{ 0x808, 8, false, 8 },
	{ 0x808, 0x7f8, false, 0x7f8 },
	{ 0xffc, 4, false, 4 },
};

KUNIT_ARRAY_PARAM(run, run_params, range_param_desc);

static void pvp_emu_run_length(struct kunit *test)
{
	const struct range_param *p = test->param_value;
	struct pvp_emu *e = pasid_emu(test, PF_CAP);
	bool emulated = !p->emulated;

	KUNIT_EXPECT_EQ(test, pvp_emu_run(e, p->pos, p->count, &emulated),
			p->run);
	KUNIT_EXPECT_EQ(test, emulated, p->emulated);
}

/* Runs go on across adjacent emulated ranges */
static void pvp_emu_run_spans_adjacent_caps(struct kunit *test)
{
	struct pvp_emu *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	bool emulated = false;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, e);
	pvp_pasid_init(&e->cap[0], 0x800, PF_CAP);
	pvp_pasid_init(&e->cap[1], 0x808, PF_CAP);
	e->nr = 2;
	KUNIT_ASSERT_EQ(test, pvp_emu_link(e, 0, 0x7fc, 0), 0);
	KUNIT_EXPECT_EQ(test, pvp_emu_run(e, 0x7fe, 0x20, &emulated), 18U);
	KUNIT_EXPECT_TRUE(test, emulated);
}

static const struct range_param hit_params[] = {
	{ 0x000, 0x100 },
	{ 0x000, 0x1000 },
	{ 0x100, 0x48 },
	{ 0x148, 2 },
	{ 0x148, 3 },
	{ 0x149, 2 },
	{ 0x14b, 1 },
	{ 0x14c, 4 },
	{ 0x400, 4 },
	{ 0x7fc, 4 },
	{ 0x7fe, 4 },
	{ 0x807, 1 },
	{ 0x808, 4 },
	{ 0xffc, 4 },
};

KUNIT_ARRAY_PARAM(hit, hit_params, range_param_desc);

/* Exact: true iff a byte of the PASID capability or of the link is hit */
static void pvp_emu_hit_exact(struct kunit *test)
{
	const struct range_param *p = test->param_value;
	struct pvp_emu *e = pasid_emu(test, PF_CAP);
	unsigned int end = p->pos + p->count;
	bool want = (p->pos < PASID + 8 && end > PASID) ||
		    (p->pos < TAIL + 4 && end > TAIL + 2);

	KUNIT_EXPECT_EQ(test, pvp_emu_hit(e, p->pos, p->count), want);
}

static void pvp_emu_hit_every_emulated_byte(struct kunit *test)
{
	struct pvp_emu *e = pasid_emu(test, PF_CAP);
	unsigned int pos;

	KUNIT_EXPECT_TRUE(test, pvp_emu_hit(e, TAIL + 2, 1));
	KUNIT_EXPECT_TRUE(test, pvp_emu_hit(e, TAIL + 3, 1));
	for (pos = PASID; pos < PASID + 8; pos++)
		KUNIT_EXPECT_TRUE(test, pvp_emu_hit(e, pos, 1));
}

static void pvp_emu_read_whole_cap(struct kunit *test)
{
	struct pvp_emu *e = pasid_emu(test, PF_CAP);
	u8 buf[8];

	memset(buf, 0x5a, sizeof(buf));
	pvp_emu_read(e, PASID, buf, sizeof(buf));
	expect_bytes(test, buf, pasid_rst, 8, PASID);
}

static void pvp_emu_read_link_bytes(struct kunit *test)
{
	struct pvp_emu *e = pasid_emu(test, PF_CAP);
	u8 buf[4] = { 0x0e, 0x00, 0x77, 0x77 };
	const u8 want[4] = { 0x0e, 0x00, link_hi[0], link_hi[1] };

	pvp_emu_read(e, TAIL, buf, sizeof(buf));
	expect_bytes(test, buf, want, 4, TAIL);
}

static void pvp_emu_read_leaves_other_bytes(struct kunit *test)
{
	struct pvp_emu *e = pasid_emu(test, PF_CAP);
	u8 *buf = kunit_kzalloc(test, PVP_ECAP_END, GFP_KERNEL);
	u8 *want = kunit_kzalloc(test, PVP_ECAP_END, GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, want);
	memset(buf, 0x3c, PVP_ECAP_END);
	memset(want, 0x3c, PVP_ECAP_END);
	memcpy(want + PASID, pasid_rst, 8);
	memcpy(want + TAIL + 2, link_hi, 2);
	pvp_emu_read(e, 0, buf, PVP_ECAP_END);
	KUNIT_EXPECT_EQ(test, memcmp(buf, want, PVP_ECAP_END), 0);
}

struct acc_param {
	unsigned int size;
	unsigned int pos;
};

/* Every alignment around the link bytes and the PASID capability */
static const unsigned int acc_pos[] = {
	0x144, 0x145, 0x146, 0x147, 0x148, 0x149, 0x14a, 0x14b,
	0x14c, 0x14d, 0x14e, 0x14f,
	0x7fa, 0x7fb, 0x7fc, 0x7fd, 0x7fe, 0x7ff, 0x800, 0x801,
	0x802, 0x803, 0x804, 0x805, 0x806, 0x807, 0x808, 0x809,
	0x80a, 0x80b,
};

static const unsigned int acc_size[] = { 1, 2, 4 };

/* Filled by acc_gen_params(): each position with each size */
static struct acc_param acc_params[ARRAY_SIZE(acc_pos) * ARRAY_SIZE(acc_size)];

static void acc_param_desc(const struct acc_param *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u@%#x", p->size, p->pos);
}

static const void *acc_gen_params(const void *prev, char *desc)
{
	const struct acc_param *p = prev;
	unsigned int i;

	if (!p) {
		for (i = 0; i < ARRAY_SIZE(acc_params); i++) {
			acc_params[i].pos = acc_pos[i / ARRAY_SIZE(acc_size)];
			acc_params[i].size = acc_size[i % ARRAY_SIZE(acc_size)];
		}
		p = acc_params;
	} else if (++p == acc_params + ARRAY_SIZE(acc_params)) {
		return NULL;
	}
	acc_param_desc(p, desc);
	return p;
}

#define WIN_LO		0x140
#define WIN_LEN		(0x810 - WIN_LO)

/* The bytes a read of the window [WIN_LO, 0x810) returns over @fill */
static u8 *window(struct kunit *test, u8 fill, const u8 *pasid)
{
	u8 *img = kunit_kzalloc(test, WIN_LEN, GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, img);
	memset(img, fill, WIN_LEN);
	if (pasid) {
		memcpy(img + TAIL + 2 - WIN_LO, link_hi, 2);
		memcpy(img + PASID - WIN_LO, pasid, 8);
	}
	return img;
}

static void pvp_emu_read_any_alignment(struct kunit *test)
{
	const struct acc_param *p = test->param_value;
	struct pvp_emu *e = pasid_emu(test, PF_CAP);
	u8 *want = window(test, 0xc3, pasid_rst);
	u8 buf[4];

	memset(buf, 0xc3, sizeof(buf));
	pvp_emu_read(e, p->pos, buf, p->size);
	expect_bytes(test, buf, want + p->pos - WIN_LO, p->size, p->pos);
}

static void pvp_emu_write_any_alignment(struct kunit *test)
{
	const struct acc_param *p = test->param_value;
	struct pvp_emu *e = pasid_emu(test, PF_CAP);
	const u8 ones[4] = { 0xff, 0xff, 0xff, 0xff };
	u8 pasid[8];
	u8 *want, *got;

	memcpy(pasid, pasid_rst, 8);
	if (p->pos <= PASID + PCI_PASID_CTRL &&
	    p->pos + p->size > PASID + PCI_PASID_CTRL)
		pasid[PCI_PASID_CTRL] = ALL_CTRL;
	want = window(test, 0, pasid);
	got = window(test, 0, NULL);
	pvp_emu_write(e, p->pos, ones, p->size);
	pvp_emu_read(e, WIN_LO, got, WIN_LEN);
	expect_bytes(test, got, want, WIN_LEN, WIN_LO);
}

struct ctrl_param {
	const char *desc;
	u16 pf_cap;
	u16 write;
	u16 read;
};

#define EN	PCI_PASID_CTRL_ENABLE
#define EXEC	PCI_PASID_CTRL_EXEC
#define PRIV	PCI_PASID_CTRL_PRIV

static const struct ctrl_param ctrl_params[] = {
	{ "none-enable", 0, EN, EN },
	{ "none-exec", 0, EXEC, 0 },
	{ "none-priv", 0, PRIV, 0 },
	{ "none-all", 0, 0xffff, EN },
	{ "exec-enable", PCI_PASID_CAP_EXEC, EN, EN },
	{ "exec-exec", PCI_PASID_CAP_EXEC, EXEC, EXEC },
	{ "exec-priv", PCI_PASID_CAP_EXEC, PRIV, 0 },
	{ "exec-all", PCI_PASID_CAP_EXEC, 0xffff, EN | EXEC },
	{ "priv-exec", PCI_PASID_CAP_PRIV, EXEC, 0 },
	{ "priv-priv", PCI_PASID_CAP_PRIV, PRIV, PRIV },
	{ "priv-all", PCI_PASID_CAP_PRIV, 0xffff, EN | PRIV },
	{ "both-all", PF_CAP, 0xffff, ALL_CTRL },
	{ "both-exec-priv", PF_CAP, EXEC | PRIV, EXEC | PRIV },
	{ "both-reserved", PF_CAP, 0xfff8, 0 },
	{ "both-none", PF_CAP, 0, 0 },
	{ "junk-pf-cap-all", 0xe0f9, 0xffff, EN },
};

static void ctrl_param_desc(const struct ctrl_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ctrl, ctrl_params, ctrl_param_desc);

static void pvp_emu_write_ctrl_bits(struct kunit *test)
{
	const struct ctrl_param *p = test->param_value;
	struct pvp_emu *e = pasid_emu(test, p->pf_cap);

	write16(e, PASID + PCI_PASID_CTRL, p->write);
	KUNIT_EXPECT_EQ(test, read16(e, PASID + PCI_PASID_CTRL), p->read);
}

static void pvp_emu_write_ctrl_clears(struct kunit *test)
{
	struct pvp_emu *e = pasid_emu(test, PF_CAP);

	write16(e, PASID + PCI_PASID_CTRL, ALL_CTRL);
	write16(e, PASID + PCI_PASID_CTRL, EXEC);
	KUNIT_EXPECT_EQ(test, read16(e, PASID + PCI_PASID_CTRL), EXEC);
}

static void pvp_emu_write_ctrl_high_byte_ignored(struct kunit *test)
{
	struct pvp_emu *e = pasid_emu(test, PF_CAP);

	write8(e, PASID + PCI_PASID_CTRL, EXEC);
	write8(e, PASID + PCI_PASID_CTRL + 1, 0xff);
	KUNIT_EXPECT_EQ(test, read16(e, PASID + PCI_PASID_CTRL), EXEC);
}

static void pvp_emu_write_header_read_only(struct kunit *test)
{
	struct pvp_emu *e = pasid_emu(test, PF_CAP);
	const u8 zero[4] = {};
	u8 buf[4];

	pvp_emu_write(e, PASID, zero, 4);
	pvp_emu_read(e, PASID, buf, 4);
	expect_bytes(test, buf, pasid_rst, 4, PASID);
}

static void pvp_emu_write_cap_register_read_only(struct kunit *test)
{
	struct pvp_emu *e = pasid_emu(test, PF_CAP);

	write16(e, PASID + PCI_PASID_CAP, 0xffff);
	KUNIT_EXPECT_EQ(test, read16(e, PASID + PCI_PASID_CAP), 0x1406);
}

static void pvp_emu_write_link_ignored(struct kunit *test)
{
	struct pvp_emu *e = pasid_emu(test, PF_CAP);

	write16(e, TAIL + 2, 0);
	KUNIT_EXPECT_EQ(test, read8(e, TAIL + 2), link_hi[0]);
	KUNIT_EXPECT_EQ(test, read8(e, TAIL + 3), link_hi[1]);
}

static void pvp_emu_write_pf_disabled_drops_enable(struct kunit *test)
{
	struct pvp_emu *e = pasid_emu(test, PF_CAP);

	pvp_ecap_set_pf_enabled(&e->cap[0], false);
	write16(e, PASID + PCI_PASID_CTRL, ALL_CTRL);
	KUNIT_EXPECT_EQ(test, read16(e, PASID + PCI_PASID_CTRL), EXEC | PRIV);
}

static void pvp_emu_write_pf_disable_reads_zero(struct kunit *test)
{
	struct pvp_emu *e = pasid_emu(test, PF_CAP);

	write16(e, PASID + PCI_PASID_CTRL, EN | PRIV);
	pvp_ecap_set_pf_enabled(&e->cap[0], false);
	KUNIT_EXPECT_EQ(test, read16(e, PASID + PCI_PASID_CTRL), PRIV);
}

static void pvp_emu_write_pf_reenabled_latches(struct kunit *test)
{
	struct pvp_emu *e = pasid_emu(test, PF_CAP);

	pvp_ecap_set_pf_enabled(&e->cap[0], false);
	write16(e, PASID + PCI_PASID_CTRL, EN);
	pvp_ecap_set_pf_enabled(&e->cap[0], true);
	write16(e, PASID + PCI_PASID_CTRL, EN);
	KUNIT_EXPECT_EQ(test, read16(e, PASID + PCI_PASID_CTRL), EN);
}

struct syn_param {
	const char *desc;
	unsigned int byte;
	u8 write;
	u8 read;
};

/* Reset values: byte 4 0x5a, byte 5 0xff, byte 6 0x3c, byte 7 0x99 */
static const struct syn_param syn_params[] = {
	{ "rw-set", 4, 0x0f, 0x5f },
	{ "rw-clear", 4, 0x00, 0x50 },
	{ "rw1c-clear-some", 4, 0x10, 0x40 },
	{ "rw1c-clear-all-rw-set", 4, 0xff, 0x0f },
	{ "rw1c-only-zero", 5, 0x00, 0xff },
	{ "rw1c-only-some", 5, 0x81, 0x7e },
	{ "rw1c-only-all", 5, 0xff, 0x00 },
	{ "both-ones", 6, 0x3f, 0x03 },
	{ "both-zero", 6, 0x00, 0x00 },
	{ "both-low", 6, 0x03, 0x03 },
	{ "read-only", 7, 0x00, 0x99 },
	{ "read-only-ones", 7, 0xff, 0x99 },
};

static void syn_param_desc(const struct syn_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(syn, syn_params, syn_param_desc);

static void pvp_emu_write_rw1c(struct kunit *test)
{
	const struct syn_param *p = test->param_value;
	struct pvp_emu *e = syn_emu(test);

	write8(e, SYN + p->byte, p->write);
	KUNIT_EXPECT_EQ(test, read8(e, SYN + p->byte), p->read);
}

/* One dword write applies each byte's own masks */
static void pvp_emu_write_rw1c_dword(struct kunit *test)
{
	struct pvp_emu *e = syn_emu(test);
	const u8 w[4] = { 0x1f, 0x0f, 0x30, 0xff };
	const u8 want[4] = { 0x4f, 0xf0, 0x00, 0x99 };
	u8 buf[4];

	pvp_emu_write(e, SYN + 4, w, 4);
	pvp_emu_read(e, SYN + 4, buf, 4);
	expect_bytes(test, buf, want, 4, SYN + 4);
}

static void pvp_emu_reset_restores(struct kunit *test)
{
	struct pvp_emu *e = syn_emu(test);
	const u8 ones[16] = { [0 ... 15] = 0xff };
	const u8 syn_rst[8] = { 0x2a, 0x00, 0x01, 0x00, 0x5a, 0xff, 0x3c, 0x99 };
	u8 buf[8];

	pvp_emu_write(e, PASID, ones, 8);
	pvp_emu_write(e, SYN, ones, 8);
	pvp_emu_reset(e);
	pvp_emu_read(e, PASID, buf, 8);
	expect_bytes(test, buf + 4, pasid_rst + 4, 4, PASID + 4);
	pvp_emu_read(e, SYN, buf, 8);
	expect_bytes(test, buf + 4, syn_rst + 4, 4, SYN + 4);
}

/* Reset keeps the chain: the link and every Next */
static void pvp_emu_reset_keeps_chain(struct kunit *test)
{
	struct pvp_emu *e = syn_emu(test);
	u8 buf[4];

	pvp_emu_reset(e);
	pvp_emu_read(e, PASID, buf, 4);
	KUNIT_EXPECT_EQ(test, buf[2] >> 4 | buf[3] << 4, SYN);
	pvp_emu_read(e, SYN, buf, 4);
	KUNIT_EXPECT_EQ(test, buf[2] >> 4 | buf[3] << 4, 0);
	KUNIT_EXPECT_EQ(test, read16(e, TAIL + 2),
			link_hi[0] | link_hi[1] << 8);
}

static void pvp_emu_reset_keeps_pf_disabled(struct kunit *test)
{
	struct pvp_emu *e = pasid_emu(test, PF_CAP);

	pvp_ecap_set_pf_enabled(&e->cap[0], false);
	pvp_emu_reset(e);
	write16(e, PASID + PCI_PASID_CTRL, ALL_CTRL);
	KUNIT_EXPECT_EQ(test, read16(e, PASID + PCI_PASID_CTRL), EXEC | PRIV);
}

static struct kunit_case pvp_access_cases[] = {
	KUNIT_CASE_PARAM(pvp_emu_run_length, run_gen_params),
	KUNIT_CASE(pvp_emu_run_spans_adjacent_caps),
	KUNIT_CASE_PARAM(pvp_emu_hit_exact, hit_gen_params),
	KUNIT_CASE(pvp_emu_hit_every_emulated_byte),
	KUNIT_CASE(pvp_emu_read_whole_cap),
	KUNIT_CASE(pvp_emu_read_link_bytes),
	KUNIT_CASE(pvp_emu_read_leaves_other_bytes),
	KUNIT_CASE_PARAM(pvp_emu_read_any_alignment, acc_gen_params),
	KUNIT_CASE_PARAM(pvp_emu_write_any_alignment, acc_gen_params),
	KUNIT_CASE_PARAM(pvp_emu_write_ctrl_bits, ctrl_gen_params),
	KUNIT_CASE(pvp_emu_write_ctrl_clears),
	KUNIT_CASE(pvp_emu_write_ctrl_high_byte_ignored),
	KUNIT_CASE(pvp_emu_write_header_read_only),
	KUNIT_CASE(pvp_emu_write_cap_register_read_only),
	KUNIT_CASE(pvp_emu_write_link_ignored),
	KUNIT_CASE(pvp_emu_write_pf_disabled_drops_enable),
	KUNIT_CASE(pvp_emu_write_pf_disable_reads_zero),
	KUNIT_CASE(pvp_emu_write_pf_reenabled_latches),
	KUNIT_CASE_PARAM(pvp_emu_write_rw1c, syn_gen_params),
	KUNIT_CASE(pvp_emu_write_rw1c_dword),
	KUNIT_CASE(pvp_emu_reset_restores),
	KUNIT_CASE(pvp_emu_reset_keeps_chain),
	KUNIT_CASE(pvp_emu_reset_keeps_pf_disabled),
	{}
};

static struct kunit_suite pvp_access_suite = {
	.name = "pasid_vfio_pci_access",
	.test_cases = pvp_access_cases,
};

kunit_test_suites(&pvp_access_suite);
