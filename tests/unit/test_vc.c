// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Vector clocks against a naive reference model (TSan's ClockFuzzer idea): random sequences of
 * ticks, release-stores, releases and acquires over a few threads and objects must leave every
 * thread clock and every release clock equal to plain arrays updated the textbook way. The seed
 * is printed; rerun one with RT_SEED=N.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "engine/vc.h"

#define NT 6
#define NO 5

static void test_basic_edges(void **state)
{
	struct vc a, b;
	struct sclock m;

	(void)state;
	vc_init(&a);
	vc_init(&b);
	sclock_init(&m);
	assert_int_equal(vc_tick(&a, 0), 0);
	assert_int_equal(vc_release_store(&a, 0, &m), 0);
	assert_int_equal(vc_tick(&a, 0), 0);
	assert_int_equal(vc_acquire(&b, &m), 1);
	assert_int_equal(vc_get(&b, 0), 1);
	/* FastTrack: acquiring again changes nothing */
	assert_int_equal(vc_acquire(&b, &m), 0);
	sclock_free(&m);
	vc_free(&a);
	vc_free(&b);
	assert_int_equal(vc_mem_bytes(), 0);
}

static void test_random_against_reference(void **state)
{
	unsigned int seed = getenv("RT_SEED") ? (unsigned int)atoi(getenv("RT_SEED")) : 4242;
	int round;

	(void)state;
	print_message("vc fuzz seed %u (rerun with RT_SEED=%u)\n", seed, seed);
	srand(seed);
	for (round = 0; round < 300; round++) {
		struct vc t[NT];
		struct sclock o[NO];
		__u32 rt[NT][NT] = { { 0 } }, ro[NO][NT] = { { 0 } };
		int i, j, step;

		for (i = 0; i < NT; i++) {
			vc_init(&t[i]);
			assert_int_equal(vc_set(&t[i], i, 1), 0);
			rt[i][i] = 1;
		}
		for (i = 0; i < NO; i++)
			sclock_init(&o[i]);
		for (step = 0; step < 200; step++) {
			int th = rand() % NT, ob = rand() % NO, op = rand() % 5;

			switch (op) {
			case 0: /* release-store then tick (mutex unlock) */
				assert_int_equal(vc_release_store(&t[th], th, &o[ob]), 0);
				memcpy(ro[ob], rt[th], sizeof(ro[ob]));
				assert_int_equal(vc_tick(&t[th], th), 0);
				rt[th][th]++;
				break;
			case 1: /* release (join) then tick (signal, post) */
				assert_int_equal(vc_release(&t[th], th, &o[ob]), 0);
				for (j = 0; j < NT; j++)
					if (rt[th][j] > ro[ob][j])
						ro[ob][j] = rt[th][j];
				assert_int_equal(vc_tick(&t[th], th), 0);
				rt[th][th]++;
				break;
			case 2:
			case 3: /* acquire */
				assert_true(vc_acquire(&t[th], &o[ob]) >= 0);
				for (j = 0; j < NT; j++)
					if (ro[ob][j] > rt[th][j])
						rt[th][j] = ro[ob][j];
				break;
			case 4: { /* fork: join another thread's clock, which then ticks */
				int other = rand() % NT;

				assert_true(vc_join(&t[th], &t[other]) >= 0);
				for (j = 0; j < NT; j++)
					if (rt[other][j] > rt[th][j])
						rt[th][j] = rt[other][j];
				assert_int_equal(vc_tick(&t[other], other), 0);
				rt[other][other]++;
				break;
			}
			}
			for (i = 0; i < NT; i++)
				for (j = 0; j < NT; j++)
					if (vc_get(&t[i], j) != rt[i][j])
						fail_msg("seed %u round %d step %d: thread %d clock[%d] "
							 "= %u, reference %u",
							 seed, round, step, i, j, vc_get(&t[i], j),
							 rt[i][j]);
			for (i = 0; i < NO; i++)
				for (j = 0; j < NT; j++)
					if (sclock_get(&o[i], j) < ro[i][j])
						fail_msg("seed %u round %d step %d: object %d clock[%d] "
							 "= %u, reference %u",
							 seed, round, step, i, j, sclock_get(&o[i], j),
							 ro[i][j]);
		}
		for (i = 0; i < NT; i++)
			vc_free(&t[i]);
		for (i = 0; i < NO; i++)
			sclock_free(&o[i]);
	}
	assert_int_equal(vc_mem_bytes(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_edges),
		cmocka_unit_test(test_random_against_reference),
	};

	return cmocka_run_group_tests_name("vc", tests, NULL, NULL);
}
