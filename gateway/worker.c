/* Per-worker gateway state and the hooks the data plane's loop calls. */
#include "gateway/gw.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/compiler.h"
#include "base/log.h"
#include "dataplane/uring/uring.h"
#include "gateway/delivery.h"
#include "gateway/sipconn.h"

size_t gw__conn_size(void);
size_t gw__reqbuf_size(const struct http_limits *lim);

/* Requests in progress (incomplete) per worker; each buffer holds one
 * maximal request. Past this, new partial requests get 503. */
#define GW_REQBUFS_MAX 4096u

/* Operations in flight per worker (each holds one HTTP request's state). */
#define GW_OPS_MAX 4096u

static bool hook_poll(struct dp_worker *w, void *arg)
{
	struct gw_worker *gw = container_of(w, struct gw_worker, dw);
	struct tls_ctx *next;
	struct st_req *done[64];
	uint32_t n, total = 0;

	(void)arg;
	/* Store answers: each continues its HTTP request (or is dropped if
	 * the connection went away meanwhile). */
	while (gw->chan && (n = st_chan_poll(gw->chan, done, ARRAY_SIZE(done))) > 0) {
		for (uint32_t i = 0; i < n; i++) {
			struct gw_op *op = done[i]->cookie;

			op->done(op);
		}
		total += n;
		if (total >= 1024)
			break; /* let I/O and timers run; the loop comes back at once */
	}
	/* Delivery notices: flows of ours whose user has something new. */
	gw_dlv_poll_notices(gw);
	if (gw->authd) {
		struct gw_auth_req *ad[16];

		while ((n = gw_authd_poll(gw->authd, ad, ARRAY_SIZE(ad))) > 0) {
			for (uint32_t i = 0; i < n; i++) {
				struct gw_op *op = ad[i]->cookie;

				op->done(op);
			}
		}
	}
	/* A certificate reload: new connections use the new context; the
	 * old one lives on in the connections that hold it. */
	next = atomic_exchange_explicit(&gw->tls_next, NULL, memory_order_acq_rel);
	if (next) {
		tls_ctx_put(gw->tls);
		gw->tls = next;
		log_info("tls", "certificate_reloaded worker=%u", w->id);
	}
	return total >= 1024;
}

static void hook_stop(struct dp_worker *w, void *arg)
{
	(void)arg;
	gw_conn_drain_all(container_of(w, struct gw_worker, dw));
	gw_sip_drain_all(container_of(w, struct gw_worker, dw));
}

/* Store and password requests still out (a flow's unregistration, a
 * delivery mark): the worker waits for their answers before it leaves. */
static bool hook_in_flight(struct dp_worker *w, void *arg)
{
	struct gw_worker *gw = container_of(w, struct gw_worker, dw);

	(void)arg;
	return (gw->chan && st_chan_inflight(gw->chan) > 0) ||
	       (gw->authd && gw_authd_inflight(gw->authd) > 0);
}

static void hook_exit(struct dp_worker *w, void *arg)
{
	(void)w;
	(void)arg;
	tls_thread_fini();
}

const struct dp_app_hooks gw_worker_hooks_template = {
	.poll = hook_poll,
	.on_stop = hook_stop,
	.in_flight = hook_in_flight,
	.on_exit = hook_exit,
};

/* Everything gw_worker_init() set up besides the data plane and TLS;
 * safe on a partly initialised worker (it was zeroed first). */
static void release(struct gw_worker *gw)
{
	gw_sip_worker_fini(gw);
	rl_fini(&gw->submit_rl);
	rl_fini(&gw->login_user_rl);
	rl_fini(&gw->login_addr_rl);
	pool_fini(&gw->conns);
	pool_fini(&gw->reqbufs);
	pool_fini(&gw->ops);
	pool_fini(&gw->auth_reqs);
	free(gw->hdrs);
	free(gw->scratch);
	free(gw->out);
}

int gw_worker_init(struct gw_worker *gw, struct gw_server *srv, unsigned id,
		   struct tls_ctx *tls, char *err, size_t errlen)
{
	const struct gw_config *cfg = &srv->cfg;
	struct dp_limits lim = {
		.max_conns = cfg->max_connections,
		.max_conns_per_addr = cfg->max_conns_per_addr,
		.send_queue_bytes = cfg->send_queue_bytes,
		.drain_timeout_ms = cfg->drain_timeout_ms,
	};
	struct dp_app_hooks hooks = gw_worker_hooks_template;
	unsigned ncpu = dp_online_cpus();
	int cpu = cfg->pin_workers ? (int)((id + (ncpu > 1 ? 1 : 0)) % ncpu) : -1;
	int r;

	memset(gw, 0, sizeof(*gw));
	gw->srv = srv;
	gw->tls = tls;
	atomic_init(&gw->tls_next, NULL);
	http_limits_default(&gw->limits);
	gw->limits.line_max = cfg->max_request_line;
	gw->limits.headers_max = cfg->max_headers;
	gw->limits.head_max = cfg->max_header_bytes;
	gw->limits.body_max = cfg->max_body_bytes;
	http_date_init(&gw->date);
	gw->hdrs = calloc(gw->limits.headers_max, sizeof(*gw->hdrs));
	gw->scratch = malloc(GW_TLS_SCRATCH);
	gw->out = malloc(GW_OUT_MAX);
	if (!gw->hdrs || !gw->scratch || !gw->out) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto fail;
	}
	r = pool_init(&gw->conns, "gw_conn", gw__conn_size(), cfg->max_connections);
	if (r == 0)
		r = pool_init(&gw->reqbufs, "gw_reqbuf", gw__reqbuf_size(&gw->limits),
			      cfg->max_connections < GW_REQBUFS_MAX ? cfg->max_connections :
								      GW_REQBUFS_MAX);
	if (r == 0)
		r = pool_init(&gw->ops, "gw_op", sizeof(struct gw_op), GW_OPS_MAX);
	if (r == 0)
		r = pool_init(&gw->auth_reqs, "gw_auth_req", sizeof(struct gw_auth_req), 64);
	if (r == 0) {
		struct rl_cfg rc = { .rate = cfg->submit_rate_per_min, .per_ms = 60000,
				     .burst = cfg->submit_burst, .slots = 1u << 16 };
		r = rl_init(&gw->submit_rl, &rc);
	}
	if (r == 0) {
		struct rl_cfg rc = { .rate = cfg->login_failures_per_min, .per_ms = 60000,
				     .burst = cfg->login_burst, .slots = 1u << 14 };
		r = rl_init(&gw->login_user_rl, &rc);
		if (r == 0)
			r = rl_init(&gw->login_addr_rl, &rc);
	}
	if (r) {
		snprintf(err, errlen, "cannot reserve connection pools: %s", strerror(-r));
		goto fail;
	}
	r = gw_sip_worker_init(gw, err, errlen);
	if (r)
		goto fail;
	hooks.arg = gw;
	/* Worker 0 runs on the CPU after the first so the store thread and
	 * the main thread keep CPU 0 when there are at least two. */
	r = dp_worker_init(&gw->dw, id, cpu, srv->backend ? srv->backend : &dp_uring_ops, &lim,
			   &hooks);
	if (r) {
		snprintf(err, errlen, "worker %u: data plane set-up failed: %s", id, strerror(-r));
		goto fail;
	}
	return 0;
fail:
	release(gw);
	return r;
}

void gw_worker_fini(struct gw_worker *gw)
{
	struct tls_ctx *next = atomic_exchange(&gw->tls_next, NULL);

	dp_worker_fini(&gw->dw);
	tls_ctx_put(next);
	tls_ctx_put(gw->tls);
	release(gw);
}
