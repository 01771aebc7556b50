/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest code of the correctness tests that guest.S does not have.  The host
 * copies each piece to where it runs.
 */
#include "vmm.h"

	.section .rodata

/*
 * SMI handler, copied to SMM_ENTRY.  KVM enters SMM with CS.base = SMBASE,
 * 16-bit code, every other segment based at 0 with a 4 GiB limit, paging
 * off: so absolute 32-bit addresses are physical.
 */
	.code16
	.globl	smm_handler, smm_handler_end
smm_handler:
	mov	$PORT_SMM, %dx
	out	%al, %dx
	addr32 mov	FZ_WINDOW, %eax
	addr32 mov	%eax, MAILBOX + MB_SMM_READ
	addr32 mov	MAILBOX + MB_SMM_PTE, %esi
	addr32 mov	MAILBOX + MB_SMM_VAL, %eax
	addr32 mov	%eax, (%esi)
	addr32 movl	$SMM_MARK, MAILBOX + MB_SMM_MARK
	rsm
smm_handler_end:

/*
 * Nested SVM, L1 (64-bit code, copied to NS_L1_CODE): enable EFER.SVME,
 * set the host save area, then MB_NRUNS times: toggle its own CR0.WP
 * and/or L2's (MB_NFLAGS), VMRUN L2 from its start; record
 * { exit code, what L2 read, what L1 reads at FZ_WINDOW, #PF taken by
 * L1's write to MB_VA + 4 } in MB_READS.
 */
	.code64
	.globl	nested_l1, nested_l1_end, nested_l2, nested_l2_end
nested_l1:
	mov	$MAILBOX, %ebx
	mov	$0xc0000080, %ecx
	rdmsr
	or	$0x1000, %eax			/* EFER.SVME */
	wrmsr
	mov	$0xc0010117, %ecx		/* VM_HSAVE_PA */
	mov	$NS_HSAVE, %eax
	xor	%edx, %edx
	wrmsr
	xor	%r13d, %r13d
	lea	MB_READS(%rbx), %r14
1:	cmp	MB_NRUNS(%rbx), %r13d
	jae	9f
	testl	$1, MB_NFLAGS(%rbx)
	jz	2f
	mov	%cr0, %rax
	xor	$0x10000, %rax			/* CR0.WP */
	mov	%rax, %cr0
2:	testl	$2, MB_NFLAGS(%rbx)
	jz	3f
	xorq	$0x10000, NS_VMCB + VMCB_CR0
3:	movq	$NS_L2_CODE, NS_VMCB + VMCB_RIP
	movq	$NS_L2_STACK, NS_VMCB + VMCB_RSP
	movl	$0, MB_L2READ(%rbx)
	mov	$NS_VMCB, %eax
	vmrun	%rax
	stgi
	mov	NS_VMCB + VMCB_EXIT_CODE, %eax
	mov	%eax, (%r14)
	mov	MB_L2READ(%rbx), %eax
	mov	%eax, 4(%r14)
	mov	FZ_WINDOW, %eax
	mov	%eax, 8(%r14)
	mov	MB_FAULTS(%rbx), %edx
	mov	MB_VA(%rbx), %rsi
	add	$4, %rsi
	mov	%eax, (%rsi)			/* 2 bytes: 89 06 (pf64 skips) */
	mov	MB_FAULTS(%rbx), %eax
	sub	%edx, %eax
	mov	%eax, 12(%r14)
	add	$16, %r14
	inc	%r13d
	jmp	1b
9:	shl	$2, %r13d
	mov	%r13d, MB_NREADS(%rbx)
	movl	$STATUS_OK, MB_STATUS(%rbx)
	mov	$PORT_DONE, %dx
	out	%al, %dx
	hlt
nested_l1_end:

/*
 * L2 (64-bit code, copied to NS_L2_CODE): read FZ_WINDOW, write to the
 * window's read-only page (with CR0.WP=1 a #PF, which L1 intercepts),
 * VMMCALL.
 */
nested_l2:
	mov	FZ_WINDOW, %eax
	mov	%eax, MAILBOX + MB_L2READ
	mov	%eax, FZ_WINDOW + FZ_RO_PAGE * 4096
	vmmcall
	hlt
nested_l2_end:

	.section .note.GNU-stack, "", @progbits
