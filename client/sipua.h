/*
 * The client's SIP user agent: one TLS flow to the SIP listener, REGISTER
 * with digest authentication (SHA-256 first, MD5 when that is all the
 * server offers; RFC 8760), CRLFCRLF keepalives (RFC 5626 §4.4.1), and the
 * requests the server sends on the flow: MESSAGE (text/plain and
 * message/imdn+xml) answered with what the caller's handler returns,
 * OPTIONS answered 200, anything else 405.
 *
 * The password never sits in memory after login: the caller passes HA1
 * values (H(user:realm:password), computed once by cl_sip_ha1()).
 *
 * Return contract: 0 / negative: the tlsconn.h codes for the transport,
 * -EACCES (credentials refused: 401 after our answer, or 403),
 * -EPROTO (a message that does not parse, an unexpected answer; the flow is
 * closed as the framing is lost), -EREMCHG (the challenge's realm is not our
 * domain), -ENOMEM.
 */
#ifndef COLUMBA_CLIENT_SIPUA_H
#define COLUMBA_CLIENT_SIPUA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/imdn.h"
#include "client/msgrec.h"
#include "client/tlsconn.h"

#define CL_SIP_BUF (64 * 1024)

enum cl_sip_event_kind {
	CL_SIP_EV_MESSAGE = 1,  /* a text from another user */
	CL_SIP_EV_IMDN,         /* a delivery notification for one of ours */
};

struct cl_sip_event {
	enum cl_sip_event_kind kind;
	char from[CL_PEER_MAX + 1];          /* the sender's user (or the recipient, IMDN) */
	char server_id[CL_SRVID_LEN + 1];    /* from the Call-ID "<id>@domain" */
	const char *text;                    /* MESSAGE: the body (not NUL-terminated) */
	size_t text_len;
	char about[CL_SRVID_LEN + 1];        /* IMDN: the message it is about */
	enum cl_imdn_state state;            /* IMDN */
};

/* Returns the SIP status to answer: 200 once handled (stored), 4xx/5xx to
 * refuse or have the server try again later. */
typedef int (*cl_sip_handler_fn)(const struct cl_sip_event *ev, void *arg);

struct cl_sip {
	struct cl_conn conn;
	char host[256];
	uint16_t port;
	struct cl_tls_cfg tls;
	char cafile[4096];
	char user[CL_PEER_MAX + 1];
	char domain[256];
	char ha1_sha256[65], ha1_md5[33];
	char call_id[48], tag[24], instance[48];
	uint32_t cseq;
	unsigned nc;
	unsigned expires_s;            /* asked for */
	uint64_t registered_until_ms;  /* monotonic; 0 when not registered */
	cl_sip_handler_fn handler;
	void *handler_arg;
	char *buf;
	size_t len;
	unsigned long pongs;           /* CRLF pongs seen */
};

/*
 * cl_sip_ha1 - H(@user:@realm:@password) as lowercase hex for MD5 (32
 * digits) and SHA-256 (64). Returns 0 or -EIO.
 */
int cl_sip_ha1(const char *user, const char *realm, const char *password,
	       char md5[33], char sha256[65]);

/*
 * cl_sip_init - set up @s (nothing is opened) for "host:port" @server,
 * @user at @domain with its HA1 values, and @handler for incoming messages.
 * Returns 0, -EINVAL or -ENOMEM.
 */
int cl_sip_init(struct cl_sip *s, const char *server, const struct cl_tls_cfg *tls,
		const char *user, const char *domain, const char *ha1_md5,
		const char *ha1_sha256, cl_sip_handler_fn handler, void *arg);

/* cl_sip_fini - close the flow and free; safe to repeat. */
void cl_sip_fini(struct cl_sip *s);

/*
 * cl_sip_connect - open the TLS flow (closing any previous one) and
 * REGISTER on it for s->expires_s seconds, before @deadline_ms. Requests
 * arriving meanwhile go to the handler. Returns 0 or a code above.
 */
int cl_sip_connect(struct cl_sip *s, uint64_t deadline_ms);

/*
 * cl_sip_reregister - REGISTER again on the open flow (before the binding
 * expires). Returns 0 or a code above.
 */
int cl_sip_reregister(struct cl_sip *s, uint64_t deadline_ms);

/*
 * cl_sip_poll - wait until @deadline_ms for bytes from the server and
 * handle every complete message. Returns 0 when the deadline passed, or a
 * code above (the flow is then closed).
 */
int cl_sip_poll(struct cl_sip *s, uint64_t deadline_ms);

/* cl_sip_keepalive - send a CRLFCRLF ping. Returns 0 or a transport code. */
int cl_sip_keepalive(struct cl_sip *s);

/* cl_sip_close - close the flow (unregistered). */
void cl_sip_close(struct cl_sip *s);

#endif
