// SPDX-License-Identifier: GPL-2.0
/*
 * The operations done on the CPU: by the soft engine, which executes
 * descriptors with them, and by the completion path, which finishes what
 * an engine left undone.  One page at a time, on kernel addresses.
 *
 * Deflate is the kernel's zlib with a 4 KiB window (windowBits -12: raw,
 * no wrapper), the history an IAA engine has; inflate uses the same window,
 * so a stream the hardware could not decompress is refused here too.
 * zlib needs a large workspace: a small pool of them, one per possible
 * CPU, each behind a mutex, is shared by every caller.
 */
#include <linux/crc32c.h>
#include <linux/kasan-checks.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <linux/vmalloc.h>
#include <linux/zlib.h>
#include <kunit/visibility.h>
#ifdef CONFIG_X86_64
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#endif

#include "migaccel.h"

#define CPU_WBITS	12
#define CPU_MEMLEVEL	8
#define CPU_LEVEL	1

/**
 * struct zlib_slot - one zlib workspace
 * @lock: protects @strm; leaf lock
 * @strm: the stream; workspace sized for both deflate and inflate
 */
struct zlib_slot {
	struct mutex lock; /* protects strm */
	struct z_stream_s strm;
};

static struct zlib_slot *zlib_slots;
static unsigned int nr_zlib_slots;

static struct zlib_slot *zlib_get(void)
{
	struct zlib_slot *slot;

	slot = &zlib_slots[raw_smp_processor_id() % nr_zlib_slots];
	mutex_lock(&slot->lock);
	return slot;
}

static void zlib_put(struct zlib_slot *slot)
{
	mutex_unlock(&slot->lock);
}

/**
 * migaccel_zero_prefix_words() - migaccel_zero_prefix() without SIMD
 * @p: data
 * @len: bytes
 *
 * memchr_inv(), which compares a word at a time, rounded down to 256.
 *
 * Context: any.
 * Return: as migaccel_zero_prefix().
 */
size_t migaccel_zero_prefix_words(const void *p, size_t len)
{
	size_t whole = len & ~(size_t)255;
	const u8 *nz = memchr_inv(p, 0, whole);

	return nz ? (nz - (const u8 *)p) & ~(size_t)255 : whole;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_zero_prefix_words);

#ifdef CONFIG_X86_64
static bool zero_use_avx2 __ro_after_init;

asmlinkage size_t migaccel_zero_prefix_avx2(const void *p, size_t len);

static void zero_avx2_init(void)
{
	zero_use_avx2 = boot_cpu_has(X86_FEATURE_AVX2) &&
			cpu_has_xfeatures(XFEATURE_MASK_SSE | XFEATURE_MASK_YMM,
					  NULL);
}
#else
static void zero_avx2_init(void)
{
}
#endif

/**
 * migaccel_zero_prefix() - how much of a buffer is zero, 256 bytes a step
 * @p: data
 * @len: bytes
 *
 * The soft engine's zero scan and the completion path's zero check, with
 * AVX2 where the CPU has it and the FPU is usable (the kernel's own SIMD
 * rule: kernel_fpu_begin() around it, a page at a time).  KASAN checks
 * the range here, since the assembly is not instrumented.
 *
 * Context: any but NMI.
 * Return: the offset, a multiple of 256, of the first 256 bytes of @p
 * that are not all zero; or @len rounded down to 256 if there are none.
 */
size_t migaccel_zero_prefix(const void *p, size_t len)
{
#ifdef CONFIG_X86_64
	size_t whole = len & ~(size_t)255, done = 0, n, step;

	if (zero_use_avx2 && whole && irq_fpu_usable()) {
		kasan_check_read(p, whole);
		do {
			step = min_t(size_t, whole - done, MIGACCEL_FPU_CHUNK);
			kernel_fpu_begin();
			n = migaccel_zero_prefix_avx2(p + done, step);
			kernel_fpu_end();
			done += n;
		} while (n == step && done < whole);
		return done;
	}
#endif
	return migaccel_zero_prefix_words(p, len);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_zero_prefix);

/**
 * migaccel_zero_prefix_simd() - does migaccel_zero_prefix() use AVX2?
 *
 * Context: any, after migaccel_cpu_init().
 * Return: true if the CPU has AVX2 and the kernel saves YMM state (it still
 * falls back to words where the FPU is unusable).
 */
bool migaccel_zero_prefix_simd(void)
{
#ifdef CONFIG_X86_64
	return zero_use_avx2;
#else
	return false;
#endif
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_zero_prefix_simd);

/**
 * migaccel_cpu_zero() - is a page zero from an offset to its end?
 * @page: kernel address of the page
 * @from: offset before which the bytes are known to be zero
 *
 * Context: any but NMI.
 * Return: true if every byte from @from on is zero.
 */
bool migaccel_cpu_zero(const void *page, u32 from)
{
	u32 n = migaccel_zero_prefix(page + from, MIGACCEL_PAGE_SIZE - from);

	return !memchr_inv(page + from + n, 0, MIGACCEL_PAGE_SIZE - from - n);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_cpu_zero);

/**
 * migaccel_cpu_crc32c() - CRC32C in the convention of DSA CRC generation
 * @seed: the CRC to continue from; 0 to start
 * @p: data
 * @len: bytes
 *
 * Context: any.
 * Return: ~crc32c(~@seed, @p): the RFC 3720 CRC32C of @p when @seed is 0.
 */
u32 migaccel_cpu_crc32c(u32 seed, const void *p, u32 len)
{
	return ~crc32c(~seed, p, len);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_cpu_crc32c);

/**
 * migaccel_cpu_crc64() - CRC-64/WE, as IAA CRC64 with invert and MSB first
 * @p: data
 * @len: bytes
 *
 * Context: any; folds with PCLMULQDQ where the CPU and context allow
 * (migaccel_crc64_be()).
 * Return: the CRC.
 */
u64 migaccel_cpu_crc64(const void *p, u32 len)
{
	return ~migaccel_crc64_be(~0ull, p, len);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_cpu_crc64);

/**
 * migaccel_cpu_delta_create() - create (or continue) a DSA delta record
 * @old: the old page
 * @new: the new page
 * @from: offset to compare from, a multiple of 8; the record already holds
 *	the entries of the words before it
 * @rec: the record
 * @rec_size: bytes of @rec already written
 * @max: size of @rec
 *
 * Context: any.
 * Return: the record size, or -ENOSPC when it would exceed @max (the
 * bytes of @rec past @rec_size may then have been written).
 */
int migaccel_cpu_delta_create(const void *old, const void *new, u32 from,
			      u8 *rec, u32 rec_size, u32 max)
{
	u32 off;

	for (off = from; off < MIGACCEL_PAGE_SIZE; off += 8) {
		u64 a = get_unaligned((const u64 *)(old + off));
		u64 b = get_unaligned((const u64 *)(new + off));

		if (a == b)
			continue;
		if (rec_size + MIGACCEL_DELTA_ENTRY_SIZE > max)
			return -ENOSPC;
		put_unaligned_le16(off / 8, rec + rec_size);
		put_unaligned(b, (u64 *)(rec + rec_size + 2));
		rec_size += MIGACCEL_DELTA_ENTRY_SIZE;
	}
	return rec_size;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_cpu_delta_create);

/**
 * migaccel_cpu_delta_check() - is a delta record valid for a buffer?
 * @rec: the record
 * @size: its size
 * @len: size of the buffer it patches
 *
 * Context: any.
 * Return: 0, or -EINVAL when the size is not a whole number of entries,
 * the record is empty or larger than the buffer allows, or its offsets do
 * not increase strictly within the buffer.
 */
int migaccel_cpu_delta_check(const u8 *rec, u32 size, u32 len)
{
	u32 i, prev = 0;

	if (!size || size % MIGACCEL_DELTA_ENTRY_SIZE ||
	    size / MIGACCEL_DELTA_ENTRY_SIZE > len / 8)
		return -EINVAL;
	for (i = 0; i < size; i += MIGACCEL_DELTA_ENTRY_SIZE) {
		u32 off = get_unaligned_le16(rec + i);

		if (off >= len / 8 || (i && off <= prev))
			return -EINVAL;
		prev = off;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_cpu_delta_check);

/**
 * migaccel_cpu_delta_apply() - apply a checked delta record to a page
 * @page: the page
 * @rec: a record migaccel_cpu_delta_check() accepted
 * @size: its size
 *
 * Context: any.
 */
void migaccel_cpu_delta_apply(void *page, const u8 *rec, u32 size)
{
	u32 i;

	for (i = 0; i < size; i += MIGACCEL_DELTA_ENTRY_SIZE) {
		u32 off = get_unaligned_le16(rec + i) * 8;

		memcpy(page + off, rec + i + 2, 8);
	}
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_cpu_delta_apply);

/**
 * migaccel_cpu_compress() - raw deflate of one page, 4 KiB window
 * @page: the page
 * @out: output buffer
 * @max: its size
 *
 * Context: process context; sleeps for a workspace.
 * Return: the compressed size, -ENOSPC when it needs more than @max bytes,
 * or -EIO on a zlib failure.
 */
int migaccel_cpu_compress(const void *page, void *out, u32 max)
{
	struct zlib_slot *slot = zlib_get();
	struct z_stream_s *strm = &slot->strm;
	int ret;

	ret = zlib_deflateInit2(strm, CPU_LEVEL, Z_DEFLATED, -CPU_WBITS,
				CPU_MEMLEVEL, Z_DEFAULT_STRATEGY);
	if (ret != Z_OK) {
		ret = -EIO;
		goto put;
	}
	strm->next_in = page;
	strm->avail_in = MIGACCEL_PAGE_SIZE;
	strm->next_out = out;
	strm->avail_out = max;
	ret = zlib_deflate(strm, Z_FINISH);
	if (ret == Z_STREAM_END)
		ret = strm->total_out;
	else
		ret = ret == Z_OK || ret == Z_BUF_ERROR ? -ENOSPC : -EIO;
	zlib_deflateEnd(strm);
put:
	zlib_put(slot);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_cpu_compress);

/**
 * migaccel_cpu_inflate() - inflate a raw deflate stream as IAA does
 * @in: the stream
 * @len: its size
 * @out: output buffer; written even when the stream turns out bad
 * @max: its size
 * @first_eob: stop at the end of the first block (IAA's stop-on-EOB
 *	without "select BFINAL EOB"); else at the end of the final block
 * @out_size: set to the bytes written to @out
 *
 * Bytes after the block it stops at are ignored.
 *
 * Context: process context; sleeps for a workspace.
 * Return: 0; -ENOSPC when the output exceeds @max; -EBADMSG for a stream
 * that is bad or ends before the block it must stop at; -EIO on a zlib
 * failure.
 */
int migaccel_cpu_inflate(const void *in, u32 len, void *out, u32 max,
			 bool first_eob, u32 *out_size)
{
	struct zlib_slot *slot = zlib_get();
	struct z_stream_s *strm = &slot->strm;
	int ret;

	*out_size = 0;
	ret = zlib_inflateInit2(strm, -CPU_WBITS);
	if (ret != Z_OK) {
		ret = -EIO;
		goto put;
	}
	strm->next_in = in;
	strm->avail_in = len;
	strm->next_out = out;
	strm->avail_out = max;
	/*
	 * A raw stream starts in a block, and Z_BLOCK returns at the first
	 * block boundary (data_type bit 7); Z_FINISH runs to the final one.
	 */
	ret = zlib_inflate(strm, first_eob ? Z_BLOCK : Z_FINISH);
	if (ret == Z_STREAM_END || (first_eob && ret == Z_OK &&
				    (strm->data_type & 128)))
		ret = 0;
	else if (ret == Z_OK || ret == Z_BUF_ERROR)
		ret = strm->avail_out ? -EBADMSG : -ENOSPC;
	else
		ret = -EBADMSG;
	*out_size = strm->total_out;
	zlib_inflateEnd(strm);
put:
	zlib_put(slot);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_cpu_inflate);

/**
 * migaccel_cpu_decompress() - inflate a raw deflate stream into one page
 * @in: the stream
 * @len: its size
 * @page: output page; written even when the stream turns out bad
 *
 * Context: process context; sleeps for a workspace.
 * Return: 0 when the stream ends with its final block having produced
 * exactly one page; -EBADMSG otherwise.  Bytes after the final block are
 * ignored, as IAA does when told to stop at the end of the final block.
 */
int migaccel_cpu_decompress(const void *in, u32 len, void *page)
{
	u32 size;
	int ret;

	ret = migaccel_cpu_inflate(in, len, page, MIGACCEL_PAGE_SIZE, false,
				   &size);
	if (ret == -EIO)
		return ret;
	return !ret && size == MIGACCEL_PAGE_SIZE ? 0 : -EBADMSG;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_cpu_decompress);

/**
 * migaccel_cpu_init() - allocate the zlib workspaces, set up CRC64
 *
 * Context: module init.
 * Return: 0 or -ENOMEM.
 */
int migaccel_cpu_init(void)
{
	size_t size = max_t(size_t,
			    zlib_deflate_workspacesize(-CPU_WBITS, CPU_MEMLEVEL),
			    zlib_inflate_workspacesize());
	unsigned int i;

	migaccel_crc64_init();
	zero_avx2_init();
	nr_zlib_slots = num_possible_cpus();
	zlib_slots = kcalloc(nr_zlib_slots, sizeof(*zlib_slots), GFP_KERNEL);
	if (!zlib_slots)
		return -ENOMEM;
	for (i = 0; i < nr_zlib_slots; i++) {
		mutex_init(&zlib_slots[i].lock);
		zlib_slots[i].strm.workspace = vmalloc(size);
		if (!zlib_slots[i].strm.workspace)
			goto free_slots;
	}
	return 0;

free_slots:
	while (i--)
		vfree(zlib_slots[i].strm.workspace);
	kfree(zlib_slots);
	return -ENOMEM;
}

/**
 * migaccel_cpu_exit() - free the zlib workspaces
 *
 * Context: module exit, once nothing runs.
 */
void migaccel_cpu_exit(void)
{
	unsigned int i;

	for (i = 0; i < nr_zlib_slots; i++)
		vfree(zlib_slots[i].strm.workspace);
	kfree(zlib_slots);
}
