/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CRC-64, ECMA-182 polynomial, MSB first (crc64_be()), by folding with
 * PCLMULQDQ; after "Fast CRC Computation for Generic Polynomials Using
 * PCLMULQDQ Instruction" (Intel, 2009).
 *
 * Each 16-byte block is byte-swapped so that its first byte is the most
 * significant: bit 127 is the highest power of x.  A 128-bit accumulator
 * H * x^64 + L followed by d more bits of message stands for
 * (H * x^64 + L) * x^d; it moves d bits on, onto the block there, as
 * H * (x^(d+64) mod P) + L * (x^d mod P), a 128-bit value again.  Four
 * accumulators move 512 bits at a time; then they fold into one, which
 * moves 128 bits at a time; Barrett reduction gives the CRC.
 *
 * The constants are computed at init by crc64.c: see struct crc64_keys.
 */
#include <linux/linkage.h>

#define CRC	%rdi
#define BUF	%rsi
#define LEN	%rdx
#define KEYS	%rcx

#define KEY_FOLD4	0	/* x^512 mod P, x^576 mod P */
#define KEY_FOLD1	16	/* x^128 mod P, x^192 mod P */
#define KEY_BARRETT	32	/* floor(x^128 / P) - x^64, P - x^64 */

#define BSWAP	%xmm10
#define FOLD4	%xmm8
#define FOLD1	%xmm9

/* \reg = the 16 bytes at \off(BUF), byte-swapped */
.macro load_block off, reg
	movdqu	\off(BUF), \reg
	pshufb	BSWAP, \reg
.endm

/* \acc = \acc.hi * \key.hi + \acc.lo * \key.lo + \data; clobbers \tmp */
.macro fold acc, data, key, tmp
	movdqa	\acc, \tmp
	pclmulqdq $0x00, \key, \acc
	pclmulqdq $0x11, \key, \tmp
	pxor	\tmp, \acc
	pxor	\data, \acc
.endm

/*
 * u64 migaccel_crc64_pclmul(u64 crc, const u8 *p, size_t len,
 *			     const struct crc64_keys *keys);
 *
 * crc64_be(crc, p, len) for len a multiple of 16, at least 64.
 */
SYM_FUNC_START(migaccel_crc64_pclmul)
	movdqa	.Lbswap_mask(%rip), BSWAP
	movdqu	KEY_FOLD4(KEYS), FOLD4
	movdqu	KEY_FOLD1(KEYS), FOLD1

	/* The first 64 bytes, the CRC so far added to the first 8. */
	load_block 0, %xmm0
	load_block 16, %xmm1
	load_block 32, %xmm2
	load_block 48, %xmm3
	movq	CRC, %xmm4
	pslldq	$8, %xmm4
	pxor	%xmm4, %xmm0
	add	$64, BUF

	/* 64 bytes at a time; LEN counts the bytes left, less 64. */
	sub	$128, LEN
	jb	.Lfold4_done
.Lfold4_loop:
	load_block 0, %xmm4
	load_block 16, %xmm5
	load_block 32, %xmm6
	load_block 48, %xmm7
	fold	%xmm0, %xmm4, FOLD4, %xmm11
	fold	%xmm1, %xmm5, FOLD4, %xmm12
	fold	%xmm2, %xmm6, FOLD4, %xmm13
	fold	%xmm3, %xmm7, FOLD4, %xmm14
	add	$64, BUF
	sub	$64, LEN
	jae	.Lfold4_loop
.Lfold4_done:
	add	$64, LEN

	/* Four accumulators into one, 128 bits apart. */
	fold	%xmm0, %xmm1, FOLD1, %xmm11
	fold	%xmm0, %xmm2, FOLD1, %xmm11
	fold	%xmm0, %xmm3, FOLD1, %xmm11

	/* 16 bytes at a time. */
	sub	$16, LEN
	jb	.Lreduce
.Lfold1_loop:
	load_block 0, %xmm4
	fold	%xmm0, %xmm4, FOLD1, %xmm11
	add	$16, BUF
	sub	$16, LEN
	jae	.Lfold1_loop

.Lreduce:
	/*
	 * The CRC is (H * x^64 + L) * x^64 mod P: first
	 * Y = H * (x^128 mod P) + L * x^64, of degree below 128.
	 */
	movdqa	%xmm0, %xmm1
	pclmulqdq $0x01, FOLD1, %xmm1
	pslldq	$8, %xmm0
	pxor	%xmm1, %xmm0

	/*
	 * Barrett: with mu = floor(x^128 / P), the quotient of Y by P is
	 * T = floor(Yh * mu / x^64) = Yh + floor(Yh * (mu - x^64) / x^64),
	 * and Y mod P = the low 64 bits of Y + T * (P - x^64).
	 */
	movdqu	KEY_BARRETT(KEYS), %xmm2
	movdqa	%xmm0, %xmm1
	pclmulqdq $0x01, %xmm2, %xmm1
	pxor	%xmm0, %xmm1
	psrldq	$8, %xmm1
	pclmulqdq $0x10, %xmm2, %xmm1
	pxor	%xmm1, %xmm0
	movq	%xmm0, %rax
	RET
SYM_FUNC_END(migaccel_crc64_pclmul)

.section .rodata.cst16.migaccel_bswap, "aM", @progbits, 16
.align 16
.Lbswap_mask:
	.octa	0x000102030405060708090a0b0c0d0e0f
