// SPDX-License-Identifier: GPL-2.0-only
/*
 * State fuzzer: random but architecturally valid sequences of paging-state
 * changes, made by the guest itself (MOV to CR0/CR3/CR4, WRMSR EFER, LIDT)
 * or by the host (KVM_SET_SREGS), each followed by a check that a read and
 * a write through the guest's page tables reach the expected physical page,
 * and that a write to a read-only page faults exactly when CR0.WP says so.
 * With --emulated-writes, a coin decides per step whether that write is a
 * MOV (checked by the CPU) or an INS, which KVM emulates: KVM then walks the
 * guest's tables and checks the permissions itself, with its own idea of
 * CR0.WP (stale, if the guest owns CR0.WP and KVM does not refresh it).
 *
 * Paging states: off, 2-level 32-bit, PAE, 4-level (IA-32e, with a 64-bit
 * or a compatibility-mode code segment), each with two table sets A and B
 * that map the test window to different physical pages, and random
 * CR0.WP, CR4.PSE/PGE/SMEP/SMAP/PKE (where the CPU has them), EFER.NXE.
 * CR0.PE stays 1: the guest code is protected-mode code.
 *
 * Seeded (xorshift64*) and reproducible: the seed is printed first and with
 * every failure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "fuzz.h"
#include "vm.h"

static uint64_t rng;

/* paging formats the fuzzer may pick, bit per enum fmt (--formats) */
unsigned int fuzz_formats = 7;
/* --no-unpaged-smep: no SMEP/SMAP/PKE while CR0.PG=0 (see fuzz.sh) */
int fuzz_no_unpaged_smep;
/* --emulated-writes: the check's write is an INS on some steps */
int fuzz_emulated_writes;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static int coin(void)
{
	return rnd() >> 63;
}

uint64_t win_pa(int region, int page)
{
	static const uint64_t base[] = { FZ_WINDOW, FZ_WIN_A, FZ_WIN_B };

	return base[region] + page * 4096ULL;
}

/* what the host put at offset 0 of a window page: unique per page */
uint32_t tag(int region, int page)
{
	return 0x5a000000U | region << 16 | page;
}

static void put32(struct vm *vm, uint64_t a, uint32_t v)
{
	memcpy(gpa(vm, a), &v, 4);
}

static void put64(struct vm *vm, uint64_t a, uint64_t v)
{
	memcpy(gpa(vm, a), &v, 8);
}

static uint32_t get32(struct vm *vm, uint64_t a)
{
	uint32_t v;

	memcpy(&v, gpa(vm, a), 4);
	return v;
}

void build_fuzz_tables(struct vm *vm)
{
	int s, i;

	memset(gpa(vm, FZ_TABLES), 0, 0x20000);
	for (i = 0; i < 1024; i++)		/* 0-4 MiB, 4K pages */
		put32(vm, T_PT32_ID + i * 4, (i << 12) | 3);
	for (i = 0; i < 512; i++)		/* 0-2 MiB */
		put64(vm, T_PT64_ID + i * 8, ((uint64_t)i << 12) | 3);
	for (s = 0; s < 2; s++) {
		for (i = 0; i < FZ_WIN_PAGES; i++) {
			/* supervisor pages; one of them read-only */
			int rw = i == FZ_RO_PAGE ? 0 : 2;

			put32(vm, T_PT32_WIN(s) + i * 4, win_pa(1 + s, i) | 1 | rw);
			put64(vm, T_PT64_WIN(s) + i * 8, win_pa(1 + s, i) | 1 | rw);
		}
		put32(vm, T_PD32(s), T_PT32_ID | 3);
		put32(vm, T_PD32(s) + 4, T_PT32_WIN(s) | 3);	/* 4 MiB */
		put64(vm, T_PD64(s), T_PT64_ID | 3);
		put64(vm, T_PD64(s) + 2 * 8, T_PT64_WIN(s) | 3);	/* 4 MiB */
		put64(vm, T_PDPT32(s), T_PD64(s) | 1);
		put64(vm, T_PDPT64(s), T_PD64(s) | 3);
		put64(vm, T_PML4(s), T_PDPT64(s) | 3);
	}
	for (s = 0; s < 3; s++)
		for (i = 0; i < FZ_WIN_PAGES; i++)
			put32(vm, win_pa(s, i), tag(s, i));
}

static uint64_t gate(uint64_t off, unsigned int sel)
{
	return (off & 0xffff) | (uint64_t)sel << 16 | 0x8eULL << 40 |
	       (off >> 16 & 0xffff) << 48;
}

void build_descriptors(struct vm *vm)
{
	int v;

	put64(vm, FZ_GDT + 0x00, 0);
	put64(vm, FZ_GDT + SEL_CODE64, 0x00209a0000000000ULL);
	put64(vm, FZ_GDT + SEL_DATA, 0x00cf92000000ffffULL);
	put64(vm, FZ_GDT + SEL_CODE32, 0x00cf9a000000ffffULL);
	memset(gpa(vm, FZ_IDT32), 0, 32 * 8);
	memset(gpa(vm, FZ_IDT64), 0, 32 * 16);
	/* #PF: the check's handler; every other vector reports and stops */
	for (v = 0; v < 32; v++) {
		uint64_t h32 = v == 14 ? GUEST_SYM(pf32) : GUEST_SYM(exc32) + 16 * v;
		uint64_t h64 = v == 14 ? GUEST_SYM(pf64) : GUEST_SYM(exc64) + 16 * v;

		put64(vm, FZ_IDT32 + v * 8, gate(h32, SEL_CODE32));
		put64(vm, FZ_IDT64 + v * 16, gate(h64, SEL_CODE64));
		put64(vm, FZ_IDT64 + v * 16 + 8, h64 >> 32);
	}
	memset(gpa(vm, FZ_IDTR32), 0, 32);
	*(uint16_t *)gpa(vm, FZ_IDTR32) = 32 * 8 - 1;
	put32(vm, FZ_IDTR32 + 2, FZ_IDT32);
	*(uint16_t *)gpa(vm, FZ_IDTR64) = 32 * 16 - 1;
	put64(vm, FZ_IDTR64 + 2, FZ_IDT64);
}

int lma(const struct fstate *s)
{
	return s->pg && s->fmt == F_4L;
}

uint64_t cr0_of(const struct fstate *s)
{
	return 0x33 | (uint64_t)s->wp << 16 | (uint64_t)s->pg << 31;
}

uint64_t cr4_of(const struct fstate *s)
{
	return (uint64_t)(s->fmt != F_2L) << 5 | s->pse << 4 | s->pge << 7 |
	       (uint64_t)s->smep << 20 | (uint64_t)s->smap << 21 |
	       (uint64_t)s->pke << 22;
}

uint64_t efer_of(const struct fstate *s)
{
	return (uint64_t)(s->fmt == F_4L) << 8 | (uint64_t)lma(s) << 10 |
	       (uint64_t)s->nxe << 11;
}

uint64_t cr3_of(const struct fstate *s)
{
	switch (s->fmt) {
	case F_2L:
		return T_PD32(s->set);
	case F_PAE:
		return T_PDPT32(s->set);
	default:
		return T_PML4(s->set);
	}
}

static const char *fmt_name[] = { "2-level", "PAE", "4-level" };

static void describe(const struct fstate *s, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s set=%c cs=%s wp=%d pse=%d pge=%d smep=%d smap=%d pke=%d nxe=%d",
		 s->pg ? "paging " : "paging off, ", fmt_name[s->fmt],
		 'A' + s->set, s->cs64 ? "64" : "32", s->wp, s->pse, s->pge,
		 s->smep, s->smap, s->pke, s->nxe);
}

/* random flags that do not change the paging structure format */
static void rand_flags(struct vm *vm, struct fstate *s)
{
	s->set = coin();
	s->wp = coin();
	s->pse = coin();
	s->pge = coin();
	s->smep = vm->has_smep && coin();
	s->smap = vm->has_smap && coin();
	s->pke = vm->has_pku && coin();
	s->nxe = vm->has_nx && coin();
}

static void rand_state(struct vm *vm, struct fstate *s, int allow64)
{
	do
		s->fmt = rnd() % 3;
	while (!(fuzz_formats & 1U << s->fmt));
	s->pg = (rnd() % 5) != 0;
	rand_flags(vm, s);
	if (!s->pg && fuzz_no_unpaged_smep)
		s->smep = s->smap = s->pke = 0;
	s->cs64 = allow64 && lma(s) && coin();
}

void host_set(struct vm *vm, const struct fstate *s)
{
	struct kvm_sregs sr;

	xioctl(vm->vcpu, KVM_GET_SREGS, &sr, "KVM_GET_SREGS");
	set_seg(&sr.cs, s->cs64 ? SEL_CODE64 : SEL_CODE32, 1, s->cs64, !s->cs64);
	set_seg(&sr.ds, SEL_DATA, 0, 0, 1);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.gdt.base = FZ_GDT;
	sr.gdt.limit = 0x1f;
	sr.idt.base = lma(s) ? FZ_IDT64 : FZ_IDT32;
	sr.idt.limit = lma(s) ? 32 * 16 - 1 : 32 * 8 - 1;
	sr.cr0 = cr0_of(s);
	sr.cr3 = cr3_of(s);
	sr.cr4 = cr4_of(s);
	sr.efer = efer_of(s);
	xioctl(vm->vcpu, KVM_SET_SREGS, &sr, "KVM_SET_SREGS");
}

static int nops;

static void op(struct vm *vm, uint32_t reg, uint64_t val)
{
	uint64_t a = MAILBOX + MB_OPS + nops * 16;

	if (nops >= MB_MAX_OPS)
		die(2, "fuzz: too many ops");
	put32(vm, a, reg);
	put64(vm, a + 8, val);
	nops++;
}

/* The changes from the same-format state "from" to "to", in random order. */
static void same_format_ops(struct vm *vm, const struct fstate *from,
			    const struct fstate *to)
{
	int order[4] = { 0, 1, 2, 3 }, i;

	for (i = 3; i > 0; i--) {
		int j = rnd() % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < 4; i++) {
		switch (order[i]) {
		case 0:
			if (cr4_of(from) != cr4_of(to))
				op(vm, OP_CR4, cr4_of(to));
			break;
		case 1:
			if (efer_of(from) != efer_of(to))
				op(vm, OP_EFER, efer_of(to));
			break;
		case 2:
			if (coin() || cr3_of(from) != cr3_of(to))
				op(vm, OP_CR3, cr3_of(to));
			break;
		default:
			if (cr0_of(from) != cr0_of(to))
				op(vm, OP_CR0, cr0_of(to));
		}
	}
}

/*
 * Guest-made transition from cur to a random target.  With a 64-bit code
 * segment the format cannot change (CR0.PG cannot be cleared there).
 */
static void guest_ops(struct vm *vm, const struct fstate *cur, struct fstate *to)
{
	struct fstate mid = *cur;

	if (cur->cs64) {
		*to = *cur;
		rand_flags(vm, to);
		same_format_ops(vm, cur, to);
		return;
	}
	rand_state(vm, to, 0);
	if (cur->pg && to->pg && cur->fmt == to->fmt) {
		same_format_ops(vm, cur, to);
		return;
	}
	if (cur->pg) {
		if (fuzz_no_unpaged_smep && (cur->smep || cur->smap || cur->pke)) {
			/* not even for a moment with paging off */
			mid.smep = mid.smap = mid.pke = 0;
			op(vm, OP_CR4, cr4_of(&mid));
		}
		/* leave paging; IA-32e (if it was active) ends here too */
		mid.pg = 0;
		op(vm, OP_CR0, cr0_of(&mid));
		if (lma(cur))
			op(vm, OP_LIDT, FZ_IDTR32);
	}
	/* with paging off: format, flags, EFER, CR3; then CR0 */
	mid = *to;
	mid.pg = 0;
	if (fuzz_no_unpaged_smep)
		mid.smep = mid.smap = mid.pke = 0;
	op(vm, OP_CR4, cr4_of(&mid));
	op(vm, OP_EFER, efer_of(&mid));
	op(vm, OP_CR3, cr3_of(&mid));
	op(vm, OP_CR0, cr0_of(to));
	if (lma(to))
		op(vm, OP_LIDT, FZ_IDTR64);
	if (cr4_of(&mid) != cr4_of(to))
		op(vm, OP_CR4, cr4_of(to));
}

static void describe_ops(struct vm *vm, char *buf, size_t n)
{
	static const char *const names[] = {
		[OP_CR0] = "cr0", [OP_CR3] = "cr3", [OP_CR4] = "cr4",
		[OP_EFER] = "efer", [OP_LIDT] = "lidt",
	};
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < nops && len < n; i++) {
		uint64_t a = MAILBOX + MB_OPS + i * 16;
		uint32_t reg;
		uint64_t val;

		memcpy(&reg, gpa(vm, a), 4);
		memcpy(&val, gpa(vm, a + 8), 8);
		len += snprintf(buf + len, n - len, " %s=%#" PRIx64,
				reg <= OP_LIDT && names[reg] ? names[reg] : "?", val);
	}
}

int fuzz(struct vm *vm, uint64_t seed, unsigned long steps)
{
	struct fstate cur, to;
	unsigned long step, nhost = 0, nguest = 0, nfaults = 0, nops_total = 0;
	char d1[200], d2[200], ops[300];

	rng = seed ? seed : 1;
	printf("vmm: fuzz seed=%" PRIu64 " steps=%lu smep=%d smap=%d pku=%d nx=%d maxphyaddr=%d\n",
	       seed, steps, vm->has_smep, vm->has_smap, vm->has_pku, vm->has_nx,
	       vm->maxphyaddr);
	fflush(stdout);
	memcpy(gpa(vm, GUEST_CODE), guest_begin, guest_end - guest_begin);
	build_fuzz_tables(vm);
	build_descriptors(vm);
	rand_state(vm, &cur, 1);
	host_set(vm, &cur);

	for (step = 0; step < steps; step++) {
		struct kvm_regs regs = { 0 };
		struct kvm_sregs sr;
		int host = (rnd() % 10) < 3, page = rnd() % FZ_WIN_PAGES;
		int region, writable;
		uint32_t token = 0x80000000U | (uint32_t)step, got;
		uint64_t va = FZ_WINDOW + page * 4096ULL, pa;
		int ins = fuzz_emulated_writes ? coin() : 0;

		nops = 0;
		if (host) {
			rand_state(vm, &to, 1);
			host_set(vm, &to);
			nhost++;
		} else {
			guest_ops(vm, &cur, &to);
			nguest++;
		}
		nops_total += nops;
		describe(&cur, d1, sizeof(d1));
		describe(&to, d2, sizeof(d2));
		describe_ops(vm, ops, sizeof(ops));
		snprintf(die_context, sizeof(die_context),
			 "vmm: fuzz seed=%" PRIu64 " step=%lu (%s, ops:%s, write: %s)\n  from: %s\n  to:   %s",
			 seed, step, host ? "host KVM_SET_SREGS" : "guest", ops,
			 ins ? "INS" : "MOV", d1, d2);

		mb_set32(vm, MB_CMD, CMD_FUZZ);
		mb_set32(vm, MB_NOPS, nops);
		mb_set32(vm, MB_FAULTS, 0);
		mb_set32(vm, MB_STATUS, STATUS_NONE);
		mb_set64(vm, MB_VA, va);
		mb_set32(vm, MB_TOKEN, token);
		mb_set32(vm, MB_CHKINS, ins);
		regs.rflags = 2;
		regs.rsp = STACK_TOP;
		/* a step starts in the code of the current code segment */
		regs.rip = GUEST_SYM((host ? to.cs64 : cur.cs64) ? fuzz64 : fuzz32);
		xioctl(vm->vcpu, KVM_SET_REGS, &regs, "KVM_SET_REGS");
		run_guest(vm);

		region = to.pg ? 1 + to.set : 0;
		pa = win_pa(region, page);
		writable = !to.pg || page != FZ_RO_PAGE || !to.wp;
		got = (uint32_t)mb64(vm, MB_RESULT);

#define FAIL(...) do {							\
		printf("vmm: fuzz FAILED seed=%" PRIu64 " step=%lu (%s, write: %s): ", \
		       seed, step, host ? "host KVM_SET_SREGS" : "guest ops", \
		       ins ? "INS" : "MOV");				\
		printf(__VA_ARGS__);					\
		printf("\n  from: %s\n  to:   %s\n", d1, d2);		\
		return 1;						\
	} while (0)

		xioctl(vm->vcpu, KVM_GET_SREGS, &sr, "KVM_GET_SREGS");
		if (sr.cr0 != cr0_of(&to) || sr.cr3 != cr3_of(&to) ||
		    sr.cr4 != cr4_of(&to) || (sr.efer & 0xd00) != efer_of(&to))
			FAIL("registers cr0=%#llx cr3=%#llx cr4=%#llx efer=%#llx, expected %#" PRIx64
			     " %#" PRIx64 " %#" PRIx64 " %#" PRIx64, sr.cr0, sr.cr3, sr.cr4, sr.efer,
			     cr0_of(&to), cr3_of(&to), cr4_of(&to), efer_of(&to));
		if (got != tag(region, page))
			FAIL("read of %#" PRIx64 " gave %#x, expected %#x (page %d of %s)",
			     va, got, tag(region, page), page,
			     region ? (region == 1 ? "set A" : "set B") : "physical");
		if (writable) {
			if (mb32(vm, MB_FAULTS))
				FAIL("write to %#" PRIx64 " faulted (error code %#x)", va + 4,
				     mb32(vm, MB_PFEC));
			if (get32(vm, pa + 4) != token)
				FAIL("write to %#" PRIx64 " did not reach %#" PRIx64, va + 4, pa + 4);
		} else {
			nfaults++;
			if (mb32(vm, MB_FAULTS) != 1 || mb32(vm, MB_PFEC) != 3 ||
			    mb64(vm, MB_CR2) != va + 4)
				FAIL("write to read-only %#" PRIx64 " with CR0.WP=1: %u faults, error code %#x, cr2 %#" PRIx64,
				     va + 4, mb32(vm, MB_FAULTS), mb32(vm, MB_PFEC), mb64(vm, MB_CR2));
			if (get32(vm, pa + 4) == token)
				FAIL("write to read-only %#" PRIx64 " reached memory", va + 4);
		}
		for (region = 0; region < 3; region++)
			if (win_pa(region, page) != pa &&
			    get32(vm, win_pa(region, page) + 4) == token)
				FAIL("write to %#" PRIx64 " also reached %#" PRIx64, va + 4,
				     win_pa(region, page) + 4);
		cur = to;
		if ((step + 1) % 1000 == 0) {
			printf("vmm: fuzz step %lu\n", step + 1);
			fflush(stdout);
		}
	}
	printf("vmm: fuzz ok seed=%" PRIu64 " steps=%lu host_steps=%lu guest_steps=%lu guest_ops=%lu wp_faults=%lu\n",
	       seed, steps, nhost, nguest, nops_total, nfaults);
	return 0;
}
