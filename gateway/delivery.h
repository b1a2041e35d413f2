/*
 * The delivery engine (DESIGN.md §2–3): parked messages go out as SIP
 * MESSAGE requests on the flows their recipient registered.
 *
 * Who starts it. A successful REGISTER on a flow (gw_dlv_registered) and
 * the store's delivery notices (gw_dlv_notices: a durable message or
 * notification for a user bound to one of this worker's flows). Either
 * marks the flow "dirty"; the flow then streams the user's queue from the
 * store (ST_OP_STREAM, one message per request, in id order, after the last
 * id it handed out) while fewer than W ([sip] delivery_window) MESSAGEs are
 * outstanding (RFC 3428 §8 recommends one).
 *
 * The MESSAGE: Request-URI the binding's Contact, From the sender's AOR
 * (for a notification: the original recipient's), To the recipient's,
 * Call-ID "<message id>@<domain>" and CSeq 1 on every attempt, so a user
 * agent can recognise a redelivery; Date the submit time; body the text
 * (text/plain) or an RFC 5438 delivery notification (message/imdn+xml).
 *
 * Answers. 2xx: ST_OP_DELIVERED (the first device to answer wins; the
 * others' marks find nothing). 408, 480, 503, no final answer within
 * [sip] attempt_timeout_ms, or the flow breaking: another attempt after
 * [sip] retry_interval_ms, up to [sip] delivery_attempts; then the flow
 * stops delivering (the message stays parked) until the next REGISTER on
 * it. Any other final answer: ST_OP_FAILED with reason = status / 100.
 * A message past its expiry is never sent (the store's expiry pass turns it
 * into an "expired" notification).
 *
 * Everything runs on the worker that holds the flow; memory per
 * outstanding MESSAGE comes from a per-worker pool (struct gw_dlv_tx).
 */
#ifndef COLUMBA_GATEWAY_DELIVERY_H
#define COLUMBA_GATEWAY_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/sip/sip_parse.h"
#include "storage/id.h"

#define GW_DLV_WINDOW_MAX 16

struct gw_worker;
struct gw_sipconn;
struct gw_dlv_tx;

/* Per flow, embedded in struct gw_sipconn (zeroed with it). */
struct gw_dlv {
	struct gw_dlv_tx *txs;   /* streaming, outstanding or waiting to retry */
	struct st_id cursor;     /* the last id streamed; zero: from the start */
	uint8_t n_tx;
	bool streaming;          /* a ST_OP_STREAM is in flight (at most one) */
	bool dirty;              /* something new may be parked: stream again */
	bool more;               /* the last stream said more may follow */
	bool parked;             /* attempts exhausted: wait for a REGISTER */
	bool restart;            /* a REGISTER came while MESSAGEs were out */
};

/*
 * gw_dlv_worker_init - the worker's pool of transactions and its flow
 * table (flow id -> flow, for notices). Returns 0 or -ENOMEM (err filled).
 */
int gw_dlv_worker_init(struct gw_worker *gw, char *err, size_t errlen);

/* gw_dlv_worker_fini - release them; safe after a failed or no init. */
void gw_dlv_worker_fini(struct gw_worker *gw);

/* gw_dlv_flow_open / _close - a flow joins / leaves the flow table; on
 * close its transactions are dropped (their messages stay parked). */
void gw_dlv_flow_open(struct gw_sipconn *sc);
void gw_dlv_flow_close(struct gw_sipconn *sc);

/*
 * gw_dlv_registered - a REGISTER on @sc succeeded: deliver from the start of
 * the user's queue (after the MESSAGEs still out, if any), ending a parked
 * state.
 */
void gw_dlv_registered(struct gw_sipconn *sc);

/* gw_dlv_poll_notices - take the store's notices for this worker and act on them. */
void gw_dlv_poll_notices(struct gw_worker *gw);

/*
 * gw_dlv_response - a SIP response arrived on @sc. Returns true if it
 * answered one of our MESSAGEs (then it is handled), false otherwise.
 */
bool gw_dlv_response(struct gw_sipconn *sc, const struct sip_msg *m);

/*
 * gw_dlv_imdn - the RFC 5438 delivery notification body for message @id26
 * to @rcpt (may be empty) that reached @state (ST_STATE_*) at @at_ms, into
 * @buf. Returns the length, or -ENOSPC.
 */
int gw_dlv_imdn(char *buf, size_t cap, const char *id26, const char *domain, const char *rcpt,
		size_t rcpt_len, uint8_t state, uint64_t at_ms);

#endif
