/*
 * The dpdk backend's struct dp_conn semantics (dataplane/dp.h), driven by
 * Linux's TCP over net_tap: a real worker thread runs dp_dpdk_ops while
 * this thread connects kernel sockets to the stack's address.
 *
 *   echo       4 MiB sent and read back byte for byte through a 16 KiB send
 *              queue: dp_send answers -EAGAIN, the handler pauses, on_drain
 *              resumes it (backpressure both ways).
 *   bye        the reply, then dp_close(graceful): the client reads it, then EOF.
 *   big        1 MiB queued in pieces across -EAGAIN/on_drain, then a
 *              graceful close: every byte arrives before the EOF.
 *   abort      dp_close(abort): the client sees a reset.
 *   refuse     on_open refuses: the client sees a reset, on_close(err).
 *   stop       stop_listening: a new connection is refused; an idle one is
 *              reset at the drain deadline (abort_all); the worker leaves
 *              with every on_open matched by one on_close.
 *
 * Needs root: it moves itself into a new network namespace (unshare), so
 * the tap, its addresses and its traffic stay inside; exits 77 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include "dataplane/dpdk/backend.h"

#define IFNAME "cbtbe0"
#define STACK_IP "198.18.9.2"
#define KERNEL_IP "198.18.9.1"
#define SENDQ 16384u
#define PIECE 8192u

enum kind { K_ECHO, K_BYE, K_BIG, K_ABORT, K_REFUSE, K_COUNT };
static const uint16_t ports[K_COUNT] = { 7001, 7002, 7003, 7004, 7005 };

static struct dp_worker worker;
static atomic_uint opens, closes, drains, eagains, refused_closes;

struct tconn {
	enum kind kind;
	uint8_t *pend; /* bytes dp_send refused, sent on on_drain */
	size_t pend_len;
	size_t big_left;
	bool closing;
};

/* The handlers run on the worker's thread, where a cmocka assertion
 * cannot unwind: they count what went wrong, the tests assert it is 0. */
static atomic_uint handler_errors;
#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			atomic_fetch_add(&handler_errors, 1);                          \
			fprintf(stderr, "%s:%d: handler check failed: %s\n", __FILE__,  \
				__LINE__, #cond);                                      \
		}                                                                      \
	} while (0)

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7u + (i >> 9));
}

/* Send p[0..n) in pieces; what does not fit is kept for on_drain. */
static void send_or_keep(struct dp_conn *c, struct tconn *t, const uint8_t *p, size_t n)
{
	while (n) {
		size_t k = n < PIECE ? n : PIECE;
		int r = dp_send(c, p, k);

		if (r == -EAGAIN) {
			atomic_fetch_add(&eagains, 1);
			uint8_t *b = realloc(t->pend, t->pend_len + n);
			CHECK(b != NULL);
			if (!b)
				return;
			memcpy(b + t->pend_len, p, n);
			t->pend = b;
			t->pend_len += n;
			dp_pause_recv(c, true);
			return;
		}
		CHECK((r) == (0));
		p += k;
		n -= k;
	}
}

/* K_BIG: the next pieces of the 1 MiB pattern, until the queue is full. */
static void big_fill(struct dp_conn *c, struct tconn *t)
{
	uint8_t buf[PIECE];

	while (t->big_left) {
		size_t off = (1u << 20) - t->big_left, k = t->big_left < PIECE ? t->big_left : PIECE;

		for (size_t i = 0; i < k; i++)
			buf[i] = pattern(off + i);
		int r = dp_send(c, buf, k);
		if (r == -EAGAIN) {
			atomic_fetch_add(&eagains, 1);
			return; /* on_drain continues */
		}
		CHECK((r) == (0));
		t->big_left -= k;
	}
	dp_close(c, false);
}

static int h_open(struct dp_conn *c, void *arg)
{
	enum kind kind = (enum kind)(uintptr_t)arg;
	struct tconn *t;

	atomic_fetch_add(&opens, 1);
	if (kind == K_REFUSE)
		return -EPERM;
	t = calloc(1, sizeof(*t));
	CHECK(t != NULL);
	if (!t)
		return -ENOMEM;
	t->kind = kind;
	dp_conn_set_udata(c, t);
	CHECK((dp_conn_peer(c)->family) == (AF_INET));
	CHECK((dp_conn_worker(c)) == (&worker));
	return 0;
}

static void h_data(struct dp_conn *c, const uint8_t *data, size_t len)
{
	struct tconn *t = dp_conn_udata(c);

	switch (t->kind) {
	case K_ECHO:
		CHECK((t->pend_len) == (0)); /* paused while anything is kept */
		send_or_keep(c, t, data, len);
		break;
	case K_BYE:
		if (!t->closing && memchr(data, '\n', len)) {
			t->closing = true;
			CHECK((dp_send(c, "bye\n", 4)) == (0));
			dp_close(c, false);
			CHECK((dp_send(c, "x", 1)) == (-EPIPE));
		}
		break;
	case K_BIG:
		if (!t->closing && memchr(data, '\n', len)) {
			t->closing = true;
			t->big_left = 1u << 20;
			big_fill(c, t);
		}
		break;
	case K_ABORT:
		dp_close(c, true);
		dp_close(c, true); /* twice: harmless */
		break;
	default:
		CHECK(false);
	}
}

static void h_drain(struct dp_conn *c)
{
	struct tconn *t = dp_conn_udata(c);

	atomic_fetch_add(&drains, 1);
	CHECK(dp_conn_unsent(c) <= SENDQ / 4);
	if (t->kind == K_BIG && t->big_left) {
		big_fill(c, t);
		return;
	}
	if (t->pend_len) {
		uint8_t *p = t->pend;
		size_t n = t->pend_len;

		t->pend = NULL;
		t->pend_len = 0;
		send_or_keep(c, t, p, n);
		free(p);
		if (t->pend_len)
			return; /* still paused; the next on_drain goes on */
	}
	dp_pause_recv(c, false);
}

static void h_close(struct dp_conn *c, int err)
{
	struct tconn *t = dp_conn_udata(c);

	atomic_fetch_add(&closes, 1);
	if (!t) {
		CHECK((err) == (-EPERM));
		atomic_fetch_add(&refused_closes, 1);
		return;
	}
	free(t->pend);
	free(t);
}

static const struct dp_handler handler = {
	.on_open = h_open, .on_data = h_data, .on_drain = h_drain, .on_close = h_close,
};

/* ---- the kernel's side ---- */

static int client(enum kind kind)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(ports[kind]) };
	struct timeval tv = { .tv_sec = 20 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, STACK_IP, &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) /* EINTR: SIGIO reached us */
		fail_msg("connect to %s:%u: %s", STACK_IP, ports[kind], strerror(errno));
	return fd;
}

/* Read until EOF (returns bytes) or an error (returns -errno). */
static ssize_t read_all(int fd, uint8_t *buf, size_t size)
{
	size_t got = 0;

	for (;;) {
		ssize_t n = recv(fd, buf + got, size - got, 0);

		if (n < 0)
			return errno == EINTR ? read_all(fd, buf + got, size - got) : -errno;
		if (n == 0)
			return (ssize_t)got;
		got += (size_t)n;
		assert_true(got < size);
	}
}

static void test_echo_backpressure(void **state)
{
	const size_t total = 4u << 20;
	uint8_t *out = malloc(total), *in = malloc(total);
	size_t sent = 0, got = 0;
	unsigned e0 = atomic_load(&eagains), d0 = atomic_load(&drains);
	int fd = client(K_ECHO);
	(void)state;

	assert_non_null(out);
	assert_non_null(in);
	for (size_t i = 0; i < total; i++)
		out[i] = pattern(i);
	while (got < total) {
		struct pollfd p = { .fd = fd, .events = POLLIN | (sent < total ? POLLOUT : 0) };

		assert_true(poll(&p, 1, 20000) > 0);
		if ((p.revents & POLLOUT) && sent < total) {
			ssize_t n = send(fd, out + sent, total - sent > 65536 ? 65536 : total - sent,
					 MSG_DONTWAIT);
			assert_true(n > 0 || errno == EAGAIN);
			if (n > 0)
				sent += (size_t)n;
		}
		if (p.revents & POLLIN) {
			ssize_t n = recv(fd, in + got, total - got, MSG_DONTWAIT);
			assert_true(n > 0 || errno == EAGAIN);
			if (n > 0)
				got += (size_t)n;
		}
	}
	assert_memory_equal(in, out, total);
	/* A 16 KiB queue cannot echo 4 MiB without filling up. */
	assert_true(atomic_load(&eagains) > e0);
	assert_true(atomic_load(&drains) > d0);
	shutdown(fd, SHUT_WR);
	assert_int_equal(read_all(fd, in, total), 0); /* our EOF answered by theirs */
	close(fd);
	free(out);
	free(in);
}

static void test_bye_graceful(void **state)
{
	uint8_t buf[64];
	int fd = client(K_BYE);
	(void)state;

	assert_int_equal(send(fd, "hi\n", 3, 0), 3);
	assert_int_equal(read_all(fd, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "bye\n", 4);
	close(fd);
}

static void test_big_then_close(void **state)
{
	const size_t total = 1u << 20;
	uint8_t *buf = malloc(total + 1);
	int rcv = 8192, fd;
	(void)state;

	/* A small receive buffer keeps the queue full for longer. */
	fd = client(K_BIG);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	assert_int_equal(send(fd, "go\n", 3, 0), 3);
	usleep(200 * 1000);
	assert_int_equal(read_all(fd, buf, total + 1), (ssize_t)total);
	for (size_t i = 0; i < total; i++)
		if (buf[i] != pattern(i))
			fail_msg("byte %zu differs", i);
	close(fd);
	free(buf);
}

static void test_abort_resets(void **state)
{
	uint8_t buf[64];
	int fd = client(K_ABORT);
	(void)state;

	assert_int_equal(send(fd, "x", 1, 0), 1);
	assert_int_equal(read_all(fd, buf, sizeof(buf)), -ECONNRESET);
	close(fd);
}

static void test_refuse_resets(void **state)
{
	uint8_t buf[64];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(ports[K_REFUSE]) };
	unsigned r0 = atomic_load(&refused_closes);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	(void)state;

	/* The reset follows the handshake's last ACK at once: it may reach
	 * the kernel before connect() returned, or after. */
	inet_pton(AF_INET, STACK_IP, &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		assert_int_equal(read_all(fd, buf, sizeof(buf)), -ECONNRESET);
	else
		assert_int_equal(errno, ECONNRESET);
	close(fd);
	for (int i = 0; i < 2000 && atomic_load(&refused_closes) == r0; i++)
		usleep(1000);
	assert_int_equal(atomic_load(&refused_closes), r0 + 1);
}

static void test_stop(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(ports[K_ECHO]) };
	uint8_t buf[64];
	int idle = client(K_ECHO), fd;
	(void)state;

	/* The idle connection holds the drain open until its deadline. */
	usleep(100 * 1000);
	dp_worker_request_stop(&worker);
	usleep(200 * 1000);
	/* Listeners are gone: the stack answers a SYN with a reset. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, STACK_IP, &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), -1);
	assert_int_equal(errno, ECONNREFUSED);
	close(fd);
	/* At the drain deadline (2 s) abort_all resets the idle one. */
	assert_int_equal(read_all(idle, buf, sizeof(buf)), -ECONNRESET);
	close(idle);
	assert_int_equal(dp_worker_join(&worker), 0);
	assert_int_equal(worker.stats.conns_open, 0);
	assert_int_equal(atomic_load(&opens), atomic_load(&closes));
	assert_int_equal(atomic_load(&handler_errors), 0);
	dp_worker_fini(&worker);
}

static int no_handler_errors(void **state)
{
	(void)state;
	return atomic_load(&handler_errors) == 0 ? 0 : -1;
}

static int sh(const char *cmd)
{
	int r = system(cmd);

	if (r != 0)
		fprintf(stderr, "test_backend: `%s` failed (%d)\n", cmd, r);
	return r;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_echo_backpressure, no_handler_errors),
		cmocka_unit_test_teardown(test_bye_graceful, no_handler_errors),
		cmocka_unit_test_teardown(test_big_then_close, no_handler_errors),
		cmocka_unit_test_teardown(test_abort_resets, no_handler_errors),
		cmocka_unit_test_teardown(test_refuse_resets, no_handler_errors),
		cmocka_unit_test(test_stop),
	};
	struct dpdk_be_cfg cfg = {
		.port = { .eal_args = "-l 0 --no-huge --no-shconf -m 256 --no-pci --no-telemetry "
				      "--vdev=net_tap0,iface=" IFNAME,
			  .workers = 1, .rx_ring = 512, .tx_ring = 512, .mbufs_per_worker = 2048,
			  .burst = 32, .tx_retries = 4 },
		.max_conns = 64,
		.idle_sleep_us = 100,
	};
	struct dp_limits lim = { .max_conns = 64, .max_conns_per_addr = 64,
				 .send_queue_bytes = SENDQ, .drain_timeout_ms = 2000 };
	int rc;

	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) {
		printf("SKIP: needs root (a network namespace and a tap device)\n");
		return 77;
	}
	inet_pton(AF_INET, STACK_IP, &cfg.ip);
	inet_pton(AF_INET, "255.255.255.0", &cfg.netmask);
	if (dpdk_backend_start(&cfg) != 0) {
		printf("SKIP: the EAL or the tap port did not start\n");
		return 77;
	}
	if (sh("ip link set lo up && ip addr add " KERNEL_IP "/24 dev " IFNAME
	       " && ip link set " IFNAME " up"))
		return 1;
	if (dp_worker_init(&worker, 0, -1, &dp_dpdk_ops, &lim, NULL))
		return 1;
	for (int k = 0; k < K_COUNT; k++) {
		struct dp_addr a = { .family = AF_UNSPEC, .port = ports[k] };

		if (dp_worker_listen(&worker, &a, &handler, (void *)(uintptr_t)k))
			return 1;
	}
	if (dp_worker_start(&worker))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	dpdk_backend_stop();
	return rc;
}
