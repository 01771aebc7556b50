# Helpers for the tests that run inside the booted test kernel.  Sourced.
# shellcheck shell=sh

# vendor module of this (emulated) CPU
kvm_vendor() {
	if grep -q '^flags.* vmx' /proc/cpuinfo; then
		echo intel
	elif grep -q '^flags.* svm' /proc/cpuinfo; then
		echo amd
	else
		echo none
	fi
}

# load_kvm SET [kvm params] -- [vendor params]: insmod a module set
# ("stock" or "fastpgd").
load_kvm() {
	_set=$1
	shift
	_kp=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do _kp="$_kp $1"; shift; done
	[ $# -gt 0 ] && shift
	# shellcheck disable=SC2086
	insmod "/modules/$_set/kvm.ko" $_kp || return 1
	# shellcheck disable=SC2068
	insmod "/modules/$_set/kvm-$(kvm_vendor).ko" $@ || { rmmod kvm; return 1; }
}

unload_kvm() {
	rmmod "kvm_$(kvm_vendor)" && rmmod kvm
}

# Which KVM is loaded: our modules carry a version, the distribution's none.
kvm_identity() {
	if [ -r /sys/module/kvm/version ]; then
		echo "fastpgd-$(cat /sys/module/kvm/version)"
	else
		echo stock
	fi
}

# TDP (EPT/NPT) state of the loaded vendor module: 1 or 0
kvm_tdp() {
	case $(kvm_vendor) in
	intel) _p=/sys/module/kvm_intel/parameters/ept ;;
	*) _p=/sys/module/kvm_amd/parameters/npt ;;
	esac
	case $(cat "$_p" 2>/dev/null) in
	Y | 1) echo 1 ;;
	N | 0) echo 0 ;;
	*) echo unknown ;;
	esac
}

# kvm_configs: the module configurations a test runs through, one per line
# "SET TDP TDP_MMU" (TDP_MMU is "none" where the base has no such kvm
# parameter).  The TDP MMU exists only with TDP on.
kvm_configs() {
	if insmod /modules/stock/kvm.ko tdp_mmu=0 2>/dev/null; then
		rmmod kvm
		_tms="0 1"
	else
		_tms=none
	fi
	for _set in stock fastpgd; do
		for _tdp in 1 0; do
			for _tm in $_tms; do
				[ "$_tdp" = 0 ] && [ "$_tm" = 1 ] && continue
				echo "$_set $_tdp $_tm"
			done
		done
	done
}

# load_config SET TDP TDP_MMU: load the modules of one such configuration
load_config() {
	_kp=
	[ "$3" = none ] || _kp="tdp_mmu=$3"
	case $(kvm_vendor) in
	intel) _tp=ept ;;
	*) _tp=npt ;;
	esac
	# shellcheck disable=SC2086
	load_kvm "$1" $_kp -- "$_tp=$2"
}
