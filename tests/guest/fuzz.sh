#!/bin/sh
# The state fuzzer, in the booted kernel: for the stock modules and ours,
# with TDP on (tdp_mmu=0 and 1 where the base has it) and off, run
# kmf.fuzzsteps= steps (default 10000) from seed kmf.seed= (default: from
# the clock; printed either way).  dmesg must stay free of WARN/BUG/leaks.
# kmf.fuzzopts=: more options of "vmm fuzz", comma-separated (e.g.
# --emulated-writes); kmf.fuzzsets=: the module sets (default stock,fastpgd);
# kmf.fuzzconfigs=: the configurations as TDP:TDP_MMU (default all, e.g.
# 1:0,1:1,0:0; TDP_MMU is "none" where the base lacks the parameter), so
# that a long run can be split across parallel boots.
#
# Two stock failures are kept out of the random space (and reported in
# the KMF-FUZZ line as "excluded="), so that what remains tests our series:
# - AMD with NPT, under QEMU's nested SVM, stock 5.10 and 6.1: a guest MOV
#   to CR0/CR4 that enters or changes PAE paging gets #GP (PAE set up by the
#   host works; reproduce with "vmm --formats pae fuzz"), and with 2-level
#   paging the vCPU stops making progress.  Only 4-level runs there; the
#   32-bit formats are covered by shadow paging and by VMX.
# - Shadow paging on 5.10, both vendors: CR0.PG=0 with CR4.SMEP=1 never
#   makes progress.  5.10's svm_set_cr4 keeps SMEP in the hardware CR4 (6.1
#   clears SMEP/SMAP/PKE there while the guest has paging off); on VMX with
#   ept=0 (no unrestricted guest) vmx_set_cr4 would clear it, but
#   vmx_set_cr0 calls it on a CR0.PG change only with EPT, so SMEP stays
#   in the hardware CR4 over KVM's user-accessible identity map (Intel,
#   seed 14219841605049: stock and ours stop at the same step, 20, with
#   CR0=0x33 and CR4.SMEP=1).  6.1's vmx_set_cr0 has the same condition, so
#   on Intel this is left out on every base.
set -u
# shellcheck source=lib.sh
. /tests/lib.sh
steps=10000 seed='' formats=2l,pae,4l xopts='' sets='stock fastpgd' configs=
read -r cmdline </proc/cmdline
for a in $cmdline; do
	case $a in
	kmf.fuzzsteps=*) steps=${a#*=} ;;
	kmf.seed=*) seed=${a#*=} ;;
	kmf.formats=*) formats=${a#*=} ;;
	kmf.fuzzopts=*) xopts=$(echo "${a#*=}" | tr , ' ') ;;
	kmf.fuzzsets=*) sets=$(echo "${a#*=}" | tr , ' ') ;;
	kmf.fuzzconfigs=*) configs=$(echo "${a#*=}" | tr , ' ') ;;
	esac
done
[ -n "$seed" ] || seed=$(($(date +%s) * 7919))
vendor=$(kvm_vendor)
kv=$(uname -r)
n=0
kvm_configs >/tmp/configs
while read -r set tdp tm <&3; do
	case " $sets " in *" $set "*) ;; *) continue ;; esac
	[ -z "$configs" ] || case " $configs " in *" $tdp:$tm "*) ;; *) continue ;; esac
	if ! load_config "$set" "$tdp" "$tm"; then
		echo "KMF-FUZZ set=$set tdp=$tdp tdp_mmu=$tm result=noload"
		continue
	fi
	excl=
	f=$formats
	if [ "$vendor" = amd ] && [ "$tdp" = 1 ]; then
		f=4l
		excl=2l,pae
	fi
	fopts="--formats $f $xopts"
	if [ "$tdp" = 0 ] && { [ "$vendor" = intel ] || [ "${kv#5.10.}" != "$kv" ]; }; then
		fopts="$fopts --no-unpaged-smep"
		excl=unpaged-smep
	fi
	s=$((seed + n))
	n=$((n + 1))
	bad0=$(dmesg | grep -cE 'WARNING: CPU|BUG:|Oops:|kvm.*leak|general protection fault')
	# streamed, so that a hang still shows how far it got
	# shellcheck disable=SC2086
	{ /vmm --timeout 20 $fopts --seed "$s" --iters "$steps" fuzz 2>&1
		echo "rc=$?" >/tmp/fuzz.rc; } |
		sed "s/^/KMF-FUZZ-OUT set=$set tdp=$tdp tdp_mmu=$tm: /"
	r=fail
	[ "$(cat /tmp/fuzz.rc)" = rc=0 ] && r=ok
	bad=$(($(dmesg | grep -cE 'WARNING: CPU|BUG:|Oops:|kvm.*leak|general protection fault') - bad0))
	echo "KMF-FUZZ set=$set tdp=$tdp tdp_mmu=$tm seed=$s steps=$steps opts=$(echo "${xopts:-none}" | tr " " ,) excluded=${excl:-none} result=$r dmesg_bad=$bad"
	unload_kvm || echo "KMF-FUZZ set=$set result=nounload"
done 3</tmp/configs
