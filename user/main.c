// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* racetrace: command line, exit codes and wiring to the run modes (cli.h). Nothing else. */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probe/attach.h"
#include "run/cli.h"
#include "lib/log.h"

const char *argp_program_version = "racetrace " RT_VERSION;

static const char args_doc[] = "-p PID\n"
				"-- CMD [ARGS...]\n"
				"report FILE\n"
				"daemon --config FILE";

/* one string per paragraph: argp wraps them to the terminal */
static const char doc[] =
	"racetrace: find concurrency bugs in a running, unmodified process.\n"
	"\n"
	"Attaches uprobes to the pthread, semaphore and allocator functions of the target (and, "
	"in a Go program, to its runtime's map, channel, select, goroutine, Mutex, RWMutex, "
	"Once, Cond and WaitGroup code) and futex/scheduler tracepoints, streams every call "
	"through a BPF ring "
	"buffer and reports lock-order inversions, live deadlocks and hangs, pthread misuse, and "
	"for Go unsynchronized map accesses, channel double close, sends on closed channels "
	"(predicted from happens-before too), close of nil channels, double locks and recursive "
	"read locks, stuck goroutines, WaitGroup misuse and programs whose goroutines are all "
	"blocked (reported within a second, also under `go test`). Findings are "
	"printed as soon as they are found; a summary with event and loss counts ends the run. "
	"Needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE) and a kernel with BTF.\n"
	"\n"
	"Stacks get function names and source lines from the target's files and their debug info "
	"under /usr/lib/debug (Debian: libc6-dbg, -dbgsym packages), else, when DEBUGINFOD_URLS "
	"is set, from those debuginfod servers by build-id. When frames still have none, the "
	"report's last line names their modules and the fix.\n"
	"\n"
	"'report FILE' replays a trace recorded with -o through the same detectors. The daemon "
	"(canary mode) attaches to every process its config selects, now and as they exec, "
	"writes findings as JSON Lines to a file and as text to stderr, serves Prometheus "
	"metrics, and sheds probes of targets over its event budget (docs/config.md). An option "
	"a mode would ignore is an error.\n"
	"\n"
	"Exit status: 0 no findings, 1 error, 66 findings reported (--exitcode N changes it; 66, as "
	"ThreadSanitizer's, is a status programs do not use, unlike 2, which a Go panic also "
	"exits with); with -- and no findings, the command's own exit status (128+N if signal N "
	"killed it). The daemon exits 0 when stopped by SIGTERM or SIGINT, 1 on error.\n"
	"\n"
	"With -- CMD, a SIGTERM or SIGINT sent to racetrace is passed on to CMD; racetrace traces "
	"on until CMD exits, then reports and exits as above. A second one detaches.\n"
	"\v"
	"EXAMPLES:\n"
	"    racetrace -p 4242               # trace pid 4242 until Ctrl-C or its exit\n"
	"    racetrace -p 4242 -d 30 --json  # 30 seconds, JSON Lines on stdout\n"
	"    racetrace -- ./server --port 80 # trace a command from its start\n"
	"    racetrace -o run.rtt -- ./app   # also record the event stream to run.rtt\n"
	"    racetrace --races -d 10 -p 4242 # also sample memory accesses for data races\n"
	"    racetrace report run.rtt        # replay a recording through the detectors\n"
	"    racetrace daemon --config /etc/racetrace/racetrace.conf\n";

enum {
	OPT_JSON = 0x100,
	OPT_JSON_OUT,
	OPT_EXITCODE,
	OPT_HANG_THRESHOLD,
	OPT_PROBES,
	OPT_CONFIG,
	OPT_METRICS,
	OPT_PROFILE,
	OPT_NO_SYMBOLIZE,
	OPT_RACES,
	OPT_RACE_SITES,
	OPT_RACE_ROTATE,
	OPT_SUPPRESSIONS,
};

static const struct argp_option opts[] = {
	{ NULL, 0, NULL, 0, "Target:", 1 },
	{ "pid", 'p', "PID", 0, "Attach to the running process PID (all its threads)", 1 },
	{ "duration", 'd', "SECONDS", 0, "Detach after SECONDS (default: until Ctrl-C or exit)",
	  1 },
	{ "probes", OPT_PROBES, "LIST", 0,
	  "Probe families, comma-separated: threads, locks, cond, sem, alloc, all (default), or "
	  "futex alone for the scheduler's view of futex waits only (contention, live deadlocks "
	  "and hangs: cheapest, no syscall tracepoint)",
	  1 },
	{ NULL, 0, NULL, 0, "Detectors:", 2 },
	{ "hang-threshold", OPT_HANG_THRESHOLD, "SECONDS", 0,
	  "Report a thread blocked on a lock this long as a hang, and a goroutine parked this "
	  "long as stuck (go-goroutine-leak) (default 5)", 2 },
	{ "races", OPT_RACES, NULL, 0,
	  "Also find data races (data-race): sample the memory accesses of the program's own "
	  "code with uprobes on its load and store instructions and check each pair against "
	  "happens-before (docs/detectors.md). Costs a uprobe hit per sampled access", 2 },
	{ "race-sites", OPT_RACE_SITES, "N", 0,
	  "--races: watch at most N instructions at a time (default 2000); more rotate", 2 },
	{ "race-rotate", OPT_RACE_ROTATE, "SECONDS", 0,
	  "--races: move to the next window of instructions every SECONDS when there are more "
	  "than --race-sites (default 2)", 2 },
	{ "suppressions", OPT_SUPPRESSIONS, "FILE", 0,
	  "Drop data races matching FILE's lines, in ThreadSanitizer's format: race:PATTERN, "
	  "matched against the function names and source files of both stacks (* wildcards, "
	  "# comments). None by default", 2 },
	{ NULL, 0, NULL, 0, "Output:", 3 },
	{ "json", OPT_JSON, NULL, 0,
	  "Print findings and the summary as JSON Lines (on stdout; with -- CMD, CMD's stdout "
	  "goes to stderr, so stdout is JSON only)", 3 },
	{ "json-out", OPT_JSON_OUT, "FILE", 0, "Write the JSON Lines to FILE instead of stdout",
	  3 },
	{ "output", 'o', "FILE", 0, "Record the raw event stream to a trace FILE", 3 },
	{ "exitcode", OPT_EXITCODE, "N", 0, "Exit status when findings were reported (default 66)",
	  3 },
	{ "verbose", 'v', NULL, 0, "Verbose output, including libbpf's debug log", 3 },
	{ "no-symbolize", OPT_NO_SYMBOLIZE, NULL, 0,
	  "Report raw addresses: no stacks, symbols or lock names", 3 },
	{ "profile", OPT_PROFILE, NULL, 0,
	  "report: time reading the trace and the engine separately (stderr)", 3 },
	{ NULL, 0, NULL, 0, "Daemon:", 4 },
	{ "config", OPT_CONFIG, "FILE", 0, "daemon: the config file (docs/config.md)", 4 },
	{ "metrics", OPT_METRICS, "[ADDR:]PORT", 0,
	  "daemon: serve Prometheus metrics on /metrics (default: the config's [output] metrics; "
	  "none when unset); a port alone is on loopback (127.0.0.1)", 4 },
	{},
};

static int parse_num(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* The first option given that the daemon, a replay or a live run would ignore: an error. */
static const char *not_for_daemon, *not_for_report, *not_for_live;

static void note_mode_options(int key)
{
	const char *name = NULL;
	size_t i;

	for (i = 0; opts[i].name || opts[i].doc; i++) {
		if (opts[i].key == key && opts[i].name)
			name = opts[i].name;
	}
	if (!name)
		return;
	switch (key) {
	case 'd':
	case 'o':
	case OPT_PROBES:
	case OPT_RACES:
	case OPT_RACE_SITES:
	case OPT_RACE_ROTATE:
		if (!not_for_report)
			not_for_report = name;
		/* fall through */
	case OPT_HANG_THRESHOLD:
	case OPT_JSON:
	case OPT_EXITCODE:
	case OPT_NO_SYMBOLIZE:
	case OPT_SUPPRESSIONS:
		if (!not_for_daemon)
			not_for_daemon = name;
		break;
	case OPT_PROFILE:
		if (!not_for_daemon)
			not_for_daemon = name;
		if (!not_for_live)
			not_for_live = name;
		break;
	}
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	struct rt_env *env = state->input;
	double v;

	note_mode_options(key);
	switch (key) {
	case 'p':
		if (parse_num(arg, 1, INT_MAX, &v) || v != (int)v)
			argp_error(state, "invalid PID '%s'", arg);
		env->pid = v;
		break;
	case 'd':
		if (parse_num(arg, 0.001, 1e9, &v))
			argp_error(state, "invalid duration '%s' (seconds, > 0)", arg);
		env->duration_s = v;
		break;
	case OPT_NO_SYMBOLIZE:
		env->no_symbolize = true;
		break;
	case OPT_RACES:
		env->races = true;
		break;
	case OPT_RACE_SITES:
		if (parse_num(arg, 1, 1 << 20, &v) || v != (int)v)
			argp_error(state, "invalid --race-sites '%s' (1 to 1048576)", arg);
		env->race_sites = v;
		break;
	case OPT_RACE_ROTATE:
		if (parse_num(arg, 0.01, 1e6, &v))
			argp_error(state, "invalid --race-rotate '%s' (seconds, > 0)", arg);
		env->race_rotate_s = v;
		break;
	case OPT_SUPPRESSIONS:
		env->suppressions = arg;
		break;
	case OPT_PROFILE:
		env->profile = true;
		break;
	case OPT_CONFIG:
		env->config = arg;
		break;
	case OPT_METRICS:
		env->metrics = arg;
		break;
	case OPT_PROBES:
		if (rt_probes_parse(arg, &env->probes))
			argp_error(state,
				   "invalid probe list '%s' (threads, locks, cond, sem, alloc, all; or "
				   "futex alone)", arg);
		break;
	case OPT_HANG_THRESHOLD:
		if (parse_num(arg, 0.01, 1e6, &v))
			argp_error(state, "invalid hang threshold '%s' (seconds, > 0)", arg);
		env->hang_threshold_s = v;
		break;
	case OPT_JSON:
		env->json = true;
		break;
	case OPT_JSON_OUT:
		env->json_out = arg;
		break;
	case 'o':
		env->record = arg;
		break;
	case OPT_EXITCODE:
		if (parse_num(arg, 0, 255, &v) || v != (int)v)
			argp_error(state, "invalid exit code '%s' (0-255)", arg);
		env->exitcode = v;
		break;
	case 'v':
		env->verbose = true;
		break;
	case ARGP_KEY_ARG:
		if (env->report_mode && !env->report_file) {
			env->report_file = arg;
			break;
		}
		argp_error(state, "unexpected argument '%s' (a command goes after --)", arg);
		break;
	case ARGP_KEY_END:
		if (env->daemon_mode) {
			if (!env->config)
				argp_error(state, "daemon needs --config FILE");
			if (env->pid || env->cmd)
				argp_error(state, "daemon takes a config, not -p or a command");
			if (not_for_daemon)
				argp_error(state, "--%s is not a daemon option: the config sets "
					   "probes and detectors (docs/config.md)", not_for_daemon);
			break;
		}
		if (env->config || env->metrics)
			argp_error(state, "--config and --metrics are for 'racetrace daemon'");
		if (env->report_mode) {
			if (!env->report_file)
				argp_error(state, "report needs a trace FILE");
			if (env->pid || env->cmd)
				argp_error(state, "report takes a FILE, not -p or a command");
			if (not_for_report)
				argp_error(state, "--%s does not apply to report: the trace was "
					   "recorded already", not_for_report);
			break;
		}
		if (not_for_live)
			argp_error(state, "--%s is for 'racetrace report'", not_for_live);
		if (!env->pid && !env->cmd)
			argp_error(state, "give -p PID or -- CMD to trace, or report FILE");
		if (env->pid && env->cmd)
			argp_error(state, "give either -p PID or -- CMD, not both");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rt_env env = {
		.exitcode = RT_EXIT_FINDINGS,
		.hang_threshold_s = 5,
		.probes = RT_PROBE_ALL,
	};
	const struct argp argp = {
		.options = opts,
		.parser = parse_arg,
		.args_doc = args_doc,
		.doc = doc,
	};
	int err, i, nargs = argc;

	/* argp exits 64 on usage errors; we promise 1 */
	argp_err_exit_status = RT_EXIT_ERROR;
	if (argc > 1 && strcmp(argv[1], "daemon") == 0) {
		env.daemon_mode = true;
		argv[1] = argv[0];
		argv++;
		argc--;
		nargs = argc;
	} else if (argc > 1 && strcmp(argv[1], "report") == 0) {
		/* racetrace report FILE [options]: parse what follows the word */
		env.report_mode = true;
		argv[1] = argv[0];
		argv++;
		argc--;
		nargs = argc;
	} else {
		/* everything after the first -- is the command, untouched by argp */
		for (i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--") == 0) {
				nargs = i;
				if (i + 1 >= argc) {
					fprintf(stderr, "racetrace: nothing to run after --\n");
					return RT_EXIT_ERROR;
				}
				env.cmd = &argv[i + 1];
				break;
			}
		}
	}
	err = argp_parse(&argp, nargs, argv, 0, NULL, &env);
	if (err)
		return RT_EXIT_ERROR;
	if (env.verbose)
		rt_log_set_level(RT_LOG_DEBUG);
	if (env.daemon_mode)
		return rt_daemon_run(&env);
	if (env.report_file)
		return rt_replay_run(&env);
	return rt_live_run(&env);
}
