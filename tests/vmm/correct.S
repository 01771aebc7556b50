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
 * Both nested L1s, after an exit whose code is in %eax: record { exit,
 * what L2 read, what L1 reads at FZ_WINDOW, #PF taken by L1's write to
 * MB_VA + 4 } at %r14 and count the run in %r13d; and at the end, report
 * the reads and stop.  %rbx is MAILBOX.
 */
	.macro	record_run
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
	.endm

	/* MB_NFLAGS bit 0: L1 toggles its own CR0.WP before each run */
	.macro	l1_wp_toggle
	testl	$1, MB_NFLAGS(%rbx)
	jz	77f
	mov	%cr0, %rax
	xor	$0x10000, %rax			/* CR0.WP */
	mov	%rax, %cr0
77:
	.endm

	.macro	nested_done
	shl	$2, %r13d
	mov	%r13d, MB_NREADS(%rbx)
	movl	$STATUS_OK, MB_STATUS(%rbx)
	mov	$PORT_DONE, %dx
	out	%al, %dx
	hlt
	.endm

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
	l1_wp_toggle
	testl	$2, MB_NFLAGS(%rbx)
	jz	3f
	xorq	$0x10000, NS_VMCB + VMCB_CR0
3:	movq	$NS_L2_CODE, NS_VMCB + VMCB_RIP
	movq	$NS_L2_STACK, NS_VMCB + VMCB_RSP
	movl	$0, MB_L2READ(%rbx)
	mov	$NS_VMCB, %eax
	vmrun	%rax
	stgi
	mov	NS_VMCB + VMCB_EXIT_CODE, %eax
	record_run
	jmp	1b
9:
	nested_done
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

/*
 * Nested VMX, L1 (64-bit code, copied to NS_L1_CODE): set CR4.VMXE, VMXON
 * (region at NS_HSAVE), VMCLEAR and VMPTRLD the VMCS at NS_VMCB, VMWRITE
 * the host's field table at NV_FIELDS, then the host-state fields only L1
 * knows; then MB_NRUNS times as nested_l1 does, with VMLAUNCH once and
 * VMRESUME after: toggle its own CR0.WP (and HOST_CR0 with it, which the
 * VM exit loads) and/or L2's (GUEST_CR0), enter L2 at its start, record
 * { exit reason, what L2 read, what L1 reads at FZ_WINDOW, #PF taken by
 * L1's write to MB_VA + 4 } in MB_READS.  A failed VMX instruction stores
 * its step << 16 | VM-instruction error at NV_ERROR and ends the run.
 */
	.globl	nvmx_l1, nvmx_l1_end, nvmx_l2, nvmx_l2_end
nvmx_l1:
	mov	$MAILBOX, %ebx
	xor	%r13d, %r13d
	lea	MB_READS(%rbx), %r14
	xor	%r12d, %r12d			/* launched */
	mov	$1, %r15d			/* step, for NV_ERROR */
	mov	%cr4, %rax
	or	$0x2000, %eax			/* CR4.VMXE */
	mov	%rax, %cr4
	movq	$NS_HSAVE, MB_T0(%rbx)
	vmxon	MB_T0(%rbx)
	jbe	8f
	inc	%r15d
	movq	$NS_VMCB, MB_T0(%rbx)
	vmclear	MB_T0(%rbx)
	jbe	8f
	inc	%r15d
	vmptrld	MB_T0(%rbx)
	jbe	8f
	mov	$NV_FIELDS, %esi
1:	inc	%r15d				/* 4 + the table's index */
	mov	(%rsi), %rdx
	cmp	$-1, %rdx
	je	2f
	vmwrite	8(%rsi), %rdx
	jbe	8f
	add	$16, %rsi
	jmp	1b
2:	mov	$0x6c02, %edx			/* HOST_CR3 */
	mov	%cr3, %rax
	vmwrite	%rax, %rdx
	jbe	8f
	mov	$0x6c04, %edx			/* HOST_CR4 */
	mov	%cr4, %rax
	vmwrite	%rax, %rdx
	jbe	8f
	mov	$0x6c14, %edx			/* HOST_RSP */
	vmwrite	%rsp, %rdx
	jbe	8f
	mov	$0x6c16, %edx			/* HOST_RIP */
	lea	5f(%rip), %rax
	vmwrite	%rax, %rdx
	jbe	8f
	mov	$0x1000, %r15d			/* then: 0x1000 + run */
3:	cmp	MB_NRUNS(%rbx), %r13d
	jae	9f
	l1_wp_toggle
	mov	$0x6c00, %edx			/* HOST_CR0 */
	mov	%cr0, %rax
	vmwrite	%rax, %rdx
	jbe	8f
	testl	$2, MB_NFLAGS(%rbx)
	jz	6f
	mov	$0x6800, %edx			/* GUEST_CR0 */
	vmread	%rdx, %rax
	jbe	8f
	xor	$0x10000, %rax
	vmwrite	%rax, %rdx
	jbe	8f
6:	mov	$0x681e, %edx			/* GUEST_RIP */
	mov	$NS_L2_CODE, %eax
	vmwrite	%rax, %rdx
	jbe	8f
	mov	$0x681c, %edx			/* GUEST_RSP */
	mov	$NS_L2_STACK, %eax
	vmwrite	%rax, %rdx
	jbe	8f
	movl	$0, MB_L2READ(%rbx)
	test	%r12d, %r12d
	jnz	7f
	mov	$1, %r12d
	vmlaunch
	jmp	8f
7:	vmresume
	jmp	8f
5:	mov	$0x4402, %edx			/* EXIT_REASON */
	vmread	%rdx, %rax
	record_run
	inc	%r15d
	jmp	3b
8:	mov	%r15d, %ecx
	shl	$16, %r15d
	xor	%eax, %eax
	cmp	$1, %ecx			/* no VMX operation: no VMREAD */
	je	81f
	mov	$0x4400, %edx			/* VM-instruction error */
	vmread	%rdx, %rax
81:	or	%eax, %r15d
	mov	%r15d, NV_ERROR(%rbx)
9:
	nested_done
nvmx_l1_end:

/* L2 of nested VMX: nested_l2 with VMCALL (same length and offsets) */
nvmx_l2:
	mov	FZ_WINDOW, %eax
	mov	%eax, MAILBOX + MB_L2READ
	mov	%eax, FZ_WINDOW + FZ_RO_PAGE * 4096
	vmcall
	hlt
nvmx_l2_end:

	.section .note.GNU-stack, "", @progbits
