// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-fuzz - a hostile VMM for the pasid-vfio-pci e2e rig: differential
 * fuzzing, concurrency and isolation checks of the VFIO config region.
 *
 *   record BDF --seed S --count N --focus O[,O] --out FILE
 *	Under stock vfio-pci: open, VFIO_DEVICE_RESET, snapshot, then N
 *	accesses of a seeded random stream; every result (count or errno, the
 *	bytes read) goes to FILE.
 *   replay BDF --seed S --count N --focus O[,O] --in FILE
 *	[--pasid OFF [--pri OFF] --pf PF]
 *	The same stream on the same device under another driver, compared
 *	access by access with FILE.  With --pasid, the 8 bytes at OFF and the
 *	Next field pointing at it must match an independent model of the
 *	emulated PASID capability (README semantics, the PF's Capability
 *	register read through sysfs); every other byte, and every return value
 *	and errno, must equal the recorded ones.  Without --pasid, everything
 *	must be equal (a control run).  With --pri, the 16 bytes of the PRI
 *	capability at OFF (shared_caps=pasid,pri) are modelled too.
 *   restore BDF --in FILE
 *	Write the recorded start values back where the device kept what the
 *	stream wrote (QEMU's VFs keep writes to their free config space).
 *   stress BDF --pasid OFF --pf PF [--threads T] [--iters N]
 *	[--host-width W]  (any command taking --pf: the host IOMMU's PASID
 *	width for the VFs, when it limits the Max PASID Width they show)
 *	[--cycle BDF,...] [--cycles C]
 *	T threads hammer one open device (the emulated Control register and
 *	other registers, VFIO_DEVICE_RESET); each read of Control must be a
 *	value some write produced.  Meanwhile one thread per --cycle device
 *	runs C open/write/reset/close cycles.
 *   isolate --pasid OFF --pf PF [--rounds R] BDF...
 *	Writes to one device's emulated capability change no other device's,
 *	nor the PF's real PASID Control, nor any byte of any PCI device's
 *	config space as sysfs shows it.
 *
 * Output: "PASS|FAIL <prefix><check>[: figures or why]" and "INFO" lines;
 * exit status 1 when a check failed, 2 on usage errors.
 *
 * Backends: by default every open goes through the type1 container
 * (/dev/vfio/vfio + the device's IOMMU group; a group and its container
 * are shared by the devices of the group and kept across closes).  With
 * -i/--iommufd (as vfio-client's) every open, the close+reopen cycles of
 * the stream, stress's --cycle devices and isolate's reopen included, goes
 * through the device's cdev (/dev/vfio/devices/vfioN, found through
 * /sys/bus/pci/devices/BDF/vfio-dev) bound to a /dev/iommu of its own
 * (VFIO_DEVICE_BIND_IOMMUFD, IOMMU_IOAS_ALLOC,
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT); a close closes both fds, which releases
 * the binding, the attach and the IOAS.  A record names its backend, and a
 * replay through the other one is refused: differential runs compare like
 * with like.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "iommufd-uapi.h"

#define CFG_SIZE	4096
#define NDW		(CFG_SIZE / 4)
#define OFF_MASK	((1ULL << 40) - 1)	/* VFIO_PCI_OFFSET_MASK */
#define MAX_IO		8192
#define PASID_ID	0x1b
#define PASID_HDR	0x0001001bu	/* ID 0x1b, version 1, Next 0 */
#define PASID_CAP_MASK	0x1f06		/* Exec, Priv, Max PASID Width */

/* --host-width: log2 of the PASIDs the host IOMMU gives a VF, -1: none */
static int host_width = -1;

/*
 * The Capability register a VF of this PF shows (README "The capability"):
 * Exec/Priv where the PF's Control has them enabled, Max PASID Width no
 * more than the host's.
 */
static uint16_t vf_cap(uint16_t pfcap, uint16_t pfctrl)
{
	uint16_t cap = pfcap & PASID_CAP_MASK & ~(6 & ~pfctrl);

	if (host_width >= 0 && host_width < ((cap >> 8) & 0x1f))
		cap = (cap & ~0x1f00) | host_width << 8;
	return cap;
}

#define MAX_DEVS	16
#define MAX_FOCUS	4
#define REC_MAGIC	0x315a5546505650ULL	/* "PVPFUZ1": type1 */
#define REC_MAGIC_CDEV	0x435a5546505650ULL	/* "PVPFUZC": cdev + iommufd */

/* -i: every open through the device's cdev and iommufd */
static int use_iommufd;

static const char *prefix = "";
static int failures;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- reporting */
static void __attribute__((format(printf, 3, 4)))
report(const char *what, const char *c, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	printf("%s %s%s", what, prefix, c);
	if (fmt) {
		printf(": ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	printf("\n");
	fflush(stdout);
	if (!strcmp(what, "FAIL"))
		failures++;
	pthread_mutex_unlock(&out_lock);
}

#define pass(c, ...)	report("PASS", c, __VA_ARGS__)
#define fail(c, ...)	report("FAIL", c, __VA_ARGS__)

static void __attribute__((format(printf, 1, 2))) info(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	printf("INFO %s", prefix);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vfio-fuzz: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	printf("FAIL %ssetup: see stderr\n", prefix);
	exit(2);
}

static unsigned long long num(const char *s)
{
	unsigned long long v;
	char *e;

	errno = 0;
	v = strtoull(s, &e, 0);
	if (errno || *e || e == s)
		die("not a number: '%s'", s);
	return v;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static uint32_t le32(const uint8_t *b)
{
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint16_t le16(const uint8_t *b)
{
	return b[0] | b[1] << 8;
}

/* ---- PRNG: splitmix64, the whole stream is a function of the seed */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * ---- devices: type1 container per IOMMU group, groups shared; or (-i) a
 * cdev and a /dev/iommu of their own per open
 */
struct group {
	int id, fd, container;
};

struct dev {
	char bdf[32];
	struct group *g;	/* type1 */
	int fd;
	int iommufd;		/* -i: /dev/iommu of this open, else -1 */
	uint32_t dev_id, ioas_id;	/* -i: the binding and its IOAS */
	const char *err_at;	/* the step where the last open failed */
	off_t cfg;		/* config region offset in the device fd */
	uint32_t flags;
};

static struct group groups[MAX_DEVS];
static int ngroups;
static pthread_mutex_t group_lock = PTHREAD_MUTEX_INITIALIZER;

static struct group *group_get(const char *bdf)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char p[256], link[256];
	struct group *g;
	ssize_t n;
	int i, id;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(p, link, sizeof(link) - 1);
	if (n < 0)
		die("%s: %s", p, strerror(errno));
	link[n] = 0;
	id = atoi(basename(link));
	pthread_mutex_lock(&group_lock);
	for (i = 0; i < ngroups; i++)
		if (groups[i].id == id) {
			pthread_mutex_unlock(&group_lock);
			return &groups[i];
		}
	if (ngroups == MAX_DEVS)
		die("too many groups");
	g = &groups[ngroups++];
	g->id = id;
	g->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (g->container < 0)
		die("open /dev/vfio/vfio: %s", strerror(errno));
	snprintf(p, sizeof(p), "/dev/vfio/%d", id);
	g->fd = open(p, O_RDWR | O_CLOEXEC);
	if (g->fd < 0)
		die("open %s (%s): %s", p, bdf, strerror(errno));
	if (ioctl(g->fd, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group %d of %s not viable", id, bdf);
	if (ioctl(g->fd, VFIO_GROUP_SET_CONTAINER, &g->container))
		die("VFIO_GROUP_SET_CONTAINER: %s", strerror(errno));
	if (ioctl(g->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("VFIO_SET_IOMMU: %s", strerror(errno));
	pthread_mutex_unlock(&group_lock);
	return g;
}

static void dev_put(struct dev *d)
{
	if (d->fd >= 0)
		close(d->fd);	/* first: a cdev's close unbinds it */
	if (d->iommufd >= 0)
		close(d->iommufd);	/* frees the IOAS */
	d->fd = -1;
	d->iommufd = -1;
}

/* -errno of the failed step @at of an open (the fds are closed) */
static int dev_fail(struct dev *d, const char *at)
{
	int e = -errno;

	d->err_at = at;
	dev_put(d);
	return e;
}

/* @d's cdev, /dev/vfio/devices/vfioN, into @p; 0 or -errno */
static int cdev_path(const struct dev *d, char *p, size_t pl)
{
	struct dirent *de;
	DIR *dir;

	snprintf(p, pl, "/sys/bus/pci/devices/%s/vfio-dev", d->bdf);
	dir = opendir(p);
	if (!dir)
		return -errno;
	p[0] = 0;
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, "vfio", 4))
			snprintf(p, pl, "/dev/vfio/devices/%s", de->d_name);
	closedir(dir);
	return p[0] ? 0 : -ENOENT;
}

/*
 * The cdev path of an open: the device's cdev bound to a /dev/iommu of its
 * own (open_device runs in the bind), attached to a fresh IOAS
 */
static int cdev_open(struct dev *d)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	char p[300];
	int r;

	r = cdev_path(d, p, sizeof(p));
	if (r) {
		d->err_at = "no VFIO cdev (sysfs vfio-dev)";
		return r;
	}
	d->fd = open(p, O_RDWR | O_CLOEXEC);
	if (d->fd < 0)
		return dev_fail(d, "open of its /dev/vfio/devices/vfioN");
	d->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (d->iommufd < 0)
		return dev_fail(d, "open /dev/iommu");
	bind.iommufd = d->iommufd;
	if (ioctl(d->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		return dev_fail(d, "VFIO_DEVICE_BIND_IOMMUFD");
	d->dev_id = bind.out_devid;
	if (ioctl(d->iommufd, IOMMU_IOAS_ALLOC, &ioas))
		return dev_fail(d, "IOMMU_IOAS_ALLOC");
	d->ioas_id = ioas.out_ioas_id;
	at.pt_id = ioas.out_ioas_id;
	if (ioctl(d->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
		return dev_fail(d, "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	return 0;
}

/* Get a device fd (open_device on the first one); 0 or -errno */
static int dev_fd(struct dev *d)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri = { .argsz = sizeof(ri),
				       .index = VFIO_PCI_CONFIG_REGION_INDEX };
	int r;

	if (use_iommufd) {
		r = cdev_open(d);
		if (r)
			return r;
	} else {
		d->fd = ioctl(d->g->fd, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
		if (d->fd < 0)
			return dev_fail(d, "VFIO_GROUP_GET_DEVICE_FD");
	}
	if (ioctl(d->fd, VFIO_DEVICE_GET_INFO, &di))
		return dev_fail(d, "VFIO_DEVICE_GET_INFO");
	if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &ri))
		return dev_fail(d, "VFIO_DEVICE_GET_REGION_INFO");
	d->flags = di.flags;
	d->cfg = ri.offset;
	return 0;
}

/* A closed device: type1 joins (or opens) its group's container */
static void dev_init(struct dev *d, const char *bdf)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	d->fd = -1;
	d->iommufd = -1;
	if (!use_iommufd)
		d->g = group_get(bdf);
}

static void dev_open(struct dev *d, const char *bdf)
{
	int r;

	dev_init(d, bdf);
	r = dev_fd(d);
	if (r)
		die("open %s: %s: %s", bdf, d->err_at, strerror(-r));
	if (use_iommufd)
		info("%s: VFIO cdev bound to iommufd (dev_id %u), attached to IOAS %u",
		     bdf, d->dev_id, d->ioas_id);
}

/* One access at @off of the config region: count, or -errno */
static long cfg_io(struct dev *d, int wr, uint64_t off, void *buf, size_t n)
{
	ssize_t r = wr ? pwrite(d->fd, buf, n, d->cfg + off) :
			 pread(d->fd, buf, n, d->cfg + off);

	return r < 0 ? -errno : r;
}

static int rd16(struct dev *d, unsigned int off, uint16_t *v)
{
	uint8_t b[2];

	if (cfg_io(d, 0, off, b, 2) != 2)
		return -1;
	*v = le16(b);
	return 0;
}

static int wr_le(struct dev *d, unsigned int off, int size, uint64_t v)
{
	uint8_t b[8];
	int i;

	for (i = 0; i < size; i++)
		b[i] = v >> (8 * i);
	return cfg_io(d, 1, off, b, size) == size ? 0 : -1;
}

static int dev_reset(struct dev *d)
{
	return ioctl(d->fd, VFIO_DEVICE_RESET) ? -errno : 0;
}

/* All 4096 bytes as 1024 dword reads; err[i]: errno of dword i */
static void snapshot(struct dev *d, uint8_t *img, uint8_t *err)
{
	int i;

	for (i = 0; i < NDW; i++) {
		long r = cfg_io(d, 0, i * 4, img + i * 4, 4);

		err[i] = r == 4 ? 0 : r < 0 ? -r : 255;
		if (r != 4)
			memset(img + i * 4, 0xff, 4);
	}
}

/* ---- sysfs: the host's view, no VFIO */
static int sysfs_cfg(const char *bdf, uint8_t *img, size_t len)
{
	char p[300];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	memset(img, 0, len);
	n = pread(fd, img, len, 0);
	close(fd);
	return n < 0 ? -1 : (int)n;
}

/* Offset of extended capability @id in a config image, or 0 */
static unsigned int ecap_find(const uint8_t *img, unsigned int id)
{
	unsigned int off = 0x100, n = 0;

	while (off >= 0x100 && off <= 0xffc && !(off & 3) && n++ < 512) {
		uint32_t h = le32(img + off);

		if (!h || h == 0xffffffff)
			return 0;
		if ((h & 0xffff) == id)
			return off;
		off = h >> 20;
	}
	return 0;
}

/* Last header of the extended chain, 0 when there is none */
static unsigned int ecap_tail(const uint8_t *img)
{
	unsigned int off = 0x100, n = 0;
	uint32_t h;

	for (;;) {
		h = le32(img + off);
		if (!h || h == 0xffffffff || n++ > 512)
			return 0;
		if ((h >> 20) < 0x100)
			return off;
		off = h >> 20;
	}
}

/* Offset of standard capability @id, or 0 */
static unsigned int cap_find(const uint8_t *img, unsigned int id)
{
	unsigned int off = img[0x34] & 0xfc, n = 0;

	if (!(img[0x06] & 0x10))
		return 0;
	while (off >= 0x40 && n++ < 48) {
		if (img[off] == id)
			return off;
		off = img[off + 1] & 0xfc;
	}
	return 0;
}

/* ---- the reference model of the emulated PASID capability (README) */
struct model {
	unsigned int off;	/* the capability, 0: no emulation */
	unsigned int link;	/* header whose Next points at it, 0: head */
	uint8_t link_b[2];	/* bytes link + 2, link + 3 */
	uint16_t cap;		/* Capability register: the PF's Exec/Priv/Width */
	uint16_t mask;		/* writable Control bits */
	uint16_t ctrl;
	unsigned int flr_byte;	/* DevCtl high byte (Initiate FLR), 0: none */
	/* PRI after PASID (shared_caps=pasid,pri), README "PRI" */
	unsigned int pri;	/* its offset, 0: none */
	uint32_t pri_capacity;	/* the PF's, read-only */
	uint16_t pri_status;	/* read-only Status bits: PRG Response PASID Required */
	uint8_t pri_enable;
	uint32_t pri_alloc;
};

static int model_owns(const struct model *m, uint64_t p)
{
	if (!m->off)
		return 0;
	if (p >= m->off && p < m->off + 8)
		return 1;
	if (m->pri && p >= m->pri && p < m->pri + 16)
		return 1;
	return m->link && p >= m->link + 2 && p < m->link + 4;
}

static void put32(uint8_t *b, uint32_t v)
{
	b[0] = v & 0xff;
	b[1] = (v >> 8) & 0xff;
	b[2] = (v >> 16) & 0xff;
	b[3] = v >> 24;
}

/*
 * PRI: header (ID 0x13, version 1, Next 0), Control (Enable; Reset reads
 * 0), Status (Response Failure and Unexpected PRG Index read 0, Stopped
 * while Enable is clear, PRG Response PASID Required from the PF), the PF's
 * Capacity, the VF's Allocation.
 */
static uint8_t model_rd_pri(const struct model *m, unsigned int k)
{
	uint16_t status = m->pri_status | (m->pri_enable ? 0 : 0x100);
	uint8_t b[16];

	put32(b, 0x00010013);
	b[4] = m->pri_enable;
	b[5] = 0;
	b[6] = status & 0xff;
	b[7] = status >> 8;
	put32(b + 8, m->pri_capacity);
	put32(b + 12, m->pri_alloc);
	return b[k];
}

static void model_wr_pri(struct model *m, unsigned int k, uint8_t v)
{
	if (k == 4)
		m->pri_enable = v & 1;
	else if (k >= 12)
		m->pri_alloc = (m->pri_alloc & ~(0xffu << (8 * (k - 12)))) |
			       (uint32_t)v << (8 * (k - 12));
}

/* After each write: the Allocation stays within the Capacity */
static void model_fix(struct model *m)
{
	if (m->pri && m->pri_alloc > m->pri_capacity)
		m->pri_alloc = m->pri_capacity;
}

static void model_reset(struct model *m)
{
	m->ctrl = 0;
	m->pri_enable = 0;
	m->pri_alloc = 0;
}

static uint8_t model_rd(const struct model *m, unsigned int p)
{
	uint8_t b[8];

	if (m->link && p >= m->link + 2 && p < m->link + 4)
		return m->link_b[p - m->link - 2];
	if (m->pri && p >= m->pri && p < m->pri + 16)
		return model_rd_pri(m, p - m->pri);
	put32(b, PASID_HDR | m->pri << 20);	/* Next: PRI, if shown */
	b[4] = m->cap;
	b[5] = m->cap >> 8;
	b[6] = m->ctrl;
	b[7] = m->ctrl >> 8;
	return b[p - m->off];
}

/* One byte written at @p: Control takes its writable bits, all else is RO */
static void model_wr(struct model *m, unsigned int p, uint8_t v)
{
	if (m->pri && p >= m->pri && p < m->pri + 16)
		model_wr_pri(m, p - m->pri, v);
	else if (m->off && p == m->off + 6)
		m->ctrl = (m->ctrl & 0xff00) | (v & m->mask & 0xff);
	else if (m->off && p == m->off + 7)
		m->ctrl = (m->ctrl & 0x00ff) | ((v << 8) & m->mask & 0xff00);
}

/* PF side: its PASID Capability register and enable state, from sysfs */
static int pf_pasid(const char *pf, unsigned int *at, uint16_t *cap,
		    uint16_t *ctrl)
{
	uint8_t img[CFG_SIZE];

	if (sysfs_cfg(pf, img, sizeof(img)) < CFG_SIZE)
		return -1;
	*at = ecap_find(img, PASID_ID);
	if (!*at)
		return -1;
	*cap = le16(img + *at + 4);
	*ctrl = le16(img + *at + 6);
	return 0;
}

/* ---- the stream */
struct focus {
	unsigned int n;
	unsigned int pt[MAX_FOCUS];
};

enum op_kind { OP_READ, OP_WRITE, OP_RESET, OP_REOPEN };

struct op {
	enum op_kind kind;
	uint64_t off;
	size_t size;
};

static const char *const kind_name[] = { "rd", "wr", "reset", "reopen" };

/*
 * Draw one access.  Offsets: 30% around the first focus (the capability),
 * 10% around the second (the linking header), 10% around a third (PRI) if
 * given, 30% (20%) anywhere in 0-4095, and
 * the rest at the end of config space, in the standard header, beyond
 * config space (4096-65535), anywhere in the 40-bit region offset and in its
 * last 4 KiB ("negative" offsets once masked).  Sizes: 1, 2, 4 mostly, and
 * 0, 3, 5-7, 8, 9-64, 65-4096, 4096 and 4097-8192.  One access in 10000 is
 * a VFIO_DEVICE_RESET, one in 20000 a close + reopen of the device fd.
 */
static void gen_op(uint64_t *s, const struct focus *f, struct op *op,
		   uint8_t *wbuf)
{
	unsigned int r = rnd(s) % 100000, pt0 = f->pt[0];
	unsigned int pt1 = f->pt[f->n > 1 ? 1 : 0];
	size_t i;

	if (r < 5)
		op->kind = OP_REOPEN;
	else if (r < 15)
		op->kind = OP_RESET;
	else
		op->kind = r & 1 ? OP_WRITE : OP_READ;

	r = rnd(s) % 1000;
	if (r < 300)
		op->off = pt0 - 8 + rnd(s) % 24;
	else if (r < 400)
		op->off = pt1 - 4 + rnd(s) % 12;
	else if (r < 500 && f->n > 2)
		op->off = f->pt[2] - 4 + rnd(s) % 24;
	else if (r < 700)
		op->off = rnd(s) % CFG_SIZE;
	else if (r < 750)
		op->off = CFG_SIZE - 16 + rnd(s) % 32;
	else if (r < 820)
		op->off = rnd(s) % 256;
	else if (r < 870)
		op->off = CFG_SIZE + rnd(s) % (65536 - CFG_SIZE);
	else if (r < 920)
		op->off = rnd(s) & OFF_MASK;
	else if (r < 960)
		op->off = OFF_MASK - rnd(s) % 4096;
	else
		op->off = pt0 + 4 + rnd(s) % 4;

	r = rnd(s) % 1000;
	if (r < 300)
		op->size = 1;
	else if (r < 550)
		op->size = 2;
	else if (r < 850)
		op->size = 4;
	else if (r < 870)
		op->size = 0;
	else if (r < 890)
		op->size = 3;
	else if (r < 920)
		op->size = 8;
	else if (r < 940)
		op->size = 5 + rnd(s) % 3;
	else if (r < 985)
		op->size = 9 + rnd(s) % 56;
	else if (r < 988)
		op->size = 65 + rnd(s) % (CFG_SIZE - 64);
	else if (r < 991)
		op->size = CFG_SIZE;
	else
		op->size = CFG_SIZE + 1 + rnd(s) % (MAX_IO - CFG_SIZE);

	if (op->kind != OP_WRITE)
		return;
	r = rnd(s) % 8;
	if (r == 0 || r == 1) {
		memset(wbuf, r ? 0xff : 0, op->size);
	} else if (r == 2) {
		memset(wbuf, 0, op->size);
		if (op->size)
			wbuf[rnd(s) % op->size] = 1 << (rnd(s) % 8);
	} else {
		for (i = 0; i < op->size; i++)
			wbuf[i] = rnd(s);
	}
}

/* Does [off, off + size) lie in config space (where the core serves it)? */
static int in_cfg(const struct op *op)
{
	return op->off < CFG_SIZE && op->size <= CFG_SIZE - op->off;
}

/* ---- record file */
struct rec_hdr {
	uint64_t magic, seed, count;
};

static void xwrite(FILE *f, const void *p, size_t n)
{
	if (n && fwrite(p, n, 1, f) != 1)
		die("write record: %s", strerror(errno));
}

static int xread(FILE *f, void *p, size_t n)
{
	return !n || fread(p, n, 1, f) == 1;
}

struct stats {
	unsigned long reads, writes, resets, reopens, flrs, emu, beyond, big;
	unsigned long err_efault, err_einval, err_other;
};

static void count_ret(struct stats *st, long ret)
{
	if (ret == -EFAULT)
		st->err_efault++;
	else if (ret == -EINVAL)
		st->err_einval++;
	else if (ret < 0)
		st->err_other++;
}

struct fuzz {
	struct dev d;
	uint64_t seed;
	unsigned long count, rec_count;
	struct focus focus;
	FILE *f;
	struct model m;
	int record;
	unsigned long mismatches, shown;
	struct stats st;
};

static long do_op(struct fuzz *z, struct op *op, uint8_t *buf)
{
	char why[64];
	int r;

	switch (op->kind) {
	case OP_RESET:
		z->st.resets++;
		return dev_reset(&z->d);
	case OP_REOPEN:
		z->st.reopens++;
		dev_put(&z->d);
		r = dev_fd(&z->d);
		if (r) {
			snprintf(why, sizeof(why), "%s", strerror(-r));
			die("reopen %s: %s: %s", z->d.bdf, z->d.err_at, why);
		}
		return 0;
	case OP_WRITE:
		z->st.writes++;
		break;
	case OP_READ:
		z->st.reads++;
		break;
	}
	if (!in_cfg(op))
		z->st.beyond++;
	if (op->size > 8)
		z->st.big++;
	return cfg_io(&z->d, op->kind == OP_WRITE, op->off, buf, op->size);
}

static void show_op(struct fuzz *z, unsigned long i, const struct op *op,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void show_op(struct fuzz *z, unsigned long i, const struct op *op,
		    const char *fmt, ...)
{
	va_list ap;

	z->mismatches++;
	if (z->shown++ >= 20)
		return;
	pthread_mutex_lock(&out_lock);
	printf("MISMATCH #%lu %s off 0x%llx size %zu: ", i, kind_name[op->kind],
	       (unsigned long long)op->off, op->size);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	pthread_mutex_unlock(&out_lock);
}

/* Compare a replayed snapshot with the recorded one, through the model */
static unsigned long cmp_snapshot(const struct model *m, const uint8_t *a,
				  const uint8_t *ea, const uint8_t *b,
				  const uint8_t *eb, const char *what)
{
	unsigned long bad = 0;
	unsigned int i;

	for (i = 0; i < CFG_SIZE; i++) {
		uint8_t want = model_owns(m, i) ? model_rd(m, i) : a[i];

		if (b[i] != want || ea[i / 4] != eb[i / 4]) {
			if (bad < 8)
				printf("  %s: 0x%03x is %02x (err %d), %s %02x (err %d)\n",
				       what, i, b[i], eb[i / 4],
				       model_owns(m, i) ? "model" : "expected", want,
				       ea[i / 4]);
			bad++;
		}
	}
	return bad;
}

/* PRI at @pri, mirroring the PF's (sysfs), after PASID in @b's chain */
static int model_init_pri(struct model *m, unsigned int pri, const char *pf,
			  const uint8_t *b)
{
	uint8_t img[CFG_SIZE];
	unsigned int at;

	if (sysfs_cfg(pf, img, sizeof(img)) < CFG_SIZE)
		return -1;
	at = ecap_find(img, 0x13);
	if (!at || !(img[at + 4] & 1)) {
		fail("model", "PF %s has no PRI capability, or its PRI is not enabled", pf);
		return -1;
	}
	if (ecap_find(b, 0x13) != pri || (le32(b + m->off) >> 20) != pri) {
		fail("model", "PRI not at 0x%x after PASID in the chain", pri);
		return -1;
	}
	m->pri = pri;
	m->pri_capacity = le32(img + at + 8);
	m->pri_status = le16(img + at + 6) & 0x8000;
	info("model: PRI at 0x%x (capacity 0x%x, PASID required %d), PF PRI at 0x%x",
	     pri, m->pri_capacity, !!m->pri_status, at);
	return 0;
}

/*
 * Set up the model from the replay device's start snapshot @b and the
 * recorded stock one @a: the capability must be in the chain at @off, last,
 * linked from stock's tail (or the head when stock has no extended
 * capability).
 */
static int model_init(struct model *m, unsigned int off, unsigned int pri,
		      const char *pf, const uint8_t *a, const uint8_t *b)
{
	unsigned int pfat, tail, pcie;
	uint16_t pfcap, pfctrl;

	memset(m, 0, sizeof(*m));
	if (pf_pasid(pf, &pfat, &pfcap, &pfctrl)) {
		fail("model", "no PASID capability on PF %s (sysfs)", pf);
		return -1;
	}
	if (!(pfctrl & 1)) {
		fail("model", "the PF's PASID is not enabled (control 0x%04x)", pfctrl);
		return -1;
	}
	m->off = off;
	m->cap = vf_cap(pfcap, pfctrl);
	m->mask = 1 | (m->cap & 6);
	tail = ecap_tail(a);
	if (tail) {
		m->link = tail;
		m->link_b[0] = (a[tail + 2] & 0x0f) | (off & 0xf) << 4;
		m->link_b[1] = off >> 4;
	} else if (off != 0x100) {
		fail("model", "no extended capability in the stock view, and 0x%x is not 0x100",
		     off);
		return -1;
	}
	if (ecap_find(b, PASID_ID) != off) {
		fail("model", "PASID not found at 0x%x in the chain (found 0x%x)", off,
		     ecap_find(b, PASID_ID));
		return -1;
	}
	if (pri && model_init_pri(m, pri, pf, b))
		return -1;
	pcie = cap_find(a, 0x10);
	if (pcie && (le32(a + pcie + 4) & (1u << 28)))
		m->flr_byte = pcie + 9;
	info("model: PASID at 0x%x (cap 0x%04x, writable control 0x%x), link %s0x%x",
	     off, m->cap, m->mask, tail ? "" : "none ", tail);
	info("model: PF %s PASID at 0x%x; DevCtl Initiate FLR %s", pf, pfat,
	     m->flr_byte ? "supported (resets the model)" : "not supported");
	return 0;
}

/* The model's view of one replayed access that succeeded */
static void model_apply(struct fuzz *z, const struct op *op, const uint8_t *buf,
			long ret)
{
	struct model *m = &z->m;
	long i;

	if (op->kind == OP_RESET || op->kind == OP_REOPEN) {
		if (!ret)
			model_reset(m);
		return;
	}
	if (op->kind != OP_WRITE || ret <= 0 || !in_cfg(op))
		return;
	for (i = 0; i < ret; i++) {
		unsigned int p = op->off + i;

		if (model_owns(m, p))
			model_wr(m, p, buf[i]);
		/* vfio turns DevCtl's Initiate FLR into a reset: reset_done */
		else if (m->flr_byte && p == m->flr_byte && (buf[i] & 0x80)) {
			model_reset(m);
			z->st.flrs++;
		}
	}
	model_fix(m);
}

/*
 * The device keeps what earlier runs wrote to config bytes vfio passes
 * through raw (QEMU's igb VF has writable "free" config space, which FLR
 * does not clear): write the recorded start values back, byte by byte,
 * through VFIO.  Returns the number of bytes written.
 */
static int restore(struct fuzz *z, const uint8_t *a, const uint8_t *b)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < CFG_SIZE; i++) {
		uint8_t v = a[i];

		if (b[i] == a[i] || model_owns(&z->m, i))
			continue;
		cfg_io(&z->d, 1, i, &v, 1);
		n++;
	}
	return n;
}

static int cmd_fuzz(struct fuzz *z, const char *pf, unsigned int pasid,
		    unsigned int pri)
{
	uint8_t a[CFG_SIZE], ea[NDW], b[CFG_SIZE], eb[NDW];
	static uint8_t buf[MAX_IO], wbuf[MAX_IO], want[MAX_IO];
	unsigned long i, ret_bad = 0, data_bad = 0, model_bad = 0;
	struct rec_hdr h;
	uint64_t s = z->seed;
	double t0;
	int r;

	r = dev_reset(&z->d);
	if (r)
		info("VFIO_DEVICE_RESET before the stream: %s", strerror(-r));
	snapshot(&z->d, b, eb);
	if (z->record) {
		h.magic = use_iommufd ? REC_MAGIC_CDEV : REC_MAGIC;
		h.seed = z->seed;
		h.count = z->count;
		xwrite(z->f, &h, sizeof(h));
		xwrite(z->f, b, sizeof(b));
		xwrite(z->f, eb, sizeof(eb));
	} else {
		if (!xread(z->f, &h, sizeof(h)) ||
		    (h.magic != REC_MAGIC && h.magic != REC_MAGIC_CDEV) ||
		    h.seed != z->seed || h.count < z->count)
			die("record file does not match seed 0x%llx count %lu",
			    (unsigned long long)z->seed, z->count);
		if (h.magic != (use_iommufd ? REC_MAGIC_CDEV : REC_MAGIC))
			die("record made through %s, replay through %s: compare like with like",
			    h.magic == REC_MAGIC ? "type1" : "the VFIO cdev",
			    use_iommufd ? "the VFIO cdev (-i)" : "type1");
		if (!xread(z->f, a, sizeof(a)) || !xread(z->f, ea, sizeof(ea)))
			die("short record file");
		z->rec_count = h.count;
		if (pasid && model_init(&z->m, pasid, pri, pf, a, b))
			return 1;
		r = restore(z, a, b);
		if (r) {
			info("start: %d bytes written back to their recorded value", r);
			snapshot(&z->d, b, eb);
		}
		r = cmp_snapshot(&z->m, a, ea, b, eb, "start");
		if (r)
			fail("start-state", "%d bytes differ from the recorded start", r);
		else
			pass("start-state", "4096 bytes as recorded%s",
			     pasid ? " (capability and link per the model)" : "");
	}

	t0 = now();
	for (i = 0; i < z->count; i++) {
		struct op op;
		int32_t rret = 0;
		long ret;
		size_t k;

		gen_op(&s, &z->focus, &op, wbuf);
		if (op.kind == OP_WRITE)
			memcpy(buf, wbuf, op.size);
		else
			memset(buf, 0xa5, op.size);
		ret = do_op(z, &op, buf);
		count_ret(&z->st, ret);
		if (in_cfg(&op) && op.off < z->focus.pt[0] + 8 &&
		    op.off + op.size > z->focus.pt[0])
			z->st.emu++;
		if (z->record) {
			rret = ret;
			xwrite(z->f, &rret, sizeof(rret));
			if (op.kind == OP_READ && ret > 0)
				xwrite(z->f, buf, ret);
			continue;
		}
		if (!xread(z->f, &rret, sizeof(rret)))
			die("record file ends at access %lu", i);
		if (op.kind == OP_READ && rret > 0 && !xread(z->f, want, rret))
			die("record file ends in the data of access %lu", i);
		if (ret != rret) {
			ret_bad++;
			show_op(z, i, &op, "returned %ld (%s), stock %d (%s)", ret,
				ret < 0 ? strerror(-ret) : "ok", rret,
				rret < 0 ? strerror(-rret) : "ok");
		} else if (op.kind == OP_READ && ret > 0) {
			for (k = 0; k < (size_t)ret; k++) {
				uint64_t p = op.off + k;
				int em = in_cfg(&op) && model_owns(&z->m, p);
				uint8_t w = em ? model_rd(&z->m, p) : want[k];

				if (buf[k] == w)
					continue;
				if (em)
					model_bad++;
				else
					data_bad++;
				show_op(z, i, &op, "byte 0x%llx reads 0x%02x, %s 0x%02x (%04x)",
					(unsigned long long)p, buf[k],
					em ? "model (control) says" : "stock read", w,
					z->m.ctrl);
				break;
			}
		}
		model_apply(z, &op, buf, ret);
	}
	t0 = now() - t0;

	snapshot(&z->d, b, eb);
	if (z->record) {
		xwrite(z->f, b, sizeof(b));
		xwrite(z->f, eb, sizeof(eb));
	} else if (z->count == z->rec_count &&
		   (!xread(z->f, a, sizeof(a)) || !xread(z->f, ea, sizeof(ea)))) {
		die("record file has no end snapshot");
	}
	info("seed 0x%llx: %lu accesses in %.1f s (%.0f/s)", (unsigned long long)z->seed,
	     z->count, t0, z->count / (t0 > 0 ? t0 : 1));
	info("  %lu reads, %lu writes, %lu resets, %lu reopens, %lu DevCtl FLRs (model)",
	     z->st.reads, z->st.writes, z->st.resets, z->st.reopens, z->st.flrs);
	info("  %lu touching the capability, %lu beyond config space, %lu over 8 bytes",
	     z->st.emu, z->st.beyond, z->st.big);
	info("  errors: EFAULT %lu, EINVAL %lu, other %lu", z->st.err_efault,
	     z->st.err_einval, z->st.err_other);
	if (z->record) {
		pass("record", "seed 0x%llx, %lu accesses, %.1f s", (unsigned long long)z->seed,
		     z->count, t0);
		return 0;
	}
	if (z->mismatches)
		fail("mismatches", "seed 0x%llx, %lu accesses: %lu bad (%lu %s, %lu %s, %lu %s)",
		     (unsigned long long)z->seed, z->count, z->mismatches, ret_bad,
		     "return/errno", data_bad, "stock bytes", model_bad,
		     "capability bytes vs model");
	else
		pass("mismatches", "seed 0x%llx, %lu accesses (%lu at the cap): 0 bad, %.1f s",
		     (unsigned long long)z->seed, z->count, z->st.emu, t0);
	if (z->count < z->rec_count)
		return failures != 0;	/* a prefix of the record: no end state */
	r = cmp_snapshot(&z->m, a, ea, b, eb, "end");
	if (r)
		fail("end-state", "%d bytes differ from the recorded end", r);
	else
		pass("end-state", "4096 bytes as recorded");
	return failures != 0;
}

/*
 * Leave the device as the record found it: the stream wrote random values
 * to config bytes the device keeps (and later cases read).
 */
static int cmd_restore(struct fuzz *z)
{
	uint8_t a[CFG_SIZE], ea[NDW], b[CFG_SIZE], eb[NDW];
	struct rec_hdr h;
	int n, left;

	if (!xread(z->f, &h, sizeof(h)) ||
	    (h.magic != REC_MAGIC && h.magic != REC_MAGIC_CDEV) ||
	    !xread(z->f, a, sizeof(a)) || !xread(z->f, ea, sizeof(ea)))
		die("not a record file");
	dev_reset(&z->d);
	snapshot(&z->d, b, eb);
	n = restore(z, a, b);
	snapshot(&z->d, b, eb);
	left = cmp_snapshot(&z->m, a, ea, b, eb, "restore");
	if (left)
		fail("restored", "%d bytes differ from the recorded start after writing %d back",
		     left, n);
	else
		pass("restored", "%d bytes written back: config as the record found it", n);
	return failures != 0;
}

/* ---- stress: threads on one device, open/reset/close cycles on others */
struct stress {
	struct dev d;
	unsigned int off, link, mask;
	uint16_t cap;
	uint8_t link_hdr[4];
	unsigned long iters;
	atomic_ulong reads, writes, resets, ctrl_reads, bad, errors;
	atomic_ulong cycles, cycle_bad, changes;
};

struct worker {
	struct stress *s;
	int role;
	const char *bdf;	/* cycle workers */
	unsigned long cycles;
	pthread_t t;
};

static int ctrl_ok(const struct stress *s, uint16_t v)
{
	return v == 0 || v == s->mask;
}

static void stress_bad(struct stress *s, const char *what, unsigned long i,
		       uint64_t got)
{
	if (atomic_fetch_add(&s->bad, 1) < 10)
		info("stress: %s at iteration %lu: 0x%llx", what, i,
		     (unsigned long long)got);
}

static void cycle_bad(struct stress *s, const char *bdf, const char *what,
		      unsigned long c, uint64_t got)
{
	if (atomic_fetch_add(&s->cycle_bad, 1) < 10)
		info("cycle %s: %s in cycle %lu: 0x%llx", bdf, what, c,
		     (unsigned long long)got);
}

static void *stress_worker(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	struct dev *d = &s->d;
	uint8_t b[CFG_SIZE];
	unsigned long i;
	uint16_t v, prev = 0;
	uint64_t seed = w->role + 1;
	long n;

	for (i = 0; i < s->iters; i++) {
		uint64_t r = rnd(&seed);
		int flip = r & 1;

		switch (w->role % 4) {
		case 0:	/* writer: Control as a word, the whole capability */
			if (i % 3)
				n = wr_le(d, s->off + 6, 2, flip ? 0xffff : 0);
			else
				n = wr_le(d, s->off, 8, flip ? ~0ULL : 0);
			s->writes++;
			break;
		case 1:	/* writer: Control as a byte, Capability + Control */
			if (i % 2)
				n = wr_le(d, s->off + 6, 1, flip ? 0xff : 0);
			else
				n = wr_le(d, s->off + 4, 4, flip ? 0xffffffff : 0);
			s->writes++;
			break;
		case 2:	/* reader: every size, and big reads across the link */
			if (i % 64 == 63) {
				unsigned int from = s->link ? s->link : s->off;

				n = cfg_io(d, 0, from, b, s->off + 8 - from) ==
				    (long)(s->off + 8 - from) ? 0 : -1;
				if (!n && s->link && memcmp(b, s->link_hdr, 4))
					stress_bad(s, "link header", i, le32(b));
				if (!n && le32(b + s->off - from) != PASID_HDR)
					stress_bad(s, "PASID header (bulk)", i,
						   le32(b + s->off - from));
				v = le16(b + s->off - from + 6);
			} else if (i % 4 == 0) {
				n = cfg_io(d, 0, s->off, b, 8) == 8 ? 0 : -1;
				if (!n && (le32(b) != PASID_HDR || le16(b + 4) != s->cap))
					stress_bad(s, "header/capability", i, le32(b));
				v = le16(b + 6);
			} else if (i % 4 == 1) {
				n = cfg_io(d, 0, s->off + 4, b, 4) == 4 ? 0 : -1;
				if (!n && le16(b) != s->cap)
					stress_bad(s, "capability", i, le16(b));
				v = le16(b + 2);
			} else if (i % 4 == 2) {
				n = cfg_io(d, 0, s->off + 6, b, 1) == 1 ? 0 : -1;
				v = b[0];
				if (!n && cfg_io(d, 0, s->off + 7, b, 1) == 1)
					v |= b[0] << 8;
			} else {
				n = rd16(d, s->off + 6, &v);
			}
			s->reads++;
			if (!n) {
				s->ctrl_reads++;
				if (!ctrl_ok(s, v))
					stress_bad(s, "torn/illegal Control", i, v);
				if (v != prev)
					s->changes++;
				prev = v;
			}
			break;
		default: /* other registers, the link, resets */
			if (i % 500 == 499) {
				n = dev_reset(d);
				s->resets++;
				break;
			}
			n = cfg_io(d, 0, 0, b, 4) == 4 ? 0 : -1;
			if (!n && s->link && i % 2)
				n = cfg_io(d, 0, s->link, b + 4, 4) == 4 ? 0 : -1;
			if (!n && s->link && i % 2 && memcmp(b + 4, s->link_hdr, 4))
				stress_bad(s, "link header", i, le32(b + 4));
			if (!n && cfg_io(d, 0, 4, b, 2) == 2)
				n = wr_le(d, 4, 2, le16(b));	/* command, as read */
			if (!n)
				n = wr_le(d, s->off - 4, 4, i);	/* raw neighbour */
			s->reads++;
			s->writes++;
			break;
		}
		if (n && n != -EAGAIN)
			s->errors++;
		/* one vCPU: hand over often, so that the threads interleave */
		if ((r >> 8) % 8 == 0)
			sched_yield();
	}
	return NULL;
}

/* Cycles of open, Control write/read, VFIO_DEVICE_RESET, close */
static void *cycle_worker(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	struct dev d;
	unsigned long c;
	uint16_t v = 0;
	int r;

	dev_init(&d, w->bdf);
	for (c = 0; c < w->cycles; c++) {
		r = dev_fd(&d);
		if (r) {
			cycle_bad(s, d.bdf, d.err_at, c, -r);
			continue;
		}
		if (rd16(&d, s->off + 6, &v) || v)
			cycle_bad(s, d.bdf, "Control after open", c, v);
		if (wr_le(&d, s->off + 6, 2, 0xffff) || rd16(&d, s->off + 6, &v) ||
		    v != s->mask)
			cycle_bad(s, d.bdf, "Control after write", c, v);
		r = dev_reset(&d);
		if (r)
			cycle_bad(s, d.bdf, "VFIO_DEVICE_RESET", c, -r);
		else if (rd16(&d, s->off + 6, &v) || v)
			cycle_bad(s, d.bdf, "Control after reset", c, v);
		if (wr_le(&d, s->off + 6, 2, 1))
			cycle_bad(s, d.bdf, "write before close", c, 0);
		dev_put(&d);
		s->cycles++;
	}
	return NULL;
}

static int cmd_stress(const char *bdf, unsigned int off, const char *pf,
		      int nthreads, unsigned long iters, char **cyc, int ncyc,
		      unsigned long cycles)
{
	static struct stress s;
	struct worker w[64];
	unsigned int pfat;
	uint16_t pfcap, pfctrl, v;
	uint8_t img[CFG_SIZE], e[NDW], raw[4];
	double t0;
	int i, nw = 0;

	if (pf_pasid(pf, &pfat, &pfcap, &pfctrl))
		die("no PASID capability on PF %s", pf);
	dev_open(&s.d, bdf);
	s.off = off;
	s.cap = vf_cap(pfcap, pfctrl);
	s.mask = 1 | (s.cap & 6);
	s.iters = iters;
	snapshot(&s.d, img, e);
	if (ecap_find(img, PASID_ID) != off)
		die("%s: no PASID capability at 0x%x", bdf, off);
	for (i = 0x100; i && i < CFG_SIZE; i = le32(img + i) >> 20)
		if ((le32(img + i) >> 20) == off) {
			s.link = i;
			memcpy(s.link_hdr, img + i, 4);
			break;
		}
	if (rd16(&s.d, off + 6, &v) || v)
		fail("initial", "Control 0x%04x after open", v);
	memcpy(raw, img + off - 4, 4);	/* thread 3 writes there */
	t0 = now();
	for (i = 0; i < nthreads && nw < 64; i++) {
		w[nw].s = &s;
		w[nw].role = i;
		if (pthread_create(&w[nw].t, NULL, stress_worker, &w[nw]))
			die("pthread_create: %s", strerror(errno));
		nw++;
	}
	for (i = 0; i < ncyc && nw < 64; i++) {
		w[nw].s = &s;
		w[nw].bdf = cyc[i];
		w[nw].cycles = cycles;
		if (pthread_create(&w[nw].t, NULL, cycle_worker, &w[nw]))
			die("pthread_create: %s", strerror(errno));
		nw++;
	}
	for (i = 0; i < nw; i++)
		pthread_join(w[i].t, NULL);
	t0 = now() - t0;
	info("stress %s: %d threads x %lu iterations, %d devices x %lu cycles in %.1f s",
	     bdf, nthreads, iters, ncyc, cycles, t0);
	info("  %lu reads (%lu of Control), %lu writes, %lu resets, %lu errors",
	     (unsigned long)s.reads, (unsigned long)s.ctrl_reads,
	     (unsigned long)s.writes, (unsigned long)s.resets,
	     (unsigned long)s.errors);
	if (s.bad || s.errors)
		fail("stress", "%lu illegal values, %lu failed accesses (%d threads x %lu)",
		     (unsigned long)s.bad, (unsigned long)s.errors, nthreads, iters);
	else
		pass("stress", "%d threads x %lu iterations, %lu Control reads (%lu %s), %s, %.0fs",
		     nthreads, iters, (unsigned long)s.ctrl_reads,
		     (unsigned long)s.changes, "changes seen", "0 torn or illegal", t0);
	if (nthreads >= 3 && !s.changes)
		fail("interleaving", "the reader never saw Control change: no interleaving");
	cfg_io(&s.d, 1, off - 4, raw, 4);
	if (ncyc && s.cycle_bad)
		fail("cycles", "%lu of %d devices x %lu open/reset/close cycles went wrong",
		     (unsigned long)s.cycle_bad, ncyc, cycles);
	else if (ncyc)
		pass("cycles", "%d devices x %lu open/write/reset/close cycles (%lu done), %s",
		     ncyc, cycles, (unsigned long)s.cycles,
		     "Control 0 after each open and reset");
	dev_put(&s.d);
	return failures != 0;
}

/* ---- isolate */
struct pcidev {
	char bdf[256];
	int len;
	uint8_t img[CFG_SIZE], vol[CFG_SIZE];
};

static struct pcidev pcidevs[64];
static int npcidevs;

/*
 * Snapshot every PCI device through sysfs: with @first, take the reference
 * image (listing the devices the first time); without, mark the bytes that
 * differ from it as volatile.
 */
static void sysfs_all(int first)
{
	uint8_t img[CFG_SIZE];
	struct dirent *de;
	DIR *dir;
	int i;

	if (first && !npcidevs) {
		dir = opendir("/sys/bus/pci/devices");
		if (!dir)
			die("/sys/bus/pci/devices: %s", strerror(errno));
		while ((de = readdir(dir)) && npcidevs < 64) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(pcidevs[npcidevs].bdf, sizeof(pcidevs[0].bdf), "%s",
				 de->d_name);
			npcidevs++;
		}
		closedir(dir);
	}
	for (i = 0; i < npcidevs; i++) {
		struct pcidev *p = &pcidevs[i];
		int n = sysfs_cfg(p->bdf, img, sizeof(img)), k;

		if (first) {
			p->len = n;
			memcpy(p->img, img, sizeof(img));
			memset(p->vol, 0, sizeof(p->vol));
			continue;
		}
		for (k = 0; k < p->len && k < CFG_SIZE; k++)
			p->vol[k] |= img[k] != p->img[k];
	}
}

/* Bytes that differ from the first snapshot and were not volatile */
static unsigned long sysfs_diff(unsigned long *compared, unsigned long *vol)
{
	uint8_t img[CFG_SIZE];
	unsigned long bad = 0;
	int i, k;

	*compared = 0;
	*vol = 0;
	for (i = 0; i < npcidevs; i++) {
		struct pcidev *p = &pcidevs[i];

		if (sysfs_cfg(p->bdf, img, sizeof(img)) != p->len) {
			info("isolate: %s config size changed", p->bdf);
			bad++;
			continue;
		}
		for (k = 0; k < p->len; k++) {
			if (p->vol[k]) {
				(*vol)++;
				continue;
			}
			(*compared)++;
			if (img[k] != p->img[k]) {
				if (bad < 8)
					info("isolate: %s config 0x%03x changed 0x%02x -> 0x%02x",
					     p->bdf, k, p->img[k], img[k]);
				bad++;
			}
		}
	}
	return bad;
}

static int cmd_isolate(char **bdfs, int n, unsigned int off, const char *pf,
		       unsigned long rounds, uint64_t seed)
{
	static struct dev d[MAX_DEVS];
	struct model m[MAX_DEVS];
	unsigned long r, ctrl_bad = 0, pf_bad = 0, sys_bad = 0, cmp = 0, vol = 0;
	unsigned long resets_bad = 0, writes = 0, link_writes = 0, k2 = 0;
	uint8_t img[CFG_SIZE], e[NDW], b[8];
	unsigned int pfat, link;
	uint16_t pfcap, pfctrl0, pfctrl, v;
	uint64_t s = seed;
	int i, j;

	if (n < 2 || n > MAX_DEVS)
		die("isolate wants 2-%d devices", MAX_DEVS);
	if (pf_pasid(pf, &pfat, &pfcap, &pfctrl0))
		die("no PASID capability on PF %s", pf);
	sysfs_all(1);
	usleep(100000);
	sysfs_all(0);
	for (i = 0; i < npcidevs; i++)
		for (j = 0; j < pcidevs[i].len; j++)
			vol += pcidevs[i].vol[j];
	for (i = 0; i < n; i++) {
		dev_open(&d[i], bdfs[i]);
		memset(&m[i], 0, sizeof(m[i]));
		m[i].off = off;
		m[i].cap = vf_cap(pfcap, pfctrl0);
		m[i].mask = 1 | (m[i].cap & 6);
		snapshot(&d[i], img, e);
		if (ecap_find(img, PASID_ID) != off)
			die("%s: no PASID capability at 0x%x", bdfs[i], off);
		for (link = 0x100; link && link < CFG_SIZE; link = le32(img + link) >> 20)
			if ((le32(img + link) >> 20) == off)
				break;
		m[i].link = link < CFG_SIZE && link != off ? link : 0;
		if (rd16(&d[i], off + 6, &v) || v)
			fail("initial", "%s: Control 0x%04x after open", bdfs[i], v);
	}
	/*
	 * Opening the devices changes their config (vfio enables them): take
	 * the reference now, and look for volatile bytes once more.
	 */
	sysfs_all(1);
	usleep(100000);
	sysfs_all(0);
	info("isolate: %d devices open, %d PCI devices watched through sysfs", n,
	     npcidevs);

	for (r = 0; r < rounds; r++) {
		int size = 1 << (rnd(&s) % 4);
		unsigned int o;
		uint64_t val = rnd(&s);

		i = rnd(&s) % n;
		if (rnd(&s) % 4 == 0)
			val = ~0ULL;
		if (m[i].link && rnd(&s) % 8 == 0) {
			size = 1 + rnd(&s) % 2;
			o = m[i].link + 2 + rnd(&s) % (3 - size);
			link_writes++;
		} else {
			o = off + rnd(&s) % (9 - size);
		}
		for (j = 0; j < size; j++)
			b[j] = val >> (8 * j);
		if (cfg_io(&d[i], 1, o, b, size) != size) {
			fail("write", "%s: write 0x%x/%d failed", bdfs[i], o, size);
			break;
		}
		writes++;
		for (j = 0; j < size; j++)
			model_wr(&m[i], o + j, b[j]);
		for (j = 0; j < n; j++) {
			if (rd16(&d[j], off + 6, &v) || v != m[j].ctrl) {
				if (ctrl_bad++ < 8)
					info("round %lu, 0x%x/%d=%llx to %s: %s %s %04x, not %04x",
					     r, o, size, (unsigned long long)val, bdfs[i],
					     bdfs[j], "Control", v, m[j].ctrl);
			}
		}
		if (r % 16 == 15 || r + 1 == rounds) {
			pfctrl = ~pfctrl0;
			if (sysfs_cfg(pf, img, sizeof(img)) == CFG_SIZE)
				pfctrl = le16(img + pfat + 6);
			if (pfctrl != pfctrl0 && pf_bad++ < 4)
				info("isolate: PF %s real PASID Control 0x%04x, was 0x%04x",
				     pf, pfctrl, pfctrl0);
		}
		if (r % (rounds / 4 + 1) == rounds / 4 || r + 1 == rounds)
			sys_bad += sysfs_diff(&cmp, &k2);
	}
	if (ctrl_bad)
		fail("vfs", "%lu Control reads of %d devices differ from their own writes",
		     ctrl_bad, n);
	else
		pass("vfs", "%lu writes (%lu to the linking Next field) over %d devices, %s",
		     writes, link_writes, n,
		     "all Controls read back after each: only the written one changed");
	if (pf_bad)
		fail("pf-real-control", "the PF's real PASID Control changed %lu times", pf_bad);
	else
		pass("pf-real-control", "PF %s PASID Control at 0x%x stayed 0x%04x (sysfs)",
		     pf, pfat + 6, pfctrl0);
	if (sys_bad)
		fail("sysfs", "%lu config bytes of PCI devices changed", sys_bad);
	else
		pass("sysfs", "%d PCI devices, %lu config bytes unchanged (%lu %s; %lu %s)",
		     npcidevs, cmp, k2, "volatile bytes excluded", vol,
		     "were volatile before the opens");

	/*
	 * The sysfs comparison is not blind: a write through VFIO to a byte
	 * vfio passes to the device (just below the capability) shows.
	 */
	if (sysfs_cfg(bdfs[0], img, sizeof(img)) > (int)off) {
		uint8_t v0 = img[off - 4], v1 = ~v0;
		unsigned long seen;

		cfg_io(&d[0], 1, off - 4, &v1, 1);
		seen = sysfs_diff(&cmp, &k2);
		cfg_io(&d[0], 1, off - 4, &v0, 1);
		if (sysfs_cfg(bdfs[0], img, sizeof(img)) > (int)off && img[off - 4] == v0 &&
		    !seen)
			report("SKIP", "sysfs-sensitive", "%s ignores writes to 0x%x",
			       bdfs[0], off - 4);
		else if (seen)
			pass("sysfs-sensitive", "a raw write to %s 0x%x through VFIO is seen (%lu)",
			     bdfs[0], off - 4, seen);
		else
			fail("sysfs-sensitive", "a raw write to %s 0x%x through VFIO went unseen",
			     bdfs[0], off - 4);
		if (sysfs_diff(&cmp, &k2))
			fail("sysfs-restored", "config differs after writing the byte back");
	}

	/* a reset or a close of one device leaves the others' Control alone */
	for (i = 0; i < n; i++)
		wr_le(&d[i], off + 6, 2, 0xffff);
	for (i = 0; i < n; i++) {
		int rr = dev_reset(&d[i]);

		if (rr) {
			fail("reset", "%s: VFIO_DEVICE_RESET: %s", bdfs[i], strerror(-rr));
			resets_bad++;
			continue;
		}
		for (j = 0; j < n; j++) {
			uint16_t want = j <= i ? 0 : m[j].mask;

			if (rd16(&d[j], off + 6, &v) || v != want) {
				if (resets_bad++ < 8)
					info("after reset of %s, %s Control 0x%04x, not %04x",
					     bdfs[i], bdfs[j], v, want);
			}
		}
	}
	for (i = 0; i < n; i++)
		wr_le(&d[i], off + 6, 2, 0xffff);
	dev_put(&d[0]);
	for (j = 1; j < n; j++)
		if (rd16(&d[j], off + 6, &v) || v != m[j].mask)
			resets_bad++;
	if (dev_fd(&d[0]) || rd16(&d[0], off + 6, &v) || v)
		resets_bad++;
	if (resets_bad)
		fail("reset", "%lu wrong Control values after per-device resets and a close",
		     resets_bad);
	else
		pass("reset", "VFIO_DEVICE_RESET and close+reopen of each of %d devices: %s",
		     n, "only its own Control cleared");
	for (i = 0; i < n; i++)
		dev_put(&d[i]);
	return failures != 0;
}

/* ---- main */
static const char usage_text[] =
	"usage: vfio-fuzz [-n NAME] [-i|--iommufd] COMMAND ...\n"
	"  -i, --iommufd  open through /dev/vfio/devices + /dev/iommu (else type1)\n"
	"  record BDF --seed S --count N --focus O[,O] --out FILE\n"
	"  replay BDF --seed S --count N --focus O[,O..] --in FILE\n"
	"         [--pasid OFF [--pri OFF] --pf PF]\n"
	"  restore BDF --in FILE\n"
	"  stress BDF --pasid OFF --pf PF [--threads T] [--iters N] [--host-width W]\n"
	"         [--cycle BDF[,BDF...]] [--cycles C]\n"
	"  isolate --pasid OFF --pf PF [--rounds R] [--seed S] BDF BDF...\n";

static void usage(void)
{
	fputs(usage_text, stderr);
	exit(2);
}

static int split(char *list, char **out, int max)
{
	char *sp = NULL, *t;
	int n = 0;

	for (t = strtok_r(list, ",", &sp); t && n < max; t = strtok_r(NULL, ",", &sp))
		out[n++] = t;
	return n;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "focus", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "in", required_argument, NULL, 'F' },
		{ "iommufd", no_argument, NULL, 'i' },
		{ "pasid", required_argument, NULL, 'p' },
		{ "pf", required_argument, NULL, 'P' },
		{ "threads", required_argument, NULL, 't' },
		{ "iters", required_argument, NULL, 'I' },
		{ "cycle", required_argument, NULL, 'C' },
		{ "cycles", required_argument, NULL, 'k' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "pri", required_argument, NULL, 'R' },
		{ "host-width", required_argument, NULL, 'W' },
		{ 0 }
	};
	unsigned long count = 100000, iters = 20000, cycles = 50, rounds = 400;
	char *out = NULL, *in = NULL, *pf = NULL, *cycle = NULL, *foc = NULL;
	char *pos[MAX_DEVS + 1], *cyc[MAX_DEVS], *fl[MAX_FOCUS], pfx[256];
	unsigned int pasid = 0, pri = 0;
	static struct fuzz z;
	uint64_t seed = 1;
	int c, np = 0, ncyc = 0, threads = 4, i;
	const char *cmd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "n:i", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			snprintf(pfx, sizeof(pfx), "%s%s", optarg,
				 *optarg && optarg[strlen(optarg) - 1] != '/' ? "/" : "");
			prefix = pfx;
			break;
		case 's':
			seed = num(optarg);
			break;
		case 'c':
			count = num(optarg);
			break;
		case 'f':
			foc = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'F':
			in = optarg;
			break;
		case 'i':
			use_iommufd = 1;
			break;
		case 'p':
			pasid = num(optarg);
			break;
		case 'P':
			pf = optarg;
			break;
		case 'W':
			host_width = num(optarg);
			break;
		case 't':
			threads = num(optarg);
			break;
		case 'I':
			iters = num(optarg);
			break;
		case 'C':
			cycle = optarg;
			break;
		case 'k':
			cycles = num(optarg);
			break;
		case 'r':
			rounds = num(optarg);
			break;
		case 'R':
			pri = num(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	cmd = argv[optind++];
	while (optind < argc && np <= MAX_DEVS)
		pos[np++] = argv[optind++];

	if (!strcmp(cmd, "restore")) {
		if (np != 1 || !in)
			usage();
		z.f = fopen(in, "rb");
		if (!z.f)
			die("%s: %s", in, strerror(errno));
		dev_open(&z.d, pos[0]);
		return cmd_restore(&z);
	}
	if (!strcmp(cmd, "record") || !strcmp(cmd, "replay")) {
		int rec = !strcmp(cmd, "record");

		if (np != 1 || !foc || (rec ? !out : !in) || (pasid && !pf) || !count)
			usage();
		z.focus.n = split(foc, fl, MAX_FOCUS);
		for (i = 0; i < (int)z.focus.n; i++) {
			z.focus.pt[i] = num(fl[i]);
			if (z.focus.pt[i] < 16 || z.focus.pt[i] >= CFG_SIZE)
				die("focus 0x%x outside 0x10-0xfff", z.focus.pt[i]);
		}
		if (!z.focus.n)
			usage();
		z.seed = seed;
		z.count = count;
		z.record = rec;
		z.f = fopen(rec ? out : in, rec ? "wb" : "rb");
		if (!z.f)
			die("%s: %s", rec ? out : in, strerror(errno));
		dev_open(&z.d, pos[0]);
		c = cmd_fuzz(&z, pf, pasid, pri);
		if (rec && fclose(z.f))
			die("%s: %s", out, strerror(errno));
		dev_put(&z.d);
		return c;
	}
	if (!strcmp(cmd, "stress")) {
		if (np != 1 || !pasid || !pf || threads < 1 || threads > 32)
			usage();
		if (cycle)
			ncyc = split(cycle, cyc, MAX_DEVS);
		return cmd_stress(pos[0], pasid, pf, threads, iters, cyc, ncyc, cycles);
	}
	if (!strcmp(cmd, "isolate")) {
		if (np < 2 || !pasid || !pf || !rounds)
			usage();
		return cmd_isolate(pos, np, pasid, pf, rounds, seed);
	}
	usage();
	return 2;
}
