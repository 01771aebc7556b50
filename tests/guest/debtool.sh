#!/bin/sh
# The operator tool of the Debian package, in the booted kernel of the
# Debian system the package was installed in (tests/deb.sh): our modules
# (from that system's updates/dkms) loaded, then `kvm-mmu-fastpgd status`,
# `--json status` and a short `bench` (which arms the MMU counters itself).
# The tool and the VMM are the package's own static executables.
set -u
# shellcheck source=lib.sh
. /tests/lib.sh
if ! load_kvm fastpgd; then
	echo "KMF-DEBTOOL load=fail"
	exit 1
fi
echo "KMF-DEBTOOL load=ok identity=$(kvm_identity)"
echo "KMF-DEBTOOL-STATUS-BEGIN"
/kvm-mmu-fastpgd status
echo "KMF-DEBTOOL-STATUS-END exit=$?"
echo "KMF-DEBTOOL-JSON $(/kvm-mmu-fastpgd --json status)"
echo "KMF-DEBTOOL-BENCH-BEGIN"
KMF_LIBEXEC=/usr/lib/kvm-mmu-fastpgd /kvm-mmu-fastpgd bench --iters 200 --titers 20 --modes 64
echo "KMF-DEBTOOL-BENCH-END exit=$?"
unload_kvm || echo "KMF-DEBTOOL unload=fail"
