/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Prometheus endpoint: GET /metrics serves the latest published text exposition, from
 * libmicrohttpd's own thread. prom.h builds the text (rt_mbuf helpers) and the daemon
 * publishes it; the server never touches engine state, so it needs no lock beyond the snapshot
 * swap.
 */
#ifndef RT_METRICS_H
#define RT_METRICS_H

#include <stdarg.h>
#include <stddef.h>

struct rt_metrics;

/* Listen on "ADDR:PORT" (IPv4 or [IPv6]). NULL with the reason in err. */
struct rt_metrics *rt_metrics__start(const char *listen, char *err, size_t errlen);
/* Replace the served text (copied). 0 or -ENOMEM (the old text stays). */
int rt_metrics__publish(struct rt_metrics *m, const char *text, size_t len);
void rt_metrics__stop(struct rt_metrics *m);

/* A growable text buffer for building the exposition. */
struct rt_mbuf {
	char *p;
	size_t len, cap;
	int err;
};

void rt_mbuf_printf(struct rt_mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "# HELP name help\n# TYPE name type\n" */
void rt_mbuf_header(struct rt_mbuf *b, const char *name, const char *type, const char *help);
/* A label value escaped for the exposition format (\\, \", \n). */
void rt_mbuf_label(struct rt_mbuf *b, const char *v);
void rt_mbuf_free(struct rt_mbuf *b);

#endif /* RT_METRICS_H */
