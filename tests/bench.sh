#!/bin/sh
# The CR0.WP benchmark for one kernel base: build our modules with DKMS in a
# real Debian system, boot its kernel on each vendor, and run the matrix of
# tests/guest/bench.sh with the stock modules and ours in the same boot.
# Writes build/results/bench-<KVER>-<vendor>.json and prints a table.
#
#   tests/bench.sh [--quick] BASE [VENDOR...]
#     --quick: the short sizes used by make check
set -eu
KMF_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$KMF_TOP/tests/lib/common.sh"
. "$KMF_TOP/tests/lib/chroot.sh"
. "$KMF_TOP/tests/lib/boot.sh"
. "$KMF_TOP/tests/lib/result.sh"
. "$KMF_TOP/tests/lib/dkmsroot.sh"

quick=
if [ "${1:-}" = --quick ]; then
	quick=1
	shift
fi
base=${1:?usage: bench.sh [--quick] BASE [amd] [intel]}
shift
vendors=${*:-amd intel}
KMF_VMM=${KMF_VMM:-$KMF_TOP/tests/vmm/vmm}
t="bench/$base"
mkdir -p "$KMF_BUILD/results" "$KMF_BUILD/logs"

# Sizes: iterations of toggle and cpuid, of toggle+touch, pages touched,
# paging modes.  Bochs runs about ten times slower than QEMU's TCG.
sizes() {
	case $quick-$1 in
	1-amd) echo "kmf.iters=200 kmf.titers=20 kmf.pages=512 kmf.modes=64,pae" ;;
	1-intel) echo "kmf.iters=40 kmf.titers=4 kmf.pages=512 kmf.modes=64" ;;
	-amd) echo "kmf.iters=2000 kmf.titers=200 kmf.pages=512 kmf.modes=64,pae" ;;
	-intel) echo "kmf.iters=200 kmf.titers=20 kmf.pages=512 kmf.modes=64,pae" ;;
	esac
}

root=
trap '[ -z "$root" ] || chroot_umounts "$root"' EXIT
dkms_root "$base"
if [ -n "$dkms_failed" ]; then
	fail "$t/dkms" "dkms $dkms_failed failed for $kver"
	exit 0
fi
step "test initramfs for $kver" mk_initramfs "$root" "$kver" "$KMF_BUILD/initrd-$kver.gz" ||
	{ fail "$t/initramfs" "could not build the test initramfs"; exit 0; }

for vendor in $vendors; do
	log="$KMF_BUILD/logs/bench-$kver-$vendor.log"
	json="$KMF_BUILD/results/bench-$kver-$vendor.json"
	case $vendor in
	amd) what="benchmark $kver under QEMU TCG (AMD SVM+NPT)" limit=900 ;;
	intel) what="benchmark $kver under Bochs (Intel VMX+EPT)" limit=1500 ;;
	esac
	if ! step "$what" "boot_$vendor" "$root/boot/vmlinuz-$kver" \
		"$KMF_BUILD/initrd-$kver.gz" "$log" bench "$limit" "$(sizes "$vendor")"; then
		fail "$t/$vendor/run" "no result from the test kernel (log: $log)"
		continue
	fi
	tr -d '\r' <"$log" | awk -v kernel="$kver" -v src="$kver_pkg" -v vendor="$vendor" \
		-f "$KMF_TOP/tests/lib/bench2json.awk" >"$json"
	n=$(grep -c '"workload"' "$json" || true)
	errs=$(tr -d '\r' <"$log" | grep -c '^KMF-BENCH-ERROR' || true)
	expect "$t/$vendor/runs" "$n runs, $errs errors (log: $log)" \
		sh -c '[ "$1" -gt 0 ] && [ "$2" -eq 0 ]' - "$n" "$errs"
	tr -d '\r' <"$log" | grep '^KMF-BENCH-ERROR' | head -n 5 || true
	d=$(tr -d '\r' <"$log" | grep -c '^KMF-DMESG' || true)
	expect "$t/$vendor/dmesg-clean" "WARN/BUG/leak in the test kernel's log (see $log)" [ "$d" -eq 0 ]
	echo
	echo "kernel $kver ($kver_pkg), $vendor: $json"
	awk -f "$KMF_TOP/tests/lib/benchtable.awk" "$json"
	# the counters must be live: every toggle is two CR0-write exits
	awk -f "$KMF_TOP/tests/lib/benchtable.awk" -v check=live "$json" >"$KMF_BUILD/results/.chk" || true
	expect "$t/$vendor/counters-live" "$(cat "$KMF_BUILD/results/.chk")" \
		grep -q '^ok' "$KMF_BUILD/results/.chk"
done
