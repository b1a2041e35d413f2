/*
 * authd: the password-check thread.
 *
 * Argon2id at OWASP's parameters costs tens of milliseconds of CPU and 19 MiB
 * per call; a worker must never spend that (STYLE.md: never block a worker).
 * Like the store, authd is one thread fed by per-worker channels: a request
 * ring (worker -> authd) and a completion ring (authd -> worker) from
 * base/ring.h. authd rings its own bell when workers submit and each
 * worker's bell when it pushes completions.
 *
 * Requests are caller-allocated struct gw_auth_req that must stay valid until
 * they come back from gw_authd_poll(). The password is copied into the
 * request; authd wipes it (explicit_bzero) before the request comes back,
 * whatever the outcome. Requests are served one at a time, round robin over
 * the channels, so one busy worker cannot starve the others.
 *
 * Results (req->result):
 *   GW_AUTH_VERIFY    0 (the password matches @phc), -EACCES (it does not),
 *                     -EINVAL (@phc malformed or password too long), -ENOMEM,
 *                     -EIO. On a match with @phc below the configured
 *                     parameters and a non-empty @user, authd also computes
 *                     a fresh record into @rec and sets @rehashed, for the
 *                     caller to store (ST_OP_USER_CREATE with replace);
 *                     rec.created_ms is @created_ms and rec.flags 0, so the
 *                     caller sets both from the old record first.
 *   GW_AUTH_HASH_NEW  0 with @rec filled (Argon2id at the configured
 *                     parameters, both HA1 values for @user at @realm,
 *                     created_ms = @created_ms), -EINVAL (empty user,
 *                     password too long), -ENOMEM, -EIO.
 *   any               -ECANCELED: authd stopped before serving it.
 */
#ifndef COLUMBA_GATEWAY_AUTHD_H
#define COLUMBA_GATEWAY_AUTHD_H

#include <stdbool.h>
#include <stdint.h>

#include "base/ring.h"
#include "gateway/auth.h"

#define GW_AUTH_USER_MAX  64  /* = ST_NAME_MAX */
#define GW_AUTH_REALM_MAX 255 /* a DNS name */

enum gw_auth_op {
	GW_AUTH_VERIFY = 1,
	GW_AUTH_HASH_NEW = 2,
};

struct gw_auth_req {
	uint16_t op;      /* enum gw_auth_op */
	uint16_t chan;    /* set by gw_authd_submit */
	int32_t result;   /* out, see above */
	void *cookie;     /* the caller's, untouched */
	/* Inputs. */
	char password[GW_AUTH_PASSWORD_MAX];
	uint32_t password_len;
	char phc[GW_AUTH_PHC_MAX];     /* VERIFY: the stored hash (NUL-terminated) */
	char user[GW_AUTH_USER_MAX];   /* HASH_NEW, and VERIFY for a rehash */
	uint32_t user_len;
	char realm[GW_AUTH_REALM_MAX];
	uint32_t realm_len;
	uint64_t created_ms;           /* HASH_NEW: goes into the record */
	/* Outputs. */
	bool rehashed;                 /* VERIFY: @rec holds a re-hashed record */
	struct gw_user_rec rec;
};

struct gw_authd_cfg {
	uint32_t ring_size; /* requests in flight per channel, a power of two; 0: 64 */
	/* Parameters for new hashes and the rehash threshold; NULL: gw_argon2_owasp. */
	const struct gw_argon2_params *params;
};

struct gw_authd;
struct gw_authd_chan;

/*
 * gw_auth_req_set - fill a request's inputs (copies; clears the outputs).
 * @phc may be NULL (HASH_NEW), @user / @realm may be empty.
 * Returns 0, or -E2BIG when a field does not fit (nothing is kept then).
 */
int gw_auth_req_set(struct gw_auth_req *r, enum gw_auth_op op, const char *pw, size_t pw_len,
		    const char *phc, const char *user, size_t user_len, const char *realm,
		    size_t realm_len);

/*
 * gw_authd_start - create @n_workers channels (@worker_bells[i] is rung
 * when channel i has completions; an entry may be NULL for a poller that
 * does not sleep) and start the thread, which inherits the caller's signal
 * mask (start it after blocking the signals the daemon handles itself).
 * Returns 0, -EINVAL (@n_workers 0 or above 1024, bad ring_size or
 * params), -ENOMEM, or -errno from eventfd / pthread_create.
 */
int gw_authd_start(struct gw_authd **out, unsigned n_workers, struct ring_bell *const *worker_bells,
		   const struct gw_authd_cfg *cfg);

/* gw_authd_chan - channel @idx (< n_workers), or NULL. */
struct gw_authd_chan *gw_authd_chan(struct gw_authd *d, unsigned idx);

/*
 * gw_authd_submit - worker side: queue up to @n requests and ring authd's
 * bell. Returns how many were queued; fewer than @n when the channel
 * already has ring_size requests in flight (answer 503 to the rest), 0
 * after gw_authd_stop().
 */
uint32_t gw_authd_submit(struct gw_authd_chan *c, struct gw_auth_req *const *reqs, uint32_t n);

/* gw_authd_poll - worker side: take up to @n completed requests. Returns the count. */
uint32_t gw_authd_poll(struct gw_authd_chan *c, struct gw_auth_req **out, uint32_t n);

/* gw_authd_inflight - requests submitted on @c and not yet polled back. */
uint32_t gw_authd_inflight(const struct gw_authd_chan *c);

/*
 * gw_authd_queued - worker side: requests on @c not yet taken by the thread
 * (the queue depth, for metrics; exact for the submitting worker's view).
 */
uint32_t gw_authd_queued(struct gw_authd_chan *c);

/*
 * gw_authd_stop - stop the thread: the request being served finishes, every
 * other queued request comes back with -ECANCELED (password wiped), each
 * worker bell with completions is rung. Call once no worker submits any
 * more; the channels stay pollable until gw_authd_free(). Idempotent.
 */
void gw_authd_stop(struct gw_authd *d);

/* gw_authd_free - stop if needed and release everything. NULL: no-op. */
void gw_authd_free(struct gw_authd *d);

/*
 * gw_authd_exec - serve @r in the calling thread exactly as the thread
 * would (CLI: `columbad user add`); wipes the password. @params NULL:
 * gw_argon2_owasp. Returns r->result.
 */
int gw_authd_exec(struct gw_auth_req *r, const struct gw_argon2_params *params);

#endif
