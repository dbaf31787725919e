# SPDX-License-Identifier: GPL-2.0
#
# make            build the module (stock Debian kernel), library, tools, tests
# make check      run every test: static checks, library, VM (stock + debug)
# make demo       boot the VM and run the demo through the module
# make cost       count the kernel path's instructions per page (QEMU plugin)
# make W=1 C=2    module build with extra warnings and sparse
# make setup      install the Debian packages migaccel needs

KVER    ?= $(shell ls -1 /usr/src | sed -n 's/^linux-headers-\(6\.12\..*-amd64\)$$/\1/p' | sort -V | tail -n1)
KDIR    ?= /usr/src/linux-headers-$(KVER)
LINUX_SRC ?= $(shell tools/vm/linux-source.sh)
IDXD_SRC  ?= $(LINUX_SRC)/drivers/dma/idxd

export LINUX_SRC

.PHONY: all module lib tools selftests clean check demo cost setup install-deps

all: module lib tools selftests

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) IDXD_SRC=$(IDXD_SRC) modules

lib:
	$(MAKE) -C lib all test

tools: lib
	$(MAKE) -C tools

selftests: lib
	$(MAKE) -C selftests

setup:
	tools/setup.sh

check:
	tools/setup.sh --if-needed
	tools/check.sh

demo:
	tools/setup.sh --if-needed
	tools/demo.sh

cost:
	tools/setup.sh --if-needed
	tools/cost.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C lib clean
	$(MAKE) -C tools clean
	$(MAKE) -C selftests clean
