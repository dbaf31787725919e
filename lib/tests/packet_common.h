/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * What a correct migaccel_packet_compress() result is, checked against
 * independent references: the zero bit of every page by a byte loop, every
 * compressed stream by zlib's inflate, and the packing exactly as
 * migaccel_packet_compress(3) states it.
 */
#ifndef MIGACCEL_TEST_PACKET_COMMON_H
#define MIGACCEL_TEST_PACKET_COMMON_H

#include "ops_common.h"

/*
 * Is @res (and @out, @used) the packet of @pages?  Zero pages are
 * reported zero; each other page compressed or raw; the compressed
 * streams lie back to back from offset 0 in page order, summing to
 * @used, and each inflates to its page.  Returns false after a diagnostic.
 */
static inline bool packet_ok(void *const *pages, unsigned int nr,
			     const unsigned char *out, int used,
			     const struct migaccel_page_out *res)
{
	unsigned char page[PAGE];
	uint64_t next = 0;
	unsigned int i;

	if (used < 0) {
		tap_diag("packet failed: %d", used);
		return false;
	}
	for (i = 0; i < nr; i++) {
		const struct migaccel_page_out *r = &res[i];
		bool zero = ref_page_is_zero(pages[i]);

		if ((r->kind == MIGACCEL_PAGE_ZERO) != zero) {
			tap_diag("page %u: kind %u, zero %d", i, r->kind, zero);
			return false;
		}
		if (r->kind == MIGACCEL_PAGE_ZERO ||
		    r->kind == MIGACCEL_PAGE_RAW) {
			if (r->length || r->offset) {
				tap_diag("page %u: kind %u with length %u "
					 "offset %llu", i, r->kind, r->length,
					 (unsigned long long)r->offset);
				return false;
			}
			continue;
		}
		if (r->kind != MIGACCEL_PAGE_COMPRESSED || !r->length ||
		    r->length >= PAGE || r->offset != next) {
			tap_diag("page %u: kind %u length %u offset %llu, "
				 "expected offset %llu", i, r->kind, r->length,
				 (unsigned long long)r->offset,
				 (unsigned long long)next);
			return false;
		}
		if (zlib_inflate_page(out + r->offset, r->length, page) ||
		    memcmp(page, pages[i], PAGE)) {
			tap_diag("page %u: stream does not inflate to it", i);
			return false;
		}
		next += r->length;
	}
	if (next != (uint64_t)used) {
		tap_diag("streams sum to %llu, call returned %d",
			 (unsigned long long)next, used);
		return false;
	}
	return true;
}

#endif /* MIGACCEL_TEST_PACKET_COMMON_H */
