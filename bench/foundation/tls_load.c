/*
 * tls_load — a small TLS 1.3 load client (OpenSSL, one thread, epoll) for
 * bench/foundation/run. Two modes:
 *
 *   tls_load hs   -p PORT [-c CONC] [-d SECONDS]
 *       New connections for SECONDS, CONC at a time: TCP connect, full TLS 1.3
 *       handshake (a fresh SSL object each time, never a resumed session), one
 *       "GET /healthz" with "Connection: close", read the response to EOF, close.
 *       Prints "handshakes_per_s <v> ..." on stdout.
 *
 *   tls_load idle -p PORT -n N [-c CONC]
 *       Opens N connections the same way but with a keep-alive request; when its
 *       response has arrived the connection is left open and idle. Once all N
 *       are idle it prints "ready <N>" on stdout, flushes, and waits for SIGTERM
 *       or SIGINT (the caller measures the server meanwhile), then exits 0.
 *
 * Host is always 127.0.0.1; the certificate is not verified (self-signed dev
 * certificate). Any connection failing counts as an error and is reported;
 * in idle mode an error makes the exit status 1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

enum tl_state { TL_FREE, TL_CONNECTING, TL_HANDSHAKE, TL_WRITE, TL_READ, TL_IDLE };

struct tl_conn {
	int fd;
	SSL *ssl;
	enum tl_state st;
	size_t sent;
	size_t got;
	char buf[1024]; /* the response head (and a short body) */
};

static struct {
	bool hs_mode;
	int port;
	int conc;
	double seconds;
	long n_idle;
	SSL_CTX *ctx;
	int ep;
	struct sockaddr_in addr;
	long started, done, errors, idle;
	char cipher[64], group[32];
} g;

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *request(void)
{
	return g.hs_mode ? "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" :
			   "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
}

static void conn_free(struct tl_conn *c)
{
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd); /* also removes it from the epoll set */
	c->ssl = NULL;
	c->fd = -1;
	c->st = TL_FREE;
}

static void conn_fail(struct tl_conn *c, const char *what)
{
	if (g.errors < 5) {
		unsigned long e = ERR_get_error();
		char msg[256] = "";

		if (e)
			ERR_error_string_n(e, msg, sizeof(msg));
		fprintf(stderr, "tls_load: connection failed in %s: %s %s\n", what,
			msg, e ? "" : strerror(errno));
	}
	ERR_clear_error();
	g.errors++;
	conn_free(c);
}

static int conn_watch(struct tl_conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	return epoll_ctl(g.ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static int conn_start(struct tl_conn *c)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		conn_fail(c, "socket");
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->sent = c->got = 0;
	c->ssl = NULL;
	g.started++;
	if (connect(c->fd, (struct sockaddr *)&g.addr, sizeof(g.addr)) && errno != EINPROGRESS) {
		conn_fail(c, "connect");
		return -1;
	}
	c->st = TL_CONNECTING;
	if (epoll_ctl(g.ep, EPOLL_CTL_ADD, c->fd, &ev)) {
		conn_fail(c, "epoll_ctl");
		return -1;
	}
	return 0;
}

/* Want-read/want-write of the last SSL call into epoll interest; -1 on a real error. */
static int conn_want(struct tl_conn *c, int r, const char *what)
{
	int e = SSL_get_error(c->ssl, r);

	if (e == SSL_ERROR_WANT_READ)
		return conn_watch(c, EPOLLIN);
	if (e == SSL_ERROR_WANT_WRITE)
		return conn_watch(c, EPOLLOUT);
	conn_fail(c, what);
	return -1;
}

/* The response is complete once its head and Content-Length bytes of body are in. */
static bool response_complete(const struct tl_conn *c)
{
	const char *end = memmem(c->buf, c->got, "\r\n\r\n", 4);
	const char *cl;
	size_t head;

	if (!end)
		return false;
	head = (size_t)(end - c->buf) + 4;
	cl = strcasestr(c->buf, "\r\ncontent-length:");
	if (!cl || cl > end)
		return true;
	return c->got >= head + strtoul(cl + 17, NULL, 10);
}

static void conn_step(struct tl_conn *c)
{
	int r;

	switch (c->st) {
	case TL_CONNECTING: {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr) {
			errno = soerr;
			conn_fail(c, "connect");
			return;
		}
		c->ssl = SSL_new(g.ctx);
		if (!c->ssl || !SSL_set_fd(c->ssl, c->fd)) {
			conn_fail(c, "SSL_new");
			return;
		}
		SSL_set_connect_state(c->ssl);
		c->st = TL_HANDSHAKE;
	}
		/* fall through */
	case TL_HANDSHAKE:
		r = SSL_do_handshake(c->ssl);
		if (r != 1) {
			conn_want(c, r, "handshake");
			return;
		}
		if (!g.cipher[0]) {
			EVP_PKEY *k = NULL;
			char name[32] = "?";
			size_t nl;

			snprintf(g.cipher, sizeof(g.cipher), "%s %s", SSL_get_version(c->ssl),
				 SSL_get_cipher_name(c->ssl));
			if (SSL_get_peer_tmp_key(c->ssl, &k) == 1) {
				if (EVP_PKEY_get_group_name(k, name, sizeof(name), &nl) != 1)
					snprintf(name, sizeof(name), "%s", EVP_PKEY_get0_type_name(k));
				EVP_PKEY_free(k);
			}
			snprintf(g.group, sizeof(g.group), "%s", name);
		}
		c->st = TL_WRITE;
		/* fall through */
	case TL_WRITE: {
		const char *q = request();
		size_t len = strlen(q);

		r = SSL_write(c->ssl, q + c->sent, (int)(len - c->sent));
		if (r <= 0) {
			conn_want(c, r, "write");
			return;
		}
		c->sent += (size_t)r;
		if (c->sent < len) {
			conn_watch(c, EPOLLOUT);
			return;
		}
		c->st = TL_READ;
	}
		/* fall through */
	case TL_READ:
		for (;;) {
			char sink[4096];
			size_t room = sizeof(c->buf) - 1 - c->got;
			char *dst = room ? c->buf + c->got : sink;

			r = SSL_read(c->ssl, dst, room ? (int)room : (int)sizeof(sink));
			if (r > 0) {
				if (room) {
					c->got += (size_t)r;
					c->buf[c->got] = '\0';
				}
				if (!g.hs_mode && response_complete(c)) {
					if (strncmp(c->buf, "HTTP/1.1 200", 12)) {
						conn_fail(c, "response status");
						return;
					}
					c->st = TL_IDLE;
					g.idle++;
					conn_watch(c, EPOLLIN);
					return;
				}
				continue;
			}
			int e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
				/* EOF: close_notify, or the TCP FIN without one */
				if (g.hs_mode && c->got >= 12 && !strncmp(c->buf, "HTTP/1.1 200", 12)) {
					g.done++;
					ERR_clear_error();
					conn_free(c);
				} else {
					conn_fail(c, "read (EOF before a 200 response)");
				}
				return;
			}
			conn_want(c, r, "read");
			return;
		}
	case TL_IDLE: {
		/* The server closed an idle connection (timeout?): that is an error here. */
		char b[256];

		r = SSL_read(c->ssl, b, sizeof(b));
		if (r <= 0 && SSL_get_error(c->ssl, r) == SSL_ERROR_WANT_READ)
			return;
		g.idle--;
		conn_fail(c, "idle (closed by the server)");
		return;
	}
	case TL_FREE:
		return;
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: tls_load hs -p PORT [-c CONC] [-d SECONDS]\n"
			"       tls_load idle -p PORT -n N [-c CONC]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct tl_conn *conns;
	long n_slots;
	int opt;
	double t0, t_end;

	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "hs"))
		g.hs_mode = true;
	else if (strcmp(argv[1], "idle"))
		return usage();
	g.conc = 32;
	g.seconds = 5;
	optind = 2;
	while ((opt = getopt(argc, argv, "p:c:d:n:")) != -1) {
		switch (opt) {
		case 'p': g.port = atoi(optarg); break;
		case 'c': g.conc = atoi(optarg); break;
		case 'd': g.seconds = atof(optarg); break;
		case 'n': g.n_idle = atol(optarg); break;
		default: return usage();
		}
	}
	if (g.port <= 0 || g.conc <= 0 || (!g.hs_mode && g.n_idle <= 0))
		return usage();

	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	g.addr.sin_family = AF_INET;
	g.addr.sin_port = htons((uint16_t)g.port);
	g.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	g.ctx = SSL_CTX_new(TLS_client_method());
	if (!g.ctx || !SSL_CTX_set_min_proto_version(g.ctx, TLS1_3_VERSION))
		return 1;
	SSL_CTX_set_verify(g.ctx, SSL_VERIFY_NONE, NULL);
	/* Never resume: no client session cache, and tickets are not kept. */
	SSL_CTX_set_session_cache_mode(g.ctx, SSL_SESS_CACHE_OFF);
	g.ep = epoll_create1(EPOLL_CLOEXEC);
	if (g.ep < 0)
		return 1;

	n_slots = g.hs_mode ? g.conc : g.n_idle;
	conns = calloc((size_t)n_slots, sizeof(*conns));
	if (!conns)
		return 1;
	for (long i = 0; i < n_slots; i++)
		conns[i].fd = -1;

	t0 = now_s();
	t_end = g.hs_mode ? t0 + g.seconds : t0 + 120; /* idle: give up after 2 minutes */
	{
		long next = 0, in_flight = 0;
		struct epoll_event evs[256];

		for (;;) {
			double t = now_s();

			if (t >= t_end || g_stop)
				break;
			if (g.hs_mode) {
				for (long i = 0; i < n_slots; i++)
					if (conns[i].st == TL_FREE)
						conn_start(&conns[i]);
			} else {
				in_flight = g.started - g.idle - g.errors;
				while (next < n_slots && in_flight < g.conc) {
					conn_start(&conns[next++]);
					in_flight++;
				}
				if (g.idle + g.errors >= g.n_idle)
					break;
			}
			int n = epoll_wait(g.ep, evs, 256, 50);
			for (int i = 0; i < n; i++)
				conn_step(evs[i].data.ptr);
		}
	}

	if (g.hs_mode) {
		double el = now_s() - t0;
		struct rusage ru;
		double cpu;

		getrusage(RUSAGE_SELF, &ru);
		cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
		printf("handshakes_per_s %.0f client_cpu=%.0f%% completed=%ld errors=%ld seconds=%.2f conc=%d (%s, group %s)\n",
		       (double)g.done / el, 100 * cpu / el, g.done, g.errors, el, g.conc, g.cipher,
		       g.group);
		return g.done > 0 ? 0 : 1;
	}
	if (g.idle != g.n_idle) {
		fprintf(stderr, "tls_load: only %ld of %ld idle connections established (%ld errors)\n",
			g.idle, g.n_idle, g.errors);
		return 1;
	}
	printf("ready %ld (%s, group %s)\n", g.idle, g.cipher, g.group);
	fflush(stdout);
	{
		struct epoll_event evs[256];

		/* Keep servicing (the server closing one is reported) until told to stop. */
		while (!g_stop) {
			int n = epoll_wait(g.ep, evs, 256, 200);
			for (int i = 0; i < n; i++)
				conn_step(evs[i].data.ptr);
		}
	}
	if (g.errors)
		fprintf(stderr, "tls_load: %ld connections closed while idle\n", g.errors);
	return g.errors ? 1 : 0;
}
