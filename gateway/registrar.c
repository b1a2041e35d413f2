/*
 * The registrar: digest authentication of REGISTER against the user record
 * (store lookup, then the HA1 it holds), then the flow's binding in the
 * store's location map. See registrar.h for the order of the checks.
 */
#include "gateway/registrar.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/compiler.h"
#include "base/log.h"
#include "gateway/auth.h"

enum { STAGE_LOOKUP = 1, STAGE_REGISTER = 2, STAGE_UNREGISTER = 3 };

#define THEMSELVES "Forbidden (a user registers only as themselves)"

static struct sip_str sstr(const char *s)
{
	return (struct sip_str){ s, strlen(s) };
}

int gw_reg_expires(const struct sip_msg *msg, const struct gw_config *cfg, uint32_t *out_s)
{
	int64_t e = msg->n_contacts && msg->contact.expires >= 0 ? msg->contact.expires :
		    msg->expires >= 0 ? msg->expires : (int64_t)cfg->sip_default_expires_s;

	if (e == 0) {
		*out_s = 0;
		return 0;
	}
	if (e < (int64_t)cfg->sip_min_expires_s)
		return GW_REG_TOO_BRIEF;
	if (e > (int64_t)cfg->sip_max_expires_s)
		e = cfg->sip_max_expires_s;
	*out_s = (uint32_t)e;
	return 0;
}

int gw_reg_uri_user(const struct gw_config *cfg, struct sip_str text, char *out, size_t cap)
{
	struct sip_uri u;
	ssize_t n;

	if (sip_uri_parse(text.p, text.n, &u) || !u.has_user)
		return -EINVAL;
	if (!sip_str_eq_nocase(u.host, cfg->domain))
		return -ENOENT;
	n = sip_uri_unescape(u.user, out, cap - 1);
	if (n <= 0 || memchr(out, '\0', (size_t)n))
		return -EINVAL;
	out[n] = '\0';
	return (int)n;
}

/* 401 with fresh challenges, one per [sip] digest_algorithms entry in its
 * order (default SHA-256 first, then MD5: RFC 8760 §2.4), one nonce. */
static void challenge(struct gw_sipconn *sc, const struct sip_msg *msg, bool stale)
{
	struct gw_worker *gw = gw_sipconn_worker(sc);
	const struct gw_config *cfg = &gw->srv->cfg;
	uint64_t flow = gw_sipconn_flow(sc);
	char nonce[SIP_DIGEST_NONCE_LEN + 1], c[2][512];
	struct sip_str realm = sstr(cfg->domain);
	struct sip_hdr_out h[2];

	if (sip_digest_nonce(&gw->sip.digest, &flow, sizeof(flow), clock_wall_ms(), nonce)) {
		gw_sipconn_respond(sc, msg, 500, "Server Internal Error (nonce)", NULL, 0);
		return;
	}
	for (unsigned i = 0; i < cfg->sip_n_digest_algs; i++) {
		ssize_t n = sip_digest_challenge(cfg->sip_digest_algs[i], realm, nonce, stale, c[i],
						 sizeof(c[i]));
		if (n < 0) {
			gw_sipconn_respond(sc, msg, 500, "Server Internal Error (challenge)", NULL, 0);
			return;
		}
		h[i] = (struct sip_hdr_out){ "WWW-Authenticate", { c[i], (size_t)n } };
	}
	gw_sipconn_respond(sc, msg, 401, NULL, h, cfg->sip_n_digest_algs);
}

static bool offered(const struct gw_config *cfg, uint8_t alg)
{
	for (unsigned i = 0; i < cfg->sip_n_digest_algs; i++)
		if (cfg->sip_digest_algs[i] == alg)
			return true;
	return false;
}

static void unavailable(struct gw_sipconn *sc, const struct sip_msg *msg)
{
	static const struct sip_hdr_out ra = { "Retry-After", { "1", 1 } };

	gw_sipconn_respond(sc, msg, 503, "Service Unavailable (store busy)", &ra, 1);
}

static void lookup_done(struct gw_op *op);
static void loc_done(struct gw_op *op);

void gw_registrar_register(struct gw_sipconn *sc, const struct sip_msg *msg)
{
	struct gw_worker *gw = gw_sipconn_worker(sc);
	const struct gw_config *cfg = &gw->srv->cfg;
	char to_user[ST_NAME_MAX + 1], from_user[ST_NAME_MAX + 1], auth_user[ST_NAME_MAX + 1];
	struct sip_auth a;
	struct gw_op *op;
	ssize_t an;
	int tn, fn;

	if (!sip_str_eq_nocase(msg->ruri.host, cfg->domain)) {
		gw_sipconn_respond(sc, msg, 404, "Not Found (not our domain)", NULL, 0);
		return;
	}
	tn = gw_reg_uri_user(cfg, msg->to.uri, to_user, sizeof(to_user));
	fn = gw_reg_uri_user(cfg, msg->from.uri, from_user, sizeof(from_user));
	if (tn == -ENOENT) {
		gw_sipconn_respond(sc, msg, 404, "Not Found (To is not in our domain)", NULL, 0);
		return;
	}
	if (tn < 0) {
		gw_sipconn_respond(sc, msg, 400, "Bad Request (To has no user of ours)", NULL, 0);
		return;
	}
	if (fn != tn || memcmp(from_user, to_user, (size_t)tn) != 0) {
		gw_sipconn_respond(sc, msg, 403, THEMSELVES, NULL, 0);
		return;
	}
	if (!msg->authorization) {
		challenge(sc, msg, false);
		return;
	}
	if (sip_auth_parse(msg->authorization->value, &a) || !a.username.n) {
		gw_sipconn_respond(sc, msg, 400, "Bad Request (malformed Authorization)", NULL, 0);
		return;
	}
	if (!sip_str_eq_nocase(a.scheme, "Digest")) {
		challenge(sc, msg, false);
		return;
	}
	an = sip_unquote(a.username, auth_user, sizeof(auth_user));
	if (an != tn || memcmp(auth_user, to_user, (size_t)tn) != 0) {
		gw_sipconn_respond(sc, msg, 403, THEMSELVES, NULL, 0);
		return;
	}
	if (gw_sipconn_bound_user(sc)[0] && strcmp(gw_sipconn_bound_user(sc), to_user) != 0) {
		gw_sipconn_respond(sc, msg, 403, "Forbidden (this flow carries another user)",
				   NULL, 0);
		return;
	}
	op = gw_sipconn_op_start(sc, lookup_done);
	if (!op) {
		unavailable(sc, msg);
		return;
	}
	memcpy(op->user, to_user, (size_t)tn + 1);
	op->user_len = (uint32_t)tn;
	op->stage = STAGE_LOOKUP;
	op->st.op = ST_OP_USER_LOOKUP;
	op->st.user.name = (struct st_str){ op->user, op->user_len };
	op->st.user.buf = (uint8_t *)op->text;
	op->st.user.buf_len = sizeof(op->text);
	if (gw_op_submit(op)) {
		unavailable(sc, msg);
		gw_sipconn_op_finish(op);
	}
}

/* "<uri>;params-without-expires;expires=N" for the 200's Contact. */
static size_t contact_echo(const struct sip_contact *c, uint32_t expires_s, char *out,
			   size_t cap)
{
	struct sip_str rest = c->addr.params;
	struct sip_param p;
	size_t n;
	int w = snprintf(out, cap, "<%.*s>", (int)c->addr.uri.n, c->addr.uri.p);

	if (w < 0 || (size_t)w >= cap)
		return 0;
	n = (size_t)w;
	while (sip_param_next(&rest, &p) == 1) {
		if (sip_str_eq_nocase(p.name, "expires"))
			continue;
		if (!p.has_value)
			w = snprintf(out + n, cap - n, ";%.*s", (int)p.name.n, p.name.p);
		else
			w = snprintf(out + n, cap - n, p.quoted ? ";%.*s=\"%.*s\"" : ";%.*s=%.*s",
				     (int)p.name.n, p.name.p, (int)p.value.n, p.value.p);
		if (w < 0 || (size_t)w >= cap - n)
			return 0;
		n += (size_t)w;
	}
	w = snprintf(out + n, cap - n, ";expires=%u", expires_s);
	if (w < 0 || (size_t)w >= cap - n)
		return 0;
	return n + (size_t)w;
}

static void answer_ok(struct gw_sipconn *sc, const struct sip_msg *msg, uint32_t expires_s,
		      bool bound)
{
	struct gw_worker *gw = gw_sipconn_worker(sc);
	char contact[1024], exp[16], ft[16];
	const char *date = http_date_get(&gw->date, time(NULL));
	struct sip_hdr_out h[6];
	size_t n = 0, cl;

	h[n++] = (struct sip_hdr_out){ "Date", sstr(date) };
	if (bound) {
		cl = contact_echo(&msg->contact, expires_s, contact, sizeof(contact));
		if (cl)
			h[n++] = (struct sip_hdr_out){ "Contact", { contact, cl } };
		snprintf(exp, sizeof(exp), "%u", expires_s);
		h[n++] = (struct sip_hdr_out){ "Expires", sstr(exp) };
		/* RFC 5626 §6: an outbound registration gets Require: outbound
		 * and the keepalive interval we expect. */
		if (msg->contact.instance.n && msg->contact.reg_id >= 0 &&
		    sip_msg_has_option(msg, SIP_H_SUPPORTED, "outbound")) {
			snprintf(ft, sizeof(ft), "%u", gw->srv->cfg.sip_flow_timer_s);
			h[n++] = (struct sip_hdr_out){ "Require", sstr("outbound") };
			h[n++] = (struct sip_hdr_out){ "Flow-Timer", sstr(ft) };
		}
	}
	gw_sipconn_respond(sc, msg, 200, NULL, h, n);
}

/* After authentication: the binding itself. Ends the op unless it went to
 * the store again. */
static void bind_or_unbind(struct gw_op *op, const struct sip_msg *msg)
{
	struct gw_sipconn *sc = op->sip;
	struct gw_worker *gw = op->gw;
	const struct gw_config *cfg = &gw->srv->cfg;
	static const char *const one_contact = "Bad Request (one Contact per REGISTER)";
	uint32_t expires_s = 0;
	char me[16];

	if (msg->contact_star) {
		if (msg->expires != 0 || msg->n_contacts) {
			gw_sipconn_respond(sc, msg, 400, "Bad Request (Contact: * needs Expires: 0)",
					   NULL, 0);
			goto done;
		}
	} else if (msg->n_contacts > 1) {
		gw_sipconn_respond(sc, msg, 400, one_contact, NULL, 0);
		goto done;
	} else if (msg->n_contacts == 0) {
		/* A query (RFC 3261 §10.2.3): the binding is the flow's. */
		answer_ok(sc, msg, 0, false);
		goto done;
	} else if (gw_reg_expires(msg, cfg, &expires_s) == GW_REG_TOO_BRIEF) {
		snprintf(me, sizeof(me), "%u", cfg->sip_min_expires_s);
		struct sip_hdr_out h = { "Min-Expires", sstr(me) };
		gw_sipconn_respond(sc, msg, 423, NULL, &h, 1);
		goto done;
	}
	memset(&op->st.loc, 0, sizeof(op->st.loc));
	op->st.result = 0;
	op->st.loc.user = (struct st_str){ op->user, op->user_len };
	op->st.loc.flow = gw_sipconn_flow(sc);
	op->st.loc.worker = gw->dw.id;
	op->ttl_s = expires_s;
	op->done = loc_done;
	if (expires_s == 0) {
		op->stage = STAGE_UNREGISTER;
		op->st.op = ST_OP_LOC_UNREGISTER;
		gw_sipconn_unbind(sc);
	} else {
		op->stage = STAGE_REGISTER;
		op->st.op = ST_OP_LOC_REGISTER;
		op->st.loc.expires_ms = clock_wall_ms() + (uint64_t)expires_s * 1000u;
		/* Bound now, so that a flow closing before the store answers
		 * sends its unregistration after this registration. */
		gw_sipconn_bind(sc, op->user, op->user_len, msg->contact.addr.uri,
				op->st.loc.expires_ms);
	}
	if (gw_op_submit(op) == 0)
		return;
	if (expires_s)
		gw_sipconn_unbind(sc);
	unavailable(sc, msg);
done:
	gw_sipconn_op_finish(op);
}

static void lookup_done(struct gw_op *op)
{
	const struct sip_msg *msg = gw_sipconn_op_msg(op);
	struct gw_sipconn *sc = op->sip;
	struct gw_worker *gw = op->gw;
	struct gw_user_rec rec;
	int r = op->st.result, v;

	if (!msg)
		goto done;
	if (r == -ENOENT) {
		/* Unknown user: the same answer as a wrong password. */
		challenge(sc, msg, false);
		goto done;
	}
	if (r) {
		log_warn("sip", "user_lookup_failed err=%d", r);
		unavailable(sc, msg);
		goto done;
	}
	if (gw_user_rec_decode(op->st.user.buf, op->st.user.out_len, &rec)) {
		log_error("sip", "user_record_bad");
		gw_sipconn_respond(sc, msg, 500, "Server Internal Error (user record)", NULL, 0);
		goto wipe;
	}
	{
		uint64_t flow = gw_sipconn_flow(sc);
		struct sip_digest_expect exp = {
			.method = sstr("REGISTER"),
			.ruri = msg->ruri_text,
			.username = { op->user, op->user_len },
			.realm = sstr(gw->srv->cfg.domain),
			/* Only what the challenges offered is accepted. */
			.ha1_sha256 = offered(&gw->srv->cfg, SIP_DIGEST_SHA256) ? rec.ha1_sha256 : NULL,
			.ha1_md5 = offered(&gw->srv->cfg, SIP_DIGEST_MD5) ? rec.ha1_md5 : NULL,
			.peer = &flow,
			.peer_len = sizeof(flow),
		};
		v = sip_digest_verify_value(&gw->sip.digest, msg->authorization->value, &exp,
					    clock_wall_ms());
	}
	explicit_bzero(&rec, sizeof(rec));
	explicit_bzero(op->text, sizeof(op->text));
	if (v != SIP_DIGEST_OK) {
		log_info("sip", "register_refused flow=%llx why=%s",
			 (unsigned long long)gw_sipconn_flow(sc), sip_digest_result_name(v));
		if (v == SIP_DIGEST_WRONG_USER)
			gw_sipconn_respond(sc, msg, 403, THEMSELVES, NULL, 0);
		else if (v == SIP_DIGEST_BAD_REQUEST)
			gw_sipconn_respond(sc, msg, 400, "Bad Request (digest parameters)", NULL, 0);
		else
			challenge(sc, msg, v == SIP_DIGEST_STALE);
		goto done;
	}
	gw_sipconn_set_authed(sc, op->user, op->user_len);
	bind_or_unbind(op, msg);
	return;
wipe:
	explicit_bzero(&rec, sizeof(rec));
	explicit_bzero(op->text, sizeof(op->text));
done:
	gw_sipconn_op_finish(op);
}

static void loc_done(struct gw_op *op)
{
	const struct sip_msg *msg = gw_sipconn_op_msg(op);
	struct gw_sipconn *sc = op->sip;
	int r = op->st.result;

	if (!msg)
		goto done; /* the flow closed; its unregistration follows this op */
	if (op->stage == STAGE_UNREGISTER) {
		log_info("sip", "unregistered flow=%llx", (unsigned long long)gw_sipconn_flow(sc));
		answer_ok(sc, msg, 0, false);
		goto done;
	}
	if (r) {
		log_warn("sip", "register_failed flow=%llx err=%d",
			 (unsigned long long)gw_sipconn_flow(sc), r);
		gw_sipconn_unbind(sc);
		unavailable(sc, msg);
		goto done;
	}
	log_info("sip", "registered flow=%llx expires_s=%u",
		 (unsigned long long)gw_sipconn_flow(sc), op->ttl_s);
	answer_ok(sc, msg, op->ttl_s, true);
	gw_sipconn_registered(sc);
done:
	gw_sipconn_op_finish(op);
}

static void gone_done(struct gw_op *op)
{
	/* -ENOENT: a newer registration elsewhere (or its expiry) took over. */
	if (op->st.result && op->st.result != -ENOENT)
		log_warn("sip", "unregister_failed flow=%llx err=%d",
			 (unsigned long long)op->st.loc.flow, op->st.result);
	else
		log_debug("sip", "binding_dropped flow=%llx err=%d",
			  (unsigned long long)op->st.loc.flow, op->st.result);
	gw_op_finish(op);
}

void gw_registrar_flow_gone(struct gw_worker *gw, const char *user, uint64_t flow)
{
	size_t n = strlen(user);
	struct gw_op *op = gw_op_new(gw, gone_done);

	if (!op || n > ST_NAME_MAX) {
		log_warn("sip", "unregister_dropped flow=%llx note=\"the binding lapses at its expiry\"",
			 (unsigned long long)flow);
		if (op)
			gw_op_finish(op);
		return;
	}
	memcpy(op->user, user, n + 1);
	op->user_len = (uint32_t)n;
	op->st.op = ST_OP_LOC_UNREGISTER;
	op->st.loc.user = (struct st_str){ op->user, op->user_len };
	op->st.loc.flow = flow;
	op->st.loc.worker = gw->dw.id;
	if (gw_op_submit(op)) {
		log_warn("sip", "unregister_dropped flow=%llx note=\"the binding lapses at its expiry\"",
			 (unsigned long long)flow);
		gw_op_finish(op);
	}
}
