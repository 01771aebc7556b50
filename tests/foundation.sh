#!/bin/sh
# Foundation test for one kernel base: inside a real Debian system of that
# base, DKMS adds, builds and installs this tree for the system's newest
# kernel; the result is checked (vermagic, symbols, modprobe resolution);
# then the kernel is booted on both vendors and the mini-VMM's guest runs on
# the stock modules and on ours in the same boot.
#
#   tests/foundation.sh BASE [VENDOR...]     BASE: 5.10 | 6.1; VENDOR: amd intel
set -eu
KMF_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$KMF_TOP/tests/lib/common.sh"
. "$KMF_TOP/tests/lib/chroot.sh"
. "$KMF_TOP/tests/lib/boot.sh"
. "$KMF_TOP/tests/lib/result.sh"
. "$KMF_TOP/tests/lib/dkmsroot.sh"

base=${1:?usage: foundation.sh BASE [amd] [intel]}
shift
vendors=${*:-amd intel}
ver=$KMF_VERSION
KMF_VMM=${KMF_VMM:-$KMF_TOP/tests/vmm/vmm}
t="foundation/$base"
mkdir -p "$KMF_BUILD/results" "$KMF_BUILD/logs"

root=
trap '[ -z "$root" ] || chroot_umounts "$root"' EXIT
dkms_root "$base"
case $dkms_failed in
add | build)
	fail "$t/dkms-$dkms_failed" "dkms $dkms_failed failed for $kver"
	exit 0
	;;
esac
pass "$t/dkms-build"
echo "$base $kver $dkms_build_secs" >>"$KMF_BUILD/results/build-times.txt"
expect "$t/dkms-install" "dkms install failed" [ -z "$dkms_failed" ]

mods="/lib/modules/$kver/updates/dkms"
# vermagic of each module we built is the target kernel's
for m in kvm kvm-intel kvm-amd; do
	f=$(find_ko "$root$mods" "$m" | sed "s|^$root||") || f=
	vm=$( [ -n "$f" ] && in_root "$root" modinfo -F vermagic "$f" | awk '{print $1}')
	expect "$t/vermagic/$m" "vermagic '${vm:-none}' is not $kver" [ "$vm" = "$kver" ]
done

# every symbol our modules need resolves: depmod -e against the kernel's
# System.map, in a scratch copy so the system's module index is untouched
unres=$(in_root "$root" sh -c "
	d=\$(mktemp -d) && mkdir -p \$d/lib/modules/$kver &&
	cp -a /lib/modules/$kver/. \$d/lib/modules/$kver/ &&
	depmod -e -b \$d -E /lib/modules/$kver/build/Module.symvers $kver 2>&1
	rc=\$?; rm -rf \$d; exit \$rc") || unres="depmod failed: $unres"
echo "$unres" >"$KMF_BUILD/logs/depmod-$kver.log"
# control: against an empty symbol list the same check must flag our kvm.ko
ctl=$(in_root "$root" sh -c "
	d=\$(mktemp -d) && mkdir -p \$d/lib/modules/$kver &&
	cp -a /lib/modules/$kver/updates \$d/lib/modules/$kver/ &&
	depmod -e -b \$d -E /dev/null $kver 2>&1; rm -rf \$d" | grep -c '/updates/dkms/kvm.ko.* needs unknown symbol' || true)
expect "$t/symbols-control" "depmod -e did not flag kvm.ko against an empty symbol list" [ "$ctl" -gt 0 ]
nk=$(printf '%s\n' "$unres" | grep -e 'depmod failed' -e '/updates/dkms/.*unknown symbol' | grep -c . || true)
expect "$t/symbols" "unresolved symbols: $(printf '%s' "$unres" | grep /updates/ | head -n 3)" [ "$nk" -eq 0 ]

# modprobe resolves kvm, kvm_intel and kvm_amd to the DKMS copies
for m in kvm_intel kvm_amd; do
	dep=$(in_root "$root" modprobe -S "$kver" --show-depends "$m" 2>&1 || true)
	n=$(printf '%s\n' "$dep" | grep -c "^insmod $mods/kvm" || true)
	expect "$t/modprobe/$m" "modprobe --show-depends $m: $(printf '%s' "$dep" | tr '\n' ';')" [ "$n" -eq 2 ]
done

step "test initramfs for $kver" mk_initramfs "$root" "$kver" "$KMF_BUILD/initrd-$kver.gz" ||
	{ fail "$t/initramfs" "could not build the test initramfs"; exit 0; }

table="$KMF_BUILD/results/foundation-$kver.txt"
printf '%-6s %-8s %-15s %-6s %-8s %-8s\n' vendor modules identity tdp guest64 guestPAE >"$table"
for vendor in $vendors; do
	log="$KMF_BUILD/logs/foundation-$kver-$vendor.log"
	case $vendor in
	amd) what="boot $kver under QEMU TCG (AMD SVM+NPT)" ;;
	intel) what="boot $kver under Bochs (Intel VMX+EPT, ~2 min)" ;;
	esac
	if ! step "$what" "boot_$vendor" "$root/boot/vmlinuz-$kver" \
		"$KMF_BUILD/initrd-$kver.gz" "$log" foundation; then
		fail "$t/$vendor/boot" "no result from the test kernel (log: $log)"
		continue
	fi
	for set in stock fastpgd; do
		case $set in
		stock) id=stock ;;
		fastpgd) id=fastpgd-$ver ;;
		esac
		line=$(grep "^KMF-RESULT set=$set " "$log" | head -n 1)
		printf '%-6s %-8s %-15s %-6s %-8s %-8s\n' "$vendor" "$set" \
			"$(result_field "$log" "$set" identity)" "$(result_field "$log" "$set" tdp)" \
			"$(result_field "$log" "$set" guest64)" "$(result_field "$log" "$set" guestpae)" >>"$table"
		expect "$t/$vendor/$set/load" "modules did not load: $line" \
			[ "$(result_field "$log" "$set" load)" = ok ]
		expect "$t/$vendor/$set/identity" "expected $id: $line" \
			[ "$(result_field "$log" "$set" identity)" = "$id" ]
		expect "$t/$vendor/$set/tdp" "TDP (npt/ept) not on: $line" \
			[ "$(result_field "$log" "$set" tdp)" = 1 ]
		expect "$t/$vendor/$set/guest64" "64-bit guest: $line" \
			[ "$(result_field "$log" "$set" guest64)" = ok ]
		expect "$t/$vendor/$set/guestpae" "PAE guest: $line" \
			[ "$(result_field "$log" "$set" guestpae)" = ok ]
	done
done
echo
echo "Debian $suite, kernel $kver: guest runs, stock and rebuilt modules in one boot"
cat "$table"
