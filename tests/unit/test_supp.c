// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Suppressions in ThreadSanitizer's format (lib/supp.c): parsing and template matching. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "lib/supp.h"

static void test_match(void **state)
{
	(void)state;
	assert_true(rt_supp_match("bump", "bump"));
	assert_true(rt_supp_match("bump", "my_bump_counter"));
	assert_false(rt_supp_match("bump", "bum"));
	assert_true(rt_supp_match("^bump", "bump_counter"));
	assert_false(rt_supp_match("^bump", "my_bump"));
	assert_true(rt_supp_match("bump$", "my_bump"));
	assert_false(rt_supp_match("bump$", "bump_counter"));
	assert_true(rt_supp_match("^conn_*_free$", "conn_io_free"));
	assert_false(rt_supp_match("^conn_*_free$", "conn_io_freed"));
	assert_true(rt_supp_match("*", "anything"));
	assert_true(rt_supp_match("memcached.c", "memcached.c"));
	assert_false(rt_supp_match("", "x"));
	assert_false(rt_supp_match("x", NULL));
	assert_true(rt_supp_match("a*b*c", "xxaxxbxxcxx"));
	assert_false(rt_supp_match("a*b*c", "xxaxxcxxbxx"));
	assert_true(rt_supp_match("^a*b*c$", "abbbc"));
	assert_false(rt_supp_match("^a*b*c$", "abbbcd"));
	assert_true(rt_supp_match("^*$", ""));
	assert_true(rt_supp_match("$", "tail"));
}

/* Many stars against a long near-miss: the fuzzer's input that hung the recursive matcher. */
static void test_match_many_stars(void **state)
{
	char pat[256], s[4096];

	(void)state;
	memset(pat, 0, sizeof(pat));
	for (size_t i = 0; i + 2 < sizeof(pat); i += 2) {
		pat[i] = 'a';
		pat[i + 1] = '*';
	}
	pat[sizeof(pat) - 2] = 'b';
	memset(s, 'a', sizeof(s) - 1);
	s[sizeof(s) - 1] = 0;
	assert_false(rt_supp_match(pat, s));
	s[sizeof(s) - 2] = 'b';
	assert_true(rt_supp_match(pat, s));
}

static void test_parse(void **state)
{
	static const char text[] = "# comment\n\n  race:bump  \nmutex:ignored\r\nrace:^clock$\n"
				   "called_from_lib:libfoo.so";
	char err[128] = "";
	struct rt_supp *s = rt_supp__parse(text, strlen(text), err, sizeof(err));

	(void)state;
	assert_non_null(s);
	assert_int_equal(rt_supp__nrace(s), 2);
	assert_true(rt_supp__race(s, "bump"));
	assert_true(rt_supp__race(s, "clock"));
	assert_false(rt_supp__race(s, "clock_handler"));
	assert_false(rt_supp__race(s, "libfoo.so"));
	assert_false(rt_supp__race(s, ""));
	rt_supp__free(s);
}

static void test_parse_errors(void **state)
{
	static const char *const bad[] = { "race", "race:", ":bump", "race bump" };
	char err[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_null(rt_supp__parse(bad[i], strlen(bad[i]), err, sizeof(err)));
		assert_int_equal(errno, EINVAL);
		assert_non_null(strstr(err, "line 1: expected TYPE:PATTERN"));
	}
	assert_null(rt_supp__load("/nonexistent/racetrace.supp", err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	rt_supp__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_many_stars),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
