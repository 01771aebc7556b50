// SPDX-License-Identifier: GPL-2.0-only
/*
 * Correctness that the series must keep (project issue 5):
 *
 *   vmm [--formats F] correct [--negate] [--expect-lme-reset] TEST...
 *
 *   pg-flush   the guest rewrites its own PTE (or PDE) without INVLPG, then
 *              clears and sets CR0.PG: it must see the new translation
 *   set-cpuid  KVM_SET_CPUID2 between two runs drops the MMU roots (same
 *              CPUID, and one with MAXPHYADDR lowered to 36); noentry-*:
 *              the roots loaded by a KVM_RUN that a pending signal stops
 *              before VM entry, as Linux >= 5.16 refuses a new CPUID once
 *              the guest ran
 *   efer-lme   the host switches the vCPU between 4-level and PAE paging
 *              with KVM_SET_SREGS: each switch resets the MMU and the guest
 *              sees the tables of the new mode; and KVM_SET_MSRS toggling
 *              EFER.LME with paging off (--expect-lme-reset: it must reset
 *              the MMU, as with patch 01 or Linux >= 5.18)
 *   smm        KVM_SMI while the guest runs with paging: the handler reads
 *              physical memory and rewrites the guest's PTE, RSM, the guest
 *              sees the new translation
 *   nested     L1 runs L2 with VMRUN (SVM), with and without nested NPT,
 *              toggling its own and L2's CR0.WP between runs: each level
 *              sees its own tables and its own CR0.WP (-nowp: without
 *              L2's write to a read-only page; --no-l2-wp-probe: only that);
 *              nested-vmx: the same with VMLAUNCH/VMRESUME (VMX), with and
 *              without nested EPT (--no-l2-wp-probe is for SVM only: under
 *              VMX with shadow paging the probe runs on 5.10, stock and ours)
 *
 * Every case prints one line "correct test=NAME result=pass|fail|
 * unsupported ..."; "unsupported" says why it cannot run here (KVM lacks the
 * capability, a counter is absent) and never counts as a pass.  --negate
 * inverts each case's key expectations (the value the guest must see, the
 * counter that must move): every case that can run must then fail, and
 * "negated_keys_failed=N/N other_failed=0" says that each of its key
 * expectations failed and nothing else did.  The page tables, window and ops are the
 * fuzzer's (fuzz.c); each case runs in a fresh VM.
 *
 * Exit status: 0 all ran cases passed, 1 a case failed, 2 usage or
 * /dev/kvm error, 3 none failed but some were unsupported.
 */
#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "vm.h"

extern const unsigned char smm_handler[], smm_handler_end[];
extern const unsigned char nested_l1[], nested_l1_end[];
extern const unsigned char nested_l2[], nested_l2_end[];
extern const unsigned char nvmx_l1[], nvmx_l1_end[];
extern const unsigned char nvmx_l2[], nvmx_l2_end[];

static int negate, expect_lme_reset, no_l2_wp;
static int n_pass, n_fail, n_unsup;

/* the case being run: its name, whether a check failed, and why */
static char cname[64];
static int cfailed;
/* key expectations evaluated, and how many of them failed */
static int nkeys, nkeys_failed;
static char cwhy[400], cinfo[400];
/* why a part of the case could not run (then it cannot pass) */
static const char *cunsup;

static void begin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void begin(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cname, sizeof(cname), fmt, ap);
	va_end(ap);
	cfailed = 0;
	nkeys = nkeys_failed = 0;
	cunsup = NULL;
	cwhy[0] = cinfo[0] = '\0';
	snprintf(die_context, sizeof(die_context), "vmm: correct test=%s", cname);
}

static void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void info(const char *fmt, ...)
{
	size_t l = strlen(cinfo);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cinfo + l, sizeof(cinfo) - l, fmt, ap);
	va_end(ap);
}

/* a failed check: the first one is reported */
static void failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failed(const char *fmt, ...)
{
	va_list ap;

	if (cfailed++)
		return;
	va_start(ap, fmt);
	vsnprintf(cwhy, sizeof(cwhy), fmt, ap);
	va_end(ap);
}

/* a sanity check: never negated */
static void check_eq(const char *what, uint64_t got, uint64_t want)
{
	if (got != want)
		failed("%s: %#" PRIx64 ", expected %#" PRIx64, what, got, want);
}

/* a key expectation of the case: with --negate it must not hold */
static void key_eq(const char *what, uint64_t got, uint64_t want)
{
	nkeys++;
	if ((got == want) == negate && ++nkeys_failed)
		failed("%s: %#" PRIx64 ", expected %s%#" PRIx64, what, got,
		       negate ? "(negated) not " : "", want);
}

/* a key counter expectation: the kprobe counted at least one hit */
static void key_counted(const char *what, long long delta)
{
	nkeys++;
	if ((delta > 0) == negate && ++nkeys_failed)
		failed("%s: %lld calls, expected %s", what, delta,
		       negate ? "(negated) none" : "at least one");
}

static void end(void)
{
	const char *r = cfailed ? "fail" : cunsup ? "unsupported" : "pass";

	/*
	 * With --negate every key expectation must have failed, not just one:
	 * each of them can fail.
	 */
	if (negate)
		info("%snegated_keys_failed=%d/%d other_failed=%d",
		     cinfo[0] ? " " : "", nkeys_failed, nkeys,
		     cfailed - nkeys_failed);
	if (cfailed)
		n_fail++;
	else if (cunsup)
		n_unsup++;
	else
		n_pass++;
	printf("correct test=%s result=%s%s%s%s%s\n", cname, r,
	       cinfo[0] ? " " : "", cinfo, cfailed || cunsup ? " why: " : "",
	       cfailed ? cwhy : cunsup ? cunsup : "");
	fflush(stdout);
	die_context[0] = '\0';
}

static void unsupported(const char *why)
{
	n_unsup++;
	printf("correct test=%s result=unsupported why: %s\n", cname, why);
	fflush(stdout);
	die_context[0] = '\0';
}

/* the case cannot run here: say why and drop its VM */
static void skip_case(struct vm *vm, const char *why)
{
	unsupported(why);
	vm_destroy(vm);
}

void vm_destroy(struct vm *vm)
{
	int size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

	if (size > 0)
		munmap(vm->run, size);
	munmap(vm->mem, MEM_SIZE);
	close(vm->vcpu);
	close(vm->fd);
	close(vm->kvm);
}

/* a new VM with the fuzzer's code, tables and descriptors */
static void fresh(struct vm *vm)
{
	vm_create(vm);
	memcpy(gpa(vm, GUEST_CODE), guest_begin, guest_end - guest_begin);
	build_fuzz_tables(vm);
	build_descriptors(vm);
}

/* ---- guest steps: the fuzzer's entry points with a list of ops ---- */

static int nops;

static void op(struct vm *vm, uint32_t reg, uint64_t val, uint32_t aux)
{
	uint64_t a = MAILBOX + MB_OPS + nops * 16;

	if (nops >= MB_MAX_OPS)
		die(2, "correct: too many ops");
	memcpy(gpa(vm, a), &reg, 4);
	memcpy(gpa(vm, a + 4), &aux, 4);
	memcpy(gpa(vm, a + 8), &val, 8);
	nops++;
}

static void op_read(struct vm *vm, uint64_t va)
{
	op(vm, OP_READ, va, 0);
}

static uint32_t get32(struct vm *vm, uint64_t a)
{
	uint32_t v;

	memcpy(&v, gpa(vm, a), 4);
	return v;
}

/*
 * The guest stores a page-table entry.  OP_STORE writes 8 bytes: a 4-byte
 * entry (2-level paging) is stored with its current neighbour.
 */
static void op_store_entry(struct vm *vm, int fmt, uint64_t addr, uint64_t val)
{
	if (fmt == F_2L)
		val = (uint32_t)val | (uint64_t)get32(vm, addr + 4) << 32;
	op(vm, OP_STORE, val, (uint32_t)addr);
}

/* CR0.PG 1 -> 0 -> 1 by the guest (from compatibility mode with 4-level) */
static void op_pg_cycle(struct vm *vm, const struct fstate *s, int page)
{
	struct fstate off = *s;

	off.pg = 0;
	op(vm, OP_CR0, cr0_of(&off), 0);
	if (lma(s))
		op(vm, OP_LIDT, FZ_IDTR32, 0);
	/* with paging off the window address is physical */
	op_read(vm, FZ_WINDOW + page * 4096ULL);
	op(vm, OP_CR0, cr0_of(s), 0);
	if (lma(s))
		op(vm, OP_LIDT, FZ_IDTR64, 0);
}

/* run the ops in 64-bit or 32-bit code; the reads are in MB_READS */
static void step(struct vm *vm, int cs64)
{
	struct kvm_regs regs = { 0 };
	int want = 0, i;

	for (i = 0; i < nops; i++)
		want += get32(vm, MAILBOX + MB_OPS + i * 16) == OP_READ;
	mb_set32(vm, MB_CMD, CMD_FUZZ);
	mb_set32(vm, MB_NOPS, nops);
	mb_set32(vm, MB_NREADS, 0);
	mb_set32(vm, MB_FAULTS, 0);
	mb_set32(vm, MB_STATUS, STATUS_NONE);
	mb_set64(vm, MB_VA, MAILBOX + MB_SCRATCH);
	mb_set32(vm, MB_TOKEN, 0x600dcafe);
	mb_set32(vm, MB_CHKINS, 0);
	regs.rflags = 2;
	regs.rsp = STACK_TOP;
	regs.rip = GUEST_SYM(cs64 ? fuzz64 : fuzz32);
	xioctl(vm->vcpu, KVM_SET_REGS, &regs, "KVM_SET_REGS");
	run_guest(vm);
	nops = 0;
	if (mb32(vm, MB_NREADS) != (uint32_t)want)
		die(1, "correct: the guest made %u reads, expected %d",
		    mb32(vm, MB_NREADS), want);
	if (mb32(vm, MB_FAULTS))
		die(1, "correct: the guest's check took a page fault");
}

static uint32_t rd(struct vm *vm, int i)
{
	return mb32(vm, MB_READS + 4 * i);
}

static uint64_t pte_addr(int fmt, int set, int page)
{
	return fmt == F_2L ? T_PT32_WIN(set) + page * 4 : T_PT64_WIN(set) + page * 8;
}

/* the page-directory entry that maps the window (at 4 MiB) */
static uint64_t pde_addr(int fmt, int set)
{
	return fmt == F_2L ? T_PD32(set) + 4 : T_PD64(set) + 2 * 8;
}

static const char *const fmt_tag[] = { "2l", "pae", "4l" };

static struct fstate paged(int fmt, int set, int cs64)
{
	struct fstate s = { 0 };

	s.pg = 1;
	s.fmt = fmt;
	s.set = set;
	s.cs64 = cs64;
	s.wp = 1;
	return s;
}

/* ---- pg-flush ---- */

/*
 * Table set A maps window page P to A's page P.  The guest reads it (the
 * translation is cached: TLB, shadow page), rewrites the mapping to B
 * without INVLPG -- the leaf PTE, or the PDE to set B's page table -- and
 * reads twice (either page: the TLB may be stale; with shadow paging the
 * page table is typically unsync by then).  Then CR0.PG 1 -> 0 (a read
 * must give the physical page) -> 1: now the read must give B's page.
 */
static void pg_flush(int fmt, int pde)
{
	struct vm vm;
	struct fstate s = paged(fmt, 0, 0);
	int page = pde ? 3 : 0, stale;
	uint64_t a, v;

	begin("pg-flush.%s.%s", pde ? "pde" : "pte", fmt_tag[fmt]);
	fresh(&vm);
	host_set(&vm, &s);
	op_read(&vm, FZ_WINDOW + page * 4096);
	step(&vm, 0);
	check_eq("first read", rd(&vm, 0), tag(1, page));

	op_read(&vm, FZ_WINDOW + page * 4096);
	if (pde) {
		a = pde_addr(fmt, 0);
		v = (fmt == F_2L ? T_PT32_WIN(1) : T_PT64_WIN(1)) | 3;
	} else {
		a = pte_addr(fmt, 0, page);
		v = win_pa(2, page) | 3;
	}
	op_store_entry(&vm, fmt, a, v);
	op_read(&vm, FZ_WINDOW + page * 4096);
	/* the same value once more: the table is written to again */
	op_store_entry(&vm, fmt, a, v);
	op_read(&vm, FZ_WINDOW + page * 4096);
	op_pg_cycle(&vm, &s, page);
	op_read(&vm, FZ_WINDOW + page * 4096);
	step(&vm, 0);
	check_eq("read before the rewrite", rd(&vm, 0), tag(1, page));
	stale = (rd(&vm, 1) == tag(1, page)) + (rd(&vm, 2) == tag(1, page));
	if (rd(&vm, 1) != tag(1, page) && rd(&vm, 1) != tag(2, page))
		failed("read after the rewrite gave %#x", rd(&vm, 1));
	check_eq("read with paging off", rd(&vm, 3), tag(0, page));
	key_eq("read after CR0.PG 1->0->1", rd(&vm, 4), tag(2, page));
	info("stale_reads=%d", stale);
	end();
	vm_destroy(&vm);
}

/* ---- set-cpuid ---- */

static struct kvm_cpuid2 *supported_cpuid(struct vm *vm)
{
	unsigned int n = 128;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

	if (!c)
		die(2, "out of memory");
	c->nent = n;
	xioctl(vm->kvm, KVM_GET_SUPPORTED_CPUID, c, "KVM_GET_SUPPORTED_CPUID");
	return c;
}

/* CPUID with MAXPHYADDR (0x80000008 EAX[7:0]) lowered to 36 */
static int lower_maxphyaddr(struct kvm_cpuid2 *c)
{
	unsigned int i;

	for (i = 0; i < c->nent; i++) {
		if (c->entries[i].function == 0x80000008) {
			c->entries[i].eax = (c->entries[i].eax & ~0xffU) | 36;
			return 1;
		}
	}
	return 0;
}

/*
 * Linux 5.16 and later refuse a different CPUID after KVM_RUN and ignore
 * an identical one: then the case cannot run.  Probed in a VM of its own.
 */
static int cpuid_frozen(void)
{
	struct vm vm;
	struct fstate s = paged(F_4L, 0, 1);
	struct kvm_cpuid2 *c;
	int r;

	fresh(&vm);
	host_set(&vm, &s);
	step(&vm, 1);
	c = supported_cpuid(&vm);
	if (!lower_maxphyaddr(c))
		c->entries[0].eax ^= 1;		/* another max leaf */
	r = ioctl(vm.vcpu, KVM_SET_CPUID2, c);
	free(c);
	vm_destroy(&vm);
	return r < 0;
}

/*
 * Load the MMU roots without entering the guest: KVM_RUN with a signal
 * pending that the vCPU's signal mask (KVM_SET_SIGNAL_MASK) lets through.
 * KVM loads the roots (kvm_mmu_reload) before it checks for pending work
 * and returns -EINTR; no VM entry took place, so even Linux >= 5.16
 * accepts a new CPUID afterwards.  Returns 0 if KVM_RUN did not end so.
 */
static int load_roots_without_entry(struct vm *vm)
{
	struct {
		struct kvm_signal_mask h;
		uint8_t set[8];
	} m;
	struct timespec zero = { 0, 0 };
	sigset_t usr1, old, run;
	int r, e;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	run = old;
	sigdelset(&run, SIGUSR1);
	memset(&m, 0, sizeof(m));
	m.h.len = sizeof(m.set);
	memcpy(m.set, &run, sizeof(m.set));
	xioctl(vm->vcpu, KVM_SET_SIGNAL_MASK, &m, "KVM_SET_SIGNAL_MASK");
	raise(SIGUSR1);
	r = ioctl(vm->vcpu, KVM_RUN, 0);
	e = errno;
	while (sigtimedwait(&usr1, NULL, &zero) == SIGUSR1)
		;
	xioctl(vm->vcpu, KVM_SET_SIGNAL_MASK, NULL, "KVM_SET_SIGNAL_MASK");
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r < 0 && e == EINTR && vm->run->exit_reason == KVM_EXIT_INTR;
}

/*
 * The MMU roots exist (the guest ran, or with noentry a KVM_RUN that was
 * interrupted before VM entry loaded them); KVM_SET_CPUID2 must free
 * them; the guest then runs on the rebuilt MMU.
 */
static void set_cpuid(int maxphy, int noentry, int frozen)
{
	struct vm vm;
	struct fstate s = paged(F_4L, 0, 1);
	struct kvm_cpuid2 *c;
	long long c0[NR_COUNTERS], c1[NR_COUNTERS];
	int r0;

	begin("set-cpuid.%s%s", noentry ? "noentry-" : "",
	      maxphy ? "maxphyaddr36" : "same");
	if (frozen && !noentry) {
		skip_case(&vm, "KVM_SET_CPUID2 after KVM_RUN is refused or ignored by this kernel (see set-cpuid.noentry-*)");
		return;
	}
	fresh(&vm);
	host_set(&vm, &s);
	if (noentry) {
		if (!load_roots_without_entry(&vm)) {
			failed("KVM_RUN with a signal pending did not return EINTR/KVM_EXIT_INTR");
			end();
			return;
		}
	} else {
		op_read(&vm, FZ_WINDOW);
		step(&vm, 1);
		check_eq("read before", rd(&vm, 0), tag(1, 0));
	}

	c = supported_cpuid(&vm);
	if (maxphy && !lower_maxphyaddr(c)) {
		skip_case(&vm, "no CPUID leaf 0x80000008");
		free(c);
		return;
	}
	counters_read(c0);
	r0 = ioctl(vm.vcpu, KVM_SET_CPUID2, c);
	counters_read(c1);
	free(c);
	if (r0 < 0)
		failed("KVM_SET_CPUID2: %s", strerror(errno));
	/*
	 * Roots freed, not kvm_mmu_unload calls: the compiler may inline
	 * kvm_mmu_unload into its caller in mmu.c (it does in the modules
	 * Debian 11's gcc builds from the series), and a kprobe does not see
	 * an inlined call.
	 */
	if (c0[C_ROOTS_FREED] < 0)
		cunsup = "counter roots_freed absent";
	else
		key_counted("roots freed during KVM_SET_CPUID2",
			    c1[C_ROOTS_FREED] - c0[C_ROOTS_FREED]);

	/* the rebuilt MMU: the old mapping, then a new one through INVLPG */
	op_read(&vm, FZ_WINDOW);
	op_store_entry(&vm, F_4L, pte_addr(F_4L, 0, 0), win_pa(2, 0) | 3);
	op(&vm, OP_INVLPG, FZ_WINDOW, 0);
	op_read(&vm, FZ_WINDOW);
	step(&vm, 1);
	check_eq("read after KVM_SET_CPUID2", rd(&vm, 0), tag(1, 0));
	check_eq("read after the PTE changed", rd(&vm, 1), tag(2, 0));
	if (c0[C_UNLOAD] >= 0)
		info("unload_calls_seen=%lld ", c1[C_UNLOAD] - c0[C_UNLOAD]);
	if (c0[C_ROOTS_FREED] >= 0)
		info("roots_freed=%lld", c1[C_ROOTS_FREED] - c0[C_ROOTS_FREED]);
	end();
	vm_destroy(&vm);
}

/* ---- efer-lme ---- */

static long long resets(void)
{
	return counter_kprobe("mmu_reset");
}

/*
 * Host KVM_SET_SREGS between 4-level paging (table set A, 64-bit code)
 * and PAE paging (set B or, sharing A's page tables, set A), one guest
 * step after each.  Set A and B map the window to different pages, so the
 * read tells which tables the MMU walked.  In the last round the guest
 * rewrites a PTE of set A without INVLPG while in PAE mode; after the
 * host's switch back to 4-level (whose root the series may take from its
 * cache) the guest must see the new page: the switch is a reset.
 */
static void efer_sregs(void)
{
	static const struct { int fmt, set; } seq[] = {
		{ F_4L, 0 }, { F_PAE, 1 }, { F_4L, 0 }, { F_PAE, 1 },
		{ F_PAE, 0 }, { F_4L, 0 }, { F_PAE, 1 },
	};
	struct vm vm;
	long long r0, r1, unl0, nres = 0;
	long long c[NR_COUNTERS];
	unsigned int i;
	int stale = 0;

	begin("efer-lme.sregs");
	if (resets() < 0)
		cunsup = "counter kvm_mmu_reset_context (kprobe kmf/mmu_reset) absent";
	fresh(&vm);
	counters_read(c);
	unl0 = c[C_UNLOAD];
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		struct fstate s = paged(seq[i].fmt, seq[i].set, seq[i].fmt == F_4L);
		char what[80];

		r0 = resets();
		host_set(&vm, &s);
		r1 = resets();
		if (i && !cunsup) {
			snprintf(what, sizeof(what), "kvm_mmu_reset_context in switch %u to %s",
				 i, fmt_tag[seq[i].fmt]);
			key_counted(what, r1 - r0);
		}
		nres += r1 - r0;
		op_read(&vm, FZ_WINDOW);
		op_read(&vm, FZ_WINDOW + 3 * 4096);
		if (seq[i].fmt == F_PAE && seq[i].set == 0) {
			op_store_entry(&vm, F_PAE, pte_addr(F_PAE, 0, 3), win_pa(2, 3) | 3);
			op_read(&vm, FZ_WINDOW + 3 * 4096);
		}
		step(&vm, s.cs64);
		snprintf(what, sizeof(what), "switch %u to %s set %c: read of page 0",
			 i, fmt_tag[seq[i].fmt], 'A' + seq[i].set);
		key_eq(what, rd(&vm, 0), tag(1 + seq[i].set, 0));
		if (seq[i].fmt == F_PAE && seq[i].set == 0) {
			check_eq("page 3 before its PTE changed", rd(&vm, 1), tag(1, 3));
			stale = rd(&vm, 2) == tag(1, 3);
		} else if (i == 5) {
			snprintf(what, sizeof(what), "switch %u to 4l: page 3 after its PTE changed in PAE", i);
			key_eq(what, rd(&vm, 1), tag(2, 3));
		} else {
			check_eq("read of page 3", rd(&vm, 1), tag(1 + seq[i].set, 3));
		}
	}
	counters_read(c);
	if (!cunsup)
		info("switches=%u resets=%lld ", i - 1, nres);
	if (unl0 >= 0 && c[C_UNLOAD] >= 0)
		info("unload=%lld ", c[C_UNLOAD] - unl0);
	info("stale_in_pae=%d", stale);
	end();
	vm_destroy(&vm);
}

/* one MSR of the vCPU, as the host reads or writes it: ioctl's result */
static int msr_ioctl(struct vm *vm, unsigned long req, uint32_t idx, uint64_t *v)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m;
	int r;

	memset(&m, 0, sizeof(m));
	m.h.nmsrs = 1;
	m.e.index = idx;
	m.e.data = *v;
	r = ioctl(vm->vcpu, req, &m);
	*v = m.e.data;
	return r;
}

/* the vCPU's MSR (e.g. KVM's nested VMX capabilities, as L1 reads them) */
static int get_msr(struct vm *vm, uint32_t idx, uint64_t *v)
{
	*v = 0;
	return msr_ioctl(vm, KVM_GET_MSRS, idx, v) == 1;
}

static void set_msr(struct vm *vm, uint32_t idx, uint64_t v)
{
	uint64_t w = v;

	if (msr_ioctl(vm, KVM_SET_MSRS, idx, &w) != 1)
		die(2, "KVM_SET_MSRS %#x=%#" PRIx64 ": %s", idx, v, strerror(errno));
}

static void set_efer_msr(struct vm *vm, uint64_t v)
{
	set_msr(vm, 0xc0000080, v);
}

/*
 * Host KVM_SET_MSRS sets EFER.LME while the guest has paging off; the
 * guest then turns paging on and must be in IA-32e mode with set A's
 * 4-level tables.  Then the same back: the host clears LME, the guest
 * turns paging on in PAE mode (set B).  The resets on the KVM_SET_MSRS
 * are counted; they are required with --expect-lme-reset.
 */
static void efer_msr(int pae)
{
	struct vm vm;
	struct fstate off = paged(F_PAE, 0, 0), s4 = paged(F_4L, 0, 0);
	struct fstate sp = paged(F_PAE, 1, 0);
	struct kvm_sregs sr;
	long long r0, r1, r2, r3;

	begin("efer-lme.msr");
	if (resets() < 0 && expect_lme_reset)
		cunsup = "counter kvm_mmu_reset_context (kprobe kmf/mmu_reset) absent";
	fresh(&vm);
	off.pg = 0;
	host_set(&vm, &off);
	op_read(&vm, FZ_WINDOW);
	step(&vm, 0);
	check_eq("read with paging off", rd(&vm, 0), tag(0, 0));

	r0 = resets();
	set_efer_msr(&vm, 0x100);
	r1 = resets();
	op(&vm, OP_CR3, cr3_of(&s4), 0);
	op(&vm, OP_CR0, cr0_of(&s4), 0);
	op(&vm, OP_LIDT, FZ_IDTR64, 0);
	op_read(&vm, FZ_WINDOW);
	/* and paging off again, to go back */
	op_pg_cycle(&vm, &s4, 0);
	op_read(&vm, FZ_WINDOW);
	op(&vm, OP_CR0, cr0_of(&off), 0);
	op(&vm, OP_LIDT, FZ_IDTR32, 0);
	step(&vm, 0);
	key_eq("read in IA-32e mode after a host LME write", rd(&vm, 0), tag(1, 0));
	check_eq("read with paging off", rd(&vm, 1), tag(0, 0));
	check_eq("read in IA-32e mode again", rd(&vm, 2), tag(1, 0));
	xioctl(vm.vcpu, KVM_GET_SREGS, &sr, "KVM_GET_SREGS");
	check_eq("EFER with paging off", sr.efer & 0x500, 0x100);

	if (pae) {
		r2 = resets();
		set_efer_msr(&vm, 0);
		r3 = resets();
		op(&vm, OP_CR3, cr3_of(&sp), 0);
		op(&vm, OP_CR0, cr0_of(&sp), 0);
		op_read(&vm, FZ_WINDOW);
		step(&vm, 0);
		key_eq("read in PAE mode after a host LME clear", rd(&vm, 0), tag(2, 0));
		xioctl(vm.vcpu, KVM_GET_SREGS, &sr, "KVM_GET_SREGS");
		check_eq("EFER in PAE mode", sr.efer & 0x500, 0);
		if (r0 >= 0)
			info("lme_set_resets=%lld lme_clear_resets=%lld", r1 - r0, r3 - r2);
	} else {
		r2 = r3 = 0;
		if (r0 >= 0)
			info("lme_set_resets=%lld ", r1 - r0);
		info("pae=excluded");
	}
	if (expect_lme_reset && !cunsup) {
		key_counted("kvm_mmu_reset_context on the host's EFER.LME set", r1 - r0);
		if (pae)
			key_counted("kvm_mmu_reset_context on the host's EFER.LME clear", r3 - r2);
	}
	end();
	vm_destroy(&vm);
}

/* ---- smm ---- */

struct smm_ctx {
	int smi_sent, smm_seen, smm_flag_after;
};

static int smm_io(struct vm *vm)
{
	struct smm_ctx *x = vm->priv;

	if (vm->run->io.port == PORT_SYNC && !x->smi_sent) {
		xioctl(vm->vcpu, KVM_SMI, NULL, "KVM_SMI");
		x->smi_sent = 1;
		return 1;
	}
	if (vm->run->io.port == PORT_SMM) {
		x->smm_seen += !!(vm->run->flags & KVM_RUN_X86_SMM);
		return 1;
	}
	if (vm->run->io.port == PORT_DONE)
		x->smm_flag_after = !!(vm->run->flags & KVM_RUN_X86_SMM);
	return 0;
}

/*
 * The guest reads window page 0 (set A), asks for an SMI (OP_SYNC: the
 * host queues it with KVM_SMI, it is taken before the next instruction),
 * and reads page 0 again and page 3.  The handler runs with paging off:
 * its read of FZ_WINDOW must give the physical page; it rewrites the
 * guest's PTE of page 0 to B's page and RSMs.  Entering SMM clears CR0.PG,
 * so the guest must then see B's page.
 */
static void smm(int fmt)
{
	struct vm vm;
	struct smm_ctx x = { 0 };
	struct kvm_userspace_memory_region region = { 0 };
	struct fstate s = paged(fmt, 0, fmt == F_4L);
	long long r0, r1;

	begin("smm.%s", fmt_tag[fmt]);
	fresh(&vm);
	if (ioctl(vm.kvm, KVM_CHECK_EXTENSION, KVM_CAP_X86_SMM) <= 0 ||
	    ioctl(vm.kvm, KVM_CHECK_EXTENSION, KVM_CAP_MULTI_ADDRESS_SPACE) < 2) {
		skip_case(&vm, "no KVM_CAP_X86_SMM or no second address space");
		return;
	}
	/* SMM's address space: the same RAM (SMRAM is not closed off here) */
	region.slot = 1U << 16;
	region.memory_size = MEM_SIZE;
	region.userspace_addr = (uintptr_t)vm.mem;
	xioctl(vm.fd, KVM_SET_USER_MEMORY_REGION, &region,
	       "KVM_SET_USER_MEMORY_REGION (SMM)");
	memcpy(gpa(&vm, SMM_ENTRY), smm_handler, smm_handler_end - smm_handler);
	mb_set32(&vm, MB_SMM_PTE, pte_addr(fmt, 0, 0));
	mb_set32(&vm, MB_SMM_VAL, win_pa(2, 0) | 3);
	mb_set32(&vm, MB_SMM_MARK, 0);
	vm.on_io = smm_io;
	vm.priv = &x;
	host_set(&vm, &s);
	op_read(&vm, FZ_WINDOW);
	op(&vm, OP_SYNC, 0, 0);
	op_read(&vm, FZ_WINDOW);
	op_read(&vm, FZ_WINDOW + 3 * 4096);
	r0 = resets();
	step(&vm, s.cs64);
	r1 = resets();
	check_eq("read before the SMI", rd(&vm, 0), tag(1, 0));
	check_eq("SMI queued", x.smi_sent, 1);
	check_eq("handler ran in SMM (kvm_run flags)", x.smm_seen, 1);
	check_eq("handler's mark", mb32(&vm, MB_SMM_MARK), SMM_MARK);
	check_eq("SMM flag at the end", x.smm_flag_after, 0);
	key_eq("handler's read with paging off", mb32(&vm, MB_SMM_READ), tag(0, 0));
	key_eq("read after RSM of the PTE the handler changed", rd(&vm, 1), tag(2, 0));
	check_eq("read after RSM of another page", rd(&vm, 2), tag(1, 3));
	if (r0 >= 0 && r1 >= 0)
		info("resets=%lld", r1 - r0);
	end();
	vm_destroy(&vm);
}

/* ---- nested (SVM) ---- */

static void put64(struct vm *vm, uint64_t a, uint64_t v)
{
	memcpy(gpa(vm, a), &v, 8);
}

static void put32(struct vm *vm, uint64_t a, uint32_t v)
{
	memcpy(gpa(vm, a), &v, 4);
}

/* a segment of the VMCB's save area: selector, attributes, limit, base */
static void vmcb_seg(struct vm *vm, unsigned int off, uint16_t sel,
		     uint16_t attr, uint32_t limit, uint64_t base)
{
	memcpy(gpa(vm, NS_VMCB + off), &sel, 2);
	memcpy(gpa(vm, NS_VMCB + off + 2), &attr, 2);
	put32(vm, NS_VMCB + off + 4, limit);
	put64(vm, NS_VMCB + off + 8, base);
}

/* does the guest CPUID (what vmm set: KVM's supported one) have it */
static int cpuid_bit(struct vm *vm, uint32_t fn, int reg, int bit)
{
	struct kvm_cpuid2 *c = supported_cpuid(vm);
	unsigned int i;
	int r = 0;

	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		uint32_t v[4] = { e->eax, e->ebx, e->ecx, e->edx };

		if (e->function == fn && e->index == 0)
			r = !!(v[reg] & 1U << bit);
	}
	free(c);
	return r;
}

/*
 * The nested tests' run: L1 (at NS_L1_CODE, in state s) runs L2 "runs"
 * times, toggling both CR0.WP (MB_NFLAGS 3); r0 and r1 are the MMU resets
 * counted before and after.
 */
static void nested_run(struct vm *vm, const struct fstate *s, int runs,
		       long long *r0, long long *r1)
{
	struct kvm_regs regs = { 0 };

	host_set(vm, s);
	mb_set32(vm, MB_NFLAGS, 3);
	mb_set32(vm, MB_NRUNS, runs);
	mb_set32(vm, MB_NREADS, 0);
	mb_set32(vm, MB_FAULTS, 0);
	mb_set32(vm, NV_ERROR, 0);
	mb_set32(vm, MB_STATUS, STATUS_NONE);
	mb_set64(vm, MB_VA, FZ_WINDOW + FZ_RO_PAGE * 4096 - 4);
	regs.rflags = 2;
	regs.rsp = STACK_TOP;
	regs.rip = NS_L1_CODE;
	xioctl(vm->vcpu, KVM_SET_REGS, &regs, "KVM_SET_REGS");
	*r0 = resets();
	run_guest(vm);
	*r1 = resets();
}

/*
 * What L1 recorded per run: the exit (probe_exit when L2 ran with CR0.WP=1,
 * call_exit when with 0), L2's read of set B, L1's read of set A after the
 * exit, and a #PF of L1's own write exactly when its CR0.WP was 1.  Ends
 * the case.
 */
static void nested_results(struct vm *vm, int runs, const char *exit_name,
			   uint32_t probe_exit, uint32_t call_exit,
			   long long r0, long long r1)
{
	int i;

	check_eq("runs", mb32(vm, MB_NREADS), 4 * runs);
	for (i = 0; i < runs && mb32(vm, MB_NREADS) == 4U * runs; i++) {
		int l1wp = i % 2, l2wp = !(i % 2);
		char what[96];

		snprintf(what, sizeof(what), "run %d: %s (L2 CR0.WP=%d)", i, exit_name, l2wp);
		key_eq(what, rd(vm, 4 * i), l2wp ? probe_exit : call_exit);
		snprintf(what, sizeof(what), "run %d: L2's read", i);
		key_eq(what, rd(vm, 4 * i + 1), tag(2, 0));
		snprintf(what, sizeof(what), "run %d: L1's read after the exit", i);
		key_eq(what, rd(vm, 4 * i + 2), tag(1, 0));
		snprintf(what, sizeof(what), "run %d: L1's #PF (L1 CR0.WP=%d)", i, l1wp);
		key_eq(what, rd(vm, 4 * i + 3), l1wp);
	}
	if (r0 >= 0 && r1 >= 0)
		info("runs=%d resets=%lld", runs, r1 - r0);
	end();
	vm_destroy(vm);
}

/*
 * L1 (4-level paging, table set A, 64-bit code) runs L2 (4-level paging,
 * table set B; with nested NPT, through an identity NPT) four times.
 * Before each VMRUN it toggles its own CR0.WP and L2's (in the VMCB,
 * opposite phases).  L2 reads the window, writes to its read-only page
 * and does VMMCALL: L1 must see exit 0x81 (VMMCALL) with L2's CR0.WP=0
 * and 0x4e (#PF, intercepted) with WP=1, and L2 must have read set B's
 * page.  After each exit L1 reads the window (set A's page) and writes
 * to the read-only page: a #PF exactly with its CR0.WP=1.
 */
static void nested(int nnpt, int wp_probe)
{
	struct vm vm;
	struct fstate s = paged(F_4L, 0, 1);
	int i, runs = 4;
	uint64_t l2cr0 = 0x80040033;	/* PE MP ET NE AM PG, WP=0 */
	long long r0, r1;

	begin("nested.%s%s", nnpt ? "npt" : "shadow", wp_probe ? "" : "-nowp");
	fresh(&vm);
	if (!cpuid_bit(&vm, 0x80000001, 2, 2)) {
		skip_case(&vm, "no SVM in the guest CPUID (VMX, or kvm_amd nested=0)");
		return;
	}
	if (nnpt && !cpuid_bit(&vm, 0x8000000a, 3, 0)) {
		skip_case(&vm, "no nested paging for the guest (npt=0)");
		return;
	}
	if (wp_probe && no_l2_wp) {
		skip_case(&vm, "excluded (--no-l2-wp-probe): L2's write to a read-only page with CR0.WP=1 never exits to L1 here, stock too");
		return;
	}
	memset(gpa(&vm, NS_VMCB), 0, NS_L1_CODE - NS_VMCB);
	memcpy(gpa(&vm, NS_L1_CODE), nested_l1, nested_l1_end - nested_l1);
	memcpy(gpa(&vm, NS_L2_CODE), nested_l2, nested_l2_end - nested_l2);
	if (!wp_probe)	/* L2's write to the read-only page: 7 NOPs */
		memset(gpa(&vm, NS_L2_CODE + NS_L2_WP_PROBE), 0x90, 7);
	/* nested page tables: identity, 2 MiB pages, user (NPT walks are) */
	put64(&vm, NS_NPT, (NS_NPT + 0x1000) | 7);
	put64(&vm, NS_NPT + 0x1000, (NS_NPT + 0x2000) | 7);
	for (i = 0; i < (int)(MEM_SIZE >> 21); i++)
		put64(&vm, NS_NPT + 0x2000 + i * 8, ((uint64_t)i << 21) | 0x87);
	/* control area: intercept VMRUN, VMMCALL, shutdown, #PF */
	put32(&vm, NS_VMCB + 0x08, 1U << 14);
	put32(&vm, NS_VMCB + 0x0c, 1U << 31);
	put32(&vm, NS_VMCB + 0x10, 3);
	put64(&vm, NS_VMCB + 0x40, NS_IOPM);
	put64(&vm, NS_VMCB + 0x48, NS_MSRPM);
	put32(&vm, NS_VMCB + 0x58, 1);			/* ASID */
	put64(&vm, NS_VMCB + 0x90, nnpt);		/* NP_ENABLE */
	put64(&vm, NS_VMCB + 0xb0, NS_NPT);
	/* save area: L2 in 64-bit mode */
	vmcb_seg(&vm, 0x400, SEL_DATA, 0xc93, 0xffffffff, 0);	/* es */
	vmcb_seg(&vm, 0x410, SEL_CODE64, 0xa9b, 0xffffffff, 0);	/* cs */
	vmcb_seg(&vm, 0x420, SEL_DATA, 0xc93, 0xffffffff, 0);	/* ss */
	vmcb_seg(&vm, 0x430, SEL_DATA, 0xc93, 0xffffffff, 0);	/* ds */
	vmcb_seg(&vm, 0x460, 0, 0, 0x1f, FZ_GDT);		/* gdtr */
	vmcb_seg(&vm, 0x490, 0, 0x8b, 0xffff, 0);		/* tr */
	put64(&vm, NS_VMCB + 0x4d0, 0x1500);		/* EFER: SVME LMA LME */
	put64(&vm, NS_VMCB + 0x548, 0x20);		/* CR4.PAE */
	put64(&vm, NS_VMCB + 0x550, T_PML4(1));
	put64(&vm, NS_VMCB + VMCB_CR0, l2cr0);
	put64(&vm, NS_VMCB + 0x560, 0x400);		/* DR7 */
	put64(&vm, NS_VMCB + 0x568, 0xffff0ff0);	/* DR6 */
	put64(&vm, NS_VMCB + 0x570, 2);			/* RFLAGS */
	put64(&vm, NS_VMCB + 0x668, 0x0007040600070406ULL);	/* PAT */

	nested_run(&vm, &s, runs, &r0, &r1);
	nested_results(&vm, runs, "exit code", wp_probe ? 0x4e : 0x81, 0x81, r0, r1);
}

/* ---- nested (VMX) ---- */

/* a VMX control: what we want, plus what must be 1, minus what may not */
static uint32_t vmx_ctl(uint64_t cap, uint32_t want)
{
	return (want | (uint32_t)cap) & (uint32_t)(cap >> 32);
}

static int nfields;

static void field(struct vm *vm, uint32_t f, uint64_t v)
{
	put64(vm, NV_FIELDS + nfields * 16, f);
	put64(vm, NV_FIELDS + nfields * 16 + 8, v);
	put64(vm, NV_FIELDS + ++nfields * 16, ~0ULL);
}

/* L2's segment: selector, limit, access rights (VMX format), base 0 */
static void vmcs_seg(struct vm *vm, int i, uint16_t sel, uint32_t limit, uint32_t ar)
{
	field(vm, 0x0800 + 2 * i, sel);
	field(vm, 0x4800 + 2 * i, limit);
	field(vm, 0x4814 + 2 * i, ar);
	field(vm, 0x6806 + 2 * i, 0);
}

/*
 * As nested(), with VMX: L1 runs L2 four times, L2's #PF is intercepted
 * with the exception bitmap (exit reason 0), its VMCALL exits with reason
 * 18.  On each VM exit the CPU loads L1's CR0 from HOST_CR0, which L1 set
 * to its CR0 of the moment.  With nested EPT, L2's guest-physical
 * addresses go through an identity EPT of 2 MiB pages.
 */
static void nested_vmx(int nept, int wp_probe)
{
	struct vm vm;
	struct fstate s = paged(F_4L, 0, 1);
	int i, runs = 4;
	uint64_t basic, pin, proc, proc2 = 0, exit_ctl, entry, ept = 0, pb;
	uint64_t l2cr0 = 0x80040033;	/* PE MP ET NE AM PG, WP=0 */
	long long r0, r1;

	begin("nested-vmx.%s%s", nept ? "ept" : "shadow", wp_probe ? "" : "-nowp");
	fresh(&vm);
	if (!cpuid_bit(&vm, 1, 2, 5)) {
		skip_case(&vm, "no VMX in the guest CPUID (SVM, or kvm_intel nested=0)");
		return;
	}
	if (!get_msr(&vm, 0x480, &basic) || !get_msr(&vm, 0x481, &pin) ||
	    !get_msr(&vm, 0x482, &proc) || !get_msr(&vm, 0x483, &exit_ctl) ||
	    !get_msr(&vm, 0x484, &entry))
		die(2, "KVM_GET_MSRS: no VMX capability MSRs with VMX in CPUID");
	pb = vmx_ctl(proc, nept ? 1U << 31 : 0);
	if (pb >> 31 && (!get_msr(&vm, 0x48b, &proc2) || !get_msr(&vm, 0x48c, &ept)))
		die(2, "KVM_GET_MSRS: no secondary controls or EPT capabilities");
	/* EPT, 4-level walks, write-back tables, 2 MiB pages */
	if (nept && (!(pb >> 31) || !(proc2 >> 32 & 2) ||
		     (ept & (1U << 6 | 1U << 14 | 1U << 16)) != (1U << 6 | 1U << 14 | 1U << 16))) {
		skip_case(&vm, "no nested EPT with 4-level walks, WB and 2 MiB pages (ept=0)");
		return;
	}
	/* IA32_FEATURE_CONTROL: locked, VMXON outside SMX */
	set_msr(&vm, 0x3a, 5);
	memset(gpa(&vm, NS_VMCB), 0, NS_L1_CODE - NS_VMCB);
	memcpy(gpa(&vm, NS_L1_CODE), nvmx_l1, nvmx_l1_end - nvmx_l1);
	memcpy(gpa(&vm, NS_L2_CODE), nvmx_l2, nvmx_l2_end - nvmx_l2);
	if (!wp_probe)	/* L2's write to the read-only page: 7 NOPs */
		memset(gpa(&vm, NS_L2_CODE + NS_L2_WP_PROBE), 0x90, 7);
	put32(&vm, NS_HSAVE, basic & 0x7fffffff);	/* revision id */
	put32(&vm, NS_VMCB, basic & 0x7fffffff);
	/* EPT: identity, 2 MiB pages, RWX, write-back */
	put64(&vm, NS_NPT, (NS_NPT + 0x1000) | 7);
	put64(&vm, NS_NPT + 0x1000, (NS_NPT + 0x2000) | 7);
	for (i = 0; i < (int)(MEM_SIZE >> 21); i++)
		put64(&vm, NS_NPT + 0x2000 + i * 8, ((uint64_t)i << 21) | 0xb7);

	nfields = 0;
	/* controls: #PF intercepted, no MSR or I/O bitmaps (all exit) */
	field(&vm, 0x4000, vmx_ctl(pin, 0));
	field(&vm, 0x4002, pb);
	if (pb >> 31)
		field(&vm, 0x401e, vmx_ctl(proc2, nept ? 2 : 0));
	field(&vm, 0x400c, vmx_ctl(exit_ctl, 1U << 9));	/* 64-bit host */
	field(&vm, 0x4012, vmx_ctl(entry, 1U << 9));	/* IA-32e guest */
	field(&vm, 0x4004, 1U << 14);
	field(&vm, 0x4006, 0);
	field(&vm, 0x4008, 0);
	field(&vm, 0x400a, 0);
	field(&vm, 0x400e, 0);
	field(&vm, 0x4010, 0);
	field(&vm, 0x4014, 0);
	field(&vm, 0x4016, 0);
	field(&vm, 0x6000, 0);		/* L2 owns every CR0 and CR4 bit */
	field(&vm, 0x6002, 0);
	field(&vm, 0x2800, ~0ULL);	/* VMCS link pointer */
	if (nept)
		field(&vm, 0x201a, NS_NPT | 3 << 3 | 6);
	/* L1's state after a VM exit (CR0, CR3, CR4, RSP, RIP: L1 sets them) */
	field(&vm, 0x0c00, SEL_DATA);
	field(&vm, 0x0c02, SEL_CODE64);
	field(&vm, 0x0c04, SEL_DATA);
	field(&vm, 0x0c06, SEL_DATA);
	field(&vm, 0x0c08, SEL_DATA);
	field(&vm, 0x0c0a, SEL_DATA);
	field(&vm, 0x0c0c, 0x20);	/* TR: any non-null selector */
	field(&vm, 0x6c06, 0);
	field(&vm, 0x6c08, 0);
	field(&vm, 0x6c0a, 0);
	field(&vm, 0x6c0c, FZ_GDT);
	field(&vm, 0x6c0e, FZ_IDT64);
	field(&vm, 0x4c00, 0);
	field(&vm, 0x6c10, 0);
	field(&vm, 0x6c12, 0);
	/* L2 in 64-bit mode, table set B */
	vmcs_seg(&vm, 0, SEL_DATA, 0xffffffff, 0xc093);		/* es */
	vmcs_seg(&vm, 1, SEL_CODE64, 0xffffffff, 0xa09b);	/* cs */
	vmcs_seg(&vm, 2, SEL_DATA, 0xffffffff, 0xc093);		/* ss */
	vmcs_seg(&vm, 3, SEL_DATA, 0xffffffff, 0xc093);		/* ds */
	vmcs_seg(&vm, 4, SEL_DATA, 0xffffffff, 0xc093);		/* fs */
	vmcs_seg(&vm, 5, SEL_DATA, 0xffffffff, 0xc093);		/* gs */
	vmcs_seg(&vm, 6, 0, 0, 0x10000);			/* ldtr: unusable */
	vmcs_seg(&vm, 7, 0, 0x67, 0x8b);			/* tr: busy TSS */
	field(&vm, 0x4810, 0x1f);
	field(&vm, 0x6816, FZ_GDT);
	field(&vm, 0x4812, 0);
	field(&vm, 0x6818, 0);
	field(&vm, 0x6800, l2cr0);
	field(&vm, 0x6804, 0x2020);	/* CR4.PAE, and VMXE (fixed to 1) */
	field(&vm, 0x6802, T_PML4(1));
	field(&vm, 0x6004, l2cr0);
	field(&vm, 0x6006, 0x20);
	field(&vm, 0x681a, 0x400);	/* DR7 */
	field(&vm, 0x6820, 2);		/* RFLAGS */
	field(&vm, 0x2802, 0);		/* DEBUGCTL */
	field(&vm, 0x4824, 0);		/* interruptibility */
	field(&vm, 0x4826, 0);		/* activity: active */
	field(&vm, 0x6822, 0);		/* pending debug exceptions */
	field(&vm, 0x482a, 0);
	field(&vm, 0x6824, 0);
	field(&vm, 0x6826, 0);

	nested_run(&vm, &s, runs, &r0, &r1);
	/* step: 1 VMXON, 2 VMCLEAR, 3 VMPTRLD, 4 + i field i, 0x1000 + n run n */
	check_eq("failed VMX instruction (step << 16 | VM-instruction error)",
		 mb32(&vm, NV_ERROR), 0);
	nested_results(&vm, runs, "exit reason", wp_probe ? 0 : 18, 18, r0, r1);
}

static void usage(void)
{
	die(2, "usage: vmm [--formats 2l,pae,4l] correct [--negate] [--expect-lme-reset] [--no-l2-wp-probe] pg-flush|set-cpuid|efer-lme|smm|nested|all ...");
}

int correct(int argc, char **argv)
{
	int i, f, all;

	setvbuf(stdout, NULL, _IOLBF, 0);

	for (; argc > 0 && argv[0][0] == '-'; argc--, argv++) {
		if (!strcmp(argv[0], "--negate"))
			negate = 1;
		else if (!strcmp(argv[0], "--expect-lme-reset"))
			expect_lme_reset = 1;
		else if (!strcmp(argv[0], "--no-l2-wp-probe"))
			no_l2_wp = 1;
		else
			usage();
	}
	if (argc < 1)
		usage();
	for (i = 0; i < argc; i++) {
		all = !strcmp(argv[i], "all");
		if (all || !strcmp(argv[i], "pg-flush")) {
			for (f = F_2L; f <= F_4L; f++) {
				if (!(fuzz_formats & 1U << f))
					continue;
				pg_flush(f, 0);
				pg_flush(f, 1);
			}
		} else if (!all && strcmp(argv[i], "set-cpuid") &&
			   strcmp(argv[i], "efer-lme") && strcmp(argv[i], "smm") &&
			   strcmp(argv[i], "nested")) {
			usage();
		}
		if (all || !strcmp(argv[i], "set-cpuid")) {
			int frozen = cpuid_frozen();

			set_cpuid(0, 0, frozen);
			set_cpuid(1, 0, frozen);
			set_cpuid(0, 1, frozen);
			set_cpuid(1, 1, frozen);
		}
		if (all || !strcmp(argv[i], "efer-lme")) {
			efer_sregs();
			efer_msr(!!(fuzz_formats & 1U << F_PAE));
		}
		if (all || !strcmp(argv[i], "smm")) {
			for (f = F_2L; f <= F_4L; f++)
				if (fuzz_formats & 1U << f)
					smm(f);
		}
		if (all || !strcmp(argv[i], "nested")) {
			nested(0, 1);
			nested(1, 1);
			nested(0, 0);
			nested_vmx(0, 1);
			nested_vmx(1, 1);
			nested_vmx(0, 0);
		}
	}
	printf("correct: %d passed, %d failed, %d unsupported%s\n", n_pass,
	       n_fail, n_unsup, negate ? " (negated expectations)" : "");
	return n_fail ? 1 : n_unsup ? 3 : 0;
}
