#include "dataplane/uring/uring.h"

#include <errno.h>
#include <liburing.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/compiler.h"
#include "base/log.h"
#include "base/pool.h"

/* user_data: a pointer with the operation in its low 3 bits. */
enum ur_op {
	UR_OP_ACCEPT = 1,
	UR_OP_RECV = 2,
	UR_OP_SEND = 3,
	UR_OP_BELL = 4,
	UR_OP_IGNORE = 5, /* cancels and closes whose result nobody needs */
};
#define UR_OP_MASK 7u
#define UR_BGID 1

struct ur_chunk {
	struct ur_chunk *next;
	uint32_t len;  /* bytes filled */
	uint32_t sent; /* bytes of them already sent */
	uint8_t data[UR_CHUNK_SIZE - 16];
};

enum {
	UC_RECV_ARMED = 1u << 0,
	UC_SEND_INFLIGHT = 1u << 1,
	UC_CLOSING = 1u << 2,    /* no more bytes accepted from the app */
	UC_FLUSH_CLOSE = 1u << 3, /* close once the queue is sent */
	UC_PAUSED = 1u << 4,
	UC_WANT_DRAIN = 1u << 5,
	UC_REAPED = 1u << 6,     /* on the reap list */
	UC_EOF = 1u << 7,
};

struct ur_conn {
	struct dp_conn dc; /* first: dp_conn * <-> ur_conn * */
	int fd;
	uint32_t flags;
	uint32_t inflight; /* SQEs that still reference this connection */
	int close_err;
	size_t tx_bytes;
	struct ur_chunk *tx_head, *tx_tail;
	struct ur_conn *reap_next;
	struct ur_conn *next, *prev; /* the worker's live connections */
	/* Bytes received while paused: kept until resume. */
	uint8_t *stash;
	size_t stash_len;
	struct ur_listener *l;
};

struct ur_listener {
	int fd;
	bool armed;
	bool closed;
	const struct dp_handler *h;
	void *arg;
	struct dp_worker *w;
	struct dp_timer backoff;
	struct ur_listener *next;
};

struct ur_worker {
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	uint8_t *bufs;
	struct pool conns;
	struct pool chunks;
	struct ur_listener *listeners;
	struct ur_conn *reap;
	struct ur_conn *live; /* every connection not yet freed */
	uint64_t bell_value;
	bool bell_armed;
	uint32_t accept_backoff_ms;
};

static struct ur_worker *uw_of(struct dp_worker *w)
{
	return w->be;
}

static struct io_uring_sqe *get_sqe(struct ur_worker *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (unlikely(!sqe)) {
		/* Full submission queue: hand it to the kernel and retry. */
		io_uring_submit(&u->ring);
		sqe = io_uring_get_sqe(&u->ring);
	}
	BUG_ON(sqe == NULL);
	return sqe;
}

static void set_udata(struct io_uring_sqe *sqe, void *p, enum ur_op op)
{
	DEBUG_BUG_ON(((uintptr_t)p & UR_OP_MASK) != 0);
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)p | op);
}

/* ---- receive buffers ---- */

static void recycle_buf(struct ur_worker *u, unsigned bid)
{
	io_uring_buf_ring_add(u->br, u->bufs + (size_t)bid * UR_RECV_BUF_SIZE, UR_RECV_BUF_SIZE,
			      (unsigned short)bid, io_uring_buf_ring_mask(UR_RECV_BUF_COUNT), 0);
	io_uring_buf_ring_advance(u->br, 1);
}

static int setup_buf_ring(struct ur_worker *u)
{
	struct io_uring_buf_reg reg;
	size_t ring_bytes = UR_RECV_BUF_COUNT * sizeof(struct io_uring_buf);
	void *mem;
	int err;

	if (posix_memalign(&mem, 4096, (ring_bytes + 4095) & ~(size_t)4095))
		return -ENOMEM;
	u->br = mem;
	u->bufs = malloc((size_t)UR_RECV_BUF_SIZE * UR_RECV_BUF_COUNT);
	if (!u->bufs)
		return -ENOMEM;
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uint64_t)(uintptr_t)u->br;
	reg.ring_entries = UR_RECV_BUF_COUNT;
	reg.bgid = UR_BGID;
	err = io_uring_register_buf_ring(&u->ring, &reg, 0);
	if (err)
		return err;
	io_uring_buf_ring_init(u->br);
	for (unsigned i = 0; i < UR_RECV_BUF_COUNT; i++)
		io_uring_buf_ring_add(u->br, u->bufs + (size_t)i * UR_RECV_BUF_SIZE,
				      UR_RECV_BUF_SIZE, (unsigned short)i,
				      io_uring_buf_ring_mask(UR_RECV_BUF_COUNT), (int)i);
	io_uring_buf_ring_advance(u->br, UR_RECV_BUF_COUNT);
	return 0;
}

/* ---- backend init ---- */

static void arm_bell(struct dp_worker *w)
{
	struct ur_worker *u = uw_of(w);
	struct io_uring_sqe *sqe = get_sqe(u);

	io_uring_prep_read(sqe, w->bell.efd, &u->bell_value, sizeof(u->bell_value), 0);
	set_udata(sqe, w, UR_OP_BELL);
	u->bell_armed = true;
}

static int ur_init(struct dp_worker *w)
{
	struct io_uring_params p;
	struct ur_worker *u;
	int err;

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN;
	/* Not SINGLE_ISSUER: the ring is set up on the main thread and then
	 * driven by the worker thread. */
	p.cq_entries = UR_RING_ENTRIES * 4;
	p.flags |= IORING_SETUP_CQSIZE;
	err = io_uring_queue_init_params(UR_RING_ENTRIES, &u->ring, &p);
	if (err) {
		/* Older kernels lack some flags: retry with none. */
		memset(&p, 0, sizeof(p));
		err = io_uring_queue_init_params(UR_RING_ENTRIES, &u->ring, &p);
	}
	if (err) {
		free(u);
		return err;
	}
	if (!(p.features & IORING_FEAT_EXT_ARG)) {
		io_uring_queue_exit(&u->ring);
		free(u);
		return -ENOSYS;
	}
	err = pool_init(&u->conns, "uring_conn", sizeof(struct ur_conn), w->limits.max_conns);
	if (err)
		goto fail;
	/* Chunks are shared by all connections of the worker: enough for
	 * every connection to hold one, plus headroom for bursts. */
	err = pool_init(&u->chunks, "uring_chunk", sizeof(struct ur_chunk),
			w->limits.max_conns / 4 + 256);
	if (err)
		goto fail;
	err = setup_buf_ring(u);
	if (err)
		goto fail;
	w->be = u;
	u->accept_backoff_ms = 100;
	arm_bell(w);
	return 0;
fail:
	io_uring_queue_exit(&u->ring);
	pool_fini(&u->conns);
	pool_fini(&u->chunks);
	free(u->bufs);
	free(u->br);
	free(u);
	return err;
}

static void ur_fini(struct dp_worker *w)
{
	struct ur_worker *u = uw_of(w);
	struct ur_listener *l, *next;

	for (l = u->listeners; l; l = next) {
		next = l->next;
		if (!l->closed)
			close(l->fd);
		free(l);
	}
	io_uring_queue_exit(&u->ring);
	pool_fini(&u->conns);
	pool_fini(&u->chunks);
	free(u->bufs);
	free(u->br);
	free(u);
	w->be = NULL;
}

/* ---- listeners ---- */

static void arm_accept(struct ur_listener *l)
{
	struct ur_worker *u = uw_of(l->w);
	struct io_uring_sqe *sqe = get_sqe(u);

	io_uring_prep_multishot_accept(sqe, l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	set_udata(sqe, l, UR_OP_ACCEPT);
	l->armed = true;
}

static void accept_backoff_fire(struct dp_timer *t, void *arg)
{
	struct ur_listener *l = arg;

	(void)t;
	if (!l->closed && !l->armed && !l->w->stopping)
		arm_accept(l);
}

static int open_listener(struct dp_worker *w, int family, const struct dp_addr *a,
			 const struct dp_handler *h, void *arg)
{
	struct ur_worker *u = uw_of(w);
	struct sockaddr_storage ss;
	socklen_t slen;
	struct ur_listener *l;
	int one = 1, fd, err;

	slen = dp_addr_to_sockaddr(a, family, &ss);
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    (family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))))
		goto fail_errno;
	if (bind(fd, (struct sockaddr *)&ss, slen) || listen(fd, 4096))
		goto fail_errno;
	l = calloc(1, sizeof(*l));
	if (!l) {
		close(fd);
		return -ENOMEM;
	}
	l->fd = fd;
	l->h = h;
	l->arg = arg;
	l->w = w;
	dp_timer_init(&l->backoff, accept_backoff_fire, l);
	l->next = u->listeners;
	u->listeners = l;
	arm_accept(l);
	return 0;
fail_errno:
	err = -errno;
	close(fd);
	return err;
}

static int ur_listen(struct dp_worker *w, const struct dp_addr *a,
		     const struct dp_handler *h, void *arg)
{
	int err;

	if (a->family != AF_UNSPEC)
		return open_listener(w, a->family, a, h, arg);
	err = open_listener(w, AF_INET, a, h, arg);
	if (err)
		return err;
	/* "Any" also listens on IPv6 where the host has it. */
	int err6 = open_listener(w, AF_INET6, a, h, arg);
	if (err6 && w->id == 0)
		log_warn("uring", "ipv6_listen_failed port=%u err=%d (%s); IPv4 only", a->port,
			 err6, strerror(-err6));
	return 0;
}

static void ur_stop_listening(struct dp_worker *w)
{
	struct ur_worker *u = uw_of(w);

	for (struct ur_listener *l = u->listeners; l; l = l->next) {
		if (l->closed)
			continue;
		dp_timer_cancel(&w->wheel, &l->backoff);
		if (l->armed) {
			struct io_uring_sqe *sqe = get_sqe(u);
			io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)l | UR_OP_ACCEPT, 0);
			set_udata(sqe, NULL, UR_OP_IGNORE);
		}
		/* The fd stays open until the accept is cancelled; closing a
		 * listening socket also ends a pending multishot accept. */
		shutdown(l->fd, SHUT_RDWR);
		close(l->fd);
		l->closed = true;
	}
}

static void ur_close(struct dp_conn *dc, bool abort_conn);

/* Past the drain deadline: reset every connection still open. */
static void ur_abort_all(struct dp_worker *w)
{
	struct ur_worker *u = uw_of(w);

	for (struct ur_conn *c = u->live; c; c = c->next)
		ur_close(&c->dc, true);
}

/* ---- connections ---- */

static struct ur_conn *uc_of(struct dp_conn *c)
{
	return (struct ur_conn *)c;
}

static void arm_recv(struct ur_worker *u, struct ur_conn *c)
{
	struct io_uring_sqe *sqe = get_sqe(u);

	io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = UR_BGID;
	set_udata(sqe, c, UR_OP_RECV);
	c->flags |= UC_RECV_ARMED;
	c->inflight++;
}

static void schedule_reap(struct ur_worker *u, struct ur_conn *c)
{
	if (c->flags & UC_REAPED)
		return;
	c->flags |= UC_REAPED;
	c->reap_next = u->reap;
	u->reap = c;
}

static void start_close(struct ur_worker *u, struct ur_conn *c, int err)
{
	if (!(c->flags & UC_CLOSING) && err)
		c->close_err = err;
	c->flags |= UC_CLOSING;
	c->flags &= ~UC_FLUSH_CLOSE;
	if (c->flags & UC_RECV_ARMED) {
		struct io_uring_sqe *sqe = get_sqe(u);
		io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)c | UR_OP_RECV, 0);
		set_udata(sqe, NULL, UR_OP_IGNORE);
	}
	/* A send in flight completes (or fails) on its own once the socket is
	 * shut down; shutdown also stops any receive the cancel raced with. */
	shutdown(c->fd, SHUT_RDWR);
	schedule_reap(u, c);
}

static void free_chunks(struct ur_worker *u, struct ur_conn *c)
{
	struct ur_chunk *k, *next;

	for (k = c->tx_head; k; k = next) {
		next = k->next;
		pool_put(&u->chunks, k);
	}
	c->tx_head = c->tx_tail = NULL;
	c->tx_bytes = 0;
}

/* Free what is closed and no longer referenced by the kernel. */
static void reap(struct dp_worker *w)
{
	struct ur_worker *u = uw_of(w);
	struct ur_conn **pp = &u->reap, *c;

	while ((c = *pp) != NULL) {
		if (c->inflight) {
			pp = &c->reap_next;
			continue;
		}
		*pp = c->reap_next;
		if (c->prev)
			c->prev->next = c->next;
		else
			u->live = c->next;
		if (c->next)
			c->next->prev = c->prev;
		close(c->fd);
		free_chunks(u, c);
		free(c->stash);
		dp__conn_release(w, &c->dc.peer);
		if (c->dc.h->on_close)
			c->dc.h->on_close(&c->dc, c->close_err);
		pool_put(&u->conns, c);
	}
}

static void kick_send(struct ur_worker *u, struct ur_conn *c)
{
	struct ur_chunk *k = c->tx_head;
	struct io_uring_sqe *sqe;

	if ((c->flags & UC_SEND_INFLIGHT) || !k)
		return;
	sqe = get_sqe(u);
	io_uring_prep_send(sqe, c->fd, k->data + k->sent, k->len - k->sent, MSG_NOSIGNAL);
	set_udata(sqe, c, UR_OP_SEND);
	c->flags |= UC_SEND_INFLIGHT;
	c->inflight++;
}

static int ur_send(struct dp_conn *dc, const void *data, size_t len)
{
	struct ur_conn *c = uc_of(dc);
	struct ur_worker *u = uw_of(dc->w);
	const uint8_t *p = data;
	struct ur_chunk *tail = c->tx_tail;
	size_t room = tail ? sizeof(tail->data) - tail->len : 0;
	size_t need;

	if (c->flags & (UC_CLOSING | UC_FLUSH_CLOSE))
		return -EPIPE;
	if (len == 0)
		return 0;
	/* All or nothing: check the queue limit and the chunk pool first. */
	need = len > room ? (len - room + sizeof(tail->data) - 1) / sizeof(tail->data) : 0;
	if ((c->tx_bytes > 0 && c->tx_bytes + len > dc->w->limits.send_queue_bytes) ||
	    u->chunks.capacity - pool_in_use(&u->chunks) < need) {
		c->flags |= UC_WANT_DRAIN;
		return -EAGAIN;
	}
	c->tx_bytes += len;
	dc->w->stats.bytes_out += len;
	if (room) {
		size_t n = room < len ? room : len;

		memcpy(tail->data + tail->len, p, n);
		tail->len += (uint32_t)n;
		p += n;
		len -= n;
	}
	while (len) {
		struct ur_chunk *k = pool_get(&u->chunks);
		size_t n = len < sizeof(k->data) ? len : sizeof(k->data);

		BUG_ON(k == NULL); /* counted above */
		k->next = NULL;
		k->len = (uint32_t)n;
		k->sent = 0;
		memcpy(k->data, p, n);
		if (c->tx_tail)
			c->tx_tail->next = k;
		else
			c->tx_head = k;
		c->tx_tail = k;
		p += n;
		len -= n;
	}
	kick_send(u, c);
	return 0;
}

static size_t ur_unsent(const struct dp_conn *dc)
{
	return ((const struct ur_conn *)dc)->tx_bytes;
}

static void ur_close(struct dp_conn *dc, bool abort_conn)
{
	struct ur_conn *c = uc_of(dc);
	struct ur_worker *u = uw_of(dc->w);

	if (c->flags & UC_CLOSING)
		return;
	if (abort_conn) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		/* A send in flight still reads its chunk: reap() frees the
		 * queue once the kernel let go of it (inflight == 0). */
		if (!(c->flags & UC_SEND_INFLIGHT))
			free_chunks(u, c);
		start_close(u, c, 0);
		return;
	}
	if (c->tx_bytes == 0) {
		start_close(u, c, 0);
		return;
	}
	c->flags |= UC_FLUSH_CLOSE;
}

static void deliver(struct ur_conn *c, const uint8_t *p, size_t n)
{
	if (c->flags & UC_CLOSING)
		return;
	if (c->flags & UC_PAUSED) {
		uint8_t *s = realloc(c->stash, c->stash_len + n);
		if (!s) {
			start_close(uw_of(c->dc.w), c, -ENOMEM);
			return;
		}
		memcpy(s + c->stash_len, p, n);
		c->stash = s;
		c->stash_len += n;
		return;
	}
	c->dc.w->stats.bytes_in += n;
	c->dc.h->on_data(&c->dc, p, n);
}

static void ur_pause_recv(struct dp_conn *dc, bool pause)
{
	struct ur_conn *c = uc_of(dc);
	struct ur_worker *u = uw_of(dc->w);

	if (c->flags & UC_CLOSING)
		return;
	if (pause) {
		/* Whoever pauses reading waits for its answers to drain: tell
		 * it when they have (on_drain). */
		c->flags |= UC_WANT_DRAIN;
		if (c->flags & UC_PAUSED)
			return;
		c->flags |= UC_PAUSED;
		if (c->flags & UC_RECV_ARMED) {
			struct io_uring_sqe *sqe = get_sqe(u);
			io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)c | UR_OP_RECV, 0);
			set_udata(sqe, NULL, UR_OP_IGNORE);
		}
		return;
	}
	if (!(c->flags & UC_PAUSED))
		return;
	c->flags &= ~UC_PAUSED;
	/* Hand over what arrived while paused one receive buffer at a time,
	 * stopping as soon as the handler pauses again: it gets no more at
	 * once than a live receive would give it. */
	while (c->stash_len && !(c->flags & (UC_PAUSED | UC_CLOSING))) {
		size_t n = c->stash_len < UR_RECV_BUF_SIZE ? c->stash_len : UR_RECV_BUF_SIZE;
		uint8_t piece[UR_RECV_BUF_SIZE];

		memcpy(piece, c->stash, n);
		memmove(c->stash, c->stash + n, c->stash_len - n);
		c->stash_len -= n;
		deliver(c, piece, n);
	}
	if (c->stash_len == 0) {
		free(c->stash);
		c->stash = NULL;
	}
	if (c->flags & UC_PAUSED)
		return;
	if ((c->flags & UC_EOF) && !(c->flags & UC_CLOSING)) {
		ur_close(dc, false);
		return;
	}
	if (!(c->flags & (UC_RECV_ARMED | UC_CLOSING | UC_PAUSED)))
		arm_recv(u, c);
}

/* ---- completions ---- */

static void on_accept(struct dp_worker *w, struct ur_listener *l, struct io_uring_cqe *cqe)
{
	struct ur_worker *u = uw_of(w);
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	struct dp_addr peer;
	struct ur_conn *c;
	int fd = cqe->res, one = 1, err;

	if (!(cqe->flags & IORING_CQE_F_MORE))
		l->armed = false;
	if (fd < 0) {
		if (l->closed || fd == -ECANCELED)
			return;
		w->stats.accept_errors++;
		/* EMFILE/ENFILE/ENOMEM: back off instead of spinning. */
		log_warn("uring", "accept_failed worker=%u err=%d (%s) backoff_ms=%u", w->id, fd,
			 strerror(-fd), u->accept_backoff_ms);
		if (!l->armed)
			dp_worker_timer_in(w, &l->backoff, u->accept_backoff_ms);
		return;
	}
	if (!l->armed && !l->closed)
		arm_accept(l);
	memset(&peer, 0, sizeof(peer));
	if (getpeername(fd, (struct sockaddr *)&ss, &slen) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
			peer.family = AF_INET;
			peer.v4 = sin->sin_addr;
			peer.port = ntohs(sin->sin_port);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
			peer.family = AF_INET6;
			peer.v6 = sin6->sin6_addr;
			peer.port = ntohs(sin6->sin6_port);
		}
	} else {
		close(fd); /* already gone */
		return;
	}
	if (w->stopping || dp__conn_admit(w, &peer) != 0) {
		close(fd);
		return;
	}
	c = pool_get_zeroed(&u->conns);
	if (!c) {
		dp__conn_release(w, &peer);
		w->stats.refused_max_conns++;
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	{
		/* Unacknowledged data for this long means the peer is gone:
		 * the kernel resets the connection rather than keep our send
		 * queue forever (the gateway also bounds a graceful close). */
		unsigned int user_timeout_ms = 30000;
		setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms,
			   sizeof(user_timeout_ms));
	}
	c->fd = fd;
	c->l = l;
	c->next = u->live;
	if (u->live)
		u->live->prev = c;
	u->live = c;
	c->dc.w = w;
	c->dc.h = l->h;
	c->dc.peer = peer;
	err = l->h->on_open ? l->h->on_open(&c->dc, l->arg) : 0;
	if (err) {
		c->close_err = err;
		c->flags |= UC_CLOSING;
		schedule_reap(u, c);
		return;
	}
	if (!(c->flags & (UC_CLOSING | UC_PAUSED)))
		arm_recv(u, c);
}

static void on_recv(struct dp_worker *w, struct ur_conn *c, struct io_uring_cqe *cqe)
{
	struct ur_worker *u = uw_of(w);
	int res = cqe->res;

	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		c->flags &= ~UC_RECV_ARMED;
		c->inflight--;
	}
	if (cqe->flags & IORING_CQE_F_BUFFER) {
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;

		if (res > 0)
			deliver(c, u->bufs + (size_t)bid * UR_RECV_BUF_SIZE, (size_t)res);
		recycle_buf(u, bid);
	}
	if (c->flags & UC_CLOSING)
		return;
	if (res == 0) {
		/* Peer finished sending: flush our answers, then close. */
		c->flags |= UC_EOF;
		if (c->flags & UC_PAUSED)
			return;
		ur_close(&c->dc, false);
		return;
	}
	if (res < 0 && res != -ENOBUFS && res != -ECANCELED) {
		start_close(u, c, res);
		return;
	}
	if (res == -ENOBUFS)
		log_debug("uring", "recv_no_buffers worker=%u", w->id);
	if (!(c->flags & (UC_RECV_ARMED | UC_PAUSED | UC_CLOSING)))
		arm_recv(u, c);
}

static void on_send(struct dp_worker *w, struct ur_conn *c, struct io_uring_cqe *cqe)
{
	struct ur_worker *u = uw_of(w);
	int res = cqe->res;

	c->flags &= ~UC_SEND_INFLIGHT;
	c->inflight--;
	if (c->flags & UC_CLOSING) {
		return;
	}
	if (res < 0) {
		if (res == -EAGAIN || res == -EINTR) {
			kick_send(u, c);
			return;
		}
		start_close(u, c, res);
		return;
	}
	/* Short writes are normal: advance and send the rest. */
	size_t n = (size_t)res;
	c->tx_bytes -= n;
	while (n && c->tx_head) {
		struct ur_chunk *k = c->tx_head;
		size_t in_k = k->len - k->sent;

		if (n < in_k) {
			k->sent += (uint32_t)n;
			break;
		}
		n -= in_k;
		c->tx_head = k->next;
		if (!c->tx_head)
			c->tx_tail = NULL;
		pool_put(&u->chunks, k);
	}
	if (c->tx_head) {
		kick_send(u, c);
	} else if (c->flags & UC_FLUSH_CLOSE) {
		start_close(u, c, 0);
		return;
	}
	/* A quarter, not a half: whoever waits (a full queue, a paused reader)
	 * should not flap between stopped and started on every send. */
	if ((c->flags & UC_WANT_DRAIN) && c->tx_bytes <= w->limits.send_queue_bytes / 4) {
		c->flags &= ~UC_WANT_DRAIN;
		if (c->dc.h->on_drain)
			c->dc.h->on_drain(&c->dc);
	}
}

static int ur_poll(struct dp_worker *w, uint64_t timeout_ms)
{
	struct ur_worker *u = uw_of(w);
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = {
		.tv_sec = (long long)(timeout_ms / 1000),
		.tv_nsec = (long long)(timeout_ms % 1000) * 1000000,
	};
	unsigned head, seen = 0;
	int err;

	reap(w);
	err = io_uring_submit_and_wait_timeout(&u->ring, &cqe, timeout_ms ? 1 : 0, &ts, NULL);
	if (err < 0 && err != -ETIME && err != -EINTR && err != -EAGAIN && err != -EBUSY)
		return err;
	io_uring_for_each_cqe(&u->ring, head, cqe) {
		uint64_t ud = io_uring_cqe_get_data64(cqe);
		void *p = (void *)(uintptr_t)(ud & ~(uint64_t)UR_OP_MASK);

		seen++;
		switch ((enum ur_op)(ud & UR_OP_MASK)) {
		case UR_OP_ACCEPT:
			on_accept(w, p, cqe);
			break;
		case UR_OP_RECV:
			on_recv(w, p, cqe);
			break;
		case UR_OP_SEND:
			on_send(w, p, cqe);
			break;
		case UR_OP_BELL:
			u->bell_armed = false;
			break;
		case UR_OP_IGNORE:
		default:
			break;
		}
	}
	io_uring_cq_advance(&u->ring, seen);
	if (!u->bell_armed)
		arm_bell(w);
	reap(w);
	/* Hand new SQEs (re-armed receives, sends) to the kernel now rather
	 * than after the next wait. */
	if (io_uring_sq_ready(&u->ring))
		io_uring_submit(&u->ring);
	return 0;
}

const struct dp_backend_ops dp_uring_ops = {
	.name = "uring",
	.init = ur_init,
	.fini = ur_fini,
	.listen = ur_listen,
	.stop_listening = ur_stop_listening,
	.abort_all = ur_abort_all,
	.poll = ur_poll,
	.send = ur_send,
	.close = ur_close,
	.pause_recv = ur_pause_recv,
	.unsent = ur_unsent,
};
