// SPDX-License-Identifier: GPL-2.0
/*
 * Seeded model-based tests, each against a reference written from the
 * specification of ecap.h that shares no code with ecap.c:
 *
 * - the pvp_emu_* access path: random scenarios (PASID capability at the
 *   head or spliced after the tail, an optional synthetic capability with
 *   RW1C bits) and random reads, writes, resets and PF enable changes,
 *   applied to ecap.c and to a full 4 KiB image of extended config space
 *   with per-byte RW and RW1C masks, compared byte for byte after every
 *   access;
 * - pvp_layout_scan(), pvp_layout_free() and pvp_place() on random
 *   capability chains.
 *
 * Reproduce or vary a run with the parameters model_seed, model_accesses
 * and model_layouts of pasid_vfio_pci_kunit (kernel command line, e.g.
 * pasid_vfio_pci_kunit.model_seed=7, or kunit.py --kernel_args).
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci_regs.h>
#include <linux/string.h>

#include "ecap.h"
#include "fake_cfg.h"

static unsigned long model_seed = 0x5eed2024;
module_param(model_seed, ulong, 0444);
MODULE_PARM_DESC(model_seed, "seed of the pasid_vfio_pci_model test");

static unsigned int model_accesses = 100000;
module_param(model_accesses, uint, 0444);
MODULE_PARM_DESC(model_accesses, "accesses in the pasid_vfio_pci_model test");

static unsigned int model_layouts = 2000;
module_param(model_layouts, uint, 0444);
MODULE_PARM_DESC(model_layouts, "random chains in the pasid_vfio_pci_model test");

#define END		0x1000
#define PER_SCENARIO	500

enum ref_kind { REF_NONE, REF_CAP, REF_LINK };

/* One capability of a scenario */
struct ref_cap {
	u16 off;
	u8 len;
	bool pasid;
	u8 rst[16];	/* synthetic capability: reset value, header included */
	u8 rw[16];
	u8 rw1c[16];
};

struct ref_scenario {
	unsigned int nr;
	struct ref_cap cap[2];
	u16 pf_cap;
	u32 hdr0;
	u16 tail;
	u32 tail_hdr;
};

struct ref {
	u8 kind[END];
	u8 img[END];
	u8 rst[END];
	u8 rw[END];
	u8 rw1c[END];
	u8 view[END];	/* what a read of all of config space returns */
	u8 under[END];	/* the non-emulated bytes under the view */
	int pasid;	/* offset of the PASID capability, or -1 */
	u16 first, last;	/* first and last emulated byte */
};

struct model {
	u64 rng;
	struct ref ref;
	struct ref_scenario sc;
	struct pvp_emu emu;
	u8 buf[END];
	u8 data[16];
};

/* splitmix64 */
static u64 rnd(struct model *m)
{
	u64 z = (m->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u32 rnd_below(struct model *m, u32 n)
{
	return (u32)(rnd(m) >> 32) % n;
}

static bool chance(struct model *m, unsigned int percent)
{
	return rnd_below(m, 100) < percent;
}

/* A random dword-aligned offset in [lo, hi] */
static u16 rnd_dword(struct model *m, unsigned int lo, unsigned int hi)
{
	return lo + 4 * rnd_below(m, (hi - lo) / 4 + 1);
}

static bool overlaps(unsigned int a, unsigned int alen, unsigned int b,
		     unsigned int blen)
{
	return a < b + blen && b < a + alen;
}

/* ---- Reference model, from the specification ---- */

static void ref_put_cap(struct ref *r, const struct ref_scenario *sc,
			unsigned int i, u16 next)
{
	const struct ref_cap *c = &sc->cap[i];
	u8 rst[16], rw[16] = {}, rw1c[16] = {};
	u32 hdr;
	unsigned int k;

	if (c->pasid) {
		u16 cap = sc->pf_cap & 0x1f06;	/* width, priv, exec */

		memset(rst, 0, sizeof(rst));
		hdr = 0x1b | 1 << 16;
		rst[4] = cap;
		rst[5] = cap >> 8;
		rw[6] = 0x01 | (sc->pf_cap & 0x06);
		r->pasid = c->off;
	} else {
		memcpy(rst, c->rst, sizeof(rst));
		memcpy(rw, c->rw, sizeof(rw));
		memcpy(rw1c, c->rw1c, sizeof(rw1c));
		hdr = rst[0] | rst[1] << 8 | rst[2] << 16;
	}
	hdr = (hdr & 0xfffff) | (u32)next << 20;
	rst[0] = hdr;
	rst[1] = hdr >> 8;
	rst[2] = hdr >> 16;
	rst[3] = hdr >> 24;
	for (k = 0; k < c->len; k++) {
		r->kind[c->off + k] = REF_CAP;
		r->rst[c->off + k] = rst[k];
		r->img[c->off + k] = rst[k];
		r->rw[c->off + k] = rw[k];
		r->rw1c[c->off + k] = rw1c[k];
	}
}

static void ref_put_link(struct ref *r, u16 link, u32 tail_hdr, u16 next)
{
	u32 hdr = (tail_hdr & 0xfffff) | (u32)next << 20;

	r->kind[link + 2] = REF_LINK;
	r->kind[link + 3] = REF_LINK;
	r->img[link + 2] = hdr >> 16;
	r->img[link + 3] = hdr >> 24;
}

static void ref_update_view(struct ref *r, unsigned int pos,
			    unsigned int count)
{
	unsigned int i;

	for (i = pos; i < pos + count; i++)
		r->view[i] = r->kind[i] == REF_NONE ? r->under[i] : r->img[i];
}

static void ref_build(struct ref *r, const struct ref_scenario *sc)
{
	u16 off1 = sc->nr > 1 ? sc->cap[1].off : 0;
	unsigned int i;

	memset(r->kind, REF_NONE, END);
	r->pasid = -1;
	if (sc->cap[0].off == 0x100 && sc->tail == 0x100) {
		/* The caps are the whole chain */
		ref_put_cap(r, sc, 0, off1);
		if (sc->nr > 1)
			ref_put_cap(r, sc, 1, 0);
	} else if (sc->cap[0].off == 0x100) {
		/* cap 0 replaces the first header; the rest follow the tail */
		ref_put_cap(r, sc, 0, (sc->hdr0 >> 20) & 0xffc);
		if (sc->nr > 1) {
			ref_put_link(r, sc->tail, sc->tail_hdr, off1);
			ref_put_cap(r, sc, 1, 0);
		}
	} else {
		ref_put_link(r, sc->tail, sc->tail_hdr, sc->cap[0].off);
		ref_put_cap(r, sc, 0, off1);
		if (sc->nr > 1)
			ref_put_cap(r, sc, 1, 0);
	}
	r->first = END;
	r->last = 0;
	for (i = 0; i < END; i++) {
		if (r->kind[i] == REF_NONE)
			continue;
		r->first = min_t(u16, r->first, i);
		r->last = i;
	}
	ref_update_view(r, 0, END);
}

static void ref_write(struct ref *r, unsigned int pos, const u8 *b,
		      unsigned int count)
{
	unsigned int i, p;
	u8 v;

	for (i = 0; i < count; i++) {
		p = pos + i;
		if (r->kind[p] != REF_CAP)
			continue;
		v = (r->img[p] & ~r->rw[p]) | (b[i] & r->rw[p]);
		r->img[p] = v & ~(b[i] & r->rw1c[p]);
	}
	ref_update_view(r, pos, count);
}

static void ref_reset(struct ref *r)
{
	unsigned int i;

	for (i = 0; i < END; i++)
		if (r->kind[i] == REF_CAP)
			r->img[i] = r->rst[i];
	ref_update_view(r, 0, END);
}

static void ref_set_pf_enabled(struct ref *r, bool enabled)
{
	unsigned int ctrl = r->pasid + PCI_PASID_CTRL;

	if (enabled) {
		r->rw[ctrl] |= PCI_PASID_CTRL_ENABLE;
	} else {
		r->rw[ctrl] &= ~PCI_PASID_CTRL_ENABLE;
		r->img[ctrl] &= ~PCI_PASID_CTRL_ENABLE;
	}
	ref_update_view(r, ctrl, 1);
}

/* Length of the run of bytes from @pos with the emulation status of @pos */
static unsigned int ref_run(const struct ref *r, unsigned int pos,
			    unsigned int count, bool *emulated)
{
	unsigned int n = 1;

	*emulated = r->kind[pos] != REF_NONE;
	while (n < count && (r->kind[pos + n] != REF_NONE) == *emulated)
		n++;
	return n;
}

/* ---- Scenarios ---- */

static void rnd_synthetic(struct model *m, struct ref_cap *c)
{
	unsigned int k;

	c->pasid = false;
	c->len = 4 * (1 + rnd_below(m, PVP_CAP_MAX_LEN / 4));
	for (k = 0; k < sizeof(c->rst); k++) {
		c->rst[k] = rnd(m);
		c->rw[k] = rnd(m);
		/* Half of the scenarios keep RW and RW1C apart */
		c->rw1c[k] = rnd(m) & (chance(m, 50) ? ~c->rw[k] : 0xff);
	}
}

/* Whether the caps and link bytes of @sc fit together */
static bool scenario_ok(const struct ref_scenario *sc, bool link)
{
	const struct ref_cap *c = sc->cap;

	if (c[0].off + c[0].len > END)
		return false;
	if (sc->nr > 1 && (c[1].off + c[1].len > END ||
			   overlaps(c[0].off, c[0].len, c[1].off, c[1].len)))
		return false;
	if (!link)
		return true;
	if (overlaps(c[0].off, c[0].len, sc->tail + 2, 2))
		return false;
	return sc->nr < 2 || !overlaps(c[1].off, c[1].len, sc->tail + 2, 2);
}

/* Somewhere for a cap: anywhere, or close to @near */
static u16 rnd_cap_off(struct model *m, u16 near)
{
	if (chance(m, 50))
		return rnd_dword(m, 0x104, END - 4);
	return clamp_t(int, near - 32 + 4 * (int)rnd_below(m, 17), 0x104,
		       END - 4);
}

static void rnd_scenario(struct model *m, struct ref_scenario *sc)
{
	unsigned int shape, i;
	bool link;

	do {
		memset(sc, 0, sizeof(*sc));
		shape = rnd_below(m, 4);
		sc->nr = 1 + rnd_below(m, PVP_MAX_ECAPS);
		sc->pf_cap = rnd(m);
		i = rnd_below(m, sc->nr);	/* which cap is the PASID */
		sc->cap[i].pasid = true;
		sc->cap[i].len = 8;
		if (sc->nr > 1)
			rnd_synthetic(m, &sc->cap[!i]);
		sc->tail = rnd_dword(m, 0x100, END - 4);
		sc->tail_hdr = rnd(m);
		sc->hdr0 = rnd(m);
		switch (shape) {
		case 0:	/* the device has no extended capability */
			sc->tail = 0x100;
			sc->hdr0 = chance(m, 50) ? 0 : sc->hdr0 & 0x0fffffff;
			sc->tail_hdr = sc->hdr0;
			sc->cap[0].off = 0x100;
			link = false;
			break;
		case 1:	/* at the head, the chain goes on after it */
			sc->cap[0].off = 0x100;
			sc->hdr0 = (sc->hdr0 & 0xfffff) |
				   (u32)rnd_dword(m, 0x104, END - 4) << 20;
			if (sc->tail == 0x100)
				sc->tail = 0x104;
			link = sc->nr > 1;
			break;
		default: /* after the tail */
			sc->cap[0].off = rnd_cap_off(m, sc->tail);
			link = true;
			break;
		}
		if (sc->nr > 1)
			sc->cap[1].off = rnd_cap_off(m, chance(m, 50) ?
						     sc->cap[0].off : sc->tail);
	} while (!scenario_ok(sc, link));
}

/* Load @sc into the model under test, as the driver would */
static int emu_setup(struct model *m)
{
	const struct ref_scenario *sc = &m->sc;
	struct pvp_emu *e = &m->emu;
	unsigned int i;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < sc->nr; i++) {
		const struct ref_cap *c = &sc->cap[i];
		struct pvp_ecap *ec = &e->cap[i];

		if (c->pasid) {
			pvp_pasid_init(ec, c->off, sc->pf_cap);
			continue;
		}
		ec->off = c->off;
		ec->len = c->len;
		memcpy(ec->val, c->rst, c->len);
		memcpy(ec->rst, c->rst, c->len);
		memcpy(ec->rw, c->rw, c->len);
		memcpy(ec->rw1c, c->rw1c, c->len);
	}
	e->nr = sc->nr;
	return pvp_emu_link(e, sc->hdr0, sc->tail, sc->tail_hdr);
}

static struct pvp_ecap *emu_pasid(struct model *m)
{
	unsigned int i;

	for (i = 0; i < m->sc.nr; i++)
		if (m->sc.cap[i].pasid)
			return &m->emu.cap[i];
	return NULL;
}

/* ---- The test ---- */

enum op { OP_READ, OP_WRITE, OP_RESET, OP_PF_ENABLE, OP_PF_DISABLE };

static const char * const op_name[] = {
	"read", "write", "reset", "pf-enable", "pf-disable",
};

struct step {
	unsigned int scenario;
	unsigned int n;
	enum op op;
	unsigned int pos;
	unsigned int count;
};

static void rnd_access(struct model *m, struct step *s)
{
	const struct ref *r = &m->ref;
	bool natural = chance(m, 50);
	unsigned int anchor;

	/* a naturally aligned 1, 2 or 4 byte access, or 1 to 8 bytes anywhere */
	s->count = natural ? 1 << rnd_below(m, 3) : 1 + rnd_below(m, 8);
	switch (rnd_below(m, 5)) {
	case 0:	/* anywhere */
		s->pos = rnd_below(m, END - s->count + 1);
		break;
	case 1:	/* between the first and the last emulated byte */
		s->pos = r->first - 16 + rnd_below(m, r->last - r->first + 33);
		break;
	default: /* around either end of an emulated range */
		anchor = chance(m, 50) ? r->first : r->last;
		if (chance(m, 50))
			anchor = m->sc.cap[rnd_below(m, m->sc.nr)].off;
		s->pos = anchor - 8 + rnd_below(m, 17);
		break;
	}
	s->pos = min(s->pos, END - s->count);
	if (natural)
		s->pos &= ~(s->count - 1);
}

static bool check_step(struct kunit *test, struct model *m,
		       const struct step *s)
{
	const struct ref *r = &m->ref;
	bool emu, want_emu, hit, want_hit = false;
	unsigned int run, want_run, i;

	run = pvp_emu_run(&m->emu, s->pos, s->count, &emu);
	want_run = ref_run(r, s->pos, s->count, &want_emu);
	if (run != want_run || emu != want_emu) {
		KUNIT_FAIL(test,
			   "seed %#lx scenario %u access %u: run(%#x, %u) = %u/%d, want %u/%d",
			   model_seed, s->scenario, s->n, s->pos, s->count,
			   run, emu, want_run, want_emu);
		return false;
	}
	for (i = s->pos; i < s->pos + s->count; i++)
		want_hit |= r->kind[i] != REF_NONE;
	hit = pvp_emu_hit(&m->emu, s->pos, s->count);
	if (hit != want_hit) {
		KUNIT_FAIL(test,
			   "seed %#lx scenario %u access %u: hit(%#x, %u) = %d, emulated bytes %d, lo %#x hi %#x",
			   model_seed, s->scenario, s->n, s->pos, s->count,
			   hit, want_hit, m->emu.lo, m->emu.hi);
		return false;
	}
	return true;
}

/* Read all of config space through the model and compare with the view */
static bool check_state(struct kunit *test, struct model *m,
			const struct step *s)
{
	const struct ref *r = &m->ref;
	unsigned int i;

	memcpy(m->buf, r->under, END);
	pvp_emu_read(&m->emu, 0, m->buf, END);
	if (!memcmp(m->buf, r->view, END))
		return true;
	for (i = 0; m->buf[i] == r->view[i]; i++)
		;
	KUNIT_FAIL(test,
		   "seed %#lx scenario %u access %u after %s(%#x, %u): byte %#x is %#04x, want %#04x",
		   model_seed, s->scenario, s->n, op_name[s->op], s->pos,
		   s->count, i, m->buf[i], r->view[i]);
	return false;
}

static bool check_read(struct kunit *test, struct model *m,
		       const struct step *s)
{
	const struct ref *r = &m->ref;
	u8 in[16], want;
	unsigned int i;

	for (i = 0; i < s->count; i++) {
		in[i] = rnd(m);
		m->data[i] = in[i];
	}
	pvp_emu_read(&m->emu, s->pos, m->data, s->count);
	for (i = 0; i < s->count; i++) {
		want = r->kind[s->pos + i] == REF_NONE ? in[i] :
						      r->img[s->pos + i];
		if (m->data[i] == want)
			continue;
		KUNIT_FAIL(test,
			   "seed %#lx scenario %u access %u: read(%#x, %u) byte %#x is %#04x, want %#04x",
			   model_seed, s->scenario, s->n, s->pos, s->count,
			   s->pos + i, m->data[i], want);
		return false;
	}
	return true;
}

static bool check_bounds(struct kunit *test, struct model *m,
			 unsigned int scenario)
{
	const struct ref *r = &m->ref;

	if (m->emu.lo <= r->first && m->emu.hi > r->last)
		return true;
	KUNIT_FAIL(test,
		   "seed %#lx scenario %u: lo %#x hi %#x do not bound [%#x, %#x]",
		   model_seed, scenario, m->emu.lo, m->emu.hi, r->first,
		   r->last);
	return false;
}

static bool run_scenario(struct kunit *test, struct model *m,
			 unsigned int scenario, unsigned int accesses)
{
	struct ref *r = &m->ref;
	struct step s = { .scenario = scenario };
	struct pvp_ecap *pasid;
	unsigned int i;
	int ret;

	rnd_scenario(m, &m->sc);
	for (i = 0; i < END; i++)
		r->under[i] = rnd(m);
	ref_build(r, &m->sc);
	ret = emu_setup(m);
	if (ret) {
		KUNIT_FAIL(test, "seed %#lx scenario %u: pvp_emu_link() = %d",
			   model_seed, scenario, ret);
		return false;
	}
	pasid = emu_pasid(m);
	if (!check_bounds(test, m, scenario) || !check_state(test, m, &s))
		return false;
	for (s.n = 0; s.n < accesses; s.n++) {
		i = rnd_below(m, 1000);
		s.op = i < 480 ? OP_READ : i < 980 ? OP_WRITE :
		       i < 985 ? OP_RESET : i < 992 ? OP_PF_ENABLE :
		       OP_PF_DISABLE;
		rnd_access(m, &s);
		switch (s.op) {
		case OP_READ:
			if (!check_read(test, m, &s))
				return false;
			break;
		case OP_WRITE:
			for (i = 0; i < s.count; i++)
				m->data[i] = rnd(m);
			pvp_emu_write(&m->emu, s.pos, m->data, s.count);
			ref_write(r, s.pos, m->data, s.count);
			break;
		case OP_RESET:
			pvp_emu_reset(&m->emu);
			ref_reset(r);
			break;
		case OP_PF_ENABLE:
		case OP_PF_DISABLE:
			pvp_ecap_set_pf_enabled(pasid, s.op == OP_PF_ENABLE);
			ref_set_pf_enabled(r, s.op == OP_PF_ENABLE);
			break;
		}
		if (!check_step(test, m, &s) || !check_state(test, m, &s))
			return false;
	}
	return true;
}

static void pvp_emu_matches_reference(struct kunit *test)
{
	struct model *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	unsigned int scenario, done = 0, n;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, m);
	m->rng = model_seed;
	kunit_info(test, "seed %#lx, %u accesses, %u per scenario\n",
		   model_seed, model_accesses, PER_SCENARIO);
	for (scenario = 0; done < model_accesses; scenario++) {
		n = min_t(unsigned int, PER_SCENARIO, model_accesses - done);
		if (!run_scenario(test, m, scenario, n))
			return;
		done += n;
	}
	kunit_info(test, "seed %#lx: %u accesses in %u scenarios match\n",
		   model_seed, done, scenario);
}

/* ---- Layout and placement reference, from the specification ---- */

struct lref {
	int ret;
	unsigned int nr;
	u16 start[PVP_MAX_RANGES];
	u16 len[PVP_MAX_RANGES];
};

static u32 cfg32(const u8 *b, unsigned int off)
{
	return b[off] | b[off + 1] << 8 | b[off + 2] << 16 |
	       (u32)b[off + 3] << 24;
}

/* Real length of the capability at @pos, or 0 for unknown */
static unsigned int lref_len(const u8 *b, unsigned int pos)
{
	u32 hdr = cfg32(b, pos);
	unsigned int n;

	switch (hdr & 0xffff) {
	case 0x00: return 4;
	case 0x01: return 0x48;
	case 0x03: return 0x0c;
	case 0x04: return 0x10;
	case 0x0e: return 8;
	case 0x0f: return 8;
	case 0x10: return 0x40;
	case 0x12: return 0x30;
	case 0x13: return 0x10;
	case 0x18: return 8;
	case 0x1b: return 8;
	case 0x1e: return 0x10;
	case 0x1f: return 0x0c;
	case 0x25: return 0x0c;
	case 0x0d:
		return cfg32(b, pos + 4) & 0x20 ? 0 : 8;
	case 0x0b:
	case 0x23:
		n = cfg32(b, pos + 4) >> 20;
		return n < 8 ? 0 : n;
	case 0x15:
	case 0x24:
		n = cfg32(b, pos + 8) >> 5 & 7;
		return n == 0 || n > 6 ? 0 : 4 + 8 * n;
	}
	return 0;
}

static void lref_scan(struct lref *l, const u8 *b)
{
	unsigned int pos = 0x100, i, j, end;
	u32 hdr;

	l->nr = 0;
	l->ret = 0;
	hdr = cfg32(b, pos);
	while (hdr != 0 && hdr != 0xffffffff) {
		for (i = 0; i < l->nr; i++)
			if (l->start[i] == pos) {
				l->ret = -ELOOP;
				return;
			}
		if (l->nr == PVP_MAX_RANGES) {
			l->ret = -E2BIG;
			return;
		}
		l->start[l->nr] = pos;
		l->len[l->nr++] = lref_len(b, pos);
		pos = hdr >> 20 & 0xffc;
		if (pos < 0x100)
			break;
		hdr = cfg32(b, pos);
	}
	for (i = 0; i < l->nr; i++) {
		if (!l->len[i]) {
			end = END;
			for (j = 0; j < l->nr; j++)
				if (l->start[j] > l->start[i] && l->start[j] < end)
					end = l->start[j];
			l->len[i] = end - l->start[i];
		}
		l->len[i] = min_t(unsigned int, l->len[i], END - l->start[i]);
	}
}

static bool lref_free(const struct lref *l, unsigned int off, unsigned int len)
{
	unsigned int i;

	if (off % 4 || off < 0x100 || !len || off + len > END)
		return false;
	for (i = 0; i < l->nr; i++)
		if (overlaps(off, len, l->start[i], l->len[i]))
			return false;
	return true;
}

static int lref_place(const struct lref *l, unsigned int len,
		      unsigned int pf_off, unsigned int override, u16 *off,
		      enum pvp_placement *how)
{
	int o;

	*how = PVP_PLACE_NONE;
	if (!l->nr) {
		if (override && override != 0x100)
			return -EINVAL;
		*off = 0x100;
		*how = PVP_PLACE_HEAD;
		return 0;
	}
	if (override) {
		if (override % 4 || override < 0x100 || override + len > END)
			return -EINVAL;
		if (!lref_free(l, override, len))
			return -EBUSY;
		*off = override;
		*how = PVP_PLACE_OVERRIDE;
		return 0;
	}
	if (pf_off && lref_free(l, pf_off, len)) {
		*off = pf_off;
		*how = PVP_PLACE_PF_OFFSET;
		return 0;
	}
	for (o = (END - len) & ~3; o >= 0x100; o -= 4)
		if (lref_free(l, o, len)) {
			*off = o;
			*how = PVP_PLACE_FREE;
			return 0;
		}
	return -ENOSPC;
}

/* IDs a random chain draws from: fixed, variable and unknown lengths */
static const u16 lref_ids[] = {
	0x00, 0x01, 0x03, 0x04, 0x0e, 0x0f, 0x10, 0x12, 0x13, 0x18, 0x1b,
	0x1e, 0x1f, 0x25, 0x0d, 0x0d, 0x0b, 0x0b, 0x0b, 0x23, 0x23, 0x15,
	0x15, 0x24, 0x02, 0x2a, 0x1c, 0xffff,
};

/*
 * A random chain in @f: caps in 16-byte slots (so +4 and +8 stay theirs),
 * in random order from 0x100, sometimes ending on a 0 or ~0 header, a
 * pointer below 0x100 or a loop.
 */
static void rnd_chain(struct model *m, struct pvp_fake_cfg *f)
{
	u16 off[PVP_MAX_RANGES + 4];
	unsigned int n, i, j, next;
	u16 id;

	memset(f->b, 0, END);
	if (chance(m, 3)) {
		if (chance(m, 50))
			pvp_fake_put32(f, 0x100, 0xffffffff);
		return;
	}
	n = 1 + rnd_below(m, chance(m, 80) ? 12 : chance(m, 50) ? 40 :
			   ARRAY_SIZE(off));
	for (i = 0; i < n; i++) {
		do {
			off[i] = i ? 0x100 + 16 * rnd_below(m, 240) : 0x100;
			for (j = 0; j < i && off[j] != off[i]; j++)
				;
		} while (j < i);
	}
	for (i = 0; i < n; i++) {
		id = lref_ids[rnd_below(m, ARRAY_SIZE(lref_ids))];
		next = i + 1 < n ? off[i + 1] : 0;
		if (i + 1 == n && chance(m, 10))
			next = off[rnd_below(m, n)];		/* loop */
		else if (i + 1 == n && chance(m, 10))
			next = 4 * rnd_below(m, 0x40);		/* below 0x100 */
		/* ID 0 with version 0 and no next would end the chain */
		pvp_fake_put32(f, off[i], PVP_HDR(id, 1 + rnd_below(m, 15), next) |
			       (chance(m, 5) ? 1 << 20 : 0));
		pvp_fake_put32(f, off[i] + 4, rnd(m));
		pvp_fake_put32(f, off[i] + 8, rnd(m));
		/* Sometimes make VSEC and DVSEC lengths plausible */
		if ((id == 0x0b || id == 0x23) && chance(m, 70))
			pvp_fake_put32(f, off[i] + 4, (4 * rnd_below(m, 0x40)) << 20);
	}
	if (chance(m, 10))
		pvp_fake_put32(f, 0x100 + 16 * rnd_below(m, 240),
			       chance(m, 50) ? 0 : 0xffffffff);
}

/* Index of a range of @ref that @l does not have once, or -1 */
static int missing_range(const struct pvp_layout *l, const struct lref *ref)
{
	unsigned int i, j, found;

	for (i = 0; i < ref->nr; i++) {
		found = 0;
		for (j = 0; j < l->nr; j++)
			if (l->r[j].start == ref->start[i] &&
			    l->r[j].len == ref->len[i])
				found++;
		if (found != 1)
			return i;
	}
	return -1;
}

static bool check_place(struct kunit *test, struct model *m,
			const struct pvp_layout *l, const struct lref *ref,
			unsigned int chain)
{
	unsigned int len, pf_off = 0, override = 0;
	enum pvp_placement how, want_how;
	u16 off = 0, want_off = 0;
	int ret, want;

	len = chance(m, 80) ? 4 * (1 + rnd_below(m, 4)) : 1 + rnd_below(m, 16);
	if (chance(m, 50))
		pf_off = chance(m, 80) ? rnd_dword(m, 0x100, END - 4) :
					 rnd_below(m, END);
	if (chance(m, 15))
		override = chance(m, 80) ? rnd_dword(m, 0x100, END - 4) :
					   rnd_below(m, END);
	ret = pvp_place(l, len, pf_off, override, &off, &how);
	want = lref_place(ref, len, pf_off, override, &want_off, &want_how);
	if (ret == want && (ret == -EINVAL || ret == -EBUSY ||
			    (how == want_how && (ret || off == want_off))))
		return true;
	KUNIT_FAIL(test,
		   "seed %#lx chain %u: place(len %u, pf_off %#x, override %#x) = %d %#x %s, want %d %#x %s",
		   model_seed, chain, len, pf_off, override, ret, off,
		   pvp_placement_name(how), want, want_off,
		   pvp_placement_name(want_how));
	return false;
}

static void pvp_place_matches_reference(struct kunit *test)
{
	struct model *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct pvp_fake_cfg *f = pvp_fake_new(test);
	struct pvp_layout *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	struct lref *ref = kunit_kzalloc(test, sizeof(*ref), GFP_KERNEL);
	unsigned int chain, i, off, len, nr[3] = {};
	int ret, miss;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, m);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, l);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ref);
	m->rng = model_seed ^ 0x1a40u;
	kunit_info(test, "seed %#lx, %u chains\n", model_seed, model_layouts);
	for (chain = 0; chain < model_layouts; chain++) {
		rnd_chain(m, f);
		lref_scan(ref, f->b);
		ret = pvp_layout_scan(l, pvp_fake_read32, f);
		miss = ret ? -1 : missing_range(l, ref);
		if (ret != ref->ret || (!ret && l->nr != ref->nr) || miss >= 0) {
			KUNIT_FAIL(test,
				   "seed %#lx chain %u: scan = %d with %u ranges, want %d with %u",
				   model_seed, chain, ret, l->nr, ref->ret,
				   ref->nr);
			if (miss >= 0)
				KUNIT_FAIL(test, "range %#x+%#x (ID %#x) missing",
					   ref->start[miss], ref->len[miss],
					   cfg32(f->b, ref->start[miss]) & 0xffff);
			return;
		}
		nr[ret == 0 ? 0 : ret == -ELOOP ? 1 : 2]++;
		if (ret)
			continue;
		for (i = 0; i < 20; i++) {
			off = rnd_below(m, END + 8);
			len = rnd_below(m, 0x40);
			if (pvp_layout_free(l, off, len) != lref_free(ref, off, len)) {
				KUNIT_FAIL(test,
					   "seed %#lx chain %u: free(%#x, %u) = %d",
					   model_seed, chain, off, len,
					   pvp_layout_free(l, off, len));
				return;
			}
		}
		for (i = 0; i < 5; i++)
			if (!check_place(test, m, l, ref, chain))
				return;
	}
	kunit_info(test, "seed %#lx: %u chains match (%u scanned, %u loops, %u too long)\n",
		   model_seed, chain, nr[0], nr[1], nr[2]);
}

static struct kunit_case pvp_model_cases[] = {
	KUNIT_CASE(pvp_emu_matches_reference),
	KUNIT_CASE(pvp_place_matches_reference),
	{}
};

static struct kunit_suite pvp_model_suite = {
	.name = "pasid_vfio_pci_model",
	.test_cases = pvp_model_cases,
};

kunit_test_suites(&pvp_model_suite);
