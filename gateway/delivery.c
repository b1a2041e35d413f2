/*
 * The delivery engine: parked messages out as SIP MESSAGE on the
 * recipient's flows, with a window, attempts and retries. See delivery.h.
 */
#include "gateway/delivery.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/compiler.h"
#include "base/log.h"
#include "base/probe.h"
#include "gateway/sipconn_int.h"
#include "gateway/sip/sip_write.h"

/* Room for one opened message: both names, the text and their lengths. */
#define DLV_BUF 1024

/* A stream the store could not serve is tried again after this long. */
#define DLV_STREAM_RETRY_MS 1000

enum dlv_state {
	TX_STREAMING = 1, /* ST_OP_STREAM in flight into this tx */
	TX_SENT,          /* MESSAGE out, waiting for a final answer */
	TX_WAIT_RETRY,    /* the next attempt is due at the timer */
	TX_MARKING,       /* ST_OP_DELIVERED / ST_OP_FAILED in flight */
	TX_WAIT_STREAM,   /* the store failed the stream: try again at the timer */
};

struct gw_dlv_tx {
	struct gw_dlv_tx *next;
	struct gw_sipconn *sc;    /* NULL once the flow closed */
	struct gw_worker *gw;
	struct dp_timer timer;
	struct st_msg msg;
	uint8_t state;
	uint8_t attempts;
	char id26[ST_ID_TEXT_LEN + 1];
	uint8_t buf[DLV_BUF];
};

/* ---- the flow table: flow id -> flow (linear probing, backward shift: probe.h) ---- */

static uint32_t flow_hash(uint64_t flow)
{
	flow ^= flow >> 33;
	flow *= 0xff51afd7ed558ccdull;
	flow ^= flow >> 33;
	return (uint32_t)flow;
}

void gw_dlv_flow_open(struct gw_sipconn *sc)
{
	struct gw_sip_worker *s = &sc->gw->sip;
	uint32_t i = flow_hash(sc->flow) & s->flows_mask;

	/* Sized at twice the connection limit: there is always a free slot. */
	while (s->flows[i])
		i = (i + 1) & s->flows_mask;
	s->flows[i] = sc;
}

static struct gw_sipconn *flow_find(struct gw_worker *gw, uint64_t flow, uint32_t *pos)
{
	struct gw_sip_worker *s = &gw->sip;
	uint32_t i = flow_hash(flow) & s->flows_mask;

	for (; s->flows[i]; i = (i + 1) & s->flows_mask) {
		if (s->flows[i]->flow == flow) {
			*pos = i;
			return s->flows[i];
		}
	}
	return NULL;
}

static bool flow_slot_used(const void *slot)
{
	return *(struct gw_sipconn *const *)slot != NULL;
}

static uint32_t flow_slot_home(const void *slot)
{
	return flow_hash((*(struct gw_sipconn *const *)slot)->flow);
}

static void flow_slot_clear(void *slot)
{
	*(struct gw_sipconn **)slot = NULL;
}

static void flow_remove(struct gw_worker *gw, uint32_t hole)
{
	struct gw_sip_worker *s = &gw->sip;
	const struct probe_table t = {
		.slots = s->flows, .slot_size = sizeof(*s->flows), .mask = s->flows_mask,
		.used = flow_slot_used, .home = flow_slot_home, .clear = flow_slot_clear,
	};

	probe_remove(&t, hole);
}

/* ---- transactions ---- */

static const struct gw_config *cfg_of(const struct gw_worker *gw)
{
	return &gw->srv->cfg;
}

static void tx_unlink(struct gw_dlv_tx *tx)
{
	struct gw_sipconn *sc = tx->sc;

	if (!sc)
		return;
	for (struct gw_dlv_tx **pp = &sc->dlv.txs; *pp; pp = &(*pp)->next) {
		if (*pp == tx) {
			*pp = tx->next;
			sc->dlv.n_tx--;
			break;
		}
	}
	tx->sc = NULL;
}

static void pump(struct gw_sipconn *sc);

/* Release @tx; its flow (if still open) may take the next message. */
static void tx_free(struct gw_dlv_tx *tx)
{
	struct gw_sipconn *sc = tx->sc;
	struct gw_worker *gw = tx->gw;

	dp_timer_cancel(&gw->dw.wheel, &tx->timer);
	tx_unlink(tx);
	explicit_bzero(tx->buf, sizeof(tx->buf)); /* held the text */
	pool_put(&gw->sip.dlv_txs, tx);
	if (sc && !sc->closing) {
		if (sc->dlv.restart && sc->dlv.n_tx == 0) {
			sc->dlv.restart = false;
			memset(&sc->dlv.cursor, 0, sizeof(sc->dlv.cursor));
			sc->dlv.dirty = true;
		}
		pump(sc);
	}
}

static size_t aor(char *out, size_t cap, const struct st_str *user, const char *domain)
{
	int n = snprintf(out, cap, "<sips:%.*s@%s>", (int)user->len, user->p, domain);

	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* Write and send the MESSAGE for @tx (one more attempt). */
static void tx_send(struct gw_dlv_tx *tx)
{
	struct gw_sipconn *sc = tx->sc;
	struct gw_worker *gw = tx->gw;
	const struct gw_config *cfg = cfg_of(gw);
	const struct st_msg *m = &tx->msg;
	char via[400], from[400], to[400], callid[320], ruri[GW_SIP_CONTACT_MAX + 400], body[1024];
	const char *ctype = "text/plain;charset=UTF-8";
	const char *date;
	const char *payload = m->text.p;
	size_t payload_len = m->text.len;
	struct st_str from_user = m->sender;
	struct st_notify nt;
	ssize_t n;

	if (m->flags & ST_MSG_F_NOTIFY) {
		int b;

		if (st_notify_decode(&m->text, &nt) != 0)
			goto bad;
		char about[ST_ID_TEXT_LEN + 1];
		st_id_encode(&nt.id, about);
		b = gw_dlv_imdn(body, sizeof(body), about, cfg->domain, nt.recipient.p,
				nt.recipient.len, nt.state, nt.at_ms);
		if (b < 0)
			goto bad;
		payload = body;
		payload_len = (size_t)b;
		ctype = "message/imdn+xml";
		from_user = nt.recipient;
	}
	if (sc->contact[0])
		snprintf(ruri, sizeof(ruri), "%s", sc->contact);
	else
		snprintf(ruri, sizeof(ruri), "sips:%s@%s", sc->bound_user, cfg->domain);
	snprintf(via, sizeof(via), "SIP/2.0/TLS %s;branch=z9hG4bK%s.%u", cfg->domain, tx->id26,
		 tx->attempts + 1u);
	size_t fl = aor(from, sizeof(from) - 24, &from_user, cfg->domain);
	if (!fl)
		goto bad;
	snprintf(from + fl, sizeof(from) - fl, ";tag=%s", sc->tag);
	struct st_str rcpt = { sc->bound_user, (uint32_t)strlen(sc->bound_user) };
	if (!aor(to, sizeof(to), &rcpt, cfg->domain))
		goto bad;
	snprintf(callid, sizeof(callid), "%s@%s", tx->id26, cfg->domain);
	date = http_date_get(&gw->date, (time_t)(m->created_ms / 1000u));
	struct sip_hdr_out h[] = {
		{ "Via", { via, strlen(via) } },
		{ "Max-Forwards", { "70", 2 } },
		{ "From", { from, strlen(from) } },
		{ "To", { to, strlen(to) } },
		{ "Call-ID", { callid, strlen(callid) } },
		{ "CSeq", { "1 MESSAGE", 9 } },
		{ "Date", { date, strlen(date) } },
		{ "Content-Type", { ctype, strlen(ctype) } },
	};
	n = sip_write_request(gw->out, GW_OUT_MAX, "MESSAGE", (struct sip_str){ ruri, strlen(ruri) },
			      h, ARRAY_SIZE(h), payload, payload_len);
	explicit_bzero(body, sizeof(body));
	if (n < 0)
		goto bad;
	tx->attempts++;
	tx->state = TX_SENT;
	atomic_fetch_add_explicit(&gw->stats.dlv_attempts, 1, memory_order_relaxed);
	if (tx->attempts > 1)
		atomic_fetch_add_explicit(&gw->stats.dlv_retries, 1, memory_order_relaxed);
	log_debug("sip", "message_sent flow=%llx id=%s attempt=%u",
		  (unsigned long long)sc->flow, tx->id26, tx->attempts);
	dp_worker_timer_in(&gw->dw, &tx->timer, cfg->sip_attempt_timeout_ms);
	/* On failure the flow is being reset: its close drops the tx. */
	gw__sip_send(sc, gw->out, (size_t)n);
	explicit_bzero(gw->out, (size_t)n); /* held the text */
	return;
bad:
	/* A stored message we cannot express (a name or Contact too long for the
	 * writer): leave it parked and say so once; never loop on it. */
	log_error("sip", "message_unwritable flow=%llx id=%s", (unsigned long long)sc->flow,
		  tx->id26);
	tx_free(tx);
}

static void mark_done(struct gw_op *op)
{
	struct gw_dlv_tx *tx = op->dlv;
	int r = op->st.result;

	if (r && r != -ENOENT)
		log_warn("sip", "delivery_mark_failed id=%s err=%d", tx->id26, r);
	gw_op_finish(op);
	tx_free(tx);
}

/* A final answer decided the message: tell the store. */
static void tx_mark(struct gw_dlv_tx *tx, uint16_t st_op, uint8_t reason)
{
	struct gw_op *op = gw_op_new(tx->gw, mark_done);

	dp_timer_cancel(&tx->gw->dw.wheel, &tx->timer);
	if (!op) {
		/* Left parked: the next REGISTER redelivers it (same Call-ID). */
		log_warn("sip", "delivery_mark_dropped id=%s note=\"no op free\"", tx->id26);
		tx_free(tx);
		return;
	}
	op->dlv = tx;
	op->st.op = st_op;
	op->st.mark.id = tx->msg.id;
	op->st.mark.reason = reason;
	tx->state = TX_MARKING;
	if (gw_op_submit(op)) {
		log_warn("sip", "delivery_mark_dropped id=%s note=\"store ring full\"", tx->id26);
		gw_op_finish(op);
		tx_free(tx);
	}
}

/* An attempt failed (timeout, 408/480/503): retry, or park the flow. */
static void tx_attempt_failed(struct gw_dlv_tx *tx, int status)
{
	struct gw_sipconn *sc = tx->sc;
	struct gw_worker *gw = tx->gw;
	const struct gw_config *cfg = cfg_of(gw);

	if (tx->attempts >= cfg->sip_delivery_attempts) {
		log_info("sip", "delivery_parked flow=%llx id=%s attempts=%u last_status=%d",
			 (unsigned long long)sc->flow, tx->id26, tx->attempts, status);
		atomic_fetch_add_explicit(&gw->stats.dlv_parked, 1, memory_order_relaxed);
		sc->dlv.parked = true;
		tx_free(tx);
		return;
	}
	log_info("sip", "delivery_retry flow=%llx id=%s attempt=%u status=%d in_ms=%u",
		 (unsigned long long)sc->flow, tx->id26, tx->attempts, status,
		 cfg->sip_retry_interval_ms);
	tx->state = TX_WAIT_RETRY;
	dp_worker_timer_in(&gw->dw, &tx->timer, cfg->sip_retry_interval_ms);
}

static void on_tx_timer(struct dp_timer *t, void *arg)
{
	struct gw_dlv_tx *tx = arg;
	struct gw_sipconn *sc = tx->sc;

	(void)t;
	if (!sc || sc->closing)
		return;
	switch (tx->state) {
	case TX_SENT:
		tx_attempt_failed(tx, 0); /* no final answer in time */
		break;
	case TX_WAIT_RETRY:
		if (tx->msg.expires_ms <= clock_wall_ms() || !sc->bound_user[0]) {
			tx_free(tx); /* expired (the store reports it) or unregistered */
			break;
		}
		tx_send(tx);
		break;
	case TX_WAIT_STREAM:
		sc->dlv.dirty = true;
		tx_free(tx);
		break;
	default:
		break;
	}
}

static void stream_done(struct gw_op *op)
{
	struct gw_dlv_tx *tx = op->dlv;
	struct gw_sipconn *sc = tx->sc;
	int res = op->st.result;
	uint32_t count = op->st.stream.count;
	bool more = op->st.stream.more;
	struct st_id next_after = op->st.stream.next_after;

	gw_op_finish(op);
	if (!sc || sc->closing) {
		tx_free(tx);
		return;
	}
	sc->dlv.streaming = false;
	if (res) {
		log_warn("sip", "delivery_stream_failed flow=%llx err=%d", (unsigned long long)sc->flow,
			 res);
		tx->state = TX_WAIT_STREAM;
		dp_worker_timer_in(&tx->gw->dw, &tx->timer, DLV_STREAM_RETRY_MS);
		return;
	}
	sc->dlv.cursor = next_after;
	sc->dlv.more = more;
	if (count == 0 || tx->msg.expires_ms <= clock_wall_ms() || !sc->bound_user[0]) {
		tx_free(tx); /* nothing (more), or expired: the store's expiry reports it */
		return;
	}
	st_id_encode(&tx->msg.id, tx->id26);
	tx_send(tx);
	if (tx->state == TX_SENT)
		pump(sc); /* fill the window */
}

/* Stream the next parked message into a new tx. */
static void stream_next(struct gw_sipconn *sc)
{
	struct gw_worker *gw = sc->gw;
	struct gw_dlv_tx *tx = pool_get(&gw->sip.dlv_txs);
	struct gw_op *op;
	size_t ul = strlen(sc->bound_user);

	if (!tx)
		return; /* busy: a notice or the next free tx brings us back */
	op = gw_op_new(gw, stream_done);
	if (!op) {
		pool_put(&gw->sip.dlv_txs, tx);
		return;
	}
	memset(tx, 0, offsetof(struct gw_dlv_tx, buf));
	tx->gw = gw;
	tx->sc = sc;
	tx->state = TX_STREAMING;
	dp_timer_init(&tx->timer, on_tx_timer, tx);
	tx->next = sc->dlv.txs;
	sc->dlv.txs = tx;
	sc->dlv.n_tx++;
	sc->dlv.streaming = true;
	sc->dlv.dirty = false;
	sc->dlv.more = false;
	memcpy(op->user, sc->bound_user, ul + 1);
	op->user_len = (uint32_t)ul;
	op->dlv = tx;
	op->st.op = ST_OP_STREAM;
	op->st.stream.recipient = (struct st_str){ op->user, op->user_len };
	op->st.stream.after = sc->dlv.cursor;
	op->st.stream.msgs = &tx->msg;
	op->st.stream.max = 1;
	op->st.stream.buf = tx->buf;
	op->st.stream.buf_len = sizeof(tx->buf);
	if (gw_op_submit(op)) {
		gw_op_finish(op);
		sc->dlv.streaming = false;
		sc->dlv.dirty = true;
		tx->state = TX_WAIT_STREAM;
		dp_worker_timer_in(&gw->dw, &tx->timer, DLV_STREAM_RETRY_MS);
	}
}

static void pump(struct gw_sipconn *sc)
{
	struct gw_dlv *d = &sc->dlv;

	if (sc->closing || !sc->bound_user[0] || d->parked || d->streaming || d->restart)
		return;
	if ((d->dirty || d->more) && d->n_tx < cfg_of(sc->gw)->sip_delivery_window)
		stream_next(sc);
}

void gw_dlv_registered(struct gw_sipconn *sc)
{
	struct gw_dlv *d = &sc->dlv;

	d->parked = false;
	d->dirty = true;
	if (d->n_tx)
		d->restart = true; /* from the start once what is out has its answer */
	else
		memset(&d->cursor, 0, sizeof(d->cursor));
	pump(sc);
}

void gw_dlv_flow_close(struct gw_sipconn *sc)
{
	struct gw_worker *gw = sc->gw;
	struct gw_dlv_tx *tx = sc->dlv.txs;
	uint32_t pos;

	if (flow_find(gw, sc->flow, &pos))
		flow_remove(gw, pos);
	while (tx) {
		struct gw_dlv_tx *next = tx->next;

		tx->sc = NULL;
		tx->next = NULL;
		/* With a store op in flight the tx goes when it returns. */
		if (tx->state != TX_STREAMING && tx->state != TX_MARKING) {
			dp_timer_cancel(&gw->dw.wheel, &tx->timer);
			explicit_bzero(tx->buf, sizeof(tx->buf));
			pool_put(&gw->sip.dlv_txs, tx);
		}
		tx = next;
	}
	sc->dlv.txs = NULL;
	sc->dlv.n_tx = 0;
}

static void notify_flow(struct gw_sipconn *sc)
{
	if (!sc->bound_user[0])
		return;
	sc->dlv.dirty = true;
	pump(sc);
}

void gw_dlv_poll_notices(struct gw_worker *gw)
{
	uint64_t flows[64];
	uint32_t n, pos;
	bool lost;

	if (!gw->chan)
		return;
	do {
		n = st_chan_notices(gw->chan, flows, ARRAY_SIZE(flows), &lost);
		atomic_fetch_add_explicit(&gw->stats.dlv_notices, n, memory_order_relaxed);
		for (uint32_t i = 0; i < n; i++) {
			struct gw_sipconn *sc = flow_find(gw, flows[i], &pos);

			if (sc)
				notify_flow(sc);
		}
		if (lost) {
			log_warn("sip", "delivery_notices_lost worker=%u action=rescan", gw->dw.id);
			for (struct gw_sipconn *sc = gw->sip.live; sc; sc = sc->next)
				notify_flow(sc);
		}
	} while (n == ARRAY_SIZE(flows));
}

bool gw_dlv_response(struct gw_sipconn *sc, const struct sip_msg *m)
{
	struct gw_dlv_tx *tx;
	const char *at;

	if (m->cseq_method_id != SIP_M_MESSAGE || m->call_id.n < ST_ID_TEXT_LEN + 1)
		return false;
	at = m->call_id.p + ST_ID_TEXT_LEN;
	if (*at != '@')
		return false;
	for (tx = sc->dlv.txs; tx; tx = tx->next)
		if ((tx->state == TX_SENT || tx->state == TX_WAIT_RETRY) &&
		    memcmp(tx->id26, m->call_id.p, ST_ID_TEXT_LEN) == 0)
			break;
	if (!tx)
		return false;
	if (m->status < 200)
		return true; /* provisional: the attempt timer keeps running */
	if (m->status < 300) {
		atomic_fetch_add_explicit(&sc->gw->stats.dlv_delivered, 1, memory_order_relaxed);
		/* One line per message: debug, not info (the hot path; the
		 * counters in /metrics say how many). */
		log_debug("sip", "delivered flow=%llx id=%s attempt=%u", (unsigned long long)sc->flow,
			 tx->id26, tx->attempts);
		tx_mark(tx, ST_OP_DELIVERED, 0);
	} else if (m->status == 408 || m->status == 480 || m->status == 503) {
		if (tx->state == TX_SENT) {
			dp_timer_cancel(&sc->gw->dw.wheel, &tx->timer);
			tx_attempt_failed(tx, m->status);
		}
	} else {
		atomic_fetch_add_explicit(&sc->gw->stats.dlv_failed, 1, memory_order_relaxed);
		log_info("sip", "delivery_failed flow=%llx id=%s status=%d",
			 (unsigned long long)sc->flow, tx->id26, m->status);
		tx_mark(tx, ST_OP_FAILED, (uint8_t)(m->status / 100));
	}
	return true;
}

int gw_dlv_imdn(char *buf, size_t cap, const char *id26, const char *domain, const char *rcpt,
		size_t rcpt_len, uint8_t state, uint64_t at_ms)
{
	char when[32];
	time_t t = (time_t)(at_ms / 1000u);
	struct tm tm;
	/* RFC 5438 has no "expired": it is a failure, named in our own element. */
	const char *status = state == ST_STATE_DELIVERED ? "<delivered/>" : "<failed/>";
	int n;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(buf, cap,
		     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
		     "<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\""
		     " xmlns:c=\"urn:columba:params:xml:ns:imdn\">\r\n"
		     "<message-id>%s</message-id>\r\n"
		     "<datetime>%s.%03uZ</datetime>\r\n"
		     "<recipient-uri>sips:%.*s@%s</recipient-uri>\r\n"
		     "<delivery-notification><status>%s</status></delivery-notification>\r\n"
		     "<c:state>%s</c:state>\r\n"
		     "</imdn>\r\n",
		     id26, when, (unsigned)(at_ms % 1000u), (int)rcpt_len, rcpt, domain, status,
		     st_state_name(state));
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

int gw_dlv_worker_init(struct gw_worker *gw, char *err, size_t errlen)
{
	struct gw_sip_worker *s = &gw->sip;
	const struct gw_config *cfg = cfg_of(gw);
	uint32_t cap = 2;
	/* Outstanding MESSAGEs per worker: the window on every flow would be
	 * max_connections × W; bounded, a flow waits for a free one. */
	uint64_t ntx = (uint64_t)cfg->max_connections * cfg->sip_delivery_window;

	if (ntx > 65536)
		ntx = 65536;
	while (cap < 2u * cfg->max_connections)
		cap <<= 1;
	s->flows = calloc(cap, sizeof(*s->flows));
	if (!s->flows) {
		snprintf(err, errlen, "out of memory (flow table)");
		return -ENOMEM;
	}
	s->flows_mask = cap - 1;
	if (pool_init(&s->dlv_txs, "gw_dlv_tx", sizeof(struct gw_dlv_tx), (uint32_t)ntx) != 0) {
		free(s->flows);
		s->flows = NULL;
		snprintf(err, errlen, "cannot reserve the delivery pool");
		return -ENOMEM;
	}
	return 0;
}

void gw_dlv_worker_fini(struct gw_worker *gw)
{
	struct gw_sip_worker *s = &gw->sip;

	free(s->flows);
	s->flows = NULL;
	pool_fini(&s->dlv_txs);
}
