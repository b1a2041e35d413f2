/*
 * columba-memif-load's kernel transport: nonblocking sockets and epoll on
 * the calling thread, with the same connection logic (ml_conn.c) as the
 * DPDK transport, for the uring backend over loopback.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "bench/dpdk/ml_run.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static int mk_send(struct ml_conn *c, const void *data, size_t len)
{
	ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);

	if (n == (ssize_t)len)
		return 0;
	/* A partial send on loopback with a 1 KiB request and an empty socket
	 * buffer does not happen; treat it as a failure rather than tear a record. */
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->send_blocked = true;
		return -EAGAIN;
	}
	return n < 0 ? -errno : -EIO;
}

static void mk_close(struct ml_conn *c)
{
	close(c->fd);
	c->fd = -1;
}

static const struct ml_transport_ops mk_ops = { .send = mk_send, .close = mk_close };

static int mk_watch(int ep, struct ml_conn *c, int op)
{
	struct epoll_event ev = { .events = EPOLLIN | (c->send_blocked || c->st == ML_CONNECTING ?
						       EPOLLOUT : 0),
				  .data.ptr = c };

	return epoll_ctl(ep, op, c->fd, &ev);
}

static int mk_connect(struct ml_run *r, int ep, struct ml_conn *c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(r->port),
				  .sin_addr = r->server };
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
		int err = -errno;

		mk_close(c);
		return err;
	}
	c->st = ML_CONNECTING;
	c->send_blocked = false;
	return mk_watch(ep, c, EPOLL_CTL_ADD);
}

/* c's socket is readable or writable: move it on; returns false once it is closed. */
static bool mk_event(struct ml_run *r, int ep, struct ml_conn *c, uint32_t events)
{
	enum ml_state s;

	if (c->st == ML_CONNECTING) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr)
			goto failed;
		if (ml_conn_start(c, r->ctx, r->req, r->req_len))
			goto failed;
	}
	if (events & EPOLLIN) {
		for (;;) {
			uint8_t buf[16384];
			ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

			if (n > 0) {
				if (ml_conn_input(c, buf, (size_t)n))
					goto failed;
				if ((size_t)n < sizeof(buf))
					break;
				continue;
			}
			if (n == 0)
				ml_conn_eof(c);
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				goto failed;
			break;
		}
	}
	c->send_blocked = false;
	s = ml_conn_step(c);
	if (s == ML_CLOSING || s == ML_FAILED) {
		mk_close(c);
		ml_conn_release(c);
		return false;
	}
	mk_watch(ep, c, EPOLL_CTL_MOD);
	return true;
failed:
	c->tot->errors++;
	mk_close(c);
	ml_conn_release(c);
	return false;
}

int ml_run_kernel(struct ml_run *r)
{
	struct ml_totals all = { 0 }, at0 = { 0 };
	struct ml_conn *conns = calloc(r->conns, sizeof(*conns));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	double t0, t_meas = 0, t_end, cpu0 = 0;
	bool ready = false;
	unsigned idle = r->conns;

	if (!conns || ep < 0) {
		free(conns);
		if (ep >= 0)
			close(ep);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < r->conns; i++) {
		conns[i].fd = -1;
		conns[i].tot = &all;
		conns[i].ops = &mk_ops;
		conns[i].new_conn = r->new_conn;
	}
	/* The warm-up counts from when every connection finished its first
	 * handshake (the first SYNs may wait for ARP and a retransmission),
	 * or from 10 s after the start at the latest. */
	t0 = ml_now() + 10;
	t_end = t0 + r->warmup + r->seconds;
	while (!ml_stop) {
		struct epoll_event evs[256];
		double t = ml_now();
		int n;

		if (!ready && all.handshakes >= r->conns) {
			ready = true;
			t0 = t;
			t_end = t0 + r->warmup + r->seconds;
		}
		if (!t_meas && t >= t0 + r->warmup) {
			t_meas = t;
			cpu0 = ml_cpu();
			at0 = all;
		}
		if (t >= t_end)
			break;
		for (unsigned i = 0; i < r->conns && idle; i++) {
			if (conns[i].fd >= 0)
				continue;
			if (mk_connect(r, ep, &conns[i])) {
				all.errors++;
				break;
			}
			idle--;
		}
		n = epoll_wait(ep, evs, 256, 10);
		for (int i = 0; i < n; i++)
			if (!mk_event(r, ep, evs[i].data.ptr, evs[i].events))
				idle++;
	}
	if (t_meas) {
		r->measured = ml_now() - t_meas;
		r->cpu = ml_cpu() - cpu0;
		r->tot.requests = all.requests - at0.requests;
		r->tot.handshakes = all.handshakes - at0.handshakes;
		r->tot.errors = all.errors - at0.errors;
	}
	for (unsigned i = 0; i < r->conns; i++) {
		if (conns[i].fd >= 0)
			mk_close(&conns[i]);
		ml_conn_release(&conns[i]);
	}
	free(conns);
	close(ep);
	return 0;
}
