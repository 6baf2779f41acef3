// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-client - a small VFIO user for the pasid-vfio-pci e2e rig.
 *
 * Opens a PCI device the way a VMM does, either through the type1 container
 * path (/dev/vfio/vfio + the device's IOMMU group) or, where the kernel has
 * it, the iommufd cdev path (/dev/vfio/devices/vfioN + /dev/iommu), and then
 * reads/writes its config region with pread/pwrite.  Checks print one line
 * each: "PASS <name>", "FAIL <name>: <why>" or "SKIP <name>: <why>"; the exit
 * status is 1 when any check failed, 2 on usage errors, 0 otherwise.
 *
 * Built static (gcc -static -O2 -Wall -Wextra) so it runs from a busybox
 * initramfs.  Only uAPI headers are needed; the iommufd bits that bookworm's
 * linux-libc-dev (6.1) lacks are defined below.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <time.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "iommufd-uapi.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * IOMMU_GET_HW_INFO as of 6.15 (out_max_pasid_log2 took a byte of the
 * reserved field): own name, older headers have the older layout.
 */
struct hw_info {
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t data_len;
	uint64_t data_uptr;
	uint32_t out_data_type;
	uint8_t out_max_pasid_log2;
	uint8_t __reserved[3];
	uint64_t out_capabilities;
};

#define HW_INFO_IOCTL _IO(';', 0x8a)	/* IOMMU_GET_HW_INFO */
#define HW_CAP_PCI_PASID_EXEC BIT(1)
#define HW_CAP_PCI_PASID_PRIV BIT(2)
/*
 * VFIO_DEVICE_{ATTACH,DETACH}_IOMMUFD_PT with 6.15's PASID field: own names,
 * 6.6-6.14 headers have the structs without it.  _IO ioctls: no size in
 * the number, argsz says which fields there are.
 */
struct pt_attach {
	uint32_t argsz;
	uint32_t flags;
	uint32_t pt_id;
	uint32_t pasid;
};

struct pt_detach {
	uint32_t argsz;
	uint32_t flags;
	uint32_t pasid;
};

#define PT_ATTACH_IOCTL _IO(VFIO_TYPE, VFIO_BASE + 19)
#define PT_DETACH_IOCTL _IO(VFIO_TYPE, VFIO_BASE + 20)
#define PT_FLAG_PASID BIT(0)	/* VFIO_DEVICE_{ATTACH,DETACH}_PASID */

#define CFG_SIZE 4096
#define NDW (CFG_SIZE / 4)
#define DUMP_SIZE (CFG_SIZE + NDW)	/* bytes + one status byte per dword */
#define PASID_ID 0x1b

enum mode { MODE_TYPE1, MODE_IOMMUFD, MODE_SYSFS };

/* A PASID attached by this client: its own IOAS, mapped page and HWPT */
struct pasid_pt {
	uint32_t pasid, ioas, hwpt;
	void *buf;
};

#define MAX_PASIDS 16

struct dev {
	char bdf[64];
	enum mode mode;
	int container, group, iommufd, fd;
	off_t cfg;		/* config region offset in the device fd */
	uint64_t cfg_size;
	uint32_t flags;		/* vfio_device_info.flags */
	uint32_t dev_id, ioas_id;	/* iommufd: bound device, RID's IOAS */
	uint32_t rid_hwpt;	/* iommufd: the RID's PASID-compatible HWPT */
	struct pasid_pt pt[MAX_PASIDS];
	int npt;
};

static const char *prefix = "";	/* -n NAME: prefix of check names */
static int failures;
static int skipped;

/* ---- reporting */
static void pass(const char *c)
{
	printf("PASS %s%s\n", prefix, c);
	fflush(stdout);
}

/* A PASS line that says why, e.g. the expected error */
static void __attribute__((format(printf, 2, 3))) pass_why(const char *c,
							   const char *fmt, ...)
{
	va_list ap;

	printf("PASS %s%s: ", prefix, c);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* One "FAIL|SKIP <prefix><check>: <why>" line */
static void report(const char *what, const char *c, const char *fmt,
		   va_list ap)
{
	printf("%s %s%s: ", what, prefix, c);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

static void __attribute__((format(printf, 2, 3))) fail(const char *c,
						       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("FAIL", c, fmt, ap);
	va_end(ap);
	failures++;
}

static void __attribute__((format(printf, 2, 3))) skip(const char *c,
						       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("SKIP", c, fmt, ap);
	va_end(ap);
	skipped++;
}

/* check(): PASS/FAIL one condition, return it */
static int __attribute__((format(printf, 3, 4))) check(int ok, const char *c,
						       const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		pass(c);
		return 1;
	}
	printf("FAIL %s%s: ", prefix, c);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failures++;
	return 0;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vfio-client: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static unsigned long num(const char *s)
{
	char *e;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &e, 0);
	if (errno || *e || e == s)
		die("not a number: '%s'", s);
	return v;
}

/* ---- opening */
static int open_type1(struct dev *d, char *why, size_t wl)
{
	char p[256], link[200];
	struct vfio_group_status st = { .argsz = sizeof(st) };
	ssize_t n;

	d->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (d->container < 0) {
		snprintf(why, wl, "open /dev/vfio/vfio: %s", strerror(errno));
		return -1;
	}
	if (ioctl(d->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		snprintf(why, wl, "VFIO API version mismatch");
		return -1;
	}
	if (!ioctl(d->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU)) {
		snprintf(why, wl, "no type1v2 IOMMU support");
		return -1;
	}
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/iommu_group", d->bdf);
	n = readlink(p, link, sizeof(link) - 1);
	if (n < 0) {
		snprintf(why, wl, "%s: %s", p, strerror(errno));
		return -1;
	}
	link[n] = 0;
	snprintf(p, sizeof(p), "/dev/vfio/%s", basename(link));
	d->group = open(p, O_RDWR | O_CLOEXEC);
	if (d->group < 0) {
		snprintf(why, wl, "open %s: %s", p, strerror(errno));
		return -1;
	}
	if (ioctl(d->group, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		snprintf(why, wl, "group %s not viable (all its devices bound to vfio?)", p);
		return -1;
	}
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container)) {
		snprintf(why, wl, "VFIO_GROUP_SET_CONTAINER: %s", strerror(errno));
		return -1;
	}
	if (ioctl(d->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		snprintf(why, wl, "VFIO_SET_IOMMU type1v2: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int get_fd_type1(struct dev *d, char *why, size_t wl)
{
	d->fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
	if (d->fd < 0) {
		snprintf(why, wl, "VFIO_GROUP_GET_DEVICE_FD %s: %s", d->bdf,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* 1: no iommufd/cdev in this kernel (skip), -1: error, 0: ok */
static int open_iommufd(struct dev *d, char *why, size_t wl)
{
	char p[300];
	struct dirent *de;
	DIR *dir;
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vfio-dev", d->bdf);
	dir = opendir(p);
	if (!dir) {
		snprintf(why, wl, "no %s: kernel without CONFIG_VFIO_DEVICE_CDEV/CONFIG_IOMMUFD",
			 p);
		return 1;
	}
	p[0] = 0;
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, "vfio", 4))
			snprintf(p, sizeof(p), "/dev/vfio/devices/%s", de->d_name);
	closedir(dir);
	if (!p[0]) {
		snprintf(why, wl, "empty vfio-dev directory");
		return -1;
	}
	if (access("/dev/iommu", F_OK)) {
		snprintf(why, wl, "no /dev/iommu: kernel without CONFIG_IOMMUFD");
		return 1;
	}
	d->fd = open(p, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		snprintf(why, wl, "open %s: %s", p, strerror(errno));
		return -1;
	}
	d->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (d->iommufd < 0) {
		snprintf(why, wl, "open /dev/iommu: %s", strerror(errno));
		return -1;
	}
	bind.iommufd = d->iommufd;
	if (ioctl(d->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		snprintf(why, wl, "VFIO_DEVICE_BIND_IOMMUFD: %s", strerror(errno));
		return -1;
	}
	d->dev_id = bind.out_devid;
	if (ioctl(d->iommufd, IOMMU_IOAS_ALLOC, &ioas)) {
		snprintf(why, wl, "IOMMU_IOAS_ALLOC: %s", strerror(errno));
		return -1;
	}
	d->ioas_id = ioas.out_ioas_id;
	at.pt_id = ioas.out_ioas_id;
	if (ioctl(d->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at)) {
		snprintf(why, wl, "VFIO_DEVICE_ATTACH_IOMMUFD_PT: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int dev_info(struct dev *d, char *why, size_t wl)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri = { .argsz = sizeof(ri),
				       .index = VFIO_PCI_CONFIG_REGION_INDEX };

	if (ioctl(d->fd, VFIO_DEVICE_GET_INFO, &di)) {
		snprintf(why, wl, "VFIO_DEVICE_GET_INFO: %s", strerror(errno));
		return -1;
	}
	d->flags = di.flags;
	if (!(di.flags & VFIO_DEVICE_FLAGS_PCI)) {
		snprintf(why, wl, "not a vfio-pci device");
		return -1;
	}
	if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &ri)) {
		snprintf(why, wl, "VFIO_DEVICE_GET_REGION_INFO(config): %s",
			 strerror(errno));
		return -1;
	}
	d->cfg = ri.offset;
	d->cfg_size = ri.size;
	return 0;
}

/* Name of the SKIP/FAIL line when the open fails (default open-<mode>) */
static const char *open_name;

/* Open @bdf; on failure print FAIL (or SKIP for a missing iommufd) and exit */
static void dev_open(struct dev *d, const char *bdf, enum mode mode)
{
	char why[1024] = "";
	int r;

	memset(d, 0, sizeof(*d));
	d->container = -1;
	d->group = -1;
	d->iommufd = -1;
	d->fd = -1;
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	d->mode = mode;
	if (mode == MODE_SYSFS) {
		char p[300];
		struct stat sb;

		/* the kernel's own view (no VFIO), e.g. a PF's real registers */
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/config", bdf);
		d->fd = open(p, O_RDWR | O_CLOEXEC);
		if (d->fd < 0 || fstat(d->fd, &sb))
			die("open %s: %s", p, strerror(errno));
		d->cfg = 0;
		d->cfg_size = sb.st_size;
		return;
	}
	if (mode == MODE_TYPE1) {
		r = open_type1(d, why, sizeof(why));
		if (!r)
			r = get_fd_type1(d, why, sizeof(why));
	} else {
		r = open_iommufd(d, why, sizeof(why));
		if (r == 1) {
			skip(open_name ?: "open-iommufd", "%s", why);
			exit(0);
		}
	}
	if (!r)
		r = dev_info(d, why, sizeof(why));
	if (r) {
		fail(open_name ?: (mode == MODE_TYPE1 ? "open-type1" : "open-iommufd"),
		     "%s: %s", bdf, why);
		exit(1);
	}
}

/* Forget the PASIDs attached (closing /dev/iommu frees their objects) */
static void dev_forget_pasids(struct dev *d)
{
	int i;

	for (i = 0; i < d->npt; i++)
		if (d->pt[i].buf)
			munmap(d->pt[i].buf, sysconf(_SC_PAGESIZE));
	d->npt = 0;
	d->rid_hwpt = 0;
}

/* Close only the device fd and get it again: close_device + open_device */
static int dev_reopen(struct dev *d, char *why, size_t wl)
{
	if (d->mode == MODE_SYSFS)
		return 0;
	dev_forget_pasids(d);
	close(d->fd);
	d->fd = -1;
	if (d->mode == MODE_TYPE1)
		return get_fd_type1(d, why, wl) ?: dev_info(d, why, wl);
	close(d->iommufd);
	d->iommufd = -1;
	return open_iommufd(d, why, wl) ? -1 : dev_info(d, why, wl);
}

static void dev_close(struct dev *d)
{
	dev_forget_pasids(d);
	if (d->fd >= 0)
		close(d->fd);
	if (d->iommufd >= 0)
		close(d->iommufd);
	if (d->group >= 0)
		close(d->group);
	if (d->container >= 0)
		close(d->container);
	d->fd = -1;
	d->iommufd = -1;
	d->group = -1;
	d->container = -1;
}

/* ---- config access: return 0 or -errno */
static int cfg_rd(struct dev *d, unsigned int off, int size, uint32_t *v)
{
	uint8_t b[4] = { 0 };
	ssize_t n = pread(d->fd, b, size, d->cfg + off);

	if (n != size)
		return n < 0 ? -errno : -EIO;
	*v = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
	if (size < 4)
		*v &= (1u << (8 * size)) - 1;
	return 0;
}

static int cfg_wr(struct dev *d, unsigned int off, int size, uint32_t v)
{
	uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };
	ssize_t n = pwrite(d->fd, b, size, d->cfg + off);

	if (n != size)
		return n < 0 ? -errno : -EIO;
	return 0;
}

static uint32_t rd(struct dev *d, unsigned int off, int size)
{
	uint32_t v = 0xdeadbeef;
	int r = cfg_rd(d, off, size, &v);

	if (r)
		fprintf(stderr, "read 0x%x/%d: %s\n", off, size, strerror(-r));
	return v;
}

static int wr(struct dev *d, unsigned int off, int size, uint32_t v)
{
	int r = cfg_wr(d, off, size, v);

	if (r)
		fprintf(stderr, "write 0x%x/%d=0x%x: %s\n", off, size, v,
			strerror(-r));
	return r;
}

/* ---- extended capability walk over a 4096-byte image */
struct ecap {
	unsigned int off, id, ver, next;
};

static uint32_t img32(const uint8_t *img, unsigned int off)
{
	return img[off] | img[off + 1] << 8 | img[off + 2] << 16 |
	       (uint32_t)img[off + 3] << 24;
}

/* Returns count, or -1 when the chain loops or leaves 0x100-0xffc */
static int ecap_walk(const uint8_t *img, struct ecap *caps, int max)
{
	unsigned int off = 0x100;
	int n = 0;

	while (off) {
		uint32_t h;

		if (off < 0x100 || off > 0xffc || (off & 3) || n >= max)
			return -1;
		h = img32(img, off);
		if (h == 0 || h == 0xffffffff)	/* empty list (or hidden head) */
			return n;
		caps[n].off = off;
		caps[n].id = h & 0xffff;
		caps[n].ver = (h >> 16) & 0xf;
		caps[n].next = h >> 20;
		off = caps[n].next;
		n++;
	}
	return n;
}

/* Read the whole config space, 4 bytes at a time; errs[i] = errno of dword i */
static int read_all(struct dev *d, uint8_t *img, uint8_t *errs)
{
	int i, nerr = 0;

	for (i = 0; i < NDW; i++) {
		uint32_t v = 0;
		int r = i * 4 < (int)d->cfg_size ? cfg_rd(d, i * 4, 4, &v) : -ERANGE;

		if (r) {
			nerr++;
			v = 0xffffffff;
		}
		errs[i] = r ? (uint8_t)-r : 0;
		img[i * 4] = v;
		img[i * 4 + 1] = v >> 8;
		img[i * 4 + 2] = v >> 16;
		img[i * 4 + 3] = v >> 24;
	}
	return nerr;
}

/* ---- commands */
static int cmd_info(struct dev *d)
{
	printf("device %s: flags 0x%x%s%s, config region at 0x%llx size 0x%llx\n",
	       d->bdf, d->flags, d->flags & VFIO_DEVICE_FLAGS_RESET ? " reset" : "",
	       d->flags & VFIO_DEVICE_FLAGS_PCI ? " pci" : "",
	       (unsigned long long)d->cfg, (unsigned long long)d->cfg_size);
	return 0;
}

static int cmd_dump(struct dev *d, const char *out)
{
	uint8_t img[DUMP_SIZE];
	int i, nerr = read_all(d, img, img + CFG_SIZE);

	for (i = 0; i < NDW; i++)
		if (img[CFG_SIZE + i])
			printf("ERR 0x%03x: %s\n", i * 4,
			       strerror(img[CFG_SIZE + i]));
	if (out) {
		FILE *f = fopen(out, "wb");

		if (!f || fwrite(img, DUMP_SIZE, 1, f) != 1 || fclose(f))
			die("writing %s: %s", out, strerror(errno));
		printf("dump %s: %d bytes (config size 0x%llx) to %s, %d dword errors\n",
		       d->bdf, CFG_SIZE, (unsigned long long)d->cfg_size, out, nerr);
		return 0;
	}
	for (i = 0; i < CFG_SIZE; i += 16) {
		int j;

		printf("%03x:", i);
		for (j = 0; j < 16; j += 4)
			printf(" %08x", img32(img, i + j));
		printf("\n");
	}
	return 0;
}

static const char *ecap_name(unsigned int id)
{
	switch (id) {
	case 0x01: return "AER";
	case 0x02: return "VC";
	case 0x03: return "DSN";
	case 0x0b: return "VNDR";
	case 0x0d: return "ACS";
	case 0x0e: return "ARI";
	case 0x0f: return "ATS";
	case 0x10: return "SR-IOV";
	case 0x13: return "PRI";
	case 0x18: return "LTR";
	case 0x19: return "SECPCI";
	case 0x1b: return "PASID";
	case 0x1e: return "L1SS";
	case 0x23: return "DVSEC";
	default:
		return "?";
	}
}

static int print_caps(const uint8_t *img)
{
	struct ecap c[64];
	unsigned int off = img[0x34] & 0xfc;
	int n, i, guard = 48;

	if (img[0x06] & 0x10)	/* status: capabilities list */
		while (off && guard--) {
			printf("cap 0x%02x @0x%02x next=0x%02x\n", img[off], off,
			       img[off + 1]);
			off = img[off + 1] & 0xfc;
		}
	n = ecap_walk(img, c, 64);
	for (i = 0; i < (n < 0 ? 64 : n); i++)
		printf("ecap 0x%04x %-6s v%u @0x%03x next=0x%03x\n", c[i].id,
		       ecap_name(c[i].id), c[i].ver, c[i].off, c[i].next);
	if (n < 0) {
		printf("ecap chain BROKEN (loop or out of range)\n");
		return 1;
	}
	if (!n)
		printf("ecap none (0x100 = 0x%08x)\n", img32(img, 0x100));
	return 0;
}

static int cmd_caps(struct dev *d)
{
	uint8_t img[DUMP_SIZE];

	read_all(d, img, img + CFG_SIZE);
	return print_caps(img);
}

static int load_dump(const char *path, uint8_t *img)
{
	FILE *f = fopen(path, "rb");

	if (!f || fread(img, DUMP_SIZE, 1, f) != 1)
		die("reading dump %s: %s", path, f ? "short file" : strerror(errno));
	fclose(f);
	return 0;
}

/*
 * diff A B [--same | --inject OFF]: A is the stock vfio-pci view, B the
 * pasid-vfio-pci view of the same device.  --same: every byte and every
 * per-dword status must match.  --inject OFF: B has an 8-byte PASID cap at OFF
 * which is in B's chain; the only other difference allowed is the Next field
 * (bits 31:20) of the cap that points at OFF in B, which must be A's tail.
 */
static int cmd_diff(const char *fa, const char *fb, long inj)
{
	uint8_t a[DUMP_SIZE], b[DUMP_SIZE], allow[CFG_SIZE] = { 0 };
	struct ecap ca[64], cb[64];
	int na, nb, i, ndiff = 0, prev = -1;
	char name[32];

	load_dump(fa, a);
	load_dump(fb, b);
	snprintf(name, sizeof(name), "%s", inj < 0 ? "diff-same" : "diff-inject");
	na = ecap_walk(a, ca, 64);
	nb = ecap_walk(b, cb, 64);
	if (na < 0 || nb < 0) {
		fail(name, "broken ext chain in %s", na < 0 ? fa : fb);
		return 1;
	}
	if (inj >= 0) {
		int found = 0;

		for (i = 0; i < nb; i++) {
			if (cb[i].off == (unsigned int)inj)
				found = 1;
			if (cb[i].next == (unsigned int)inj)
				prev = cb[i].off;
		}
		if (!found) {
			fail(name, "no cap at 0x%lx in %s's chain", inj, fb);
			return 1;
		}
		if (nb != na + 1)
			fail(name, "chain has %d caps, expected %d + 1", nb, na);
		memset(allow + inj, 1, 8);
		if (prev >= 0) {
			/* B's predecessor must be A's tail (next 0) */
			if (img32(a, prev) >> 20)
				fail(name, "predecessor 0x%x has next 0x%x in %s, not the tail",
				     prev, img32(a, prev) >> 20, fa);
			allow[prev + 2] = 2;	/* high nibble only */
			allow[prev + 3] = 1;
		} else if (inj != 0x100) {
			fail(name, "nothing points at 0x%lx and it is not the head", inj);
		}
	}
	for (i = 0; i < CFG_SIZE; i++) {
		uint8_t m = allow[i] == 1 ? 0 : allow[i] == 2 ? 0x0f : 0xff;

		if ((a[i] & m) != (b[i] & m) ||
		    (!(i & 3) && a[CFG_SIZE + i / 4] != b[CFG_SIZE + i / 4])) {
			if (ndiff < 8)
				printf("  differs at 0x%03x: %02x (err %d) vs %02x (err %d)\n",
				       i, a[i], a[CFG_SIZE + i / 4], b[i],
				       b[CFG_SIZE + i / 4]);
			ndiff++;
		}
	}
	return !check(!ndiff, name, "%d unexpected byte differences between %s and %s",
		      ndiff, fa, fb);
}

/* Find the PASID cap through VFIO; 0 when absent, -1 broken chain */
static int find_pasid(struct dev *d, struct ecap *caps, int *ncaps, int *npasid)
{
	uint8_t img[DUMP_SIZE];
	int i, n, at = 0;

	read_all(d, img, img + CFG_SIZE);
	n = ecap_walk(img, caps, 64);
	*ncaps = n;
	*npasid = 0;
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (caps[i].id == PASID_ID) {
			(*npasid)++;
			if (!at)
				at = caps[i].off;
		}
	return at;
}

/*
 * pasid-check: the PASID capability seen through VFIO behaves per contract.
 * Options: --offset O (expected placement), --width W, --exec E, --priv P.
 */
static int cmd_pasid_check(struct dev *d, long exp_off, long width, long ex,
			   long pr)
{
	struct ecap caps[64];
	char why[1024];
	int n, np, off, i;
	uint32_t hdr, capr, ctrl, mask, dw, bytes;
	uint8_t b8[8];

	off = find_pasid(d, caps, &n, &np);
	if (!check(off >= 0, "chain", "extended capability chain broken"))
		return 1;
	if (!check(off > 0, "present", "no PASID capability in the chain (%d caps)", n))
		return 1;
	check(np == 1, "single", "%d PASID capabilities in the chain", np);
	if (exp_off >= 0)
		check(off == exp_off, "offset", "PASID at 0x%x, expected 0x%lx", off,
		      exp_off);
	printf("INFO %spasid at 0x%03x\n", prefix, off);
	hdr = rd(d, off, 4);
	check((hdr & 0xffff) == PASID_ID && ((hdr >> 16) & 0xf) == 1, "header",
	      "id 0x%x version %u", hdr & 0xffff, (hdr >> 16) & 0xf);
	check((hdr >> 20) == 0, "last", "next 0x%x, the injected cap must be last",
	      hdr >> 20);
	capr = rd(d, off + 4, 2);
	if (width >= 0)
		check(((capr >> 8) & 0x1f) == width, "width",
		      "Max PASID Width %u, expected %ld (cap 0x%04x)",
		      (capr >> 8) & 0x1f, width, capr);
	if (ex >= 0)
		check(!!(capr & 2) == !!ex, "exec", "Exec Supported %u, expected %ld",
		      !!(capr & 2), ex);
	if (pr >= 0)
		check(!!(capr & 4) == !!pr, "priv", "Priv Supported %u, expected %ld",
		      !!(capr & 4), pr);
	check(!(capr & 0xe0f9), "cap-reserved", "reserved bits set in cap 0x%04x",
	      capr);

	/* control: supported bits only, reserved bits read 0 and ignore writes */
	mask = 1 | (capr & 6);
	ctrl = rd(d, off + 6, 2);
	check(ctrl == 0, "ctrl-initial", "control 0x%04x after open", ctrl);
	wr(d, off + 6, 2, 0xffff);
	ctrl = rd(d, off + 6, 2);
	check(ctrl == mask, "ctrl-write16", "wrote 0xffff, read 0x%04x, expected 0x%04x",
	      ctrl, mask);
	wr(d, off + 6, 2, 0);
	ctrl = rd(d, off + 6, 2);
	check(ctrl == 0, "ctrl-clear16", "wrote 0, read 0x%04x", ctrl);
	wr(d, off + 6, 1, 0xff);
	wr(d, off + 7, 1, 0xff);
	ctrl = rd(d, off + 6, 2);
	check(ctrl == mask, "ctrl-write8", "wrote 0xff,0xff bytewise, read 0x%04x, expected 0x%04x",
	      ctrl, mask);
	wr(d, off + 6, 1, 0x01);
	ctrl = rd(d, off + 6, 2);
	check(ctrl == 1, "ctrl-write8-low", "wrote 0x01 to the low byte, read 0x%04x", ctrl);
	wr(d, off + 4, 4, 0xffffffff);
	dw = rd(d, off + 4, 4);
	check(dw == (capr | mask << 16), "ctrl-write32",
	      "wrote 0xffffffff at +4, read 0x%08x, expected 0x%08x", dw,
	      capr | mask << 16);
	wr(d, off + 4, 4, 0);
	dw = rd(d, off + 4, 4);
	check(dw == capr, "ctrl-clear32", "wrote 0 at +4, read 0x%08x, expected 0x%08x",
	      dw, capr);
	wr(d, off, 4, 0xffffffff);
	wr(d, off, 2, 0);
	check(rd(d, off, 4) == hdr, "header-ro", "header changed to 0x%08x after writes",
	      rd(d, off, 4));
	wr(d, off + 4, 2, 0xffff);
	check(rd(d, off + 4, 2) == capr, "cap-ro", "cap register changed to 0x%04x",
	      rd(d, off + 4, 2));
	for (i = 0; i < 4; i++) {
		uint32_t bit = 1u << i;

		wr(d, off + 6, 2, bit);
		ctrl = rd(d, off + 6, 2);
		if (ctrl != (bit & mask))
			break;
	}
	check(i == 4, "ctrl-bits", "bit %d: wrote 0x%x read 0x%04x (mask 0x%x)", i,
	      1u << i, ctrl, mask);

	/* reads of every size agree; a bulk 8-byte pread agrees too */
	wr(d, off + 6, 2, mask);
	bytes = 0;
	for (i = 0; i < 4; i++)
		bytes |= rd(d, off + 4 + i, 1) << (8 * i);
	dw = rd(d, off + 4, 4);
	check(bytes == dw && (rd(d, off + 4, 2) | rd(d, off + 6, 2) << 16) == dw,
	      "read-sizes", "byte reads 0x%08x, word reads 0x%08x, dword 0x%08x",
	      bytes, rd(d, off + 4, 2) | rd(d, off + 6, 2) << 16, dw);
	memset(b8, 0xaa, sizeof(b8));
	check(pread(d->fd, b8, 8, d->cfg + off) == 8 && img32(b8, 0) == hdr &&
	      img32(b8, 4) == dw, "read-bulk8", "8-byte pread: %08x %08x, expected %08x %08x",
	      img32(b8, 0), img32(b8, 4), hdr, dw);

	/* reset: VFIO_DEVICE_RESET clears control */
	wr(d, off + 6, 2, 1);
	if (!(d->flags & VFIO_DEVICE_FLAGS_RESET)) {
		skip("ctrl-reset", "device does not report VFIO_DEVICE_FLAGS_RESET");
	} else if (ioctl(d->fd, VFIO_DEVICE_RESET)) {
		fail("ctrl-reset", "VFIO_DEVICE_RESET: %s", strerror(errno));
	} else {
		ctrl = rd(d, off + 6, 2);
		check(ctrl == 0, "ctrl-reset", "control 0x%04x after VFIO_DEVICE_RESET", ctrl);
		check(rd(d, off + 4, 2) == capr && rd(d, off, 4) == hdr, "reset-keeps-cap",
		      "cap changed by reset: 0x%08x 0x%04x", rd(d, off, 4),
		      rd(d, off + 4, 2));
	}

	/* close + reopen of the device fd clears control */
	wr(d, off + 6, 2, 1);
	ctrl = rd(d, off + 6, 2);
	if (dev_reopen(d, why, sizeof(why))) {
		fail("ctrl-reopen", "reopen: %s", why);
		return 1;
	}
	check(ctrl == 1 && rd(d, off + 6, 2) == 0, "ctrl-reopen",
	      "control 0x%04x before close, 0x%04x after reopen", ctrl,
	      rd(d, off + 6, 2));
	check(find_pasid(d, caps, &n, &np) == off, "reopen-present",
	      "PASID not at 0x%x after reopen", off);
	return failures != 0;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * hold: keep the device open, as a VMM does, until @secs pass or, with @req,
 * until vfio asks for it back through the device request eventfd (what vfio
 * does while an unbind or a remove of the device waits for userspace).
 * Prints "HOLDING", then "REQUEST ... after N ms" or "RELEASE ... after N ms";
 * returns 3 when a request was awaited and did not come.
 */
static int cmd_hold(struct dev *d, int req, long secs)
{
	struct vfio_irq_info ii = { .argsz = sizeof(ii),
				    .index = VFIO_PCI_REQ_IRQ_INDEX };
	union {
		struct vfio_irq_set set;
		char raw[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	} irq;
	struct timespec t0;
	struct pollfd pfd;
	uint64_t cnt;
	int32_t efd;
	int r;

	if (req) {
		if (ioctl(d->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) || ii.count < 1)
			die("%s: no device request IRQ (VFIO_PCI_REQ_IRQ_INDEX): %s",
			    d->bdf, strerror(errno));
		efd = eventfd(0, EFD_CLOEXEC);
		if (efd < 0)
			die("eventfd: %s", strerror(errno));
		memset(&irq, 0, sizeof(irq));
		irq.set.argsz = sizeof(irq);
		irq.set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
		irq.set.index = VFIO_PCI_REQ_IRQ_INDEX;
		irq.set.count = 1;
		memcpy(irq.set.data, &efd, sizeof(efd));
		if (ioctl(d->fd, VFIO_DEVICE_SET_IRQS, &irq.set))
			die("%s: VFIO_DEVICE_SET_IRQS(req): %s", d->bdf, strerror(errno));
	}
	printf("HOLDING %s%s\n", d->bdf, req ? " (device request eventfd)" : "");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!req) {
		while (ms_since(&t0) < secs * 1000)
			usleep(20000);
		printf("RELEASE %s after %ld ms\n", d->bdf, ms_since(&t0));
		return 0;
	}
	pfd.fd = efd;
	pfd.events = POLLIN;
	do {
		r = poll(&pfd, 1, secs * 1000 - ms_since(&t0));
	} while (r < 0 && errno == EINTR && ms_since(&t0) < secs * 1000);
	if (r > 0 && read(efd, &cnt, sizeof(cnt)) == sizeof(cnt)) {
		printf("REQUEST %s after %ld ms (count %llu); closing\n", d->bdf,
		       ms_since(&t0), (unsigned long long)cnt);
		return 0;
	}
	printf("TIMEOUT %s: no device request within %ld s\n", d->bdf, secs);
	return 3;
}

/* ---- iommufd: hardware info and PASID attach */
static const struct {
	int e;
	const char *name;
} errnames[] = {
	{ EINVAL, "EINVAL" }, { EOPNOTSUPP, "EOPNOTSUPP" }, { EBUSY, "EBUSY" },
	{ ENODEV, "ENODEV" }, { ENOENT, "ENOENT" }, { EPERM, "EPERM" },
	{ EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { ENOMEM, "ENOMEM" },
	{ ENOSPC, "ENOSPC" }, { EEXIST, "EEXIST" }, { ENXIO, "ENXIO" },
	{ EIO, "EIO" }, { ENOTTY, "ENOTTY" }, { ERANGE, "ERANGE" },
	{ EAGAIN, "EAGAIN" }, { E2BIG, "E2BIG" }, { EOVERFLOW, "EOVERFLOW" },
};

static const char *errno_name(int e)
{
	static char buf[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(errnames); i++)
		if (errnames[i].e == e)
			return errnames[i].name;
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

/* "EINVAL" or a number */
static int errno_parse(const char *s)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(errnames); i++)
		if (!strcmp(s, errnames[i].name))
			return errnames[i].e;
	return num(s);
}

/* Each returns 0 or -errno */
static int obj_destroy(struct dev *d, uint32_t id)
{
	struct iommu_destroy ds = { .size = sizeof(ds), .id = id };

	return ioctl(d->iommufd, IOMMU_DESTROY, &ds) ? -errno : 0;
}

static int ioas_new(struct dev *d, uint32_t *id)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	if (ioctl(d->iommufd, IOMMU_IOAS_ALLOC, &a))
		return -errno;
	*id = a.out_ioas_id;
	return 0;
}

/* Map one page of fresh anonymous memory, readable and writeable */
static int ioas_map_page(struct dev *d, uint32_t ioas, void **buf,
			 uint64_t *iova)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.length = pg,
	};
	void *p = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	memset(p, 0x5a, pg);
	m.user_va = (uintptr_t)p;
	if (ioctl(d->iommufd, IOMMU_IOAS_MAP, &m)) {
		int e = errno;

		munmap(p, pg);
		return -e;
	}
	*buf = p;
	*iova = m.iova;
	return 0;
}

/* A paging HWPT on @ioas for the bound device, with @flags */
static int hwpt_new(struct dev *d, uint32_t ioas, uint32_t flags, uint32_t *id)
{
	struct iommu_hwpt_alloc h = {
		.size = sizeof(h), .flags = flags, .dev_id = d->dev_id,
		.pt_id = ioas,
	};

	if (ioctl(d->iommufd, IOMMU_HWPT_ALLOC, &h))
		return -errno;
	*id = h.out_hwpt_id;
	return 0;
}

/*
 * The RID onto a PASID-compatible HWPT of its IOAS (an attach over an
 * attached RID replaces its HWPT).  iommufd attaches a PASID only where the
 * RID's domain is PASID-compatible too, and IOAS attaches (the normal open)
 * get automatic domains, which are not: include/uapi/linux/iommufd.h,
 * IOMMU_HWPT_ALLOC_PASID.  Once per open.
 */
static int rid_pasid_compat(struct dev *d, char *why, size_t wl)
{
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	uint32_t id = 0;
	int r;

	if (d->rid_hwpt)
		return 0;
	r = hwpt_new(d, d->ioas_id, IOMMU_HWPT_ALLOC_PASID, &id);
	if (r) {
		snprintf(why, wl, "IOMMU_HWPT_ALLOC(ALLOC_PASID) on IOAS %u: %s (%s)",
			 d->ioas_id, strerror(-r), errno_name(-r));
		return r;
	}
	at.pt_id = id;
	if (ioctl(d->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at)) {
		r = -errno;
		snprintf(why, wl, "VFIO_DEVICE_ATTACH_IOMMUFD_PT (RID to HWPT %u): %s (%s)",
			 id, strerror(-r), errno_name(-r));
		obj_destroy(d, id);
		return r;
	}
	d->rid_hwpt = id;
	printf("INFO %sRID of %s on PASID-compatible HWPT %u (IOAS %u)\n", prefix,
	       d->bdf, id, d->ioas_id);
	return 0;
}

static struct pasid_pt *pt_find(struct dev *d, uint32_t pasid)
{
	int i;

	for (i = 0; i < d->npt; i++)
		if (d->pt[i].pasid == pasid)
			return &d->pt[i];
	return NULL;
}

static void pt_free(struct dev *d, struct pasid_pt *p)
{
	if (p->buf)
		munmap(p->buf, sysconf(_SC_PAGESIZE));
	*p = d->pt[--d->npt];
}

/*
 * pasid_attach_one: a new IOAS with one mapped page, a PASID-compatible HWPT
 * on it (or, with @use_ioas, the IOAS itself: iommufd picks an automatic
 * domain) and VFIO_DEVICE_ATTACH_IOMMUFD_PT with VFIO_DEVICE_ATTACH_PASID.
 * Setup steps are checks @nm/map and @nm/hwpt when @verbose, else quiet but
 * for their failure (FAIL @nm).  Returns 0 when attached, the attach's
 * -errno when it failed (*why says so), 1 when a setup step failed.
 */
static int pasid_attach_one(struct dev *d, uint32_t pasid, int use_ioas,
			    const char *nm, int verbose, char *why, size_t wl)
{
	struct pt_attach at = { .argsz = sizeof(at), .flags = PT_FLAG_PASID,
				.pasid = pasid };
	struct pasid_pt p = { .pasid = pasid };
	char c[160];
	uint64_t iova = 0;
	int r;

	if (d->npt == MAX_PASIDS || pt_find(d, pasid))
		die("PASID %#x: attached already or more than %d", pasid, MAX_PASIDS);
	if (!use_ioas && rid_pasid_compat(d, why, wl)) {
		fail(nm, "%s", why);
		return 1;
	}
	snprintf(c, sizeof(c), "%s/map", nm);
	r = ioas_new(d, &p.ioas);
	if (r) {
		fail(verbose ? c : nm, "IOMMU_IOAS_ALLOC: %s", strerror(-r));
		return 1;
	}
	r = ioas_map_page(d, p.ioas, &p.buf, &iova);
	if (r) {
		fail(verbose ? c : nm, "IOMMU_IOAS_MAP (IOAS %u, one page, read|write): %s",
		     p.ioas, strerror(-r));
		obj_destroy(d, p.ioas);
		return 1;
	}
	if (verbose)
		pass(c);
	at.pt_id = p.ioas;
	if (!use_ioas) {
		snprintf(c, sizeof(c), "%s/hwpt", nm);
		r = hwpt_new(d, p.ioas, IOMMU_HWPT_ALLOC_PASID, &p.hwpt);
		if (r) {
			fail(verbose ? c : nm, "IOMMU_HWPT_ALLOC(ALLOC_PASID) on IOAS %u: %s (%s)",
			     p.ioas, strerror(-r), errno_name(-r));
			obj_destroy(d, p.ioas);
			munmap(p.buf, sysconf(_SC_PAGESIZE));
			return 1;
		}
		if (verbose)
			pass(c);
		at.pt_id = p.hwpt;
	}
	if (ioctl(d->fd, PT_ATTACH_IOCTL, &at)) {
		r = -errno;
		snprintf(why, wl, "VFIO_DEVICE_ATTACH_IOMMUFD_PT(PASID %#x, %s %u): %s (%s)",
			 pasid, use_ioas ? "IOAS" : "HWPT",
			 use_ioas ? p.ioas : p.hwpt, strerror(-r), errno_name(-r));
		if (p.hwpt)
			obj_destroy(d, p.hwpt);
		obj_destroy(d, p.ioas);
		munmap(p.buf, sysconf(_SC_PAGESIZE));
		return r;
	}
	p.hwpt = at.pt_id;	/* the HWPT iommufd attached */
	d->pt[d->npt++] = p;
	printf("INFO %s%s: PASID %#x attached to HWPT %u%s (IOAS %u, page at IOVA %#llx)\n",
	       prefix, d->bdf, pasid, p.hwpt, use_ioas ? " (automatic)" : "",
	       p.ioas, (unsigned long long)iova);
	return 0;
}

/*
 * The PASID still holds its HWPT: IOMMU_DESTROY of an attached HWPT fails
 * with EBUSY.  Returns 0 when it does; else *why says what happened.
 */
static int pasid_held(struct dev *d, uint32_t pasid, char *why, size_t wl)
{
	struct pasid_pt *p = pt_find(d, pasid);
	int r;

	if (!p) {
		snprintf(why, wl, "PASID %#x was not attached by this client", pasid);
		return -1;
	}
	r = obj_destroy(d, p->hwpt);
	if (r == -EBUSY)
		return 0;
	snprintf(why, wl, "IOMMU_DESTROY of PASID %#x's HWPT %u: %s, expected EBUSY",
		 pasid, p->hwpt, r ? errno_name(-r) : "destroyed");
	if (!r)
		p->hwpt = 0;
	return -1;
}

/*
 * VFIO_DEVICE_DETACH_IOMMUFD_PT with VFIO_DEVICE_DETACH_PASID, then proof
 * that nothing holds the PASID's HWPT any more: IOMMU_DESTROY of it works
 * (an automatic one is gone already: ENOENT), and so does its IOAS's.
 */
static int pasid_detach_one(struct dev *d, uint32_t pasid, char *why, size_t wl)
{
	struct pt_detach dt = { .argsz = sizeof(dt), .flags = PT_FLAG_PASID,
				.pasid = pasid };
	struct pasid_pt *p = pt_find(d, pasid);
	int r, ret = 0;

	if (!p) {
		snprintf(why, wl, "PASID %#x was not attached by this client", pasid);
		return -1;
	}
	if (ioctl(d->fd, PT_DETACH_IOCTL, &dt)) {
		snprintf(why, wl, "VFIO_DEVICE_DETACH_IOMMUFD_PT(PASID %#x): %s (%s)",
			 pasid, strerror(errno), errno_name(errno));
		return -1;
	}
	r = p->hwpt ? obj_destroy(d, p->hwpt) : 0;
	if (r && r != -ENOENT) {
		snprintf(why, wl, "detached, but IOMMU_DESTROY of its HWPT %u: %s (%s)",
			 p->hwpt, strerror(-r), errno_name(-r));
		ret = -1;
	}
	r = obj_destroy(d, p->ioas);
	if (r && !ret) {
		snprintf(why, wl, "detached, but IOMMU_DESTROY of its IOAS %u: %s (%s)",
			 p->ioas, strerror(-r), errno_name(-r));
		ret = -1;
	}
	pt_free(d, p);
	return ret;
}

/* IOMMU_GET_HW_INFO for the bound device: one "hwinfo ..." line */
static int cmd_hwinfo(struct dev *d, const char *nm)
{
	struct hw_info h = { .size = sizeof(h), .dev_id = d->dev_id };

	if (ioctl(d->iommufd, HW_INFO_IOCTL, &h)) {
		fail(nm, "IOMMU_GET_HW_INFO (dev_id %u): %s (%s)", d->dev_id,
		     strerror(errno), errno_name(errno));
		return 1;
	}
	printf("hwinfo max_pasid_log2=%u exec=%d priv=%d\n", h.out_max_pasid_log2,
	       !!(h.out_capabilities & HW_CAP_PCI_PASID_EXEC),
	       !!(h.out_capabilities & HW_CAP_PCI_PASID_PRIV));
	printf("INFO %s%s: IOMMU_GET_HW_INFO data type %u, capabilities %#llx\n",
	       prefix, d->bdf, h.out_data_type,
	       (unsigned long long)h.out_capabilities);
	pass(nm);
	return 0;
}

/*
 * pasid-attach: attach every PASID of @list (each to its own IOAS and page),
 * then detach them all.  @expect > 0: each attach must fail with that errno.
 * Checks: rid-pasid-hwpt (not with @use_ioas), then per PASID P:
 * pasid-P/map, pasid-P/hwpt, pasid-P/attach (or pasid-P/attach-ERRNO),
 * pasid-P/held, pasid-P/detach.
 */
static int cmd_pasid_attach(struct dev *d, const char *list, int use_ioas,
			    int expect)
{
	uint32_t pasids[MAX_PASIDS];
	char buf[256], *t, *sp = NULL, nm[64], c[96], why[512];
	int n = 0, i, r;

	snprintf(buf, sizeof(buf), "%s", list);
	for (t = strtok_r(buf, ",", &sp); t; t = strtok_r(NULL, ",", &sp)) {
		if (n == MAX_PASIDS)
			die("more than %d PASIDs", MAX_PASIDS);
		pasids[n++] = num(t);
	}
	if (!n)
		die("no PASID in '%s'", list);
	if (!use_ioas) {
		if (rid_pasid_compat(d, why, sizeof(why)))
			fail("rid-pasid-hwpt", "%s", why);
		else
			pass("rid-pasid-hwpt");
	}
	for (i = 0; i < n; i++) {
		snprintf(nm, sizeof(nm), "pasid-%#x", pasids[i]);
		r = pasid_attach_one(d, pasids[i], use_ioas, nm, 1, why, sizeof(why));
		if (r == 1)
			continue;
		if (expect) {
			snprintf(c, sizeof(c), "%s/attach-%s", nm, errno_name(expect));
			if (!r)
				fail(c, "ATTACH_IOMMUFD_PT(PASID %#x) succeeded, expected %s",
				     pasids[i], errno_name(expect));
			else if (-r == expect)
				pass_why(c, "%s", why);
			else
				fail(c, "%s, expected %s", why, errno_name(expect));
			if (!r && pasid_detach_one(d, pasids[i], why, sizeof(why)))
				printf("INFO %s%s: detach: %s\n", prefix, nm, why);
			continue;
		}
		snprintf(c, sizeof(c), "%s/attach", nm);
		if (r) {
			fail(c, "%s", why);
			continue;
		}
		pass(c);
		snprintf(c, sizeof(c), "%s/held", nm);
		if (pasid_held(d, pasids[i], why, sizeof(why)))
			fail(c, "%s", why);
		else
			pass(c);
	}
	/* all attached at once, now detach them */
	for (i = 0; i < n; i++) {
		if (!pt_find(d, pasids[i]))
			continue;
		snprintf(c, sizeof(c), "pasid-%#x/detach", pasids[i]);
		if (pasid_detach_one(d, pasids[i], why, sizeof(why)))
			fail(c, "%s", why);
		else
			pass(c);
	}
	return failures != 0;
}

/*
 * run: several steps on one open device.  Steps (each one argv word, fields
 * separated by spaces):
 *   "rd OFF SZ"            print the value
 *   "wr OFF SZ VAL"
 *   "expect OFF SZ VAL [NAME]"   PASS/FAIL NAME (default expect-OFF)
 *   "reset"  "reopen"  "caps"  "dump FILE"
 *   "sh CMD..."            run a shell command while the device stays open
 * and through iommufd (-i):
 *   "hwinfo [NAME]"        the "hwinfo ..." line; PASS/FAIL NAME (hwinfo)
 *   "pasid-attach P [NAME]"  PASID P on its own IOAS, page and HWPT (the RID
 *                          onto a PASID-compatible HWPT first); PASS/FAIL NAME
 *   "pasid-held P [NAME]"  PASID P still holds its HWPT (IOMMU_DESTROY: EBUSY)
 *   "pasid-detach P [NAME]"  detach, then its HWPT and IOAS can be destroyed
 */
static int cmd_run(struct dev *d, int argc, char **argv)
{
	char why[1024];
	int i;

	for (i = 0; i < argc; i++) {
		char buf[1024], *w[8] = { 0 }, *sp = NULL, *t;
		int nw = 0;

		snprintf(buf, sizeof(buf), "%s", argv[i]);
		if (!strncmp(buf, "sh ", 3)) {
			int st;

			fflush(stdout);
			st = system(buf + 3);
			if (st)
				printf("run: '%s' exited %d\n", buf + 3, st);
			continue;
		}
		for (t = strtok_r(buf, " ", &sp); t && nw < 8; t = strtok_r(NULL, " ", &sp))
			w[nw++] = t;
		if (!nw)
			continue;
		if (!strcmp(w[0], "rd") && nw == 3) {
			unsigned long o = num(w[1]), s = num(w[2]);
			uint32_t v;
			int r = cfg_rd(d, o, s, &v);

			if (r)
				printf("rd 0x%lx/%lu: error %s\n", o, s, strerror(-r));
			else
				printf("rd 0x%lx/%lu = 0x%0*x\n", o, s, (int)s * 2, v);
		} else if (!strcmp(w[0], "wr") && nw == 4) {
			int r = cfg_wr(d, num(w[1]), num(w[2]), num(w[3]));

			if (r)
				printf("wr %s/%s=%s: error %s\n", w[1], w[2], w[3],
				       strerror(-r));
		} else if (!strcmp(w[0], "expect") && (nw == 4 || nw == 5)) {
			unsigned long o = num(w[1]), s = num(w[2]), e = num(w[3]);
			char name[64];
			uint32_t v = 0;
			int r = cfg_rd(d, o, s, &v);

			snprintf(name, sizeof(name), "%s", nw == 5 ? w[4] : "expect");
			if (r)
				fail(name, "read 0x%lx/%lu: %s", o, s, strerror(-r));
			else
				check(v == e, name, "0x%lx/%lu reads 0x%x, expected 0x%lx",
				      o, s, v, e);
		} else if (!strcmp(w[0], "reset") && nw == 1) {
			if (ioctl(d->fd, VFIO_DEVICE_RESET))
				printf("reset: %s\n", strerror(errno));
		} else if (!strcmp(w[0], "reopen") && nw == 1) {
			if (dev_reopen(d, why, sizeof(why)))
				die("reopen: %s", why);
		} else if (!strcmp(w[0], "caps") && nw == 1) {
			cmd_caps(d);
		} else if (!strcmp(w[0], "dump") && nw == 2) {
			cmd_dump(d, w[1]);
		} else if (!strcmp(w[0], "hwinfo") && nw <= 2) {
			if (d->mode != MODE_IOMMUFD)
				die("step '%s' needs -i", argv[i]);
			cmd_hwinfo(d, nw == 2 ? w[1] : "hwinfo");
		} else if ((!strcmp(w[0], "pasid-attach") || !strcmp(w[0], "pasid-held") ||
			    !strcmp(w[0], "pasid-detach")) && (nw == 2 || nw == 3)) {
			uint32_t pasid = num(w[1]);
			const char *name = nw == 3 ? w[2] : w[0];
			int r;

			if (d->mode != MODE_IOMMUFD)
				die("step '%s' needs -i", argv[i]);
			if (!strcmp(w[0], "pasid-attach")) {
				r = pasid_attach_one(d, pasid, 0, name, 0, why, sizeof(why));
				if (r < 0)
					fail(name, "%s", why);
				else if (!r)
					pass(name);
			} else if (!strcmp(w[0], "pasid-held")) {
				if (pasid_held(d, pasid, why, sizeof(why)))
					fail(name, "%s", why);
				else
					pass(name);
			} else {
				if (pasid_detach_one(d, pasid, why, sizeof(why)))
					fail(name, "%s", why);
				else
					pass(name);
			}
		} else {
			die("bad step '%s'", argv[i]);
		}
		fflush(stdout);
	}
	return failures != 0;
}

static const char usage_text[] =
	"usage: vfio-client [-i] [-n NAME] COMMAND ...\n"
	"  -i, --iommufd   open through /dev/vfio/devices + /dev/iommu (else type1)\n"
	"  -S, --sysfs     no VFIO: use /sys/bus/pci/devices/BDF/config (host view)\n"
	"  -n, --name N    prefix of PASS/FAIL/SKIP check names (e.g. 6.1/default/a/)\n"
	"commands:\n"
	"  open BDF                      open (type1 or iommufd) and report PASS/FAIL/SKIP\n"
	"  info BDF                      device flags and config region\n"
	"  dump BDF [FILE]               read all 4096 bytes as dwords (FILE: binary +\n"
	"                                per-dword status), report per-dword errors\n"
	"  caps BDF                      capability lists as seen through VFIO\n"
	"  rd BDF OFF SIZE | wr BDF OFF SIZE VAL | reset BDF\n"
	"  run BDF STEP...               steps on one open device: 'rd O S', 'wr O S V',\n"
	"                                'expect O S V [NAME]', reset, reopen, caps,\n"
	"                                'dump F', 'sh CMD'\n"
	"                                through -i: 'hwinfo [N]', 'pasid-attach P [N]',\n"
	"                                'pasid-held P [N]', 'pasid-detach P [N]'\n"
	"  pasid-check BDF [--offset O] [--width W] [--exec 0|1] [--priv 0|1]\n"
	"  hwinfo BDF                    (-i implied) IOMMU_GET_HW_INFO: 'hwinfo\n"
	"                                max_pasid_log2=N exec=0|1 priv=0|1'\n"
	"  pasid-attach BDF [--pasids P,Q,...] [--expect-errno E] [--pt hwpt|ioas]\n"
	"                                (-i implied) each PASID (default 1) on its own\n"
	"                                IOAS with a mapped page, attached through\n"
	"                                VFIO_DEVICE_ATTACH_IOMMUFD_PT + ATTACH_PASID to a\n"
	"                                PASID-compatible HWPT (--pt ioas: the IOAS, an\n"
	"                                automatic domain), then all detached; with\n"
	"                                --expect-errno each attach must fail with E\n"
	"  hold BDF [--req] [--secs S]   keep BDF open until S s (default 30) pass or,\n"
	"                                with --req, vfio's device request (unbind,\n"
	"                                remove) arrives on an eventfd\n"
	"  diff FILE_A FILE_B [--same | --inject OFF]\n"
	"  walk FILE                     capability lists of a dump file\n";

static void usage(void)
{
	fputs(usage_text, stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "iommufd", no_argument, NULL, 'i' },
		{ "sysfs", no_argument, NULL, 'S' },
		{ "name", required_argument, NULL, 'n' },
		{ "offset", required_argument, NULL, 'o' },
		{ "width", required_argument, NULL, 'w' },
		{ "exec", required_argument, NULL, 'x' },
		{ "priv", required_argument, NULL, 'p' },
		{ "inject", required_argument, NULL, 'j' },
		{ "same", no_argument, NULL, 's' },
		{ "req", no_argument, NULL, 'r' },
		{ "secs", required_argument, NULL, 't' },
		{ "pasids", required_argument, NULL, 'P' },
		{ "expect-errno", required_argument, NULL, 'E' },
		{ "pt", required_argument, NULL, 'T' },
		{ 0 }
	};
	enum mode mode = MODE_TYPE1;
	long o_off = -1, o_w = -1, o_x = -1, o_p = -1, o_inj = -2;
	long o_secs = 30;
	int o_req = 0, o_errno = 0, o_ioas = 0;
	const char *o_pasids = "1";
	char pfx[256];
	const char *cmd;
	struct dev d;
	int c, ret = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "+iSn:", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			mode = MODE_IOMMUFD;
			break;
		case 'S':
			mode = MODE_SYSFS;
			break;
		case 'n':
			snprintf(pfx, sizeof(pfx), "%s%s", optarg,
				 *optarg && optarg[strlen(optarg) - 1] != '/' ? "/" : "");
			prefix = pfx;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	cmd = argv[optind++];
	/* command options may follow positional arguments */
	{
		char *pos[64];
		int np = 0;

		while (optind < argc) {
			c = getopt_long(argc, argv, "+", lo, NULL);
			if (c == -1) {
				/* never drop a step silently */
				if (np == (int)ARRAY_SIZE(pos))
					die("more than %d arguments", np);
				pos[np++] = argv[optind];
				optind++;
				continue;
			}
			switch (c) {
			case 'o':
				o_off = num(optarg);
				break;
			case 'w':
				o_w = num(optarg);
				break;
			case 'x':
				o_x = num(optarg);
				break;
			case 'p':
				o_p = num(optarg);
				break;
			case 'j':
				o_inj = num(optarg);
				break;
			case 's':
				o_inj = -1;
				break;
			case 'r':
				o_req = 1;
				break;
			case 't':
				o_secs = num(optarg);
				break;
			case 'P':
				o_pasids = optarg;
				break;
			case 'E':
				o_errno = errno_parse(optarg);
				break;
			case 'T':
				if (strcmp(optarg, "hwpt") && strcmp(optarg, "ioas"))
					usage();
				o_ioas = !strcmp(optarg, "ioas");
				break;
			default:
				usage();
			}
		}
		if (!strcmp(cmd, "diff")) {
			if (np != 2 || o_inj == -2)
				usage();
			return cmd_diff(pos[0], pos[1], o_inj);
		}
		if (!strcmp(cmd, "walk")) {
			uint8_t img[DUMP_SIZE];

			if (np != 1)
				usage();
			load_dump(pos[0], img);
			return print_caps(img);
		}
		if (np < 1)
			usage();
		if (!strcmp(cmd, "run")) {
			dev_open(&d, pos[0], mode);
			/* steps contain spaces: take them raw from argv */
			ret = cmd_run(&d, np - 1, pos + 1);
			dev_close(&d);
			return ret;
		}
		if (!strcmp(cmd, "hwinfo") || !strcmp(cmd, "pasid-attach")) {
			/* iommufd only: a SKIP line names the command */
			if (mode == MODE_SYSFS || np != 1)
				usage();
			mode = MODE_IOMMUFD;
			open_name = cmd;
		}
		dev_open(&d, pos[0], mode);
		if (!strcmp(cmd, "open") && np == 1) {
			pass(mode == MODE_TYPE1 ? "open-type1" : "open-iommufd");
		} else if (!strcmp(cmd, "info") && np == 1) {
			ret = cmd_info(&d);
		} else if (!strcmp(cmd, "dump") && np <= 2) {
			ret = cmd_dump(&d, np == 2 ? pos[1] : NULL);
		} else if (!strcmp(cmd, "caps") && np == 1) {
			ret = cmd_caps(&d);
		} else if (!strcmp(cmd, "rd") && np == 3) {
			uint32_t v;
			int r = cfg_rd(&d, num(pos[1]), num(pos[2]), &v);

			if (r)
				die("read: %s", strerror(-r));
			printf("0x%0*x\n", (int)num(pos[2]) * 2, v);
		} else if (!strcmp(cmd, "wr") && np == 4) {
			ret = wr(&d, num(pos[1]), num(pos[2]), num(pos[3])) ? 1 : 0;
		} else if (!strcmp(cmd, "reset") && np == 1) {
			if (ioctl(d.fd, VFIO_DEVICE_RESET))
				die("VFIO_DEVICE_RESET: %s", strerror(errno));
		} else if (!strcmp(cmd, "hold") && np == 1) {
			ret = cmd_hold(&d, o_req, o_secs);
		} else if (!strcmp(cmd, "pasid-check") && np == 1) {
			ret = cmd_pasid_check(&d, o_off, o_w, o_x, o_p);
		} else if (!strcmp(cmd, "hwinfo")) {
			ret = cmd_hwinfo(&d, "hwinfo");
		} else if (!strcmp(cmd, "pasid-attach")) {
			ret = cmd_pasid_attach(&d, o_pasids, o_ioas, o_errno);
		} else {
			usage();
		}
		dev_close(&d);
	}
	return ret ? ret : failures ? 1 : 0;
}
