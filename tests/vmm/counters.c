// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM MMU counters of the running kernel, read from tracefs: hit counts of
 * kprobes (kprobe_profile), and the number of events a KVM tracepoint
 * wrote into a trace instance of its own (entries + overrun of its ring
 * buffer; a filter on the event selects what counts).  Hist triggers would
 * be simpler but Debian's 5.10 kernels are built without them.
 * tests/guest/counters.sh arms everything after each module load; this file
 * only reads.  A counter whose probe or event does not exist on this kernel
 * is reported as absent (-1), never as 0.
 */
#include <stdio.h>
#include <string.h>

#include "counters.h"

static const char *const tracefs[] = {
	"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
};

/*
 * name: the JSON key; kprobe: event name in kprobe_profile; instance: the
 * trace instance that counts one tracepoint (see counters.sh).
 */
static const struct counter_def {
	const char *name;
	const char *kprobe;
	const char *instance;
} defs[NR_COUNTERS] = {
	[C_CR0_WRITES] = { "cr0_write_exits", NULL, "kmf_cr0" },
	[C_UNLOAD] = { "mmu_unload_calls", "mmu_unload", NULL },
	[C_ROOTS_FREED] = { "roots_freed", "free_root", NULL },
	[C_TDP_FAULTS] = { "tdp_faults", NULL, "kmf_fault" },
	[C_PAGES_CREATED] = { "mmu_pages_created", NULL, "kmf_newpage" },
};

const char *counter_name(int i)
{
	return defs[i].name;
}

static FILE *open_tracefs(const char *rel)
{
	char path[512];
	unsigned int i;
	FILE *f;

	for (i = 0; i < sizeof(tracefs) / sizeof(tracefs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tracefs[i], rel);
		f = fopen(path, "r");
		if (f)
			return f;
	}
	return NULL;
}

static long long kprobe_hits(const char *event)
{
	char line[512], name[256];
	long long hits, misses, r = -1;
	FILE *f = open_tracefs("kprobe_profile");
	const char *slash;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %lld %lld", name, &hits, &misses) != 3)
			continue;
		/* "event" or "group/event", depending on the kernel */
		slash = strrchr(name, '/');
		if (!strcmp(slash ? slash + 1 : name, event)) {
			r = hits;
			break;
		}
	}
	fclose(f);
	return r;
}

/*
 * Events written to an instance's ring buffer: entries kept + overwritten,
 * summed over its per_cpu directories (numbered from 0 without gaps).
 */
static long long instance_events(const char *instance)
{
	char rel[256], line[256];
	long long sum = 0, n;
	int cpu;
	FILE *f;

	for (cpu = 0;; cpu++) {
		snprintf(rel, sizeof(rel), "instances/%s/per_cpu/cpu%d/stats",
			 instance, cpu);
		f = open_tracefs(rel);
		if (!f)
			break;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "entries: %lld", &n) == 1 ||
			    sscanf(line, "overrun: %lld", &n) == 1)
				sum += n;
		}
		fclose(f);
	}
	return cpu ? sum : -1;
}

long long counter_kprobe(const char *event)
{
	return kprobe_hits(event);
}

void counters_read(long long *v)
{
	int i;

	for (i = 0; i < NR_COUNTERS; i++) {
		if (defs[i].kprobe)
			v[i] = kprobe_hits(defs[i].kprobe);
		else
			v[i] = instance_events(defs[i].instance);
	}
}
