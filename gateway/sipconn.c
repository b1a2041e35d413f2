/*
 * The SIP over TLS connection layer: TLS bytes in, SIP messages framed
 * (pipelined, resumable), keepalives answered, requests dispatched in order,
 * one timer for the handshake / idle / incomplete-message timeouts and one
 * for the expiry of the flow's registration. Patterned on gateway/conn.c.
 */
#include "gateway/sipconn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/compiler.h"
#include "base/log.h"
#include "gateway/registrar.h"
#include "gateway/sipconn_int.h"
#include "gateway/sipsubmit.h"

static const struct sip_hdr_out allow_hdr = {
	"Allow", { "REGISTER, MESSAGE, OPTIONS", 26 }
};

static size_t buf_cap(const struct gw_worker *gw)
{
	return gw->srv->cfg.sip_max_message_bytes;
}

uint64_t gw_sipconn_flow(const struct gw_sipconn *sc)
{
	return sc->flow;
}

struct gw_worker *gw_sipconn_worker(const struct gw_sipconn *sc)
{
	return sc->gw;
}

const char *gw_sipconn_bound_user(const struct gw_sipconn *sc)
{
	return sc->bound_user;
}

const char *gw_sipconn_authed_user(const struct gw_sipconn *sc)
{
	return sc->authed_user;
}

void gw_sipconn_set_authed(struct gw_sipconn *sc, const char *user, size_t user_len)
{
	if (user_len > ST_NAME_MAX)
		user_len = ST_NAME_MAX;
	memcpy(sc->authed_user, user, user_len);
	sc->authed_user[user_len] = '\0';
}

static void arm(struct gw_sipconn *sc, uint8_t kind)
{
	const struct gw_config *cfg = &sc->gw->srv->cfg;
	uint32_t ms = kind == T_HANDSHAKE ? cfg->handshake_timeout_ms : cfg->sip_idle_timeout_ms;

	sc->timer_kind = kind;
	dp_worker_timer_in(&sc->gw->dw, &sc->timer, ms);
}

/* Nothing in progress: a flow with a binding waits for its expiry (and the
 * UA's keepalives), one without is closed when idle. */
static void arm_rest(struct gw_sipconn *sc)
{
	if (sc->bound_user[0]) {
		sc->timer_kind = T_NONE;
		dp_timer_cancel(&sc->gw->dw.wheel, &sc->timer);
	} else {
		arm(sc, T_IDLE);
	}
}

static void sc_close(struct gw_sipconn *sc, bool abort_conn)
{
	if (sc->closing)
		return;
	sc->closing = true;
	dp_timer_cancel(&sc->gw->dw.wheel, &sc->timer);
	dp_timer_cancel(&sc->gw->dw.wheel, &sc->bind_timer);
	if (!abort_conn)
		tls_conn_close_notify(&sc->tls);
	dp_close(sc->dc, abort_conn);
	if (!abort_conn) {
		sc->timer_kind = T_CLOSING;
		dp_worker_timer_in(&sc->gw->dw, &sc->timer, GW_SIP_CLOSE_GRACE_MS);
	}
}

int gw__sip_send(struct gw_sipconn *sc, const void *p, size_t n)
{
	int err;

	if (sc->closing)
		return -EPIPE;
	err = tls_conn_write(&sc->tls, p, n);
	if (err) {
		char a[64];
		log_info("sip", "send_stuck peer=%s err=%d unsent=%zu",
			 dp_addr_format(dp_conn_peer(sc->dc), a, sizeof(a)), err,
			 dp_conn_unsent(sc->dc));
		sc_close(sc, true);
	}
	return err;
}

int gw_sipconn_respond(struct gw_sipconn *sc, const struct sip_msg *req, int status,
		       const char *reason, const struct sip_hdr_out *extra, size_t n_extra)
{
	struct gw_worker *gw = sc->gw;
	struct sip_str tag = { sc->tag, strlen(sc->tag) };
	ssize_t n;

	if (sc->closing)
		return -EPIPE;
	n = sip_write_response(gw->out, GW_OUT_MAX, req, status, reason, tag, extra, n_extra,
			       NULL, 0);
	if (n < 0) {
		/* Only a request whose copied headers the writer refuses gets
		 * here (the parser accepted them): give up on the flow. */
		log_info("sip", "response_unwritable status=%d err=%zd", status, n);
		sc_close(sc, false);
		return (int)n;
	}
	return gw__sip_send(sc, gw->out, (size_t)n);
}

/* Can a response to this (rejected) message be built? Needs a request with
 * the headers a response copies. */
static bool answerable(const struct sip_msg *m)
{
	return m->is_request && m->method_id != SIP_M_ACK && m->n_via > 0 && m->call_id.n &&
	       m->cseq_method.n && m->from.uri.n && m->to.uri.n;
}

/* A message the parser refused: the framing is lost. Answer if we can
 * ("400 Bad Request (bare_lf)"), then close. */
static void reject(struct gw_sipconn *sc, const struct sip_msg *m, int perr)
{
	char a[64], reason[96];
	int status = sip_perr_status(perr);

	log_debug("sip", "bad_message peer=%s err=%s",
		  dp_addr_format(dp_conn_peer(sc->dc), a, sizeof(a)), sip_perr_name(perr));
	if (answerable(m)) {
		snprintf(reason, sizeof(reason), "%s (%s)", sip_reason(status), sip_perr_name(perr));
		gw_sipconn_respond(sc, m, status, reason, NULL, 0);
	}
	sc_close(sc, false);
}

static bool for_us(const struct gw_sipconn *sc, const struct sip_msg *m)
{
	return sip_str_eq_nocase(m->ruri.host, sc->gw->srv->cfg.domain);
}

static void dispatch(struct gw_sipconn *sc, const struct sip_msg *m)
{
	static const struct sip_hdr_out options_hdrs[] = {
		{ "Allow", { "REGISTER, MESSAGE, OPTIONS", 26 } },
		{ "Accept", { "text/plain", 10 } },
		{ "Supported", { "outbound", 8 } },
	};

	if (!m->is_request) {
		/* Answers to our MESSAGEs; anything else is not ours. */
		if (!gw_dlv_response(sc, m))
			log_debug("sip", "response_ignored flow=%llx status=%d cseq=%u",
				  (unsigned long long)sc->flow, m->status, m->cseq);
		return;
	}
	if (m->method_id == SIP_M_ACK)
		return; /* never answered (RFC 3261 §17.2.1) */
	if (m->max_forwards == 0 && !for_us(sc, m)) {
		gw_sipconn_respond(sc, m, 483, NULL, NULL, 0);
		return;
	}
	switch (m->method_id) {
	case SIP_M_OPTIONS:
		gw_sipconn_respond(sc, m, 200, NULL, options_hdrs, ARRAY_SIZE(options_hdrs));
		break;
	case SIP_M_REGISTER:
		gw_registrar_register(sc, m);
		break;
	case SIP_M_MESSAGE:
		gw_sip_submit(sc, m);
		break;
	default:
		gw_sipconn_respond(sc, m, 405, NULL, &allow_hdr, 1);
		break;
	}
}

static void parser_reset(struct gw_sipconn *sc, struct sip_parser *ps, struct sip_msg *m,
			 struct sip_header *hdrs)
{
	sip_parser_init(ps, &sc->gw->sip.limits);
	memset(m, 0, sizeof(*m));
	m->headers = hdrs;
	m->headers_cap = GW_SIP_HEADERS_MAX;
}

/*
 * Serve the complete messages and keepalives at the start of buf. Returns
 * the bytes consumed; when a request went to the store (sc->pending) it is
 * not consumed: it starts at the returned offset.
 */
static size_t serve(struct gw_sipconn *sc, struct sip_parser *ps, struct sip_msg *m,
		    struct sip_header *hdrs, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len && !sc->closing && !sc->pending) {
		ssize_t ka = sip_keepalive(buf + off, len - off);
		ssize_t r;

		if (ka == SIP_EAGAIN)
			break;
		if (ka == 4) {
			/* RFC 5626 §4.4.1: a CRLFCRLF ping gets a CRLF pong. */
			gw__sip_send(sc, "\r\n", 2);
			off += 4;
			continue;
		}
		if (ka == 2) {
			off += 2;
			continue;
		}
		r = sip_parse_message(ps, buf + off, len - off, m);
		if (r == SIP_EAGAIN)
			break;
		if (r < 0) {
			reject(sc, m, (int)r);
			return len;
		}
		if ((size_t)r > buf_cap(sc->gw)) {
			reject(sc, m, SIP_E_HEAD_TOO_LARGE);
			return len;
		}
		dispatch(sc, m);
		if (sc->pending) {
			sc->held_len = (uint32_t)r;
			return off;
		}
		off += (size_t)r;
		parser_reset(sc, ps, m, hdrs);
	}
	return sc->closing ? len : off;
}

static bool buf_take(struct gw_sipconn *sc)
{
	struct gw_sipbuf *b = pool_get(&sc->gw->sip.bufs);

	if (!b) {
		log_info("sip", "busy flow=%llx note=\"no message buffer free\"",
			 (unsigned long long)sc->flow);
		sc_close(sc, true);
		return false;
	}
	b->len = 0;
	parser_reset(sc, &b->ps, &b->msg, b->hdrs);
	sc->buf = b;
	return true;
}

static void buf_release(struct gw_sipconn *sc)
{
	/* REGISTERs carry credentials (Authorization). */
	explicit_bzero(sc->buf->data, sc->buf->len);
	pool_put(&sc->gw->sip.bufs, sc->buf);
	sc->buf = NULL;
}

/* The request in hand moved to buf->data[0]: parse it again there so the
 * registrar's view of it stays valid while the store works. */
static void hold(struct gw_sipconn *sc)
{
	struct gw_sipbuf *b = sc->buf;
	ssize_t r;

	parser_reset(sc, &b->ps, &b->msg, b->hdrs);
	r = sip_parse_message(&b->ps, b->data, b->len, &b->msg);
	BUG_ON(r != (ssize_t)sc->held_len);
}

/* Drop the first used bytes of the buffer. */
static void buf_consume(struct gw_sipconn *sc, size_t used)
{
	struct gw_sipbuf *b = sc->buf;

	memmove(b->data, b->data + used, b->len - used);
	b->len -= (uint32_t)used;
	explicit_bzero(b->data + b->len, used); /* no stale credentials past len */
	parser_reset(sc, &b->ps, &b->msg, b->hdrs);
}

/* Serve what the buffer holds until it is empty, incomplete or waiting. */
static void process_buf(struct gw_sipconn *sc)
{
	struct gw_sipbuf *b = sc->buf;
	size_t used;

	if (sc->pending || sc->closing)
		return;
	used = serve(sc, &b->ps, &b->msg, b->hdrs, b->data, b->len);
	if (sc->closing)
		return;
	if (used)
		buf_consume(sc, used);
	if (sc->pending) {
		hold(sc);
		dp_timer_cancel(&sc->gw->dw.wheel, &sc->timer);
		return;
	}
	if (b->len == 0) {
		buf_release(sc);
		arm_rest(sc);
		return;
	}
	if (b->len == buf_cap(sc->gw)) {
		/* Full yet incomplete: larger than max_message_bytes. */
		log_info("sip", "message_too_large flow=%llx", (unsigned long long)sc->flow);
		sc_close(sc, false);
		return;
	}
	if (used || sc->timer_kind != T_MSG || !dp_timer_armed(&sc->timer))
		arm(sc, T_MSG); /* a message has started */
}

/* Plaintext bytes of the SIP stream, in order. */
static void sip_input(void *arg, const uint8_t *data, size_t len)
{
	struct gw_sipconn *sc = arg;
	struct gw_worker *gw = sc->gw;
	const char *p = (const char *)data;
	bool fresh_hold = false;

	if (sc->closing)
		return;
	if (!sc->buf && !sc->pending) {
		/* Fast path: serve complete messages where they landed. */
		struct sip_parser ps;
		struct sip_msg m;
		size_t used;

		parser_reset(sc, &ps, &m, gw->sip.hdrs);
		used = serve(sc, &ps, &m, gw->sip.hdrs, p, len);
		if (sc->closing)
			return;
		if (used == len) {
			arm_rest(sc);
			return;
		}
		p += used;
		len -= used;
		fresh_hold = sc->pending;
	}
	while (len && !sc->closing) {
		struct gw_sipbuf *b;
		size_t room, n;

		if (!sc->buf && !buf_take(sc))
			return;
		b = sc->buf;
		room = buf_cap(gw) - b->len;
		if (room == 0) {
			/* Only possible behind a waiting request: more than one
			 * maximal message pipelined behind it. */
			log_info("sip", "pipeline_overflow flow=%llx", (unsigned long long)sc->flow);
			sc_close(sc, true);
			return;
		}
		n = len < room ? len : room;
		memcpy(b->data + b->len, p, n);
		b->len += (uint32_t)n;
		p += n;
		len -= n;
		if (fresh_hold) {
			/* The request waiting for the store was in the TLS scratch. */
			fresh_hold = false;
			hold(sc);
			dp_timer_cancel(&gw->dw.wheel, &sc->timer);
		}
		if (!sc->pending)
			process_buf(sc);
	}
}

/* ---- operations for the request in hand ---- */

struct gw_op *gw_sipconn_op_start(struct gw_sipconn *sc, gw_op_done_fn done)
{
	struct gw_op *op = gw_op_new(sc->gw, done);

	if (!op)
		return NULL;
	op->sip = sc;
	sc->op = op;
	sc->pending = true;
	return op;
}

const struct sip_msg *gw_sipconn_op_msg(const struct gw_op *op)
{
	struct gw_sipconn *sc = op->sip;

	if (!sc || sc->closing)
		return NULL;
	/* The request is either still where the handler saw it (the op was
	 * answered before the serve loop returned) or held in the buffer. */
	return sc->buf && sc->buf->len >= sc->held_len && sc->held_len ? &sc->buf->msg : NULL;
}

void gw_sipconn_op_finish(struct gw_op *op)
{
	struct gw_sipconn *sc = op->sip;

	pool_put(&op->gw->ops, op);
	if (!sc)
		return;
	sc->op = NULL;
	sc->pending = false;
	if (sc->closing)
		return;
	if (!sc->buf || !sc->held_len) {
		/* Finished synchronously (the store was not reached): the serve
		 * loop that called the handler continues by itself. */
		sc->held_len = 0;
		return;
	}
	buf_consume(sc, sc->held_len);
	sc->held_len = 0;
	if (sc->buf->len == 0) {
		buf_release(sc);
		arm_rest(sc);
		return;
	}
	arm(sc, T_MSG);
	process_buf(sc);
}

/* ---- the registration's lifetime ---- */

static void on_bind_timer(struct dp_timer *t, void *arg)
{
	struct gw_sipconn *sc = arg;

	(void)t;
	if (sc->closing || !sc->bound_user[0])
		return;
	log_info("sip", "binding_expired flow=%llx", (unsigned long long)sc->flow);
	gw_registrar_flow_gone(sc->gw, sc->bound_user, sc->flow);
	gw_sipconn_unbind(sc);
	if (!sc->pending && !sc->buf)
		arm(sc, T_IDLE);
}

void gw_sipconn_bind(struct gw_sipconn *sc, const char *user, size_t user_len,
		     struct sip_str contact, uint64_t expires_ms)
{
	uint64_t now = clock_wall_ms();

	/* MESSAGEs go to the Contact registered; one we cannot hold (or that
	 * holds bytes a request line cannot) falls back to the AOR. */
	sc->contact[0] = '\0';
	if (contact.n && contact.n <= GW_SIP_CONTACT_MAX) {
		bool ok = true;
		for (size_t i = 0; i < contact.n; i++)
			ok &= (unsigned char)contact.p[i] > 0x20 && contact.p[i] != 0x7f;
		if (ok) {
			memcpy(sc->contact, contact.p, contact.n);
			sc->contact[contact.n] = '\0';
		}
	}
	if (user_len > ST_NAME_MAX)
		user_len = ST_NAME_MAX;
	memcpy(sc->bound_user, user, user_len);
	sc->bound_user[user_len] = '\0';
	sc->bind_expires_ms = expires_ms;
	dp_worker_timer_in(&sc->gw->dw, &sc->bind_timer, expires_ms > now ? expires_ms - now : 0);
}

void gw_sipconn_registered(struct gw_sipconn *sc)
{
	gw_dlv_registered(sc);
}

void gw_sipconn_unbind(struct gw_sipconn *sc)
{
	sc->bound_user[0] = '\0';
	sc->bind_expires_ms = 0;
	dp_timer_cancel(&sc->gw->dw.wheel, &sc->bind_timer);
}

/* ---- data plane callbacks ---- */

static void on_timer(struct dp_timer *t, void *arg)
{
	struct gw_sipconn *sc = arg;
	struct gw_worker *gw = sc->gw;
	char a[64];

	(void)t;
	if (sc->closing) {
		if (sc->timer_kind == T_CLOSING)
			dp_close(sc->dc, true); /* the grace for queued answers is over */
		return;
	}
	dp_addr_format(dp_conn_peer(sc->dc), a, sizeof(a));
	switch (sc->timer_kind) {
	case T_HANDSHAKE:
		atomic_fetch_add_explicit(&gw->stats.timeouts_handshake, 1, memory_order_relaxed);
		log_debug("tls", "handshake_timeout peer=%s", a);
		sc_close(sc, true);
		break;
	case T_MSG:
		log_info("sip", "message_timeout peer=%s", a);
		sc_close(sc, false);
		break;
	case T_IDLE:
		log_debug("sip", "idle_timeout peer=%s", a);
		sc_close(sc, false);
		break;
	default:
		break;
	}
}

static int on_open(struct dp_conn *dc, void *arg)
{
	struct gw_worker *gw = container_of(dp_conn_worker(dc), struct gw_worker, dw);
	struct gw_sipconn *sc = pool_get_zeroed(&gw->sip.conns);

	(void)arg;
	if (!sc)
		return -ENOMEM;
	sc->dc = dc;
	sc->gw = gw;
	sc->flow = gw_sip_flow_id(gw->dw.id, ++gw->sip.flow_seq);
	snprintf(sc->tag, sizeof(sc->tag), "%016llx", (unsigned long long)sc->flow);
	dp_timer_init(&sc->timer, on_timer, sc);
	dp_timer_init(&sc->bind_timer, on_bind_timer, sc);
	if (tls_conn_init(&sc->tls, gw->tls, dc) != 0) {
		pool_put(&gw->sip.conns, sc);
		return -ENOMEM;
	}
	sc->next = gw->sip.live;
	if (gw->sip.live)
		gw->sip.live->prev = sc;
	gw->sip.live = sc;
	gw_dlv_flow_open(sc);
	dp_conn_set_udata(dc, sc);
	arm(sc, T_HANDSHAKE);
	return 0;
}

static void on_data(struct dp_conn *dc, const uint8_t *data, size_t len)
{
	struct gw_sipconn *sc = dp_conn_udata(dc);
	struct gw_worker *gw = sc->gw;
	bool handshook;
	int r;

	if (sc->closing)
		return;
	r = gw_tls_feed(gw, &sc->tls, dc, data, len, sip_input, sc, &handshook);
	if (handshook && sc->timer_kind == T_HANDSHAKE && !sc->closing && !sc->pending)
		arm(sc, sc->buf ? T_MSG : T_IDLE);
	if (r == 0 || sc->closing)
		return;
	if (r == TLS_E_HANDSHAKE) {
		sc->closing = true;
		dp_timer_cancel(&gw->dw.wheel, &sc->timer);
		dp_close(dc, false); /* flush the alert wolfSSL queued */
		return;
	}
	sc_close(sc, r != TLS_E_CLOSED);
}

static void on_drain(struct dp_conn *dc)
{
	(void)dc; /* responses are small; stuck senders are closed in sc_send */
}

static void on_close(struct dp_conn *dc, int err)
{
	struct gw_sipconn *sc = dp_conn_udata(dc);
	struct gw_worker *gw;

	(void)err;
	if (!sc)
		return;
	gw = sc->gw;
	dp_timer_cancel(&gw->dw.wheel, &sc->timer);
	dp_timer_cancel(&gw->dw.wheel, &sc->bind_timer);
	/* The binding dies with its flow (DESIGN.md §2). */
	if (sc->bound_user[0])
		gw_registrar_flow_gone(gw, sc->bound_user, sc->flow);
	gw_dlv_flow_close(sc);
	tls_conn_free(&sc->tls);
	if (sc->buf)
		buf_release(sc);
	if (sc->op)
		sc->op->sip = NULL; /* the store answers later; the op is freed then */
	if (sc->prev)
		sc->prev->next = sc->next;
	else
		gw->sip.live = sc->next;
	if (sc->next)
		sc->next->prev = sc->prev;
	explicit_bzero(sc, sizeof(*sc));
	pool_put(&gw->sip.conns, sc);
}

void gw_sip_drain_all(struct gw_worker *gw)
{
	for (struct gw_sipconn *sc = gw->sip.live; sc; sc = sc->next)
		sc_close(sc, sc->timer_kind == T_HANDSHAKE);
}

const struct dp_handler gw_sip_handler = {
	.on_open = on_open,
	.on_data = on_data,
	.on_drain = on_drain,
	.on_close = on_close,
};

/* ---- per-worker state ---- */

/* What gw_sip_worker_init() set up; safe on a partial set-up (the worker
 * was zeroed first, and every fini takes an unused object). */
static void release(struct gw_worker *gw)
{
	struct gw_sip_worker *s = &gw->sip;

	sip_digest_fini(&s->digest);
	gw_dlv_worker_fini(gw);
	pool_fini(&s->conns);
	pool_fini(&s->bufs);
	free(s->hdrs);
	s->hdrs = NULL;
	s->ready = false;
}

int gw_sip_worker_init(struct gw_worker *gw, char *err, size_t errlen)
{
	const struct gw_config *cfg = &gw->srv->cfg;
	struct gw_sip_worker *s = &gw->sip;
	struct sip_digest_cfg dc = { .nonce_ttl_ms = (uint64_t)cfg->sip_nonce_ttl_s * 1000u };
	uint32_t nbufs = cfg->max_connections < GW_SIP_BUFS_MAX ? cfg->max_connections :
								  GW_SIP_BUFS_MAX;
	int r;

	sip_limits_default(&s->limits);
	s->limits.head_max = cfg->sip_max_message_bytes;
	s->limits.body_max = cfg->sip_max_message_bytes;
	if (s->limits.line_max > cfg->sip_max_message_bytes)
		s->limits.line_max = cfg->sip_max_message_bytes;
	s->limits.headers_max = GW_SIP_HEADERS_MAX;
	s->hdrs = calloc(GW_SIP_HEADERS_MAX, sizeof(*s->hdrs));
	if (!s->hdrs) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = sip_digest_init(&s->digest, &dc);
	if (r) {
		snprintf(err, errlen, "SIP digest set-up failed: %s", strerror(-r));
		goto fail;
	}
	r = gw_dlv_worker_init(gw, err, errlen);
	if (r)
		goto fail;
	r = pool_init(&s->conns, "gw_sipconn", sizeof(struct gw_sipconn), cfg->max_connections);
	if (r == 0)
		r = pool_init(&s->bufs, "gw_sipbuf",
			      sizeof(struct gw_sipbuf) + cfg->sip_max_message_bytes, nbufs);
	if (r) {
		snprintf(err, errlen, "cannot reserve SIP pools: %s", strerror(-r));
		goto fail;
	}
	s->ready = true;
	return 0;
fail:
	release(gw);
	return r;
}

void gw_sip_worker_fini(struct gw_worker *gw)
{
	if (gw->sip.ready)
		release(gw);
}
