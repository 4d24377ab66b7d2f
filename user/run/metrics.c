// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* metrics.h: libmicrohttpd serving the published snapshot on /metrics. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run/metrics.h"

struct rt_metrics {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;
	char *text;
	size_t len;
};

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct rt_metrics *m = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned int status = MHD_HTTP_OK;
	static const char not_found[] = "not found: racetrace serves /metrics\n";

	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return MHD_NO;
	if (strcmp(url, "/metrics") == 0) {
		pthread_mutex_lock(&m->lock);
		resp = MHD_create_response_from_buffer(m->len, m->text ? m->text : (char *)"",
						       MHD_RESPMEM_MUST_COPY);
		pthread_mutex_unlock(&m->lock);
		if (resp)
			MHD_add_response_header(resp, "Content-Type",
						"text/plain; version=0.0.4; charset=utf-8");
	} else {
		status = MHD_HTTP_NOT_FOUND;
		resp = MHD_create_response_from_buffer(sizeof(not_found) - 1, (char *)not_found,
						       MHD_RESPMEM_PERSISTENT);
	}
	if (!resp)
		return MHD_NO;
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

struct rt_metrics *rt_metrics__start(const char *listen, char *err, size_t errlen)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	char host[128];
	const char *colon = strrchr(listen, ':');
	struct sockaddr *sa;
	struct rt_metrics *m;
	long port;
	char *end;
	size_t hl;

	/* PORT or :PORT alone: loopback (0.0.0.0:PORT, or an address, serves beyond the host) */
	port = strtol(colon ? colon + 1 : listen, &end, 10);
	if (*end || port <= 0 || port > 65535 || end == (colon ? colon + 1 : listen)) {
		snprintf(err, errlen, "metrics address '%s': want [ADDR:]PORT with a port of 1 to "
			 "65535, e.g. 127.0.0.1:9464", listen);
		return NULL;
	}
	hl = colon ? (size_t)(colon - listen) : 0;
	if (hl >= sizeof(host))
		hl = sizeof(host) - 1;
	memcpy(host, listen, hl);
	host[hl] = 0;
	if (!hl)
		snprintf(host, sizeof(host), "127.0.0.1");
	hl = strlen(host);
	if (host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &a6.sin6_addr) != 1) {
			snprintf(err, errlen, "metrics address '%s': bad IPv6 address", listen);
			return NULL;
		}
		a6.sin6_port = htons(port);
		sa = (struct sockaddr *)&a6;
	} else {
		if (inet_pton(AF_INET, host, &a4.sin_addr) != 1) {
			snprintf(err, errlen, "metrics address '%s': bad IPv4 address", listen);
			return NULL;
		}
		a4.sin_port = htons(port);
		sa = (struct sockaddr *)&a4;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&m->lock, NULL);
	m->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
					  (sa->sa_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				  (unsigned short)port, NULL, NULL, handle, m, MHD_OPTION_SOCK_ADDR,
				  sa, MHD_OPTION_CONNECTION_LIMIT, 16U,
				  MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_END);
	if (!m->mhd) {
		snprintf(err, errlen,
			 "cannot serve metrics on %s (port in use, or address not local?)", listen);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return NULL;
	}
	return m;
}

int rt_metrics__publish(struct rt_metrics *m, const char *text, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = 0;
	pthread_mutex_lock(&m->lock);
	free(m->text);
	m->text = copy;
	m->len = len;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

void rt_metrics__stop(struct rt_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd);
	pthread_mutex_destroy(&m->lock);
	free(m->text);
	free(m);
}

void rt_mbuf_printf(struct rt_mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = -EINVAL;
			return;
		}
		if (b->p && b->len + n < b->cap) {
			b->len += n;
			return;
		}
		{
			size_t ncap = b->cap ? b->cap * 2 : 4096;
			char *np;

			while (ncap < b->len + n + 1)
				ncap *= 2;
			np = realloc(b->p, ncap);
			if (!np) {
				b->err = -ENOMEM;
				return;
			}
			b->p = np;
			b->cap = ncap;
		}
	}
}

void rt_mbuf_header(struct rt_mbuf *b, const char *name, const char *type, const char *help)
{
	rt_mbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void rt_mbuf_label(struct rt_mbuf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			rt_mbuf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			rt_mbuf_printf(b, "\\n");
		else
			rt_mbuf_printf(b, "%c", *v);
	}
}

void rt_mbuf_free(struct rt_mbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
