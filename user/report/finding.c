// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Findings as data (report/finding.h): the kinds' names and the helpers detectors build with. */
#include <stdio.h>
#include <string.h>
#include "report/finding.h"
#include "lib/util.h"

static const char *const kind_names[RT_K_MAX] = {
	[RT_K_LOCK_ORDER_INVERSION] = "lock-order-inversion",
	[RT_K_DEADLOCK] = "deadlock",
	[RT_K_HANG] = "hang",
	[RT_K_UNLOCK_UNHELD] = "unlock-unheld",
	[RT_K_UNLOCK_NON_OWNER] = "unlock-non-owner",
	[RT_K_DOUBLE_LOCK] = "double-lock",
	[RT_K_DESTROY_LOCKED] = "destroy-locked",
	[RT_K_FREE_LOCKED] = "free-locked",
	[RT_K_EXIT_HOLDING_LOCK] = "exit-holding-lock",
	[RT_K_COND_WAIT_UNHELD] = "cond-wait-unheld",
	[RT_K_DOUBLE_FREE] = "double-free",
	[RT_K_GO_MAP_RACE] = "go-map-race",
	[RT_K_GO_CHAN_DOUBLE_CLOSE] = "go-chan-double-close",
	[RT_K_GO_GOROUTINE_LEAK] = "go-goroutine-leak",
	[RT_K_DATA_RACE] = "data-race",
	[RT_K_GO_WAITGROUP_MISUSE] = "go-waitgroup-misuse",
	[RT_K_DESTROY_WAITED] = "destroy-waited",
};

const char *rt_kind_name(enum rt_kind k)
{
	if ((unsigned int)k >= RT_K_MAX)
		return "unknown";
	return kind_names[k];
}

bool rt_finding_goroutines(const struct rt_finding *f)
{
	return f->goroutines || f->kind == RT_K_GO_MAP_RACE ||
	       f->kind == RT_K_GO_CHAN_DOUBLE_CLOSE || f->kind == RT_K_GO_GOROUTINE_LEAK ||
	       f->kind == RT_K_GO_WAITGROUP_MISUSE;
}

void rt_finding_init(struct rt_finding *f, enum rt_kind kind, __u32 pid, __u64 ktime)
{
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->pid = pid;
	f->ktime = ktime;
}

void rt_finding_thread(struct rt_finding *f, __u32 id)
{
	__u32 i;

	for (i = 0; i < f->nthreads; i++)
		if (f->threads[i] == id)
			return;
	if (f->nthreads < RT_FINDING_MAX)
		f->threads[f->nthreads++] = id;
}

void rt_finding_lock(struct rt_finding *f, __u64 addr, const char *kind)
{
	__u32 i;

	for (i = 0; i < f->nlocks; i++)
		if (f->locks[i].addr == addr)
			return;
	if (f->nlocks >= RT_FINDING_MAX)
		return;
	f->locks[f->nlocks].addr = addr;
	snprintf(f->locks[f->nlocks].kind, sizeof(f->locks[0].kind), "%s", kind);
	f->nlocks++;
}

void rt_finding_site(struct rt_finding *f, __u64 site)
{
	if (f->nsites < RT_ARRAY_SIZE(f->sites))
		f->sites[f->nsites++] = site;
}
