// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The emulated DSA and IAA (tools/qemu) driven directly, without migaccel:
 * descriptors written with MOVDIR64B to a portal mapped from BAR2, guest
 * buffers named by their physical address (no IOMMU in this stage), each
 * result checked against values computed here from the references (DML,
 * QPL, RFC 1951, Linux's idxd status codes).  It checks what the kernel
 * path never produces: every error status, page faults, software errors.
 *
 * Runs as root in the VM after accel-config enabled the work queues (the
 * descriptors here request no interrupt, so idxd and migaccel never see
 * them).  TAP output; exit status non-zero on any failure.
 *
 *   idxd_model_test           the operations and errors, no IOMMU
 *   idxd_model_test --iommu   behind intel-iommu: a physical address
 *                             faults and is reported
 *   idxd_model_test --reg DEVICE OFFSET [VALUE]
 *                             print the 64-bit BAR0 register at OFFSET of
 *                             the model with PCI device id DEVICE (0x0b25,
 *                             0x0cfe) as 0x%016X, or write VALUE to it as a
 *                             32-bit register: the tests' access to the
 *                             model's debug window, through sysfs (the
 *                             debug kernel has no /dev/mem)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define PAGE 4096

static int tests, failures;

static void check(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d ", ok ? "ok" : "not ok", ++tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

struct dev {
	const char *name;
	volatile uint8_t *bar0;
	volatile uint8_t *portal;	/* WQ 0's first portal page */
};

static int find_dev(const char *devid, struct dev *d)
{
	DIR *dir = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	char path[512], buf[64];
	int fd;

	if (!dir)
		return -1;
	while ((e = readdir(dir))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device",
			 e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f)) {
			fclose(f);
			continue;
		}
		fclose(f);
		if (strncmp(buf, devid, strlen(devid)))
			continue;
		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%s/resource0", e->d_name);
		fd = open(path, O_RDWR | O_SYNC);
		if (fd < 0)
			break;
		d->bar0 = mmap(NULL, 0x4000, PROT_READ | PROT_WRITE,
			       MAP_SHARED, fd, 0);
		close(fd);
		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%s/resource2", e->d_name);
		fd = open(path, O_RDWR | O_SYNC);
		if (fd < 0)
			break;
		d->portal = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);
		close(fd);
		closedir(dir);
		return d->bar0 == MAP_FAILED || d->portal == MAP_FAILED ? -1 : 0;
	}
	closedir(dir);
	return -1;
}

static uint64_t reg(struct dev *d, unsigned int off)
{
	return *(volatile uint64_t *)(d->bar0 + off);
}

static void reg_write32(struct dev *d, unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(d->bar0 + off) = v;
}

/* Page-sized, page-aligned, locked buffers and their physical address. */
static void *page_alloc(uint64_t *phys)
{
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED | MAP_POPULATE,
		       -1, 0);
	uint64_t ent;
	int fd;

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, PAGE);
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0 || pread(fd, &ent, 8, (uintptr_t)p / PAGE * 8) != 8) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	close(fd);
	if (!(ent >> 63) || !(ent & ((1ull << 55) - 1)))
		return NULL;
	*phys = (ent & ((1ull << 55) - 1)) * PAGE;
	return p;
}

static void movdir64b(volatile void *portal, const void *desc)
{
	asm volatile("movdir64b (%1), %0"
		     : : "r"(portal), "r"(desc) : "memory");
}

/* Submit and wait (2 s) for the status byte of the record at @comp. */
static uint8_t run(struct dev *d, const void *desc, volatile uint8_t *comp,
		   unsigned int comp_size)
{
	struct timespec t0, t;

	memset((void *)comp, 0, comp_size);
	__sync_synchronize();
	movdir64b(d->portal, desc);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		uint8_t st = comp[0];

		if (st)
			return st;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= 2)
			return 0;
		usleep(100);
	}
}

struct desc {
	uint8_t b[64];
};

static void d_init(struct desc *x, uint8_t op, uint32_t flags, uint64_t comp)
{
	memset(x, 0, sizeof(*x));
	x->b[7] = op;
	x->b[4] = flags;
	x->b[5] = flags >> 8;
	x->b[6] = flags >> 16;
	memcpy(x->b + 8, &comp, 8);
}

static void d_u32(struct desc *x, int off, uint32_t v)
{
	memcpy(x->b + off, &v, 4);
}

static void d_u64(struct desc *x, int off, uint64_t v)
{
	memcpy(x->b + off, &v, 8);
}

static uint32_t rec_u32(volatile uint8_t *c, int off)
{
	uint32_t v;

	memcpy(&v, (const void *)(c + off), 4);
	return v;
}

static uint64_t rec_u64(volatile uint8_t *c, int off)
{
	uint64_t v;

	memcpy(&v, (const void *)(c + off), 8);
	return v;
}

#define CRAV 0x04
#define RCR  0x08
#define CR   0x80
#define F    (CRAV | RCR)

/* CRC-32C, bit by bit, from its definition (RFC 3720 B.4). */
static uint32_t crc32c_ref(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78 : crc >> 1;
	}
	return ~crc;
}

/* CRC-64 with the polynomial given MSB first, bit by bit (QPL semantics). */
static uint64_t crc64_ref(const uint8_t *p, size_t n, uint64_t poly,
			  bool reflected, bool invert)
{
	uint64_t crc = invert ? ~0ull : 0, rpoly = 0;

	if (reflected) {
		for (int i = 0; i < 64; i++)
			rpoly |= ((poly >> i) & 1) << (63 - i);
		while (n--) {
			crc ^= *p++;
			for (int k = 0; k < 8; k++)
				crc = crc & 1 ? (crc >> 1) ^ rpoly : crc >> 1;
		}
	} else {
		while (n--) {
			crc ^= (uint64_t)*p++ << 56;
			for (int k = 0; k < 8; k++)
				crc = crc >> 63 ? (crc << 1) ^ poly : crc << 1;
		}
	}
	return invert ? ~crc : crc;
}

static void test_dsa(struct dev *d)
{
	uint64_t ps, pd, pc, pl, pd2;
	uint8_t *src = page_alloc(&ps), *dst = page_alloc(&pd);
	uint8_t *comp = page_alloc(&pc), *list = page_alloc(&pl);
	uint8_t *delta = page_alloc(&pd2);
	uint64_t bad = 0xfff000000000ull;	/* no memory there */
	uint64_t before_ops[256];
	struct desc x;
	uint8_t st;
	int i;

	if (!src || !dst || !comp || !list || !delta) {
		check(false, "dsa: buffers with physical addresses");
		return;
	}
	for (i = 0; i < 256; i++)
		before_ops[i] = reg(d, 0x2000 + 8 * i);
	for (i = 0; i < PAGE; i++)
		src[i] = (uint8_t)(i * 7 + 3);

	d_init(&x, 0x00, F, pc);
	check(run(d, &x, comp, 32) == 0x01, "dsa noop: success");

	d_init(&x, 0x03, F, pc);
	d_u64(&x, 16, ps);
	d_u64(&x, 24, pd);
	d_u32(&x, 32, PAGE);
	st = run(d, &x, comp, 32);
	check(st == 0x01 && !memcmp(src, dst, PAGE), "dsa memmove 4096: copied");

	/* Compare pattern: mismatch at byte 100. */
	memset(dst, 0, PAGE);
	dst[100] = 1;
	d_init(&x, 0x06, F, pc);
	d_u64(&x, 16, pd);
	d_u64(&x, 24, 0);
	d_u32(&x, 32, PAGE);
	st = run(d, &x, comp, 32);
	check(st == 0x01 && comp[1] == 1 && rec_u32(comp, 4) == 100,
	      "dsa compval: result 1, bytes_completed 100 (status %#x result %u bc %u)",
	      st, comp[1], rec_u32(comp, 4));
	dst[100] = 0;
	st = run(d, &x, comp, 32);
	check(st == 0x01 && comp[1] == 0, "dsa compval zero page: result 0");
	/* Check result: expected 1, got 0: success with false predicate. */
	d_init(&x, 0x06, F | CR, pc);
	d_u64(&x, 16, pd);
	d_u32(&x, 32, PAGE);
	x.b[40] = 1;
	check(run(d, &x, comp, 32) == 0x02, "dsa compval check result: 0x02");

	d_init(&x, 0x10, F, pc);
	d_u64(&x, 16, ps);
	d_u32(&x, 32, 1000);
	d_u32(&x, 40, 0x12345678);
	st = run(d, &x, comp, 32);
	check(st == 0x01 && rec_u32(comp, 16) == crc32c_ref(0x12345678, src, 1000),
	      "dsa crcgen seeded: CRC-32C (got %#x want %#x)", rec_u32(comp, 16),
	      crc32c_ref(0x12345678, src, 1000));
	d_u32(&x, 40, 0);
	run(d, &x, comp, 32);
	check(rec_u32(comp, 16) == crc32c_ref(0, src, 1000),
	      "dsa crcgen seed 0: plain CRC-32C");

	/* Create and apply a delta. */
	memcpy(dst, src, PAGE);
	dst[8] ^= 1;
	dst[4000] ^= 0x80;
	d_init(&x, 0x07, F, pc);
	d_u64(&x, 16, ps);
	d_u64(&x, 24, pd);
	d_u32(&x, 32, PAGE);
	d_u64(&x, 40, pd2);
	d_u32(&x, 48, 200);
	st = run(d, &x, comp, 32);
	check(st == 0x01 && comp[1] == 1 && rec_u32(comp, 16) == 20 &&
	      delta[0] == 1 && delta[1] == 0 && !memcmp(delta + 2, dst + 8, 8) &&
	      delta[10] == 500 % 256 && delta[11] == 500 / 256,
	      "dsa cr_delta: two entries {index, src2 word}");
	d_init(&x, 0x08, F, pc);
	d_u64(&x, 16, pd2);
	d_u64(&x, 24, ps);
	d_u32(&x, 32, PAGE);
	d_u32(&x, 40, 20);
	st = run(d, &x, comp, 32);
	check(st == 0x01 && !memcmp(src, dst, PAGE), "dsa ap_delta: applied");
	memcpy(src, dst, PAGE);
	d_init(&x, 0x07, F, pc);
	d_u64(&x, 16, ps);
	d_u64(&x, 24, pd);
	d_u32(&x, 32, PAGE);
	d_u64(&x, 40, pd2);
	d_u32(&x, 48, 200);
	st = run(d, &x, comp, 32);
	check(st == 0x01 && comp[1] == 0 && rec_u32(comp, 16) == 0,
	      "dsa cr_delta identical: result 0");
	dst[0] ^= 1;
	d_u32(&x, 48, 80);
	for (i = 1; i < 10; i++)
		dst[8 * i] ^= 1;
	st = run(d, &x, comp, 32);
	check(st == 0x01 && comp[1] == 2 && rec_u32(comp, 16) == 80,
	      "dsa cr_delta overflow: result 2, 80 bytes");
	/* Out-of-order apply record. */
	memset(delta, 0, 20);
	delta[0] = 5;
	delta[10] = 4;
	d_init(&x, 0x08, F, pc);
	d_u64(&x, 16, pd2);
	d_u64(&x, 24, pd);
	d_u32(&x, 32, PAGE);
	d_u32(&x, 40, 20);
	check(run(d, &x, comp, 32) == 0x07, "dsa ap_delta indexes not increasing: 0x07");
	delta[0] = 0;
	delta[10] = 0x00;
	delta[11] = 0x10;	/* index 4096: past 4096 bytes */
	check(run(d, &x, comp, 32) == 0x08, "dsa ap_delta index past the transfer: 0x08");

	/* Batch of two memmoves. */
	memset(dst, 0, PAGE);
	{
		struct desc m;

		d_init(&m, 0x03, F, pc + 64);
		d_u64(&m, 16, ps);
		d_u64(&m, 24, pd);
		d_u32(&m, 32, 2048);
		memcpy(list, &m, 64);
		d_init(&m, 0x03, F, pc + 96);
		d_u64(&m, 16, ps + 2048);
		d_u64(&m, 24, pd + 2048);
		d_u32(&m, 32, 2048);
		memcpy(list + 64, &m, 64);
	}
	d_init(&x, 0x01, F, pc);
	d_u64(&x, 16, pl);
	d_u32(&x, 32, 2);
	st = run(d, &x, comp, 32);
	check(st == 0x01 && rec_u32(comp, 4) == 2 && comp[64] == 1 &&
	      comp[96] == 1 && !memcmp(src, dst, PAGE),
	      "dsa batch of 2: success, 2 completed, members' records");
	/* A member with a bad opcode: batch fail. */
	list[64 + 7] = 0x3f;
	st = run(d, &x, comp, 32);
	check(st == 0x05 && comp[96] == 0x10, "dsa batch member bad opcode: 0x05, member 0x10");
	list[64 + 7] = 0x01;	/* batch inside a batch */
	st = run(d, &x, comp, 32);
	check(st == 0x05 && comp[96] == 0x10, "dsa batch inside a batch: member 0x10");
	list[64 + 7] = 0x03;
	d_u32(&x, 32, 1);
	check(run(d, &x, comp, 32) == 0x14, "dsa batch of 1: 0x14");
	d_u32(&x, 32, 2);
	d_u64(&x, 16, pl + 32);
	check(run(d, &x, comp, 32) == 0x18, "dsa batch list misaligned: 0x18");
	d_u64(&x, 16, bad);
	st = run(d, &x, comp, 32);
	check(st == 0x06 && rec_u64(comp, 8) == bad,
	      "dsa batch list unreadable: 0x06 at its address");

	/* Errors. */
	d_init(&x, 0x3f, F, pc);
	check(run(d, &x, comp, 32) == 0x10, "dsa bad opcode: 0x10");
	d_init(&x, 0x03, F | 0x4000, pc);
	d_u64(&x, 16, ps);
	d_u64(&x, 24, pd);
	d_u32(&x, 32, 64);
	st = run(d, &x, comp, 32);
	check(st == 0x11 && rec_u32(comp, 16) == 0x4000,
	      "dsa unsupported flag (dest readback): 0x11, invalid_flags");
	d_init(&x, 0x03, F, pc);
	d_u64(&x, 16, ps);
	d_u64(&x, 24, pd);
	d_u32(&x, 32, 0);
	check(run(d, &x, comp, 32) == 0x13, "dsa transfer size 0: 0x13");
	d_u32(&x, 32, (2u << 20) + 1);
	check(run(d, &x, comp, 32) == 0x13, "dsa transfer size 2 MiB + 1: 0x13");
	d_init(&x, 0x03, F | 0x10, pc);
	d_u64(&x, 16, ps);
	d_u64(&x, 24, pd);
	d_u32(&x, 32, 64);
	x.b[36] = 99;
	check(run(d, &x, comp, 32) == 0x19, "dsa interrupt handle 99: 0x19");
	/* Page fault on the destination. */
	d_init(&x, 0x03, F, pc);
	d_u64(&x, 16, ps);
	d_u64(&x, 24, bad);
	d_u32(&x, 32, 2048);
	st = run(d, &x, comp, 32);
	check(st == 0x03 && rec_u64(comp, 8) == bad && rec_u32(comp, 4) == 0 &&
	      (comp[2] & 1),
	      "dsa memmove write fault: 0x03, fault_addr, 0 done, write (status %#x addr %#" PRIx64 " bc %u)",
	      st, rec_u64(comp, 8), rec_u32(comp, 4));
	d_init(&x, 0x10, F, pc);
	d_u64(&x, 16, bad);
	d_u32(&x, 32, 64);
	st = run(d, &x, comp, 32);
	check(st == 0x03 && rec_u64(comp, 8) == bad && !(comp[2] & 1),
	      "dsa crcgen read fault: 0x03, fault_addr, read");
	/* No RCR: the record is written only on error. */
	d_init(&x, 0x00, CRAV, pc);
	check(run(d, &x, comp, 32) == 0, "dsa noop without RCR: no record");
	/* Misaligned completion record: no record, SWERR 0x1b. */
	reg_write32(d, 0xc0, 3);
	d_init(&x, 0x00, F, pc + 8);
	run(d, &x, comp, 32);
	{
		uint64_t sw = reg(d, 0xc0);

		/* idxd's misc interrupt may have acked VALID already. */
		check(((sw >> 8) & 0xff) == 0x1b && reg(d, 0xd0) == pc + 8,
		      "dsa misaligned completion record: SWERR 0x1b (%#" PRIx64 ")",
		      sw);
	}
	reg_write32(d, 0xc0, 3);
	for (i = 0; i < 256; i++)
		if (reg(d, 0x2000 + 8 * i) != before_ops[i])
			break;
	check(i < 256, "dsa: the model counted the descriptors");
}

/* Fixed Huffman AECS, per RFC 1951 3.2.6, codes not bit-reversed (QPL). */
static void aecs_fixed(uint8_t *a)
{
	uint32_t v;
	int i;

	memset(a, 0, 1568);
	for (i = 0; i < 286; i++) {
		uint32_t len, code;

		if (i < 144) {
			len = 8;
			code = 0x30 + i;
		} else if (i < 256) {
			len = 9;
			code = 0x190 + i - 144;
		} else if (i < 280) {
			len = 7;
			code = i - 256;
		} else {
			len = 8;
			code = 0xc0 + i - 280;
		}
		v = len << 15 | code;
		memcpy(a + 288 + 4 * i, &v, 4);
	}
	for (i = 0; i < 30; i++) {
		v = 5 << 15 | i;
		memcpy(a + 1440 + 4 * i, &v, 4);
	}
	a[32] = 0x3;	/* BFINAL 1, BTYPE 01 */
	v = 3;
	memcpy(a + 28, &v, 4);
}

static void test_iaa(struct dev *d)
{
	uint64_t ps, pd, pc, pa, po;
	uint8_t *src = page_alloc(&ps), *dst = page_alloc(&pd);
	uint8_t *comp = page_alloc(&pc), *aecs = page_alloc(&pa);
	uint8_t *out = page_alloc(&po);
	struct desc x;
	uint8_t st;
	uint32_t clen;
	int i;

	if (!src || !dst || !comp || !aecs || !out) {
		check(false, "iaa: buffers with physical addresses");
		return;
	}
	for (i = 0; i < PAGE; i++)
		src[i] = "migaccel emulated IAA "[i % 22] ^ (i / 512);
	aecs_fixed(aecs);

	/* Compress, then inflate here with zlib. */
	d_init(&x, 0x43, F | 0x10000, pc);
	d_u64(&x, 16, ps);
	d_u64(&x, 24, pd);
	d_u32(&x, 32, PAGE);
	x.b[38] = 0x2 | 0x4;	/* flush, append EOB */
	d_u64(&x, 40, pa);
	d_u32(&x, 48, PAGE);
	d_u32(&x, 52, 1568);
	st = run(d, &x, comp, 64);
	clen = rec_u32(comp, 24);
	{
		uint8_t back[PAGE];
		z_stream z = { 0 };
		int r;

		inflateInit2(&z, -15);
		z.next_in = dst;
		z.avail_in = clen;
		z.next_out = back;
		z.avail_out = sizeof(back);
		r = inflate(&z, Z_FINISH);
		inflateEnd(&z);
		check(st == 0x01 && clen > 0 && clen < PAGE && r == Z_STREAM_END &&
		      z.total_out == PAGE && !memcmp(back, src, PAGE),
		      "iaa compress (fixed AECS): zlib inflates it back (%u bytes, status %#x)",
		      clen, st);
		check(rec_u32(comp, 32) == crc32(0, src, PAGE),
		      "iaa compress: CRC-32 of the input in the record");
	}
	/* Decompress what zlib produced with fixed codes. */
	{
		z_stream z = { 0 };

		deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_FIXED);
		z.next_in = src;
		z.avail_in = PAGE;
		z.next_out = out;
		z.avail_out = PAGE;
		deflate(&z, Z_FINISH);
		clen = z.total_out;
		deflateEnd(&z);
	}
	memset(dst, 0, PAGE);
	d_init(&x, 0x42, F, pc);
	d_u64(&x, 16, po);
	d_u64(&x, 24, pd);
	d_u32(&x, 32, clen);
	x.b[38] = 0xf;
	d_u32(&x, 48, PAGE);
	st = run(d, &x, comp, 64);
	check(st == 0x01 && rec_u32(comp, 24) == PAGE && !memcmp(src, dst, PAGE),
	      "iaa decompress zlib's stream: output_size 4096, data");
	d_u32(&x, 48, PAGE - 1);
	check(run(d, &x, comp, 64) == 0x0b, "iaa decompress into 4095 bytes: 0x0b");
	d_u32(&x, 48, PAGE);
	d_u32(&x, 32, clen / 2);
	st = run(d, &x, comp, 64);
	check(st == 0x0a, "iaa decompress truncated with check-EOB: 0x0a");
	out[0] ^= 0x06;		/* BTYPE 11: reserved */
	d_u32(&x, 32, clen);
	st = run(d, &x, comp, 64);
	check(st == 0x0a, "iaa decompress bad block type: 0x0a");
	out[0] ^= 0x06;
	/*
	 * QPL's decompression flags (hw_iaa_flags.h ADDF_*): 0x1f adds
	 * "select the final block's EOB" (bit 4), what migaccel sends.
	 */
	x.b[38] = 0x1f;
	memset(dst, 0, PAGE);
	st = run(d, &x, comp, 64);
	check(st == 0x01 && rec_u32(comp, 24) == PAGE && !memcmp(src, dst, PAGE),
	      "iaa decompress with select-BFINAL-EOB (0x1f): whole page");
	x.b[38] = 0x2f;		/* bit 5, big-endian Huffman: not modelled */
	st = run(d, &x, comp, 64);
	check(st == 0x30, "iaa decompress with a flag the model lacks: 0x30 (got 0x%02x)",
	      st);
	/* Two blocks: stop on EOB stops after the first, unless bit 4. */
	{
		z_stream z = { 0 };
		uint32_t two;

		deflateInit2(&z, 1, Z_DEFLATED, -12, 8, Z_DEFAULT_STRATEGY);
		z.next_in = src;
		z.avail_in = PAGE / 2;
		z.next_out = out;
		z.avail_out = PAGE;
		deflate(&z, Z_BLOCK);
		z.avail_in = PAGE / 2;
		deflate(&z, Z_FINISH);
		two = z.total_out;
		deflateEnd(&z);
		d_u32(&x, 32, two);
		x.b[38] = 0x07;	/* enable, flush, stop on (any) EOB */
		memset(dst, 0, PAGE);
		st = run(d, &x, comp, 64);
		check(st == 0x01 && rec_u32(comp, 24) == PAGE / 2 &&
		      !memcmp(src, dst, PAGE / 2),
		      "iaa decompress stop on any EOB: first block only (%u bytes)",
		      rec_u32(comp, 24));
		x.b[38] = 0x17;	/* the same, final block's EOB */
		memset(dst, 0, PAGE);
		st = run(d, &x, comp, 64);
		check(st == 0x01 && rec_u32(comp, 24) == PAGE &&
		      !memcmp(src, dst, PAGE),
		      "iaa decompress stop on the final EOB: both blocks (%u bytes)",
		      rec_u32(comp, 24));
		d_u32(&x, 32, clen);
		x.b[38] = 0xf;
	}
	/* Compress into too little room. */
	d_init(&x, 0x43, F | 0x10000, pc);
	d_u64(&x, 16, ps);
	d_u64(&x, 24, pd);
	d_u32(&x, 32, PAGE);
	x.b[38] = 0x6;
	d_u64(&x, 40, pa);
	d_u32(&x, 48, 16);
	d_u32(&x, 52, 1568);
	st = run(d, &x, comp, 64);
	check(st == 0x0a && comp[1] == 0x19, "iaa compress overflow: 0x0a, error 0x19");
	d_init(&x, 0x43, F, pc);	/* no AECS */
	d_u64(&x, 16, ps);
	d_u64(&x, 24, pd);
	d_u32(&x, 32, PAGE);
	d_u32(&x, 48, PAGE);
	check(run(d, &x, comp, 64) == 0x30, "iaa compress without AECS: 0x30");

	/* CRC64, both bit orders, with and without inversion. */
	for (i = 0; i < 4; i++) {
		bool be = i & 1, inv = i & 2;
		uint64_t poly = 0x42f0e1eba9ea3693ull, want, got;

		d_init(&x, 0x44, F, pc);
		d_u64(&x, 16, ps);
		d_u32(&x, 32, 1000);
		x.b[39] = (be ? 0x80 : 0) | (inv ? 0x40 : 0);
		d_u64(&x, 56, poly);
		st = run(d, &x, comp, 64);
		want = crc64_ref(src, 1000, poly, be, inv);
		got = rec_u64(comp, 40);
		check(st == 0x01 && got == want,
		      "iaa crc64 %s%s: bytes 40..47 (got %#" PRIx64 " want %#" PRIx64 ")",
		      be ? "reflected" : "normal", inv ? " inverted" : "", got, want);
	}
	d_init(&x, 0x44, F, pc);
	d_u64(&x, 16, 0xfff000000000ull);
	d_u32(&x, 32, 64);
	d_u64(&x, 56, 1);
	check(run(d, &x, comp, 64) == 0x03 &&
	      rec_u64(comp, 8) == 0xfff000000000ull, "iaa crc64 read fault: 0x03");
	d_init(&x, 0x03, F, pc);
	check(run(d, &x, comp, 64) == 0x10, "iaa memmove (not in OPCAP): 0x10");
	d_init(&x, 0x00, F, pc + 32);
	reg_write32(d, 0xc0, 3);
	run(d, &x, comp, 64);
	check(((reg(d, 0xc0) >> 8) & 0xff) == 0x1b && reg(d, 0xd0) == pc + 32,
	      "iaa completion record aligned to 32 only: SWERR 0x1b");
	reg_write32(d, 0xc0, 3);
}

/*
 * Behind an IOMMU doing DMA remapping, a physical address is not a bus
 * address the device may use: the completion record cannot be written, and
 * the device says so in SWERR (0x1a) instead of corrupting memory.
 */
static void test_iommu(struct dev *d)
{
	uint64_t pc;
	uint8_t *comp = page_alloc(&pc);
	struct desc x;
	uint64_t sw;

	if (!comp) {
		check(false, "iommu: buffer with a physical address");
		return;
	}
	reg_write32(d, 0xc0, 3);
	d_init(&x, 0x00, F, pc);
	check(run(d, &x, comp, 32) == 0,
	      "iommu: record at an unmapped bus address is not written");
	sw = reg(d, 0xc0);
	check(((sw >> 8) & 0xff) == 0x1a && reg(d, 0xd0) == pc,
	      "iommu: SWERR 0x1a at the record's address (%#" PRIx64 ")", sw);
	reg_write32(d, 0xc0, 3);
}

int main(int argc, char **argv)
{
	struct dev dsa = { .name = "dsa" }, iaa = { .name = "iaa" };

	if (argc >= 4 && !strcmp(argv[1], "--reg")) {
		struct dev d = { .name = argv[2] };
		unsigned long off = strtoul(argv[3], NULL, 0);

		if (off > 0x4000 - 8 || off % 4 || find_dev(argv[2], &d)) {
			fprintf(stderr, "no register %s of device %s\n",
				argv[3], argv[2]);
			return 1;
		}
		if (argc >= 5)
			reg_write32(&d, off, strtoul(argv[4], NULL, 0));
		else
			printf("0x%016" PRIX64 "\n", reg(&d, off));
		return 0;
	}
	printf("TAP version 13\n");
	if (find_dev("0x0b25", &dsa) || find_dev("0x0cfe", &iaa)) {
		printf("1..1\nnot ok 1 the model's BARs cannot be mapped\n");
		return 1;
	}
	if (argc > 1 && !strcmp(argv[1], "--iommu")) {
		test_iommu(&dsa);
		printf("1..%d\n", tests);
		return failures ? 1 : 0;
	}
	/* The count is printed at the end: cases depend on the devices. */
	test_dsa(&dsa);
	test_iaa(&iaa);
	printf("1..%d\n", tests);
	return failures ? 1 : 0;
}
