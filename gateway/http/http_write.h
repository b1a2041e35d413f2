/*
 * HTTP/1.1 response writer: formats a whole response into a caller-owned
 * buffer. No allocation, no I/O; the connection layer sends the bytes.
 *
 * Return contract: bytes written (> 0), -ENOSPC when the buffer is too
 * small (nothing usable was written), -EINVAL for a status outside
 * 100..599, a body on a 1xx or 204 (which carry no Content-Length, RFC 9110
 * §8.6), or an extra header that would break framing (CR, LF or another
 * control byte, or a name that is not a token).
 */
#ifndef COLUMBA_GATEWAY_HTTP_WRITE_H
#define COLUMBA_GATEWAY_HTTP_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "gateway/http/http_parse.h"

/* IMF-fixdate of one second, e.g. "Sun, 06 Nov 1994 08:49:37 GMT". */
#define HTTP_DATE_LEN 29

/* Per-worker cache of the Date value; reformatted once per second. */
struct http_date_cache {
	time_t sec;
	char text[HTTP_DATE_LEN + 1];
};

struct http_response {
	int status;                      /* 100..599 */
	const char *content_type;        /* NULL: no Content-Type line */
	bool keep_alive;                 /* Connection: keep-alive, else close */
	bool head_only;                  /* answer to HEAD: no body bytes */
	const struct http_header *extra; /* e.g. Retry-After, Allow, Location */
	size_t n_extra;
	const char *body;
	size_t body_len;
};

/*
 * http_date_init - make *dc empty so the next use formats the date.
 */
void http_date_init(struct http_date_cache *dc);

/*
 * http_date_get - the IMF-fixdate (RFC 9110 §5.6.7) for @now, reformatted
 * only when the second changed. Returns dc->text (HTTP_DATE_LEN chars).
 */
const char *http_date_get(struct http_date_cache *dc, time_t now);

/*
 * http_reason - reason phrase for @status ("OK", "Not Found"…), or "" for
 * a status this gateway never sends (the phrase is optional, RFC 9112 §4).
 */
const char *http_reason(int status);

/*
 * http_write_response - write status line, Date, Content-Length (not on
 * 1xx or 204), Content-Type, Connection, the extra headers, CRLF and the body.
 * @buf/@cap: output buffer.
 * @rsp:      what to write; with head_only the Content-Length is body_len
 *            but no body bytes follow.
 * @dc/@now:  Date cache and current wall-clock second.
 * Returns bytes written, -ENOSPC or -EINVAL (see the top of this file).
 */
ssize_t http_write_response(char *buf, size_t cap, const struct http_response *rsp,
			    struct http_date_cache *dc, time_t now);

/*
 * http_json_escape - write @s (@n bytes) as the inside of a JSON string:
 * '"', '\\' and control bytes escaped, invalid UTF-8 replaced by \ufffd,
 * so the result is always valid JSON and valid UTF-8.
 * @dst may be NULL to only measure (then @cap is ignored).
 * Returns the escaped length, or -ENOSPC if it exceeds @cap.
 */
ssize_t http_json_escape(char *dst, size_t cap, const char *s, size_t n);

/*
 * http_write_json_error - write a response whose body is
 * {"error":"<code>","detail":"<detail>"} with Content-Type application/json.
 * @rsp:    status, keep_alive, head_only and extra headers are used;
 *          content_type and body are ignored.
 * @code:   machine code, NUL-terminated (escaped like @detail).
 * @detail: @detail_len bytes of text; escaped, may hold any bytes.
 * Returns bytes written, -ENOSPC or -EINVAL.
 */
ssize_t http_write_json_error(char *buf, size_t cap, const struct http_response *rsp,
			      const char *code, const char *detail, size_t detail_len,
			      struct http_date_cache *dc, time_t now);

#endif
