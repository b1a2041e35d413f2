/*
 * A minimal HTTP/1.1 client for Columba's API: one request at a time on a
 * keep-alive TLS connection, answers framed by Content-Length only (the
 * server never sends chunked bodies, docs/api.md).
 *
 * cl_http_parse_response() return contract (parser family, STYLE.md):
 *   > 0            bytes of the whole answer (head + body)
 *   -EAGAIN        a valid prefix: read more
 *   CL_HTTP_E_*    malformed, one code per kind
 */
#ifndef COLUMBA_CLIENT_HTTP_H
#define COLUMBA_CLIENT_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "client/tlsconn.h"

#define CL_HTTP_BUF      (32 * 1024)  /* answers larger than this are refused */
#define CL_HTTP_HEAD_MAX (8 * 1024)

enum {
	CL_HTTP_E_STATUS_LINE = -2000, /* not "HTTP/1.x NNN reason" */
	CL_HTTP_E_HEADER,              /* a header line without a colon, or bare LF */
	CL_HTTP_E_LENGTH,              /* Content-Length missing on a body, bad or repeated */
	CL_HTTP_E_TOO_LARGE,           /* head or body over the limits above */
};

struct cl_http_resp {
	int status;
	int64_t retry_after;   /* seconds, -1 when absent */
	const char *body;      /* into the receive buffer; not NUL-terminated */
	size_t body_len;
};

struct cl_http {
	struct cl_conn *conn;
	char buf[CL_HTTP_BUF];
	size_t len;       /* bytes received and not yet consumed */
	size_t consumed;  /* bytes of the last answer, dropped at the next request */
};

/*
 * cl_http_parse_response - parse one answer at the start of @buf (@len
 * bytes). On success fills @r (slices of @buf). See the contract above.
 */
ssize_t cl_http_parse_response(const char *buf, size_t len, struct cl_http_resp *r);

/*
 * cl_http_roundtrip - send one request on h->conn and read its answer
 * before @deadline_ms.
 * @headers: extra header lines "Name: value", NULL-terminated (may be NULL).
 * @body:    request body or NULL; Content-Length and Content-Type
 *           application/json are added when present.
 * On success @r points into h->buf until the next call.
 * Returns 0, a cl_conn_* error (tlsconn.h), or a CL_HTTP_E_* code.
 */
int cl_http_roundtrip(struct cl_http *h, const char *method, const char *host, const char *path,
		      const char *const *headers, const char *body, size_t body_len,
		      struct cl_http_resp *r, uint64_t deadline_ms);

#endif
