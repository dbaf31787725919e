#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the insn-count plugin's intervals into instructions per page.

usage: cost-report.py [--binary PROG] [--top N] RUNDIR...

Each RUNDIR holds one VM run of tools/cost.sh: results.tap (what
`migaccel-microbench insn` and the plan printed: "insn-interval ID PAGES
LABEL", "insn-map" lines from /proc/self/maps, "kallsyms-gz" lines: the
text symbols of the VM's /proc/kallsyms, gzip'd and base64'd) and
insn.txt (the plugin's intervals: per instruction address, instructions
and REP iterations).

Kernel addresses are charged to the function that holds them, from the
VM's /proc/kallsyms (the kernel's and the module's).  User addresses are charged to symbols of the benchmark
binary or of the shared libraries (nm), through the VM's /proc/self/maps.

The first run's table is printed, with the largest relative difference
of its instructions and REP iterations (the latter relative to at least
one per page) to the other runs.  Exit status 1 if a run lacks an
interval or the instructions of the 25,600-page intervals (the kernel
path's and the CPU scan's) disagree by more than --tolerance (1 %).
"""
import argparse
import base64
import bisect
import gzip
import os
import re
import subprocess
import sys

KERNEL_BASE = 0xffff800000000000

# The engines' own work (the soft engine's executors and the kernel's CRC
# and zlib functions), left out of the "path" column: what the path costs
# around a device that would do the work.  In (de)compression intervals
# memset and memcpy count as compute too: zlib clears its 64 KiB hash
# table for every page, which dwarfs the path's own few (about 35
# instructions per page in the zero scans).
COMPUTE = re.compile(
    r'^(soft_dsa_one|soft_dsa|soft_iax_one|soft_iax|soft_exec_.*|'
    r'migaccel_soft_exec_.*|migaccel_cpu_.*|soft_compval|soft_match64|'
    r'soft_or64|soft_memmove|soft_crcgen|soft_cr_delta|soft_ap_delta|'
    r'crc32c.*|__crc32c.*|crc32_.*|crc_pcl|crc64.*|migaccel_crc64_.*|'
    r'chksum_.*|'
    r'zlib_.*|deflate_.*|longest_match|fill_window|lm_init|read_buf|'
    r'flush_pending|putShortMSB|init_block|pqdownheap|gen_bitlen|'
    r'gen_codes|build_tree|scan_tree|send_tree|build_bl_tree|'
    r'send_all_trees|compress_block|set_data_type|copy_block|bi_.*|'
    r'tr_static_init|inflate_.*|updatewindow|'
    r'memchr_inv|check_bytes8|'
    r'isal_.*|create_hufftables.*|build_huff_tree|encode_deflate.*|'
    r'build_heap|flatten_ll|decode_huffman.*|page_is_zero_.*)$')
ZLIB_MEM = re.compile(r'^(memset|memcpy|memmove)(_orig|_erms)?$')


class Symbols:
    def __init__(self):
        self.addrs = []
        self.names = []

    def add(self, addr, name):
        self.addrs.append(addr)
        self.names.append(name)

    def done(self):
        # Of aliases at one address the last wins: prefer a plain name.
        order = sorted(range(len(self.addrs)), key=lambda i: (
            self.addrs[i], not self.names[i].startswith('_')))
        self.addrs = [self.addrs[i] for i in order]
        self.names = [self.names[i] for i in order]

    def lookup(self, addr):
        i = bisect.bisect_right(self.addrs, addr) - 1
        return self.names[i] if i >= 0 else None


def kernel_symbols(lines):
    syms = Symbols()
    for line in lines:
        parts = line.split()
        if len(parts) >= 3 and parts[1] in 'tTwW':
            mod = parts[3].strip('[]') if len(parts) > 3 else ''
            syms.add(int(parts[0], 16), parts[2] +
                     (' [%s]' % mod if mod else ''))
    syms.done()
    return syms


def nm_symbols(path):
    """Text symbols of an ELF file: (sorted addrs, names)."""
    syms = Symbols()
    for args in (['nm', '--defined-only', path],
                 ['nm', '-D', '--defined-only', path]):
        try:
            out = subprocess.run(args, capture_output=True, text=True,
                                 check=False).stdout
        except OSError:
            return None
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in 'tTwWi':
                syms.add(int(parts[0], 16), parts[2])
    syms.done()
    return syms


class UserMaps:
    def __init__(self, maps, binary):
        self.maps = []      # (start, end, offset, path)
        self.cache = {}
        self.binary = binary
        for line in maps:
            parts = line.split()
            if len(parts) < 6:
                continue
            start, end = (int(x, 16) for x in parts[0].split('-'))
            self.maps.append((start, end, int(parts[2], 16), parts[5]))

    def lookup(self, pc):
        for start, end, off, path in self.maps:
            if start <= pc < end:
                host = path
                if path.endswith('/migaccel-microbench') and self.binary:
                    host = self.binary
                if host not in self.cache:
                    self.cache[host] = (nm_symbols(host)
                                        if os.path.exists(host) else None)
                syms = self.cache[host]
                name = syms.lookup(pc - start + off) if syms else None
                return '%s [%s]' % (name or '?', os.path.basename(path))
        return '? [user]'


def parse_run(rundir, binary):
    labels, maps, b64 = {}, [], []
    with open(os.path.join(rundir, 'results.tap'), errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('insn-interval '):
                _, iid, pages, label = line.split(' ', 3)
                labels[int(iid)] = (label, int(pages))
            elif line.startswith('insn-map '):
                maps.append(line[len('insn-map '):])
            elif line.startswith('kallsyms-gz '):
                b64.append(line[len('kallsyms-gz '):].strip())
    intervals, errors = {}, []
    cur = None
    with open(os.path.join(rundir, 'insn.txt')) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == 'interval':
                cur = {'insns': int(parts[3]), 'reps': int(parts[5]),
                       'vcpus': [int(x) for x in parts[7].split(',')],
                       'sites': []}
                intervals[int(parts[1])] = cur
            elif parts[0] == 'site' and cur is not None:
                cur['sites'].append((int(parts[1], 16), int(parts[2]),
                                     int(parts[3])))
            elif parts[0] == 'end':
                cur = None
            elif parts[0] == 'error':
                errors.append(line.strip())
    try:
        ksyms = gzip.decompress(base64.b64decode(''.join(b64))).decode()
    except (ValueError, OSError, EOFError):
        sys.exit('cost-report: %s: no or a damaged kallsyms dump' % rundir)
    return labels, maps, ksyms.splitlines(), intervals, errors


def attribute(interval, ksyms, umaps):
    funcs = {}
    kern = user = 0
    for pc, insns, reps in interval['sites']:
        if pc >= KERNEL_BASE:
            name = ksyms.lookup(pc) or '?'
            kern += insns
        else:
            name = umaps.lookup(pc)
            user += insns
        f = funcs.setdefault(name, [0, 0])
        f[0] += insns
        f[1] += reps
    return funcs, kern, user


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--binary')
    ap.add_argument('--top', type=int, default=12)
    ap.add_argument('--tolerance', type=float, default=0.01)
    ap.add_argument('runs', nargs='+')
    a = ap.parse_args()

    results = []
    for rundir in a.runs:
        labels, maps, klines, intervals, errors = \
            parse_run(rundir, a.binary)
        ksyms = kernel_symbols(klines)
        for e in errors:
            print('cost-report: %s: plugin: %s' % (rundir, e),
                  file=sys.stderr)
        umaps = UserMaps(maps, a.binary)
        rows = {}
        for iid, (label, pages) in sorted(labels.items()):
            if iid not in intervals:
                sys.exit('cost-report: %s: interval %d (%s) was not counted'
                         ' (no plugin, or the wrong marker?)' %
                         (rundir, iid, label))
            iv = intervals[iid]
            funcs, kern, user = attribute(iv, ksyms, umaps)
            zlib = 'compress' in label
            compute = sum(v[0] for k, v in funcs.items()
                          if COMPUTE.match(k.split(' ')[0]) or
                          (zlib and ZLIB_MEM.match(k.split(' ')[0])))
            path_funcs = {k: v for k, v in funcs.items()
                          if not (COMPUTE.match(k.split(' ')[0]) or
                                  (zlib and ZLIB_MEM.match(k.split(' ')[0])))}
            rows[label] = {'pages': pages, 'insns': iv['insns'],
                           'reps': iv['reps'], 'kernel': kern,
                           'user': user, 'compute': compute,
                           'funcs': funcs, 'path_funcs': path_funcs}
        results.append(rows)

    first = results[0]
    worst_i = worst_r = worst_big = 0.0
    print('Instructions per page, counted by the insn-count QEMU plugin '
          '(every vCPU,')
    print('single-threaded TCG); "path" leaves out the engines\' compute '
          'functions.')
    hdr = '%-44s %6s %10s %9s %9s %9s %9s' % (
        'path (B = pages per call)', 'pages', 'insns/pg', 'REP it/pg',
        'kernel', 'user', 'path')
    print(hdr)
    for label, r in first.items():
        p = r['pages']
        di = dr = 0.0
        for other in results[1:]:
            o = other.get(label)
            if not o:
                sys.exit('cost-report: interval %s missing from a run' %
                         label)
            di = max(di, abs(o['insns'] - r['insns']) / max(r['insns'], 1))
            drep = abs(o['reps'] - r['reps'])
            if drep >= p:
                dr = max(dr, drep / max(r['reps'], 1))
        worst_i = max(worst_i, di)
        worst_r = max(worst_r, dr)
        if p >= 25600:
            worst_big = max(worst_big, di)
        d = max(di, dr)
        print('%-44s %6d %10.1f %9.1f %9.1f %9.1f %9.1f' % (
            label, p, r['insns'] / p, r['reps'] / p, r['kernel'] / p,
            r['user'] / p, (r['insns'] - r['compute']) / p) +
            ('  (runs differ by %.3f %%)' % (100 * d)
             if len(results) > 1 else ''))
    print()
    for label, r in first.items():
        p = r['pages']
        top = sorted(r['funcs'].items(), key=lambda kv: -kv[1][0])[:a.top]
        print('%s: top functions, instructions (REP iterations) per page' %
              label)
        print('   ' + ', '.join('%s %.1f%s' % (
            name, v[0] / p, ' (%.1f)' % (v[1] / p) if v[1] else '')
            for name, v in top))
        if r['compute']:
            top = sorted(r['path_funcs'].items(),
                         key=lambda kv: -kv[1][0])[:a.top]
            print('   path only: ' + ', '.join('%s %.1f%s' % (
                name, v[0] / p, ' (%.1f)' % (v[1] / p) if v[1] else '')
                for name, v in top))
    print()
    head = first.get('ioctl null region zero_scan B=128')
    plist = first.get('ioctl null region zero_scan pages B=128')
    lib = first.get('lib-kernel null zero_scan B=128')
    cpu = first.get('lib-cpu zero_scan B=128')
    if head and plist and lib and cpu:
        def per(r):
            return r['insns'] / r['pages']
        print('headline: the kernel path (registered region, null engine, '
              '128 zero scans per call) costs %.0f instructions and %.0f '
              'REP iterations per page as a page list (MIGACCEL_ZERO_SCAN), '
              '%.0f as operations (MIGACCEL_BATCH) (goal 150 and 64); '
              'migaccel_zero_scan() on the kernel path costs %.0f, on the '
              'CPU %.0f: %.2fx' % (
                  per(plist), plist['reps'] / plist['pages'], per(head),
                  per(lib), per(cpu), per(lib) / per(cpu)))
    if len(results) > 1:
        print('%d runs: instructions agree within %.3f %% (within %.3f %% on '
              'the 25,600-page intervals), REP iterations within %.3f %% '
              '(or by less than one per page)' % (len(results), 100 * worst_i,
                                    100 * worst_big, 100 * worst_r))
        if worst_big > a.tolerance:
            print('cost-report: the 25,600-page intervals disagree by more '
                  'than %.1f %%' % (100 * a.tolerance))
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
