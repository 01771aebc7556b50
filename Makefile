# kvm-mmu-fastpgd: top-level targets.  See README.md.
SHELL := /bin/sh

BASE ?= 5.10

.PHONY: all vmm check check-quick demo bench deps rpm clean distclean

all: vmm

vmm:
	$(MAKE) -C tests/vmm vmm

# Host tools the tests need (Debian 12); .ci/run calls this.
deps:
	sh tests/deps.sh

check: vmm
	sh tests/check.sh

check-quick: vmm
	sh tests/check.sh quick

demo: vmm
	sh tests/demo.sh

# The CR0.WP benchmark at full size, both vendors: make bench [BASE=6.1]
bench: vmm
	sh tests/deps.sh
	KMF_RESULTS=build/results/bench-checks.txt sh tests/suite.sh --tests bench $(BASE)

# SRPM and RPMs in build/rpm/{SRPMS,RPMS}: make rpm [RPM_RELEASE=N]
rpm:
	sh rpm/build.sh build/rpm $(RPM_RELEASE)

clean:
	$(MAKE) -C tests/vmm clean
	rm -rf build

# also drops the cached Debian systems and extracted sources
distclean: clean
	rm -rf /var/cache/kvm-mmu-fastpgd
