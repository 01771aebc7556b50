#!/bin/sh
# The kernel's KVM selftests, in the booted kernel, on the stock modules and
# on ours in the same boot.  kmf.selftests= on the command line: a
# comma-separated subset (default: all); kmf.sttimeout=: seconds per test.
# One KMF-SELFTEST line per test and module set; KSFT_SKIP (4) is "skip".
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
for set in stock fastpgd; do
	if ! load_kvm "$set"; then
		echo "KMF-SELFTEST-ERROR set=$set: cannot load modules"
		continue
	fi
	for t in $only; do
		[ -x "/selftests/$t" ] || { echo "KMF-SELFTEST set=$set test=$t rc=none status=missing secs=0"; continue; }
		t0=$(date +%s)
		cd /tmp || exit 1
		timeout -s KILL "$limit" "/selftests/$t" >/tmp/st.out 2>&1
		rc=$?
		secs=$(($(date +%s) - t0))
		case $rc in
		0) st=pass ;;
		4) st=skip ;;
		137) st=timeout ;;
		*) st=fail ;;
		esac
		echo "KMF-SELFTEST set=$set test=$t rc=$rc status=$st secs=$secs"
		if [ "$st" != pass ]; then
			tail -n 3 /tmp/st.out | tr -d '\r' | sed "s/^/KMF-SELFTEST-OUT set=$set test=$t: /"
		fi
	done
	unload_kvm || echo "KMF-SELFTEST-ERROR set=$set: cannot unload"
done
