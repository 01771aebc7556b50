#!/bin/sh
# Correctness the series must keep, in the booted kernel: "vmm correct"
# (tests/vmm/correct.c) on the stock modules and ours, with TDP on
# (tdp_mmu=0 and 1 where the base has it) and off.  Each test group runs
# twice: as is (run=check), and with its key expectations negated
# (run=control), where every case that can run must fail.  One KMF-CORRECT
# line per case; a case that cannot run here says result=unsupported.
#
# Guest-made entries into PAE paging are left out with AMD NPT: under
# QEMU's nested SVM the stock modules fault there (see fuzz.sh); host-made
# PAE states (KVM_SET_SREGS) run everywhere.  On 5.10 with shadow paging,
# SMM in a 2-level paging guest is left out: the stock 5.10 modules hit
# BUG() in __pte_list_remove (paging32_sync_page from kvm_mmu_load) after
# the SMI handler rewrote a PTE, which takes the test kernel down; and in
# the nested SVM test, L2's write to a read-only page with its CR0.WP=1
# (which L1 intercepts as #PF) never exits to L1 on the stock modules
# either: L2 spins on the write.  Those cases are reported as unsupported.
# 6.1 runs both (stock and ours pass them).  The nested VMX test
# (nested-vmx.*, Intel only) runs its probe everywhere.
set -u
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=counters.sh
. /tests/counters.sh
vendor=$(kvm_vendor)
kv=$(uname -r)
k510=
[ "${kv#5.10.}" != "$kv" ] && k510=1
groups="pg-flush set-cpuid efer-lme smm nested"

# the kprobe on kvm_mmu_reset_context that "vmm correct" reads (kmf/mmu_reset)
reset_arm() {
	if grep -Eq " [tT] kvm_mmu_reset_context[[:space:]]+\[kvm\]" /proc/kallsyms &&
		echo "p:kmf/mmu_reset kvm_mmu_reset_context" >>"$T/kprobe_events"; then
		echo 1 >"$T/events/kmf/mmu_reset/enable"
	else
		echo "KMF: counter kprobe kvm_mmu_reset_context: absent on this kernel"
	fi
}

reset_disarm() {
	_e="$T/events/kmf/mmu_reset/enable"
	[ ! -f "$_e" ] || echo 0 >"$_e"
	echo "-:kmf/mmu_reset" >>"$T/kprobe_events" 2>/dev/null || true
}

kvm_configs >/tmp/configs
while read -r set tdp tm <&3; do
	pre="set=$set tdp=$tdp tdp_mmu=$tm"
	if ! load_config "$set" "$tdp" "$tm"; then
		echo "KMF-CORRECT $pre run=check test=load result=error why: cannot load modules"
		continue
	fi
	counters_arm
	reset_arm
	formats=2l,pae,4l
	[ "$vendor" = amd ] && [ "$tdp" = 1 ] && formats=4l
	# host-initiated EFER.LME writes reset the MMU with patch 01, and
	# upstream from 5.18 (stock 6.1); stock 5.10 does not
	opts=--expect-lme-reset
	[ "$set" = stock ] && [ -n "$k510" ] && opts=
	[ "$tdp" = 0 ] && [ -n "$k510" ] && opts="$opts --no-l2-wp-probe"
	echo "KMF-CORRECT-CONFIG $pre identity=$(kvm_identity) tdp_real=$(kvm_tdp) formats=$formats options=$(echo "$opts" | tr -s ' ' ,)"
	for g in $groups; do
		f=$formats
		if [ "$g" = smm ] && [ "$tdp" = 0 ] && [ -n "$k510" ]; then
			f=${f#2l,}
			echo "KMF-CORRECT $pre run=check test=smm.2l result=unsupported why: excluded on 5.10 (stock BUG in __pte_list_remove, see correct.sh)"
		fi
		for run in check control; do
			neg=
			[ "$run" = control ] && neg=--negate
			t0=$(date +%s)
			# shellcheck disable=SC2086
			/vmm --timeout 20 --formats "$f" correct $neg $opts "$g" >/tmp/correct.out 2>&1
			rc=$?
			echo "KMF-CORRECT-TIME $pre run=$run group=$g secs=$(($(date +%s) - t0))"
			sed -n "s/^correct test=/KMF-CORRECT $pre run=$run test=/p" /tmp/correct.out
			# vmm gave up (guest crash, ioctl error): the group's cases
			# after that did not run
			if [ "$rc" != 0 ] && [ "$rc" != 1 ] && [ "$rc" != 3 ] ||
				grep -q '^vmm: ' /tmp/correct.out; then
				echo "KMF-CORRECT $pre run=$run test=$g result=error why: exit $rc: $(grep '^vmm: ' /tmp/correct.out | head -n 2 | tr '\n' ' ')"
			fi
		done
	done
	reset_disarm
	counters_disarm
	unload_kvm || echo "KMF-CORRECT $pre run=check test=unload result=error why: cannot unload"
done 3</tmp/configs
