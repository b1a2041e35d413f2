/*
 * SIP submit: a MESSAGE from an authenticated flow to sips:<user>@<domain>
 * takes the intake path (the same text rules and rate limit as
 * POST /v1/messages) and is answered 202 Accepted once it is durable
 * (RFC 3428 §7: 202 for a store-and-forward acceptance), or 4xx/5xx with a
 * reason phrase naming the rule.
 *
 * A user agent that resends a MESSAGE (same Call-ID and CSeq) after losing
 * the answer gets the first message's 202 and no second message: the
 * Idempotency-Key is derived from those two headers.
 */
#include "gateway/sipsubmit.h"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/compiler.h"
#include "base/log.h"
#include "gateway/intake.h"
#include "gateway/registrar.h"
#include "gateway/sipconn.h"

static void respond(struct gw_sipconn *sc, const struct sip_msg *m, int status,
		    const char *reason, const struct sip_hdr_out *h, size_t nh)
{
	struct gw_worker *gw = gw_sipconn_worker(sc);

	if (status >= 300)
		atomic_fetch_add_explicit(&gw->stats.sip_submit_rejected, 1, memory_order_relaxed);
	gw_sipconn_respond(sc, m, status, reason, h, nh);
}

static void respond_retry(struct gw_sipconn *sc, const struct sip_msg *m, const char *reason,
			  uint64_t ms)
{
	char v[24];
	struct sip_hdr_out h = { "Retry-After", { v, 0 } };

	h.value.n = (size_t)snprintf(v, sizeof(v), "%llu",
				     (unsigned long long)((ms + 999) / 1000 ? (ms + 999) / 1000 : 1));
	respond(sc, m, 503, reason, &h, 1);
}

/* text/plain with no charset or charset=UTF-8 (any case, quoted or not). */
static bool plain_utf8(struct sip_str ct)
{
	const char *semi = memchr(ct.p, ';', ct.n);
	struct sip_str type = { ct.p, semi ? (size_t)(semi - ct.p) : ct.n };
	struct sip_str rest = { semi ? semi : ct.p + ct.n, semi ? ct.n - type.n : 0 };
	struct sip_param p;

	while (type.n && (type.p[type.n - 1] == ' ' || type.p[type.n - 1] == '\t'))
		type.n--;
	if (!sip_str_eq_nocase(type, "text/plain"))
		return false;
	while (sip_param_next(&rest, &p) == 1) {
		if (sip_str_eq_nocase(p.name, "charset") &&
		    (!p.has_value || !sip_str_eq_nocase(p.value, "UTF-8")))
			return false;
	}
	return true;
}

/* "sip-" + 40 hex digits of SHA-256(Call-ID LF CSeq). */
static int idem_key(const struct sip_msg *m, char *out, size_t cap)
{
	wc_Sha256 h;
	uint8_t d[WC_SHA256_DIGEST_SIZE];
	char cseq[16];
	int n = snprintf(cseq, sizeof(cseq), "\n%u", m->cseq);

	if (cap < 45 || wc_InitSha256(&h) != 0)
		return -EINVAL;
	if (wc_Sha256Update(&h, (const byte *)m->call_id.p, (word32)m->call_id.n) != 0 ||
	    wc_Sha256Update(&h, (const byte *)cseq, (word32)n) != 0 || wc_Sha256Final(&h, d) != 0) {
		wc_Sha256Free(&h);
		return -EINVAL;
	}
	wc_Sha256Free(&h);
	memcpy(out, "sip-", 4);
	for (int i = 0; i < 20; i++)
		snprintf(out + 4 + 2 * i, 3, "%02x", d[i]);
	return 44;
}

static void submit_done(struct gw_op *op)
{
	const struct sip_msg *m = gw_sipconn_op_msg(op);
	struct gw_sipconn *sc = op->sip;
	struct gw_worker *gw = op->gw;
	int r = op->st.result;
	char id[ST_ID_TEXT_LEN + 1];

	gw_hist_add(&gw->stats.ack_latency, (clock_mono_ns() - op->started_ns) / 1000u);
	if (!m)
		goto out; /* the flow closed; what was enqueued stays enqueued */
	if (r == 0) {
		struct sip_hdr_out h = { "X-Columba-Message-Id", { id, ST_ID_TEXT_LEN } };

		st_id_encode(&op->st.enqueue.id, id);
		atomic_fetch_add_explicit(&gw->stats.sip_submitted, 1, memory_order_relaxed);
		log_debug("sip", "submitted flow=%llx id=%s dup=%d",
			  (unsigned long long)gw_sipconn_flow(sc), id, op->st.enqueue.duplicate);
		respond(sc, m, 202, NULL, &h, 1);
	} else if (r == -ENOENT) {
		respond(sc, m, 404, "Not Found (unknown_recipient)", NULL, 0);
	} else if (r == -EDQUOT) {
		respond_retry(sc, m, "Service Unavailable (recipient_queue_full)", 60000);
	} else if (r == ST_E_UNAVAILABLE || r == -EIO) {
		respond_retry(sc, m, "Service Unavailable (store unavailable)", 1000);
	} else {
		log_warn("sip", "submit_refused err=%d", r);
		respond(sc, m, 500, "Server Internal Error (refused by the store)", NULL, 0);
	}
out:
	explicit_bzero(op->text, op->text_len);
	gw_sipconn_op_finish(op);
}

void gw_sip_submit(struct gw_sipconn *sc, const struct sip_msg *m)
{
	static const struct sip_hdr_out accept = { "Accept", { "text/plain", 10 } };
	struct gw_worker *gw = gw_sipconn_worker(sc);
	const struct gw_config *cfg = &gw->srv->cfg;
	const char *me = gw_sipconn_authed_user(sc);
	char from[ST_NAME_MAX + 1], to[ST_NAME_MAX + 1], reason[96];
	struct gw_intake_diag diag;
	struct sip_uri ru;
	struct gw_op *op;
	int64_t wait;
	ssize_t tn;
	int fn, r;
	uint32_t ttl_s = GW_TTL_MAX_S;

	if (!me[0]) {
		respond(sc, m, 403, "Forbidden (register on this flow before sending)", NULL, 0);
		return;
	}
	fn = gw_reg_uri_user(cfg, m->from.uri, from, sizeof(from));
	if (fn < 0 || strcmp(from, me) != 0) {
		respond(sc, m, 403, "Forbidden (From must be the registered user)", NULL, 0);
		return;
	}
	if (!sip_str_eq_nocase(m->ruri.host, cfg->domain)) {
		respond(sc, m, 404, "Not Found (not our domain)", NULL, 0);
		return;
	}
	if (sip_uri_parse(m->ruri_text.p, m->ruri_text.n, &ru) || !ru.has_user ||
	    (tn = sip_uri_unescape(ru.user, to, sizeof(to) - 1)) <= 0 ||
	    gw_user_name_check(to, (size_t)tn) != 0) {
		respond(sc, m, 404, "Not Found (unknown_recipient)", NULL, 0);
		return;
	}
	to[tn] = '\0';
	if (!plain_utf8(m->content_type)) {
		respond(sc, m, 415, "Unsupported Media Type (text/plain;charset=UTF-8 only)", &accept,
			1);
		return;
	}
	r = gw_intake_text_check(m->body.p, m->body.n, &diag);
	if (r) {
		snprintf(reason, sizeof(reason), "%s (%s)",
			 r == GW_INTAKE_E_TEXT_TOO_LONG ? "Request Entity Too Large" : "Bad Request",
			 gw_intake_code(r));
		respond(sc, m, r == GW_INTAKE_E_TEXT_TOO_LONG ? 413 : 400, reason, NULL, 0);
		return;
	}
	if (m->expires >= 0) {
		/* RFC 3428 §9: Expires on a MESSAGE bounds its life: our ttl. */
		if (m->expires < 1 || m->expires > (int64_t)GW_TTL_MAX_S) {
			respond(sc, m, 400, "Bad Request (ttl_out_of_range)", NULL, 0);
			return;
		}
		ttl_s = (uint32_t)m->expires;
	}
	wait = rl_take(&gw->submit_rl, rl_key(&gw->submit_rl, me, strlen(me)), gw->dw.now_ms, 1);
	if (wait > 0) {
		respond_retry(sc, m, "Service Unavailable (rate_limited)", (uint64_t)wait);
		return;
	}
	op = gw_sipconn_op_start(sc, submit_done);
	if (!op) {
		respond_retry(sc, m, "Service Unavailable (busy)", 1000);
		return;
	}
	op->started_ns = clock_mono_ns();
	op->user_len = (uint32_t)strlen(me);
	memcpy(op->user, me, op->user_len + 1);
	op->to_len = (uint32_t)tn;
	memcpy(op->to, to, (size_t)tn + 1);
	op->text_len = (uint32_t)m->body.n;
	memcpy(op->text, m->body.p, m->body.n);
	r = idem_key(m, op->idem, sizeof(op->idem));
	op->idem_len = r > 0 ? (uint32_t)r : 0;
	op->st.op = ST_OP_ENQUEUE;
	op->st.enqueue.sender = (struct st_str){ op->user, op->user_len };
	op->st.enqueue.recipient = (struct st_str){ op->to, op->to_len };
	op->st.enqueue.text = (struct st_str){ op->text, op->text_len };
	op->st.enqueue.idem_key = (struct st_str){ op->idem, op->idem_len };
	op->st.enqueue.ttl_ms = (uint64_t)ttl_s * 1000u;
	if (gw_op_submit(op)) {
		explicit_bzero(op->text, op->text_len);
		respond_retry(sc, m, "Service Unavailable (store busy)", 1000);
		gw_sipconn_op_finish(op);
	}
}
