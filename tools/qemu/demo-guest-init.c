// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the guest that make demo migrates between two QEMUs.
 *
 * It fills demo_mb MiB of its memory with a mix of pages (zero, text-like,
 * random, in the proportions of tools/migaccel-bench), keeps a checksum of
 * every page, prints "migaccel-demo: ready" and then rewrites a working
 * set of ws_mb MiB over and over (new contents, new checksums) so that the
 * migration always has dirty pages.  It tells the source from the
 * destination by the fw_cfg file opt/migaccel/side, which the demo sets to
 * "src" on the source QEMU and "dst" on the destination: once it reads
 * "dst" it has been migrated, stops dirtying, checks every page against
 * its checksum, prints "migaccel-demo: intact" or "migaccel-demo: NOT
 * intact" and powers the machine off.
 *
 * selftest=N checks the pages after N rounds without any migration.
 * demo_mb=, ws_mb= and zero=/text= (percentages) come from the
 * kernel command line, which the kernel passes to init as environment.
 * The checksums live in guest memory too and migrate with the pages; the
 * vCPU state migrates with them, so a rewrite interrupted by the
 * switch-over completes on the destination before the check.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u
#define FW_CFG_CTL 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_FILE_DIR 0x19

enum kind { KIND_ZERO, KIND_TEXT, KIND_RANDOM };

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* FNV-1a over 64-bit words: any changed byte changes it. */
static uint64_t page_sum(const uint64_t *p)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned int i;

	for (i = 0; i < PAGE / 8; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static const char *const words[] = {
	"migration", "page", "guest", "memory", "the", "of", "and", "dirty",
	"channel", "packet", "zero", "deflate", "kernel", "module", "offload",
	"device", "queue", "batch", "window", "stream", "a", "to", "is", "in",
};

static void fill(unsigned char *page, enum kind kind, uint64_t seed)
{
	unsigned int n = 0, i;
	uint64_t x = seed;

	switch (kind) {
	case KIND_ZERO:
		memset(page, 0, PAGE);
		break;
	case KIND_TEXT:
		while (n < PAGE) {
			const char *w;
			size_t len;

			x = mix(x + 1);
			w = words[x % (sizeof(words) / sizeof(words[0]))];
			len = strlen(w);
			for (i = 0; i < len && n < PAGE; i++)
				page[n++] = w[i];
			if (n < PAGE)
				page[n++] = x >> 40 & 7 ? ' ' : '\n';
		}
		break;
	case KIND_RANDOM:
		for (i = 0; i < PAGE / 8; i++) {
			x = mix(x + 0x9e3779b97f4a7c15ULL);
			memcpy(page + i * 8, &x, 8);
		}
		break;
	}
}

/* The fw_cfg item selector of a named file, or 0. */
static uint16_t fw_cfg_find(const char *name)
{
	uint32_t count, i;
	unsigned char e[64];

	outw(FW_CFG_FILE_DIR, FW_CFG_CTL);
	count = 0;
	for (i = 0; i < 4; i++)
		count = count << 8 | inb(FW_CFG_DATA);
	for (i = 0; i < count && i < 4096; i++) {
		unsigned int j;

		for (j = 0; j < sizeof(e); j++)
			e[j] = inb(FW_CFG_DATA);
		if (!strncmp((char *)e + 8, name, 56))
			return (uint16_t)(e[4] << 8 | e[5]);
	}
	return 0;
}

static int is_destination(void)
{
	static uint16_t key;
	char side[3];
	unsigned int i;

	if (!key)
		key = fw_cfg_find("opt/migaccel/side");
	if (!key)
		return 0;
	outw(key, FW_CFG_CTL);
	for (i = 0; i < sizeof(side); i++)
		side[i] = (char)inb(FW_CFG_DATA);
	return !memcmp(side, "dst", 3);
}

/* Whether a page that differs holds its previous contents. */
static int is_stale(const unsigned char *page, enum kind kind, unsigned long p,
		    uint64_t gen)
{
	static unsigned char old[PAGE];

	if (!gen)
		return 0;
	fill(old, kind, gen > 1 ? mix(p ^ (gen - 1) << 20) : mix(p ^ 0xabcdef));
	return !memcmp(old, page, PAGE);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	unsigned long mb = env_ul("demo_mb", 96), ws_mb = env_ul("ws_mb", 4);
	unsigned long pz = env_ul("zero", 50), pt = env_ul("text", 30);
	unsigned long npages = mb * 1024 * 1024 / PAGE, ws, i, rounds = 0;
	unsigned long selftest = env_ul("selftest", 0);
	unsigned long counts[3] = { 0 }, bad = 0;
	unsigned char *mem, *kind;
	uint64_t *sum, *gen;
	double t0 = now();

	setvbuf(stdout, NULL, _IONBF, 0);
	if (ioperm(FW_CFG_CTL, 2, 1)) {
		perror("migaccel-demo: ioperm");
		goto off;
	}
	mem = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	sum = calloc(npages, sizeof(*sum));
	gen = calloc(npages, sizeof(*gen));
	kind = calloc(npages, 1);
	if (mem == MAP_FAILED || !sum || !gen || !kind) {
		printf("migaccel-demo: cannot allocate %lu MiB\n", mb);
		goto off;
	}
	for (i = 0; i < npages; i++) {
		unsigned long r = mix(i) % 100;

		kind[i] = r < pz ? KIND_ZERO : r < pz + pt ? KIND_TEXT :
			  KIND_RANDOM;
		counts[kind[i]]++;
		fill(mem + i * PAGE, kind[i], mix(i ^ 0xabcdef));
		sum[i] = page_sum((uint64_t *)(mem + i * PAGE));
	}
	ws = ws_mb * 1024 * 1024 / PAGE;
	if (ws > npages)
		ws = npages;
	printf("migaccel-demo: %lu MiB filled in %.1f s: %lu zero, %lu text, %lu random pages; dirtying %lu pages\n",
	       mb, now() - t0, counts[KIND_ZERO], counts[KIND_TEXT],
	       counts[KIND_RANDOM], ws);
	printf("migaccel-demo: ready\n");

	/* The working set: every page of the first ws gets new contents. */
	while (selftest ? rounds < selftest : !is_destination()) {
		for (i = 0; i < ws; i++) {
			unsigned long p = mix(rounds * ws + i) % npages;

			if (kind[p] == KIND_ZERO)
				continue;
			gen[p]++;
			fill(mem + p * PAGE, kind[p], mix(p ^ gen[p] << 20));
			sum[p] = page_sum((uint64_t *)(mem + p * PAGE));
			if (!selftest && i % 64 == 0 && is_destination())
				break;
		}
		rounds++;
	}

	for (i = 0; i < npages; i++)
		if (page_sum((uint64_t *)(mem + i * PAGE)) != sum[i]) {
			if (bad < 10)
				printf("migaccel-demo: page %lu (kind %u, generation %llu) differs%s\n",
				       i, kind[i], (unsigned long long)gen[i],
				       is_stale(mem + i * PAGE, kind[i], i, gen[i]) ?
				       ": it holds the previous generation" :
				       is_stale(mem + i * PAGE, kind[i], i, gen[i] + 1) ?
				       ": it holds the expected contents, the checksum differs" : "");
			bad++;
		}
	printf("migaccel-demo: migrated after %lu dirtying rounds; %lu pages checked, %lu differ\n",
	       rounds, npages, bad);
	printf("migaccel-demo: %s\n", bad ? "NOT intact" : "intact");
off:
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
