/* SPDX-License-Identifier: GPL-2.0-only */
/* Guest memory layout and the mailbox shared by vmm.c and guest.S. */
#ifndef KMF_VMM_H
#define KMF_VMM_H

#define MEM_SIZE	(16UL << 20)	/* guest RAM at GPA 0 */
#define PML4		0x1000		/* 64-bit: PML4 -> PDPT64 -> PD -> PT */
#define PDPT64		0x2000
#define PD		0x3000
#define PT_BASE		0x4000		/* 4 page tables: 8 MiB of 4K pages */
#define PT_COUNT	4
#define PDPT32		0x8000		/* PAE: CR3 -> PDPT32 -> PD -> PT */
#define MAILBOX		0x9000
#define STACK_TOP	0xf000
#define GUEST_CODE	0x10000
#define DATA_BASE	0x100000	/* pages the workloads touch */
#define DATA_PAGES	1792		/* DATA_BASE .. 8 MiB */

#define PORT_DONE	0x3f0
#define PORT_SYNC	0x3f1	/* warm-up done, measurement starts */
#define PORT_EXC	0x3f2	/* unexpected exception, see MB_EXC_* */
#define PORT_SMM	0x3f3	/* the SMI handler of correct.S is running */
#define PORT_INS	0x3f4	/* input: the u32 at MB_TOKEN (see MB_CHKINS) */

/* mailbox: offsets of its fields */
#define MB_CMD		0	/* u32: CMD_* */
#define MB_ITERS	8	/* u64 */
#define MB_PAGES	16	/* u64 */
#define MB_RESULT	24	/* u64 */
#define MB_CYCLES	32	/* u64: guest TSC cycles of the loop */
#define MB_STATUS	40	/* u32: STATUS_* */
#define MB_T0		48	/* u64: scratch */

#define CMD_CHECKSUM	1
#define CMD_TOGGLE	2
#define CMD_TOGGLE_TOUCH 3
#define CMD_CPUID	4

#define CMD_FUZZ	5	/* run MB_NOPS state changes, then the access check */

/* fuzzer: ops and results in the mailbox */
#define MB_NOPS		56	/* u32: number of ops at MB_OPS */
#define MB_FAULTS	60	/* u32: #PF taken by the check */
#define MB_VA		64	/* u64: address the check reads, then writes +4 */
#define MB_TOKEN	72	/* u32: value written at MB_VA + 4 */
#define MB_PFEC		76	/* u32: error code of the last #PF */
#define MB_CR2		80	/* u64: CR2 of the last #PF */
#define MB_EXC_VEC	88	/* u32: vector of an unexpected exception */
#define MB_EXC_ERR	92	/* u32: its error code (0 if none) */
#define MB_EXC_RIP	96	/* u64: where it happened */
#define MB_OPS		128	/* ops: { u32 reg; u32 pad; u64 value; } */
#define MB_MAX_OPS	64
#define OP_CR0		0
#define OP_CR3		3
#define OP_CR4		4
#define OP_EFER		8	/* wrmsr 0xc0000080 */
#define OP_LIDT		9	/* value: address of a 6-byte IDTR image */
/* correctness tests (correct.c) */
#define OP_STORE	10	/* store the u64 value at the address in pad */
#define OP_READ		11	/* append the u32 at address value to MB_READS */
#define OP_INVLPG	12	/* invlpg at address value */
#define OP_SYNC		13	/* OUT to PORT_SYNC (the host may act) */
#define MB_NREADS	104	/* u32: entries in MB_READS */
#define MB_CHKINS	108	/* u32: nonzero: the check writes with INS from
				 * PORT_INS, which KVM emulates (its own walk
				 * and permission check of the guest's tables) */
#define MB_READS	0x600	/* u32 each, up to MB_MAX_READS */
#define MB_MAX_READS	64
#define MB_SCRATCH	0x800	/* what a correctness step's final check reads */
/* SMI handler (correct.S): it stores MB_SMM_VAL at MB_SMM_PTE, copies the
 * u32 at FZ_WINDOW (read with paging off) to MB_SMM_READ, sets the mark */
#define MB_SMM_PTE	0x900	/* u32: address */
#define MB_SMM_VAL	0x904	/* u32 */
#define MB_SMM_READ	0x908	/* u32 */
#define MB_SMM_MARK	0x90c	/* u32: SMM_MARK once the handler ran */
#define SMM_MARK	0x534d4d21
#define SMBASE		0x30000	/* the default SMBASE: free guest memory */
#define SMM_ENTRY	(SMBASE + 0x8000)
/* nested SVM (correct.S): L1 runs L2 MB_NRUNS times, toggling CR0.WP */
#define MB_NFLAGS	0x910	/* u32: 1 toggle L1's CR0.WP, 2 L2's */
#define MB_L2READ	0x914	/* u32: what L2 read */
#define MB_NRUNS	0x918	/* u32 */
#define NS_VMCB		0x50000
#define NS_HSAVE	0x51000
#define NS_NPT		0x52000	/* PML4, PDPT, PD: nested page tables */
#define NS_IOPM		0x56000	/* 12 KiB, zero */
#define NS_MSRPM	0x5a000	/* 8 KiB, zero */
#define NS_L2_STACK	0x5f000
#define NS_L1_CODE	0x60000
#define NS_L2_CODE	0x61000
#define NS_L2_WP_PROBE	14	/* offset of L2's 7-byte write to the RO page */
/* nested VMX (correct.S): the same L2 and memory, NS_VMCB holds the VMCS,
 * NS_HSAVE the VMXON region, NS_NPT the EPT tables; L1 VMWRITEs the
 * { u64 field, u64 value } pairs at NV_FIELDS (ended by field ~0), which
 * the host computed from the VMX capability MSRs it reads from KVM */
#define NV_FIELDS	0x56000
#define NV_ERROR	0x91c	/* u32: step << 16 | VM-instruction error */
#define VMCB_EXIT_CODE	0x070
#define VMCB_CR0	0x558
#define VMCB_RIP	0x578
#define VMCB_RSP	0x5d8

/* fuzzer memory: descriptor tables, page tables, the test window */
#define FZ_GDT		0xa000
#define FZ_IDT32	0xb000	/* 32 gates, 8 bytes each */
#define FZ_IDT64	0xc000	/* 32 gates, 16 bytes each */
#define FZ_IDTR32	0xd000	/* 6-byte images for OP_LIDT */
#define FZ_IDTR64	0xd010
#define FZ_TABLES	0x20000	/* page tables, up to 0x40000 */
#define FZ_WINDOW	0x400000 /* VA of the window; also the PA seen unpaged */
#define FZ_WIN_A	0x600000 /* PA behind the window in table set A */
#define FZ_WIN_B	0x700000 /* ... in set B */
#define FZ_WIN_PAGES	8
#define FZ_RO_PAGE	1	/* window page mapped read-only */
#define SEL_CODE64	0x08
#define SEL_DATA	0x10
#define SEL_CODE32	0x18

#define STATUS_NONE	0
#define STATUS_OK	1
#define STATUS_BAD_CMD	2
#define STATUS_VMFAIL	3	/* a VMX instruction failed: MB NV_ERROR */

#endif
