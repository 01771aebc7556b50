/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fuzzer's paging states and page tables (fuzz.c), shared with the
 * correctness tests (correct.c).
 */
#ifndef KMF_FUZZ_H
#define KMF_FUZZ_H

#include <stdint.h>

#include "vmm.h"

struct vm;

enum fmt { F_2L, F_PAE, F_4L };

struct fstate {
	int pg, fmt, set, cs64;
	int wp, pse, pge, smep, smap, pke, nxe;
};

/*
 * Page tables, see build_fuzz_tables().  PAE and 4-level paging of a set
 * share its page directory and page tables.
 */
#define T_PD32(s)	(FZ_TABLES + 0x0000 + (s) * 0x1000)
#define T_PT32_ID	(FZ_TABLES + 0x2000)
#define T_PT32_WIN(s)	(FZ_TABLES + 0x3000 + (s) * 0x1000)
#define T_PD64(s)	(FZ_TABLES + 0x5000 + (s) * 0x1000)
#define T_PT64_ID	(FZ_TABLES + 0x7000)
#define T_PT64_WIN(s)	(FZ_TABLES + 0x8000 + (s) * 0x1000)
#define T_PDPT32(s)	(FZ_TABLES + 0xa000 + (s) * 0x20)
#define T_PML4(s)	(FZ_TABLES + 0xb000 + (s) * 0x1000)
#define T_PDPT64(s)	(FZ_TABLES + 0xd000 + (s) * 0x1000)

/* window page PA: region 0 = unpaged (FZ_WINDOW), 1 = set A, 2 = set B */
uint64_t win_pa(int region, int page);
/* the value the host put at offset 0 of a window page */
uint32_t tag(int region, int page);
void build_fuzz_tables(struct vm *vm);
void build_descriptors(struct vm *vm);
int lma(const struct fstate *s);
uint64_t cr0_of(const struct fstate *s);
uint64_t cr3_of(const struct fstate *s);
uint64_t cr4_of(const struct fstate *s);
uint64_t efer_of(const struct fstate *s);
/* KVM_SET_SREGS to state s */
void host_set(struct vm *vm, const struct fstate *s);

#endif
