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
	# Everything on both vendors for Debian 11's 5.10; for Debian 12's 6.1
	# the slow Bochs boot runs the foundation test only.
	run suite/5.10 sh "$KMF_TOP/tests/suite.sh" --quick 5.10
	run suite/6.1 sh "$KMF_TOP/tests/suite.sh" --quick --intel-tests foundation 6.1
fi

echo
echo "== summary ($(($(date +%s) - t0))s)"
grep '^FAIL' "$KMF_RESULTS" || true
np=$(grep -c '^PASS' "$KMF_RESULTS" || true)
nf=$(grep -c '^FAIL' "$KMF_RESULTS" || true)
echo "$np passed, $nf failed"
[ "$nf" -eq 0 ]
