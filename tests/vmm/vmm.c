// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmm: a minimal VMM on /dev/kvm for kvm-mmu-fastpgd's tests.
 *
 * One VM, one memory slot, one vCPU, started directly in 64-bit long mode or
 * 32-bit PAE mode with paging on (set up with KVM_SET_SREGS; no firmware).
 * The guest (guest.S) runs one command from a mailbox and reports back.
 *
 *   vmm [options] check          guest computes a checksum of host-written
 *                                data and writes a pattern; both verified
 *   vmm [options] run WORKLOAD   toggle | toggle+touch | cpuid: one timed
 *                                loop, printed as key=value pairs
 *   vmm [--seed S] [--iters N] fuzz   N random paging-state steps (fuzz.c)
 *   vmm [--formats F] correct [--negate] TEST...   correctness tests
 *                                (correct.c)
 * options: --mode 64|pae  --cd (guest CR0.CD=1)  --iters N  --pages M
 *          --timeout SECS (per guest run)
 *          fuzz: --formats 2l,pae,4l  --no-unpaged-smep  --emulated-writes
 *
 * Exit status: 0 success, 1 wrong result or unexpected guest exit,
 * 2 usage or /dev/kvm error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "counters.h"
#include "vm.h"

enum mode { MODE_64, MODE_PAE };

/* what a failure report adds: set by the fuzzer to its seed and step */
char die_context[512];

/* --timeout: a guest that runs longer than this is a failure, not a hang */
static unsigned int run_timeout;
static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

void die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("vmm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (die_context[0])
		fprintf(stderr, "%s\n", die_context);
	exit(code);
}

int xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	int r = ioctl(fd, req, arg);

	if (r < 0)
		die(2, "%s: %s", what, strerror(errno));
	return r;
}

void *gpa(struct vm *vm, uint64_t addr)
{
	return vm->mem + addr;
}

static void set_cpuid(struct vm *vm)
{
	unsigned int i, n = 128;
	struct kvm_cpuid2 *c;

	c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	if (!c)
		die(2, "out of memory");
	c->nent = n;
	xioctl(vm->kvm, KVM_GET_SUPPORTED_CPUID, c, "KVM_GET_SUPPORTED_CPUID");
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 7 && e->index == 0) {
			vm->has_smep = !!(e->ebx & (1U << 7));
			vm->has_smap = !!(e->ebx & (1U << 20));
			vm->has_pku = !!(e->ecx & (1U << 3));
		} else if (e->function == 0x80000001) {
			vm->has_nx = !!(e->edx & (1U << 20));
		} else if (e->function == 0x80000008) {
			vm->maxphyaddr = e->eax & 0xff;
		}
	}
	xioctl(vm->vcpu, KVM_SET_CPUID2, c, "KVM_SET_CPUID2");
	free(c);
}

void vm_create(struct vm *vm)
{
	struct kvm_userspace_memory_region region = { 0 };
	int api, size;

	memset(vm, 0, sizeof(*vm));
	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0)
		die(2, "/dev/kvm: %s", strerror(errno));
	api = ioctl(vm->kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION)
		die(2, "KVM API version %d, expected %d", api, KVM_API_VERSION);
	vm->fd = xioctl(vm->kvm, KVM_CREATE_VM, 0, "KVM_CREATE_VM");
	/* needed by VMX without unrestricted guest; harmless elsewhere */
	ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000UL);

	vm->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED)
		die(2, "mmap guest memory: %s", strerror(errno));
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = MEM_SIZE;
	region.userspace_addr = (uintptr_t)vm->mem;
	xioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region,
	       "KVM_SET_USER_MEMORY_REGION");

	vm->vcpu = xioctl(vm->fd, KVM_CREATE_VCPU, 0, "KVM_CREATE_VCPU");
	size = xioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0,
		      "KVM_GET_VCPU_MMAP_SIZE");
	vm->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu, 0);
	if (vm->run == MAP_FAILED)
		die(2, "mmap kvm_run: %s", strerror(errno));
	set_cpuid(vm);
}

/* Identity map of the first 8 MiB with 4K pages, for both paging modes. */
static void build_page_tables(struct vm *vm)
{
	uint64_t *pml4 = gpa(vm, PML4), *pdpt64 = gpa(vm, PDPT64);
	uint64_t *pdpt32 = gpa(vm, PDPT32), *pd = gpa(vm, PD);
	int i, j;

	pml4[0] = PDPT64 | 0x7;		/* P, RW, US */
	pdpt64[0] = PD | 0x7;
	pdpt32[0] = PD | 0x1;		/* PAE PDPTEs: RW/US are reserved */
	for (i = 0; i < PT_COUNT; i++) {
		uint64_t *pt = gpa(vm, PT_BASE + i * 0x1000);

		pd[i] = (PT_BASE + i * 0x1000) | 0x7;
		for (j = 0; j < 512; j++)
			pt[j] = ((uint64_t)(i * 512 + j) << 12) | 0x7;
	}
}

void set_seg(struct kvm_segment *s, unsigned int sel, int code,
		    int l, int db)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = code ? 0xb : 0x3;	/* code: exec/read/accessed */
	s->present = 1;
	s->dpl = 0;
	s->db = db;
	s->s = 1;
	s->l = l;
	s->g = 1;
}

static void vcpu_setup(struct vm *vm, enum mode mode, int cd)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };
	int is64 = mode == MODE_64;

	build_page_tables(vm);
	memcpy(gpa(vm, GUEST_CODE), guest_begin, guest_end - guest_begin);

	xioctl(vm->vcpu, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
	set_seg(&sregs.cs, 0x8, 1, is64, !is64);
	set_seg(&sregs.ds, 0x10, 0, 0, 1);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	/* PE, MP, ET, NE, WP, AM, PG */
	sregs.cr0 = 0x80050033;
	/*
	 * --cd: the guest runs with CR0.CD=1.  KVM clears CD in the CR0 it
	 * really loads (KVM_X86_QUIRK_CD_NW_CLEARED), so on SVM the guest's
	 * CR0 differs from the VMCB's and CR0 writes stay intercepted.
	 */
	if (cd)
		sregs.cr0 |= 1UL << 30;
	sregs.cr4 = 0x20;		/* PAE */
	if (is64) {
		sregs.cr3 = PML4;
		sregs.efer = 0x500;	/* LME, LMA */
	} else {
		sregs.cr3 = PDPT32;
		sregs.efer = 0;
	}
	xioctl(vm->vcpu, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");

	regs.rflags = 2;
	regs.rsp = STACK_TOP;
	regs.rip = GUEST_CODE + ((is64 ? guest64 : guest32) - guest_begin);
	xioctl(vm->vcpu, KVM_SET_REGS, &regs, "KVM_SET_REGS");
}

uint32_t mb32(struct vm *vm, int off)
{
	uint32_t v;

	memcpy(&v, gpa(vm, MAILBOX + off), sizeof(v));
	return v;
}

uint64_t mb64(struct vm *vm, int off)
{
	uint64_t v;

	memcpy(&v, gpa(vm, MAILBOX + off), sizeof(v));
	return v;
}

void mb_set32(struct vm *vm, int off, uint32_t v)
{
	memcpy(gpa(vm, MAILBOX + off), &v, sizeof(v));
}

void mb_set64(struct vm *vm, int off, uint64_t v)
{
	memcpy(gpa(vm, MAILBOX + off), &v, sizeof(v));
}

void dump_and_die(struct vm *vm, const char *why)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	ioctl(vm->vcpu, KVM_GET_REGS, &regs);
	ioctl(vm->vcpu, KVM_GET_SREGS, &sregs);
	die(1, "%s (exit reason %u) rip=%#llx rsp=%#llx cr0=%#llx cr3=%#llx cr4=%#llx efer=%#llx",
	    why, vm->run->exit_reason, regs.rip, regs.rsp, sregs.cr0,
	    sregs.cr3, sregs.cr4, sregs.efer);
}

/*
 * Run until the guest reports on PORT_DONE.  Returns the host nanoseconds
 * from PORT_SYNC (or the start) to PORT_DONE; the counters are read at
 * both points.
 */
uint64_t run_guest(struct vm *vm)
{
	clock_gettime(CLOCK_MONOTONIC, &vm->t0);
	if (vm->counting)
		counters_read(vm->c0);
	if (run_timeout) {
		timed_out = 0;
		alarm(run_timeout);
	}
	for (;;) {
		if (ioctl(vm->vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR && timed_out)
				dump_and_die(vm, "guest did not finish in time");
			if (errno == EINTR)
				continue;
			die(2, "KVM_RUN: %s", strerror(errno));
		}
		switch (vm->run->exit_reason) {
		case KVM_EXIT_IO:
			if (vm->run->io.direction == KVM_EXIT_IO_IN &&
			    vm->run->io.port == PORT_INS && vm->run->io.size == 4 &&
			    vm->run->io.count == 1) {
				uint32_t v = mb32(vm, MB_TOKEN);

				memcpy((char *)vm->run + vm->run->io.data_offset, &v, 4);
				break;
			}
			if (vm->run->io.direction != KVM_EXIT_IO_OUT)
				dump_and_die(vm, "unexpected port input");
			if (vm->on_io && vm->on_io(vm))
				break;
			if (vm->run->io.port == PORT_SYNC) {
				vm->synced = 1;
				if (vm->counting)
					counters_read(vm->c0);
				clock_gettime(CLOCK_MONOTONIC, &vm->t0);
				break;
			}
			if (vm->run->io.port == PORT_DONE)
				goto done;
			if (vm->run->io.port == PORT_EXC) {
				struct kvm_sregs sr;

				ioctl(vm->vcpu, KVM_GET_SREGS, &sr);
				die(1, "guest exception: vector %u, error code %#x, at %#" PRIx64
				    ", cr2 %#" PRIx64 "; now cr0=%#llx cr3=%#llx cr4=%#llx efer=%#llx",
				    mb32(vm, MB_EXC_VEC), mb32(vm, MB_EXC_ERR),
				    mb64(vm, MB_EXC_RIP), mb64(vm, MB_CR2),
				    sr.cr0, sr.cr3, sr.cr4, sr.efer);
			}
			dump_and_die(vm, "unexpected port I/O");
			break;
		case KVM_EXIT_HLT:
			dump_and_die(vm, "guest halted before reporting");
			break;
		case KVM_EXIT_SHUTDOWN:
			dump_and_die(vm, "guest triple fault");
			break;
		case KVM_EXIT_FAIL_ENTRY:
			die(1, "VM entry failed, hardware reason %#llx",
			    vm->run->fail_entry.hardware_entry_failure_reason);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			dump_and_die(vm, "KVM internal error");
			break;
		default:
			dump_and_die(vm, "unexpected exit");
		}
	}
done:
	alarm(0);
	clock_gettime(CLOCK_MONOTONIC, &vm->t1);
	if (vm->counting)
		counters_read(vm->c1);
	if (mb32(vm, MB_STATUS) != STATUS_OK)
		die(1, "guest reported status %u", mb32(vm, MB_STATUS));
	return (vm->t1.tv_sec - vm->t0.tv_sec) * 1000000000ULL +
	       vm->t1.tv_nsec - vm->t0.tv_nsec;
}

static uint32_t fnv1a(const unsigned char *p, size_t n)
{
	uint32_t h = 0x811c9dc5;

	while (n--) {
		h ^= *p++;
		h *= 0x01000193;
	}
	return h;
}

static int cmd_check(struct vm *vm, unsigned long bytes, unsigned long pages)
{
	unsigned char *data = gpa(vm, DATA_BASE);
	uint32_t want, got;
	unsigned long i;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	for (i = 0; i < bytes; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		data[i] = seed >> 24;
	}
	want = fnv1a(data, bytes);
	mb_set32(vm, MB_CMD, CMD_CHECKSUM);
	mb_set64(vm, MB_ITERS, bytes);
	mb_set64(vm, MB_PAGES, pages);
	run_guest(vm);
	got = (uint32_t)mb64(vm, MB_RESULT);
	if (got != want)
		die(1, "check: guest checksum %#x, expected %#x", got, want);
	for (i = 0; i < pages; i++) {
		uint32_t v, w = (uint32_t)(i * 2654435761UL);

		memcpy(&v, data + i * 4096, sizeof(v));
		if (v != w)
			die(1, "check: page %lu holds %#x, expected %#x", i, v, w);
	}
	printf("vmm: check ok checksum=%#x bytes=%lu pages_written=%lu\n",
	       got, bytes, pages);
	return 0;
}

static void usage(void)
{
	die(2, "usage: vmm [--mode 64|pae] [--cd] [--iters N] [--pages M] [--seed S] [--timeout SECS] check|run toggle|toggle+touch|cpuid|fuzz|correct TEST...");
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || !*s)
		die(2, "not a number: %s", s);
	return v;
}

int main(int argc, char **argv)
{
	enum mode mode = MODE_64;
	unsigned long iters = 0, pages = 512;
	int cd = 0, i = 1;
	uint64_t seed = 0;
	int have_seed = 0;
	const char *wl;
	uint32_t cmd;
	uint64_t ns, cycles;
	struct vm vm;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "64"))
				mode = MODE_64;
			else if (!strcmp(argv[i], "pae"))
				mode = MODE_PAE;
			else
				usage();
		} else if (!strcmp(argv[i], "--cd")) {
			cd = 1;
		} else if (!strcmp(argv[i], "--iters") && i + 1 < argc) {
			iters = num(argv[++i]);
		} else if (!strcmp(argv[i], "--formats") && i + 1 < argc) {
			const char *f = argv[++i];

			fuzz_formats = (strstr(f, "2l") ? 1 : 0) |
				       (strstr(f, "pae") ? 2 : 0) |
				       (strstr(f, "4l") ? 4 : 0);
			if (!fuzz_formats)
				usage();
		} else if (!strcmp(argv[i], "--no-unpaged-smep")) {
			fuzz_no_unpaged_smep = 1;
		} else if (!strcmp(argv[i], "--emulated-writes")) {
			fuzz_emulated_writes = 1;
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			run_timeout = num(argv[++i]);
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			seed = num(argv[++i]);
			have_seed = 1;
		} else if (!strcmp(argv[i], "--pages") && i + 1 < argc) {
			pages = num(argv[++i]);
		} else {
			usage();
		}
	}
	if (i >= argc)
		usage();
	if (pages > DATA_PAGES)
		die(2, "--pages: at most %d", DATA_PAGES);

	if (run_timeout) {
		struct sigaction sa = { .sa_handler = on_alarm };

		sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: KVM_RUN returns */
	}
	if (!strcmp(argv[i], "correct"))
		return correct(argc - i - 1, argv + i + 1);
	vm_create(&vm);
	if (!strcmp(argv[i], "fuzz") && i + 1 == argc) {
		if (!have_seed)
			seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
		return fuzz(&vm, seed, iters ? iters : 1000);
	}
	vcpu_setup(&vm, mode, cd);

	if (!strcmp(argv[i], "check") && i + 1 == argc)
		return cmd_check(&vm, iters ? iters : 65536, pages);
	if (strcmp(argv[i], "run") || i + 2 != argc)
		usage();
	wl = argv[i + 1];
	if (!strcmp(wl, "toggle"))
		cmd = CMD_TOGGLE;
	else if (!strcmp(wl, "toggle+touch"))
		cmd = CMD_TOGGLE_TOUCH;
	else if (!strcmp(wl, "cpuid"))
		cmd = CMD_CPUID;
	else
		usage();
	if (!iters)
		iters = 1000;
	vm.counting = 1;
	mb_set32(&vm, MB_CMD, cmd);
	mb_set64(&vm, MB_ITERS, iters);
	mb_set64(&vm, MB_PAGES, pages);
	ns = run_guest(&vm);
	cycles = mb64(&vm, MB_CYCLES);
	if (!vm.synced)
		die(1, "the guest never reached the measured part");
	printf("workload=%s mode=%s cd=%d iterations=%lu pages=%lu cycles=%" PRIu64
	       " ns=%" PRIu64 " cycles_per_iter=%.1f ns_per_iter=%.1f",
	       wl, mode == MODE_64 ? "64" : "pae", cd, iters,
	       cmd == CMD_TOGGLE_TOUCH ? pages : 0, cycles, ns,
	       (double)cycles / iters, (double)ns / iters);
	for (i = 0; i < NR_COUNTERS; i++) {
		if (vm.c0[i] < 0 || vm.c1[i] < 0)
			printf(" %s=null", counter_name(i));
		else
			printf(" %s=%lld", counter_name(i), vm.c1[i] - vm.c0[i]);
	}
	putchar('\n');
	return 0;
}
