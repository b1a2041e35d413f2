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
#include "gateway/authd.h"
#include "gateway/ratelimit.h"
#include "gateway/sip/sip_digest.h"
#include "gateway/sip/sip_parse.h"
#include "storage/store.h"

#define GW_TLS_SCRATCH 16384u /* one TLS record of plaintext */
#define GW_OUT_MAX     65536u /* largest response the handlers build */

/* Why a request on the messages API was refused (for /metrics). */
enum gw_reject {
	GW_REJ_UNAUTHORIZED,  /* 401 */
	GW_REJ_INVALID,       /* 400, 411, 413, 415, 422 */
	GW_REJ_NO_RECIPIENT,  /* 404 */
	GW_REJ_RATE,          /* 429 */
	GW_REJ_UNAVAILABLE,   /* 503 */
	GW_REJ_LOGIN_FAILED,  /* 401 on POST /v1/tokens */
	GW_REJ_LOGIN_LIMITED, /* 429 on POST /v1/tokens */
	GW_REJ_QUEUE_FULL,    /* 503: the recipient's queue is full */
	GW_REJ__COUNT,
};

/* Store acknowledgement latency, microseconds, log-linear buckets. */
#define GW_HIST_BUCKETS 16
extern const uint32_t gw_hist_bounds_us[GW_HIST_BUCKETS]; /* last is +Inf */

struct gw_hist {
	_Atomic uint64_t count;
	_Atomic uint64_t sum_us;
	_Atomic uint64_t buckets[GW_HIST_BUCKETS];
};

static inline void gw_hist_add(struct gw_hist *h, uint64_t us)
{
	unsigned i = 0;

	while (i < GW_HIST_BUCKETS - 1 && us > gw_hist_bounds_us[i])
		i++;
	atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
}

/* Counters for /metrics; each worker writes its own, the admin reads all. */
struct gw_stats {
	_Atomic uint64_t accepted;           /* 202 */
	_Atomic uint64_t accepted_duplicate; /* 202 for an Idempotency-Key replay */
	_Atomic uint64_t rejected[GW_REJ__COUNT];
	_Atomic uint64_t tokens_issued;
	struct gw_hist ack_latency;
	_Atomic uint64_t tls_handshakes;
	_Atomic uint64_t tls_handshake_failures;
	_Atomic uint64_t requests;
	_Atomic uint64_t responses[6]; /* by class: [1]=1xx ... [5]=5xx */
	_Atomic uint64_t bad_requests;  /* parse errors */
	_Atomic uint64_t timeouts_handshake;
	_Atomic uint64_t timeouts_header;
	_Atomic uint64_t timeouts_idle;
	_Atomic uint64_t rejected_busy;   /* no request buffer free: 503 */
	/* SIP delivery (gateway/delivery.c) and submit. */
	_Atomic uint64_t dlv_attempts;    /* MESSAGEs sent, retries included */
	_Atomic uint64_t dlv_retries;
	_Atomic uint64_t dlv_delivered;   /* 2xx */
	_Atomic uint64_t dlv_failed;      /* other final answers */
	_Atomic uint64_t dlv_parked;      /* attempts exhausted on a flow */
	_Atomic uint64_t dlv_notices;     /* store notices received */
	_Atomic uint64_t sip_submitted;   /* MESSAGE submits answered 202 */
	_Atomic uint64_t sip_submit_rejected;
};

struct gw_server;
struct gw_conn;
struct gw_op;
struct gw_sipconn;

typedef void (*gw_op_done_fn)(struct gw_op *op);

/*
 * An HTTP request waiting for the store. The handler fills st (inputs and
 * the buffers the store writes into live in the op itself), submits it, and
 * returns GW_PENDING; later requests on the connection wait. When the store
 * answers, done(op) runs on the worker: it answers with gw_op_respond*()
 * (nothing is sent if the connection has gone: op->conn is then NULL), may
 * resubmit for a next step, and ends with gw_op_finish().
 */
struct gw_op {
	struct st_req st;
	struct gw_conn *conn;
	struct gw_worker *gw;
	gw_op_done_fn done;
	bool rq_keep_alive;
	uint8_t rq_method;
	uint8_t stage;
	uint64_t started_ns;
	/* Inputs and outputs the handlers keep while the store works. */
	char user[ST_NAME_MAX + 1];
	uint32_t user_len;
	char token[ST_TOKEN_MAX + 1];
	uint32_t token_len;
	char to[ST_NAME_MAX + 1];
	uint32_t to_len;
	char idem[ST_IDEM_MAX + 1];
	uint32_t idem_len;
	uint32_t ttl_s;
	bool no_notify;          /* the sender wants no delivery notifications */
	uint32_t text_len;
	char text[ST_TEXT_MAX];
	struct st_id id;
	/* Token issuance: the password check (authd) and rate-limit keys. */
	struct gw_auth_req *ar;
	uint64_t addr_key;
	bool known_user;
	/* The SIP flow waiting for this op (gateway/sipconn.c), NULL for an
	 * HTTP request, an op without a connection, or once the flow closed. */
	struct gw_sipconn *sip;
	/* The delivery transaction this op works for (gateway/delivery.c). */
	void *dlv;
};

#define GW_PENDING 1 /* a handler's return: the answer comes later */

/* Per-worker SIP state (gateway/sipconn.c, gateway/registrar.c). */
struct gw_sip_worker {
	struct sip_digest digest;        /* nonces and the replay table */
	uint64_t flow_seq;               /* low bits of the next flow id */
	struct pool conns;               /* struct gw_sipconn */
	struct pool bufs;                /* partial or waiting SIP messages */
	struct gw_sipconn *live;         /* for draining at stop */
	struct sip_limits limits;
	struct sip_header *hdrs;         /* headers of the message in hand */
	struct gw_sipconn **flows;       /* flow id -> flow, for delivery notices */
	uint32_t flows_mask;
	struct pool dlv_txs;             /* struct gw_dlv_tx: MESSAGEs in progress */
	bool ready;                      /* gw_sip_worker_init succeeded */
};

struct gw_worker {
	struct dp_worker dw;
	struct gw_server *srv;
	struct tls_ctx *tls;                  /* for new connections */
	struct tls_ctx *_Atomic tls_next;     /* SIGHUP hand-over from main */
	struct pool conns;                    /* struct gw_conn */
	struct pool reqbufs;                  /* partial-request buffers */
	struct pool ops;                      /* struct gw_op */
	struct st_chan *chan;                 /* to the store thread, or NULL */
	struct gw_authd_chan *authd;          /* to the password thread */
	struct pool auth_reqs;                /* struct gw_auth_req */
	struct rl_table submit_rl;            /* messages per sender */
	struct rl_table login_user_rl;        /* failed logins per user */
	struct rl_table login_addr_rl;        /* failed logins per source address */
	struct gw_conn *live;                 /* for draining at stop */
	struct http_limits limits;
	struct http_date_cache date;
	struct gw_stats stats;
	struct http_header *hdrs;             /* headers of the request in hand */
	uint8_t *scratch;                     /* GW_TLS_SCRATCH plaintext */
	char *out;                            /* GW_OUT_MAX response bytes */
	struct gw_sip_worker sip;
};

struct gw_server {
	struct gw_config cfg;
	struct http_router api;   /* public HTTPS routes */
	struct http_router admin; /* loopback admin routes */
	struct gw_worker *workers;
	unsigned n_workers;
	const struct dp_backend_ops *backend; /* [server] backend; NULL: uring */
	struct st_store *store;
	struct gw_authd *authd;
	char dummy_phc[GW_AUTH_PHC_MAX]; /* verified for unknown users (timing) */
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

int gw_respond_error_ex(struct gw_conn *conn, const struct http_request *req, int status,
			const char *code, const char *detail, const struct http_header *extra,
			size_t n_extra);

/*
 * gw_op_start - a store operation for the request being handled on conn.
 * Returns the op (st zeroed, st.cookie set) or NULL when the worker has
 * too many in flight (answer 503).
 */
struct gw_op *gw_op_start(struct gw_conn *conn, const struct http_request *req, gw_op_done_fn done);

/*
 * gw_op_new - a store operation that answers no HTTP request (op->conn is
 * NULL): a SIP flow's step, or work with no connection at all, such as
 * dropping a binding when its flow closed. done(op) runs as for
 * gw_op_start() and ends with gw_op_finish().
 * Returns the op (st zeroed, st.cookie set) or NULL when the pool is empty.
 */
struct gw_op *gw_op_new(struct gw_worker *gw, gw_op_done_fn done);

/* gw_op_submit - hand op->st to the store. Returns 0 or -EBUSY (ring full). */
int gw_op_submit(struct gw_op *op);

/* Answer the op's request (no-op if the connection is gone). */
void gw_op_respond(struct gw_op *op, int status, const char *content_type, const char *body,
		   size_t body_len, const struct http_header *extra, size_t n_extra);
void gw_op_respond_error(struct gw_op *op, int status, const char *code, const char *detail,
			 const struct http_header *extra, size_t n_extra);

/* gw_op_finish - release the op and serve what waited behind it. */
void gw_op_finish(struct gw_op *op);

static inline struct gw_worker *gw_op_worker(const struct gw_op *op)
{
	return op->gw;
}

/* The peer of the connection. */
const struct dp_addr *gw_conn_peer(const struct gw_conn *conn);

/* The request body of the request being handled (empty if none). */
struct http_str gw_conn_body(const struct gw_conn *conn);
struct gw_worker *gw_conn_worker(const struct gw_conn *conn);

/* Per-worker hooks and lifecycle (gateway/worker.c). */
int gw_worker_init(struct gw_worker *gw, struct gw_server *srv, unsigned id,
		   struct tls_ctx *tls, char *err, size_t errlen);
void gw_worker_fini(struct gw_worker *gw);
extern const struct dp_app_hooks gw_worker_hooks_template;

/*
 * gw_tls_feed - tls_conn_feed() for a gateway connection, with the
 * accounting both listeners share: *handshook is set when this call
 * completed the handshake (counted); a failed handshake is counted and
 * logged. Returns what tls_conn_feed() returned; the caller closes.
 */
int gw_tls_feed(struct gw_worker *gw, struct tls_conn *t, struct dp_conn *dc,
		const uint8_t *data, size_t len, tls_deliver_fn deliver, void *arg, bool *handshook);

/* Close idle connections and stop reading new requests (drain). */
void gw_conn_drain_all(struct gw_worker *gw);

/* Routes (gateway/api.c). Returns 0 or a negative errno. */
int gw_api_routes(struct gw_server *srv);

#endif
