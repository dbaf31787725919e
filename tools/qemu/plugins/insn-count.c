// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * insn-count: a QEMU TCG plugin that counts every guest instruction, on
 * every vCPU, between two marker instructions a guest program executes,
 * and writes the counts per instruction address, so a script can charge
 * them to kernel functions through the guest's /proc/kallsyms.
 *
 * Exact only under single-threaded TCG (-accel tcg,thread=single): the
 * counters are plain integers, updated by callbacks that then never run
 * concurrently.  tools/cost.sh runs it that way.
 *
 * The markers are "nopl 0x4d4743NN(%rax,%rax,1)" (0f 1f 84 00 NN 43 47
 * 4d), a no-op whose displacement compilers never use: NN 01 starts an
 * interval, NN 02 stops it.  Intervals are numbered 1, 2, ... in the
 * order they start; the guest prints its own numbering alongside.
 *
 * Between start and stop every executed instruction is counted
 * on every vCPU (interrupts, other tasks, the idle loop: whatever runs).
 * The markers themselves are not counted.  An instruction that faults and
 * is restarted counts once per attempt, as it executes twice.
 *
 * REP string instructions (MOVS, STOS, LODS, CMPS, SCAS, INS, OUTS with an
 * F2 or F3 prefix) count as one instruction each, however many iterations
 * they run; their iterations are counted apart.
 *
 * With QEMU 10 (plugin API 4, tools/qemu/build-qemu.sh), every
 * instruction calls back, as with API 1, and the callbacks return at once
 * outside intervals.  (Conditional callbacks armed only between the
 * markers, qemu_plugin_register_vcpu_insn_exec_cond_cb(), were tried
 * first: under QEMU 10.0.13 the guest kernel crashed at boot with them
 * registered, even on callbacks reading no registers.)  A REP string
 * instruction counts its iterations as the count register's value when it
 * starts: exact for MOVS, STOS, LODS, INS and OUTS, the most it can run
 * for REPE/REPNE CMPS and SCAS (the kernel hardly uses them).  A pass
 * right after a pass of the same instruction on the same vCPU continues
 * it (TCG may run a REP in several passes) and is not counted again; one
 * resumed after an interrupt counts as a new instruction with the
 * iterations left (one instruction more, the rest counted twice).
 *
 * Built with -DINSN_COUNT_API1 for Debian 12's QEMU 7.2 (API 1, no
 * header: qemu-plugin-v1.h), every instruction calls back and the
 * callbacks return at once outside intervals.  That TCG runs one REP
 * iteration per pass and then one more pass that finds the count at
 * zero: a pass right after a pass of the same instruction on the same
 * vCPU is an iteration, any other pass is the instruction.  An interrupt
 * taken in the middle of a REP makes the rest count as a new instruction
 * (one instruction more, one iteration less).
 *
 * Arguments:
 *   out=FILE   where to write the intervals (required)
 *
 * Output, one interval after the other, written when it stops:
 *   interval ID insns N reps R vcpus N0,N1,...
 *   site PC INSNS REPS        (one line per address that ran, hex PC)
 *   end ID
 */
#include <glib.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef INSN_COUNT_API1
#include "qemu-plugin-v1.h"
#else
#include <qemu-plugin.h>
#endif

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MARKER_MAGIC	0x4d4743u	/* "MGC" */
#define MARKER_START	1
#define MARKER_STOP	2
#define MAX_VCPUS	64

struct site {
	uint64_t pc;		/* hash key: must stay first */
	uint64_t insns;
	uint64_t reps;
	bool addr32;		/* REP with an 0x67 prefix: ECX counts */
	unsigned int marker;	/* MARKER_START or _STOP, else 0 */
};

static GMutex lock;
static GHashTable *sites;
static FILE *out;
static bool running;
static uint64_t cur_id;
static uint64_t last_pc[MAX_VCPUS];	/* of the last pass, per vCPU */
#ifndef INSN_COUNT_API1
static struct qemu_plugin_register *reg_rcx;
#endif
static uint64_t vcpu_insns[MAX_VCPUS];
static int max_vcpus = 1;

#ifndef INSN_COUNT_API1
static uint64_t read_reg(struct qemu_plugin_register *reg)
{
	g_autoptr(GByteArray) buf = g_byte_array_new();
	uint64_t v = 0;
	int n;

	if (!reg)
		return 0;
	n = qemu_plugin_read_register(reg, buf);
	if (n <= 0)
		return 0;
	/* Target byte order: x86 is little-endian. */
	for (int i = (n < 8 ? n : 8) - 1; i >= 0; i--)
		v = v << 8 | buf->data[i];
	return v;
}
#endif

static void dump_site(gpointer key, gpointer value, gpointer data)
{
	struct site *s = value;

	if (!s->insns && !s->reps)
		return;
	fprintf(out, "site %" PRIx64 " %" PRIu64 " %" PRIu64 "\n", s->pc,
		s->insns, s->reps);
	s->insns = 0;
	s->reps = 0;
}

static void sum_site(gpointer key, gpointer value, gpointer data)
{
	struct site *s = value;
	uint64_t *sum = data;

	sum[0] += s->insns;
	sum[1] += s->reps;
}

static void zero_site(gpointer key, gpointer value, gpointer data)
{
	struct site *s = value;

	s->insns = 0;
	s->reps = 0;
}

static void on_marker(unsigned int vcpu, void *udata)
{
	const struct site *m = udata;
	uint64_t sum[2] = { 0, 0 };

	g_mutex_lock(&lock);
	if (m->marker == MARKER_START) {
		if (running)
			fprintf(out, "error start while %" PRIu64 " runs: restarted\n",
				cur_id);
		g_hash_table_foreach(sites, zero_site, NULL);
		memset(vcpu_insns, 0, sizeof(vcpu_insns));
		cur_id++;
		running = true;
	} else if (!running) {
		fprintf(out, "error stop without a start\n");
	} else {
		running = false;
		g_hash_table_foreach(sites, sum_site, sum);
		fprintf(out, "interval %" PRIu64 " insns %" PRIu64 " reps %" PRIu64 " vcpus ",
			cur_id, sum[0], sum[1]);
		for (int i = 0; i < max_vcpus; i++)
			fprintf(out, "%s%" PRIu64, i ? "," : "", vcpu_insns[i]);
		fputc('\n', out);
		g_hash_table_foreach(sites, dump_site, NULL);
		fprintf(out, "end %" PRIu64 "\n", cur_id);
		fflush(out);
	}
	g_mutex_unlock(&lock);
	(void)vcpu;
}

static void on_insn(unsigned int vcpu, void *udata)
{
	struct site *s = udata;

	if (vcpu < MAX_VCPUS)
		last_pc[vcpu] = s->pc;
	if (!running)
		return;
	s->insns++;
	if (vcpu < MAX_VCPUS)
		vcpu_insns[vcpu]++;
}

static void on_rep(unsigned int vcpu, void *udata)
{
	struct site *s = udata;
	bool again = vcpu < MAX_VCPUS && last_pc[vcpu] == s->pc;

	if (vcpu < MAX_VCPUS)
		last_pc[vcpu] = s->pc;
	if (!running)
		return;
#ifdef INSN_COUNT_API1
	/* QEMU 7.2: one iteration per pass, and a last pass at zero. */
	if (again) {
		s->reps++;
		return;
	}
#else
	/* Counted, iterations and all, when the instruction started. */
	if (again)
		return;
	{
		uint64_t rcx = read_reg(reg_rcx);

		s->reps += s->addr32 ? (uint32_t)rcx : rcx;
	}
#endif
	s->insns++;
	if (vcpu < MAX_VCPUS)
		vcpu_insns[vcpu]++;
}

/* MARKER_START or _STOP for a marker instruction, else 0. */
static unsigned int marker_of(const uint8_t *b, size_t len)
{
	uint32_t disp;

	if (len != 8 || b[0] != 0x0f || b[1] != 0x1f || b[2] != 0x84 ||
	    b[3] != 0x00)
		return 0;
	disp = b[4] | b[5] << 8 | b[6] << 16 | (uint32_t)b[7] << 24;
	if (disp >> 8 != MARKER_MAGIC ||
	    ((disp & 0xff) != MARKER_START && (disp & 0xff) != MARKER_STOP))
		return 0;
	return disp & 0xff;
}

/* 0: not a REP string instruction; 64 or 32: its address size. */
static int rep_string(const uint8_t *b, size_t len)
{
	bool rep = false, addr32 = false;
	size_t i;

	for (i = 0; i < len; i++) {
		switch (b[i]) {
		case 0xf2: case 0xf3:
			rep = true;
			continue;
		case 0x67:
			addr32 = true;
			continue;
		case 0x66: case 0xf0: case 0x26: case 0x2e: case 0x36:
		case 0x3e: case 0x64: case 0x65:
			continue;
		}
		if (b[i] >= 0x40 && b[i] <= 0x4f)	/* REX */
			continue;
		break;
	}
	if (!rep || i >= len)
		return 0;
	switch (b[i]) {
	case 0x6c: case 0x6d: case 0x6e: case 0x6f:	/* INS, OUTS */
	case 0xa4: case 0xa5: case 0xa6: case 0xa7:	/* MOVS, CMPS */
	case 0xaa: case 0xab: case 0xac: case 0xad:	/* STOS, LODS */
	case 0xae: case 0xaf:				/* SCAS */
		return addr32 ? 32 : 64;
	}
	return 0;
}

static struct site *site_get(uint64_t pc)
{
	struct site *s;

	g_mutex_lock(&lock);
	s = g_hash_table_lookup(sites, &pc);
	if (!s) {
		s = g_new0(struct site, 1);
		s->pc = pc;
		g_hash_table_insert(sites, &s->pc, s);
	}
	g_mutex_unlock(&lock);
	return s;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint8_t b[16];
		size_t len;
		struct site *s;
		unsigned int marker;
		int rep;

#ifdef INSN_COUNT_API1
		len = qemu_plugin_insn_size(insn);
		if (len > sizeof(b))
			len = sizeof(b);
		memcpy(b, qemu_plugin_insn_data(insn), len);
#else
		len = qemu_plugin_insn_data(insn, b, sizeof(b));
#endif
		s = site_get(qemu_plugin_insn_vaddr(insn));
		marker = marker_of(b, len);
		if (marker) {
			s->marker = marker;
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker,
							       QEMU_PLUGIN_CB_NO_REGS,
							       s);
			continue;
		}
		rep = rep_string(b, len);
		s->addr32 = rep == 32;
#ifdef INSN_COUNT_API1
		qemu_plugin_register_vcpu_insn_exec_cb(insn,
						       rep ? on_rep : on_insn,
						       QEMU_PLUGIN_CB_NO_REGS, s);
#else
		qemu_plugin_register_vcpu_insn_exec_cb(insn,
			rep ? on_rep : on_insn,
			rep ? QEMU_PLUGIN_CB_R_REGS : QEMU_PLUGIN_CB_NO_REGS, s);
#endif
	}
	(void)id;
}

#ifndef INSN_COUNT_API1
static void vcpu_init(qemu_plugin_id_t id, unsigned int vcpu)
{
	g_autoptr(GArray) regs = NULL;

	if (reg_rcx)
		return;
	/* Register handles are the same on every vCPU of one target. */
	regs = qemu_plugin_get_registers();
	for (guint i = 0; i < regs->len; i++) {
		qemu_plugin_reg_descriptor *r =
			&g_array_index(regs, qemu_plugin_reg_descriptor, i);

		if (!strcmp(r->name, "rcx"))
			reg_rcx = r->handle;
	}
	if (!reg_rcx)
		fprintf(stderr, "insn-count: no rcx register: not an x86-64 guest?\n");
	(void)id;
	(void)vcpu;
}
#endif

static void plugin_exit(qemu_plugin_id_t id, void *p)
{
	g_mutex_lock(&lock);
	if (running)
		fprintf(out, "error interval %" PRIu64 " never stopped\n",
			cur_id);
	fclose(out);
	out = NULL;
	g_mutex_unlock(&lock);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info, int argc,
					   char **argv)
{
	const char *path = NULL;

	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4)) {
			path = argv[i] + 4;
		} else {
			fprintf(stderr, "insn-count: unknown argument %s\n",
				argv[i]);
			return -1;
		}
	}
	if (!path) {
		fprintf(stderr, "insn-count: out=FILE is required\n");
		return -1;
	}
	if (strcmp(info->target_name, "x86_64")) {
		fprintf(stderr, "insn-count: x86_64 guests only, not %s\n",
			info->target_name);
		return -1;
	}
	if (info->system_emulation)
		max_vcpus = info->system.max_vcpus;
	if (max_vcpus > MAX_VCPUS) {
		fprintf(stderr, "insn-count: at most %d vCPUs\n", MAX_VCPUS);
		return -1;
	}
	out = fopen(path, "w");
	if (!out) {
		perror(path);
		return -1;
	}
	sites = g_hash_table_new(g_int64_hash, g_int64_equal);
#ifndef INSN_COUNT_API1
	qemu_plugin_register_vcpu_init_cb(id, vcpu_init);
#endif
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, plugin_exit, NULL);
	return 0;
}
