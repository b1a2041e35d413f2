/*
 * The SIP over TLS listener (DESIGN.md §2): one dp_handler per worker that
 * frames SIP messages with the resumable parser (gateway/sip), answers
 * RFC 5626 CRLFCRLF keepalives, OPTIONS and methods it does not serve, and
 * hands REGISTER to the registrar (gateway/registrar.h).
 *
 * A flow is one TLS connection. It has a 64-bit id unique in the process:
 * the worker id in the top 16 bits, a per-worker counter below. Nonces are
 * bound to it (a nonce issued on one flow is refused on another) and so is
 * the registration: the binding dies with the flow.
 *
 * Memory: an idle flow holds its struct gw_sipconn and wolfSSL's session;
 * bytes of an incomplete message, or of messages that wait behind one the
 * store is working on, are copied into a buffer from the worker's pool
 * ([sip] max_message_bytes) that goes back as soon as it is empty.
 */
#ifndef COLUMBA_GATEWAY_SIPCONN_H
#define COLUMBA_GATEWAY_SIPCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/gw.h"
#include "gateway/sip/sip_write.h"

#define GW_SIP_FLOW_WORKER_SHIFT 48 /* flow id = worker << 48 | counter */

/* Callbacks the data plane calls for the SIP listener (listener arg: struct gw_server *). */
extern const struct dp_handler gw_sip_handler;

/*
 * gw_sip_worker_init - the worker's SIP state: digest context (nonce TTL
 * from [sip] nonce_ttl_s), flow and buffer pools, limits from [sip]
 * max_message_bytes. Returns 0 or a negative errno (err filled).
 */
int gw_sip_worker_init(struct gw_worker *gw, char *err, size_t errlen);

/* gw_sip_worker_fini - release it; safe after a failed or no init. */
void gw_sip_worker_fini(struct gw_worker *gw);

/* gw_sip_drain_all - stop: close every SIP flow of the worker (gracefully). */
void gw_sip_drain_all(struct gw_worker *gw);

/*
 * gw_sip_flow_id - the flow id of worker @worker's @seq-th flow.
 */
static inline uint64_t gw_sip_flow_id(unsigned worker, uint64_t seq)
{
	return ((uint64_t)worker << GW_SIP_FLOW_WORKER_SHIFT) |
	       (seq & ((1ull << GW_SIP_FLOW_WORKER_SHIFT) - 1));
}

/* ---- for the registrar ---- */

/* The flow's id and its worker. */
uint64_t gw_sipconn_flow(const struct gw_sipconn *sc);
struct gw_worker *gw_sipconn_worker(const struct gw_sipconn *sc);

/*
 * gw_sipconn_respond - answer request @req on @sc with @status and @reason
 * (NULL: the default phrase), the dialog headers of @req with our To tag,
 * @extra headers and no body. Returns 0, or a negative errno when the flow
 * is closing (it is then closed).
 */
int gw_sipconn_respond(struct gw_sipconn *sc, const struct sip_msg *req, int status,
		       const char *reason, const struct sip_hdr_out *extra, size_t n_extra);

/*
 * gw_sipconn_op_start - an op for the request in hand on @sc: later
 * messages on the flow wait until gw_sipconn_op_finish(). The request
 * stays readable through gw_sipconn_op_msg() meanwhile.
 * Returns the op, or NULL when the worker has too many in flight.
 */
struct gw_op *gw_sipconn_op_start(struct gw_sipconn *sc, gw_op_done_fn done);

/*
 * gw_sipconn_op_msg - the request @op answers, or NULL when its flow has
 * closed (then nothing can be answered).
 */
const struct sip_msg *gw_sipconn_op_msg(const struct gw_op *op);

/* gw_sipconn_op_finish - release @op and serve what waited behind it. */
void gw_sipconn_op_finish(struct gw_op *op);

/*
 * gw_sipconn_bind - the flow now carries @user's binding, reached at the
 * Contact URI @contact, until @expires_ms (wall clock); its idle timeout
 * stops and a timer drops the binding at expiry. gw_sipconn_unbind() forgets it (the caller told the store).
 */
void gw_sipconn_bind(struct gw_sipconn *sc, const char *user, size_t user_len,
		     struct sip_str contact, uint64_t expires_ms);
void gw_sipconn_unbind(struct gw_sipconn *sc);

/* The user bound to the flow ("" when none). */
const char *gw_sipconn_bound_user(const struct gw_sipconn *sc);

/*
 * gw_sipconn_registered - the store holds the flow's binding now: start
 * delivering the user's parked messages on it (gateway/delivery.h).
 */
void gw_sipconn_registered(struct gw_sipconn *sc);

/* gw_sipconn_set_authed - a REGISTER on this flow passed digest auth. */
void gw_sipconn_set_authed(struct gw_sipconn *sc, const char *user, size_t user_len);

/* Whether (and as whom) the flow authenticated: "" when not. */
const char *gw_sipconn_authed_user(const struct gw_sipconn *sc);

#endif
