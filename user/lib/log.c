// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The logger of log.h. */
#include <stdarg.h>
#include <stdio.h>
#include "lib/log.h"

static enum rt_log_level rt_level = RT_LOG_WARN;

void rt_log_set_level(enum rt_log_level lvl)
{
	rt_level = lvl;
}

enum rt_log_level rt_log_get_level(void)
{
	return rt_level;
}

void rt_log(enum rt_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (lvl > rt_level)
		return;
	fputs(lvl == RT_LOG_WARN ? "racetrace: warning: " : "racetrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
