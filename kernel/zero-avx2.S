/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The zero prefix of a buffer, 256 bytes a step, with AVX2: eight 32-byte
 * loads ORed together and one VPTEST per step.
 */
#include <linux/linkage.h>

#define BUF	%rdi
#define LEN	%rsi
#define OFF	%rax

/*
 * size_t migaccel_zero_prefix_avx2(const void *p, size_t len);
 *
 * For len a multiple of 256: the offset of the first 256 bytes of @p that
 * are not all zero, or len.  The caller holds kernel_fpu_begin().
 */
SYM_FUNC_START(migaccel_zero_prefix_avx2)
	xor	%eax, %eax
	test	LEN, LEN
	jz	.Ldone
.Lstep:
	vmovdqu	0(BUF, OFF), %ymm0
	vpor	32(BUF, OFF), %ymm0, %ymm0
	vpor	64(BUF, OFF), %ymm0, %ymm0
	vpor	96(BUF, OFF), %ymm0, %ymm0
	vpor	128(BUF, OFF), %ymm0, %ymm0
	vpor	160(BUF, OFF), %ymm0, %ymm0
	vpor	192(BUF, OFF), %ymm0, %ymm0
	vpor	224(BUF, OFF), %ymm0, %ymm0
	vptest	%ymm0, %ymm0
	jnz	.Ldone
	add	$256, OFF
	cmp	LEN, OFF
	jb	.Lstep
.Ldone:
	vzeroupper
	RET
SYM_FUNC_END(migaccel_zero_prefix_avx2)
