# Test results: one line per check in $KMF_RESULTS ("PASS name" or
# "FAIL name: why"), tallied by tests/check.sh.  Sourced.
# shellcheck shell=sh

KMF_RESULTS=${KMF_RESULTS:-$KMF_BUILD/results/checks.txt}

pass() {
	mkdir -p "$(dirname "$KMF_RESULTS")"
	echo "PASS $1" >>"$KMF_RESULTS"
	printf 'PASS: %s\n' "$1"
}

fail() {
	mkdir -p "$(dirname "$KMF_RESULTS")"
	_n=$1
	shift
	echo "FAIL $_n: $*" >>"$KMF_RESULTS"
	printf 'FAIL: %s: %s\n' "$_n" "$*"
}

# expect NAME WHY cmd...: PASS if the command succeeds, else FAIL with WHY.
expect() {
	_n=$1 _why=$2
	shift 2
	if "$@"; then pass "$_n"; else fail "$_n" "$_why"; fi
}

# result_field LOG SET KEY: value of KEY= in the KMF-RESULT line of SET.
result_field() {
	awk -v set="$2" -v key="$3" '
		{ sub(/\r$/, "") }
		$1 == "KMF-RESULT" && $2 == "set=" set {
			for (i = 3; i <= NF; i++)
				if (index($i, key "=") == 1) { print substr($i, length(key) + 2); exit }
		}' "$1"
}

# skip NAME WHY: a check that cannot run in this configuration; neither a
# pass nor a failure, listed by tests/check.sh.
skip() {
	mkdir -p "$(dirname "$KMF_RESULTS")"
	echo "SKIP $1: $2" >>"$KMF_RESULTS"
	printf 'SKIP: %s: %s\n' "$1" "$2"
}
