// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Probe placement on hand-assembled function prefixes (glibc 2.36's among them). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "elf/probeaddr.h"

static __u64 place(const unsigned char *code, size_t n, __u32 args)
{
	const char *why;

	return rt_probe_offset(code, n, 0x1000, args, &why);
}

static void test_mutex_lock_moves_to_jne(void **state)
{
	/* mov 0x10(%rdi),%eax; mov %eax,%edx; and $0x17f,%edx; and $0x7c,%eax; jne +0xac; push */
	static const unsigned char c[] = { 0x8b, 0x47, 0x10, 0x89, 0xc2, 0x81, 0xe2, 0x7f, 0x01,
					   0x00, 0x00, 0x83, 0xe0, 0x7c, 0x0f, 0x85, 0xac, 0x00,
					   0x00, 0x00, 0x53, 0xc3 };

	(void)state;
	assert_int_equal(place(c, sizeof(c), RT_PA_ARG1), 14);
}

static void test_emulated_entry_stays(void **state)
{
	static const unsigned char c[] = { 0x41, 0x54, 0x55, 0xc3 }; /* push %r12 */

	(void)state;
	assert_int_equal(place(c, sizeof(c), RT_PA_ARG1), 0);
}

static void test_argument_register_written(void **state)
{
	/* mov $1,%esi; jmp rel32: fine for a probe reading arg1 only, not for arg2 */
	static const unsigned char c[] = { 0xbe, 0x01, 0x00, 0x00, 0x00, 0xe9, 0x00, 0x01,
					   0x00, 0x00, 0xc3 };

	(void)state;
	assert_int_equal(place(c, sizeof(c), RT_PA_ARG1), 5);
	assert_int_equal(place(c, sizeof(c), RT_PA_ARG1 | RT_PA_ARG2), 0);
}

static void test_lock_prefix_entry(void **state)
{
	/* lock decl (%rdi); jne; xor %eax,%eax; ret  (pthread_spin_lock) */
	static const unsigned char c[] = { 0xf0, 0xff, 0x0f, 0x75, 0x03, 0x31, 0xc0, 0xc3,
					   0xf3, 0x90, 0xeb, 0xf3 };

	(void)state;
	assert_int_equal(place(c, sizeof(c), RT_PA_ARG1), 3);
}

static void test_stack_or_memory_change_first(void **state)
{
	/* sub $8,%rsp; call rel32: the return address is no longer on top */
	static const unsigned char sub[] = { 0x48, 0x83, 0xec, 0x08, 0xe8, 0x00, 0x00, 0x00,
					     0x00, 0xc3 };
	/* movl $1,(%rdi); jmp: memory changed before */
	static const unsigned char st[] = { 0xc7, 0x07, 0x01, 0x00, 0x00, 0x00, 0xeb, 0x00,
					    0xc3 };

	(void)state;
	assert_int_equal(place(sub, sizeof(sub), RT_PA_ARG1), 0);
	assert_int_equal(place(st, sizeof(st), RT_PA_ARG1), 0);
}

static void test_branch_into_prefix(void **state)
{
	/*
	 * 0: mov (%rdi),%eax  2: mov %eax,%edx  4: je +2 (-> 8)  6: nop nop  8: ret
	 * 9: jmp -7 (-> 4): lands on the would-be probe (4) itself: refused
	 */
	static const unsigned char c[] = { 0x8b, 0x07, 0x89, 0xc2, 0x74, 0x02, 0x90, 0x90,
					   0xc3, 0xeb, 0xf9 };

	(void)state;
	assert_int_equal(place(c, sizeof(c), RT_PA_ARG1), 0);
}

static void test_garbage_is_safe(void **state)
{
	static const unsigned char c[] = { 0x0f, 0x0b, 0xff, 0xff, 0xff };

	(void)state;
	assert_int_equal(place(c, sizeof(c), RT_PA_ARG1), 0);
	assert_int_equal(place(NULL, 0, RT_PA_ARG1), 0);
}

static void test_go_stack_check(void **state)
{
	/* cmp 0x10(%r14),%rsp; jbe +0x20; sub $0x38,%rsp */
	static const unsigned char small[] = { 0x49, 0x3b, 0x66, 0x10, 0x76, 0x20,
					       0x48, 0x83, 0xec, 0x38 };
	/* lea -0x88(%rsp),%r12; cmp 0x10(%r14),%r12; jbe +0x100; push %rbp */
	static const unsigned char big[] = { 0x4c, 0x8d, 0xa4, 0x24, 0x78, 0xff, 0xff, 0xff, 0x4d,
					     0x3b, 0x66, 0x10, 0x0f, 0x86, 0x00, 0x01, 0x00, 0x00,
					     0x55 };
	/* cmp 0x18(%r14),%rsp; jbe: not stackguard0 */
	static const unsigned char other[] = { 0x49, 0x3b, 0x66, 0x18, 0x76, 0x20, 0xc3 };

	(void)state;
	assert_int_equal(place(small, sizeof(small), RT_PA_GO), 4);
	assert_true(rt_probe_go_stack_check(small, sizeof(small), 4));
	assert_false(rt_probe_go_stack_check(small, sizeof(small), 6));
	assert_false(rt_probe_go_stack_check(small, sizeof(small), 0));
	assert_true(rt_probe_go_stack_check(big, sizeof(big), 12));
	assert_false(rt_probe_go_stack_check(other, sizeof(other), 4));
	assert_false(rt_probe_go_stack_check(NULL, 0, 4));
}

static void test_go_cheap_sites(void **state)
{
	/* go1.23 after `lock cmpxchg %r12d,(%r9)`: sete %r13b; test %r13b,%r13b; jne */
	static const unsigned char lock23[] = { 0x41, 0x0f, 0x94, 0xc5, 0x45, 0x84, 0xed, 0x75,
						0x1c, 0xc3 };
	/* go1.19 after `lock cmpxchg %esi,0x10(%rdx)`: sete %sil; lea 0x10(%rdx),%rax;
	 * mov %rax,0x20(%rsp); test %sil,%sil; jne */
	static const unsigned char lock19[] = { 0x40, 0x0f, 0x94, 0xc6, 0x48, 0x8d, 0x42, 0x10,
						0x48, 0x89, 0x44, 0x24, 0x20, 0x40, 0x84, 0xf6,
						0x75, 0x20, 0xc3 };
	/* ... the same with the base register (rdx) overwritten before the test */
	static const unsigned char lock_clob[] = { 0x40, 0x0f, 0x94, 0xc6, 0x48, 0x8b, 0x54,
						   0x24, 0x50, 0x40, 0x84, 0xf6, 0x75, 0x20 };
	/* after `lock cmpxchg %edx,(%rcx)`: sete %cl overwrites the base itself */
	static const unsigned char lock_sete_base[] = { 0x0f, 0x94, 0xc1, 0x84, 0xc9, 0x75, 0x20 };
	/* after an Unlock's `lock xadd`: dec %ebx; test %ebx,%ebx; je */
	static const unsigned char rel[] = { 0xff, 0xcb, 0x85, 0xdb, 0x74, 0x0a, 0xc3 };
	/* ... with the base (rdx) reloaded first: mov 0x50(%rsp),%rdx; je */
	static const unsigned char rel_clob[] = { 0x48, 0x8b, 0x54, 0x24, 0x50, 0x74, 0x0a };
	/* before an Unlock's `lock xadd %ebx,0x10(%rdx)`: nop; mov $-1,%ebx */
	static const unsigned char before[] = { 0x90, 0xbb, 0xff, 0xff, 0xff, 0xff };
	/* ... and with mov 0x38(%rsp),%rdx last: no nop in the run after the base is set */
	static const unsigned char before_set[] = { 0x90, 0xbb, 0xff, 0xff, 0xff, 0xff, 0x48,
						    0x8b, 0x54, 0x24, 0x38 };
	__s64 rip;

	(void)state;
	assert_int_equal(rt_probe_after(lock23, sizeof(lock23), 9, true), 7);
	assert_int_equal(rt_probe_after(lock19, sizeof(lock19), 1, true), 16);
	assert_int_equal(rt_probe_after(lock_clob, sizeof(lock_clob), 1, true), -1);
	assert_int_equal(rt_probe_after(rel, sizeof(rel), 9, true), -1); /* no sete */
	assert_int_equal(rt_probe_after(lock_sete_base, sizeof(lock_sete_base), 2, true), -1);
	assert_int_equal(rt_probe_after(rel, sizeof(rel), 1, false), 4);
	assert_int_equal(rt_probe_after(rel_clob, sizeof(rel_clob), 1, false), -1);
	assert_int_equal(rt_probe_before(before, sizeof(before), 1, &rip), 0);
	assert_int_equal(rt_probe_before(before_set, sizeof(before_set), 1, &rip), -1);
	/* base rbx: the last instruction leaves it alone (no nop since it was set) */
	assert_int_equal(rt_probe_before(before_set, sizeof(before_set), 3, &rip), 6);
	/* base rdx reloaded from the stack last: probe that mov, reading 0x38(%rsp) itself */
	{
		int reg = -1;
		__s64 disp = 0;

		assert_int_equal(rt_probe_before_load(before_set, sizeof(before_set), 1, &reg,
						      &disp), 6);
		assert_int_equal(reg, 7);
		assert_int_equal(disp, 0x38);
		/* base never written: no load to probe */
		assert_int_equal(rt_probe_before_load(before, sizeof(before), 1, &reg, &disp), -1);
		/* a 32-bit write of the base (mov $-1,%ebx) is no load */
		assert_int_equal(rt_probe_before_load(before_set, sizeof(before_set), 3, &reg,
						      &disp), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutex_lock_moves_to_jne),
		cmocka_unit_test(test_emulated_entry_stays),
		cmocka_unit_test(test_argument_register_written),
		cmocka_unit_test(test_lock_prefix_entry),
		cmocka_unit_test(test_stack_or_memory_change_first),
		cmocka_unit_test(test_branch_into_prefix),
		cmocka_unit_test(test_garbage_is_safe),
		cmocka_unit_test(test_go_stack_check),
		cmocka_unit_test(test_go_cheap_sites),
	};

	return cmocka_run_group_tests_name("probeaddr", tests, NULL, NULL);
}
