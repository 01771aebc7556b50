#!/bin/sh
# make check: every test of the project; the last line is "N passed, N failed".
#   tests/check.sh [quick]   quick: static checks only (no Debian systems, no boots)
set -eu
KMF_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$KMF_TOP/tests/lib/common.sh"
KMF_RESULTS="$KMF_BUILD/results/checks.txt"
export KMF_TOP KMF_BUILD KMF_CACHE KMF_RESULTS
. "$KMF_TOP/tests/lib/result.sh"
mkdir -p "$KMF_BUILD/results"
: >"$KMF_RESULTS"
t0=$(date +%s)

run() {
	_name=$1
	shift
	if ! "$@"; then
		fail "$_name" "test script exited with an error (see above)"
	fi
}

run static sh "$KMF_TOP/tests/static.sh"
if [ "${1:-}" != quick ]; then
	run badinput sh "$KMF_TOP/tests/badinput.sh"
	# Bochs is slow: the Intel boot runs the guest test and the benchmark
	# at the short Intel sizes of suite.sh (about 3.5 minutes more per base
	# on a shared 2-core machine); the fuzzer would add about 2.5 minutes
	# per base there, so it and the KVM selftests run on QEMU only
	# ("suite.sh --tests fuzz --vendors intel BASE" runs it under Bochs).
	for base in 5.10 6.1; do
		run "suite/$base" sh "$KMF_TOP/tests/suite.sh" --quick --intel-tests foundation,bench "$base"
	done
	# the series against every Debian source of its base; 6.12: the audit
	for base in 5.10 6.1 6.12; do
		run "series/$base" sh "$KMF_TOP/tests/series.sh" "$base"
	done
fi

echo
echo "== summary ($(($(date +%s) - t0))s)"
grep '^FAIL' "$KMF_RESULTS" || true
np=$(grep -c '^PASS' "$KMF_RESULTS" || true)
nf=$(grep -c '^FAIL' "$KMF_RESULTS" || true)
echo "$np passed, $nf failed"
[ "$nf" -eq 0 ]
