// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for a region's DMA mapping: how pages split into runs of
 * physically contiguous pages, when runs give way to one address per
 * page, how a page's bus address is found, and that the work queues of
 * one device share one mapping.
 */
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "../migaccel.h"

/* ---- migaccel_region: runs, the fallback threshold, lookups ---- */

/*
 * Page frame numbers only: with SPARSEMEM_VMEMMAP, pfn_to_page() and
 * page_to_pfn() are arithmetic, so no such page needs to exist.
 */
struct runs_case {
	const char *name;
	u32 nr;
	unsigned long pfn[12];
	unsigned long max_pages;
	u32 nr_runs;
	u32 run_start[13];
};

static const struct runs_case runs_cases[] = {
	{ "single_page", 1, { 100 }, ULONG_MAX, 1, { 0, 1 } },
	{ "contiguous", 8, { 512, 513, 514, 515, 516, 517, 518, 519 },
	  ULONG_MAX, 1, { 0, 8 } },
	{ "fragmented", 6, { 10, 12, 14, 16, 18, 20 }, ULONG_MAX, 6,
	  { 0, 1, 2, 3, 4, 5, 6 } },
	/* Adjacent frames in the wrong order are no run. */
	{ "descending", 4, { 9, 8, 7, 6 }, ULONG_MAX, 4, { 0, 1, 2, 3, 4 } },
	{ "mixed", 10, { 1024, 1025, 1026, 7, 2048, 2049, 2050, 2051, 9, 10 },
	  ULONG_MAX, 4, { 0, 3, 4, 8, 10 } },
	/* One frame twice (the same page mapped twice by the caller). */
	{ "repeated_page", 3, { 5, 5, 6 }, ULONG_MAX, 2, { 0, 1, 3 } },
	/* A device that maps at most 3 pages at once splits a long run. */
	{ "split_by_max_mapping", 8, { 64, 65, 66, 67, 68, 69, 70, 71 }, 3, 3,
	  { 0, 3, 6, 8 } },
};

KUNIT_ARRAY_PARAM_DESC(runs, runs_cases, name);

static void region_runs_split_at_discontinuities(struct kunit *test)
{
	const struct runs_case *c = test->param_value;
	struct page *pages[ARRAY_SIZE(c->pfn)];
	u32 run_start[ARRAY_SIZE(c->run_start)];
	u32 i, n;

	for (i = 0; i < c->nr; i++)
		pages[i] = pfn_to_page(c->pfn[i]);
	KUNIT_EXPECT_EQ(test, migaccel_region_runs(pages, c->nr, c->max_pages,
						   NULL), c->nr_runs);
	memset(run_start, 0xff, sizeof(run_start));
	n = migaccel_region_runs(pages, c->nr, c->max_pages, run_start);
	KUNIT_ASSERT_EQ(test, n, c->nr_runs);
	for (i = 0; i <= n; i++)
		KUNIT_EXPECT_EQ_MSG(test, run_start[i], c->run_start[i],
				    "run_start[%u]", i);
	/* Exactly count + 1 entries written. */
	if (n + 1 < ARRAY_SIZE(run_start))
		KUNIT_EXPECT_EQ(test, run_start[n + 1], U32_MAX);
}

struct threshold_case {
	const char *name;
	u32 nr_runs;
	u32 nr_pages;
	bool by_runs;
};

/* A run costs 12 bytes and the index 4 more; a page 8. */
static const struct threshold_case threshold_cases[] = {
	{ "one_page", 1, 1, false },
	{ "two_pages_one_run", 1, 2, true },
	{ "three_pages_two_runs", 2, 3, false },
	{ "thp_2m", 1, 512, true },
	{ "at_threshold", 341, 512, true },
	{ "past_threshold", 342, 512, false },
	{ "every_page_a_run", 512, 512, false },
	{ "gib_of_thp", 512, 262144, true },
	{ "gib_of_4k", 262144, 262144, false },
};

KUNIT_ARRAY_PARAM_DESC(threshold, threshold_cases, name);

static void region_dma_runs_only_when_smaller(struct kunit *test)
{
	const struct threshold_case *c = test->param_value;
	static u32 some_runs[1];
	struct migaccel_region_dma m = { .nr_maps = c->nr_runs };
	size_t runs = (size_t)c->nr_runs * 12 + 4;
	size_t pages = (size_t)c->nr_pages * 8;

	KUNIT_EXPECT_EQ(test, migaccel_region_dma_by_runs(c->nr_runs,
							  c->nr_pages),
			c->by_runs);
	/* Whichever is chosen, it is never more than a page array. */
	m.run_start = c->by_runs ? some_runs : NULL;
	KUNIT_EXPECT_EQ(test, migaccel_region_dma_bytes(&m, c->nr_pages),
			c->by_runs ? runs : pages);
	KUNIT_EXPECT_LE(test, migaccel_region_dma_bytes(&m, c->nr_pages),
			pages);
}

/* Runs of 3, 1, 4 and 2 pages at made-up, unrelated bus addresses. */
static const u32 lookup_start[] = { 0, 3, 4, 8, 10 };
static const dma_addr_t lookup_addr[] = {
	0x100000, 0x7000, 0x40000000, 0x2000,
};

static dma_addr_t lookup_expected(unsigned long idx)
{
	u32 i = 0;

	while (idx >= lookup_start[i + 1])
		i++;
	return lookup_addr[i] + ((idx - lookup_start[i]) << PAGE_SHIFT);
}

static void lookup_map(struct migaccel_region_dma *m)
{
	m->nr_maps = ARRAY_SIZE(lookup_addr);
	m->run_start = (u32 *)lookup_start;
	m->addr = (dma_addr_t *)lookup_addr;
}

/* Pages in order, as a chunk names them: the hint follows. */
static void region_dma_addr_in_order(struct kunit *test)
{
	struct migaccel_region_dma m;
	unsigned long idx;
	u32 hint = 0;

	lookup_map(&m);
	for (idx = 0; idx < 10; idx++)
		KUNIT_EXPECT_EQ_MSG(test, migaccel_region_dma_addr(&m, idx, &hint),
				    lookup_expected(idx), "page %lu", idx);
	KUNIT_EXPECT_EQ(test, hint, 3);
}

/* Any order, any hint, even one past the runs: the same addresses. */
static void region_dma_addr_any_order_any_hint(struct kunit *test)
{
	static const u32 hints[] = { 0, 1, 2, 3, 4, 5, U32_MAX };
	static const unsigned long order[] = { 9, 0, 5, 3, 8, 2, 4, 7, 1, 6 };
	struct migaccel_region_dma m;
	unsigned int h, k;

	lookup_map(&m);
	for (h = 0; h < ARRAY_SIZE(hints); h++) {
		for (k = 0; k < ARRAY_SIZE(order); k++) {
			u32 hint = hints[h];

			KUNIT_EXPECT_EQ_MSG(test,
					    migaccel_region_dma_addr(&m, order[k],
								     &hint),
					    lookup_expected(order[k]),
					    "page %lu hint %u", order[k],
					    hints[h]);
			KUNIT_EXPECT_LT(test, hint, m.nr_maps);
		}
	}
	for (k = 0; k < 10; k++)
		KUNIT_EXPECT_EQ(test, migaccel_region_dma_run(&m, k),
				k < 3 ? 0 : k < 4 ? 1 : k < 8 ? 2 : 3);
}

/* Without runs, each page has its own address, hint or not. */
static void region_dma_addr_per_page(struct kunit *test)
{
	static dma_addr_t addr[] = { 0x9000, 0x3000, 0x5000 };
	struct migaccel_region_dma m = { .nr_maps = 3, .addr = addr };
	u32 hint = 7;

	KUNIT_EXPECT_EQ(test, migaccel_region_dma_addr(&m, 1, &hint), 0x3000);
	KUNIT_EXPECT_EQ(test, migaccel_region_dma_addr(&m, 2, &hint), 0x5000);
	KUNIT_EXPECT_EQ(test, migaccel_region_dma_addr(&m, 0, &hint), 0x9000);
}

/* A device of the KUnit bus, DMA through the direct mapping. */
static struct device *dma_device(struct kunit *test, const char *name)
{
	struct device *dev = kunit_device_register(test, name);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	dev->dma_mask = &dev->coherent_dma_mask;
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)),
			0);
	return dev;
}

static void free_order3(void *p)
{
	__free_pages(p, 3);
}

/*
 * A region of 10 pages: the two halves of an 8-page block, swapped (two
 * runs however the allocator placed them), then the same page twice.
 */
static struct migaccel_region *test_region(struct kunit *test)
{
	struct migaccel_region *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct page *block = alloc_pages(GFP_KERNEL, 3);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_NOT_NULL(test, block);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, free_order3,
							block), 0);
	r->nr_pages = 10;
	r->pages = kunit_kcalloc(test, r->nr_pages, sizeof(*r->pages),
				 GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r->pages);
	for (i = 0; i < 8; i++)
		r->pages[i] = block + (i + 4) % 8;
	r->pages[8] = block;
	r->pages[9] = block;
	return r;
}

/*
 * Work queues 0 and 1 of one device share a mapping; work queue 2 of
 * another device has its own; the addresses are the pages' (no IOMMU in
 * the KUnit VM); the last work queue of a device unmaps it.
 */
static void region_dma_one_mapping_per_device(struct kunit *test)
{
	struct device *dsa = dma_device(test, "kunit-dsa");
	struct device *iaa = dma_device(test, "kunit-iaa");
	struct migaccel_region *r = test_region(test);
	struct migaccel_region_dma *m;
	unsigned long idx;
	u32 devices, hint = 0;
	u64 bytes;

	mutex_lock(&migaccel_regions_lock);
	KUNIT_ASSERT_EQ(test, migaccel_region_dma_get(r, 0, dsa), 0);
	KUNIT_ASSERT_EQ(test, migaccel_region_dma_get(r, 1, dsa), 0);
	/* Offered twice (an engine appearing during registration). */
	KUNIT_ASSERT_EQ(test, migaccel_region_dma_get(r, 1, dsa), 0);
	KUNIT_ASSERT_EQ(test, migaccel_region_dma_get(r, 2, iaa), 0);
	m = r->dma[0];
	KUNIT_EXPECT_PTR_EQ(test, r->dma[1], m);
	KUNIT_EXPECT_PTR_NE(test, r->dma[2], m);
	KUNIT_EXPECT_EQ(test, m->users, 2);
	KUNIT_EXPECT_EQ(test, r->dma[2]->users, 1);
	/* Runs: pages 4-7, pages 0-3, page 0, page 0 again. */
	KUNIT_EXPECT_EQ(test, m->nr_maps, 4);
	KUNIT_EXPECT_NOT_NULL(test, m->run_start);
	for (idx = 0; idx < r->nr_pages; idx++)
		KUNIT_EXPECT_EQ_MSG(test, migaccel_region_dma_addr(m, idx, &hint),
				    (dma_addr_t)page_to_phys(r->pages[idx]),
				    "page %lu", idx);
	migaccel_region_meta(r, &bytes, &devices);
	KUNIT_EXPECT_EQ(test, devices, 2);
	KUNIT_EXPECT_EQ(test, bytes, 10 * 8 + 2 * (4 * 12 + 4));

	migaccel_region_dma_put(r, 0);
	KUNIT_EXPECT_NULL(test, r->dma[0]);
	KUNIT_EXPECT_PTR_EQ(test, r->dma[1], m);
	KUNIT_EXPECT_EQ(test, m->users, 1);
	/* Put twice (removed engine, then the region): nothing more. */
	migaccel_region_dma_put(r, 0);
	migaccel_region_dma_put(r, 1);
	migaccel_region_dma_put(r, 2);
	migaccel_region_meta(r, &bytes, &devices);
	mutex_unlock(&migaccel_regions_lock);
	KUNIT_EXPECT_EQ(test, devices, 0);
	KUNIT_EXPECT_EQ(test, bytes, 10 * 8);
	KUNIT_EXPECT_NULL(test, r->dma[1]);
	KUNIT_EXPECT_NULL(test, r->dma[2]);
}

/* Fragmented pages: one address per page, the page array's size. */
static void region_dma_fragmented_maps_pages(struct kunit *test)
{
	struct device *dsa = dma_device(test, "kunit-dsa");
	struct migaccel_region *r = test_region(test);
	struct migaccel_region_dma *m;
	unsigned long idx;
	u32 devices, hint = 0;
	u64 bytes;

	/* 3 pages, 2 runs: 28 bytes of runs against 24 of pages. */
	r->nr_pages = 3;
	r->pages[0] = r->pages[4];	/* block + 0 */
	r->pages[1] = r->pages[5];	/* block + 1 */
	r->pages[2] = r->pages[4];
	mutex_lock(&migaccel_regions_lock);
	KUNIT_ASSERT_EQ(test, migaccel_region_dma_get(r, 5, dsa), 0);
	m = r->dma[5];
	KUNIT_EXPECT_NULL(test, m->run_start);
	KUNIT_EXPECT_EQ(test, m->nr_maps, 3);
	for (idx = 0; idx < r->nr_pages; idx++)
		KUNIT_EXPECT_EQ(test, migaccel_region_dma_addr(m, idx, &hint),
				(dma_addr_t)page_to_phys(r->pages[idx]));
	migaccel_region_meta(r, &bytes, &devices);
	migaccel_region_dma_put(r, 5);
	mutex_unlock(&migaccel_regions_lock);
	KUNIT_EXPECT_EQ(test, devices, 1);
	KUNIT_EXPECT_EQ(test, bytes, 3 * 8 + 3 * 8);
}

static struct kunit_case migaccel_region_cases[] = {
	KUNIT_CASE_PARAM(region_runs_split_at_discontinuities, runs_gen_params),
	KUNIT_CASE_PARAM(region_dma_runs_only_when_smaller,
			 threshold_gen_params),
	KUNIT_CASE(region_dma_addr_in_order),
	KUNIT_CASE(region_dma_addr_any_order_any_hint),
	KUNIT_CASE(region_dma_addr_per_page),
	KUNIT_CASE(region_dma_one_mapping_per_device),
	KUNIT_CASE(region_dma_fragmented_maps_pages),
	{}
};

static struct kunit_suite migaccel_region_suite = {
	.name = "migaccel_region",
	.test_cases = migaccel_region_cases,
};

kunit_test_suites(&migaccel_region_suite);
