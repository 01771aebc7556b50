/* SPDX-License-Identifier: GPL-2.0-only */
/* The mini-VMM's VM and the helpers its parts share. */
#ifndef KMF_VM_H
#define KMF_VM_H

#include <linux/kvm.h>
#include <stdint.h>
#include <time.h>

#include "counters.h"
#include "vmm.h"

extern const unsigned char guest_begin[], guest_end[], guest64[], guest32[];
extern const unsigned char fuzz32[], fuzz64[], pf32[], pf64[], exc32[], exc64[];

/* guest-physical address of a symbol of guest.S */
#define GUEST_SYM(sym) (GUEST_CODE + (uint64_t)((sym) - guest_begin))

struct vm {
	int kvm, fd, vcpu;
	struct kvm_run *run;
	unsigned char *mem;
	int has_smep, has_smap, has_pku, has_nx, maxphyaddr;
	/* counters at PORT_SYNC and at PORT_DONE, if counting */
	int counting;
	long long c0[NR_COUNTERS], c1[NR_COUNTERS];
	struct timespec t0, t1;
	int synced;
	/* if set, called on every OUT first; returns 1 if it handled it */
	int (*on_io)(struct vm *vm);
	void *priv;
};

extern char die_context[512];
void die(int code, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
int xioctl(int fd, unsigned long req, void *arg, const char *what);
void *gpa(struct vm *vm, uint64_t addr);
void vm_create(struct vm *vm);
void set_seg(struct kvm_segment *s, unsigned int sel, int code, int l, int db);
uint32_t mb32(struct vm *vm, int off);
uint64_t mb64(struct vm *vm, int off);
void mb_set32(struct vm *vm, int off, uint32_t v);
void mb_set64(struct vm *vm, int off, uint64_t v);
void dump_and_die(struct vm *vm, const char *why) __attribute__((noreturn));
uint64_t run_guest(struct vm *vm);
extern unsigned int fuzz_formats;
extern int fuzz_no_unpaged_smep;
extern int fuzz_emulated_writes;
int fuzz(struct vm *vm, uint64_t seed, unsigned long steps);
void vm_destroy(struct vm *vm);
int correct(int argc, char **argv);

#endif
