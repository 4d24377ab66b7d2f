/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Leveled logging to stderr, level set once at startup. Messages start with "racetrace: ". */
#ifndef RT_LOG_H
#define RT_LOG_H

enum rt_log_level { RT_LOG_ERR, RT_LOG_WARN, RT_LOG_INFO, RT_LOG_DEBUG };

void rt_log_set_level(enum rt_log_level lvl);
enum rt_log_level rt_log_get_level(void);
void rt_log(enum rt_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define rt_err(...) rt_log(RT_LOG_ERR, __VA_ARGS__)
#define rt_warn(...) rt_log(RT_LOG_WARN, __VA_ARGS__)
#define rt_info(...) rt_log(RT_LOG_INFO, __VA_ARGS__)
#define rt_debug(...) rt_log(RT_LOG_DEBUG, __VA_ARGS__)

#endif /* RT_LOG_H */
