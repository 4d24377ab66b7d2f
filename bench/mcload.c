// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * mcload: a small, bounded load generator for a memcached on 127.0.0.1, for `make bench`.
 * CONNS threads, one connection each, send TOTAL requests in all over the text protocol, one at
 * a time per connection (request, then wait for the whole reply): 1 in 10 a `set` of a
 * VALUE-byte item, the rest `get`s, over KEYS keys chosen by a fixed-seed PRNG. It only talks
 * to the loopback address, every socket operation times out after 10 s, and any error ends the
 * run with status 1: it cannot hang or run unbounded.
 *
 * Output: one JSON line with requests, seconds (around the request loop only, after every
 * connection is up), requests per second, hits and misses.
 *
 * Usage: mcload -p PORT [-c CONNS] [-n TOTAL] [-k KEYS] [-s VALUE_BYTES]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#define BENCH_PROG "mcload"
#include "bench.h"

#define MC_MAX_CONNS 64
#define MC_MAX_VALUE 4096
#define MC_TIMEOUT_S 10

struct mc_conn {
	pthread_t thread;
	int id, fd;
	unsigned long n, hits, misses;
	int failed;
} __attribute__((aligned(64)));

static long port, n_conns = 4, n_total = 20000, n_keys = 1000, value_len = 100;
static atomic_int ready, go;

static void die(const char *what)
{
	fprintf(stderr, "mcload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Read one reply into buf until it ends with "END\r\n" (get) or a line (set). Returns 1 for a
 * get hit, 0 for a miss or a stored set, -1 on error.
 */
static int read_reply(int fd, char *buf, size_t cap, int is_get)
{
	size_t len = 0;

	for (;;) {
		ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);

		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (!is_get) {
			if (len >= 2 && !memcmp(buf + len - 2, "\r\n", 2))
				return strncmp(buf, "STORED", 6) ? -1 : 0;
		} else if (len >= 5 && !memcmp(buf + len - 5, "END\r\n", 5)) {
			return strncmp(buf, "VALUE", 5) ? 0 : 1;
		}
		if (len >= cap - 1)
			return -1;
	}
}

static void *conn_main(void *arg)
{
	struct mc_conn *c = arg;
	char value[MC_MAX_VALUE + 1], req[MC_MAX_VALUE + 128], reply[MC_MAX_VALUE + 256];
	unsigned long i, x = 0x9e3779b97f4a7c15ULL ^ (unsigned long)(c->id + 1);
	int len, r;

	memset(value, 'a' + c->id % 26, (size_t)value_len);
	value[value_len] = '\0';
	atomic_fetch_add(&ready, 1);
	while (!atomic_load(&go))
		usleep(100);
	for (i = 0; i < c->n; i++) {
		unsigned long key;
		int is_get = i % 10 != 0;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		key = x % (unsigned long)n_keys;
		if (is_get)
			len = snprintf(req, sizeof(req), "get key:%lu\r\n", key);
		else
			len = snprintf(req, sizeof(req), "set key:%lu 0 0 %ld\r\n%s\r\n", key,
				       value_len, value);
		if (send_all(c->fd, req, (size_t)len)) {
			c->failed = 1;
			break;
		}
		r = read_reply(c->fd, reply, sizeof(reply), is_get);
		if (r < 0) {
			c->failed = 1;
			break;
		}
		if (is_get)
			r ? c->hits++ : c->misses++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct timeval tv = { .tv_sec = MC_TIMEOUT_S };
	struct mc_conn conns[MC_MAX_CONNS] = {};
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned long hits = 0, misses = 0, done = 0;
	int c, i, one = 1, failed = 0;
	double t0, t1;

	while ((c = getopt(argc, argv, "p:c:n:k:s:")) != -1) {
		switch (c) {
		case 'p': port = bench_long_arg(optarg, 1, 65535, "port"); break;
		case 'c': n_conns = bench_long_arg(optarg, 1, MC_MAX_CONNS, "connection count"); break;
		case 'n': n_total = bench_long_arg(optarg, 1, 100000000, "request count"); break;
		case 'k': n_keys = bench_long_arg(optarg, 1, 10000000, "key count"); break;
		case 's': value_len = bench_long_arg(optarg, 1, MC_MAX_VALUE, "value size"); break;
		default:
			fprintf(stderr, "usage: mcload -p PORT [-c CONNS] [-n TOTAL] [-k KEYS] "
					"[-s VALUE_BYTES]\n");
			return 1;
		}
	}
	if (!port) {
		fprintf(stderr, "mcload: -p PORT is required\n");
		return 1;
	}
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	for (i = 0; i < n_conns; i++) {
		conns[i].id = i;
		conns[i].n = (unsigned long)(n_total / n_conns + (i < n_total % n_conns));
		conns[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (conns[i].fd < 0)
			die("socket");
		setsockopt(conns[i].fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(conns[i].fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(conns[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(conns[i].fd, (struct sockaddr *)&sa, sizeof(sa)))
			die("connect to 127.0.0.1");
		if (pthread_create(&conns[i].thread, NULL, conn_main, &conns[i]))
			die("pthread_create");
	}
	while (atomic_load(&ready) < n_conns)
		usleep(100);
	t0 = bench_now_s();
	atomic_store(&go, 1);
	for (i = 0; i < n_conns; i++) {
		pthread_join(conns[i].thread, NULL);
		close(conns[i].fd);
		hits += conns[i].hits;
		misses += conns[i].misses;
		done += conns[i].n;
		failed |= conns[i].failed;
	}
	t1 = bench_now_s();
	if (failed) {
		fprintf(stderr, "mcload: a request failed or timed out after %d s\n", MC_TIMEOUT_S);
		return 1;
	}
	printf("{\"requests\":%lu,\"conns\":%ld,\"seconds\":%.6f,\"req_per_s\":%.1f,\"hits\":%lu,"
	       "\"misses\":%lu}\n",
	       done, n_conns, t1 - t0, (double)done / (t1 - t0), hits, misses);
	return 0;
}
