# kvm-mmu-fastpgd: top-level targets.  See README.md.
SHELL := /bin/sh

BASE ?= 5.10

.PHONY: all vmm tool check check-quick demo bench series-matrix deps deb rpm clean distclean

all: vmm tool

vmm:
	$(MAKE) -C tests/vmm vmm

# the operator tool (src/tool/kvm-mmu-fastpgd)
tool:
	$(MAKE) -C src/tool

# Debian packages of this tree (the working tree, committed or not), built
# in a copy under build/deb/; the .debs land in build/deb/.
deb:
	sh debian/build-debs build/deb

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

# The series against every Debian source of BASE, every prefix on every
# version (make check builds every prefix on the newest version only)
series-matrix:
	sh tests/deps.sh
	sh tests/series.sh --all-prefixes $(BASE)

# SRPM and RPMs in build/rpm/{SRPMS,RPMS}: make rpm [RPM_RELEASE=N]
rpm:
	sh rpm/build.sh build/rpm $(RPM_RELEASE)

clean:
	$(MAKE) -C tests/vmm clean
	$(MAKE) -C src/tool clean
	rm -rf build

# also drops the cached Debian systems and extracted sources
distclean: clean
	rm -rf /var/cache/kvm-mmu-fastpgd
