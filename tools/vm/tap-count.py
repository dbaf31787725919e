#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count leaf results in TAP (kselftest_harness) or KTAP (KUnit) output.

Usage: tap-count.py [FILE...]     (stdin when no FILE or FILE is "-")
       tap-count.py --self-test

Prints "PASS: <path>" / "FAIL: <path>" per leaf result and then exactly one
"passed=N failed=M" line.  A result whose test had subtests is not counted;
its children are.  SKIP counts as a failure, because a skipped test proved
nothing; XFAIL and TODO count as passes.  A plan that does not match the
number of results at its level, a subtest without a final result line, and
"Bail out!" each add one failure.  Exit status is 0 unless input is
unreadable (2).
"""
import re
import sys

RESULT = re.compile(r"^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?(.*?)(?:\s+#\s*(.*))?$")
PLAN = re.compile(r"^1\.\.(\d+)\s*(?:#\s*(.*))?$")
SUBTEST = re.compile(r"^#\s*Subtest:\s*(.*)$")
VERSION = re.compile(r"^(K?TAP) version \d+")
# dmesg timestamps, so KUnit output can be fed straight from the kernel log.
STAMP = re.compile(r"^\[\s*\d+\.\d+\] ")


class Level:
    """Results seen at one indentation, not yet claimed by a parent."""

    def __init__(self, indent):
        self.indent = indent
        self.plan = None
        self.plan_note = ""
        self.subtest = None
        self.results = []  # (passed, path parts, note)
        self.count = 0


class Counter:
    def __init__(self):
        self.out = []
        self.passed = 0
        self.failed = 0
        self.levels = []
        self.levels_top = []  # results of closed top-level documents

    def emit(self, passed, parts, note=""):
        name = ".".join(p for p in parts if p) or "(unnamed)"
        self.out.append("%s: %s%s" % ("PASS" if passed else "FAIL", name,
                                      " # " + note if note else ""))
        if passed:
            self.passed += 1
        else:
            self.failed += 1

    def parse(self, lines):
        for raw in lines:
            line = STAMP.sub("", raw.rstrip("\r\n")).expandtabs(4)
            body = line.lstrip(" ")
            indent = len(line) - len(body)
            if body.startswith("Bail out!"):
                self.add_result(indent, False, ["bail out"], body)
                continue
            m = VERSION.match(body)
            if m:
                self.close_from(indent, orphan=True)
                continue
            m = SUBTEST.match(body)
            if m:
                self.close_from(indent + 1, orphan=True)
                lvl = self.level(indent)
                if lvl.count or lvl.plan is not None:
                    self.close_from(indent, orphan=True)
                    lvl = self.level(indent)
                lvl.subtest = m.group(1).strip()
                continue
            m = PLAN.match(body)
            if m:
                self.close_from(indent + 1, orphan=True)
                lvl = self.level(indent)
                if lvl.plan is not None:
                    # A second plan starts a new document (concatenated runs).
                    self.close_from(indent, orphan=True)
                    lvl = self.level(indent)
                lvl.plan, lvl.plan_note = int(m.group(1)), m.group(2) or ""
                continue
            m = RESULT.match(body)
            if m:
                self.result(indent, m)
        self.close_from(0, orphan=True)
        for passed, parts, note in self.levels_top:
            self.emit(passed, parts, note)
        self.levels_top = []

    def level(self, indent):
        if self.levels and self.levels[-1].indent == indent:
            return self.levels[-1]
        lvl = Level(indent)
        self.levels.append(lvl)
        return lvl

    def close_from(self, indent, orphan):
        """Close levels at or deeper than indent.

        With orphan, nobody printed a result line for the closed level: its
        results move up to the enclosing level (or are emitted at the top).
        Returns the results of the last closed level otherwise.
        """
        children = None
        while self.levels and self.levels[-1].indent >= indent:
            lvl = self.levels.pop()
            res = list(lvl.results)
            if lvl.plan is not None and lvl.plan != lvl.count:
                res.append((False, ["plan"], "planned %d, got %d results"
                            % (lvl.plan, lvl.count)))
            if lvl.plan == 0 and lvl.count == 0 and re.match(
                    r"(?i)skip", lvl.plan_note):
                res.append((False, ["plan"], lvl.plan_note))
            if orphan:
                parent = self.levels[-1] if self.levels else None
                if parent is not None or lvl.indent > 0:
                    # A nested block whose parent never reported (crash?).
                    if lvl.subtest is not None or res:
                        res.append((False, [], "no result line for subtest"))
                name = [lvl.subtest] if lvl.subtest else []
                res = [(p, name + parts, n) for p, parts, n in res]
                if parent is not None:
                    parent.results.extend(res)
                else:
                    self.levels_top.extend(res)
            else:
                children = res
        return children

    def result(self, indent, m):
        ok, _num, name, directive = m.groups()
        name = name.strip()
        directive = (directive or "").strip()
        children = self.close_from(indent + 1, orphan=False)
        lvl = self.level(indent)
        lvl.count += 1
        if children:
            # A parent: its outcome is its children's.
            lvl.results.extend((p, [name] + parts, n) for p, parts, n in children)
            return
        passed = ok == "ok"
        note = ""
        word = directive.split(" ", 1)[0].upper()
        if word == "SKIP":
            passed, note = False, directive
        elif word in ("XFAIL", "TODO"):
            passed, note = True, directive
        lvl.results.append((passed, [name], note))

    def add_result(self, indent, passed, parts, note):
        self.level(indent).results.append((passed, parts, note))


def count(lines):
    c = Counter()
    c.parse(lines)
    return c


SAMPLES = [
    ("kunit nested with params, skip and xfail", """\
KTAP version 1
1..2
    KTAP version 1
    # Subtest: migaccel_region
    # module: migaccel_test
    1..3
    ok 1 pin_unpin
        KTAP version 1
        # Subtest: overflow
        ok 1 len=0 # SKIP not applicable
        ok 2 len=max
        not ok 3 len=max+1
    # overflow: pass:1 fail:1 skip:1 total:3
    not ok 2 overflow
    ok 3 readonly_dest # XFAIL known
# migaccel_region: pass:1 fail:1 skip:0 total:3
not ok 1 migaccel_region
    KTAP version 1
    # Subtest: migaccel_batch
    1..1
    ok 1 empty_batch
ok 2 migaccel_batch
""", 4, 2, ["FAIL: migaccel_region.overflow.len=0 # SKIP not applicable",
            "FAIL: migaccel_region.overflow.len=max+1",
            "PASS: migaccel_batch.empty_batch"]),
    ("kselftest harness with plan mismatch", """\
TAP version 13
1..3
# Starting 3 tests from 1 test cases.
#  RUN           global.open_close ...
#            OK  global.open_close
ok 1 global.open_close
not ok 2 global.bad_size
# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:0 error:0
""", 1, 2),
    ("bail out and todo", """\
TAP version 13
1..3
not ok 1 - flaky # TODO later
Bail out! device vanished
""", 1, 2),
    ("whole-file skip", "TAP version 13\n1..0 # SKIP no device\n", 0, 1),
    ("suite that crashed mid-way", """\
KTAP version 1
1..1
    KTAP version 1
    # Subtest: migaccel_engine
    1..2
    ok 1 submit
""", 1, 3, ["FAIL: migaccel_engine # no result line for subtest"]),
    ("two concatenated documents", """\
TAP version 13
1..1
not ok 1 insmod /modules/idxd.ko: No such device
1..1
ok 1 hello
""", 1, 1),
]


def self_test():
    bad = 0
    for title, text, want_pass, want_fail, *want_lines in SAMPLES:
        c = count(text.splitlines(True))
        good = (c.passed, c.failed) == (want_pass, want_fail) and all(
            w in c.out for w in (want_lines[0] if want_lines else []))
        bad += not good
        print("%s %s: passed=%d failed=%d (want %d/%d)"
              % ("ok" if good else "not ok", title, c.passed, c.failed,
                 want_pass, want_fail))
        if not good:
            print("\n".join("#   " + o for o in c.out))
    return 1 if bad else 0


def main(argv):
    if argv == ["--self-test"]:
        return self_test()
    if any(a.startswith("--") for a in argv):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    total = Counter()
    for name in argv or ["-"]:
        try:
            if name == "-":
                lines = sys.stdin.readlines()
            else:
                with open(name, errors="replace") as f:
                    lines = f.readlines()
        except OSError as e:
            print("tap-count: %s" % e, file=sys.stderr)
            return 2
        c = count(lines)
        total.out += c.out
        total.passed += c.passed
        total.failed += c.failed
    for line in total.out:
        print(line)
    print("passed=%d failed=%d" % (total.passed, total.failed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
