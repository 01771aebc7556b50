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

/* mailbox: offsets of its fields */
#define MB_CMD		0	/* u32: CMD_* */
#define MB_FLAGS	4	/* u32: reserved */
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

#define STATUS_NONE	0
#define STATUS_OK	1
#define STATUS_BAD_CMD	2

#endif
