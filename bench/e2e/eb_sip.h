/*
 * The benchmark's SIP receivers: one TLS flow each to columbad's SIP listener, REGISTERed
 * with digest SHA-256, answering every MESSAGE with 200 OK. Also the minimal SIP framing
 * they need (start line, the dialog headers, Content-Length framed bodies).
 */
#ifndef COLUMBA_BENCH_E2E_EB_SIP_H
#define COLUMBA_BENCH_E2E_EB_SIP_H

#include <stdbool.h>
#include <stddef.h>

#include "bench/e2e/eb_conn.h"

#define EB_SIP_MAX_VIA  8
#define EB_SIP_MAX_AUTH 4

struct eb_str {
	const char *p;
	size_t n;
};

/* One parsed SIP message: slices into the receive buffer. */
struct eb_sip_msg {
	bool is_response;
	int status;                /* responses */
	struct eb_str method;      /* requests */
	struct eb_str via[EB_SIP_MAX_VIA];
	unsigned n_via;
	struct eb_str from, to, call_id, cseq, ctype;
	struct eb_str www_auth[EB_SIP_MAX_AUTH];
	unsigned n_www_auth;
	struct eb_str body;
};

/* Parses the SIP message at the start of @buf (@len bytes); leading CRLFs (keep-alive
 * pongs) are skipped. Returns the bytes it spans (> 0), 0 if @buf holds only CRLFs
 * (consume @skipped of them), -EAGAIN if more bytes are needed, -EBADMSG for a start line,
 * header or Content-Length the benchmark cannot read, -E2BIG for too many Via headers. */
int eb_sip_parse(const char *buf, size_t len, struct eb_sip_msg *m, size_t *skipped);

/* What arrived on a receiver, for the caller's callback. */
enum eb_sip_in {
	EB_SIP_IN_TEXT,   /* a MESSAGE with a text body */
	EB_SIP_IN_IMDN,   /* a MESSAGE with message/imdn+xml */
	EB_SIP_IN_OTHER,  /* any other request (answered 200 too) */
};

/* Called for each request received; @body is the message body (not NUL-terminated). */
typedef void (*eb_sip_in_fn)(void *arg, enum eb_sip_in kind, const char *body, size_t n);

struct eb_rcv {
	struct eb_conn c;
	const char *user;
	const char *password;
	const char *domain;
	unsigned cseq;
	char tag[24];
};

/* Registers @r (its connection open, user, password and domain set) for @expires_s
 * seconds: REGISTER, 401 with a SHA-256 challenge, REGISTER with Authorization, 200;
 * waiting at most @timeout_ms in all. Returns 0, -ETIMEDOUT, -EACCES for a final answer
 * other than 200 (the status in r->c.err), -EPROTO when no SHA-256 challenge came, or
 * another negative errno from the connection. */
int eb_rcv_register(struct eb_rcv *r, unsigned expires_s, int timeout_ms);

/* Handles every complete request in @r's receive buffer: queues a 200 OK for it and calls
 * @fn. Responses are ignored. Returns the number of requests handled, or -EBADMSG /
 * -ENOMEM (the connection is then unusable). */
int eb_rcv_process(struct eb_rcv *r, eb_sip_in_fn fn, void *arg);

#endif
