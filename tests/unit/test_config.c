// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's config parser: a full file, every error with its line, and matching. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "lib/config.h"
#include "lib/probes.h"

static int parse(struct rt_config *c, const char *text, char *err)
{
	return rt_config_parse(c, text, strlen(text), err, 256);
}

static void test_full_file(void **state)
{
	static const char text[] = "# canary\n"
				   "[target]\n"
				   "name = cache\n"
				   "exe = /usr/bin/memcached\n"
				   "probes = locks,threads\n"
				   "\n"
				   "[target]\n"
				   "unit = etcd.service\n"
				   "[budget]\n"
				   "max_events_per_second = 50000\n"
				   "max_memory_mb = 64\n"
				   "recover_after_seconds = 2.5\n"
				   "[output]\n"
				   "findings = /var/log/racetrace/findings.jsonl\n"
				   "metrics = 127.0.0.1:9464\n"
				   "[detectors]\n"
				   "hang_threshold_seconds = 3\n";
	struct rt_config c;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(&c, text, err), 0);
	assert_int_equal(c.ntargets, 2);
	assert_string_equal(c.targets[0].exe, "/usr/bin/memcached");
	assert_int_equal(c.targets[0].probes, RT_PROBE_LOCKS | RT_PROBE_THREADS);
	assert_int_equal(c.targets[1].probes, RT_PROBE_ALL);
	assert_string_equal(c.targets[1].unit, "etcd.service");
	assert_int_equal(c.max_events_per_s, 50000);
	assert_int_equal(c.max_memory_bytes, 64ULL << 20);
	assert_true(c.recover_after_s == 2.5);
	assert_string_equal(c.metrics, "127.0.0.1:9464");
	assert_true(c.hang_threshold_s == 3);
}

static void test_errors_name_the_line(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "[target]\nexe_path = /x\n", "line 2: unknown key 'exe_path' in [target]" },
		{ "[targets]\n", "line 1: unknown section" },
		{ "exe = /x\n", "line 1: 'exe' outside a section" },
		{ "[target]\nexe\n", "line 2: expected 'key = value'" },
		{ "[target]\nexe = relative\n", "line 2: bad value for exe" },
		{ "[target]\ncomm = 0123456789abcdefg\n", "line 2: bad value for comm" },
		{ "[target]\ncomm=x\n[budget]\nmax_events_per_second = -1\n", "line 4: bad value" },
		{ "[target]\ncomm=x\n[detectors]\nhang_threshold_seconds = 0\n", "line 4: bad" },
		{ "[target]\nname = x\n", "selects nothing" },
		{ "# nothing\n", "no [target] section" },
		{ "[target]\nprobes = locks,bogus\ncomm=x\n", "line 2: bad value for probes" },
		{ "[target]\nprobes = futex,locks\ncomm=x\n", "line 2: bad value for probes" },
		{ "[target]\nprobes = ,\ncomm=x\n", "line 2: bad value for probes" },
		{ "[target]\ncomm=x\n[output]\nmetrics = localhost\n", "line 4: bad value for metrics" },
		{ "[target]\ncomm=x\n[output]\nmetrics = 94x4\n", "line 4: bad value for metrics" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rt_config c;
		char err[256] = "";

		assert_int_not_equal(parse(&c, cases[i].text, err), 0);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: error '%s' does not contain '%s'", i, err, cases[i].want);
	}
}

/* A port alone is taken (the metrics server puts it on loopback: run/metrics.c). */
static void test_metrics_port_alone(void **state)
{
	struct rt_config c;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(&c, "[target]\ncomm=x\n[output]\nmetrics = 9464\n", err), 0);
	assert_string_equal(c.metrics, "9464");
}

static void test_nul_and_long_lines(void **state)
{
	struct rt_config c;
	char err[256], big[2048];
	static const char nul[] = "[target]\ncomm=x\0y\n";

	(void)state;
	assert_int_not_equal(rt_config_parse(&c, nul, sizeof(nul) - 1, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "NUL"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_not_equal(parse(&c, big, err), 0);
	assert_non_null(strstr(err, "longer than"));
}

static void test_match(void **state)
{
	struct rt_cfg_target t = { 0 };

	(void)state;
	strcpy(t.exe, "/usr/bin/memc*");
	assert_true(rt_cfg_match(&t, "/usr/bin/memcached", "memcached", "/"));
	assert_false(rt_cfg_match(&t, "/usr/sbin/memcached", "memcached", "/"));
	memset(&t, 0, sizeof(t));
	strcpy(t.unit, "memcached.service");
	assert_true(rt_cfg_match(&t, "/x", "x", "/system.slice/memcached.service"));
	assert_false(rt_cfg_match(&t, "/x", "x", "/system.slice/memcached.service2"));
	assert_false(rt_cfg_match(&t, "/x", "x", "/system.slice/xmemcached.service"));
	memset(&t, 0, sizeof(t));
	strcpy(t.comm, "abba");
	strcpy(t.cgroup, "/user.slice");
	assert_true(rt_cfg_match(&t, "/x", "abba", "/user.slice/session-1.scope"));
	assert_false(rt_cfg_match(&t, "/x", "abba", "/system.slice"));
	assert_true(rt_cfg_match(&t, "/x", "abba", "/user.slice"));
	/* a path component, not a string prefix: pod1 is not pod12 */
	assert_false(rt_cfg_match(&t, "/x", "abba", "/user.slice2/session-1.scope"));
	strcpy(t.cgroup, "/");
	assert_true(rt_cfg_match(&t, "/x", "abba", "/user.slice/session-1.scope"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_metrics_port_alone),
		cmocka_unit_test(test_nul_and_long_lines),
		cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
