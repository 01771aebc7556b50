/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest code of the mini-VMM.  It is copied to GUEST_CODE (see vmm.h) and
 * runs there with paging on, either in 64-bit long mode (guest64) or in
 * 32-bit PAE mode (guest32).  It reads its command from the mailbox,
 * carries it out, writes the results back to the mailbox, signals the host
 * with an OUT to PORT_DONE and halts.
 *
 * Only relative branches are used inside the code, so it runs wherever it
 * is copied; data lives at fixed guest-physical addresses (identity mapped).
 */
#include "vmm.h"

#define CR0_WP	(1 << 16)

	.section .rodata
	.globl	guest_begin, guest_end, guest64, guest32
	.p2align 4
guest_begin:

/* ------------------------------------------------------------------ */
	.code64
guest64:
	mov	$MAILBOX, %ebx
	mov	MB_CMD(%rbx), %eax
	mov	MB_ITERS(%rbx), %rcx
	cmp	$CMD_CHECKSUM, %eax
	je	64f
	cmp	$CMD_TOGGLE, %eax
	je	60f
	cmp	$CMD_TOGGLE_TOUCH, %eax
	je	60f
	cmp	$CMD_CPUID, %eax
	je	60f
	movl	$STATUS_BAD_CMD, MB_STATUS(%rbx)
	jmp	99f

	/* warm-up for the timed commands: touch MB_PAGES pages once, then
	 * tell the host (PORT_SYNC) that the measured part starts */
60:	mov	MB_PAGES(%rbx), %rdx
	mov	$DATA_BASE, %rsi
61:	test	%rdx, %rdx
	jz	62f
	incb	(%rsi)
	add	$4096, %rsi
	dec	%rdx
	jmp	61b
62:	mov	$PORT_SYNC, %dx
	out	%al, %dx
	mov	MB_ITERS(%rbx), %rcx
	cmpl	$CMD_CPUID, MB_CMD(%rbx)
	je	67f
	jmp	65f

	/* FNV-1a over MB_ITERS bytes at DATA_BASE; then writes
	 * (i * 2654435761) to the first dword of each of MB_PAGES pages */
64:	mov	$DATA_BASE, %rsi
	mov	$0x811c9dc5, %eax
	mov	$0x01000193, %r8d
2:	test	%rcx, %rcx
	jz	3f
	movzbl	(%rsi), %edx
	xor	%edx, %eax
	imul	%r8d, %eax
	inc	%rsi
	dec	%rcx
	jmp	2b
3:	mov	%rax, MB_RESULT(%rbx)
	mov	MB_PAGES(%rbx), %rcx
	mov	$DATA_BASE, %rsi
	xor	%edx, %edx
4:	test	%rcx, %rcx
	jz	5f
	imul	$2654435761, %edx, %eax
	mov	%eax, (%rsi)
	add	$4096, %rsi
	inc	%edx
	dec	%rcx
	jmp	4b
5:	movl	$STATUS_OK, MB_STATUS(%rbx)
	jmp	99f

	/* CR0.WP clear+set per iteration; with TOGGLE_TOUCH, one write to
	 * each of MB_PAGES distinct pages after each toggle */
65:	rdtsc
	shl	$32, %rdx
	or	%rax, %rdx
	mov	%rdx, %r9
	mov	%cr0, %r10
	mov	%r10, %r11
	and	$~CR0_WP, %r11
6:	mov	%r11, %cr0
	mov	%r10, %cr0
	cmpl	$CMD_TOGGLE_TOUCH, MB_CMD(%rbx)
	jne	8f
	mov	MB_PAGES(%rbx), %rdx
	mov	$DATA_BASE, %rsi
7:	test	%rdx, %rdx
	jz	8f
	incb	(%rsi)
	add	$4096, %rsi
	dec	%rdx
	jmp	7b
8:	dec	%rcx
	jnz	6b
	jmp	68f

	/* CPUID leaf 0, MB_ITERS times */
67:	rdtsc
	shl	$32, %rdx
	or	%rax, %rdx
	mov	%rdx, %r9
	mov	%rcx, %r10
9:	xor	%eax, %eax
	xor	%ecx, %ecx
	cpuid
	dec	%r10
	jnz	9b

68:	rdtsc
	shl	$32, %rdx
	or	%rax, %rdx
	sub	%r9, %rdx
	mov	$MAILBOX, %ebx
	mov	%rdx, MB_CYCLES(%rbx)
	movl	$STATUS_OK, MB_STATUS(%rbx)

99:	mov	$PORT_DONE, %dx
	out	%al, %dx
	hlt
	jmp	99b

/* ------------------------------------------------------------------ */
	.code32
guest32:
	mov	$MAILBOX, %ebx
	mov	MB_CMD(%ebx), %eax
	mov	MB_ITERS(%ebx), %ecx
	cmp	$CMD_CHECKSUM, %eax
	je	64f
	cmp	$CMD_TOGGLE, %eax
	je	60f
	cmp	$CMD_TOGGLE_TOUCH, %eax
	je	60f
	cmp	$CMD_CPUID, %eax
	je	60f
	movl	$STATUS_BAD_CMD, MB_STATUS(%ebx)
	jmp	99f

60:	mov	MB_PAGES(%ebx), %edx
	mov	$DATA_BASE, %esi
61:	test	%edx, %edx
	jz	62f
	incb	(%esi)
	add	$4096, %esi
	dec	%edx
	jmp	61b
62:	mov	$PORT_SYNC, %dx
	out	%al, %dx
	mov	MB_ITERS(%ebx), %ecx
	cmpl	$CMD_CPUID, MB_CMD(%ebx)
	je	67f
	jmp	65f

64:	mov	$DATA_BASE, %esi
	mov	$0x811c9dc5, %eax
	mov	$0x01000193, %edi
2:	test	%ecx, %ecx
	jz	3f
	movzbl	(%esi), %edx
	xor	%edx, %eax
	imul	%edi, %eax
	inc	%esi
	dec	%ecx
	jmp	2b
3:	mov	%eax, MB_RESULT(%ebx)
	movl	$0, MB_RESULT+4(%ebx)
	mov	MB_PAGES(%ebx), %ecx
	mov	$DATA_BASE, %esi
	xor	%edx, %edx
4:	test	%ecx, %ecx
	jz	5f
	imul	$2654435761, %edx, %eax
	mov	%eax, (%esi)
	add	$4096, %esi
	inc	%edx
	dec	%ecx
	jmp	4b
5:	movl	$STATUS_OK, MB_STATUS(%ebx)
	jmp	99f

65:	rdtsc
	mov	%eax, MB_T0(%ebx)
	mov	%edx, MB_T0+4(%ebx)
	mov	%cr0, %ebp
	mov	%ebp, %edi
	and	$~CR0_WP, %edi
6:	mov	%edi, %cr0
	mov	%ebp, %cr0
	cmpl	$CMD_TOGGLE_TOUCH, MB_CMD(%ebx)
	jne	8f
	mov	MB_PAGES(%ebx), %edx
	mov	$DATA_BASE, %esi
7:	test	%edx, %edx
	jz	8f
	incb	(%esi)
	add	$4096, %esi
	dec	%edx
	jmp	7b
8:	dec	%ecx
	jnz	6b
	jmp	68f

67:	rdtsc
	mov	%eax, MB_T0(%ebx)
	mov	%edx, MB_T0+4(%ebx)
	mov	%ecx, %ebp
9:	xor	%eax, %eax
	xor	%ecx, %ecx
	cpuid
	dec	%ebp
	jnz	9b

68:	rdtsc
	mov	$MAILBOX, %ebx
	sub	MB_T0(%ebx), %eax
	sbb	MB_T0+4(%ebx), %edx
	mov	%eax, MB_CYCLES(%ebx)
	mov	%edx, MB_CYCLES+4(%ebx)
	movl	$STATUS_OK, MB_STATUS(%ebx)

99:	mov	$PORT_DONE, %dx
	out	%al, %dx
	hlt
	jmp	99b

/* ------------------------------------------------------------------ */
/*
 * Fuzzer step, 32-bit code: runs with a 32-bit code segment in any paging
 * state (off, 2-level, PAE, or IA-32e compatibility mode).  Carries out the
 * ops in the mailbox, then reads MB_VA and writes MB_TOKEN at MB_VA + 4
 * (the write is the 2-byte "mov %eax,(%esi)", which the #PF handlers skip).
 */
	.code32
	.globl	fuzz32
fuzz32:
	mov	$MAILBOX, %ebx
	mov	MB_NOPS(%ebx), %ecx
	lea	MB_OPS(%ebx), %edi
1:	test	%ecx, %ecx
	jz	8f
	mov	(%edi), %eax
	mov	8(%edi), %edx
	cmp	$OP_CR0, %eax
	jne	2f
	mov	%edx, %cr0
	jmp	7f
2:	cmp	$OP_CR3, %eax
	jne	3f
	mov	%edx, %cr3
	jmp	7f
3:	cmp	$OP_CR4, %eax
	jne	4f
	mov	%edx, %cr4
	jmp	7f
4:	cmp	$OP_EFER, %eax
	jne	5f
	push	%ecx
	mov	%edx, %eax
	mov	12(%edi), %edx
	mov	$0xc0000080, %ecx
	wrmsr
	pop	%ecx
	jmp	7f
5:	cmp	$OP_LIDT, %eax
	jne	6f
	lidt	(%edx)
	jmp	7f
6:	call	ops_more32
7:	add	$16, %edi
	dec	%ecx
	jmp	1b
8:	mov	MB_VA(%ebx), %esi
	mov	(%esi), %eax
	mov	%eax, MB_RESULT(%ebx)
	mov	MB_TOKEN(%ebx), %eax
	add	$4, %esi
	cmpl	$0, MB_CHKINS(%ebx)
	jne	9f
	mov	%eax, (%esi)		/* 2 bytes: 89 06 */
	jmp	10f
9:	mov	%esi, %edi
	mov	$PORT_INS, %dx
	insl				/* 1 byte: 6d */
	nop				/* the #PF handlers skip 2 bytes */
10:	movl	$STATUS_OK, MB_STATUS(%ebx)
	mov	$PORT_DONE, %dx
	out	%al, %dx
	hlt

/*
 * The ops of the correctness tests, 32-bit code: %eax the op, %edx the
 * low half of its value, %edi the op, %ebx the mailbox; keeps %ecx, %edi.
 * An unknown op is a #UD, reported to the host.
 */
ops_more32:
	cmp	$OP_STORE, %eax
	jne	1f
	mov	4(%edi), %esi
	mov	%edx, (%esi)
	mov	12(%edi), %eax
	mov	%eax, 4(%esi)
	ret
1:	cmp	$OP_READ, %eax
	jne	2f
	mov	(%edx), %eax
	mov	MB_NREADS(%ebx), %esi
	mov	%eax, MB_READS(%ebx,%esi,4)
	incl	MB_NREADS(%ebx)
	ret
2:	cmp	$OP_INVLPG, %eax
	jne	3f
	invlpg	(%edx)
	ret
3:	cmp	$OP_SYNC, %eax
	jne	4f
	mov	$PORT_SYNC, %dx
	out	%al, %dx
	ret
4:	ud2

	.globl	pf32
pf32:	/* #PF in legacy protected mode: the check's write to MB_VA + 4 is
	 * counted, recorded and skipped; any other #PF is unexpected */
	push	%eax
	push	%ebx
	mov	$MAILBOX, %ebx
	mov	%cr2, %eax
	mov	%eax, MB_CR2(%ebx)
	mov	MB_VA(%ebx), %eax
	add	$4, %eax
	cmp	%eax, MB_CR2(%ebx)
	jne	1f
	incl	MB_FAULTS(%ebx)
	mov	8(%esp), %eax
	mov	%eax, MB_PFEC(%ebx)
	pop	%ebx
	pop	%eax
	add	$4, %esp
	addl	$2, (%esp)
	iret
1:	pop	%ebx
	pop	%eax
	push	$14
	jmp	exc32_common

/* One 16-byte stub per vector 0-31 (IDT gates point at exc32 + 16 * v):
 * report the exception to the host on PORT_EXC and stop. */
	.globl	exc32
	.p2align 4
exc32:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.p2align 4
	.if (\v == 8) || ((\v >= 10) && (\v <= 14)) || (\v == 17)
	.else
	push	$0
	.endif
	push	$\v
	jmp	exc32_common
	.endr
exc32_common:
	mov	$MAILBOX, %ebx
	pop	%eax
	mov	%eax, MB_EXC_VEC(%ebx)
	pop	%eax
	mov	%eax, MB_EXC_ERR(%ebx)
	pop	%eax
	mov	%eax, MB_EXC_RIP(%ebx)
	movl	$0, MB_EXC_RIP+4(%ebx)
	mov	$PORT_EXC, %dx
	out	%al, %dx
	hlt

/* Fuzzer step, 64-bit code: the same, with 64-bit register widths. */
	.code64
	.globl	fuzz64
fuzz64:
	mov	$MAILBOX, %ebx
	mov	MB_NOPS(%rbx), %ecx
	lea	MB_OPS(%rbx), %rdi
1:	test	%ecx, %ecx
	jz	8f
	mov	(%rdi), %eax
	mov	8(%rdi), %rdx
	cmp	$OP_CR0, %eax
	jne	2f
	mov	%rdx, %cr0
	jmp	7f
2:	cmp	$OP_CR3, %eax
	jne	3f
	mov	%rdx, %cr3
	jmp	7f
3:	cmp	$OP_CR4, %eax
	jne	4f
	mov	%rdx, %cr4
	jmp	7f
4:	cmp	$OP_EFER, %eax
	jne	5f
	push	%rcx
	mov	%edx, %eax
	shr	$32, %rdx
	mov	$0xc0000080, %ecx
	wrmsr
	pop	%rcx
	jmp	7f
5:	cmp	$OP_LIDT, %eax
	jne	6f
	lidt	(%rdx)
	jmp	7f
6:	call	ops_more64
7:	add	$16, %rdi
	dec	%ecx
	jmp	1b
8:	mov	MB_VA(%rbx), %rsi
	mov	(%rsi), %eax
	mov	%eax, MB_RESULT(%rbx)
	mov	MB_TOKEN(%rbx), %eax
	add	$4, %rsi
	cmpl	$0, MB_CHKINS(%rbx)
	jne	9f
	mov	%eax, (%rsi)		/* 2 bytes: 89 06 */
	jmp	10f
9:	mov	%rsi, %rdi
	mov	$PORT_INS, %dx
	insl				/* 1 byte: 6d */
	nop				/* the #PF handlers skip 2 bytes */
10:	movl	$STATUS_OK, MB_STATUS(%rbx)
	mov	$PORT_DONE, %dx
	out	%al, %dx
	hlt

/* The same, 64-bit code. */
ops_more64:
	cmp	$OP_STORE, %eax
	jne	1f
	mov	4(%rdi), %esi
	mov	8(%rdi), %rax
	mov	%rax, (%rsi)
	ret
1:	cmp	$OP_READ, %eax
	jne	2f
	mov	(%rdx), %eax
	mov	MB_NREADS(%rbx), %esi
	mov	%eax, MB_READS(%rbx,%rsi,4)
	incl	MB_NREADS(%rbx)
	ret
2:	cmp	$OP_INVLPG, %eax
	jne	3f
	invlpg	(%rdx)
	ret
3:	cmp	$OP_SYNC, %eax
	jne	4f
	mov	$PORT_SYNC, %dx
	out	%al, %dx
	ret
4:	ud2

	.globl	pf64
pf64:	/* #PF with IA-32e active (64-bit or compatibility mode) */
	push	%rax
	push	%rbx
	mov	$MAILBOX, %ebx
	mov	%cr2, %rax
	mov	%rax, MB_CR2(%rbx)
	mov	MB_VA(%rbx), %rax
	add	$4, %rax
	cmp	%rax, MB_CR2(%rbx)
	jne	1f
	incl	MB_FAULTS(%rbx)
	mov	16(%rsp), %rax
	mov	%eax, MB_PFEC(%rbx)
	pop	%rbx
	pop	%rax
	add	$8, %rsp
	addq	$2, (%rsp)
	iretq
1:	pop	%rbx
	pop	%rax
	push	$14
	jmp	exc64_common

	.globl	exc64
	.p2align 4
exc64:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.p2align 4
	.if (\v == 8) || ((\v >= 10) && (\v <= 14)) || (\v == 17)
	.else
	pushq	$0
	.endif
	pushq	$\v
	jmp	exc64_common
	.endr
exc64_common:
	mov	$MAILBOX, %ebx
	pop	%rax
	mov	%eax, MB_EXC_VEC(%rbx)
	pop	%rax
	mov	%eax, MB_EXC_ERR(%rbx)
	pop	%rax
	mov	%rax, MB_EXC_RIP(%rbx)
	mov	$PORT_EXC, %dx
	out	%al, %dx
	hlt

guest_end:
	.section .note.GNU-stack, "", @progbits
