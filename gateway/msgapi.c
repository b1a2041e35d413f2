/*
 * The messages API (DESIGN.md §2): POST /v1/messages, GET /v1/messages/{id},
 * and the device-token endpoints. Every handler checks what it can on the
 * worker (syntax, the JSON body), then goes to the store; the 202 leaves
 * only after the store answered, which it does only once the message is
 * durable (storage/store.h).
 */
#include "gateway/msgapi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/compiler.h"
#include "base/log.h"
#include "gateway/auth.h"
#include "gateway/authd.h"
#include "gateway/intake.h"

#define LIT(s) { s, sizeof(s) - 1 }

enum { STAGE_TOKEN = 1, STAGE_MAIN = 2, STAGE_USER = 3, STAGE_VERIFY = 4, STAGE_ISSUE = 5 };

static const struct http_header challenge_bearer[] = {
	{ LIT("WWW-Authenticate"), LIT("Bearer realm=\"columba\"") },
};

static void count_reject(struct gw_worker *gw, enum gw_reject why)
{
	atomic_fetch_add_explicit(&gw->stats.rejected[why], 1, memory_order_relaxed);
}

static void retry_after(char *buf, size_t cap, struct http_header *h, uint64_t ms)
{
	uint64_t s = (ms + 999) / 1000;

	snprintf(buf, cap, "%llu", (unsigned long long)(s ? s : 1));
	h->name = (struct http_str){ "Retry-After", 11 };
	h->value = (struct http_str){ buf, strlen(buf) };
}

/* 503 for "the store cannot take it now", with Retry-After. */
static void respond_unavailable(struct gw_op *op, const char *detail)
{
	char v[24];
	struct http_header h;

	retry_after(v, sizeof(v), &h, 1000);
	count_reject(op->gw, GW_REJ_UNAVAILABLE);
	gw_op_respond_error(op, 503, "unavailable", detail, &h, 1);
}

static int respond_now_unavailable(struct gw_conn *c, const struct http_request *req)
{
	struct http_header h = { { "Retry-After", 11 }, { "1", 1 } };

	count_reject(gw_conn_worker(c), GW_REJ_UNAVAILABLE);
	return gw_respond_error_ex(c, req, 503, "unavailable",
				   "the gateway is busy; retry shortly", &h, 1);
}

/*
 * The Bearer token of the request: syntax only (the store knows whether it
 * is valid). Answers 401 itself and returns false when absent or malformed.
 */
static bool bearer(struct gw_conn *c, const struct http_request *req, struct gw_authz *az)
{
	const struct http_header *h = http_find_header(req, "Authorization");
	char scratch[8];
	int r;

	if (!h) {
		count_reject(gw_conn_worker(c), GW_REJ_UNAUTHORIZED);
		gw_respond_error_ex(c, req, 401, "unauthorized",
				    "an Authorization: Bearer token is required", challenge_bearer, 1);
		return false;
	}
	r = gw_authz_parse(h->value.p, h->value.n, az, scratch, sizeof(scratch));
	if (r || az->scheme != GW_AUTHZ_BEARER || !gw_token_syntax_ok(az->token, az->token_len)) {
		count_reject(gw_conn_worker(c), GW_REJ_UNAUTHORIZED);
		gw_respond_error_ex(c, req, 401, "unauthorized",
				    "the Authorization header is not a valid Bearer token",
				    challenge_bearer, 1);
		return false;
	}
	return true;
}

/* Start an op whose first step looks the token up. */
static struct gw_op *op_with_token(struct gw_conn *c, const struct http_request *req,
				   const struct gw_authz *az, gw_op_done_fn done)
{
	struct gw_op *op = gw_op_start(c, req, done);

	if (!op)
		return NULL;
	memcpy(op->token, az->token, az->token_len);
	op->token_len = az->token_len;
	op->stage = STAGE_TOKEN;
	op->started_ns = clock_mono_ns();
	op->st.op = ST_OP_TOKEN_LOOKUP;
	op->st.token.token = (struct st_str){ op->token, op->token_len };
	return op;
}

/*
 * After ST_OP_TOKEN_LOOKUP: false (and the 401/503 answered) unless the
 * token is good; then op->user holds its user.
 */
static bool token_ok(struct gw_op *op)
{
	int r = op->st.result;

	if (r == ST_E_UNAVAILABLE || r == -EIO) {
		respond_unavailable(op, "the message store is unavailable; retry shortly");
		return false;
	}
	if (r) {
		count_reject(op->gw, GW_REJ_UNAUTHORIZED);
		gw_op_respond_error(op, 401, "unauthorized",
				    r == -EKEYEXPIRED ? "the token has expired" :
				    r == -EKEYREVOKED ? "the token was revoked" :
							"the token is not known",
				    challenge_bearer, 1);
		return false;
	}
	memcpy(op->user, op->st.token.user_buf, op->st.token.user_len);
	op->user_len = op->st.token.user_len;
	op->user[op->user_len] = '\0';
	return true;
}

static void resubmit(struct gw_op *op)
{
	if (gw_op_submit(op)) {
		respond_unavailable(op, "the message store is busy; retry shortly");
		gw_op_finish(op);
	}
}

/* ---- POST /v1/messages ---- */

static void submit_done(struct gw_op *op)
{
	struct gw_worker *gw = op->gw;
	char body[256], id[ST_ID_TEXT_LEN + 1];
	ssize_t n;
	int r;

	if (op->stage == STAGE_TOKEN) {
		int64_t wait;

		if (!token_ok(op))
			goto out;
		/* Per-sender submit rate (token bucket). */
		wait = rl_take(&gw->submit_rl, rl_key(&gw->submit_rl, op->user, op->user_len),
			       gw->dw.now_ms, 1);
		if (wait > 0) {
			char v[24];
			struct http_header h;

			retry_after(v, sizeof(v), &h, (uint64_t)wait);
			count_reject(gw, GW_REJ_RATE);
			gw_op_respond_error(op, 429, "rate_limited",
					    "too many messages from this sender; retry later", &h, 1);
			goto out;
		}
		op->stage = STAGE_MAIN;
		memset(&op->st.enqueue, 0, sizeof(op->st.enqueue));
		op->st.op = ST_OP_ENQUEUE;
		op->st.result = 0;
		op->st.enqueue.sender = (struct st_str){ op->user, op->user_len };
		op->st.enqueue.recipient = (struct st_str){ op->to, op->to_len };
		op->st.enqueue.text = (struct st_str){ op->text, op->text_len };
		op->st.enqueue.idem_key = (struct st_str){ op->idem, op->idem_len };
		op->st.enqueue.ttl_ms = (uint64_t)op->ttl_s * 1000u;
		op->st.enqueue.no_notify = op->no_notify;
		resubmit(op);
		return;
	}
	r = op->st.result;
	gw_hist_add(&gw->stats.ack_latency, (clock_mono_ns() - op->started_ns) / 1000u);
	if (r == -ENOENT) {
		count_reject(gw, GW_REJ_NO_RECIPIENT);
		gw_op_respond_error(op, 404, "unknown_recipient",
				    "to: no such user in this domain", NULL, 0);
	} else if (r == -EDQUOT) {
		char v[24];
		struct http_header h;

		/* The recipient has been offline long enough to fill its queue:
		 * the sender retries later (the oldest will have expired or been
		 * delivered). */
		retry_after(v, sizeof(v), &h, 60000);
		count_reject(gw, GW_REJ_QUEUE_FULL);
		gw_op_respond_error(op, 503, "recipient_queue_full",
				    "to: the recipient has too many messages waiting; retry later", &h, 1);
	} else if (r == ST_E_UNAVAILABLE || r == -EIO) {
		respond_unavailable(op, "the message store cannot accept messages now; retry shortly");
	} else if (r) {
		/* -E2BIG / -EINVAL: the intake rules should have caught it. */
		log_warn("intake", "enqueue_refused err=%d", r);
		count_reject(gw, GW_REJ_INVALID);
		gw_op_respond_error(op, 422, "invalid", "the message was refused by the store",
				    NULL, 0);
	} else {
		st_id_encode(&op->st.enqueue.id, id);
		n = gw_intake_write_accepted(body, sizeof(body), id,
					     op->st.enqueue.expires_ms / 1000u,
					     op->st.enqueue.duplicate);
		BUG_ON(n < 0);
		atomic_fetch_add_explicit(&gw->stats.accepted, 1, memory_order_relaxed);
		if (op->st.enqueue.duplicate)
			atomic_fetch_add_explicit(&gw->stats.accepted_duplicate, 1,
						  memory_order_relaxed);
		log_debug("intake", "enqueued id=%s bytes=%u dup=%d", id, op->text_len,
			  op->st.enqueue.duplicate);
		gw_op_respond(op, 202, "application/json", body, (size_t)n, NULL, 0);
	}
out:
	/* The text is no longer needed: do not leave it in pooled memory. */
	explicit_bzero(op->text, op->text_len);
	gw_op_finish(op);
}

static int h_submit(void *cv, const struct http_request *req, struct http_str param, void *arg)
{
	struct gw_conn *c = cv;
	struct gw_worker *gw = gw_conn_worker(c);
	const struct http_header *ct, *ik;
	struct gw_submit sub;
	struct gw_intake_diag diag;
	struct http_str body = gw_conn_body(c);
	struct gw_authz az;
	struct gw_op *op;
	char detail[160];
	int r;

	(void)param;
	(void)arg;
	if (!bearer(c, req, &az))
		return 0;
	ct = http_find_header(req, "Content-Type");
	if (!ct || !(http_str_eq_nocase(ct->value, "application/json") ||
		     (ct->value.n > 17 && strncasecmp(ct->value.p, "application/json;", 17) == 0))) {
		count_reject(gw, GW_REJ_INVALID);
		return gw_respond_error(c, req, 415, "unsupported_media_type",
					"Content-Type must be application/json");
	}
	if (!(req->flags & HTTP_F_HAS_CL)) {
		count_reject(gw, GW_REJ_INVALID);
		return gw_respond_error(c, req, 411, "length_required",
					"a Content-Length header is required");
	}
	ik = http_find_header(req, "Idempotency-Key");
	if (ik && gw_idem_key_check(ik->value.p, ik->value.n)) {
		count_reject(gw, GW_REJ_INVALID);
		return gw_respond_error(c, req, 400, "bad_idempotency_key",
					"Idempotency-Key: 1 to 64 printable ASCII characters");
	}
	r = gw_intake_parse(body.p, body.n, &sub, &diag);
	if (r) {
		gw_intake_detail(r, &diag, detail, sizeof(detail));
		count_reject(gw, GW_REJ_INVALID);
		explicit_bzero(&sub, sizeof(sub));
		return gw_respond_error(c, req, gw_intake_status(r), gw_intake_code(r), detail);
	}
	op = op_with_token(c, req, &az, submit_done);
	if (!op) {
		explicit_bzero(&sub, sizeof(sub));
		return respond_now_unavailable(c, req);
	}
	memcpy(op->to, sub.to, sub.to_len);
	op->to_len = (uint32_t)sub.to_len;
	memcpy(op->text, sub.text, sub.text_len);
	op->text_len = (uint32_t)sub.text_len;
	op->ttl_s = sub.ttl_s;
	op->no_notify = !sub.notify;
	op->idem_len = 0;
	if (ik) {
		memcpy(op->idem, ik->value.p, ik->value.n);
		op->idem_len = (uint32_t)ik->value.n;
	}
	explicit_bzero(&sub, sizeof(sub));
	if (gw_op_submit(op)) {
		explicit_bzero(op->text, op->text_len);
		respond_unavailable(op, "the message store is busy; retry shortly");
		gw_op_finish(op);
	}
	return GW_PENDING;
}

/* ---- GET /v1/messages/{id} ---- */

static void status_done(struct gw_op *op)
{
	char body[320], id[ST_ID_TEXT_LEN + 1];
	const char *state;
	ssize_t n;
	int r;

	if (op->stage == STAGE_TOKEN) {
		if (!token_ok(op))
			goto out;
		op->stage = STAGE_MAIN;
		memset(&op->st.status, 0, sizeof(op->st.status));
		op->st.op = ST_OP_STATUS;
		op->st.result = 0;
		op->st.status.requester = (struct st_str){ op->user, op->user_len };
		op->st.status.id = op->id;
		resubmit(op);
		return;
	}
	r = op->st.result;
	if (r == -ENOENT) {
		/* Someone else's message looks exactly like no message. */
		gw_op_respond_error(op, 404, "not_found", "no such message", NULL, 0);
		goto out;
	}
	if (r) {
		respond_unavailable(op, "the message store is unavailable; retry shortly");
		goto out;
	}
	switch (op->st.status.state) {
	case ST_STATE_ENQUEUED: state = "enqueued"; break;
	case ST_STATE_DELIVERED: state = "delivered"; break;
	case ST_STATE_EXPIRED: state = "expired"; break;
	default: state = "failed"; break;
	}
	st_id_encode(&op->id, id);
	n = gw_intake_write_status(body, sizeof(body), id, state,
				   op->st.status.created_ms / 1000u,
				   op->st.status.expires_ms / 1000u,
				   op->st.status.state == ST_STATE_ENQUEUED ? 0 :
				   op->st.status.updated_ms / 1000u);
	BUG_ON(n < 0);
	gw_op_respond(op, 200, "application/json", body, (size_t)n, NULL, 0);
out:
	gw_op_finish(op);
}

static int h_status(void *cv, const struct http_request *req, struct http_str param, void *arg)
{
	struct gw_conn *c = cv;
	struct gw_authz az;
	struct st_id id;
	struct gw_op *op;

	(void)arg;
	if (!bearer(c, req, &az))
		return 0;
	if (st_id_decode(param.p, param.n, &id))
		return gw_respond_error(c, req, 404, "not_found", "no such message");
	op = op_with_token(c, req, &az, status_done);
	if (!op)
		return respond_now_unavailable(c, req);
	op->id = id;
	resubmit(op);
	return GW_PENDING;
}

/* ---- DELETE /v1/tokens/current ---- */

static void revoke_done(struct gw_op *op)
{
	int r;

	if (op->stage == STAGE_TOKEN) {
		/* Only a valid token can be revoked: an unknown, revoked or
		 * expired one gets 401 like on every other endpoint (the
		 * store's revoke alone would answer 0 for a revoked one). */
		if (!token_ok(op)) {
			gw_op_finish(op);
			return;
		}
		op->stage = STAGE_MAIN;
		op->st.op = ST_OP_TOKEN_REVOKE;
		op->st.result = 0;
		resubmit(op);
		return;
	}
	r = op->st.result;
	if (r == 0)
		gw_op_respond(op, 204, NULL, NULL, 0, NULL, 0);
	else if (r == -ENOENT || r == -EKEYREVOKED || r == -EKEYEXPIRED)
		gw_op_respond_error(op, 401, "unauthorized", "the token is not known",
				    challenge_bearer, 1);
	else
		respond_unavailable(op, "the store is unavailable; retry shortly");
	gw_op_finish(op);
}

static int h_revoke(void *cv, const struct http_request *req, struct http_str param, void *arg)
{
	struct gw_conn *c = cv;
	struct gw_authz az;
	struct gw_op *op;

	(void)param;
	(void)arg;
	if (!bearer(c, req, &az))
		return 0;
	op = op_with_token(c, req, &az, revoke_done);
	if (!op)
		return respond_now_unavailable(c, req);
	resubmit(op);
	return GW_PENDING;
}

/* ---- POST /v1/tokens (HTTP Basic with the user's password) ---- */

static const struct http_header challenge_basic[] = {
	{ LIT("WWW-Authenticate"), LIT("Basic realm=\"columba\", charset=\"UTF-8\"") },
};

static void login_failed(struct gw_op *op)
{
	struct gw_worker *gw = op->gw;

	/* Both buckets were charged on admission (per user: guessing one
	 * account; per source address: spraying many); a failure keeps it. */
	count_reject(gw, GW_REJ_LOGIN_FAILED);
	log_info("auth", "login_failed user_bytes=%u", op->user_len);
	gw_op_respond_error(op, 401, "unauthorized", "wrong user name or password",
			    challenge_basic, 1);
}

static void token_done(struct gw_op *op)
{
	struct gw_worker *gw = op->gw;
	struct gw_user_rec rec;
	char body[160];
	int r = op->ar ? op->ar->result : op->st.result;

	switch (op->stage) {
	case STAGE_USER:
		r = op->st.result;
		if (r && r != -ENOENT) {
			respond_unavailable(op, "the store is unavailable; retry shortly");
			break;
		}
		/* An unknown user costs the same Argon2 as a known one, so the
		 * answer time does not tell which names exist. */
		if (r == 0 && gw_user_rec_decode((const uint8_t *)op->text, op->st.user.out_len,
						 &rec) == 0 &&
		    !(rec.flags & GW_USER_F_DISABLED)) {
			op->known_user = true;
		} else {
			op->known_user = false;
			memcpy(rec.phc, gw->srv->dummy_phc, sizeof(rec.phc));
		}
		explicit_bzero(op->text, sizeof(op->text));
		memcpy(op->ar->phc, rec.phc, sizeof(op->ar->phc));
		explicit_bzero(&rec, sizeof(rec));
		op->stage = STAGE_VERIFY;
		if (gw_authd_submit(gw->authd, &op->ar, 1) != 1) {
			respond_unavailable(op, "too many logins in progress; retry shortly");
			break;
		}
		return;
	case STAGE_VERIFY:
		if (r == -EACCES || (r == 0 && !op->known_user)) {
			login_failed(op);
			break;
		}
		if (r) {
			respond_unavailable(op, "cannot check the password now; retry shortly");
			break;
		}
		/* The right password: the attempt does not count against the
		 * user or the address. */
		rl_refund(&gw->login_user_rl, rl_key(&gw->login_user_rl, op->user, op->user_len), 1);
		rl_refund(&gw->login_addr_rl, op->addr_key, 1);
		if (gw_token_generate(op->token)) {
			respond_unavailable(op, "cannot generate a token now; retry shortly");
			break;
		}
		op->token_len = GW_TOKEN_LEN;
		op->stage = STAGE_ISSUE;
		memset(&op->st, 0, sizeof(op->st));
		op->st.cookie = op;
		op->st.op = ST_OP_TOKEN_CREATE;
		op->st.token.token = (struct st_str){ op->token, op->token_len };
		op->st.token.user = (struct st_str){ op->user, op->user_len };
		op->st.token.expires_ms = clock_wall_ms() +
					  (uint64_t)gw->srv->cfg.token_ttl_s * 1000u;
		pool_put(&gw->auth_reqs, op->ar);
		op->ar = NULL;
		resubmit(op);
		return;
	case STAGE_ISSUE:
		r = op->st.result;
		if (r) {
			respond_unavailable(op, "cannot store the token now; retry shortly");
			break;
		}
		snprintf(body, sizeof(body), "{\"token\":\"%.*s\",\"expires_at\":%llu}\n",
			 (int)op->token_len, op->token,
			 (unsigned long long)(op->st.token.expires_ms / 1000u));
		atomic_fetch_add_explicit(&gw->stats.tokens_issued, 1, memory_order_relaxed);
		log_info("auth", "token_issued user_bytes=%u", op->user_len);
		gw_op_respond(op, 201, "application/json", body, strlen(body), NULL, 0);
		explicit_bzero(body, sizeof(body));
		break;
	default:
		BUG_ON(1);
	}
	explicit_bzero(op->token, sizeof(op->token));
	if (op->ar) {
		explicit_bzero(op->ar->password, sizeof(op->ar->password));
		pool_put(&gw->auth_reqs, op->ar);
		op->ar = NULL;
	}
	gw_op_finish(op);
}

static int h_token(void *cv, const struct http_request *req, struct http_str param, void *arg)
{
	struct gw_conn *c = cv;
	struct gw_worker *gw = gw_conn_worker(c);
	const struct http_header *h = http_find_header(req, "Authorization");
	const struct dp_addr *peer = gw_conn_peer(c);
	char buf[GW_AUTHZ_VALUE_MAX];
	struct gw_authz az;
	struct gw_op *op;
	uint64_t addr_key, user_key;
	int64_t wait_u, wait_a;
	int r;

	(void)param;
	(void)arg;
	if (!h) {
		count_reject(gw, GW_REJ_UNAUTHORIZED);
		return gw_respond_error_ex(c, req, 401, "unauthorized",
					   "HTTP Basic authentication with the user's password is required",
					   challenge_basic, 1);
	}
	r = gw_authz_parse(h->value.p, h->value.n, &az, buf, sizeof(buf));
	if (r || az.scheme != GW_AUTHZ_BASIC || az.user_len > ST_NAME_MAX ||
	    az.password_len > GW_AUTH_PASSWORD_MAX) {
		explicit_bzero(buf, sizeof(buf));
		count_reject(gw, GW_REJ_UNAUTHORIZED);
		return gw_respond_error_ex(c, req, 401, "unauthorized",
					   "the Authorization header is not valid HTTP Basic",
					   challenge_basic, 1);
	}
	addr_key = rl_key(&gw->login_addr_rl, peer->family == AF_INET6 ? (const void *)&peer->v6 :
					      (const void *)&peer->v4,
			  peer->family == AF_INET6 ? 16 : 4);
	user_key = rl_key(&gw->login_user_rl, az.user, az.user_len);
	/*
	 * Every attempt is charged now, before any password is checked, so
	 * logins already in flight cannot slip past the limit; a correct one
	 * is refunded (token_done). The address bucket is charged only if the
	 * user bucket had room, so a refused attempt costs nothing more.
	 */
	wait_u = rl_take(&gw->login_user_rl, user_key, gw->dw.now_ms, 1);
	wait_a = wait_u > 0 ? 0 : rl_take(&gw->login_addr_rl, addr_key, gw->dw.now_ms, 1);
	if (wait_a > 0)
		rl_refund(&gw->login_user_rl, user_key, 1);
	if (wait_u > 0 || wait_a > 0) {
		char v[24];
		struct http_header ra;

		explicit_bzero(buf, sizeof(buf));
		retry_after(v, sizeof(v), &ra, (uint64_t)(wait_u > wait_a ? wait_u : wait_a));
		count_reject(gw, GW_REJ_LOGIN_LIMITED);
		return gw_respond_error_ex(c, req, 429, "too_many_attempts",
					   "too many failed logins; retry later", &ra, 1);
	}
	op = gw_op_start(c, req, token_done);
	if (op)
		op->ar = pool_get(&gw->auth_reqs);
	if (!op || !op->ar) {
		explicit_bzero(buf, sizeof(buf));
		if (op) {
			gw_op_respond_error(op, 503, "unavailable", "too many logins in progress", NULL, 0);
			gw_op_finish(op);
			return GW_PENDING;
		}
		return respond_now_unavailable(c, req);
	}
	op->addr_key = addr_key;
	memcpy(op->user, az.user, az.user_len);
	op->user_len = az.user_len;
	op->user[op->user_len] = '\0';
	r = gw_auth_req_set(op->ar, GW_AUTH_VERIFY, az.password, az.password_len, NULL, az.user,
			    az.user_len, gw->srv->cfg.domain, strlen(gw->srv->cfg.domain));
	explicit_bzero(buf, sizeof(buf));
	op->ar->cookie = op;
	if (r) {
		gw_op_respond_error(op, 401, "unauthorized", "wrong user name or password",
				    challenge_basic, 1);
		pool_put(&gw->auth_reqs, op->ar);
		op->ar = NULL;
		gw_op_finish(op);
		return GW_PENDING;
	}
	op->stage = STAGE_USER;
	op->st.op = ST_OP_USER_LOOKUP;
	op->st.user.name = (struct st_str){ op->user, op->user_len };
	op->st.user.buf = (uint8_t *)op->text;
	op->st.user.buf_len = sizeof(op->text);
	if (gw_op_submit(op)) {
		explicit_bzero(op->ar->password, sizeof(op->ar->password));
		pool_put(&gw->auth_reqs, op->ar);
		op->ar = NULL;
		respond_unavailable(op, "the store is busy; retry shortly");
		gw_op_finish(op);
	}
	return GW_PENDING;
}

int gw_msgapi_routes(struct gw_server *srv)
{
	int r;

	r = http_router_add(&srv->api, HTTP_M_POST, "/v1/messages", h_submit, srv);
	if (!r)
		r = http_router_add(&srv->api, HTTP_M_GET, "/v1/messages/{id}", h_status, srv);
	if (!r)
		r = http_router_add(&srv->api, HTTP_M_DELETE, "/v1/tokens/current", h_revoke, srv);
	if (!r)
		r = http_router_add(&srv->api, HTTP_M_POST, "/v1/tokens", h_token, srv);
	return r;
}
