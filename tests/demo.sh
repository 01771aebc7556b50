#!/bin/sh
# make demo: the main job end to end for Debian 11's kernel: build its own
# KVM with our series through DKMS inside a real Debian 11 system, boot that
# kernel under QEMU (AMD SVM) and Bochs (Intel VMX), run a guest and the
# CR0.WP benchmark on the stock modules and on ours in the same boot, and
# print the stock-vs-fastpgd tables of both vendors (short benchmark
# sizes; "make bench" runs the full ones).
set -eu
KMF_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$KMF_TOP/tests/lib/common.sh"
sh "$KMF_TOP/tests/deps.sh"
KMF_RESULTS="$KMF_BUILD/results/demo-checks.txt"
export KMF_RESULTS
: >"$KMF_RESULTS" 2>/dev/null || { mkdir -p "$KMF_BUILD/results"; : >"$KMF_RESULTS"; }
sh "$KMF_TOP/tests/suite.sh" --quick --tests foundation,bench 5.10
echo
nf=$(grep -c '^FAIL' "$KMF_RESULTS" || true)
if [ "$nf" -ne 0 ]; then
	echo "demo: $nf checks failed:"
	grep '^FAIL' "$KMF_RESULTS"
	exit 1
fi
echo "demo: all $(grep -c '^PASS' "$KMF_RESULTS") checks passed"
