# SPDX-License-Identifier: GPL-2.0
#
# make              build the module (stock Debian kernel), library, tools, tests
# make check        run every test: static checks, library, VM (stock + debug),
#                   packages
# make demo         boot the VM and run the demo through the module
# make cost         count the kernel path's instructions per page (QEMU plugin)
# make W=1 C=2      module build with extra warnings and sparse
# make setup        install the Debian packages migaccel needs
# make deb          build the Debian packages into build/deb/
# make fresh-check  README's commands in a fresh Debian 12 root (debootstrap)
#
# Every variable below that depends on an installed package (kernel headers,
# linux-source) is recursively expanded and never exported: it is computed
# when a recipe that uses it runs, which is after the "deps" prerequisite
# (tools/setup.sh) has run.  check and demo run tools/check.sh and
# tools/demo.sh, which compute their own paths and call make again.

KVER    ?= $(shell ls -1 /usr/src 2>/dev/null | sed -n 's/^linux-headers-\(6\.12\..*-amd64\)$$/\1/p' | sort -V | tail -n1)
KDIR    ?= /usr/src/linux-headers-$(KVER)
LINUX_SRC ?= $(shell tools/vm/linux-source.sh)
IDXD_SRC  ?= $(LINUX_SRC)/drivers/dma/idxd

# Goals that may install packages; every other goal only checks for them,
# and fails with the list of what is missing.
ifneq ($(filter setup check demo fresh-check deb,$(MAKECMDGOALS)),)
SETUP_MODE := --if-needed
else
SETUP_MODE := --check
endif

.PHONY: all module lib tools selftests clean check demo cost setup deps deb \
	fresh-check

all: module lib tools selftests

deps:
	tools/setup.sh $(SETUP_MODE)

module: deps
	@test -n "$(KVER)" -a -d "$(KDIR)" || \
		{ echo "no kernel headers in $(KDIR) (make setup, or KVER=...)" >&2; exit 1; }
	@test -f "$(IDXD_SRC)/idxd.h" || \
		{ echo "no idxd.h in '$(IDXD_SRC)' (make setup, or LINUX_SRC=...)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) IDXD_SRC=$(IDXD_SRC) modules

lib: deps
	$(MAKE) -C lib all test

tools: lib
	$(MAKE) -C tools

selftests: deps lib
	@test -d "$(LINUX_SRC)/tools/testing/selftests" || \
		{ echo "no kselftest harness in '$(LINUX_SRC)' (make setup, or LINUX_SRC=...)" >&2; exit 1; }
	$(MAKE) -C selftests LINUX_SRC=$(LINUX_SRC)

setup: deps

check: deps
	tools/check.sh

demo: deps
	tools/demo.sh

deb: deps
	tools/deb.sh

fresh-check: deps
	tools/fresh-check.sh

cost: deps
	tools/cost.sh

clean:
	-test -d "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C lib clean
	$(MAKE) -C tools clean
	$(MAKE) -C selftests clean
