/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Named checks for the unit tests: a failure says which check broke and with what values.
 * Include after <cmocka.h> and <string.h>.
 */
#ifndef RT_TEST_CHECK_H
#define RT_TEST_CHECK_H

#define CHECK(cond, name)                                                                  \
	do {                                                                               \
		if (!(cond))                                                               \
			fail_msg("%s: '%s' is false (%s:%d)", (name), #cond, __FILE__, __LINE__); \
	} while (0)

#define CHECK_EQ(a, b, name)                                                               \
	do {                                                                               \
		long long _a = (long long)(a), _b = (long long)(b);                        \
		if (_a != _b)                                                              \
			fail_msg("%s: %s = %lld (%#llx), expected %lld (%#llx) (%s:%d)", (name), \
				 #a, _a, _a, _b, _b, __FILE__, __LINE__);                  \
	} while (0)

#define CHECK_STR(a, b, name)                                                              \
	do {                                                                               \
		const char *_a = (a), *_b = (b);                                           \
		if (!_a || strcmp(_a, _b))                                                 \
			fail_msg("%s: %s = \"%s\", expected \"%s\" (%s:%d)", (name), #a,       \
				 _a ? _a : "(null)", _b, __FILE__, __LINE__);              \
	} while (0)

#define CHECK_HAS(str, sub, name)                                                          \
	do {                                                                               \
		const char *_s = (str), *_sub = (sub);                                     \
		if (!_s || !strstr(_s, _sub))                                              \
			fail_msg("%s: \"%s\" does not contain \"%s\" (%s:%d)", (name),         \
				 _s ? _s : "(null)", _sub, __FILE__, __LINE__);            \
	} while (0)

#endif /* RT_TEST_CHECK_H */
