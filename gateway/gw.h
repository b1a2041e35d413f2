/*
 * The gateway's per-process and per-worker state, and the connection layer
 * that runs HTTP/1.1 over TLS (or plain, for the loopback admin listener)
 * on top of the data plane's connections.
 */
#ifndef COLUMBA_GATEWAY_GW_H
#define COLUMBA_GATEWAY_GW_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/pool.h"
#include "dataplane/tls/tls.h"
#include "dataplane/worker.h"
#include "gateway/config.h"
#include "gateway/http/http_parse.h"
#include "gateway/http/http_write.h"
#include "gateway/http/router.h"

#define GW_TLS_SCRATCH 16384u /* one TLS record of plaintext */
#define GW_OUT_MAX     65536u /* largest response the handlers build */

/* Counters for /metrics; each worker writes its own, the admin reads all. */
struct gw_stats {
	_Atomic uint64_t tls_handshakes;
	_Atomic uint64_t tls_handshake_failures;
	_Atomic uint64_t requests;
	_Atomic uint64_t responses[6]; /* by class: [1]=1xx ... [5]=5xx */
	_Atomic uint64_t bad_requests;  /* parse errors */
	_Atomic uint64_t timeouts_handshake;
	_Atomic uint64_t timeouts_header;
	_Atomic uint64_t timeouts_idle;
	_Atomic uint64_t rejected_busy;   /* no request buffer free: 503 */
};

struct gw_server;

struct gw_worker {
	struct dp_worker dw;
	struct gw_server *srv;
	struct tls_ctx *tls;                  /* for new connections */
	struct tls_ctx *_Atomic tls_next;     /* SIGHUP hand-over from main */
	struct pool conns;                    /* struct gw_conn */
	struct pool reqbufs;                  /* partial-request buffers */
	struct gw_conn *live;                 /* for draining at stop */
	struct http_limits limits;
	struct http_date_cache date;
	struct gw_stats stats;
	struct http_header *hdrs;             /* headers of the request in hand */
	uint8_t *scratch;                     /* GW_TLS_SCRATCH plaintext */
	char *out;                            /* GW_OUT_MAX response bytes */
};

struct gw_server {
	struct gw_config cfg;
	struct http_router api;   /* public HTTPS routes */
	struct http_router admin; /* loopback admin routes */
	struct gw_worker *workers;
	unsigned n_workers;
	uint64_t started_ms;
};

/* The listener argument that tells the connection layer how to speak. */
struct gw_listener {
	struct gw_server *srv;
	const struct http_router *router;
	bool tls;
};

/* Callbacks the data plane calls for gateway listeners. */
extern const struct dp_handler gw_conn_handler;

struct gw_conn;

/*
 * gw_respond - send one response on conn for the request being handled.
 * Sets Connection: close when the request or an error asks for it.
 * Returns 0, or a negative errno when the connection is being closed.
 */
int gw_respond(struct gw_conn *conn, const struct http_request *req, int status,
	       const char *content_type, const char *body, size_t body_len,
	       const struct http_header *extra, size_t n_extra);

/*
 * gw_respond_error - the JSON error body {"error":code,"detail":detail}.
 */
int gw_respond_error(struct gw_conn *conn, const struct http_request *req, int status,
		     const char *code, const char *detail);

/* The request body of the request being handled (empty if none). */
struct http_str gw_conn_body(const struct gw_conn *conn);
struct gw_worker *gw_conn_worker(const struct gw_conn *conn);

/* Per-worker hooks and lifecycle (gateway/worker.c). */
int gw_worker_init(struct gw_worker *gw, struct gw_server *srv, unsigned id,
		   struct tls_ctx *tls, char *err, size_t errlen);
void gw_worker_fini(struct gw_worker *gw);
extern const struct dp_app_hooks gw_worker_hooks_template;

/* Close idle connections and stop reading new requests (drain). */
void gw_conn_drain_all(struct gw_worker *gw);

/* Routes (gateway/api.c). Returns 0 or a negative errno. */
int gw_api_routes(struct gw_server *srv);

#endif
