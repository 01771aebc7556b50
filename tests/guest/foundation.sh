#!/bin/sh
# Foundation test, in the booted kernel: the stock modules and ours, one
# after the other in the same boot, each running the mini-VMM's guest in
# 64-bit and PAE mode.  One KMF-RESULT line per module set.
set -u
# shellcheck source=lib.sh
. /tests/lib.sh
vendor=$(kvm_vendor)
echo "KMF: cpu vendor $vendor"
for set in stock fastpgd; do
	if ! load_kvm "$set"; then
		echo "KMF-RESULT set=$set load=fail"
		dmesg | tail -n 20
		continue
	fi
	id=$(kvm_identity)
	tdp=$(kvm_tdp)
	r64=fail
	rpae=fail
	/vmm --mode 64 check && r64=ok
	/vmm --mode pae --iters 4096 --pages 64 check && rpae=ok
	echo "KMF-RESULT set=$set load=ok vendor=$vendor identity=$id tdp=$tdp guest64=$r64 guestpae=$rpae"
	unload_kvm || echo "KMF-RESULT set=$set unload=fail"
done
