/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The parsed command line, shared by main.c (which fills it) and the run modes. */
#ifndef RT_CLI_H
#define RT_CLI_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>

#define RT_VERSION "0.2"

#define RT_EXIT_OK 0
#define RT_EXIT_ERROR 1
#define RT_EXIT_FINDINGS 66 /* no program uses it by convention (TSan's default too) */

#define RT_RACE_SITES_DEFAULT 2000
#define RT_RACE_ROTATE_DEFAULT_S 2.0

struct rt_env {
	pid_t pid;		/* -p */
	char **cmd;		/* after --, NULL-terminated */
	double duration_s;	/* -d, 0 = until the target exits or a signal */
	double hang_threshold_s; /* --hang-threshold */
	bool json;		/* --json */
	const char *json_out;	/* --json-out FILE */
	const char *record;	/* -o FILE */
	bool report_mode;	/* racetrace report ... */
	const char *report_file; /* report FILE */
	int exitcode;		/* --exitcode, status when findings were reported */
	bool verbose;		/* -v */
	__u32 probes;		/* --probes, RT_PROBE_* families */
	bool daemon_mode;	/* racetrace daemon ... */
	bool profile;		/* report --profile */
	bool no_symbolize;	/* --no-symbolize: raw addresses in reports */
	const char *config;	/* daemon --config FILE */
	const char *metrics;	/* --metrics ADDR:PORT */
	bool races;		/* --races */
	__u32 race_sites;	/* --race-sites, 0: RT_RACE_SITES_DEFAULT */
	double race_rotate_s;	/* --race-rotate, 0: RT_RACE_ROTATE_DEFAULT_S */
	const char *suppressions; /* --suppressions FILE */
};

/* Live tracing (-p or --). Returns the process exit status. */
int rt_live_run(const struct rt_env *env);
/* racetrace report FILE. Returns the process exit status. */
int rt_replay_run(const struct rt_env *env);
/* racetrace daemon --config FILE. Returns the process exit status. */
int rt_daemon_run(const struct rt_env *env);

#endif /* RT_CLI_H */
