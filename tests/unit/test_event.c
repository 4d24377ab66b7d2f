// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The decoder: well-formed records pass in place, truncated and corrupt ones are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "record/event.h"

static struct rt_event good(void)
{
	struct rt_event e;

	memset(&e, 0, sizeof(e));
	e.h.type = RT_EV_MUTEX_LOCK;
	e.h.tid = 11;
	e.h.tgid = 10;
	e.h.stack_id = RT_NO_STACK;
	e.obj = 0x1000;
	return e;
}

static void test_decode_good_in_place(void **state)
{
	struct rt_event e = good();
	const char *why = NULL;

	(void)state;
	assert_ptr_equal(rt_event_decode(&e, sizeof(e), &why), &e);
}

static void test_decode_truncated(void **state)
{
	struct rt_event e = good();
	const char *why = NULL;
	size_t sz;

	(void)state;
	for (sz = 0; sz < sizeof(e); sz++) {
		why = NULL;
		assert_null(rt_event_decode(&e, sz, &why));
		assert_non_null(why);
	}
	assert_null(rt_event_decode(&e, sizeof(e) + 8, &why));
	assert_null(rt_event_decode(NULL, sizeof(e), &why));
}

static void test_decode_bad_fields(void **state)
{
	struct rt_event e = good();
	const char *why = NULL;

	(void)state;
	e.h.type = RT_EV_NONE;
	assert_null(rt_event_decode(&e, sizeof(e), &why));
	assert_string_equal(why, "unknown record type");
	e.h.type = RT_EV_MAX;
	assert_null(rt_event_decode(&e, sizeof(e), &why));
	e.h.type = 0xffff;
	assert_null(rt_event_decode(&e, sizeof(e), &why));
	e = good();
	e.h.flags = RT_EVF_RET | RT_EVF_SCHED;
	assert_non_null(rt_event_decode(&e, sizeof(e), &why));
	e = good();
	e.h.flags = 0x80;
	assert_null(rt_event_decode(&e, sizeof(e), &why));
	assert_string_equal(why, "unknown record flags");
	e = good();
	e.h.tid = 0;
	assert_null(rt_event_decode(&e, sizeof(e), &why));
}

static void test_names_round_trip(void **state)
{
	unsigned int t;

	(void)state;
	for (t = 1; t < RT_EV_MAX; t++) {
		const char *n = rt_event_name(t);

		assert_string_not_equal(n, "unknown");
		assert_int_equal(rt_event_type_by_name(n), t);
	}
	assert_string_equal(rt_event_name(RT_EV_MAX), "unknown");
	assert_int_equal(rt_event_type_by_name("no_such_event"), RT_EV_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_good_in_place),
		cmocka_unit_test(test_decode_truncated),
		cmocka_unit_test(test_decode_bad_fields),
		cmocka_unit_test(test_names_round_trip),
	};

	return cmocka_run_group_tests_name("event", tests, NULL, NULL);
}
