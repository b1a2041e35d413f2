/*
 * The benchmark's side of HTTP/1.1 for POST /v1/messages: writing a request, reading the
 * head and Content-Length framed body of a response.
 */
#ifndef COLUMBA_BENCH_E2E_EB_HTTP_H
#define COLUMBA_BENCH_E2E_EB_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* Writes POST /v1/messages for recipient @to and text @text (plain ASCII, no quotes or
 * backslashes) with Bearer @token and {"notify":false} into @out (@cap bytes), with
 * "Connection: close" when @close (the server then closes after its answer).
 * Returns its length, or -ENOSPC. */
int eb_http_post(char *out, size_t cap, const char *host, const char *token, const char *to,
		 const char *text, bool close);

/* One parsed response: slices into the caller's buffer. */
struct eb_http_resp {
	int status;
	bool close;        /* "Connection: close" */
	const char *body;
	size_t body_len;
};

/* Parses the response at the start of @buf (@len bytes) into @r. Returns the bytes it
 * spans, -EAGAIN when incomplete, -EBADMSG when it is not an HTTP/1.x response with a
 * Content-Length (or a status without a body). */
int eb_http_parse(const char *buf, size_t len, struct eb_http_resp *r);

/* The "error" member of a JSON error body (`{"error":"<code>",...}`) into @out (@cap
 * bytes, NUL-terminated; only [a-z0-9_]). Returns its length, or 0 when there is none. */
size_t eb_http_error_code(const struct eb_http_resp *r, char *out, size_t cap);

#endif
