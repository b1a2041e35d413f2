/*
 * columba-memif-load's run: the options both transports share and the two
 * transports' loops (ml_dpdk.c: Columba's TCP/IP stack on a DPDK port, e.g.
 * net_memif; ml_kernel.c: kernel sockets and epoll).
 */
#ifndef COLUMBA_BENCH_DPDK_ML_RUN_H
#define COLUMBA_BENCH_DPDK_ML_RUN_H

#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "bench/dpdk/ml_conn.h"

struct ml_run {
	const char *eal_args;    /* DPDK mode: the EAL arguments (a net_memif client vdev) */
	struct in_addr local_ip; /* DPDK mode: the stack's address */
	struct in_addr server;   /* the server's IPv4 address */
	uint16_t port;
	unsigned conns;          /* connections at a time */
	unsigned queues;         /* DPDK mode: queue pairs, one stack each (1..16) */
	double seconds;          /* measured time */
	double warmup;           /* seconds before the measurement starts (connections open) */
	bool new_conn;           /* one request per connection */
	const char *req;         /* the request (GET /healthz or POST /v1/messages) */
	size_t req_len;
	WOLFSSL_CTX *ctx;
	struct ml_totals tot;    /* during the measurement only */
	double measured;         /* seconds actually measured */
	double cpu;              /* process CPU seconds during the measurement */
};

extern volatile sig_atomic_t ml_stop;

/* ml_now - seconds of CLOCK_MONOTONIC. */
double ml_now(void);

/* ml_cpu - this process's CPU seconds so far (user + system). */
double ml_cpu(void);

/*
 * ml_run_dpdk - start the EAL and the only port, a TCP/IP stack on it, and
 * run r->conns connections for r->warmup + r->seconds.
 * Returns 0 (the figures in r), or a negative errno (the reason on stderr).
 */
int ml_run_dpdk(struct ml_run *r);

/* ml_run_kernel - the same over kernel sockets. Returns 0 or a negative errno. */
int ml_run_kernel(struct ml_run *r);

#endif
