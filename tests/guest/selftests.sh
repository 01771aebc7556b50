#!/bin/sh
# The kernel's KVM selftests, in the booted kernel, on the stock modules and
# on ours in the same boot.  kmf.selftests= on the command line: a
# comma-separated subset (default: all); kmf.sttimeout=: seconds per test.
# One KMF-SELFTEST line per test and module set; KSFT_SKIP (4) is "skip".
# A test that runs out of time on ours where it passed on stock is run once
# more with three times the limit (said in a KMF-SELFTEST-OUT line).
set -u
# shellcheck source=lib.sh
. /tests/lib.sh
only='' limit=120
read -r cmdline </proc/cmdline
for a in $cmdline; do
	case $a in
	kmf.selftests=*) only=$(echo "${a#*=}" | tr , ' ') ;;
	kmf.sttimeout=*) limit=${a#*=} ;;
	esac
done
[ -n "$only" ] || only=$(ls /selftests)

# alive PID: the process is there and not a zombie (gone, or exited and
# waiting to be reaped, it is not)
alive() {
	[ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null || echo Z)" != Z ]
}

# run_one LIMIT: run test $t; sets rc, st (pass, skip, timeout, fail,
# hung), secs.  A test killed at the limit that still does not go away
# (stuck in the kernel) is "hung": the next tests run all the same, and
# the boot ends with a result instead of running into the host's limit.
run_one() {
	t0=$(date +%s)
	cd /tmp || exit 1
	timeout -s KILL "$1" "/selftests/$t" >/tmp/st.out 2>&1 &
	_p=$!
	_n=0
	while alive "$_p" && [ "$_n" -lt $((($1 + 30) * 5)) ]; do
		sleep 0.2
		_n=$((_n + 1))
	done
	secs=$(($(date +%s) - t0))
	if alive "$_p"; then
		rc=none st=hung
		return
	fi
	wait "$_p"
	rc=$?
	case $rc in
	0) st=pass ;;
	4) st=skip ;;
	137) st=timeout ;;
	*) st=fail ;;
	esac
}
for set in stock fastpgd; do
	if ! load_kvm "$set"; then
		echo "KMF-SELFTEST-ERROR set=$set: cannot load modules"
		continue
	fi
	for t in $only; do
		[ -x "/selftests/$t" ] || { echo "KMF-SELFTEST set=$set test=$t rc=none status=missing secs=0"; continue; }
		run_one "$limit"
		# The long memory tests take about as long as the quick limit
		# under TCG: where ours ran out of time but stock passed, ours
		# gets a second run with three times the limit before it counts.
		if [ "$set" = fastpgd ] && [ "$st" = timeout ] &&
			[ "$(cat "/tmp/st-stock.$t" 2>/dev/null)" = pass ]; then
			echo "KMF-SELFTEST-OUT set=$set test=$t: no result after ${limit}s, where stock passed; run again with $((limit * 3))s"
			run_one $((limit * 3))
		fi
		[ "$set" != stock ] || echo "$st" >"/tmp/st-stock.$t"
		echo "KMF-SELFTEST set=$set test=$t rc=$rc status=$st secs=$secs"
		if [ "$st" != pass ]; then
			tail -n 3 /tmp/st.out | tr -d '\r' | sed "s/^/KMF-SELFTEST-OUT set=$set test=$t: /"
		fi
	done
	unload_kvm || echo "KMF-SELFTEST-ERROR set=$set: cannot unload"
done
