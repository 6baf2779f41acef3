// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-bench - what pasid-vfio-pci costs next to stock vfio-pci, measured in
 * one boot of the e2e rig (tests/e2e/cases/bench.sh, tests/bench/run.sh).
 *
 *   vfio-bench access [-r ROUNDS] [-m BATCHES] [-k OPS] [-p PASID_OFF] BDF DRV_A DRV_B
 *	Config region latency (pread/pwrite on the device fd) of fixed
 *	registers, plus the syscall floor, for two drivers bound in turn to
 *	the same device.
 *   vfio-bench lifecycle [-s SET] [-b BIND_ROUNDS] ROUNDS NLIST DRV_A DRV_B BDF...
 *	bind + open + close + unbind of the first N devices, N from NLIST
 *	("1,2,7"); bind and unbind alone BIND_ROUNDS times (default 20).
 *   vfio-bench mem [-s SET] ROUNDS NLIST DRV_A DRV_B BDF...
 *	Kernel memory kept per bound device: every kmalloc/kmem_cache
 *	allocation made while binding N devices and not freed by the end of
 *	the bind (ftrace kmem events), and the /proc/slabinfo difference.
 *
 * Method: the drivers alternate on the same device(s) round by round, in the
 * order A B, B A, A B, ... so that drift of the machine (a TCG guest on a
 * shared host) falls on both alike; within a round every latency test runs
 * in turn batch by batch.  A latency sample is one batch of OPS identical
 * accesses timed with CLOCK_MONOTONIC, less the cost of the clock read
 * itself, divided by OPS.
 *
 * Output: "BENCH <kind> key=value ..." lines that tests/bench/run.sh turns
 * into tables (figures in ns, per access or per device), "INFO ..." lines,
 * and "ERROR bench/<what>: <why>" on errors, with exit status 1 (the guest's
 * case turns it into a FAIL line).  Nothing
 * here judges a figure against a target: run.sh does, and only reports.
 *
 * Built static (gcc -static -O2 -Wall -Wextra) by tests/e2e/run.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#define MAX_DEVS	16
#define MAX_ROUNDS	64
#define PASID_ID	0x1b

static void __attribute__((format(printf, 2, 3), noreturn))
fail(const char *what, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	printf("ERROR bench/%s: ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
		"usage: vfio-bench access [-r ROUNDS] [-m BATCHES] [-k OPS] [-p PASID_OFF] BDF DRV_A DRV_B\n"
		"       vfio-bench lifecycle [-s SET] [-b BIND_ROUNDS] ROUNDS NLIST DRV_A DRV_B BDF...\n"
		"       vfio-bench mem [-s SET] ROUNDS NLIST DRV_A DRV_B BDF...\n");
	exit(2);
}

static unsigned long num(const char *s)
{
	char *e;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &e, 0);
	if (errno || *e || e == s) {
		fprintf(stderr, "vfio-bench: not a number: '%s'\n", s);
		usage();
	}
	return v;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ---- statistics */
static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* p-th percentile (0..100) of n values, linear interpolation; sorts v */
static double pct(double *v, int n, double p)
{
	double r;
	int i;

	if (n <= 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_dbl);
	r = p / 100 * (n - 1);
	i = (int)r;
	if (i >= n - 1)
		return v[n - 1];
	return v[i] + (r - i) * (v[i + 1] - v[i]);
}

struct stats {
	double med, p10, p90, lo, hi;
	int n;
};

static struct stats stats_of(const double *src, int n)
{
	struct stats s = { .n = n };
	double *v = malloc(sizeof(*v) * (n ? n : 1));

	if (!v)
		fail("oom", "malloc");
	memcpy(v, src, sizeof(*v) * n);
	s.med = pct(v, n, 50);
	s.p10 = pct(v, n, 10);
	s.p90 = pct(v, n, 90);
	s.lo = n ? v[0] : 0;
	s.hi = n ? v[n - 1] : 0;
	free(v);
	return s;
}

/* " <p>_med=M <p>_p10=L <p>_p90=H" with @fmt for each number */
static void pr_stats(const char *p, struct stats s, const char *fmt)
{
	char f[64];

	snprintf(f, sizeof(f), " %%s_med=%s %%s_p10=%s %%s_p90=%s", fmt, fmt, fmt);
	printf(f, p, s.med, p, s.p10, p, s.p90);
}

/* ---- sysfs and binding */
static char devpath[MAX_DEVS][128];

static int sysfs_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), e = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		e = -errno;
	close(fd);
	return e;
}

/* driver bound to @bdf, or "" */
static const char *drv_of(const char *bdf)
{
	static char name[128];
	char p[256], l[256];
	ssize_t n;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(p, l, sizeof(l) - 1);
	if (n < 0)
		return "";
	l[n] = 0;
	snprintf(name, sizeof(name), "%s", basename(l));
	return name;
}

static void unbind(const char *bdf)
{
	char p[256];
	int e;

	if (*drv_of(bdf)) {
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver/%s", bdf,
			 "unbind");
		e = sysfs_write(p, bdf);
		if (e)
			fail("unbind", "%s: %s", bdf, strerror(-e));
	}
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver_override", bdf);
	e = sysfs_write(p, "\n");
	if (e)
		fail("unbind", "clear %s: %s", p, strerror(-e));
	if (*drv_of(bdf))
		fail("unbind", "%s still bound to %s", bdf, drv_of(bdf));
}

static void bind(const char *bdf, const char *drv)
{
	char p[256];
	int e;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver_override", bdf);
	e = sysfs_write(p, drv);
	if (e)
		fail("bind", "%s: %s", p, strerror(-e));
	e = sysfs_write("/sys/bus/pci/drivers_probe", bdf);
	if (e)
		fail("bind", "%s to %s: drivers_probe: %s", bdf, drv, strerror(-e));
	if (strcmp(drv_of(bdf), drv))
		fail("bind", "%s not bound to %s (driver '%s')", bdf, drv,
		     drv_of(bdf));
}

/* ---- VFIO, type1: one container, one group per device (as a VMM does) */
struct vdev {
	const char *bdf;
	int group, fd;
	off_t cfg;
};

static int container = -1;

static void vfio_open(struct vdev *d, int first)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct vfio_region_info ri = { .argsz = sizeof(ri),
				       .index = VFIO_PCI_CONFIG_REGION_INDEX };
	char p[256], link[256];
	ssize_t n;

	if (first) {
		container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
		if (container < 0)
			fail("open", "/dev/vfio/vfio: %s", strerror(errno));
	}
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/iommu_group", d->bdf);
	n = readlink(p, link, sizeof(link) - 1);
	if (n < 0)
		fail("open", "%s: %s", p, strerror(errno));
	link[n] = 0;
	snprintf(p, sizeof(p), "/dev/vfio/%s", basename(link));
	d->group = open(p, O_RDWR | O_CLOEXEC);
	if (d->group < 0)
		fail("open", "%s: %s", p, strerror(errno));
	if (ioctl(d->group, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		fail("open", "group %s of %s not viable", p, d->bdf);
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &container))
		fail("open", "VFIO_GROUP_SET_CONTAINER: %s", strerror(errno));
	if (first && ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		fail("open", "VFIO_SET_IOMMU: %s", strerror(errno));
	d->fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
	if (d->fd < 0)
		fail("open", "VFIO_GROUP_GET_DEVICE_FD %s: %s", d->bdf,
		     strerror(errno));
	if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &ri))
		fail("open", "VFIO_DEVICE_GET_REGION_INFO: %s", strerror(errno));
	d->cfg = ri.offset;
}

static void vfio_close_fd(struct vdev *d)
{
	close(d->fd);
	d->fd = -1;
}

static void vfio_close_group(struct vdev *d, int last)
{
	close(d->group);
	d->group = -1;
	if (last) {
		close(container);
		container = -1;
	}
}

static uint32_t cfg_rd(const struct vdev *d, unsigned int off, int size)
{
	uint8_t b[4] = { 0 };

	if (pread(d->fd, b, size, d->cfg + off) != size)
		fail("read", "%s 0x%x/%d: %s", d->bdf, off, size, strerror(errno));
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

/* ---- access: latency tests */
enum kind {
	K_RD,		/* pread of the config region */
	K_WR,		/* pwrite of the config region, of @val */
	K_BADREG,	/* pread of a region the device does not have: -EINVAL */
	K_ZERO,		/* pread of 1 byte from /dev/zero */
	K_TMPFS,	/* pread of 1 byte from a tmpfs file */
	K_CLOCK,	/* clock_gettime() */
};

struct test {
	enum kind kind;
	char cls;		/* a b c (see README), f: floor */
	unsigned int off;
	int size;
	const char *what;
	uint32_t val;		/* for K_WR, set at each open */
	int restore;		/* K_WR: write the value read at open */
	double *s[2];		/* samples per driver, all rounds */
	int ns[2];
	double rmed[2][MAX_ROUNDS];	/* per round median per driver */
};

#define MAX_TESTS 64
static struct test tests[MAX_TESTS];
static int ntests;
static int zero_fd = -1, tmpfs_fd = -1;
static double clock_cost;	/* ns of one clock_gettime(), subtracted */

static void add(enum kind kind, char cls, unsigned int off, int size,
		const char *what)
{
	struct test *t = &tests[ntests++];

	if (ntests > MAX_TESTS)
		fail("internal", "too many tests");
	t->kind = kind;
	t->cls = cls;
	t->off = off;
	t->size = size;
	t->what = what;
	t->restore = kind == K_WR;
}

/* one batch of @k operations; ns per operation */
static double batch(struct test *t, const struct vdev *d, int k)
{
	uint8_t b[4] = { t->val, t->val >> 8, t->val >> 16, t->val >> 24 };
	struct timespec ts;
	double t0, t1;
	ssize_t n = t->size;
	int i;

	t0 = now_ns();
	switch (t->kind) {
	case K_RD:
		for (i = 0; i < k && n == t->size; i++)
			n = pread(d->fd, b, t->size, d->cfg + t->off);
		break;
	case K_WR:
		for (i = 0; i < k && n == t->size; i++)
			n = pwrite(d->fd, b, t->size, d->cfg + t->off);
		break;
	case K_BADREG:
		for (i = 0; i < k && n == t->size; i++)
			n = pread(d->fd, b, t->size,
				  (off_t)(VFIO_PCI_NUM_REGIONS + 8) << 40) < 0 &&
			    errno == EINVAL ? t->size : -1;
		break;
	case K_ZERO:
		for (i = 0; i < k && n == t->size; i++)
			n = pread(zero_fd, b, t->size, 0);
		break;
	case K_TMPFS:
		for (i = 0; i < k && n == t->size; i++)
			n = pread(tmpfs_fd, b, t->size, 0);
		break;
	case K_CLOCK:
		for (i = 0; i < k; i++)
			clock_gettime(CLOCK_MONOTONIC, &ts);
		break;
	}
	t1 = now_ns();
	if (n != t->size)
		fail("access", "%s %s at 0x%x/%d: %s", t->kind == K_WR ? "pwrite" : "pread",
		     t->what, t->off, t->size, n < 0 ? strerror(errno) : "short");
	return (t1 - t0 - clock_cost) / k;
}

static double measure_clock_cost(void)
{
	double v[2001];
	int i;

	for (i = 0; i < 2001; i++) {
		double a = now_ns();

		v[i] = now_ns() - a;
	}
	return pct(v, 2001, 50);
}

/* ext capability headers as seen through VFIO: returns the tail's offset */
static unsigned int ecap_tail(const struct vdev *d)
{
	unsigned int off = 0x100, tail = 0, hops = 0;
	uint32_t h;

	while (off && hops++ < 64) {
		h = cfg_rd(d, off, 4);
		if (!h || h == 0xffffffff)
			break;
		tail = off;
		off = h >> 20;
	}
	return tail;
}

static unsigned int find_cap(const struct vdev *d, int id)
{
	unsigned int off = cfg_rd(d, 0x34, 1) & 0xfc, hops = 0;

	while (off && hops++ < 48) {
		if ((cfg_rd(d, off, 1)) == (uint32_t)id)
			return off;
		off = cfg_rd(d, off + 1, 1) & 0xfc;
	}
	return 0;
}

static void cmd_access(int argc, char **argv)
{
	int rounds = 8, batches = 12, k = 40, opt, r, bi, ti, di;
	unsigned int pasid = 0x1c0, exp, tail, window, freeraw;
	const char *bdf, *drv[2];
	char tmpl[] = "/tmp/vfio-bench.XXXXXX";
	static const int sizes[] = { 1, 2, 4 };
	struct vdev d = { 0 };
	double t0 = now_ns();
	int si;

	while ((opt = getopt(argc, argv, "r:m:k:p:")) != -1) {
		switch (opt) {
		case 'r':
			rounds = num(optarg);
			break;
		case 'm':
			batches = num(optarg);
			break;
		case 'k':
			k = num(optarg);
			break;
		case 'p':
			pasid = num(optarg);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 3 || rounds < 1 || rounds > MAX_ROUNDS ||
	    batches < 1 || k < 1)
		usage();
	bdf = argv[optind];
	drv[0] = argv[optind + 1];
	drv[1] = argv[optind + 2];
	d.bdf = bdf;

	zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	tmpfs_fd = mkstemp(tmpl);
	if (zero_fd < 0 || tmpfs_fd < 0 || write(tmpfs_fd, tmpl, sizeof(tmpl)) < 0)
		fail("setup", "/dev/zero or tmpfs file: %s", strerror(errno));
	unlink(tmpl);
	clock_cost = measure_clock_cost();

	/* Layout, through the reference driver */
	unbind(bdf);
	bind(bdf, drv[0]);
	vfio_open(&d, 1);
	exp = find_cap(&d, 0x10);	/* PCI Express */
	tail = ecap_tail(&d);
	if (!exp || !tail)
		fail("setup", "%s: no PCIe capability (0x%x) or no ext capability (tail 0x%x)",
		     bdf, exp, tail);
	/*
	 * Raw free space: the 8 bytes after the PASID capability's place, and
	 * the dword after the tail capability (ARI, 8 bytes on the rig's VFs),
	 * which falls between the wrapper's lowest and highest emulated byte.
	 */
	freeraw = pasid + 0x10;
	window = tail + 8;
	if ((cfg_rd(&d, tail, 4) & 0xffff) != 0x000e)
		fail("setup", "%s: tail ext capability at 0x%x is not ARI (the rig's VF layout)",
		     bdf, tail);
	printf("INFO vfio-bench: %s: PCIe cap 0x%x, ext tail 0x%x, pasid 0x%x;",
	       bdf, exp, tail, pasid);
	printf(" clock_gettime %.0f ns\n", clock_cost);
	vfio_close_fd(&d);
	vfio_close_group(&d, 1);
	unbind(bdf);

	/* floor, then (a) (b) (c) reads, then writes */
	add(K_CLOCK, 'f', 0, 0, "clock_gettime(CLOCK_MONOTONIC)");
	add(K_ZERO, 'f', 0, 1, "pread 1 byte of /dev/zero");
	add(K_TMPFS, 'f', 0, 1, "pread 1 byte of a tmpfs file");
	add(K_BADREG, 'f', 0, 1, "pread of the VFIO fd, bad region (-EINVAL)");
	for (si = 0; si < 3; si++)
		add(K_RD, 'a', 0x000, sizes[si], "Vendor/Device ID (vconfig)");
	for (si = 0; si < 3; si++)
		add(K_RD, 'a', 0x010, sizes[si], "BAR0 (vconfig)");
	for (si = 0; si < 3; si++)
		add(K_RD, 'a', 0x100, sizes[si], "AER ext cap header (vconfig)");
	for (si = 0; si < 3; si++)
		add(K_RD, 'b', 0x008, sizes[si], "Revision ID/Class Code (hw)");
	add(K_RD, 'b', exp + 0x0a, 1, "PCIe Device Status (hw)");
	add(K_RD, 'b', exp + 0x0a, 2, "PCIe Device Status (hw)");
	add(K_RD, 'b', exp + 0x04, 4, "PCIe Device Capabilities (hw)");
	for (si = 0; si < 3; si++)
		add(K_RD, 'b', freeraw, sizes[si], "free ext space (hw)");
	for (si = 0; si < 3; si++)
		add(K_RD, 'w', window, sizes[si],
		    "free, in the wrapper's window (hw)");
	for (si = 0; si < 3; si++)
		add(K_RD, 'c', pasid, sizes[si], "PASID header (B emul., A free hw)");
	add(K_RD, 'c', pasid + 4, 4, "PASID Cap+Ctrl (B emul., A free hw)");
	add(K_RD, 'c', tail, 4, "ARI header (B Next emul., A hw+vconfig)");
	add(K_RD, 'c', tail + 2, 2, "ARI Next (B emul., A hw+vconfig)");
	for (si = 0; si < 3; si++)
		add(K_WR, 'a', 0x03c, sizes[si], "Interrupt Line/Pin (vconfig)");
	for (si = 0; si < 3; si++)
		add(K_WR, 'b', 0x00c, sizes[si], "CLS/Latency Timer/BIST (hw)");
	add(K_WR, 'c', pasid + 6, 1, "PASID Control (B emul., A free hw)");
	add(K_WR, 'c', pasid + 6, 2, "PASID Control (B emul., A free hw)");
	add(K_WR, 'c', pasid + 4, 4, "PASID Cap+Ctrl (B emul., A free hw)");
	for (ti = 0; ti < ntests; ti++)
		for (di = 0; di < 2; di++) {
			tests[ti].s[di] = calloc((size_t)rounds * batches, sizeof(double));
			if (!tests[ti].s[di])
				fail("oom", "calloc");
		}
	/* pasid-c writes write 0: Control back to its reset value */

	for (r = 0; r < rounds; r++) {
		for (int o = 0; o < 2; o++) {
			di = (r % 2) ? 1 - o : o;
			bind(bdf, drv[di]);
			vfio_open(&d, 1);
			/* the capability must be there for B only */
			if (((cfg_rd(&d, pasid, 4) & 0xffff) == PASID_ID) != di)
				fail("access", "%s under %s: PASID capability at 0x%x %s",
				     bdf, drv[di], pasid, di ? "missing (not exposed?)" :
				     "present under the reference driver");
			for (ti = 0; ti < ntests; ti++)
				if (tests[ti].restore)
					tests[ti].val = cfg_rd(&d, tests[ti].off,
							       tests[ti].size);
			/* warm up once */
			for (ti = 0; ti < ntests; ti++)
				batch(&tests[ti], &d, 2);
			for (bi = 0; bi < batches; bi++)
				for (ti = 0; ti < ntests; ti++) {
					struct test *t = &tests[ti];

					t->s[di][t->ns[di]++] = batch(t, &d, k);
				}
			for (ti = 0; ti < ntests; ti++) {
				struct test *t = &tests[ti];

				t->rmed[di][r] = stats_of(&t->s[di][t->ns[di] - batches],
							  batches).med;
				if (t->restore && cfg_rd(&d, t->off, t->size) != t->val)
					fail("access", "%s 0x%x/%d changed by rewriting it",
					     t->what, t->off, t->size);
			}
			vfio_close_fd(&d);
			vfio_close_group(&d, 1);
			unbind(bdf);
		}
	}

	for (ti = 0; ti < ntests; ti++) {
		struct test *t = &tests[ti];
		struct stats a = stats_of(t->s[0], t->ns[0]);
		struct stats b = stats_of(t->s[1], t->ns[1]);
		double pr[MAX_ROUNDS];
		struct stats p;

		for (r = 0; r < rounds; r++)
			pr[r] = t->rmed[0][r] > 0 ? t->rmed[1][r] / t->rmed[0][r] : 0;
		p = stats_of(pr, rounds);
		printf("BENCH lat op=%s cls=%c off=0x%03x size=%d",
		       t->kind == K_WR ? "wr" : t->kind == K_RD ? "rd" : "floor",
		       t->cls, t->off, t->size);
		pr_stats("a", a, "%.0f");
		pr_stats("b", b, "%.0f");
		printf(" ratio=%.4f", a.med > 0 ? b.med / a.med : 0);
		pr_stats("pr", p, "%.4f");
		printf(" n=%d what=%s\n", a.n, t->what);
	}
	printf("BENCH access rounds=%d batches=%d ops=%d clock_ns=%.0f",
	       rounds, batches, k, clock_cost);
	printf(" secs=%.1f a=%s b=%s bdf=%s\n", (now_ns() - t0) / 1e9, drv[0],
	       drv[1], bdf);
}

/* ---- lifecycle */
static int parse_nlist(const char *s, int *n, int max)
{
	char buf[128], *tok, *save = NULL;
	int c = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok && c < 16;
	     tok = strtok_r(NULL, ",", &save)) {
		n[c] = num(tok);
		if (n[c] < 1 || n[c] > max)
			fail("usage", "N=%d: between 1 and the %d devices given", n[c], max);
		c++;
	}
	return c;
}

enum { PH_BIND, PH_OPEN, PH_CLOSE, PH_UNBIND, PH_TOTAL, NPH };
static const char *const ph_name[NPH] = { "bind", "open", "close", "unbind", "total" };

/*
 * One cycle on the first @n devices: bind, [open, close,] unbind; the time
 * per device of each phase goes to @s[phase][@r] (bind and unbind without
 * @full, open, close and total with it)
 */
static void cycle(struct vdev *d, int n, const char *drv, int full,
		  double s[NPH][MAX_ROUNDS], int r)
{
	double t[5];
	int i;

	t[0] = now_ns();
	for (i = 0; i < n; i++)
		bind(d[i].bdf, drv);
	t[1] = now_ns();
	for (i = 0; full && i < n; i++)
		vfio_open(&d[i], i == 0);
	t[2] = now_ns();
	for (i = 0; full && i < n; i++)
		vfio_close_fd(&d[i]);
	for (i = 0; full && i < n; i++)
		vfio_close_group(&d[i], i == n - 1);
	t[3] = now_ns();
	for (i = 0; i < n; i++)
		unbind(d[i].bdf);
	t[4] = now_ns();
	if (!full) {
		s[PH_BIND][r] = (t[1] - t[0]) / n;
		s[PH_UNBIND][r] = (t[4] - t[3]) / n;
	} else {
		s[PH_OPEN][r] = (t[2] - t[1]) / n;
		s[PH_CLOSE][r] = (t[3] - t[2]) / n;
		s[PH_TOTAL][r] = (t[4] - t[0]) / n;
	}
}

/*
 * Two passes, each alternating the drivers round by round:
 *  1. bind N, unbind N, @brounds times: the probe and remove paths, where
 *     a variant driver does its own work, cheap enough for many rounds;
 *  2. bind N, open N, close N, unbind N, @rounds times: the whole cycle a
 *     VMM drives, dominated by the resets vfio-pci-core does on open and
 *     close (FLR: 100 ms of sleep each), hence few rounds.
 * bind and unbind come from pass 1, open, close and total from pass 2.
 */
static void cmd_lifecycle(int argc, char **argv)
{
	const char *set = "dev", *drv[2];
	int opt, rounds, brounds = 20, nn, nl[16], ndev, r, o, di, li, ph, i, pass;
	static double s[16][2][NPH][MAX_ROUNDS];
	struct vdev d[MAX_DEVS] = { { 0 } };
	double t0 = now_ns();

	while ((opt = getopt(argc, argv, "s:b:")) != -1) {
		if (opt == 's')
			set = optarg;
		else if (opt == 'b')
			brounds = num(optarg);
		else
			usage();
	}
	if (argc - optind < 5)
		usage();
	rounds = num(argv[optind]);
	drv[0] = argv[optind + 2];
	drv[1] = argv[optind + 3];
	ndev = argc - optind - 4;
	if (rounds < 1 || rounds > MAX_ROUNDS || brounds < 1 ||
	    brounds > MAX_ROUNDS || ndev > MAX_DEVS)
		usage();
	nn = parse_nlist(argv[optind + 1], nl, ndev);
	for (i = 0; i < ndev; i++) {
		d[i].bdf = argv[optind + 4 + i];
		unbind(d[i].bdf);
	}

	for (pass = 1; pass <= 2; pass++)
		for (r = 0; r < (pass == 1 ? brounds : rounds); r++)
			for (o = 0; o < 2; o++) {
				di = (r % 2) ? 1 - o : o;
				for (li = 0; li < nn; li++)
					cycle(d, nl[li], drv[di], pass == 2, s[li][di], r);
			}

	for (li = 0; li < nn; li++)
		for (ph = 0; ph < NPH; ph++) {
			int nr = ph == PH_BIND || ph == PH_UNBIND ? brounds : rounds;
			struct stats a = stats_of(s[li][0][ph], nr);
			struct stats b = stats_of(s[li][1][ph], nr);
			double pr[MAX_ROUNDS];
			struct stats p;

			for (r = 0; r < nr; r++)
				pr[r] = s[li][1][ph][r] / s[li][0][ph][r];
			p = stats_of(pr, nr);
			printf("BENCH life set=%s n=%d phase=%s", set, nl[li], ph_name[ph]);
			pr_stats("a", a, "%.0f");
			pr_stats("b", b, "%.0f");
			printf(" ratio=%.4f", b.med / a.med);
			pr_stats("pr", p, "%.4f");
			printf(" rounds=%d\n", nr);
		}
	printf("BENCH lifecycle set=%s devices=%d rounds=%d bind_rounds=%d secs=%.1f a=%s b=%s\n",
	       set, ndev, rounds, brounds, (now_ns() - t0) / 1e9, drv[0], drv[1]);
}

/* ---- mem: ftrace kmem events around the bind */
#define TRACEFS "/sys/kernel/tracing"
static const char *const kmem_alloc_ev[] = {
	"kmalloc", "kmalloc_node", "kmem_cache_alloc", "kmem_cache_alloc_node",
};

static const char *const kmem_free_ev[] = { "kfree", "kmem_cache_free" };

struct site {
	char name[128];
	long size;		/* bytes_alloc of each allocation */
	long bytes, count;
};

struct live {
	uint64_t ptr;
	long bytes;
	int site;	/* -1: empty slot */
};

#define LIVE_SLOTS 65536	/* a power of 2 */
#define MAX_SITES 512
static struct live live[LIVE_SLOTS];
static struct site sites[MAX_SITES];
static int nsites;

static int trace_w(const char *rel, const char *v)
{
	char p[256];

	snprintf(p, sizeof(p), TRACEFS "/%s", rel);
	return sysfs_write(p, v);
}

/* empty the ring buffer: an open for writing with O_TRUNC */
static void trace_clear(void)
{
	int fd = open(TRACEFS "/trace", O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0)
		fail("mem", "clear %s/trace: %s", TRACEFS, strerror(errno));
	close(fd);
}

static void trace_setup(void)
{
	char p[128];
	unsigned int i, n = 0;

	if (access(TRACEFS "/trace", F_OK))
		fail("mem", "no %s/trace (tracefs not mounted, or no CONFIG_TRACING)", TRACEFS);
	trace_w("tracing_on", "0");
	trace_w("events/enable", "0");
	trace_w("buffer_size_kb", "16384");
	trace_w("trace_options", "nohash-ptr");	/* where it exists */
	for (i = 0; i < sizeof(kmem_alloc_ev) / sizeof(*kmem_alloc_ev); i++) {
		snprintf(p, sizeof(p), "events/kmem/%s/enable", kmem_alloc_ev[i]);
		n += !trace_w(p, "1");
	}
	for (i = 0; i < sizeof(kmem_free_ev) / sizeof(*kmem_free_ev); i++) {
		snprintf(p, sizeof(p), "events/kmem/%s/enable", kmem_free_ev[i]);
		n += !trace_w(p, "1");
	}
	if (n < 3)
		fail("mem", "kmem trace events not available (%u enabled)", n);
}

static void trace_teardown(void)
{
	trace_w("tracing_on", "0");
	trace_w("events/enable", "0");
	trace_clear();
	trace_w("buffer_size_kb", "1408");
}

static const char *field(const char *line, const char *key, char *out, size_t ol)
{
	const char *p = strstr(line, key);
	size_t n;

	if (!p)
		return NULL;
	p += strlen(key);
	n = strcspn(p, "\n ");
	if (n >= ol)
		n = ol - 1;
	memcpy(out, p, n);
	out[n] = 0;
	return out;
}

/* one site per call site and allocation size */
static int site_of(const char *cs, long size)
{
	char name[128];
	int i;

	snprintf(name, sizeof(name), "%s", cs);
	name[strcspn(name, "+")] = 0;	/* symbol+0x12/0x40 [mod] */
	for (i = 0; i < nsites; i++)
		if (!strcmp(sites[i].name, name) && sites[i].size == size)
			return i;
	if (nsites == MAX_SITES)
		return MAX_SITES - 1;
	snprintf(sites[nsites].name, sizeof(sites[nsites].name), "%s", name);
	sites[nsites].size = size;
	sites[nsites].bytes = 0;
	sites[nsites].count = 0;
	return nsites++;
}

static struct live *live_slot(uint64_t ptr, int insert)
{
	uint64_t h = ptr * 0x9e3779b97f4a7c15ull;
	unsigned int i = (unsigned int)(h >> 48) & (LIVE_SLOTS - 1), n;

	for (n = 0; n < LIVE_SLOTS; n++, i = (i + 1) & (LIVE_SLOTS - 1)) {
		if (live[i].site < 0)
			return insert ? &live[i] : NULL;
		if (live[i].ptr == ptr)
			return &live[i];
	}
	fail("mem", "too many live allocations");
}

/* Parse the trace: bytes allocated in the window and still live; per site */
static long trace_collect(long *events)
{
	char *line = NULL, ev[64], buf[128], cs[128];
	size_t cap = 0;
	long total = 0;
	unsigned int i;
	FILE *f;

	for (i = 0; i < LIVE_SLOTS; i++)
		live[i].site = -1;
	nsites = 0;
	*events = 0;
	f = fopen(TRACEFS "/trace", "r");
	if (!f)
		fail("mem", "open trace: %s", strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		const char *p;
		uint64_t ptr;
		int alloc = -1;
		struct live *l;

		if (line[0] == '#')
			continue;
		/* "task-pid [cpu] flags ts: event: fields" */
		p = strstr(line, ": ");
		while (p && alloc < 0) {
			size_t n = strcspn(p + 2, ": ");

			if (n < sizeof(ev) && p[2 + n] == ':') {
				memcpy(ev, p + 2, n);
				ev[n] = 0;
				for (i = 0; i < sizeof(kmem_alloc_ev) / sizeof(*kmem_alloc_ev); i++)
					if (!strcmp(ev, kmem_alloc_ev[i]))
						alloc = 1;
				for (i = 0; i < sizeof(kmem_free_ev) / sizeof(*kmem_free_ev); i++)
					if (!strcmp(ev, kmem_free_ev[i]))
						alloc = 0;
			}
			p = strstr(p + 2, ": ");
		}
		if (alloc < 0 || !field(line, "ptr=", buf, sizeof(buf)))
			continue;
		(*events)++;
		ptr = strtoull(buf, NULL, 16);
		if (!ptr)
			continue;
		if (alloc) {
			if (!field(line, "bytes_alloc=", buf, sizeof(buf)) ||
			    !field(line, "call_site=", cs, sizeof(cs)))
				continue;
			l = live_slot(ptr, 1);
			l->ptr = ptr;
			l->bytes = strtol(buf, NULL, 10);
			l->site = site_of(cs, l->bytes);
		} else {
			l = live_slot(ptr, 0);
			if (l) {
				/* delete: re-insert the rest of the cluster */
				unsigned int j = l - live;

				l->site = -1;
				for (j = (j + 1) & (LIVE_SLOTS - 1); live[j].site >= 0;
				     j = (j + 1) & (LIVE_SLOTS - 1)) {
					struct live t = live[j], *m;

					live[j].site = -1;
					m = live_slot(t.ptr, 1);
					*m = t;
				}
			}
		}
	}
	free(line);
	fclose(f);
	for (i = 0; i < LIVE_SLOTS; i++)
		if (live[i].site >= 0) {
			sites[live[i].site].bytes += live[i].bytes;
			sites[live[i].site].count++;
			total += live[i].bytes;
		}
	return total;
}

/* sum of active_objs * objsize over /proc/slabinfo */
static long slab_bytes(void)
{
	char line[512], name[64];
	long act, num, sz, total = 0;
	FILE *f = fopen("/proc/slabinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld %ld %ld", name, &act, &num, &sz) == 4)
			total += act * sz;
	fclose(f);
	return total;
}

static long overruns(void)
{
	char line[128];
	long v = 0;
	FILE *f = fopen(TRACEFS "/per_cpu/cpu0/stats", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "overrun: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void cmd_mem(int argc, char **argv)
{
	const char *set = "dev", *drv[2];
	int opt, rounds, nn, nl[16], ndev, r, o, di, li, i;
	static double kept[16][2][MAX_ROUNDS], slab[16][2][MAX_ROUNDS];
	static struct site last[2][MAX_SITES];
	static int nlast[2];
	struct timespec settle = { 0, 100 * 1000 * 1000 };
	double t0 = now_ns();
	long ev;

	while ((opt = getopt(argc, argv, "s:")) != -1) {
		if (opt != 's')
			usage();
		set = optarg;
	}
	if (argc - optind < 5)
		usage();
	rounds = num(argv[optind]);
	drv[0] = argv[optind + 2];
	drv[1] = argv[optind + 3];
	ndev = argc - optind - 4;
	if (rounds < 1 || rounds > MAX_ROUNDS || ndev > MAX_DEVS)
		usage();
	nn = parse_nlist(argv[optind + 1], nl, ndev);
	for (i = 0; i < ndev; i++) {
		snprintf(devpath[i], sizeof(devpath[i]), "%s", argv[optind + 4 + i]);
		unbind(devpath[i]);
	}
	trace_setup();

	for (r = 0; r < rounds; r++)
		for (o = 0; o < 2; o++) {
			di = (r % 2) ? 1 - o : o;
			for (li = 0; li < nn; li++) {
				long s0, s1;

				/* let RCU frees of the last unbind pass */
				nanosleep(&settle, NULL);
				trace_clear();
				s0 = slab_bytes();
				trace_w("tracing_on", "1");
				for (i = 0; i < nl[li]; i++)
					bind(devpath[i], drv[di]);
				nanosleep(&settle, NULL);
				trace_w("tracing_on", "0");
				s1 = slab_bytes();
				if (overruns())
					fail("mem", "trace buffer overrun");
				kept[li][di][r] = trace_collect(&ev);
				slab[li][di][r] = s1 - s0;
				if (ev < 10)
					fail("mem", "%ld kmem events only during the bind", ev);
				if (li == nn - 1) {
					memcpy(last[di], sites, sizeof(sites[0]) * nsites);
					nlast[di] = nsites;
				}
				for (i = 0; i < nl[li]; i++)
					unbind(devpath[i]);
			}
		}
	trace_teardown();

	for (li = 0; li < nn; li++) {
		struct stats a = stats_of(kept[li][0], rounds);
		struct stats b = stats_of(kept[li][1], rounds);
		struct stats sa = stats_of(slab[li][0], rounds);
		struct stats sb = stats_of(slab[li][1], rounds);

		printf("BENCH mem set=%s n=%d a_kept=%.0f a_lo=%.0f a_hi=%.0f",
		       set, nl[li], a.med, a.lo, a.hi);
		printf(" b_kept=%.0f b_lo=%.0f b_hi=%.0f a_slab=%.0f b_slab=%.0f rounds=%d\n",
		       b.med, b.lo, b.hi, sa.med, sb.med, rounds);
	}
	/*
	 * Where the difference is: allocations kept per call site and size in
	 * the last round at the largest N, where the two drivers differ.
	 */
	for (di = 0; di < 2; di++)
		for (i = 0; i < nlast[di]; i++) {
			const struct site *x = &last[di][i];
			long c[2] = { 0, 0 };
			int j;

			for (o = 0; o < 2; o++)
				for (j = 0; j < nlast[o]; j++)
					if (!strcmp(last[o][j].name, x->name) &&
					    last[o][j].size == x->size)
						c[o] = last[o][j].count;
			/* each pair once: from B's side, or A's when B lacks it */
			if (c[0] == c[1] || (di == 0 && c[1]))
				continue;
			printf("BENCH memsite set=%s n=%d site=%s size=%ld",
			       set, nl[nn - 1], x->name, x->size);
			printf(" a_count=%ld b_count=%ld\n", c[0], c[1]);
		}
	printf("BENCH memory set=%s devices=%d rounds=%d secs=%.1f a=%s b=%s\n",
	       set, ndev, rounds, (now_ns() - t0) / 1e9, drv[0], drv[1]);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "access"))
		cmd_access(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "lifecycle"))
		cmd_lifecycle(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "mem"))
		cmd_mem(argc - 1, argv + 1);
	else
		usage();
	return 0;
}
