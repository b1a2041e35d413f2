/*
 * The connection layer: TLS (or plain) bytes in, HTTP/1.1 requests framed,
 * routed and answered in order, keep-alive and pipelining, timeouts.
 *
 * Memory: an idle connection holds only its struct gw_conn and wolfSSL's
 * session. Bytes of a request that arrived incompletely are copied into a
 * request buffer from the worker's pool, which goes back the moment the
 * request is complete; complete requests are parsed where they landed (the
 * TLS plaintext scratch) without a copy.
 */
#include "gateway/gw.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/compiler.h"
#include "base/log.h"

enum { T_NONE, T_HANDSHAKE, T_HEADER, T_IDLE, T_CLOSING };

/* A graceful close (answers still queued) gets this long before a reset:
 * a peer that never reads must not keep its connection and send chunks. */
#define GW_CLOSE_GRACE_MS 5000

struct gw_reqbuf {
	struct http_parser ps;
	struct http_request req;
	uint32_t len;
	bool sent_continue;
	struct http_header hdrs[]; /* limits.headers_max, then the data */
};

struct gw_conn {
	struct dp_conn *dc;
	struct gw_worker *gw;
	const struct gw_listener *lst;
	struct gw_conn *next, *prev;
	struct tls_conn tls;
	struct gw_reqbuf *rb;
	struct dp_timer timer;
	uint8_t timer_kind;
	bool closing;
	bool draining;
	bool resp_close;  /* the response being built closes the connection */
	bool pending;     /* a handler is waiting for the store: later bytes wait */
	bool dispatching; /* inside a handler: gw_op_finish must not re-enter serve() */
	bool blocked;     /* answers are not being read: serving paused until drained */
	struct gw_op *op; /* that handler's operation */
	struct http_str body;
	uint32_t served;
};

static char *rb_data(const struct gw_worker *gw, struct gw_reqbuf *rb)
{
	return (char *)&rb->hdrs[gw->limits.headers_max];
}

/* The largest request (head and body) a request buffer must hold. */
static size_t rb_cap(const struct gw_worker *gw)
{
	return gw->limits.head_max + gw->limits.body_max;
}

/*
 * The buffer itself is twice that: while serving is held up (a request
 * waiting for the store, or answers not being read) the bytes already in
 * flight — the rest of one receive and of one TLS record, at most 24 KiB —
 * must still fit behind a maximal request.
 */
static size_t rb_room_max(const struct gw_worker *gw)
{
	return 2 * rb_cap(gw);
}

struct http_str gw_conn_body(const struct gw_conn *conn)
{
	return conn->body;
}

const struct dp_addr *gw_conn_peer(const struct gw_conn *conn)
{
	return dp_conn_peer(conn->dc);
}

struct gw_worker *gw_conn_worker(const struct gw_conn *conn)
{
	return conn->gw;
}

static void arm(struct gw_conn *conn, uint8_t kind)
{
	const struct gw_config *cfg = &conn->gw->srv->cfg;
	uint32_t ms = kind == T_HANDSHAKE ? cfg->handshake_timeout_ms :
		      kind == T_HEADER ? cfg->header_timeout_ms : cfg->idle_timeout_ms;

	conn->timer_kind = kind;
	dp_worker_timer_in(&conn->gw->dw, &conn->timer, ms);
}

static void conn_close(struct gw_conn *conn, bool abort_conn)
{
	if (conn->closing)
		return;
	conn->closing = true;
	dp_timer_cancel(&conn->gw->dw.wheel, &conn->timer);
	if (conn->lst->tls && !abort_conn)
		tls_conn_close_notify(&conn->tls);
	dp_close(conn->dc, abort_conn);
	if (!abort_conn) {
		conn->timer_kind = T_CLOSING;
		dp_worker_timer_in(&conn->gw->dw, &conn->timer, GW_CLOSE_GRACE_MS);
	}
}

static int conn_send(struct gw_conn *conn, const void *p, size_t n)
{
	int err = conn->lst->tls ? tls_conn_write(&conn->tls, p, n) : dp_send(conn->dc, p, n);

	if (err) {
		/* The peer does not read its answers (or is gone): a pipelining
		 * client that never reads would otherwise hold our memory. */
		char a[64];
		log_info("http", "send_stuck peer=%s err=%d unsent=%zu",
			 dp_addr_format(dp_conn_peer(conn->dc), a, sizeof(a)), err,
			 dp_conn_unsent(conn->dc));
		conn_close(conn, true);
	}
	return err;
}

int gw_respond(struct gw_conn *conn, const struct http_request *req, int status,
	       const char *content_type, const char *body, size_t body_len,
	       const struct http_header *extra, size_t n_extra)
{
	struct gw_worker *gw = conn->gw;
	struct http_response rsp = {
		.status = status,
		.content_type = content_type,
		.keep_alive = req && req->keep_alive && !conn->draining && !conn->resp_close,
		.head_only = req && req->method_id == HTTP_M_HEAD,
		.extra = extra,
		.n_extra = n_extra,
		.body = body,
		.body_len = body_len,
	};
	ssize_t n;

	if (conn->closing)
		return -EPIPE;
	n = http_write_response(gw->out, GW_OUT_MAX, &rsp, &gw->date, time(NULL));
	BUG_ON(n < 0); /* handlers build bodies far below GW_OUT_MAX */
	if (status >= 100 && status < 600)
		atomic_fetch_add_explicit(&gw->stats.responses[status / 100], 1,
					  memory_order_relaxed);
	if (!rsp.keep_alive)
		conn->resp_close = true;
	return conn_send(conn, gw->out, (size_t)n);
}

int gw_respond_error(struct gw_conn *conn, const struct http_request *req, int status,
		     const char *code, const char *detail)
{
	return gw_respond_error_ex(conn, req, status, code, detail, NULL, 0);
}

int gw_respond_error_ex(struct gw_conn *conn, const struct http_request *req, int status,
			const char *code, const char *detail, const struct http_header *extra,
			size_t n_extra)
{
	struct gw_worker *gw = conn->gw;
	struct http_response rsp = {
		.status = status,
		.keep_alive = req && req->keep_alive && !conn->draining && !conn->resp_close,
		.head_only = req && req->method_id == HTTP_M_HEAD,
		.extra = extra,
		.n_extra = n_extra,
	};
	ssize_t n;

	if (conn->closing)
		return -EPIPE;
	n = http_write_json_error(gw->out, GW_OUT_MAX, &rsp, code, detail, strlen(detail),
				  &gw->date, time(NULL));
	BUG_ON(n < 0);
	atomic_fetch_add_explicit(&gw->stats.responses[status / 100], 1, memory_order_relaxed);
	if (!rsp.keep_alive)
		conn->resp_close = true;
	return conn_send(conn, gw->out, (size_t)n);
}

/* Answer a request whose head could not be parsed, then close. */
static void reject(struct gw_conn *conn, int perr)
{
	struct gw_worker *gw = conn->gw;
	char a[64];

	atomic_fetch_add_explicit(&gw->stats.bad_requests, 1, memory_order_relaxed);
	log_debug("http", "bad_request peer=%s err=%s",
		  dp_addr_format(dp_conn_peer(conn->dc), a, sizeof(a)), http_perr_code(perr));
	conn->resp_close = true;
	gw_respond_error(conn, NULL, http_perr_status(perr), http_perr_code(perr),
			 http_perr_detail(perr));
}

static void dispatch(struct gw_conn *conn, const struct http_request *req, struct http_str body)
{
	struct gw_worker *gw = conn->gw;
	struct http_route_match m;
	int r;

	atomic_fetch_add_explicit(&gw->stats.requests, 1, memory_order_relaxed);
	conn->served++;
	conn->body = body;
	r = http_router_lookup(conn->lst->router, req->method_id, req->path, &m);
	if (r == 0) {
		conn->dispatching = true;
		m.fn(conn, req, m.param, m.arg);
		conn->dispatching = false;
	} else if (r == 405) {
		char allow[HTTP_ALLOW_MAX + 1];
		struct http_header h = { { "Allow", 5 }, { allow, m.allow.n } };

		memcpy(allow, m.allow.p, m.allow.n);
		allow[m.allow.n] = '\0';
		struct http_response rsp = {
			.status = 405,
			.keep_alive = req->keep_alive && !conn->draining,
			.head_only = req->method_id == HTTP_M_HEAD,
			.extra = &h,
			.n_extra = 1,
		};
		ssize_t n = http_write_json_error(gw->out, GW_OUT_MAX, &rsp, "method_not_allowed",
						  "this path does not accept that method", 37,
						  &gw->date, time(NULL));
		BUG_ON(n < 0);
		atomic_fetch_add_explicit(&gw->stats.responses[4], 1, memory_order_relaxed);
		if (!rsp.keep_alive)
			conn->resp_close = true;
		conn_send(conn, gw->out, (size_t)n);
	} else if (r == 501) {
		gw_respond_error(conn, req, 501, "not_implemented", "unknown method");
	} else {
		gw_respond_error(conn, req, 404, "not_found", "no such resource");
	}
	conn->body = (struct http_str){ NULL, 0 };
}

/*
 * Frame and serve every complete request at the start of buf. Returns the
 * bytes consumed; what is left is the start of an incomplete request.
 * ps/req hold the parse state for the first request (resumed or fresh).
 */
static size_t serve(struct gw_conn *conn, struct http_parser *ps, struct http_request *req,
		    const char *buf, size_t len, bool *sent_continue)
{
	size_t off = 0;

	while (off < len && !conn->closing && !conn->resp_close && !conn->pending) {
		ssize_t head;

		/*
		 * Backpressure: a pipelining client that does not read its
		 * answers fast enough gets no more served (nor read) until the
		 * send queue drains; the rest waits in the request buffer.
		 */
		if (dp_conn_unsent(conn->dc) > conn->gw->srv->cfg.send_queue_bytes / 2) {
			conn->blocked = true;
			dp_pause_recv(conn->dc, true);
			break;
		}
		head = http_parse_request(ps, buf + off, len - off, req);
		struct http_str body;
		ssize_t blen;

		if (head == HTTP_EAGAIN)
			break;
		if (head < 0) {
			reject(conn, (int)head);
			conn_close(conn, false);
			return len;
		}
		blen = http_body_frame(req, buf + off + head, len - off - (size_t)head, &body);
		if (blen == HTTP_EAGAIN) {
			if ((req->flags & HTTP_F_EXPECT_100) && sent_continue && !*sent_continue) {
				static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
				*sent_continue = true;
				conn_send(conn, cont, sizeof(cont) - 1);
			}
			break;
		}
		dispatch(conn, req, body);
		off += (size_t)head + (size_t)blen;
		if (sent_continue)
			*sent_continue = false;
		http_parser_init(ps, &conn->gw->limits);
		req->headers = conn->rb ? conn->rb->hdrs : conn->gw->hdrs;
		req->headers_cap = conn->gw->limits.headers_max;
	}
	if (conn->resp_close && !conn->closing)
		conn_close(conn, false);
	return conn->closing ? len : off;
}

static void rb_release(struct gw_conn *conn)
{
	/* Requests carry credentials (Authorization) and message text. */
	explicit_bzero(rb_data(conn->gw, conn->rb), conn->rb->len);
	pool_put(&conn->gw->reqbufs, conn->rb);
	conn->rb = NULL;
}

static void rb_reset_parser(struct gw_conn *conn)
{
	struct gw_reqbuf *rb = conn->rb;

	http_parser_init(&rb->ps, &conn->gw->limits);
	memset(&rb->req, 0, sizeof(rb->req));
	rb->req.headers = rb->hdrs;
	rb->req.headers_cap = conn->gw->limits.headers_max;
	rb->sent_continue = false;
}

/* Take a request buffer for conn, or answer 503 and close. */
static bool rb_take(struct gw_conn *conn)
{
	struct gw_worker *gw = conn->gw;
	struct http_header ra = { { "Retry-After", 11 }, { "1", 1 } };
	struct http_response rsp = { .status = 503, .keep_alive = false, .extra = &ra,
				     .n_extra = 1 };
	ssize_t n;

	conn->rb = pool_get(&gw->reqbufs);
	if (conn->rb) {
		rb_reset_parser(conn);
		conn->rb->len = 0;
		return true;
	}
	atomic_fetch_add_explicit(&gw->stats.rejected_busy, 1, memory_order_relaxed);
	conn->resp_close = true;
	n = http_write_json_error(gw->out, GW_OUT_MAX, &rsp, "busy",
				  "too many requests in progress", 29, &gw->date, time(NULL));
	BUG_ON(n < 0);
	conn_send(conn, gw->out, (size_t)n);
	conn_close(conn, false);
	return false;
}

/* Serve what the request buffer holds, until it is empty, incomplete or a
 * handler went to the store. */
static void process_rb(struct gw_conn *conn)
{
	struct gw_worker *gw = conn->gw;
	struct gw_reqbuf *rb = conn->rb;
	char *d = rb_data(gw, rb);
	size_t used;

	for (;;) {
		if (conn->pending || conn->blocked || conn->closing)
			return;
		used = serve(conn, &rb->ps, &rb->req, d, rb->len, &rb->sent_continue);
		if (conn->closing)
			return;
		if (used == 0) {
			if (rb->len >= rb_cap(gw) && !conn->blocked) {
				/* Full yet incomplete: cannot be within limits. */
				reject(conn, HTTP_E_HEAD_TOO_LARGE);
				conn_close(conn, false);
			}
			return;
		}
		memmove(d, d + used, rb->len - used);
		rb->len -= (uint32_t)used;
		rb_reset_parser(conn);
		if (rb->len == 0) {
			rb_release(conn);
			if (!conn->pending)
				arm(conn, T_IDLE);
			return;
		}
		if (!conn->pending)
			arm(conn, T_HEADER); /* the next request has started */
	}
}

/* Plaintext bytes of the HTTP stream, in order. */
static void http_input(void *arg, const uint8_t *data, size_t len)
{
	struct gw_conn *conn = arg;
	struct gw_worker *gw = conn->gw;
	const char *p = (const char *)data;
	struct gw_reqbuf *rb;

	if (conn->closing || conn->resp_close)
		return;
	if (!conn->rb && !conn->pending && !conn->blocked) {
		/* Fast path: serve complete requests where they landed. */
		struct http_parser ps;
		struct http_request req = { .headers = gw->hdrs,
					    .headers_cap = gw->limits.headers_max };
		size_t used;

		http_parser_init(&ps, &gw->limits);
		used = serve(conn, &ps, &req, p, len, NULL);
		if (conn->closing)
			return;
		if (used == len) {
			if (conn->pending)
				dp_timer_cancel(&gw->dw.wheel, &conn->timer);
			else
				arm(conn, T_IDLE);
			return;
		}
		p += used;
		len -= used;
	}
	/* Keep the bytes of an incomplete request, or of requests that wait
	 * behind one a handler is still working on. */
	if (!conn->rb && !rb_take(conn))
		return;
	while (len && !conn->closing) {
		size_t room, n;

		rb = conn->rb;
		if (!rb) {
			/* Serving emptied and released it: the rest of the chunk
			 * starts a new round. */
			http_input(conn, (const uint8_t *)p, len);
			return;
		}
		{
			size_t cap = (conn->pending || conn->blocked) ? rb_room_max(gw) : rb_cap(gw);

			room = cap > rb->len ? cap - rb->len : 0;
		}
		if (room == 0 && (conn->pending || conn->blocked)) {
			/* Pipelining more than a maximal request behind one in
			 * progress: refuse rather than buffer without bound. */
			log_info("http", "pipeline_overflow served=%u", conn->served);
			conn_close(conn, true);
			return;
		}
		/* Take what fits; serving frees room for the rest (pipelined
		 * requests behind this one must not be cut off). */
		n = len < room ? len : room;
		memcpy(rb_data(gw, rb) + rb->len, p, n);
		rb->len += (uint32_t)n;
		p += n;
		len -= n;
		if (conn->pending || conn->blocked) {
			if (conn->pending)
				dp_timer_cancel(&gw->dw.wheel, &conn->timer);
			continue;
		}
		if (conn->timer_kind != T_HEADER || !dp_timer_armed(&conn->timer))
			arm(conn, T_HEADER);
		process_rb(conn);
	}
}

/* A handler's store operation is answered: serve what waited behind it. */
static void conn_resume(struct gw_conn *conn)
{
	conn->pending = false;
	if (conn->closing)
		return;
	if (conn->resp_close) {
		conn_close(conn, false);
		return;
	}
	if (conn->rb) {
		arm(conn, T_HEADER);
		process_rb(conn);
	} else {
		arm(conn, T_IDLE);
	}
}

/* ---- operations that wait for the store ---- */

struct gw_op *gw_op_new(struct gw_worker *gw, gw_op_done_fn done)
{
	struct gw_op *op = pool_get(&gw->ops);

	if (!op)
		return NULL;
	memset(&op->st, 0, sizeof(op->st));
	op->st.cookie = op;
	op->conn = NULL;
	op->sip = NULL;
	op->dlv = NULL;
	op->no_notify = false;
	op->gw = gw;
	op->done = done;
	op->rq_keep_alive = false;
	op->rq_method = 0;
	op->started_ns = 0;
	op->ar = NULL;
	return op;
}

struct gw_op *gw_op_start(struct gw_conn *conn, const struct http_request *req, gw_op_done_fn done)
{
	struct gw_op *op = gw_op_new(conn->gw, done);

	if (!op)
		return NULL;
	op->conn = conn;
	op->rq_keep_alive = req->keep_alive;
	op->rq_method = req->method_id;
	conn->op = op;
	conn->pending = true;
	return op;
}

int gw_op_submit(struct gw_op *op)
{
	struct gw_worker *gw = op->gw;
	struct st_req *r = &op->st;

	if (!gw->chan || st_chan_submit(gw->chan, &r, 1) != 1)
		return -EBUSY;
	return 0;
}

void gw_op_respond(struct gw_op *op, int status, const char *content_type, const char *body,
		   size_t body_len, const struct http_header *extra, size_t n_extra)
{
	struct http_request rq = { .keep_alive = op->rq_keep_alive, .method_id = op->rq_method };

	if (op->conn)
		gw_respond(op->conn, &rq, status, content_type, body, body_len, extra, n_extra);
}

void gw_op_respond_error(struct gw_op *op, int status, const char *code, const char *detail,
			 const struct http_header *extra, size_t n_extra)
{
	struct http_request rq = { .keep_alive = op->rq_keep_alive, .method_id = op->rq_method };

	if (op->conn)
		gw_respond_error_ex(op->conn, &rq, status, code, detail, extra, n_extra);
}

void gw_op_finish(struct gw_op *op)
{
	struct gw_conn *conn = op->conn;

	explicit_bzero(op->token, sizeof(op->token));
	pool_put(&gw_op_worker(op)->ops, op);
	if (conn) {
		conn->op = NULL;
		/* Finished inside its own handler (a synchronous failure): the
		 * serve() loop that called the handler goes on by itself. */
		if (conn->dispatching)
			conn->pending = false;
		else
			conn_resume(conn);
	}
}

static void on_timer(struct dp_timer *t, void *arg)
{
	struct gw_conn *conn = arg;
	struct gw_worker *gw = conn->gw;
	char a[64];

	(void)t;
	if (conn->closing) {
		if (conn->timer_kind == T_CLOSING) {
			log_info("http", "close_timeout unsent=%zu", dp_conn_unsent(conn->dc));
			dp_close(conn->dc, true);
		}
		return;
	}
	dp_addr_format(dp_conn_peer(conn->dc), a, sizeof(a));
	switch (conn->timer_kind) {
	case T_HANDSHAKE:
		atomic_fetch_add_explicit(&gw->stats.timeouts_handshake, 1, memory_order_relaxed);
		log_debug("tls", "handshake_timeout peer=%s", a);
		conn_close(conn, true);
		break;
	case T_HEADER:
		/* Slowloris or a stalled client: 408, then close (RFC 9110 §15.5.9). */
		atomic_fetch_add_explicit(&gw->stats.timeouts_header, 1, memory_order_relaxed);
		log_info("http", "request_timeout peer=%s", a);
		conn->resp_close = true;
		gw_respond_error(conn, NULL, 408, "request_timeout",
				 "the request was not received in time");
		conn_close(conn, false);
		break;
	case T_IDLE:
		atomic_fetch_add_explicit(&gw->stats.timeouts_idle, 1, memory_order_relaxed);
		conn_close(conn, false);
		break;
	default:
		break;
	}
}

static int on_open(struct dp_conn *dc, void *arg)
{
	struct gw_listener *lst = arg;
	struct gw_worker *gw = container_of(dp_conn_worker(dc), struct gw_worker, dw);
	struct gw_conn *conn = pool_get_zeroed(&gw->conns);

	if (!conn)
		return -ENOMEM;
	conn->dc = dc;
	conn->gw = gw;
	conn->lst = lst;
	dp_timer_init(&conn->timer, on_timer, conn);
	if (lst->tls && tls_conn_init(&conn->tls, gw->tls, dc) != 0) {
		pool_put(&gw->conns, conn);
		return -ENOMEM;
	}
	conn->next = gw->live;
	if (gw->live)
		gw->live->prev = conn;
	gw->live = conn;
	dp_conn_set_udata(dc, conn);
	arm(conn, lst->tls ? T_HANDSHAKE : T_IDLE);
	return 0;
}

int gw_tls_feed(struct gw_worker *gw, struct tls_conn *t, struct dp_conn *dc,
		const uint8_t *data, size_t len, tls_deliver_fn deliver, void *arg, bool *handshook)
{
	bool was_done = t->handshake_done;
	int r = tls_conn_feed(t, data, len, gw->scratch, GW_TLS_SCRATCH, deliver, arg);

	*handshook = !was_done && t->handshake_done;
	if (*handshook)
		atomic_fetch_add_explicit(&gw->stats.tls_handshakes, 1, memory_order_relaxed);
	if (r == TLS_E_HANDSHAKE) {
		char a[64];

		atomic_fetch_add_explicit(&gw->stats.tls_handshake_failures, 1,
					  memory_order_relaxed);
		log_debug("tls", "handshake_failed peer=%s",
			  dp_addr_format(dp_conn_peer(dc), a, sizeof(a)));
	}
	return r;
}

static void on_data(struct dp_conn *dc, const uint8_t *data, size_t len)
{
	struct gw_conn *conn = dp_conn_udata(dc);
	struct gw_worker *gw = conn->gw;
	bool handshook;
	int r;

	if (conn->closing)
		return;
	if (!conn->lst->tls) {
		http_input(conn, data, len);
		return;
	}
	r = gw_tls_feed(gw, &conn->tls, dc, data, len, http_input, conn, &handshook);
	if (handshook && conn->timer_kind == T_HANDSHAKE && !conn->closing && !conn->pending)
		arm(conn, conn->rb ? T_HEADER : T_IDLE);
	if (r == 0 || conn->closing)
		return;
	if (r == TLS_E_HANDSHAKE) {
		conn->closing = true;
		dp_timer_cancel(&gw->dw.wheel, &conn->timer);
		dp_close(dc, false); /* flush the alert wolfSSL queued */
		return;
	}
	conn_close(conn, r != TLS_E_CLOSED);
}

static void on_drain(struct dp_conn *dc)
{
	struct gw_conn *conn = dp_conn_udata(dc);

	if (!conn || !conn->blocked || conn->closing)
		return;
	conn->blocked = false;
	/* Serve what is already buffered first; read again only if that did
	 * not fill the queue once more. */
	if (conn->rb && !conn->pending)
		process_rb(conn);
	if (conn->blocked || conn->closing)
		return;
	dp_pause_recv(dc, false);
	if (!conn->rb && !conn->pending && !conn->closing && !conn->blocked)
		arm(conn, T_IDLE);
}

static void on_close(struct dp_conn *dc, int err)
{
	struct gw_conn *conn = dp_conn_udata(dc);
	struct gw_worker *gw;

	(void)err;
	if (!conn)
		return;
	gw = conn->gw;
	dp_timer_cancel(&gw->dw.wheel, &conn->timer);
	if (conn->lst->tls)
		tls_conn_free(&conn->tls);
	if (conn->rb)
		rb_release(conn);
	if (conn->op)
		conn->op->conn = NULL; /* the store answers later; gw_op_finish frees it */
	if (conn->prev)
		conn->prev->next = conn->next;
	else
		gw->live = conn->next;
	if (conn->next)
		conn->next->prev = conn->prev;
	pool_put(&gw->conns, conn);
}

void gw_conn_drain_all(struct gw_worker *gw)
{
	for (struct gw_conn *c = gw->live; c; c = c->next) {
		c->draining = true;
		/* Idle ones go now; those mid-request finish, answer with
		 * Connection: close, and go then. */
		if (!c->rb && !c->pending && !c->closing &&
		    (c->timer_kind == T_IDLE || c->timer_kind == T_HANDSHAKE))
			conn_close(c, c->timer_kind == T_HANDSHAKE);
	}
}

/* Sizes for the pools (gateway/worker.c). */
size_t gw__conn_size(void);
size_t gw__reqbuf_size(const struct http_limits *lim);

size_t gw__conn_size(void)
{
	return sizeof(struct gw_conn);
}

size_t gw__reqbuf_size(const struct http_limits *lim)
{
	/* Data: twice a maximal request, see rb_room_max(). */
	return sizeof(struct gw_reqbuf) + lim->headers_max * sizeof(struct http_header) +
	       2 * (lim->head_max + lim->body_max);
}

const struct dp_handler gw_conn_handler = {
	.on_open = on_open,
	.on_data = on_data,
	.on_drain = on_drain,
	.on_close = on_close,
};
