# SPDX-License-Identifier: GPL-2.0
#
# pasid-vfio-pci: wrapper around kbuild (the objects are listed in Kbuild).
#   make [KDIR=<kernel build dir>]	build pasid-vfio-pci.ko
#   make install / uninstall		into /lib/modules/<ver>/updates
#   make check				every test suite (see README)

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
INSTALL_MOD_DIR ?= updates
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

all: modules

src/conftest.h: FORCE
	@$(TOP)/scripts/conftest.sh $(KDIR) $(TOP)/src/conftest.h

modules: src/conftest.h
	$(MAKE) -C $(KDIR) M=$(TOP) modules

install: modules
	$(MAKE) -C $(KDIR) M=$(TOP) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install
	depmod -a $(KVER)

uninstall:
	rm -f /lib/modules/$(KVER)/$(INSTALL_MOD_DIR)/pasid-vfio-pci.ko*
	depmod -a $(KVER)

clean:
	$(MAKE) -C $(KDIR) M=$(TOP) clean 2>/dev/null || \
		rm -rf *.ko *.mod* *.o src/*.o src/.*.cmd .*.cmd Module.symvers modules.order .tmp_versions
	rm -f src/conftest.h

matrix:
	$(TOP)/scripts/matrix.sh

kunit:
	$(TOP)/scripts/kunit.sh

kunit-um:
	$(TOP)/scripts/kunit.sh --um

kunit-debug:
	$(TOP)/scripts/kunit.sh --debug

style:
	$(TOP)/scripts/style.sh

dkms-test:
	$(TOP)/tests/dkms.sh

e2e:
	$(TOP)/tests/e2e/run.sh

demo:
	$(TOP)/tests/e2e/run.sh --demo

bench:
	$(TOP)/tests/bench/run.sh

deb:
	$(TOP)/debian/build.sh

pkg-test:
	$(TOP)/tests/pkg.sh

check:
	$(TOP)/scripts/check.sh

.PHONY: all modules install uninstall clean matrix kunit kunit-um kunit-debug style dkms-test e2e demo bench deb pkg-test check FORCE
