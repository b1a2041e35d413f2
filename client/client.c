/* The client rules of columba.h: outbox, tries, triggers, expiries, SIP events. */
#include "client/columba.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"

static int on_sip_event(const struct cl_sip_event *ev, void *arg);

int cl_client_open(struct cl_client *c, cl_event_fn on_event, void *arg)
{
	uint8_t master[CL_MASTER_LEN];
	int rc;

	memset(c, 0, sizeof(*c));
	c->store.slots_fd = -1;
	c->on_event = on_event;
	c->event_arg = arg;
	cl_timing_load(&c->t);
	if ((rc = cl_paths_get(&c->paths)) || (rc = cl_config_load(&c->paths, &c->cfg)) ||
	    (rc = cl_config_tls(&c->cfg, &c->tls)) ||
	    (rc = cl_master_key(&c->paths, true, master)))
		return rc;
	rc = cl_store_open(&c->store, c->paths.data_dir, master);
	explicit_bzero(master, sizeof(master));
	return rc;
}

void cl_client_close(struct cl_client *c)
{
	if (c->api_ready)
		cl_api_fini(&c->api);
	if (c->sip_ready)
		cl_sip_fini(&c->sip);
	c->api_ready = c->sip_ready = false;
	cl_store_close(&c->store);
	explicit_bzero(&c->cfg, sizeof(c->cfg));
}

bool cl_client_check_user(const char *to)
{
	size_t n = strlen(to);

	return n >= 1 && n <= CL_PEER_MAX && strspn(to, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

int cl_client_login(const char *server, const char *sip, const char *domain, const char *user,
		    const char *password, const char *cafile, const char *pin)
{
	struct cl_paths paths;
	struct cl_config cfg;
	struct cl_tls_cfg tls;
	struct cl_api api;
	uint8_t master[CL_MASTER_LEN];
	char host[256];
	uint16_t port;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	if (!cl_client_check_user(user) || cl_host_port_parse(sip, host, sizeof(host), &port) < 0 ||
	    (!cafile && !pin) || snprintf(cfg.server, sizeof(cfg.server), "%s", server) >= (int)sizeof(cfg.server) ||
	    snprintf(cfg.sip, sizeof(cfg.sip), "%s", sip) >= (int)sizeof(cfg.sip) ||
	    snprintf(cfg.domain, sizeof(cfg.domain), "%s", domain ? domain : host) >= (int)sizeof(cfg.domain) ||
	    snprintf(cfg.cafile, sizeof(cfg.cafile), "%s", cafile ? cafile : "") >= (int)sizeof(cfg.cafile) ||
	    snprintf(cfg.pin, sizeof(cfg.pin), "%s", pin ? pin : "") >= (int)sizeof(cfg.pin))
		return -EINVAL;
	memcpy(cfg.user, user, strlen(user) + 1);
	if (cafile && cafile[0] != '/') {
		/* The config outlives the working directory: store an absolute path. */
		char cwd[CL_PATH_MAX / 2];

		if (!getcwd(cwd, sizeof(cwd)) ||
		    snprintf(cfg.cafile, sizeof(cfg.cafile), "%s/%s", cwd, cafile) >= (int)sizeof(cfg.cafile))
			return -EINVAL;
	}
	cfg.token[0] = 'x'; /* cl_config_tls() does not look at it */
	if ((rc = cl_config_tls(&cfg, &tls)))
		return rc;
	if ((rc = cl_api_init(&api, server, &tls, NULL)))
		return rc;
	rc = cl_api_login(&api, user, password, clock_mono_ms() + 12000);
	if (rc == 0) {
		memcpy(cfg.token, api.token, sizeof(cfg.token));
		rc = cl_sip_ha1(user, cfg.domain, password, cfg.ha1_md5, cfg.ha1_sha256);
	}
	cl_api_fini(&api);
	if (rc == 0 && (rc = cl_paths_get(&paths)) == 0 &&
	    (rc = cl_master_key(&paths, true, master)) == 0)
		rc = cl_config_save(&paths, &cfg);
	explicit_bzero(master, sizeof(master));
	explicit_bzero(&cfg, sizeof(cfg));
	return rc;
}

static int api_ready(struct cl_client *c)
{
	int rc;

	if (c->api_ready)
		return 0;
	rc = cl_api_init(&c->api, c->cfg.server, &c->tls, c->cfg.token);
	if (rc)
		return rc;
	c->api_ready = true;
	return 0;
}

static void emit(struct cl_client *c, enum cl_event ev, struct cl_msg *m)
{
	if (c->on_event)
		c->on_event(ev, m, c->event_arg);
}

/* One try of @m: submit, then record the outcome. */
static int try_once(struct cl_client *c, struct cl_msg *m)
{
	struct cl_submit_result res;
	char key[CL_KEY_HEX + 1];
	int rc, urc;

	cl_key_hex(m->key, key);
	rc = api_ready(c);
	if (rc == 0)
		rc = cl_api_submit(&c->api, m->peer, m->text, key, &res,
				   clock_mono_ms() + c->t.send_timeout_ms);
	if (m->tries < 255)
		m->tries++;
	m->updated_ms = clock_wall_ms();
	if (rc == 0) {
		m->status = CL_ST_ENQUEUED;
		m->sent_ms = m->updated_ms;
		memcpy(m->server_id, res.id, sizeof(res.id));
		log_info("client", "send_ok key=%s id=%s try=%u duplicate=%d", key, res.id, m->tries,
			 res.duplicate);
	} else if (rc == -EBADMSG) {
		m->status = CL_ST_ERROR;
		snprintf(m->error, sizeof(m->error), "%s", c->api.error);
		log_info("client", "send_refused key=%s error=%s", key, c->api.error);
	} else {
		c->last_error = rc;
		log_info("client", "send_try_failed key=%s try=%u err=%d", key, m->tries, rc);
	}
	urc = cl_store_update(&c->store, m);
	if (rc == 0 || rc == -EBADMSG || urc == 1)
		emit(c, CL_EV_STATUS, m);
	return urc < 0 ? urc : rc;
}

/* @tries tries of @m, paused by t.retry_pause_ms; stops at a final answer. */
static int try_n(struct cl_client *c, struct cl_msg *m, unsigned tries)
{
	int rc = -EIO;

	for (unsigned i = 0; i < tries; i++) {
		if (i > 0) {
			struct timespec ts = { (time_t)(c->t.retry_pause_ms / 1000),
					       (long)(c->t.retry_pause_ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		rc = try_once(c, m);
		if (rc == 0 || rc == -EBADMSG || rc == -EACCES)
			break;
	}
	return rc;
}

struct flush_ctx {
	struct cl_client *c;
	unsigned tries;
	const uint8_t *skip;
	int sent;
	int err;
};

static int flush_one(struct cl_msg *m, void *arg)
{
	struct flush_ctx *f = arg;
	int rc;

	if (f->skip && memcmp(m->key, f->skip, CL_KEY_LEN) == 0)
		return 0;
	if (m->dir != CL_OUT || m->status != CL_ST_SENDING)
		return 0;
	if (clock_wall_ms() - m->created_ms >= f->c->t.outbox_expiry_ms)
		return 0; /* the sweep turns it into a Send error */
	rc = try_n(f->c, m, f->tries);
	if (rc == 0)
		f->sent++;
	else if (rc != -EBADMSG) {
		f->err = rc;
		return 1; /* the server is out of reach (or our token refused): stop */
	}
	return 0;
}

static int flush_except(struct cl_client *c, unsigned tries, const uint8_t *skip)
{
	struct flush_ctx f = { c, tries, skip, 0, 0 };
	int rc = cl_store_list(&c->store, true, flush_one, &f);

	if (rc < 0)
		return rc;
	return f.err ? f.err : f.sent;
}

int cl_client_flush(struct cl_client *c, unsigned tries)
{
	return flush_except(c, tries, NULL);
}

int cl_client_send(struct cl_client *c, const char *to, const char *text, struct cl_msg *m)
{
	size_t len = strlen(text), chars;
	int rc = cl_text_check(text, len, &chars);

	if (rc < 0)
		return rc;
	if (!cl_client_check_user(to))
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->created_ms = m->updated_ms = clock_wall_ms();
	if ((rc = cl_store_new_key(m->created_ms, m->key)))
		return rc;
	m->dir = CL_OUT;
	m->status = CL_ST_SENDING;
	memcpy(m->peer, to, strlen(to) + 1);
	memcpy(m->text, text, len + 1);
	m->text_len = len;
	if ((rc = cl_store_add(&c->store, m)))
		return rc;
	/* "When the user sends another message" (DESIGN.md §1): the older
	 * outbox goes first, so the recipient gets them in order. */
	flush_except(c, 1, m->key);
	return try_n(c, m, c->t.send_tries);
}

struct sweep_ctx {
	struct cl_client *c;
	uint64_t now;
	int err;
};

static int sweep_one(struct cl_msg *m, void *arg)
{
	struct sweep_ctx *s = arg;
	struct cl_client *c = s->c;
	int rc = 0;

	if (m->dir == CL_OUT && m->status == CL_ST_SENDING &&
	    s->now - m->created_ms >= c->t.outbox_expiry_ms) {
		m->status = CL_ST_ERROR;
		m->updated_ms = s->now;
		snprintf(m->error, sizeof(m->error), "send_error");
		rc = cl_store_update(&c->store, m);
		if (rc >= 0) {
			rc = 0;
			char key[CL_KEY_HEX + 1];

			cl_key_hex(m->key, key);
			log_info("client", "send_error key=%s tries=%u", key, m->tries);
			emit(c, CL_EV_SEND_ERROR, m);
		}
	}
	if (rc == 0 && (m->flags & CL_F_READ) && !(m->flags & CL_F_ERASED) &&
	    s->now - m->read_ms >= c->t.read_expiry_ms)
		rc = cl_store_erase_text(&c->store, m);
	if (rc)
		s->err = rc;
	return 0;
}

int cl_client_sweep(struct cl_client *c, uint64_t now_ms)
{
	struct sweep_ctx s = { c, now_ms, 0 };
	int rc = cl_store_list(&c->store, false, sweep_one, &s);

	return rc ? rc : s.err;
}

int cl_client_mark_read(struct cl_client *c, struct cl_msg *m)
{
	if (m->flags & (CL_F_READ | CL_F_ERASED))
		return 0;
	if (m->dir == CL_OUT && m->status != CL_ST_DELIVERED)
		return 0;
	m->flags |= CL_F_READ;
	m->read_ms = clock_wall_ms();
	return cl_store_update(&c->store, m) < 0 ? -EIO : 0;
}

static void set_remote(struct cl_client *c, struct cl_msg *m, enum cl_status st, const char *err)
{
	if (m->status == st)
		return;
	m->status = st;
	m->updated_ms = clock_wall_ms();
	snprintf(m->error, sizeof(m->error), "%s", err);
	if (cl_store_update(&c->store, m) >= 0)
		emit(c, CL_EV_STATUS, m);
}

int cl_client_refresh(struct cl_client *c, struct cl_msg *m)
{
	enum cl_remote_status st;
	int rc;

	if (m->dir != CL_OUT || !m->server_id[0])
		return 0;
	rc = api_ready(c);
	if (rc == 0)
		rc = cl_api_status(&c->api, m->server_id, &st, clock_mono_ms() + c->t.send_timeout_ms);
	if (rc < 0)
		return rc;
	if (st == CL_REMOTE_DELIVERED)
		set_remote(c, m, CL_ST_DELIVERED, "");
	else if (st == CL_REMOTE_FAILED)
		set_remote(c, m, CL_ST_ERROR, "failed");
	else if (st == CL_REMOTE_EXPIRED)
		set_remote(c, m, CL_ST_ERROR, "expired");
	return 0;
}

int cl_client_find(struct cl_client *c, const char *id, struct cl_msg *m)
{
	uint8_t key[CL_KEY_LEN];

	if (strlen(id) == CL_SRVID_LEN) {
		if (cl_store_find(&c->store, CL_OUT, id, m) == 0)
			return 0;
		return cl_store_find(&c->store, CL_IN, id, m);
	}
	if (cl_key_unhex(id, key) < 0)
		return -ENOENT;
	return cl_store_get(&c->store, key, m);
}

int cl_client_sip_start(struct cl_client *c, uint64_t deadline_ms)
{
	int rc;

	if (!c->sip_ready) {
		rc = cl_sip_init(&c->sip, c->cfg.sip, &c->tls, c->cfg.user, c->cfg.domain,
				 c->cfg.ha1_md5, c->cfg.ha1_sha256, on_sip_event, c);
		if (rc)
			return rc;
		c->sip.expires_s = c->t.register_expires_s;
		c->sip_ready = true;
	}
	return cl_sip_connect(&c->sip, deadline_ms);
}

/* A MESSAGE on the flow: store it (200) or have the server retry (480). */
static int on_sip_event(const struct cl_sip_event *ev, void *arg)
{
	struct cl_client *c = arg;
	struct cl_msg *m;
	int rc, status = 200;

	m = calloc(1, sizeof(*m));
	if (!m)
		return 480;
	if (ev->kind == CL_SIP_EV_IMDN) {
		rc = cl_store_apply_remote(&c->store, ev->about,
					   ev->state == CL_IMDN_DELIVERED ? CL_ST_DELIVERED : CL_ST_ERROR,
					   ev->state == CL_IMDN_DELIVERED ? ""
					   : ev->state == CL_IMDN_EXPIRED ? "expired" : "failed", m);
		if (rc == 1)
			emit(c, CL_EV_STATUS, m);
		else if (rc == -ENOENT)
			log_info("client", "imdn_early id=%s", ev->about); /* applied at the 202 */
		else if (rc < 0)
			status = 480;
		goto out;
	}
	if (ev->text_len > CL_TEXT_MAX) {
		status = 413;
		goto out;
	}
	m->dir = CL_IN;
	m->status = CL_ST_RECEIVED;
	m->created_ms = m->updated_ms = m->sent_ms = clock_wall_ms();
	snprintf(m->peer, sizeof(m->peer), "%s", ev->from);
	memcpy(m->server_id, ev->server_id, sizeof(m->server_id));
	memcpy(m->text, ev->text, ev->text_len);
	m->text[ev->text_len] = '\0';
	m->text_len = ev->text_len;
	rc = cl_store_new_key(m->created_ms, m->key);
	rc = rc ? rc : cl_store_add(&c->store, m);
	if (rc == 0) {
		log_info("client", "received id=%s from=%s", m->server_id, m->peer);
		emit(c, CL_EV_RECEIVED, m);
	} else if (rc == -EEXIST) {
		log_info("client", "redelivery id=%s", m->server_id);
	} else {
		status = 480; /* Temporarily Unavailable: the server tries again */
	}
out:
	explicit_bzero(m, sizeof(*m));
	free(m);
	return status;
}

const char *cl_client_strerror(int err)
{
	switch (err) {
	case -EMSGSIZE:
		return "text too long: at most 160 characters";
	case -ENODATA:
		return "empty text";
	case -EILSEQ:
		return "text is not valid UTF-8 or holds a control character";
	case -EACCES:
		return "bad credentials (the server refused the user, password or device token)";
	case -EAGAIN:
		return "the server is busy; try again later";
	case -EBADMSG:
		return "the server refused the message";
	case -ENOENT:
		return "not found (or not logged in: run `columba login`)";
	case -EPERM:
		return "a configuration or key file is readable by others (chmod 600)";
	case -EREMCHG:
		return "the SIP realm is not the configured domain (login again with --domain)";
	case -EPROTO:
		return "unexpected answer from the server";
	default:
		return cl_conn_strerror(err);
	}
}

const char *cl_status_name(unsigned status)
{
	switch (status) {
	case CL_ST_SENDING:
		return "Sending";
	case CL_ST_ENQUEUED:
		return "Enqueued";
	case CL_ST_DELIVERED:
		return "Delivered";
	case CL_ST_ERROR:
		return "Error";
	case CL_ST_RECEIVED:
		return "Received";
	default:
		return "?";
	}
}
