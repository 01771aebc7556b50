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
: >"$KMF_BUILD/results/check-times.txt"
t0=$(date +%s)

# run NAME COMMAND...: one test script; its time goes to the summary
run() {
	_name=$1
	shift
	_t=$(date +%s)
	echo "== $_name (at $((_t - t0))s)"
	if ! "$@"; then
		fail "$_name" "test script exited with an error (see above)"
	fi
	echo "$_name $(($(date +%s) - _t))s" >>"$KMF_BUILD/results/check-times.txt"
}

run static sh "$KMF_TOP/tests/static.sh"
if [ "${1:-}" != quick ]; then
	# The series against every Debian source of its base (6.12: the
	# audit) is mostly downloads, unpacking and builds: it runs beside the
	# other tests, its output kept for the end.  (Its CPU load disturbs the
	# timings of the quick benchmark, which make check does not judge;
	# make bench runs alone.)
	mkdir -p "$KMF_BUILD/logs"
	(
		for base in 5.10 6.1 6.12; do
			run "series/$base" sh "$KMF_TOP/tests/series.sh" "$base"
		done
	) >"$KMF_BUILD/logs/series.log" 2>&1 &
	series_pid=$!
	run badinput sh "$KMF_TOP/tests/badinput.sh"
	run deb sh "$KMF_TOP/tests/deb.sh"
	run rpm sh "$KMF_TOP/tests/rpm.sh"
	# The Intel (Bochs) boot of make check is tests/deb.sh's: the kernel
	# of the Debian system the .debs were installed in runs the guest
	# test and the short benchmark there, stock vs installed.  Bochs is
	# slow (about ten times QEMU's TCG), so the fuzzer, the KVM selftests
	# and the correctness tests run under QEMU only; "tests/suite.sh
	# --vendors intel BASE" runs any of them under Bochs.
	for base in 5.10 6.1; do
		run "suite/$base" sh "$KMF_TOP/tests/suite.sh" --quick --vendors amd \
			--tests foundation,bench,fuzz,selftests,correct "$base"
	done
	echo "== waiting for tests/series.sh (log: $KMF_BUILD/logs/series.log)"
	wait "$series_pid" || fail series "tests/series.sh exited with an error"
	cat "$KMF_BUILD/logs/series.log"
fi

echo
echo "== summary ($(($(date +%s) - t0))s; per script:" \
	"$(tr '\n' ' ' <"$KMF_BUILD/results/check-times.txt"))"
grep '^FAIL' "$KMF_RESULTS" || true
# checks that could not run in some configuration (neither pass nor fail)
grep '^SKIP' "$KMF_RESULTS" || true
np=$(grep -c '^PASS' "$KMF_RESULTS" || true)
nf=$(grep -c '^FAIL' "$KMF_RESULTS" || true)
echo "$np passed, $nf failed"
[ "$nf" -eq 0 ]
