# Arm the MMU counters that tests/vmm/counters.c reads: kprobes on KVM MMU
# functions (hit counts in kprobe_profile), and for each counted tracepoint
# a trace instance of its own with the event enabled and filtered (the
# count is what its ring buffer saw).  Module tracepoints and kprobes go
# away with the module, so this runs after every module load.  Sourced.
# shellcheck shell=sh

T=/sys/kernel/tracing
[ -d "$T/events" ] || T=/sys/kernel/debug/tracing

# kprobe event name and function: the function must exist (not inlined)
# in the loaded kvm module, or the counter stays absent.
KMF_KPROBES="mmu_unload:kvm_mmu_unload free_root:mmu_free_root_page"
# instance:event:filter.  CR0 writes are counted as exits, not with
# kvm:kvm_cr: without decode assists (QEMU's SVM) KVM emulates the MOV to
# CR0 and kvm_cr never fires.  SVM: WRITE_CR0 (0x10) and CR0_SEL_WRITE
# (0x65); VMX: CR_ACCESS (28), which in these guests are all CR0 writes.
case $(kvm_vendor) in
intel) _cr0="exit_reason==28" ;;
*) _cr0="exit_reason==16||exit_reason==101" ;;
esac
KMF_EVENTS="kmf_cr0:kvm/kvm_exit:$_cr0 kmf_fault:kvm/kvm_page_fault: kmf_newpage:kvmmmu/kvm_mmu_get_page:created==1"

counters_disarm() {
	for _c in $KMF_KPROBES; do
		_e="$T/events/kmf/${_c%%:*}/enable"
		[ ! -f "$_e" ] || echo 0 >"$_e"
	done
	echo >"$T/kprobe_events"
	for _c in $KMF_EVENTS; do
		_i="$T/instances/${_c%%:*}"
		[ ! -d "$_i" ] || rmdir "$_i"
	done
}

counters_arm() {
	counters_disarm
	for _c in $KMF_KPROBES; do
		_n=${_c%%:*} _f=${_c#*:}
		if grep -Eq " [tT] ${_f}[[:space:]]+\[kvm\]" /proc/kallsyms &&
			echo "p:kmf/$_n $_f" >>"$T/kprobe_events"; then
			echo 1 >"$T/events/kmf/$_n/enable"
		else
			echo "KMF: counter kprobe $_f: absent on this kernel"
		fi
	done
	for _c in $KMF_EVENTS; do
		_inst=${_c%%:*} _rest=${_c#*:}
		_ev=${_rest%%:*} _filter=${_rest#*:}
		if [ ! -d "$T/events/$_ev" ]; then
			echo "KMF: counter tracepoint $_ev: absent on this kernel"
			continue
		fi
		mkdir "$T/instances/$_inst" &&
			echo 16 >"$T/instances/$_inst/buffer_size_kb" &&
			{ [ -z "$_filter" ] ||
				echo "$_filter" >"$T/instances/$_inst/events/$_ev/filter"; } &&
			echo 1 >"$T/instances/$_inst/events/$_ev/enable" ||
			echo "KMF: counter tracepoint $_ev: cannot arm"
	done
}
