/*
 * HTTP/1.1 request-head parser: zero-copy, resumable, strict (RFC 9110/9112).
 *
 * The caller owns the receive buffer, a struct http_request and the header
 * array it points to; after a successful parse every struct http_str in the
 * request is a slice of that buffer (nothing is copied or allocated).
 *
 * Return contract of http_parse_request():
 *   > 0            bytes of the complete head (request line, header lines and
 *                  the empty line). The body, if any, starts right after it:
 *                  see http_body_frame().
 *   HTTP_EAGAIN    (-EAGAIN) the bytes so far are a valid prefix of a head;
 *                  call again with the same buffer holding more bytes. The
 *                  parser remembers how far it scanned, so feeding a head in
 *                  n pieces costs O(total bytes), not O(n * bytes).
 *   HTTP_E_*       (HTTP_E__FIRST..HTTP_E__LAST, from -1100 up, never an
 *                  errno value) malformed or over a limit; one code per class
 *                  so tests can assert why. http_perr_status() gives the
 *                  status to answer, http_perr_code() the JSON error code.
 *                  Any error means "answer, then close the connection": the
 *                  framing can no longer be trusted.
 * Errors are reported at the first byte that proves the input bad, so a
 * prefix of a bad head returns either HTTP_EAGAIN or the same error.
 *
 * Choices (the RFC leaves them open or the product forces them):
 *   - CRLF only: a bare LF (HTTP_E_BARE_LF) or a CR not followed by LF
 *     (HTTP_E_BARE_CR) is rejected, as are obs-fold continuation lines and
 *     whitespace before the first header (HTTP_E_OBS_FOLD).
 *   - Empty lines (CRLF) before the request line are skipped, counted in
 *     head_max (RFC 9112 §2.2: clients may send a CRLF after a POST body).
 *   - Targets: origin-form ("/path?query"), "*" for OPTIONS only, and
 *     absolute-form "http://authority/path" or "https://…", which RFC 9112
 *     §3.2.2 says a server MUST accept; then req->host is the target's
 *     authority and the Host header is ignored (but still required in 1.1).
 *     Authority-form (CONNECT) and fragments ('#') are HTTP_E_TARGET.
 *     Target bytes must be RFC 3986 pchar / "/" / "?" with valid %HH.
 *   - Versions: HTTP/1.0 and HTTP/1.1; HTTP/1.2..1.9 are served as 1.1
 *     (RFC 9110 §6.2); any other major is HTTP_E_VERSION_UNSUPPORTED (505),
 *     a malformed version HTTP_E_VERSION (400).
 *   - Content-Length: 1*DIGIT only (HTTP_E_BAD_CL); a second
 *     Content-Length line or a list "5, 5" is HTTP_E_DUP_CL even when the
 *     values agree; a value above limits.body_max is HTTP_E_BODY_TOO_LARGE.
 *   - Transfer-Encoding: request bodies must carry Content-Length. TE with
 *     Content-Length is HTTP_E_TE_AND_CL (400, the request-smuggling
 *     pattern); TE whose last coding is "chunked" is HTTP_E_TE_CHUNKED and
 *     answered 411 Length Required (the client can retry with a length);
 *     any other TE is HTTP_E_TE_UNSUPPORTED, 501 (RFC 9112 §6.1).
 *   - Host: required in HTTP/1.1 (HTTP_E_NO_HOST), at most once
 *     (HTTP_E_DUP_HOST), characters of RFC 3986 host[:port] (HTTP_E_BAD_HOST).
 *   - Expect: only "100-continue" (flag HTTP_F_EXPECT_100, never set for
 *     HTTP/1.0, RFC 9110 §10.1.1); anything else is HTTP_E_EXPECT (417).
 *   - No Content-Length and no Transfer-Encoding means no body
 *     (content_length 0, RFC 9112 §6.3); the API layer may answer 411 to
 *     a POST without HTTP_F_HAS_CL.
 *   - keep_alive: HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with
 *     "Connection: keep-alive" (and no "close").
 *
 * Header lines have no limit of their own: head_max bounds them. Work is
 * linear in the head's length however it is split across calls.
 *
 * Limits (struct http_limits, defaults from http_limits_default()):
 *   line_max    8 KiB   request line, without CRLF    -> 414
 *   headers_max 64      header lines (also capped by the caller's array) -> 431
 *   head_max    16 KiB  whole head including CRLFs    -> 431
 *   body_max    16 KiB  Content-Length                -> 413
 */
#ifndef COLUMBA_GATEWAY_HTTP_PARSE_H
#define COLUMBA_GATEWAY_HTTP_PARSE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A slice of the caller's buffer; not NUL-terminated. */
struct http_str {
	const char *p;
	size_t n;
};

enum http_method {
	HTTP_M_GET = 0,
	HTTP_M_HEAD,
	HTTP_M_POST,
	HTTP_M_PUT,
	HTTP_M_DELETE,
	HTTP_M_OPTIONS,
	HTTP_M_OTHER, /* any other valid token: the router answers 501 */
	HTTP_M__COUNT,
};

enum http_perr {
	HTTP_EAGAIN = -EAGAIN,
	HTTP_E_BARE_LF = -1100, /* codes ascend from here to HTTP_E__LAST */
	HTTP_E_BARE_CR,
	HTTP_E_OBS_FOLD,
	HTTP_E_METHOD,
	HTTP_E_TARGET,
	HTTP_E_VERSION,
	HTTP_E_VERSION_UNSUPPORTED,
	HTTP_E_HEADER_NAME,
	HTTP_E_HEADER_VALUE,
	HTTP_E_DUP_CL,
	HTTP_E_BAD_CL,
	HTTP_E_TE_AND_CL,
	HTTP_E_TE_CHUNKED,
	HTTP_E_TE_UNSUPPORTED,
	HTTP_E_NO_HOST,
	HTTP_E_DUP_HOST,
	HTTP_E_BAD_HOST,
	HTTP_E_EXPECT,
	HTTP_E_LINE_TOO_LONG,
	HTTP_E_TOO_MANY_HEADERS,
	HTTP_E_HEAD_TOO_LARGE,
	HTTP_E_BODY_TOO_LARGE,
	HTTP_E__FIRST = HTTP_E_BARE_LF,
	HTTP_E__LAST = HTTP_E_BODY_TOO_LARGE,
};

/* Request flags (struct http_request.flags). */
#define HTTP_F_HAS_CL      0x01u /* a Content-Length header was present */
#define HTTP_F_HAS_TE      0x02u /* a Transfer-Encoding header was present */
#define HTTP_F_HAS_HOST    0x04u /* a Host header was present */
#define HTTP_F_EXPECT_100  0x08u /* Expect: 100-continue */
#define HTTP_F_CONN_CLOSE  0x10u /* Connection lists "close" */
#define HTTP_F_CONN_KEEP   0x20u /* Connection lists "keep-alive" */
#define HTTP_F_ABSOLUTE    0x40u /* absolute-form target */

struct http_header {
	struct http_str name;  /* token, case preserved */
	struct http_str value; /* without leading/trailing SP/HTAB */
};

struct http_limits {
	size_t line_max;    /* request-line bytes, CRLF excluded */
	size_t headers_max; /* header lines */
	size_t head_max;    /* whole head, CRLFs included */
	uint64_t body_max;  /* Content-Length */
};

struct http_request {
	/* Set by the caller before the first http_parse_request() call. */
	struct http_header *headers;
	size_t headers_cap;

	/* Filled by the parser. */
	size_t n_headers;
	struct http_str method;
	enum http_method method_id;
	struct http_str target;   /* as received */
	struct http_str path;     /* "/…" without the query ("*" for OPTIONS *) */
	struct http_str query;    /* after '?', possibly empty */
	struct http_str host;     /* Host value or absolute-form authority */
	int version_minor;        /* 0 or 1 (the major is always 1) */
	bool keep_alive;
	unsigned flags;           /* HTTP_F_* */
	uint64_t content_length;  /* 0 without Content-Length */
};

/* Resumable parser state; treat as opaque. */
struct http_parser {
	const struct http_limits *limits;
	const char *base;   /* buffer of the previous call */
	size_t pos;         /* next byte to examine */
	size_t line_start;  /* offset where the current line began */
	size_t mark;        /* start of the current token/value */
	size_t value_end;   /* end of the value without trailing OWS */
	ssize_t result;     /* head length or error once finished */
	unsigned state;
	unsigned aux;       /* per-state counter */
	bool te_chunked;    /* last transfer coding seen is "chunked" */
};

/*
 * http_limits_default - fill *lim with the defaults listed above.
 */
void http_limits_default(struct http_limits *lim);

/*
 * http_parser_init - prepare *ps for a new request head.
 * @lim: limits to apply; must outlive the parser. NULL means the defaults.
 * Call again for each pipelined request, with the buffer starting at the
 * next request's first byte.
 */
void http_parser_init(struct http_parser *ps, const struct http_limits *lim);

/*
 * http_parse_request - parse (or continue parsing) a request head.
 * @ps:  parser state from http_parser_init().
 * @buf: the bytes received so far for this request, starting at its first
 *       byte. Between calls that returned HTTP_EAGAIN the caller may only
 *       append bytes; if @buf moved, the parser notices and restarts from
 *       offset 0 (correct, but the earlier scan is wasted).
 * @len: bytes valid in @buf.
 * @req: output; req->headers and req->headers_cap must be set by the caller
 *       (headers_cap may be 0 to accept no header lines). Only valid once a
 *       positive value is returned.
 *
 * Returns the head length (> 0), HTTP_EAGAIN, or an HTTP_E_* code (see the
 * top of this file). Once complete, further calls return the same length.
 */
ssize_t http_parse_request(struct http_parser *ps, const char *buf, size_t len,
			   struct http_request *req);

/*
 * http_body_frame - is the request's whole body present?
 * @req:   a request for which http_parse_request() returned > 0.
 * @after: the bytes following the head.
 * @avail: how many bytes follow the head.
 * @body:  set to the body slice when complete (may be NULL).
 *
 * Returns the body length (>= 0; the next pipelined request starts at
 * @after + that), or HTTP_EAGAIN when fewer than content_length bytes are
 * present.
 */
ssize_t http_body_frame(const struct http_request *req, const char *after,
			size_t avail, struct http_str *body);

/*
 * http_find_header - first header named @name (ASCII case-insensitive).
 * Returns a pointer into req->headers, or NULL.
 */
const struct http_header *http_find_header(const struct http_request *req,
					   const char *name);

/*
 * http_perr_status - HTTP status to answer for error @err
 * (400, 411, 413, 414, 417, 431, 501, 505). Returns 400 for any value that
 * is not an HTTP_E_* code.
 */
int http_perr_status(int err);

/*
 * http_perr_code - short machine code for @err ("bare_lf", "dup_content_length",
 * …) used as "error" in JSON answers. Returns "bad_request" for unknown values.
 */
const char *http_perr_code(int err);

/*
 * http_perr_detail - one-line English explanation of @err for the JSON
 * "detail" field. Never NULL.
 */
const char *http_perr_detail(int err);

/*
 * http_str_eq_nocase - does @s equal the NUL-terminated @lit, ignoring
 * ASCII case? Returns true or false.
 */
bool http_str_eq_nocase(struct http_str s, const char *lit);

#endif
