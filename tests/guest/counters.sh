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

# counters_disarm: the kprobes go, the instances' events are disabled; the
# instances themselves stay for the next module load (counters.c reads
# differences, and under Bochs making and removing three instances, each a
# copy of every event directory, cost minutes per configuration).
counters_disarm() {
	for _c in $KMF_KPROBES; do
		_e="$T/events/kmf/${_c%%:*}/enable"
		[ ! -f "$_e" ] || echo 0 >"$_e"
	done
	echo >"$T/kprobe_events"
	for _c in $KMF_EVENTS; do
		_rest=${_c#*:}
		_e="$T/instances/${_c%%:*}/events/${_rest%%:*}/enable"
		[ ! -f "$_e" ] || echo 0 >"$_e"
	done
}

# counters_teardown: disarm and remove the instances (end of the test)
counters_teardown() {
	counters_disarm
	for _c in $KMF_EVENTS; do
		_i="$T/instances/${_c%%:*}"
		[ ! -d "$_i" ] || rmdir "$_i"
	done
}

counters_arm() {
	counters_disarm
	# MOD:SYM: the kprobe is accepted only if the loaded kvm module has the
	# function as a symbol of its own (not inlined); no scan of
	# /proc/kallsyms, which is slow under Bochs
	for _c in $KMF_KPROBES; do
		_n=${_c%%:*} _f=${_c#*:}
		if echo "p:kmf/$_n kvm:$_f" >>"$T/kprobe_events" 2>/dev/null &&
			[ -f "$T/events/kmf/$_n/enable" ]; then
			echo 1 >"$T/events/kmf/$_n/enable"
		else
			echo "KMF: counter kprobe $_f: absent on this kernel"
		fi
	done
	for _c in $KMF_EVENTS; do
		_inst=${_c%%:*} _rest=${_c#*:}
		_ev=${_rest%%:*} _filter=${_rest#*:}
		_i="$T/instances/$_inst"
		if [ ! -d "$T/events/$_ev" ]; then
			echo "KMF: counter tracepoint $_ev: absent on this kernel"
			# no instance: counters.c then reports the counter absent
			[ ! -d "$_i" ] || rmdir "$_i"
			continue
		fi
		{ [ -d "$_i" ] || { mkdir "$_i" && echo 16 >"$_i/buffer_size_kb"; }; } &&
			{ [ -z "$_filter" ] || echo "$_filter" >"$_i/events/$_ev/filter"; } &&
			echo 1 >"$_i/events/$_ev/enable" ||
			echo "KMF: counter tracepoint $_ev: cannot arm"
	done
}
