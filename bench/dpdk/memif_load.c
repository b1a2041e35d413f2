/*
 * columba-memif-load - an HTTPS load generator for columbad that runs either
 * as a DPDK process with its own Columba TCP/IP stack on a port (a net_memif
 * client facing columbad's memif server: a kernel-free peer, both polling)
 * or on kernel sockets (for the uring backend over loopback), with the same
 * TLS and HTTP client logic (ml_conn.c) in both.
 *
 *   columba-memif-load (--dpdk "EAL ARGS" --ip A [-q QUEUES] | --kernel) -s SERVER
 *                      -p PORT [-c CONNS] [-d SECONDS] [-w WARMUP] [--new-conn]
 *                      [--users FILE --to NAME]
 *
 * CONNS keep-alive connections each send GET /healthz (or, with --users,
 * POST /v1/messages with the first token of the users file, to NAME) in a
 * closed loop, one request in flight. -q QUEUES (DPDK mode, default 1): that
 * many queue pairs of the port (memif paired queues: the server's workers
 * 0..QUEUES-1), one stack each at A, A+1, ...; the connections spread over
 * them. --new-conn: one request per
 * connection, closed by the client, and a new TCP connection and full TLS
 * handshake for the next. Prints one line on stdout:
 *   requests_per_s R new_conns_per_s H requests= handshakes= errors= seconds= client_cpu=
 * Exit status 0 when requests were answered 2xx and none failed, 1 otherwise
 * (the line is still printed), 2 for bad arguments.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench/dpdk/ml_run.h"

volatile sig_atomic_t ml_stop;

double ml_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double ml_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void on_signal(int sig)
{
	(void)sig;
	ml_stop = 1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: columba-memif-load (--dpdk \"EAL ARGS\" --ip A [-q QUEUES] | --kernel)\n"
		"       -s SERVER -p PORT [-c CONNS] [-d SECONDS] [-w WARMUP] [--new-conn]\n"
		"       [--users FILE --to NAME]\n");
	return 2;
}

/* The first token (third field not "-") of a users file, into tok. */
static int first_token(const char *path, char *tok, size_t cap)
{
	FILE *f = fopen(path, "r");
	char line[1024], name[256], pw[256], t[512];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || sscanf(line, "%255s %255s %511s", name, pw, t) != 3 ||
		    !strcmp(t, "-"))
			continue;
		fclose(f);
		if (strlen(t) >= cap)
			return -E2BIG;
		memcpy(tok, t, strlen(t) + 1);
		return 0;
	}
	fclose(f);
	return -ENOENT;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "dpdk", required_argument, NULL, 'E' }, { "ip", required_argument, NULL, 'I' },
		{ "kernel", no_argument, NULL, 'K' },     { "new-conn", no_argument, NULL, 'N' },
		{ "users", required_argument, NULL, 'U' }, { "to", required_argument, NULL, 'T' },
		{ "queues", required_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	static char req[ML_REQ];
	struct ml_run r = { .conns = 32, .seconds = 5, .warmup = 1, .queues = 1 };
	const char *users = NULL, *to = NULL, *server = NULL;
	bool kernel = false;
	char tok[512];
	int opt, n, err;

	while ((opt = getopt_long(argc, argv, "s:p:c:d:w:q:h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'E': r.eal_args = optarg; break;
		case 'I':
			if (inet_pton(AF_INET, optarg, &r.local_ip) != 1)
				return usage();
			break;
		case 'K': kernel = true; break;
		case 'N': r.new_conn = true; break;
		case 'U': users = optarg; break;
		case 'T': to = optarg; break;
		case 's': server = optarg; break;
		case 'p': r.port = (uint16_t)atoi(optarg); break;
		case 'c': r.conns = (unsigned)atoi(optarg); break;
		case 'd': r.seconds = atof(optarg); break;
		case 'w': r.warmup = atof(optarg); break;
		case 'q': r.queues = (unsigned)atoi(optarg); break;
		default: return usage();
		}
	}
	if (!server || inet_pton(AF_INET, server, &r.server) != 1 || !r.port || !r.conns ||
	    r.seconds <= 0 || kernel == (r.eal_args != NULL) || r.queues < 1 || r.queues > 16 ||
	    r.conns < r.queues ||
	    (!kernel && !r.local_ip.s_addr) || (users != NULL) != (to != NULL))
		return usage();
	if (users) {
		char body[256];
		int bn;

		err = first_token(users, tok, sizeof(tok));
		if (err) {
			fprintf(stderr, "memif-load: no token in %s: %s\n", users, strerror(-err));
			return 1;
		}
		bn = snprintf(body, sizeof(body),
			      "{\"to\":\"%s\",\"text\":\"memif bench\",\"notify\":false}", to);
		n = snprintf(req, sizeof(req),
			     "POST /v1/messages HTTP/1.1\r\nHost: localhost\r\n"
			     "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
			     "Content-Length: %d\r\n\r\n%s", tok, bn, body);
	} else {
		n = snprintf(req, sizeof(req), "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
	}
	if (n < 0 || (size_t)n >= sizeof(req))
		return usage();
	r.req = req;
	r.req_len = (size_t)n;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	r.ctx = ml_ctx_new();
	if (!r.ctx)
		return 1;
	err = kernel ? ml_run_kernel(&r) : ml_run_dpdk(&r);
	wolfSSL_CTX_free(r.ctx);
	wolfSSL_Cleanup();
	if (err) {
		fprintf(stderr, "memif-load: %s\n", strerror(-err));
		return 1;
	}
	if (r.measured <= 0)
		return 1;
	printf("requests_per_s %.0f new_conns_per_s %.0f requests=%llu handshakes=%llu errors=%llu"
	       " seconds=%.2f conns=%u client_cpu=%.0f%% transport=%s mode=%s%s\n",
	       (double)r.tot.requests / r.measured, (double)r.tot.handshakes / r.measured,
	       (unsigned long long)r.tot.requests, (unsigned long long)r.tot.handshakes,
	       (unsigned long long)r.tot.errors, r.measured, r.conns, 100 * r.cpu / r.measured,
	       kernel ? "kernel" : "dpdk", users ? "submit" : "healthz",
	       r.new_conn ? " new_conn" : "");
	/* A benchmark whose requests failed measured something else. */
	return r.tot.requests > 0 && r.tot.errors == 0 ? 0 : 1;
}
