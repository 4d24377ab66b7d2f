// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Memory-access sites (elf/memsites.c) on hand-assembled functions, and the Go package rule. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "elf/memsites.h"

#define BASE 0x1000

static struct rt_memsites decode(const unsigned char *c, size_t n, bool go)
{
	struct rt_memsites ms = { 0 };

	assert_int_equal(rt_memsites__decode(c, n, BASE, 0x100, go, &ms), 0);
	return ms;
}

static void test_riprel_rmw(void **state)
{
	/* addq $1, 0x10(%rip); ret */
	static const unsigned char c[] = { 0x48, 0x83, 0x05, 0x10, 0x00, 0x00, 0x00, 0x01, 0xc3 };
	struct rt_memsites ms = decode(c, sizeof(c), false);

	(void)state;
	assert_int_equal(ms.n, 1);
	assert_int_equal(ms.s[0].vaddr, BASE);
	assert_int_equal(ms.s[0].probe, BASE);
	assert_int_equal(ms.s[0].off, 0x100);
	assert_int_equal(ms.s[0].disp, 0x10);
	assert_int_equal(ms.s[0].size, 8);
	assert_int_equal(ms.s[0].len, 8);
	assert_int_equal(ms.s[0].flags, RT_MS_RIPREL | RT_MS_READ | RT_MS_WRITE);
	rt_memsites__free(&ms);
}

static void test_base_index_and_skips(void **state)
{
	static const unsigned char c[] = {
		0x89, 0x47, 0x08,	      /* mov %eax, 0x8(%rdi): write, base rdi */
		0x48, 0x8b, 0x04, 0x24,	      /* mov (%rsp), %rax: the stack, skipped */
		0x48, 0x8d, 0x47, 0x08,	      /* lea 0x8(%rdi), %rax: no access */
		0x8b, 0x0c, 0x98,	      /* mov (%rax,%rbx,4), %ecx: read */
		0x64, 0x48, 0x8b, 0x04, 0x25, /* mov %fs:0x28, %rax: thread-local, skipped */
		0x28, 0x00, 0x00, 0x00,
		0x48, 0x8b, 0x45, 0xf8,	      /* mov -0x8(%rbp), %rax: the frame, skipped */
		0xc3,
	};
	struct rt_memsites ms = decode(c, sizeof(c), false);

	(void)state;
	assert_int_equal(ms.n, 2);
	assert_int_equal(ms.s[0].base, 5);
	assert_int_equal(ms.s[0].index, RT_MS_NO_REG);
	assert_int_equal(ms.s[0].disp, 8);
	assert_int_equal(ms.s[0].size, 4);
	assert_int_equal(ms.s[0].flags, RT_MS_BASE | RT_MS_WRITE);
	assert_int_equal(ms.s[1].vaddr, BASE + 11);
	assert_int_equal(ms.s[1].base, 0);
	assert_int_equal(ms.s[1].index, 3);
	assert_int_equal(ms.s[1].scale, 4);
	assert_int_equal(ms.s[1].flags, RT_MS_BASE | RT_MS_INDEX | RT_MS_READ);
	rt_memsites__free(&ms);
}

static void test_atomic_placement(void **state)
{
	/* mov $1, %eax; lock xadd %eax, (%rdi); ret: probed on the mov, before the atomic */
	static const unsigned char before[] = { 0xb8, 0x01, 0x00, 0x00, 0x00, 0xf0, 0x0f, 0xc1,
						0x07, 0xc3 };
	/* lock incl (%rdi); ret: nothing before it, probed on the ret */
	static const unsigned char first[] = { 0xf0, 0xff, 0x07, 0xc3 };
	/* mov %rsi, %rdi; lock incl (%rdi); ret: the mov writes the base, probed after */
	static const unsigned char writes[] = { 0x48, 0x89, 0xf7, 0xf0, 0xff, 0x07, 0xc3 };
	/* xchg %eax, (%rdi): no lock prefix, probed on itself */
	static const unsigned char xchg[] = { 0x87, 0x07, 0xc3 };
	struct rt_memsites ms;

	(void)state;
	ms = decode(before, sizeof(before), false);
	assert_int_equal(ms.n, 1);
	assert_int_equal(ms.s[0].vaddr, BASE + 5);
	assert_int_equal(ms.s[0].probe, BASE);
	assert_int_equal(ms.s[0].off, 0x100);
	assert_true(ms.s[0].flags & RT_MS_ATOMIC);
	assert_true(ms.s[0].flags & RT_MS_WRITE);
	assert_int_equal(ms.atomics, 1);
	rt_memsites__free(&ms);

	ms = decode(first, sizeof(first), false);
	assert_int_equal(ms.n, 1);
	assert_int_equal(ms.s[0].probe, BASE + 3);
	rt_memsites__free(&ms);

	ms = decode(writes, sizeof(writes), false);
	assert_int_equal(ms.n, 1);
	assert_int_equal(ms.s[0].vaddr, BASE + 3);
	assert_int_equal(ms.s[0].probe, BASE + 6);
	rt_memsites__free(&ms);

	ms = decode(xchg, sizeof(xchg), false);
	assert_int_equal(ms.n, 1);
	assert_int_equal(ms.s[0].probe, BASE);
	assert_true(ms.s[0].flags & RT_MS_ATOMIC);
	rt_memsites__free(&ms);
}

static void test_atomic_unplaceable(void **state)
{
	/* lock incl (%rdi); lock incl (%rsi): no place for the second one's probe */
	static const unsigned char c[] = { 0xf0, 0xff, 0x07, 0xf0, 0xff, 0x06 };
	struct rt_memsites ms = decode(c, sizeof(c), false);

	(void)state;
	assert_int_equal(ms.n, 0);
	assert_int_equal(ms.skipped, 2);
	rt_memsites__free(&ms);
}

static void test_evex_refused(void **state)
{
	/* vmovdqu64 (%rdi), %zmm0; vmovdqu64 %zmm0, (%rsi): AVX-512, which uprobes refuse */
	static const unsigned char c[] = { 0x62, 0xf1, 0xfe, 0x48, 0x6f, 0x07,
					   0x62, 0xf1, 0xfe, 0x48, 0x7f, 0x06 };
	/* nop; the same load: probed on the nop before it */
	static const unsigned char d[] = { 0x90, 0x62, 0xf1, 0xfe, 0x48, 0x6f, 0x07 };
	struct rt_memsites ms = decode(c, sizeof(c), false);

	(void)state;
	assert_int_equal(ms.n, 0);
	assert_int_equal(ms.skipped, 2);
	rt_memsites__free(&ms);
	ms = decode(d, sizeof(d), false);
	assert_int_equal(ms.n, 1);
	assert_int_equal(ms.s[0].vaddr, BASE + 1);
	assert_int_equal(ms.s[0].probe, BASE);
	rt_memsites__free(&ms);
}

static void test_go_g_register(void **state)
{
	/* mov 0x10(%r14), %rax: the g's stack guard in Go, data in C */
	static const unsigned char c[] = { 0x49, 0x8b, 0x46, 0x10, 0xc3 };
	struct rt_memsites ms;

	(void)state;
	ms = decode(c, sizeof(c), true);
	assert_int_equal(ms.n, 0);
	rt_memsites__free(&ms);
	ms = decode(c, sizeof(c), false);
	assert_int_equal(ms.n, 1);
	assert_int_equal(ms.s[0].base, 14);
	rt_memsites__free(&ms);
}

static void test_truncated(void **state)
{
	/* the last instruction is cut: decoding stops before it */
	static const unsigned char c[] = { 0x89, 0x47, 0x08, 0x48, 0x83, 0x05, 0x10 };
	struct rt_memsites ms = decode(c, sizeof(c), false);

	(void)state;
	assert_int_equal(ms.n, 1);
	rt_memsites__free(&ms);
	ms = decode(c, 0, false);
	assert_int_equal(ms.n, 0);
	rt_memsites__free(&ms);
}

static void test_go_user_funcs(void **state)
{
	(void)state;
	assert_true(rt_memsites__go_user_func("main.main"));
	assert_true(rt_memsites__go_user_func("main.(*counter).bump"));
	assert_true(rt_memsites__go_user_func("racetrace/targets/target.Run"));
	assert_true(rt_memsites__go_user_func("github.com/x/y.F"));
	assert_false(rt_memsites__go_user_func("runtime.mapassign"));
	assert_false(rt_memsites__go_user_func("sync.(*Mutex).Lock"));
	assert_false(rt_memsites__go_user_func("sync/atomic.(*Int64).Add"));
	assert_false(rt_memsites__go_user_func("internal/abi.FuncPCABI0"));
	assert_false(rt_memsites__go_user_func("slices.Sort[go.shape.int]"));
	assert_false(rt_memsites__go_user_func("type:.eq.main.T"));
	assert_false(rt_memsites__go_user_func("go:buildid"));
	/* assembly routines' local symbols: no package */
	assert_false(rt_memsites__go_user_func("cmpbody"));
	assert_false(rt_memsites__go_user_func("expandAVX512_2"));
	assert_true(rt_memsites__go_user_func("main.F[github.com/x/y.T]"));
	assert_false(rt_memsites__go_user_func(""));
	assert_false(rt_memsites__go_user_func(NULL));
}

static void test_scan_errors(void **state)
{
	struct rt_memsites ms;
	char err[256];

	(void)state;
	assert_int_equal(rt_memsites__scan("/nonexistent/racetrace-test", &ms, err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(ms.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_riprel_rmw),
		cmocka_unit_test(test_base_index_and_skips),
		cmocka_unit_test(test_atomic_placement),
		cmocka_unit_test(test_atomic_unplaceable),
		cmocka_unit_test(test_evex_refused),
		cmocka_unit_test(test_go_g_register),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_go_user_funcs),
		cmocka_unit_test(test_scan_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
