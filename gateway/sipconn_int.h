/* Internals of the SIP flow shared by gateway/sipconn.c and gateway/delivery.c; not an API. */
#ifndef COLUMBA_GATEWAY_SIPCONN_INT_H
#define COLUMBA_GATEWAY_SIPCONN_INT_H

#include "gateway/delivery.h"
#include "gateway/gw.h"

enum { T_NONE, T_HANDSHAKE, T_IDLE, T_MSG, T_CLOSING };

/* A graceful close (answers still queued) gets this long before a reset,
 * as in conn.c: a peer that never reads must not keep its flow. */
#define GW_SIP_CLOSE_GRACE_MS 5000

/* Flows whose messages are partial or waiting, per worker. */
#define GW_SIP_BUFS_MAX 1024u
#define GW_SIP_HEADERS_MAX 64u

struct gw_sipbuf {
	struct sip_parser ps;
	struct sip_msg msg;         /* the first message of data (parse state / held request) */
	uint32_t len;
	struct sip_header hdrs[GW_SIP_HEADERS_MAX];
	char data[];                /* [sip] max_message_bytes */
};

#define GW_SIP_CONTACT_MAX 255

struct gw_sipconn {
	struct dp_conn *dc;
	struct gw_worker *gw;
	struct gw_sipconn *next, *prev;
	struct tls_conn tls;
	struct gw_sipbuf *buf;
	struct dp_timer timer;      /* handshake, idle or incomplete message */
	struct dp_timer bind_timer; /* the registration's expiry */
	uint8_t timer_kind;
	bool closing;
	bool pending;               /* the request at buf->data[0] waits for the store */
	struct gw_op *op;
	uint32_t held_len;          /* bytes of that request */
	uint64_t flow;
	uint64_t bind_expires_ms;
	char tag[17];               /* our To tag: the flow id in hex */
	char bound_user[ST_NAME_MAX + 1];
	char authed_user[ST_NAME_MAX + 1];
	char contact[GW_SIP_CONTACT_MAX + 1]; /* the binding's Contact URI ("" : use the AOR) */
	struct gw_dlv dlv;          /* delivery to the bound user (gateway/delivery.c) */
};

/* sc_send - TLS-write @n bytes on the flow; a stuck flow is reset. Returns 0 or -errno. */
int gw__sip_send(struct gw_sipconn *sc, const void *p, size_t n);

#endif
