/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Breaking racetrace on purpose, to show that the tests notice (tests/sabotage.sh). Only a
 * build with -DRT_SABOTAGE (`make sabotage`: .output/sabotage/racetrace) has the knob; in every
 * other build rt_sabotage() is the constant false and the code it guards is compiled out.
 *
 * RT_SABOTAGE=NAME in the environment picks one:
 *   drop90  the consumer silently discards 9 of every 10 ring records (none counted as lost)
 *   late2s  the consumer discards every record made in the first 2 s after the ring was set
 *           up: the engine sees what it would had the probes gone in 2 s late
 *   nogo    no Go probes are attached (a Go program looks like one without Go locks)
 * Both consumer sabotages keep exit() records: `--` mode holds its child stopped in exit()
 * until racetrace has read one, and without it a test would fail by timeout, not by what it
 * checks.
 */
#ifndef RT_SABOTAGE_H
#define RT_SABOTAGE_H

#include <stdbool.h>

#ifdef RT_SABOTAGE
#include <stdlib.h>
#include <string.h>

static inline bool rt_sabotage(const char *name)
{
	const char *v = getenv("RT_SABOTAGE");

	return v && !strcmp(v, name);
}
#else
#define rt_sabotage(name) false
#endif

#endif /* RT_SABOTAGE_H */
