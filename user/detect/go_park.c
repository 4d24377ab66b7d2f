// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What the Go detectors that judge parked goroutines share (go_park.h). */
#include "detect/go_park.h"

const char *const rt_go_park_what[RT_PARK_MAX] = {
	[RT_PARK_RECV] = "receiving from channel",
	[RT_PARK_SEND] = "sending to channel",
	[RT_PARK_WG] = "waiting on WaitGroup",
	[RT_PARK_MUTEX] = "locking Mutex",
	[RT_PARK_RLOCK] = "read-locking RWMutex",
	[RT_PARK_WLOCK] = "locking RWMutex",
	[RT_PARK_COND] = "waiting on Cond",
	[RT_PARK_SELECT] = "in a select on channel",
};

const char *const rt_go_park_kind[RT_PARK_MAX] = {
	[RT_PARK_RECV] = "chan",	     [RT_PARK_SEND] = "chan",
	[RT_PARK_WG] = "sync.WaitGroup",     [RT_PARK_MUTEX] = "sync.Mutex",
	[RT_PARK_RLOCK] = "sync.RWMutex",    [RT_PARK_WLOCK] = "sync.RWMutex",
	[RT_PARK_COND] = "sync.Cond",	     [RT_PARK_SELECT] = "chan",
};

bool rt_go_park_wakes_alone(const struct hb *hb, const struct hb_park *p)
{
	const unsigned int alone = RT_GO_CHAN_TIMER | RT_GO_CHAN_SIGNAL;
	__u16 i;

	if (p->kind == RT_PARK_SELECT) {
		if (p->sel_ncases > RT_SELECT_SEEN)
			return true;
		for (i = p->sel_nsends; i < p->sel_ncases; i++)
			if (hb__go_chan(hb, p->sel[i], NULL) & alone)
				return true;
		return false;
	}
	return p->kind == RT_PARK_RECV && (hb__go_chan(hb, p->obj, NULL) & alone);
}
