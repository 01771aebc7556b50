# Run one of tests/guest/*.sh in a Debian kernel booted under QEMU (amd) or
# Bochs (intel), with the stock modules and ours in its initramfs.  Sourced
# after common.sh, chroot.sh, boot.sh, result.sh and dkmsroot.sh.
# shellcheck shell=sh
# shellcheck disable=SC2154,SC2034 # root, kver: set by dkms_root; log, clog: for the caller

KMF_VMM=${KMF_VMM:-$KMF_TOP/tests/vmm/vmm}

# guest_dkms NAME BASE: the Debian system of BASE with our modules
# installed by DKMS.  Records a failure under NAME and returns 1 if not.
guest_dkms() {
	mkdir -p "$KMF_BUILD/results" "$KMF_BUILD/logs"
	dkms_root "$2"
	if [ -n "$dkms_failed" ]; then
		fail "$1/dkms" "dkms $dkms_failed failed for $kver"
		return 1
	fi
}

# guest_initramfs NAME [EXTRA_DIR]: the initramfs $initrd for $kver.
guest_initramfs() {
	initrd="$KMF_BUILD/initrd-$(echo "$1" | tr / -)-$kver.$$.gz"
	if ! step "test initramfs for $kver" mk_initramfs "$root" "$kver" "$initrd" "${2:-}"; then
		fail "$1/initramfs" "could not build the test initramfs"
		return 1
	fi
}

# guest_boot NAME VENDOR TEST LIMIT ARGS: boot $kver with $initrd, run
# tests/guest/TEST.sh with kernel arguments ARGS; the console goes to $log
# (with carriage returns removed: $clog).  Records a failure and returns 1
# if the test kernel gives no complete result within LIMIT seconds.
guest_boot() {
	# no commas in the name: Bochs' configuration syntax splits on them
	_gb_n="$(echo "$3" | tr , +)-$kver-$2"
	log="$KMF_BUILD/logs/$_gb_n.log"
	clog="$KMF_BUILD/logs/$_gb_n.txt"
	case $2 in
	amd) _gb_what="$3 on $kver under QEMU TCG (AMD SVM+NPT)" ;;
	intel) _gb_what="$3 on $kver under Bochs (Intel VMX+EPT)" ;;
	esac
	if ! step "$_gb_what" "boot_$2" "$root/boot/vmlinuz-$kver" "$initrd" \
		"$log" "$3" "$4" "$5"; then
		fail "$1/$2/boot" "no result from the test kernel (log: $log)"
		return 1
	fi
	tr -d '\r' <"$log" >"$clog"
}
