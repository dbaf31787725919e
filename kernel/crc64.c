// SPDX-License-Identifier: GPL-2.0
/*
 * CRC-64 with the ECMA-182 polynomial P = x^64 + 0x42f0e1eba9ea3693, MSB
 * first: what the kernel's crc64_be() computes, a byte at a time from a
 * table.  On x86-64 CPUs with PCLMULQDQ and SSSE3 (PSHUFB), the multiples
 * of 16 bytes of buffers of at least CRC64_PCLMUL_MIN bytes are folded 64
 * bytes at a time by crc64-pclmul.S instead; the rest, and every buffer when
 * the FPU cannot be used, go through crc64_be().
 *
 * The folding constants are powers of x modulo P and the Barrett constant
 * floor(x^128 / P), computed at init with the shift-and-reduce of a CRC
 * register rather than written out.
 */
#include <linux/crc64.h>
#include <linux/kernel.h>
#include <kunit/visibility.h>

#ifdef CONFIG_X86_64
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#endif

#include "migaccel.h"

/* P - x^64: the polynomial of crc64_be() without its x^64 term */
#define CRC64_POLY		MIGACCEL_CRC64_POLY

/* Shorter buffers are not worth the FPU state save. */
#define CRC64_PCLMUL_MIN	64

/**
 * migaccel_crc64_xpow() - a power of x modulo the CRC-64 polynomial
 * @n: the exponent
 *
 * Multiplies 1 by x @n times, reducing by P whenever x^64 appears: the
 * carry-less arithmetic of a CRC register shifting in zero bits.
 *
 * Context: any; O(@n).
 * Return: x^@n mod P, bit i the coefficient of x^i.
 */
u64 migaccel_crc64_xpow(unsigned int n)
{
	u64 r = 1;

	while (n--)
		r = (r << 1) ^ (r >> 63 ? CRC64_POLY : 0);
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_crc64_xpow);

/**
 * migaccel_crc64_mu() - the Barrett constant of the CRC-64 polynomial
 *
 * The long division of x^128 by P: after the quotient's x^64 term, its
 * coefficient of x^(63 - j) is that of x^63 in x^(64 + j) mod P, the
 * remainder so far, which is then multiplied by x and reduced.
 *
 * Context: any.
 * Return: floor(x^128 / P) - x^64: the 64 low coefficients.
 */
u64 migaccel_crc64_mu(void)
{
	u64 r = CRC64_POLY, mu = 0;
	int i;

	for (i = 63; i >= 0; i--) {
		mu |= (r >> 63) << i;
		r = (r << 1) ^ (r >> 63 ? CRC64_POLY : 0);
	}
	return mu;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_crc64_mu);

#ifdef CONFIG_X86_64
/**
 * struct crc64_keys - the constants of crc64-pclmul.S
 * @fold4: x^512 and x^576 mod P: move an accumulator 64 bytes on
 * @fold1: x^128 and x^192 mod P: move it 16 bytes on
 * @barrett: floor(x^128 / P) - x^64 and P - x^64
 *
 * Each pair is one 128-bit operand, low quadword first; the layout is
 * the assembly's KEY_* offsets.
 */
struct crc64_keys {
	u64 fold4[2];
	u64 fold1[2];
	u64 barrett[2];
} __aligned(16);

static struct crc64_keys crc64_keys __ro_after_init;
static bool crc64_use_pclmul __ro_after_init;

asmlinkage u64 migaccel_crc64_pclmul(u64 crc, const u8 *p, size_t len,
				     const struct crc64_keys *keys);

static void crc64_pclmul_init(void)
{
	crc64_keys.fold4[0] = migaccel_crc64_xpow(512);
	crc64_keys.fold4[1] = migaccel_crc64_xpow(576);
	crc64_keys.fold1[0] = migaccel_crc64_xpow(128);
	crc64_keys.fold1[1] = migaccel_crc64_xpow(192);
	crc64_keys.barrett[0] = migaccel_crc64_mu();
	crc64_keys.barrett[1] = CRC64_POLY;
	crc64_use_pclmul = boot_cpu_has(X86_FEATURE_PCLMULQDQ) &&
			   boot_cpu_has(X86_FEATURE_SSSE3);
}

/* The CRC of the longest prefix the assembly can take; *len is what is left. */
static u64 crc64_pclmul(u64 crc, const u8 **p, size_t *len)
{
	size_t n;

	if (*len < CRC64_PCLMUL_MIN || !crc64_use_pclmul || !irq_fpu_usable())
		return crc;
	do {
		n = min_t(size_t, *len, MIGACCEL_FPU_CHUNK) & ~(size_t)15;
		kernel_fpu_begin();
		crc = migaccel_crc64_pclmul(crc, *p, n, &crc64_keys);
		kernel_fpu_end();
		*p += n;
		*len -= n;
	} while (*len >= CRC64_PCLMUL_MIN);
	return crc;
}
#else
static void crc64_pclmul_init(void)
{
}

static u64 crc64_pclmul(u64 crc, const u8 **p, size_t *len)
{
	return crc;
}
#endif

/**
 * migaccel_crc64_be() - crc64_be(), faster where the CPU allows
 * @crc: the CRC to continue from (not inverted)
 * @p: data
 * @len: bytes
 *
 * Context: any; the PCLMULQDQ path only where irq_fpu_usable(), for
 * buffers of at least 64 bytes.
 * Return: crc64_be(@crc, @p, @len).
 */
u64 migaccel_crc64_be(u64 crc, const void *p, size_t len)
{
	const u8 *b = p;

	crc = crc64_pclmul(crc, &b, &len);
	return crc64_be(crc, b, len);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_crc64_be);

/**
 * migaccel_crc64_pclmul_enabled() - does migaccel_crc64_be() fold?
 *
 * Context: any, after migaccel_crc64_init().
 * Return: true if the CPU has what the PCLMULQDQ path needs (it still
 * falls back to crc64_be() where the FPU is unusable).
 */
bool migaccel_crc64_pclmul_enabled(void)
{
#ifdef CONFIG_X86_64
	return crc64_use_pclmul;
#else
	return false;
#endif
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_crc64_pclmul_enabled);

/**
 * migaccel_crc64_init() - compute the folding constants, check the CPU
 *
 * Context: module init, before any CRC64.
 */
void migaccel_crc64_init(void)
{
	crc64_pclmul_init();
}
