#!/bin/sh
# The CR0.WP benchmark, in the booted kernel: the matrix {stock, fastpgd} x
# {tdp_mmu=0, 1 where the base has it} x {TDP on, off} x {64-bit, PAE} x
# {plain, CR0.CD=1 (AMD: forces the CR0 write intercept)} x {toggle,
# toggle+touch, cpuid}, modules swapped inside this one boot.  One
# KMF-BENCH line per run (counters armed) and one KMF-BENCH-TIME line
# (the same run without them, whose cycles and times are the ones the
# JSON reports).  Sizes come from the kernel command line:
# kmf.iters= (toggle, cpuid), kmf.titers= (toggle+touch), kmf.pages=,
# kmf.modes=, and kmf.tdps= (TDP settings to run, default 1,0: the shorter
# Bochs run of make check has only 1; a configuration left out is printed
# as a KMF-BENCH-SKIP line with the reason, never as a result).
set -u
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=counters.sh
. /tests/counters.sh
iters=2000 titers=200 pages=512 modes="64 pae" tdps="1 0"
read -r cmdline </proc/cmdline
for a in $cmdline; do
	case $a in
	kmf.iters=*) iters=${a#*=} ;;
	kmf.titers=*) titers=${a#*=} ;;
	kmf.pages=*) pages=${a#*=} ;;
	kmf.modes=*) modes=$(echo "${a#*=}" | tr , ' ') ;;
	kmf.tdps=*) tdps=$(echo "${a#*=}" | tr , ' ') ;;
	esac
done
vendor=$(kvm_vendor)
case $vendor in
intel) variants=0 ;;
amd) variants="0 1" ;;
*) echo "KMF: no VMX or SVM on this CPU"; exit 1 ;;
esac
kvm_configs >/tmp/configs
tdp_mmus=0,1
grep -q ' none$' /tmp/configs && tdp_mmus=none
echo "KMF: bench vendor=$vendor tdp_mmu=$tdp_mmus modes=$(echo "$modes" | tr ' ' ,) variants=$(echo "$variants" | tr ' ' ,) tdps=$(echo "$tdps" | tr ' ' ,) iters=$iters titers=$titers pages=$pages"

# run_matrix TAG: every variant, mode and workload of the loaded modules;
# TAG KMF-BENCH-TIME runs with the counters disarmed (the timing: kprobes
# and trace events cost time of their own, and more on the stock modules,
# whose toggles hit the probes), KMF-BENCH with them armed (the counts)
run_matrix() {
	for cd in $variants; do
		for mode in $modes; do
			for wl in toggle toggle+touch cpuid; do
				n=$iters
				[ "$wl" = toggle+touch ] && n=$titers
				opt=
				[ "$cd" = 1 ] && opt=--cd
				# shellcheck disable=SC2086
				if out=$(/vmm --mode "$mode" $opt --iters "$n" --pages "$pages" run "$wl" 2>&1); then
					echo "$1 set=$set tdp_mmu=$tm tdp=$(kvm_tdp) $out"
				else
					echo "KMF-BENCH-ERROR set=$set tdp_mmu=$tm tdp=$tdp mode=$mode cd=$cd workload=$wl: $out"
				fi
			done
		done
	done
}

while read -r set tdp tm <&3; do
	case " $tdps " in
	*" $tdp "*) ;;
	*)
		echo "KMF-BENCH-SKIP set=$set tdp_mmu=$tm tdp=$tdp reason=not-in-kmf.tdps=$(echo "$tdps" | tr ' ' ,)"
		continue
		;;
	esac
	if ! load_config "$set" "$tdp" "$tm"; then
		echo "KMF-BENCH-ERROR set=$set tdp=$tdp tdp_mmu=$tm: cannot load modules"
		continue
	fi
	[ "$tm" = none ] && tm=null
	run_matrix KMF-BENCH-TIME
	counters_arm
	run_matrix KMF-BENCH
	counters_disarm
	unload_kvm || echo "KMF-BENCH-ERROR set=$set: cannot unload"
done 3</tmp/configs
counters_teardown
