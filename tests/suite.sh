#!/bin/sh
# The tests for one kernel base, with one DKMS build and one boot per vendor:
# inside a real Debian system of that base, DKMS adds, builds and installs
# this tree for the system's newest kernel (checked: vermagic, symbols,
# modprobe resolution); then that kernel boots under QEMU (AMD SVM+NPT) and
# Bochs (Intel VMX+EPT) and runs, on the stock modules and on ours in the
# same boot, the tests named by --tests:
#   foundation  the mini-VMM's guest in 64-bit and PAE mode
#   bench       the CR0.WP benchmark         -> results/bench-KVER-VENDOR.json
#   fuzz        the paging-state fuzzer      -> results/fuzz-KVER-VENDOR.json
#   selftests   the kernel's KVM selftests   -> results/selftests-KVER-VENDOR.json
#   correct     correctness the series keeps -> results/correct-KVER-VENDOR.txt
#
#   tests/suite.sh [--quick] [--tests LIST] [--intel-tests LIST]
#                  [--vendors LIST] BASE
#     --quick: the shortened sizes of make check (default: full sizes)
#     --intel-tests: a subset of LIST for the (slow) Bochs boot
#     --conf SETTINGS: the build's /etc/default/kvm-mmu-fastpgd in the
#       Debian system, e.g. "KMF_GUEST_OWNED_CR0_WP=yes"
#     --fuzz-args ARGS: more kernel arguments for the fuzzer, e.g.
#       "kmf.fuzzsteps=3000 kmf.fuzzopts=--emulated-writes"
set -eu
KMF_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$KMF_TOP/tests/lib/common.sh"
. "$KMF_TOP/tests/lib/chroot.sh"
. "$KMF_TOP/tests/lib/boot.sh"
. "$KMF_TOP/tests/lib/result.sh"
. "$KMF_TOP/tests/lib/dkmsroot.sh"
. "$KMF_TOP/tests/lib/guestrun.sh"
. "$KMF_TOP/tests/lib/selftests.sh"
. "$KMF_TOP/tests/lib/eval.sh"

quick='' tests=foundation,bench,fuzz,selftests vendors="amd intel" intel_tests='' fuzz_args=''
while [ $# -gt 1 ]; do
	case $1 in
	--quick) quick=1 ;;
	--tests) tests=$2; shift ;;
	--vendors) vendors=$(echo "$2" | tr , ' '); shift ;;
	--intel-tests) intel_tests=$2; shift ;;
	--conf) KMF_BUILD_CONF=$2; shift ;;
	--fuzz-args) fuzz_args=$2; shift ;;
	*) break ;;
	esac
	shift
done
base=${1:?usage: suite.sh [--quick] [--tests LIST] [--vendors LIST] BASE}
t=$base
has() { case ,$tests, in *,$1,*) return 0 ;; esac; return 1; }

# Sizes.  Bochs runs about ten times slower than QEMU's TCG, and the whole
# KVM selftest suite would take hours there: it runs the tests that
# exercise the MMU and CR/EFER state, each in seconds.  The long memory
# tests (dirty_log*, demand_paging_test, kvm_create_max_vcpus) run under
# QEMU only.  Nested VMX is exercised by the vmx_* tests: L1 runs L2 with
# VMLAUNCH/VMRESUME, and vmx_dirty_log_test does it under nested EPT, with
# L2's writes checked through the dirty log.
#
# make check's fuzzer runs from fixed seeds (fixed_fuzz_seed), so that what
# CI sees can be run again; make bench and the full suite take their seeds
# from the clock

args() {
	_a=
	if has bench; then
		case $quick-$1 in
		1-amd) _a="kmf.iters=200 kmf.titers=20 kmf.modes=64,pae" ;;
		1-intel) _a="kmf.iters=20 kmf.titers=2 kmf.modes=64" ;;
		-amd) _a="kmf.iters=2000 kmf.titers=200 kmf.modes=64,pae" ;;
		-intel) _a="kmf.iters=50 kmf.titers=5 kmf.modes=64,pae" ;;
		esac
	fi
	if has fuzz; then
		case $quick-$1 in
		1-amd) _a="$_a kmf.fuzzsteps=1000 kmf.seed=$(fixed_fuzz_seed "$base")" ;;
		1-intel) _a="$_a kmf.fuzzsteps=100" ;;
		-amd) _a="$_a kmf.fuzzsteps=10000" ;;
		-intel) _a="$_a kmf.fuzzsteps=1500" ;;
		esac
	fi
	if has selftests; then
		case $quick-$1 in
		1-amd) _a="$_a kmf.sttimeout=60" ;;
		-amd) _a="$_a kmf.sttimeout=180" ;;
		1-intel) _a="$_a kmf.sttimeout=300 kmf.selftests=set_sregs_test,cr4_cpuid_sync_test,sync_regs_test,vmx_set_nested_state_test,smm_test,vmx_dirty_log_test,vmx_tsc_adjust_test" ;;
		-intel) _a="$_a kmf.sttimeout=600 kmf.selftests=set_sregs_test,cr4_cpuid_sync_test,state_test,smm_test,sync_regs_test,debug_regs,platform_info_test,vmx_tsc_adjust_test,vmx_set_nested_state_test,vmx_close_while_nested_test,vmx_apic_access_test,vmx_dirty_log_test,vmx_preemption_timer_test,xss_msr_test,user_msr_test,set_memory_region_test,svm_vmcall_test,tsc_msrs_test,kvm_pv_test,evmcs_test,hyperv_cpuid,mmio_warning_test" ;;
		esac
	fi
	echo "$_a $fuzz_args"
}

root=
extra=
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'drop_root; rm -rf "${extra:-/nonexistent}" "${initrd:-/nonexistent}"' EXIT
guest_dkms "$t" "$base" || exit 0
pass "$t/dkms-build"
echo "$base $kver $dkms_build_secs" >>"$KMF_BUILD/results/build-times.txt"
check_dkms_install "$t"

extra=$(mktemp -d "${TMPDIR:-/tmp}/kmf-extra.XXXXXX")
if has selftests; then
	if sd=$(selftests_dir "$base"); then
		mkdir -p "$extra/selftests"
		cp -a "$sd/." "$extra/selftests/"
		rm -f "$extra/selftests/.ok" "$extra/selftests/.build-failed"
		: >"$KMF_BUILD/results/selftests-$kver-not-built.txt"
		[ ! -f "$sd/.build-failed" ] ||
			cp "$sd/.build-failed" "$KMF_BUILD/results/selftests-$kver-not-built.txt"
	else
		fail "$t/selftests/build" "the KVM selftests of $kver_pkg did not build"
		tests=$(echo ",$tests," | sed 's/,selftests,/,/; s/^,//; s/,$//')
	fi
fi
guest_initramfs "$t" "$extra" || exit 0

table="$KMF_BUILD/results/foundation-$kver.txt"
printf '%-6s %-8s %-15s %-6s %-8s %-8s\n' vendor modules identity tdp guest64 guestPAE >"$table"
all_tests=$tests
# Time limit of one boot.  Measured with --quick, on a 2-core machine with
# tests/series.sh beside it: 5.10 AMD 171 s, 6.1 AMD 406 s, Intel 112 s.
# A guest kernel that hangs (a KVM deadlock, stock or ours) must end as a
# failure with its console, well inside CI's time.
limit=5400
[ -z "$quick" ] || limit=1500
for vendor in $vendors; do
	tests=$all_tests
	[ "$vendor" != intel ] || [ -z "$intel_tests" ] || tests=$intel_tests
	mem=1024
	has selftests && mem=2048
	KMF_MEM=$mem guest_boot "$t" "$vendor" "$tests" "$limit" "$(args "$vendor")" || continue
	for test in $(echo "$tests" | tr , ' '); do
		n=$(grep -c "^KMF: test $test exit status" "$clog" || true)
		expect "$t/$vendor/$test/completed" "tests/guest/$test.sh did not finish (log: $clog)" [ "$n" -eq 1 ]
		case $test in
		foundation) eval_foundation "$t/foundation" "$vendor" "$table" ;;
		bench) eval_bench "$t/bench" "$vendor" ;;
		fuzz) eval_fuzz "$t/fuzz" "$vendor" ;;
		selftests) eval_selftests "$t/selftests" "$vendor" ;;
		correct) eval_correct "$t/correct" "$vendor" ;;
		esac
	done
	d=$(grep -c '^KMF-DMESG' "$clog" || true)
	expect "$t/$vendor/dmesg-clean" "WARN/BUG/leak in the test kernel's log (see $clog)" [ "$d" -eq 0 ]
done
if has foundation; then
	echo
	echo "Debian $suite, kernel $kver: the guest on the stock and on the rebuilt modules, one boot"
	cat "$table"
fi
