/*
 * authd: the password-check thread and its per-worker channels; see authd.h.
 */
#include "gateway/authd.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/compiler.h"
#include "base/log.h"

#define AUTHD_MAX_WORKERS 1024

struct gw_authd_chan {
	struct ring req;  /* worker -> authd */
	struct ring done; /* authd -> worker */
	struct ring_bell *worker_bell;
	struct gw_authd *d;
	uint32_t inflight; /* worker side only */
	uint16_t idx;
};

struct gw_authd {
	struct gw_authd_chan *chans;
	unsigned n_chans;
	unsigned next;      /* thread side: round-robin start */
	struct gw_argon2_params params;
	struct ring_bell bell;
	_Atomic bool stopping;
	bool running;       /* the thread was started and not yet joined */
	pthread_t thread;
	uint64_t served, cancelled;
};

static void wipe_password(struct gw_auth_req *r)
{
	explicit_bzero(r->password, sizeof(r->password));
	r->password_len = 0;
}

int gw_auth_req_set(struct gw_auth_req *r, enum gw_auth_op op, const char *pw, size_t pw_len,
		    const char *phc, const char *user, size_t user_len, const char *realm,
		    size_t realm_len)
{
	size_t phc_len = phc ? strnlen(phc, sizeof(r->phc)) : 0;

	if (pw_len > sizeof(r->password) || phc_len >= sizeof(r->phc) ||
	    user_len > sizeof(r->user) || realm_len > sizeof(r->realm))
		return -E2BIG;
	wipe_password(r);
	memset(r, 0, sizeof(*r));
	r->op = (uint16_t)op;
	if (pw_len)
		memcpy(r->password, pw, pw_len);
	r->password_len = (uint32_t)pw_len;
	if (phc_len)
		memcpy(r->phc, phc, phc_len);
	if (user_len)
		memcpy(r->user, user, user_len);
	r->user_len = (uint32_t)user_len;
	if (realm_len)
		memcpy(r->realm, realm, realm_len);
	r->realm_len = (uint32_t)realm_len;
	return 0;
}

int gw_authd_exec(struct gw_auth_req *r, const struct gw_argon2_params *params)
{
	int rc;

	r->rehashed = false;
	switch (r->op) {
	case GW_AUTH_VERIFY:
		/* The copy must be a C string: never trust a caller-filled array. */
		r->phc[sizeof(r->phc) - 1] = '\0';
		rc = gw_auth_verify_password(r->phc, r->password, r->password_len);
		if (rc == 0 && r->user_len && r->realm_len && gw_auth_needs_rehash(r->phc, params) &&
		    gw_user_rec_make(params, r->user, r->user_len, r->realm, r->realm_len,
				     r->password, r->password_len, r->created_ms, &r->rec) == 0)
			r->rehashed = true;
		break;
	case GW_AUTH_HASH_NEW:
		if (!r->user_len || r->user_len > sizeof(r->user) || r->realm_len > sizeof(r->realm)) {
			rc = -EINVAL;
			break;
		}
		rc = gw_user_rec_make(params, r->user, r->user_len, r->realm, r->realm_len,
				      r->password, r->password_len, r->created_ms, &r->rec);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	wipe_password(r);
	r->result = rc;
	return rc;
}

/* Thread side: hand @r back on its channel and wake the worker. */
static void complete(struct gw_authd_chan *c, struct gw_auth_req *r)
{
	void *obj = r;

	/* Cannot fail: submit keeps at most ring_size requests in flight. */
	BUG_ON(ring_enqueue_burst(&c->done, &obj, 1) != 1);
	if (c->worker_bell)
		ring_bell_ring(c->worker_bell);
}

/* Serve one request, round robin over the channels. Returns false if all were empty. */
static bool serve_one(struct gw_authd *d)
{
	for (unsigned i = 0; i < d->n_chans; i++) {
		struct gw_authd_chan *c = &d->chans[(d->next + i) % d->n_chans];
		void *obj;

		if (ring_dequeue_burst(&c->req, &obj, 1) != 1)
			continue;
		gw_authd_exec(obj, &d->params);
		complete(c, obj);
		d->served++;
		d->next = (c->idx + 1u) % d->n_chans;
		return true;
	}
	return false;
}

static bool any_queued(struct gw_authd *d)
{
	for (unsigned i = 0; i < d->n_chans; i++)
		if (ring_count(&d->chans[i].req))
			return true;
	return false;
}

static void cancel_all(struct gw_authd *d)
{
	for (unsigned i = 0; i < d->n_chans; i++) {
		struct gw_authd_chan *c = &d->chans[i];
		void *obj;

		while (ring_dequeue_burst(&c->req, &obj, 1) == 1) {
			struct gw_auth_req *r = obj;

			wipe_password(r);
			r->rehashed = false;
			r->result = -ECANCELED;
			complete(c, r);
			d->cancelled++;
		}
	}
}

static void *authd_main(void *arg)
{
	struct gw_authd *d = arg;
	struct pollfd pfd = { .fd = d->bell.efd, .events = POLLIN };

	while (!atomic_load(&d->stopping)) {
		if (serve_one(d))
			continue;
		ring_bell_arm(&d->bell);
		if (any_queued(d) || atomic_load(&d->stopping)) {
			ring_bell_disarm(&d->bell);
			continue;
		}
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			log_warn("authd", "poll_failed errno=%d", errno);
		ring_bell_drain(&d->bell);
		ring_bell_disarm(&d->bell);
	}
	cancel_all(d);
	return NULL;
}

int gw_authd_start(struct gw_authd **out, unsigned n_workers, struct ring_bell *const *worker_bells,
		   const struct gw_authd_cfg *cfg)
{
	uint32_t ring_size = cfg && cfg->ring_size ? cfg->ring_size : 64;
	const struct gw_argon2_params *prm = cfg && cfg->params ? cfg->params : &gw_argon2_owasp;
	struct gw_authd *d;
	unsigned made = 0;
	int rc;

	*out = NULL;
	if (!n_workers || n_workers > AUTHD_MAX_WORKERS || ring_size < 2 ||
	    (ring_size & (ring_size - 1)) || !gw_argon2_params_ok(prm))
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->params = *prm;
	d->bell.efd = -1;
	d->chans = calloc(n_workers, sizeof(*d->chans));
	if (!d->chans) {
		rc = -ENOMEM;
		goto fail;
	}
	for (; made < n_workers; made++) {
		struct gw_authd_chan *c = &d->chans[made];

		if ((rc = ring_init(&c->req, ring_size)))
			goto fail;
		if ((rc = ring_init(&c->done, ring_size))) {
			ring_fini(&c->req);
			goto fail;
		}
		c->worker_bell = worker_bells ? worker_bells[made] : NULL;
		c->d = d;
		c->idx = (uint16_t)made;
	}
	d->n_chans = n_workers;
	if ((rc = ring_bell_init(&d->bell)))
		goto fail;
	if ((rc = -pthread_create(&d->thread, NULL, authd_main, d)))
		goto fail;
	d->running = true;
	log_info("authd", "started workers=%u ring=%u m_kib=%u t=%u p=%u", n_workers, ring_size,
		 d->params.m_kib, d->params.t_cost, d->params.lanes);
	*out = d;
	return 0;
fail:
	d->n_chans = made;
	gw_authd_free(d);
	return rc;
}

struct gw_authd_chan *gw_authd_chan(struct gw_authd *d, unsigned idx)
{
	return idx < d->n_chans ? &d->chans[idx] : NULL;
}

uint32_t gw_authd_submit(struct gw_authd_chan *c, struct gw_auth_req *const *reqs, uint32_t n)
{
	uint32_t room = ring_capacity(&c->req) - c->inflight, done;

	if (atomic_load(&c->d->stopping))
		return 0;
	if (n > room)
		n = room;
	for (uint32_t i = 0; i < n; i++)
		reqs[i]->chan = c->idx;
	done = ring_enqueue_burst(&c->req, (void *const *)reqs, n);
	c->inflight += done;
	if (done)
		ring_bell_ring(&c->d->bell);
	return done;
}

uint32_t gw_authd_poll(struct gw_authd_chan *c, struct gw_auth_req **out, uint32_t n)
{
	uint32_t got = ring_dequeue_burst(&c->done, (void **)out, n);

	c->inflight -= got;
	return got;
}

uint32_t gw_authd_inflight(const struct gw_authd_chan *c)
{
	return c->inflight;
}

uint32_t gw_authd_queued(struct gw_authd_chan *c)
{
	return ring_count(&c->req);
}

void gw_authd_stop(struct gw_authd *d)
{
	uint64_t one = 1;

	if (!d || !d->running)
		return;
	atomic_store(&d->stopping, true);
	/* Unconditional: the thread may be between its re-check and poll(). */
	if (write(d->bell.efd, &one, sizeof(one)) < 0)
		log_warn("authd", "bell_write_failed errno=%d", errno);
	pthread_join(d->thread, NULL);
	d->running = false;
	log_info("authd", "stopped served=%llu cancelled=%llu", (unsigned long long)d->served,
		 (unsigned long long)d->cancelled);
}

void gw_authd_free(struct gw_authd *d)
{
	if (!d)
		return;
	gw_authd_stop(d);
	for (unsigned i = 0; i < d->n_chans; i++) {
		ring_fini(&d->chans[i].req);
		ring_fini(&d->chans[i].done);
	}
	free(d->chans);
	ring_bell_fini(&d->bell);
	free(d);
}
