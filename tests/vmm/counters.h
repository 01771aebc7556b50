/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef KMF_COUNTERS_H
#define KMF_COUNTERS_H

enum {
	C_CR0_WRITES,
	C_UNLOAD,
	C_ROOTS_FREED,
	C_TDP_FAULTS,
	C_PAGES_CREATED,
	NR_COUNTERS
};

/* current value of each counter, -1 where the kernel lacks it */
void counters_read(long long *v);
const char *counter_name(int i);
/* hits of the kprobe event of that name (kmf/EVENT), -1 if none */
long long counter_kprobe(const char *event);

#endif
